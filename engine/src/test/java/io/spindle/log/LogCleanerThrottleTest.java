/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatchBuilder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The throttle holds the cleaner to its rate of segment bytes read, and it does so asleep: the cleaner thread uses
 * a small part of the time the cleaning takes.
 */
class LogCleanerThrottleTest
{
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final long BYTES_PER_SECOND = 2 * 1024 * 1024;

    @TempDir
    File dir;

    @Test
    void shouldCleanNoFasterThanTheThrottleAndSleepMeanwhile()
    {
        final LogConfig config = LogTestSupport.smallConfig()
            .segmentBytes(256 * 1024)
            .maxMessageBytes(64 * 1024)
            .fileDeleteDelayMs(0)
            .cleanupPolicy("compact")
            .minCleanableDirtyRatio(0);
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (LogCleaner cleaner = LogCleaner.background(BYTES_PER_SECOND, "throttle-test-cleaner");
            RecordBatchBuilder builder = new RecordBatchBuilder();
            PartitionLog log = PartitionLog.open(dir, config, NOW_MS).cleaner(cleaner))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
            long record = 0;
            while (log.segmentCount() <= 4)
            {
                builder.wrap(buffer, 0, buffer.capacity());
                for (int i = 0; i < 10; i++, record++)
                {
                    builder.append(NOW_MS, ("k" + (record % 100)).getBytes(StandardCharsets.US_ASCII), new byte[100]);
                }
                assertTrue(log.append(buffer, 0, builder.build(), NOW_MS) >= 0);
                log.highWaterMark(log.logEndOffset());
            }

            final long startNs = System.nanoTime();
            assertTrue(log.startCleaning(true));
            final long deadlineNs = startNs + TimeUnit.SECONDS.toNanos(30);
            while (0 == log.completeCleaning(NOW_MS))
            {
                assertTrue(System.nanoTime() < deadlineNs, "cleaning not finished");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            final long elapsedNs = System.nanoTime() - startNs;
            assertNull(log.lastCleanerFailure());
            assertEquals(1, cleaner.passes());

            // 4 segments of 256 KiB read twice (keys, then survivors) at 2 MiB/s: a second, less the last sleep.
            final long minimumNs = TimeUnit.SECONDS.toNanos(cleaner.bytesCleaned()) / BYTES_PER_SECOND -
                TimeUnit.MICROSECONDS.toNanos(250);
            assertTrue(cleaner.bytesCleaned() >= 1536 * 1024, "bytes " + cleaner.bytesCleaned());
            assertTrue(elapsedNs >= minimumNs, "cleaned " + cleaner.bytesCleaned() + " B in " + elapsedNs + " ns");

            long cpuNs = -1;
            for (final Thread thread : Thread.getAllStackTraces().keySet())
            {
                if ("throttle-test-cleaner".equals(thread.getName()))
                {
                    cpuNs = threads.getThreadCpuTime(thread.getId());
                }
            }
            assertTrue(cpuNs >= 0, "cleaner thread not found");
            assertTrue(cpuNs < elapsedNs / 2, "the cleaner used " + cpuNs + " ns of CPU in " + elapsedNs + " ns");
        }
    }
}
