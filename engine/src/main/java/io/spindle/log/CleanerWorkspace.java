/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.CloseHelper;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.collections.Long2LongHashMap;

import java.nio.ByteBuffer;

/**
 * What a {@link LogCleaner} needs to run a {@link LogCleaning}, created once per cleaner and reused by every task,
 * so that a cleaning pass allocates nothing per record or batch: the key map, the codecs, the output buffer and the
 * primitive maps of transactions and producers (cleared per task, keeping their capacity).
 */
final class CleanerWorkspace implements AutoCloseable
{
    final KeyOffsetMap keys;
    final RecordBatchValidator validator = new RecordBatchValidator();
    final RecordFlyweight records = new RecordFlyweight();
    final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    final ExpandableDirectByteBuffer out = new ExpandableDirectByteBuffer(64 * 1024);

    /**
     * Producer id to the base offset of the first batch of its transaction in progress, while walking the segments.
     */
    final Long2LongHashMap openTransactions = new Long2LongHashMap(-1);

    /**
     * Base offset of a transaction's first batch to its marker's offset times two, plus one if it committed.
     */
    final Long2LongHashMap transactionEnds = new Long2LongHashMap(-1);

    /**
     * Base offset of a transaction's first batch to how many of its batches the writing pass kept.
     */
    final Long2LongHashMap batchesKept = new Long2LongHashMap(0);

    /**
     * Producer id to its batches in the cleaned segments.
     */
    final Long2LongHashMap producerBatches = new Long2LongHashMap(0);

    /**
     * Producer id to its batches met so far by the writing pass.
     */
    final Long2LongHashMap producerBatchesSeen = new Long2LongHashMap(0);

    /**
     * @param dedupeBufferBytes memory for the key map.
     */
    CleanerWorkspace(final long dedupeBufferBytes)
    {
        keys = new KeyOffsetMap(dedupeBufferBytes);
    }

    /**
     * Forget the previous task.
     */
    void clear()
    {
        keys.clear();
        openTransactions.clear();
        transactionEnds.clear();
        batchesKept.clear();
        producerBatches.clear();
        producerBatchesSeen.clear();
    }

    /**
     * The output buffer as a {@link ByteBuffer} of a given length from its start, for a channel write.
     *
     * @param length bytes.
     * @return the buffer, positioned.
     */
    ByteBuffer outBytes(final int length)
    {
        final ByteBuffer bytes = out.byteBuffer();
        bytes.limit(length).position(0);
        return bytes;
    }

    /**
     * Free the key map and the codecs.
     */
    public void close()
    {
        CloseHelper.closeAll(keys, validator, records);
    }
}
