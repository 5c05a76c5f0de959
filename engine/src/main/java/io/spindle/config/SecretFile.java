/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A shared secret named by a property as a file ({@code spindle.node.secret.file}, {@code spindle.tier.secret.file}):
 * a file rather than the secret itself, so that it shows in no command line or process listing. One reader and one
 * digest for every secret Spindle checks, so that all follow the same rules.
 */
public final class SecretFile
{
    /**
     * Fewest bytes a secret may have.
     */
    public static final int MIN_LENGTH = 16;

    /**
     * Most bytes a secret may have: it travels in every connect request that presents it.
     */
    public static final int MAX_LENGTH = 1024;

    private SecretFile()
    {
    }

    /**
     * Read a secret from a file: its bytes without surrounding ASCII whitespace (so that a trailing newline does not
     * count), {@link #MIN_LENGTH} to {@link #MAX_LENGTH} of them.
     *
     * @param name       of the property naming the file, for messages.
     * @param file       holding the secret.
     * @param messageLog told when others than the file's owner may read it.
     * @return the secret.
     * @throws IllegalArgumentException {@code invalid NAME=FILE: reason}.
     */
    public static byte[] read(final String name, final Path file, final Consumer<String> messageLog)
    {
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw ConfigValues.invalid(name, file, "cannot read it (" + ex + ")");
        }
        int start = 0;
        int end = bytes.length;
        while (start < end && isWhitespace(bytes[start]))
        {
            start++;
        }
        while (end > start && isWhitespace(bytes[end - 1]))
        {
            end--;
        }
        if (end - start < MIN_LENGTH || end - start > MAX_LENGTH)
        {
            throw ConfigValues.invalid(name, file, "the secret must have " + MIN_LENGTH + " to " +
                MAX_LENGTH + " bytes, it has " + (end - start) + " (e.g. openssl rand -hex 32 > FILE)");
        }
        try
        {
            final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) ||
                permissions.contains(PosixFilePermission.OTHERS_READ))
            {
                messageLog.accept("warning: " + name + " " + file + " may be read by others than its owner " +
                    "(chmod 600 it)");
            }
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            // No POSIX permissions to check.
        }
        return Arrays.copyOfRange(bytes, start, end);
    }

    /**
     * The SHA-256 digest of some bytes: secrets are compared as digests with {@link MessageDigest#isEqual}, in
     * constant time whatever the presented length.
     *
     * @param bytes  holding the bytes.
     * @param offset of the first.
     * @param length of them.
     * @return the digest.
     */
    public static byte[] sha256(final byte[] bytes, final int offset, final int length)
    {
        try
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, offset, length);
            return digest.digest();
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every Java platform has SHA-256", ex);
        }
    }

    private static boolean isWhitespace(final byte b)
    {
        return ' ' == b || '\t' == b || '\n' == b || '\r' == b;
    }
}
