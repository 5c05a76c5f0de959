/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatchBuilder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cleaning pass allocates a constant amount (per segment, not per record): the same number of segments with 20
 * times the records costs the cleaner no more heap, so a running cleaner makes no garbage for the collector to stop
 * the broker's threads for.
 */
class LogCleanerAllocationTest
{
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final int SEGMENTS = 4;
    private static final int SEGMENT_BYTES = 256 * 1024;
    private static final int KEYS = 500;
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @TempDir
    File dir;

    private final LogCleaner cleaner = LogCleaner.inline();
    private final RecordBatchBuilder builder = new RecordBatchBuilder();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);

    @AfterEach
    void after()
    {
        builder.close();
        cleaner.close();
    }

    @Test
    void shouldAllocateNoMorePerPassForTwentyTimesTheRecords()
    {
        // Warm up: the cleaner's workspace, class loading and the compiler.
        for (int i = 0; i < 3; i++)
        {
            allocatedByCleaning(new File(dir, "warm" + i), 100);
        }

        final long[] few = allocatedByCleaning(new File(dir, "few"), 1000);
        final long[] many = allocatedByCleaning(new File(dir, "many"), 10);
        assertTrue(many[1] > 15 * few[1], "records: " + few[1] + " and " + many[1]);

        final double perRecord = (double)(many[0] - few[0]) / (many[1] - few[1]);
        assertTrue(perRecord < 0.5, "the cleaner allocated " + few[0] + " B for " + few[1] + " records and " +
            many[0] + " B for " + many[1] + " records: " + perRecord + " B per extra record");
        assertTrue(many[0] < 256 * 1024, "allocated " + many[0] + " B in one pass");
    }

    /**
     * Write {@link #SEGMENTS} sealed segments of records with values of a given length and clean them.
     *
     * @return bytes the cleaning allocated on this thread (the inline cleaner's), and the records it read.
     */
    private long[] allocatedByCleaning(final File partitionDir, final int valueLength)
    {
        final LogConfig config = LogTestSupport.smallConfig()
            .segmentBytes(SEGMENT_BYTES)
            .maxMessageBytes(64 * 1024)
            .fileDeleteDelayMs(0)
            .cleanupPolicy("compact")
            .minCleanableDirtyRatio(0);
        final byte[] value = new byte[valueLength];
        long records = 0;
        try (PartitionLog log = PartitionLog.open(partitionDir, config, NOW_MS).cleaner(cleaner))
        {
            while (log.segmentCount() <= SEGMENTS)
            {
                builder.wrap(buffer, 0, buffer.capacity());
                for (int i = 0; i < 10; i++, records++)
                {
                    builder.append(NOW_MS, ("key-" + (records % KEYS)).getBytes(StandardCharsets.US_ASCII), value);
                }
                assertTrue(log.append(buffer, 0, builder.build(), NOW_MS) >= 0);
                log.highWaterMark(log.logEndOffset());
            }

            final long threadId = Thread.currentThread().getId();
            final long before = THREADS.getThreadAllocatedBytes(threadId);
            assertTrue(log.startCleaning(true)); // the inline cleaner runs the whole pass here
            final long allocated = THREADS.getThreadAllocatedBytes(threadId) - before;

            assertEquals(1, log.completeCleaning(NOW_MS));
            assertNull(log.lastCleanerFailure());
            return new long[]{ allocated, records };
        }
    }
}
