/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import io.spindle.codecs.batch.ControlRecord;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import org.agrona.DirectBuffer;

/**
 * Decides, batch by batch through one fetched partition's records, what a consumer does not hand to the
 * application: transaction markers (control batches), always; and for a read_committed consumer the batches of
 * aborted transactions, as Kafka's consumer does. The fetch answer lists the aborted transactions that may touch
 * its records (producer id and first offset); a producer's transactional batches are skipped from its aborted
 * transaction's first offset until its ABORT marker.
 * <p>
 * Owned by the consumer's thread; allocates only when a fetch lists more aborted transactions than ever before.
 */
final class AbortedTransactionFilter
{
    private long[] producerIds = new long[8];
    private long[] firstOffsets = new long[8];
    private long[] open = new long[8];
    private int count;
    private int next;
    private int openCount;
    private boolean isReadCommitted;

    /**
     * Start on a fetched partition's records.
     *
     * @param buffer          holding the aborted transactions, (int64 producerId, int64 firstOffset) pairs.
     * @param offset          of the first pair.
     * @param abortedCount    pairs.
     * @param isReadCommitted whether the consumer reads committed records only.
     */
    void load(final DirectBuffer buffer, final int offset, final int abortedCount, final boolean isReadCommitted)
    {
        this.isReadCommitted = isReadCommitted;
        if (abortedCount > producerIds.length)
        {
            producerIds = new long[abortedCount];
            firstOffsets = new long[abortedCount];
            open = new long[abortedCount];
        }
        count = 0;
        for (int i = 0; i < abortedCount; i++)
        {
            // By first offset, an insertion at a time: a fetch lists few.
            final long producerId = buffer.getLong(offset + i * 16);
            final long firstOffset = buffer.getLong(offset + i * 16 + 8);
            int at = count++;
            while (at > 0 && firstOffsets[at - 1] > firstOffset)
            {
                firstOffsets[at] = firstOffsets[at - 1];
                producerIds[at] = producerIds[at - 1];
                at--;
            }
            firstOffsets[at] = firstOffset;
            producerIds[at] = producerId;
        }
        next = 0;
        openCount = 0;
    }

    /**
     * Whether the next batch, in offset order, is kept from the application.
     *
     * @param batch    wrapping the batch.
     * @param buffer   holding the batch.
     * @param position of the batch.
     * @return true to skip it.
     */
    boolean skips(final RecordBatchFlyweight batch, final DirectBuffer buffer, final int position)
    {
        // Open the aborted transactions that start at or before this batch first, markers included: a fetch may
        // start at an ABORT marker (the consumer's position, or the first survivor of a compacted range) whose
        // transaction it lists, and that marker must close it.
        while (isReadCommitted && next < count && firstOffsets[next] <= batch.lastOffset())
        {
            open[openCount++] = producerIds[next++];
        }
        if (batch.isControl())
        {
            if (isReadCommitted && ControlRecord.ABORT == ControlRecord.type(buffer, position))
            {
                close(batch.producerId());
            }
            return true;
        }
        if (!isReadCommitted || 0 == count)
        {
            return false;
        }
        return batch.isTransactional() && isOpen(batch.producerId());
    }

    private boolean isOpen(final long producerId)
    {
        for (int i = 0; i < openCount; i++)
        {
            if (open[i] == producerId)
            {
                return true;
            }
        }
        return false;
    }

    private void close(final long producerId)
    {
        for (int i = 0; i < openCount; i++)
        {
            if (open[i] == producerId)
            {
                open[i] = open[--openCount];
                return;
            }
        }
    }
}
