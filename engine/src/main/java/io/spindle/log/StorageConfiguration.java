/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import java.util.concurrent.TimeUnit;

import io.spindle.config.ConfigProperty;
import io.spindle.config.ConfigValues;

/**
 * Storage settings shared by every partition log of a process, as system properties: names and defaults in one
 * place, read once and validated by {@link #validate()}. Per-topic settings and their {@code spindle.log.<key>}
 * defaults are {@link LogConfig}'s.
 */
public final class StorageConfiguration
{
    /**
     * How far ahead of the appends the active segment is reserved with real zeros.
     */
    public static final ConfigProperty RESERVE_BYTES = ConfigProperty.size(
        "spindle.storage.reserve.bytes", 1024 * 1024);

    /**
     * How appends reach a segment's files: {@code mapped} stores into the mappings, {@code write} writes with
     * positional writes through the file channels (see {@link AppendMode}). Read when a segment is opened.
     */
    public static final ConfigProperty APPEND = ConfigProperty.choice("spindle.storage.append", AppendMode.WRITE);

    /**
     * Throttle of the log cleaner, in bytes of segments read a second (each cleaned byte is read twice, once to map
     * the keys and once to write what survives). Kafka's default is unlimited; Spindle's keeps the cleaner to a few
     * percent of one core on a small machine (it cleans at some 300 MB/s unthrottled) while still cleaning a
     * compacted topic written at a few MB/s.
     */
    public static final ConfigProperty CLEANER_IO_MAX_BYTES_PER_SECOND = ConfigProperty.size(
        "spindle.log.cleaner.io.max.bytes.per.second", LogCleaner.MAX_BYTES_PER_SECOND_DEFAULT);

    /**
     * Memory for the log cleaner's key map, allocated off heap on its first cleaning and kept: 24 bytes a key at
     * most 3/4 full, so 16m holds about 520,000 keys. A pass cleans as many dirty segments as surely fit (a segment
     * holds at most as many keys as its offsets span); a dirty segment alone with more distinct keys fails to clean.
     */
    public static final ConfigProperty CLEANER_DEDUPE_BUFFER_SIZE = ConfigProperty.size(
        "spindle.log.cleaner.dedupe.buffer.size", 16L * 1024 * 1024);

    /**
     * The smallest key map.
     */
    static final long MIN_DEDUPE_BUFFER_BYTES = 1024;

    /**
     * How often a compacted log checks whether a cleaning is due.
     */
    public static final ConfigProperty CLEANER_BACKOFF = ConfigProperty.duration(
        "spindle.log.cleaner.backoff.ms", TimeUnit.MILLISECONDS, 1000);

    private static final long MAX_RESERVE_BYTES = 1024L * 1024 * 1024;
    private static final long MAX_DEDUPE_BUFFER_BYTES = 1024L * 1024 * 1024;

    private StorageConfiguration()
    {
    }

    /**
     * Read and check every storage property, so that a bad one stops a broker or member at start with its name
     * rather than when a log first needs it.
     *
     * @throws IllegalArgumentException naming the first bad property and why.
     */
    public static void validate()
    {
        reserveBytes();
        appendMode();
        cleanerIoMaxBytesPerSecond();
        cleanerDedupeBufferBytes();
        cleanerBackoffMs();
    }

    /**
     * The reserve ahead of the appends.
     *
     * @return bytes, 1 to 1g.
     * @throws IllegalArgumentException naming the property if it is not such a size.
     */
    static long reserveBytes()
    {
        final long bytes = RESERVE_BYTES.size();
        if (bytes < 1 || bytes > MAX_RESERVE_BYTES)
        {
            throw ConfigValues.invalid(RESERVE_BYTES.name(), bytes, "must be 1 to 1g");
        }
        return bytes;
    }

    /**
     * How appends reach the files.
     *
     * @return the mode.
     * @throws IllegalArgumentException naming the property if it is not {@code mapped} or {@code write}.
     */
    static AppendMode appendMode()
    {
        return APPEND.choice(AppendMode.class);
    }

    /**
     * The cleaner's throttle.
     *
     * @return bytes a second, at least 1.
     * @throws IllegalArgumentException naming the property if it is not such a size.
     */
    static long cleanerIoMaxBytesPerSecond()
    {
        final long bytes = CLEANER_IO_MAX_BYTES_PER_SECOND.size();
        if (bytes < 1)
        {
            throw ConfigValues.invalid(CLEANER_IO_MAX_BYTES_PER_SECOND.name(), bytes, "must be at least 1");
        }
        return bytes;
    }

    /**
     * Memory for the cleaner's key map.
     *
     * @return bytes, 1k to 1g.
     * @throws IllegalArgumentException naming the property if it is not such a size.
     */
    static long cleanerDedupeBufferBytes()
    {
        final long bytes = CLEANER_DEDUPE_BUFFER_SIZE.size();
        if (bytes < MIN_DEDUPE_BUFFER_BYTES || bytes > MAX_DEDUPE_BUFFER_BYTES)
        {
            throw ConfigValues.invalid(CLEANER_DEDUPE_BUFFER_SIZE.name(), bytes, "must be 1k to 1g");
        }
        return bytes;
    }

    /**
     * The interval between cleaning checks of a compacted log.
     *
     * @return milliseconds, at least 1.
     * @throws IllegalArgumentException naming the property if it is not such a duration.
     */
    static long cleanerBackoffMs()
    {
        final long ms = CLEANER_BACKOFF.duration();
        if (ms < 1)
        {
            throw ConfigValues.invalid(CLEANER_BACKOFF.name(), ms, "must be at least 1ms");
        }
        return ms;
    }
}
