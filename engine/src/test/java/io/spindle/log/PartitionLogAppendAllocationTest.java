/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Appending allocates nothing per batch once warm in either {@code spindle.storage.append} mode: in
 * {@link AppendMode#WRITE} that covers the staging copy and {@code FileChannel.write(ByteBuffer, long)} from a
 * direct buffer, for the batch and for the index entries (one every {@code index.interval.bytes}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PartitionLogAppendAllocationTest
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final int WARM_UP = 20_000;
    private static final int MEASURED = 20_000;

    @TempDir
    File dir;

    @AfterEach
    void clearMode()
    {
        System.clearProperty(StorageConfiguration.APPEND.name());
    }

    @ParameterizedTest
    @EnumSource(AppendMode.class)
    void appendsAllocateNothingOnceWarm(final AppendMode mode)
    {
        System.setProperty(StorageConfiguration.APPEND.name(), mode.name());
        final LogConfig config = new LogConfig()
            .segmentBytes(64 * 1024 * 1024)
            .indexIntervalBytes(4096)
            .retentionMs(LogConfig.UNLIMITED)
            .retentionBytes(LogConfig.UNLIMITED);
        final byte[] small = new LogTestSupport().batch(1, 100, NOW_MS, 1);
        final byte[] large = new LogTestSupport().batch(16, 1000, NOW_MS, 2);
        final UnsafeBuffer smallBuffer = new UnsafeBuffer(small);
        final UnsafeBuffer largeBuffer = new UnsafeBuffer(large);
        try (PartitionLog log = PartitionLog.open(dir, config, NOW_MS))
        {
            assertEquals(mode, log.activeSegment().appendMode());
            appendMany(log, smallBuffer, largeBuffer, WARM_UP);

            final long threadId = Thread.currentThread().getId();
            final int entriesBefore = log.activeSegment().offsetIndex.entryCount();
            final long before = THREADS.getThreadAllocatedBytes(threadId);
            appendMany(log, smallBuffer, largeBuffer, MEASURED);
            final long allocated = THREADS.getThreadAllocatedBytes(threadId) - before;
            final int entries = log.activeSegment().offsetIndex.entryCount() - entriesBefore;

            assertEquals(1, log.segments().length, "a roll would allocate: the test needs one segment");
            assertTrue(entries > 100, "index entries written while measured: " + entries);
            System.out.printf("append, %s mode: %d bytes allocated over %d appends and %d index entries%n",
                mode, allocated, MEASURED, entries);
            assertTrue(allocated < MEASURED, "allocated " + allocated + " bytes over " + MEASURED + " appends");
        }
    }

    private static void appendMany(
        final PartitionLog log, final UnsafeBuffer small, final UnsafeBuffer large, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final UnsafeBuffer batch = (i & 15) == 15 ? large : small;
            final long offset = log.append(batch, 0, batch.capacity(), NOW_MS);
            if (offset < 0)
            {
                throw new IllegalStateException("append failed: " + offset + " " + log.lastStorageFailure());
            }
            log.highWaterMark(log.logEndOffset());
        }
    }
}
