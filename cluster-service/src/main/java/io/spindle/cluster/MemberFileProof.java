/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.agrona.DirectBuffer;

/**
 * The proof a {@link MemberFileClient}'s request carries that it comes from a member, when the members share a
 * secret ({@code spindle.node.secret.file}): an HMAC-SHA256, keyed by the secret, of the request's encoded bytes
 * before the proof field (header, correlation id, response stream and channel, directory or file, its version,
 * position and length), in hex. Whoever lacks the secret can neither ask for a file nor send a member's request's
 * answer to another channel; a request replayed asks the same bytes to the same channel. The
 * {@link MemberFileServer} compares proofs in constant time.
 * <p>
 * <b>Threading:</b> one thread per instance (the rebuild's, or the gateway's).
 */
final class MemberFileProof
{
    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final Mac mac;
    private final byte[] bytes = new byte[256];
    private final byte[] hex = new byte[64];

    /**
     * @param secret the members' secret.
     */
    MemberFileProof(final byte[] secret)
    {
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret, ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("every Java platform has " + ALGORITHM, ex);
        }
    }

    /**
     * The proof of a request's bytes.
     *
     * @param buffer holding the request.
     * @param offset of its header.
     * @param length of its bytes before the proof field.
     * @return the proof, in hex.
     */
    String sign(final DirectBuffer buffer, final int offset, final int length)
    {
        return new String(digest(buffer, offset, length), StandardCharsets.US_ASCII);
    }

    /**
     * Whether a request's proof is the one its bytes and the secret make, compared in constant time.
     *
     * @param buffer holding the request.
     * @param offset of its header.
     * @param length of its bytes before the proof field.
     * @param proof  the request's proof.
     * @return true when it proves the secret.
     */
    boolean verify(final DirectBuffer buffer, final int offset, final int length, final String proof)
    {
        return MessageDigest.isEqual(digest(buffer, offset, length), proof.getBytes(StandardCharsets.US_ASCII));
    }

    private byte[] digest(final DirectBuffer buffer, final int offset, final int length)
    {
        mac.reset();
        for (int i = 0; i < length; i += bytes.length)
        {
            final int part = Math.min(bytes.length, length - i);
            buffer.getBytes(offset + i, bytes, 0, part);
            mac.update(bytes, 0, part);
        }
        final byte[] digest = mac.doFinal();
        for (int i = 0; i < digest.length; i++)
        {
            hex[2 * i] = HEX[(digest[i] >> 4) & 0xF];
            hex[2 * i + 1] = HEX[digest[i] & 0xF];
        }
        return hex;
    }
}
