/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.FlushPolicy;
import io.spindle.log.LogCleaner;
import io.spindle.log.LogConfig;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An idempotent producer whose every record compaction removed is still known to a broker that rebuilds producer
 * state from the cleaned log (a standalone broker replays the log beyond its last snapshot): a retried batch is
 * answered as a duplicate at its first offset and the next sequence is accepted, because the cleaner keeps the
 * header of a producer's latest emptied batches.
 */
class ProducerStateAfterCleaningTest
{
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final long PRODUCER_ID = 7;
    private static final short EPOCH = 2;

    @TempDir
    File dir;

    private final RecordBatchBuilder builder = new RecordBatchBuilder();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private final LogCleaner cleaner = LogCleaner.inline();
    private PartitionLog log;

    @AfterEach
    void after()
    {
        if (null != log)
        {
            log.close();
        }
        builder.close();
        cleaner.close();
    }

    @Test
    void shouldRecogniseARetriedBatchAfterCompactionEmptiedAllOfTheProducersBatches()
    {
        final LogConfig config = new LogConfig()
            .segmentBytes(4096)
            .maxMessageBytes(2048)
            .indexIntervalBytes(512)
            .flushPolicy(FlushPolicy.NEVER)
            .fileDeleteDelayMs(0)
            .cleanupPolicy("compact")
            .minCleanableDirtyRatio(0);
        log = PartitionLog.open(dir, config, NOW_MS).cleaner(cleaner);

        long lastBatchOffset = -1;
        for (int sequence = 0; sequence < 8; sequence++)
        {
            lastBatchOffset = append(PRODUCER_ID, sequence, "k", "v" + sequence);
        }
        // Another writer supersedes every record of the producer.
        append(-1, -1, "k", "final");
        log.roll(NOW_MS);
        append(-1, -1, "other", "x");

        log.deleteExpiredSegments(NOW_MS);
        assertTrue(log.startCleaning(true));
        assertEquals(1, log.completeCleaning(NOW_MS));
        assertEquals(null, log.lastCleanerFailure());
        assertEquals(8, log.activeSegmentBaseOffset() - 1, "the superseding record is at offset 8");

        final PartitionProducers producers = new PartitionProducers();
        producers.replay(log, 0, NOW_MS, new LogReadResult());
        assertEquals(ErrorCode.DUPLICATE_SEQUENCE, producers.check(PRODUCER_ID, EPOCH, 7, 7, 100));
        assertEquals(lastBatchOffset, producers.duplicateOffset());
        assertEquals(ErrorCode.DUPLICATE_SEQUENCE, producers.check(PRODUCER_ID, EPOCH, 3, 3, 100));
        assertEquals(ErrorCode.NONE, producers.check(PRODUCER_ID, EPOCH, 8, 8, 100));
        // Older than the batches a broker remembers per producer: its header went, as it would have been forgotten.
        assertEquals(ErrorCode.OUT_OF_ORDER_SEQUENCE, producers.check(PRODUCER_ID, EPOCH, 2, 2, 100));
    }

    private long append(final long producerId, final int sequence, final String key, final String value)
    {
        builder.wrap(buffer, 0, buffer.capacity());
        if (producerId >= 0)
        {
            builder.producer(producerId, EPOCH, sequence);
        }
        builder.append(NOW_MS, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
        final long offset = log.append(buffer, 0, builder.build(), NOW_MS);
        assertTrue(offset >= 0, "append: " + offset);
        log.highWaterMark(log.logEndOffset());
        return offset;
    }
}
