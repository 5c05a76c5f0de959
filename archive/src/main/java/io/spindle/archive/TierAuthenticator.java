/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.function.Consumer;

import io.aeron.security.CredentialsSupplier;
import io.spindle.config.SecretFile;
import io.spindle.host.VerdictAuthenticator;
import org.agrona.ErrorHandler;

/**
 * Who may open a control session on a standalone archive ({@code spindle archive}) once it has a tier secret
 * ({@link TierConfiguration#SECRET_FILE}): only a client presenting {@code spindle-tier:SECRET}, as brokers' and
 * members' tiers do ({@link #credentials(byte[])}). Whoever opens a control session may list, replay, truncate or purge
 * every recording, so a session presenting no credentials or anything else is rejected (the client sees
 * {@code ArchiveException} {@code AUTHENTICATION_REJECTED}) and the rejection is recorded in the archive's error
 * output. Secrets are compared as SHA-256 digests with {@link MessageDigest#isEqual}, in constant time whatever the
 * presented length.
 * <p>
 * Only control sessions are checked: the recorded and replayed streams are plain Aeron streams on their UDP channels.
 * <p>
 * <b>Threading:</b> runs on the archive's conductor thread; the static helpers on any.
 */
public final class TierAuthenticator extends VerdictAuthenticator
{
    /**
     * How a tier client's credentials begin.
     */
    public static final String PREFIX = "spindle-tier:";

    private static final byte[] PREFIX_BYTES = PREFIX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PRINCIPAL = "spindle-tier".getBytes(StandardCharsets.US_ASCII);

    private final byte[] secretDigest;
    private final ErrorHandler errorHandler;

    /**
     * An authenticator for a standalone archive.
     *
     * @param secret       the tier secret.
     * @param errorHandler told of each rejected session (the archive's error output).
     */
    public TierAuthenticator(final byte[] secret, final ErrorHandler errorHandler)
    {
        this.secretDigest = SecretFile.sha256(secret, 0, secret.length);
        this.errorHandler = errorHandler;
    }

    /**
     * Read the tier secret from the file {@link TierConfiguration#SECRET_FILE} names.
     *
     * @param messageLog told when others than the file's owner may read it.
     * @return the secret, or null when the property is unset.
     * @throws IllegalArgumentException {@code invalid spindle.tier.secret.file=FILE: reason}.
     */
    public static byte[] configuredSecret(final Consumer<String> messageLog)
    {
        final Path file = TierConfiguration.secretFile();
        return null == file ? null : SecretFile.read(TierConfiguration.SECRET_FILE.name(), file, messageLog);
    }

    /**
     * What a client of a secured archive presents at connect.
     *
     * @param secret the tier secret, or null.
     * @return {@code spindle-tier:SECRET}, or null (present nothing) without a secret.
     */
    public static CredentialsSupplier credentials(final byte[] secret)
    {
        if (null == secret)
        {
            return null;
        }
        final byte[] credentials = Arrays.copyOf(PREFIX_BYTES, PREFIX_BYTES.length + secret.length);
        System.arraycopy(secret, 0, credentials, PREFIX_BYTES.length, secret.length);
        return VerdictAuthenticator.presenting(credentials);
    }

    /**
     * Whether credentials are {@code spindle-tier:SECRET} with this archive's secret.
     *
     * @param credentials as presented at connect, possibly null.
     * @return true when they are.
     */
    boolean admits(final byte[] credentials)
    {
        if (!hasPrefix(credentials))
        {
            return false;
        }
        final byte[] presented = SecretFile.sha256(
            credentials, PREFIX_BYTES.length, credentials.length - PREFIX_BYTES.length);
        return MessageDigest.isEqual(secretDigest, presented);
    }

    /**
     * {@inheritDoc}
     */
    protected byte[] principal(final long sessionId, final byte[] credentials)
    {
        if (admits(credentials))
        {
            return PRINCIPAL;
        }
        final String presented = 0 == credentials.length ? "no credentials" : hasPrefix(credentials) ?
            "another secret than this archive's spindle.tier.secret.file" : "credentials that are not a tier's";
        errorHandler.onError(new SecurityException("rejected an archive control session (session " + sessionId +
            ") presenting " + presented + ": with spindle.tier.secret.file set, only brokers and members " +
            "holding the same secret may open this archive"));
        return null;
    }

    private static boolean hasPrefix(final byte[] credentials)
    {
        return null != credentials && credentials.length >= PREFIX_BYTES.length &&
            Arrays.equals(credentials, 0, PREFIX_BYTES.length, PREFIX_BYTES, 0, PREFIX_BYTES.length);
    }
}
