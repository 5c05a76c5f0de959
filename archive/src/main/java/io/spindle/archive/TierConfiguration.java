/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import io.spindle.config.ConfigProperty;

/**
 * Settings of the archive tier, as system properties: the broker's archiver and the archive it copies to. Names and
 * defaults in one place, each read and validated by its {@link ConfigProperty}; the per-topic settings
 * ({@code remote.storage.enable}, {@code local.retention.*}) are {@code LogConfig}'s.
 */
public final class TierConfiguration
{
    /**
     * How often the archiver looks for sealed segments to copy.
     */
    public static final ConfigProperty SCAN_INTERVAL = ConfigProperty.duration(
        "spindle.tier.scan.interval", TimeUnit.MILLISECONDS, 100);

    /**
     * How long the archiver waits after a failed step before trying again.
     */
    public static final ConfigProperty RETRY_BACKOFF = ConfigProperty.duration(
        "spindle.tier.retry.backoff", TimeUnit.MILLISECONDS, 1000);

    /**
     * How long one archiving step (a recording to start, stop or be read back) may take.
     */
    public static final ConfigProperty STEP_TIMEOUT = ConfigProperty.duration(
        "spindle.tier.step.timeout", TimeUnit.MILLISECONDS, 10_000);

    /**
     * Bytes a second the archiver copies sealed segments at.
     */
    public static final ConfigProperty COPY_RATE = ConfigProperty.size(
        "spindle.tier.copy.rate", 64L * 1024 * 1024);

    /**
     * Whether each copy is read back and its CRC32C compared before it is trusted.
     */
    public static final ConfigProperty VERIFY_CRC = ConfigProperty.bool("spindle.tier.verify.crc", true);

    /**
     * How long a broker waits for its archive to answer a control request.
     */
    public static final ConfigProperty MESSAGE_TIMEOUT = ConfigProperty.duration(
        "spindle.tier.message.timeout", TimeUnit.NANOSECONDS, TimeUnit.SECONDS.toNanos(5));

    /**
     * Term length of the publication a segment is copied over.
     */
    public static final ConfigProperty TERM_LENGTH = ConfigProperty.size("spindle.tier.term.length", 1024 * 1024);

    /**
     * Length of the archive's recording files (sparse): a power of two, at least the copy's term length.
     */
    public static final ConfigProperty SEGMENT_FILE_LENGTH = ConfigProperty.size(
        "spindle.archive.segment.file.length", 16 * 1024 * 1024);

    /**
     * A file holding the secret that admits a client to a standalone archive (surrounding whitespace ignored, 16 to
     * 1024 bytes): {@code spindle archive} then admits only clients presenting it, and brokers and members present it
     * to their {@code --archive}. Unset, the archive answers anyone and its clients present nothing.
     */
    public static final ConfigProperty SECRET_FILE = ConfigProperty.text("spindle.tier.secret.file", null);

    private TierConfiguration()
    {
    }

    /**
     * The file {@link #SECRET_FILE} names.
     *
     * @return the file, or null when unset.
     */
    public static Path secretFile()
    {
        final String file = SECRET_FILE.text();
        return null == file ? null : Paths.get(file);
    }
}
