/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import io.spindle.codecs.batch.ControlRecord;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fetch answer that starts at the ABORT marker of a transaction it lists (a consumer positioned on the marker,
 * or the first survivor of a compacted range): the marker ends the aborted transaction, and the producer's next,
 * committed, transaction is handed to a read_committed consumer.
 */
class AbortedTransactionFilterTest
{
    private static final long PRODUCER_ID = 42;

    private final RecordBatchBuilder builder = new RecordBatchBuilder();
    private final UnsafeBuffer fetched = new UnsafeBuffer(new byte[4096]);
    private final UnsafeBuffer aborted = new UnsafeBuffer(new byte[16]);
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();

    @AfterEach
    void after()
    {
        builder.close();
    }

    @Test
    void shouldCloseAListedAbortedTransactionAtItsMarkerWhenTheAnswerStartsThere()
    {
        // Aborted transaction: first offset 10, marker at 20; the answer starts at 20.
        aborted.putLong(0, PRODUCER_ID);
        aborted.putLong(8, 10);
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[16]);
        final int markerLength = ControlRecord.build(
            builder, new UnsafeBuffer(fetched, 0, 256), scratch, PRODUCER_ID, (short)0, ControlRecord.ABORT, 1L);
        RecordBatchFlyweight.baseOffset(fetched, 0, 20);
        RecordBatchFlyweight.updateCrc(fetched, 0);

        builder.wrap(fetched, markerLength, 1024).producer(PRODUCER_ID, (short)0, 5).transactional(true);
        builder.append(2L, new byte[]{ 1 }, new byte[]{ 2 });
        builder.build();
        RecordBatchFlyweight.baseOffset(fetched, markerLength, 21);

        final AbortedTransactionFilter filter = new AbortedTransactionFilter();
        filter.load(aborted, 0, 1, true);
        assertTrue(filter.skips(batch.wrap(fetched, 0), fetched, 0), "a marker is never handed over");
        assertFalse(filter.skips(batch.wrap(fetched, markerLength), fetched, markerLength),
            "the committed transaction after the marker is handed over");
    }
}
