/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import java.util.Arrays;

import io.spindle.codecs.batch.ControlRecord;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The idempotent producers of one partition: per producer id, its epoch and the sequence numbers and offsets of
 * its last {@link #CACHED_BATCHES} batches, so that a batch sent again (a retry after a lost answer) is answered
 * with the offset it was first appended at instead of being appended twice, and a batch that would leave a gap is
 * refused.
 * <p>
 * Part of the state machine's state: written to its snapshot in producer id order, and rebuilt after a restart of
 * a standalone broker by {@link #replay replaying} the batches the log holds beyond the snapshot. An entry idle for
 * longer than the expiration time is forgotten at a retention pass (a timer command, so every host forgets it at
 * the same point); the producer's next batch then gets {@link ErrorCode#UNKNOWN_PRODUCER_ID} and it starts again
 * under a new id, as in Kafka.
 * <p>
 * Single-threaded: the state machine's thread only. Nothing here allocates once a producer's entry exists.
 */
final class PartitionProducers
{
    /**
     * Batches remembered per producer: a producer keeps at most this many requests in flight per partition.
     */
    static final int CACHED_BATCHES = 5;

    private static final long NO_TRANSACTION = -1;
    private static final long[] NONE_ABORTED = new long[0];

    private final Long2ObjectHashMap<Entry> entries = new Long2ObjectHashMap<>();
    private long duplicateOffset;
    private long firstUnstableOffset = Long.MAX_VALUE;
    private long[] aborted = NONE_ABORTED;

    /**
     * Check a batch of an idempotent producer before it is appended.
     *
     * @param producerId     of the batch, at least 0.
     * @param epoch          of the batch.
     * @param baseSequence   of the batch's first record.
     * @param lastSequence   of the batch's last record.
     * @param nextProducerId the lowest producer id not handed out yet: an id at or above it was never issued.
     * @return {@link ErrorCode#NONE} to append it; {@link ErrorCode#DUPLICATE_SEQUENCE} when it was appended before
     * (its first offset is then {@link #duplicateOffset()}); else the error to answer with.
     */
    ErrorCode check(
        final long producerId,
        final short epoch,
        final int baseSequence,
        final int lastSequence,
        final long nextProducerId)
    {
        final Entry entry = entries.get(producerId);
        if (null != entry && epoch < entry.epoch)
        {
            return ErrorCode.INVALID_PRODUCER_EPOCH;
        }
        if (null == entry || 0 == entry.count)
        {
            // A producer starts each partition at sequence 0; anything else means its state here was forgotten
            // (expired) or the id was never issued: it must start again under a new id.
            return 0 == baseSequence && producerId < nextProducerId && epoch >= 0 ?
                ErrorCode.NONE : ErrorCode.UNKNOWN_PRODUCER_ID;
        }
        if (epoch > entry.epoch)
        {
            return 0 == baseSequence ? ErrorCode.NONE : ErrorCode.OUT_OF_ORDER_SEQUENCE;
        }
        for (int i = 0; i < entry.count; i++)
        {
            if (entry.firstSequence[i] == baseSequence && entry.lastSequence[i] == lastSequence)
            {
                duplicateOffset = entry.baseOffset[i];
                return ErrorCode.DUPLICATE_SEQUENCE;
            }
        }
        return nextSequence(entry.lastSequence()) == baseSequence ? ErrorCode.NONE : ErrorCode.OUT_OF_ORDER_SEQUENCE;
    }

    /**
     * The first offset of the batch {@link #check} found to be a duplicate.
     *
     * @return the offset.
     */
    long duplicateOffset()
    {
        return duplicateOffset;
    }

    /**
     * Remember a batch that was appended.
     *
     * @param producerId   of the batch.
     * @param epoch        of the batch.
     * @param baseSequence of its first record.
     * @param lastSequence of its last record.
     * @param baseOffset   it was appended at.
     * @param lastOffset   of its last record.
     * @param nowMs        state machine time of the append.
     */
    void onAppend(
        final long producerId,
        final short epoch,
        final int baseSequence,
        final int lastSequence,
        final long baseOffset,
        final long lastOffset,
        final boolean isTransactional,
        final long nowMs)
    {
        final Entry entry = entry(producerId, epoch);
        entry.add(baseSequence, lastSequence, baseOffset, lastOffset);
        entry.lastAppendMs = nowMs;
        if (isTransactional && NO_TRANSACTION == entry.transactionFirstOffset)
        {
            entry.transactionFirstOffset = baseOffset;
            if (baseOffset < firstUnstableOffset)
            {
                firstUnstableOffset = baseOffset;
            }
        }
    }

    /**
     * A transaction marker was written for a producer: its open transaction in this partition, if any, is decided.
     * The marker carries the transaction's epoch, which may be newer than the producer's batches (a fenced or timed
     * out producer): the partition takes it, so the older epoch's batches are refused from now on.
     *
     * @param producerId   of the transaction.
     * @param epoch        of the marker.
     * @param isCommit     COMMIT or ABORT.
     * @param markerOffset the marker's offset.
     * @param nowMs        state machine time.
     * @return true when it ended a transaction that had written here and was aborted: (producerId, its first offset,
     * the marker offset) is then the last entry of {@link #abortedTransactions()}.
     */
    boolean onMarker(
        final long producerId, final short epoch, final boolean isCommit, final long markerOffset, final long nowMs)
    {
        final Entry entry = entry(producerId, epoch);
        entry.lastAppendMs = nowMs;
        final long firstOffset = entry.transactionFirstOffset;
        if (NO_TRANSACTION == firstOffset)
        {
            return false;
        }
        entry.transactionFirstOffset = NO_TRANSACTION;
        if (firstOffset == firstUnstableOffset)
        {
            firstUnstableOffset = computeFirstUnstableOffset();
        }
        if (isCommit)
        {
            return false;
        }
        final int n = aborted.length;
        aborted = Arrays.copyOf(aborted, n + 3);
        aborted[n] = producerId;
        aborted[n + 1] = firstOffset;
        aborted[n + 2] = markerOffset;
        return true;
    }

    /**
     * The first offset of the earliest transaction still open here.
     *
     * @return the offset, or {@link Long#MAX_VALUE} when none is open.
     */
    long firstUnstableOffset()
    {
        return firstUnstableOffset;
    }

    /**
     * The transactions aborted here, oldest first, as (producerId, firstOffset, markerOffset) triples. A new array
     * replaces this one at each abort and prune, so a reader may keep it.
     *
     * @return the triples.
     */
    long[] abortedTransactions()
    {
        return aborted;
    }

    /**
     * Forget aborted transactions wholly below the log start across tiers (retention deleted them everywhere).
     *
     * @param logStartOffset the first offset a reader can still read, in either tier
     *                       ({@link PartitionLog#abortedTransactionsStartOffset()}).
     * @return true when any was forgotten.
     */
    boolean pruneAborted(final long logStartOffset)
    {
        int keepFrom = 0;
        while (keepFrom < aborted.length && aborted[keepFrom + 2] < logStartOffset)
        {
            keepFrom += 3;
        }
        if (0 == keepFrom)
        {
            return false;
        }
        aborted = Arrays.copyOfRange(aborted, keepFrom, aborted.length);
        return true;
    }

    private long computeFirstUnstableOffset()
    {
        long first = Long.MAX_VALUE;
        for (final Long2ObjectHashMap<Entry>.ValueIterator it = entries.values().iterator(); it.hasNext(); )
        {
            final long offset = it.next().transactionFirstOffset;
            if (NO_TRANSACTION != offset && offset < first)
            {
                first = offset;
            }
        }
        return first;
    }

    private Entry entry(final long producerId, final short epoch)
    {
        Entry entry = entries.get(producerId);
        if (null == entry)
        {
            entry = new Entry(producerId, epoch);
            entries.put(producerId, entry);
        }
        else if (epoch != entry.epoch)
        {
            entry.epoch = epoch;
            entry.count = 0;
        }
        return entry;
    }

    /**
     * Forget producers idle for longer than the expiration time.
     *
     * @param nowMs        state machine time.
     * @param expirationMs idle time after which a producer is forgotten.
     * @return producers forgotten.
     */
    int expire(final long nowMs, final long expirationMs)
    {
        if (entries.isEmpty())
        {
            return 0;
        }
        int expired = 0;
        // Which entries go depends only on their own times, so the map's iteration order cannot change the outcome.
        final Long2ObjectHashMap<Entry>.ValueIterator it = entries.values().iterator();
        while (it.hasNext())
        {
            final Entry entry = it.next();
            if (nowMs - entry.lastAppendMs > expirationMs && NO_TRANSACTION == entry.transactionFirstOffset)
            {
                it.remove();
                expired++;
            }
        }
        return expired;
    }

    /**
     * Producers known.
     *
     * @return the count.
     */
    int size()
    {
        return entries.size();
    }

    /**
     * Forget batches and open transactions at or beyond an offset (the log lost its tail).
     *
     * @param logEndOffset the log's end.
     */
    void truncateTo(final long logEndOffset)
    {
        final Long2ObjectHashMap<Entry>.ValueIterator it = entries.values().iterator();
        while (it.hasNext())
        {
            final Entry entry = it.next();
            while (entry.count > 0 && entry.lastOffset[entry.count - 1] >= logEndOffset)
            {
                entry.count--;
            }
            if (entry.transactionFirstOffset >= logEndOffset)
            {
                entry.transactionFirstOffset = NO_TRANSACTION;
            }
            // An entry whose batches are all gone stays, with its epoch: its next batch must start at 0 again.
        }
        int keep = aborted.length;
        while (keep > 0 && aborted[keep - 1] >= logEndOffset)
        {
            keep -= 3;
        }
        if (keep < aborted.length)
        {
            aborted = Arrays.copyOf(aborted, keep);
        }
        firstUnstableOffset = computeFirstUnstableOffset();
    }

    /**
     * Close the open transactions whose first batch the log no longer holds although it is above the log start:
     * only the cleaner removes such a batch, and only once its transaction was decided (it never cleans at or
     * beyond the last stable offset) and, with it, the transaction's marker. A snapshot taken while the
     * transaction was open would otherwise keep it open for ever, holding back the last stable offset.
     *
     * @param log of the partition, after {@link #replay}.
     * @return transactions closed.
     */
    int closeCleanedTransactions(final PartitionLog log)
    {
        int closed = 0;
        for (final Long2ObjectHashMap<Entry>.ValueIterator it = entries.values().iterator(); it.hasNext(); )
        {
            final Entry entry = it.next();
            final long firstOffset = entry.transactionFirstOffset;
            if (NO_TRANSACTION != firstOffset && firstOffset >= log.logStartOffset() && !log.hasBatchAt(firstOffset))
            {
                entry.transactionFirstOffset = NO_TRANSACTION;
                closed++;
            }
        }
        if (closed > 0)
        {
            firstUnstableOffset = computeFirstUnstableOffset();
        }
        return closed;
    }

    /**
     * Take in the idempotent batches a log holds from an offset to its end, as appends at {@code nowMs}: what a
     * standalone broker's log gained after its last snapshot.
     *
     * @param log        to read, with its high-water mark at its end.
     * @param fromOffset first offset to read.
     * @param nowMs      time to give the producers seen.
     * @param scratch    reusable read holder.
     * @return batches taken in.
     */
    int replay(final PartitionLog log, final long fromOffset, final long nowMs, final LogReadResult scratch)
    {
        int batches = 0;
        long offset = Math.max(fromOffset, log.logStartOffset());
        while (offset < log.logEndOffset())
        {
            final int length = log.read(offset, 1024 * 1024, scratch);
            if (length <= 0)
            {
                break;
            }
            final DirectBuffer buffer = scratch.buffer();
            int position = 0;
            while (position < length)
            {
                final int batchLength = buffer.getInt(position + RecordBatch.BATCH_LENGTH_OFFSET,
                    RecordBatch.BYTE_ORDER);
                final long baseOffset = buffer.getLong(position + RecordBatch.BASE_OFFSET_OFFSET,
                    RecordBatch.BYTE_ORDER);
                final long producerId = buffer.getLong(position + RecordBatch.PRODUCER_ID_OFFSET,
                    RecordBatch.BYTE_ORDER);
                final int attributes = buffer.getShort(position + RecordBatch.ATTRIBUTES_OFFSET,
                    RecordBatch.BYTE_ORDER);
                if (baseOffset >= fromOffset && RecordBatch.NO_PRODUCER_ID != producerId)
                {
                    final short epoch =
                        buffer.getShort(position + RecordBatch.PRODUCER_EPOCH_OFFSET, RecordBatch.BYTE_ORDER);
                    if (0 != (attributes & RecordBatch.CONTROL_MASK))
                    {
                        onMarker(producerId, epoch, ControlRecord.COMMIT == ControlRecord.type(buffer, position),
                            baseOffset, nowMs);
                    }
                    else
                    {
                        final int lastOffsetDelta =
                            buffer.getInt(position + RecordBatch.LAST_OFFSET_DELTA_OFFSET, RecordBatch.BYTE_ORDER);
                        final int baseSequence =
                            buffer.getInt(position + RecordBatch.BASE_SEQUENCE_OFFSET, RecordBatch.BYTE_ORDER);
                        onAppend(producerId, epoch, baseSequence, lastSequence(baseSequence, lastOffsetDelta),
                            baseOffset, baseOffset + lastOffsetDelta,
                            0 != (attributes & RecordBatch.TRANSACTIONAL_MASK), nowMs);
                    }
                    batches++;
                }
                position += batchLength;
            }
            offset = scratch.nextOffset();
        }
        return batches;
    }

    /**
     * Write the producers, in producer id order so that equal states write equal bytes, then the aborted
     * transactions.
     *
     * @param buffer   to write to.
     * @param position to write at.
     * @return the position after the producers.
     */
    int snapshot(final MutableDirectBuffer buffer, final int position)
    {
        int p = position;
        buffer.putInt(p, entries.size());
        p += 4;
        final long[] ids = new long[entries.size()];
        int i = 0;
        for (final Long2ObjectHashMap<Entry>.KeyIterator it = entries.keySet().iterator(); it.hasNext(); )
        {
            ids[i++] = it.nextLong();
        }
        Arrays.sort(ids);
        for (final long id : ids)
        {
            final Entry entry = entries.get(id);
            buffer.putLong(p, id);
            buffer.putShort(p + 8, entry.epoch);
            buffer.putLong(p + 10, entry.lastAppendMs);
            buffer.putLong(p + 18, entry.transactionFirstOffset);
            buffer.putInt(p + 26, entry.count);
            p += 30;
            for (int b = 0; b < entry.count; b++)
            {
                buffer.putInt(p, entry.firstSequence[b]);
                buffer.putInt(p + 4, entry.lastSequence[b]);
                buffer.putLong(p + 8, entry.baseOffset[b]);
                buffer.putLong(p + 16, entry.lastOffset[b]);
                p += 24;
            }
        }
        buffer.putInt(p, aborted.length);
        p += 4;
        for (final long value : aborted)
        {
            buffer.putLong(p, value);
            p += 8;
        }
        return p;
    }

    /**
     * Read producers written by {@link #snapshot}, replacing any held.
     *
     * @param buffer   holding them.
     * @param position they start at.
     * @return the position after them.
     */
    int restore(final DirectBuffer buffer, final int position)
    {
        entries.clear();
        int p = position;
        final int count = buffer.getInt(p);
        p += 4;
        for (int i = 0; i < count; i++)
        {
            final Entry entry = new Entry(buffer.getLong(p), buffer.getShort(p + 8));
            entry.lastAppendMs = buffer.getLong(p + 10);
            entry.transactionFirstOffset = buffer.getLong(p + 18);
            final int batches = buffer.getInt(p + 26);
            p += 30;
            for (int b = 0; b < batches; b++)
            {
                entry.add(buffer.getInt(p), buffer.getInt(p + 4), buffer.getLong(p + 8), buffer.getLong(p + 16));
                p += 24;
            }
            entries.put(entry.producerId, entry);
        }
        final int abortedLength = buffer.getInt(p);
        p += 4;
        aborted = 0 == abortedLength ? NONE_ABORTED : new long[abortedLength];
        for (int i = 0; i < abortedLength; i++)
        {
            aborted[i] = buffer.getLong(p);
            p += 8;
        }
        firstUnstableOffset = computeFirstUnstableOffset();
        return p;
    }

    /**
     * The sequence number of a batch's last record: sequences wrap from {@link Integer#MAX_VALUE} to 0.
     *
     * @param baseSequence    of the batch.
     * @param lastOffsetDelta of the batch.
     * @return the last record's sequence.
     */
    static int lastSequence(final int baseSequence, final int lastOffsetDelta)
    {
        return (int)(((long)baseSequence + lastOffsetDelta) % (Integer.MAX_VALUE + 1L));
    }

    /**
     * The sequence that follows one.
     *
     * @param sequence a sequence.
     * @return the next, wrapping to 0 after {@link Integer#MAX_VALUE}.
     */
    static int nextSequence(final int sequence)
    {
        return Integer.MAX_VALUE == sequence ? 0 : sequence + 1;
    }

    /**
     * One producer's state in the partition; its batches oldest first.
     */
    private static final class Entry
    {
        final long producerId;
        short epoch;
        long lastAppendMs;
        long transactionFirstOffset = NO_TRANSACTION;
        int count;
        final int[] firstSequence = new int[CACHED_BATCHES];
        final int[] lastSequence = new int[CACHED_BATCHES];
        final long[] baseOffset = new long[CACHED_BATCHES];
        final long[] lastOffset = new long[CACHED_BATCHES];

        Entry(final long producerId, final short epoch)
        {
            this.producerId = producerId;
            this.epoch = epoch;
        }

        int lastSequence()
        {
            return lastSequence[count - 1];
        }

        void add(final int first, final int last, final long base, final long lastOffsetOfBatch)
        {
            if (CACHED_BATCHES == count)
            {
                System.arraycopy(firstSequence, 1, firstSequence, 0, CACHED_BATCHES - 1);
                System.arraycopy(lastSequence, 1, lastSequence, 0, CACHED_BATCHES - 1);
                System.arraycopy(baseOffset, 1, baseOffset, 0, CACHED_BATCHES - 1);
                System.arraycopy(lastOffset, 1, lastOffset, 0, CACHED_BATCHES - 1);
                count--;
            }
            firstSequence[count] = first;
            lastSequence[count] = last;
            baseOffset[count] = base;
            lastOffset[count] = lastOffsetOfBatch;
            count++;
        }
    }
}
