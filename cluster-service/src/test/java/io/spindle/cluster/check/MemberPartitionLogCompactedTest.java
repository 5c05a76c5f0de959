/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.codecs.batch.RecordFlyweight;
import io.spindle.log.FlushPolicy;
import io.spindle.log.LogCleaner;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker reads a compacted partition (offset gaps, batches that lost records) whole, and still refuses gaps
 * in a partition that was never compacted.
 */
class MemberPartitionLogCompactedTest
{
    private static final long NOW_MS = 1_700_000_000_000L;

    @TempDir
    File dir;

    private final RecordBatchValidator validator = new RecordBatchValidator();
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    private final RecordFlyweight records = new RecordFlyweight();

    @AfterEach
    void after()
    {
        validator.close();
        records.close();
    }

    @Test
    void shouldReadACompactedLogAndRefuseGapsElsewhere()
    {
        final LogConfig config = new LogConfig()
            .segmentBytes(4096)
            .maxMessageBytes(2048)
            .flushPolicy(FlushPolicy.NEVER)
            .fileDeleteDelayMs(0)
            .cleanupPolicy("compact")
            .minCleanableDirtyRatio(0);
        try (RecordBatchBuilder builder = new RecordBatchBuilder();
            LogCleaner cleaner = LogCleaner.inline();
            PartitionLog log = PartitionLog.open(dir, config, NOW_MS).cleaner(cleaner))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
            final String[][] batches = { { "a", "b" }, { "a", "c" }, { "b" }, { "d", "a" } };
            for (final String[] keys : batches)
            {
                builder.wrap(buffer, 0, buffer.capacity());
                for (final String key : keys)
                {
                    builder.append(NOW_MS, key.getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8));
                }
                log.append(buffer, 0, builder.build(), NOW_MS);
                log.roll(NOW_MS);
            }
            log.highWaterMark(log.logEndOffset());
            assertTrue(log.startCleaning(true));
            log.completeCleaning(NOW_MS);
            assertNull(log.lastCleanerFailure());
        }

        // Survivors: c (3), b (4), d (5), a (6).
        try (MemberPartitionLog read = MemberPartitionLog.read(0, dir, java.util.List.of(), validator, batch, records))
        {
            assertNull(read.unreadable());
            assertArrayEquals(new long[]{ 3, 4, 5, 6 }, read.recordOffsets.toLongArray());
        }

        assertTrue(new File(dir, "compacted").delete());
        try (MemberPartitionLog read = MemberPartitionLog.read(0, dir, java.util.List.of(), validator, batch, records))
        {
            assertNotNull(read.unreadable(), "gaps accepted in a partition that was never compacted");
        }
    }
}
