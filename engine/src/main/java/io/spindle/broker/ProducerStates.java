/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import java.util.List;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * Idempotent producers: allocates producer ids (handed out by the {@link TransactionCoordinator}) and checks every batch that carries one
 * against what its partition knows of the producer ({@link PartitionProducers}), so a retried batch is answered
 * with its first offset and never appended twice, a gap is refused with {@link ErrorCode#OUT_OF_ORDER_SEQUENCE}
 * and an older epoch with {@link ErrorCode#INVALID_PRODUCER_EPOCH}.
 * <p>
 * Part of the state machine: single-threaded, deterministic (the state machine's time only), snapshotted.
 */
final class ProducerStates
{
    /**
     * Default idle time after which a partition forgets a producer: Kafka's {@code producer.id.expiration.ms}.
     */
    static final long DEFAULT_EXPIRATION_MS = 86_400_000L;

    private final BrokerStats stats;
    private TransactionCoordinator transactions;
    private long nextProducerId;
    private long version;
    private long expirationMs = DEFAULT_EXPIRATION_MS;
    private long duplicateOffset;

    ProducerStates(final BrokerStats stats)
    {
        this.stats = stats;
    }

    /**
     * Idle time after which a partition forgets a producer. Part of what decides results: every host of a
     * replicated state machine must use the same.
     *
     * @param expirationMs the idle time.
     */
    void expirationMs(final long expirationMs)
    {
        if (expirationMs < 1)
        {
            throw new IllegalArgumentException("producer id expiration must be at least 1 ms, was " + expirationMs);
        }
        this.expirationMs = expirationMs;
    }

    /**
     * Incremented when a producer id is handed out: the host persists the state before the answer leaves, so a
     * restarted broker never hands the same id out twice (see {@link TransactionCoordinator#version()}).
     *
     * @return the version.
     */
    long version()
    {
        return version;
    }

    /**
     * Hand out the next producer id.
     *
     * @return the id.
     */
    long nextProducerId()
    {
        version++;
        return nextProducerId++;
    }

    /**
     * The coordinator whose open transactions transactional batches are checked against.
     *
     * @param transactions the coordinator.
     */
    void transactions(final TransactionCoordinator transactions)
    {
        this.transactions = transactions;
    }

    /**
     * Check a batch before it is appended. A batch without a producer id passes.
     *
     * @param topic       it goes to.
     * @param partition   it goes to.
     * @param buffer      holding the batch.
     * @param batchOffset of the batch.
     * @param batchLength of the batch.
     * @return {@link ErrorCode#NONE} to append; {@link ErrorCode#DUPLICATE_SEQUENCE} for a batch appended before
     * (answer with {@link #duplicateOffset()}); else the error to answer with.
     */
    ErrorCode check(
        final Topic topic, final int partition, final DirectBuffer buffer, final int batchOffset, final int batchLength)
    {
        if (batchLength < RecordBatch.HEADER_LENGTH)
        {
            return ErrorCode.NONE; // the log's validation refuses it
        }
        final int attributes = buffer.getShort(batchOffset + RecordBatch.ATTRIBUTES_OFFSET, RecordBatch.BYTE_ORDER);
        if (0 != (attributes & RecordBatch.CONTROL_MASK))
        {
            return ErrorCode.INVALID_REQUEST; // only the broker writes transaction markers
        }
        final long producerId = buffer.getLong(batchOffset + RecordBatch.PRODUCER_ID_OFFSET, RecordBatch.BYTE_ORDER);
        if (RecordBatch.NO_PRODUCER_ID == producerId)
        {
            return ErrorCode.NONE;
        }
        final short epoch = buffer.getShort(batchOffset + RecordBatch.PRODUCER_EPOCH_OFFSET, RecordBatch.BYTE_ORDER);
        if (0 != (attributes & RecordBatch.TRANSACTIONAL_MASK))
        {
            final ErrorCode code = transactions.checkTransactional(producerId, epoch, topic.id(), partition);
            if (ErrorCode.NONE != code)
            {
                return code;
            }
        }
        final int baseSequence = buffer.getInt(batchOffset + RecordBatch.BASE_SEQUENCE_OFFSET, RecordBatch.BYTE_ORDER);
        final int lastOffsetDelta =
            buffer.getInt(batchOffset + RecordBatch.LAST_OFFSET_DELTA_OFFSET, RecordBatch.BYTE_ORDER);
        if (producerId < 0 || baseSequence < 0 || lastOffsetDelta < 0)
        {
            return ErrorCode.INVALID_REQUEST;
        }
        final PartitionProducers producers = topic.producers(partition);
        final ErrorCode code = producers.check(producerId, epoch, baseSequence,
            PartitionProducers.lastSequence(baseSequence, lastOffsetDelta), nextProducerId);
        if (ErrorCode.DUPLICATE_SEQUENCE == code)
        {
            duplicateOffset = producers.duplicateOffset();
            stats.duplicateBatches++;
        }
        return code;
    }

    /**
     * The first offset of the batch {@link #check} last found to be a duplicate.
     *
     * @return the offset.
     */
    long duplicateOffset()
    {
        return duplicateOffset;
    }

    /**
     * Remember a batch that {@link #check} passed and the log appended.
     *
     * @param topic       it went to.
     * @param partition   it went to.
     * @param buffer      holding the batch.
     * @param batchOffset of the batch.
     * @param baseOffset  it was appended at.
     * @param nowMs       state machine time.
     */
    void onAppend(
        final Topic topic,
        final int partition,
        final DirectBuffer buffer,
        final int batchOffset,
        final long baseOffset,
        final long nowMs)
    {
        final long producerId = buffer.getLong(batchOffset + RecordBatch.PRODUCER_ID_OFFSET, RecordBatch.BYTE_ORDER);
        if (RecordBatch.NO_PRODUCER_ID == producerId)
        {
            return;
        }
        final int baseSequence = buffer.getInt(batchOffset + RecordBatch.BASE_SEQUENCE_OFFSET, RecordBatch.BYTE_ORDER);
        final int lastOffsetDelta =
            buffer.getInt(batchOffset + RecordBatch.LAST_OFFSET_DELTA_OFFSET, RecordBatch.BYTE_ORDER);
        final boolean isTransactional = 0 != (RecordBatch.TRANSACTIONAL_MASK &
            buffer.getShort(batchOffset + RecordBatch.ATTRIBUTES_OFFSET, RecordBatch.BYTE_ORDER));
        final PartitionProducers producers = topic.producers(partition);
        producers.onAppend(
            producerId,
            buffer.getShort(batchOffset + RecordBatch.PRODUCER_EPOCH_OFFSET, RecordBatch.BYTE_ORDER),
            baseSequence,
            PartitionProducers.lastSequence(baseSequence, lastOffsetDelta),
            baseOffset,
            baseOffset + lastOffsetDelta,
            isTransactional,
            nowMs);
        if (isTransactional)
        {
            topic.partition(partition).firstUnstableOffset(producers.firstUnstableOffset());
        }
    }

    /**
     * A transaction marker was written: the partition's open transaction of the producer is decided, and readers
     * see the new last stable offset and, for an abort, the aborted range.
     *
     * @param topic        the topic.
     * @param partition    the partition.
     * @param producerId   of the transaction.
     * @param epoch        of the marker.
     * @param isCommit     COMMIT or ABORT.
     * @param markerOffset where the marker was written.
     * @param nowMs        state machine time.
     */
    void onMarker(
        final Topic topic,
        final int partition,
        final long producerId,
        final short epoch,
        final boolean isCommit,
        final long markerOffset,
        final long nowMs)
    {
        final PartitionProducers producers = topic.producers(partition);
        producers.onMarker(producerId, epoch, isCommit, markerOffset, nowMs);
        publish(topic, partition);
    }

    private static void publish(final Topic topic, final int partition)
    {
        final PartitionProducers producers = topic.producers(partition);
        final PartitionLog log = topic.partition(partition);
        log.abortedTransactions(producers.abortedTransactions());
        log.firstUnstableOffset(producers.firstUnstableOffset());
    }

    /**
     * Forget producers idle beyond the expiration time, in every partition of the topics.
     *
     * @param topics to look at.
     * @param nowMs  state machine time.
     */
    void expire(final Iterable<Topic> topics, final long nowMs)
    {
        for (final Topic topic : topics)
        {
            for (int p = 0, n = topic.partitionCount(); p < n; p++)
            {
                final PartitionProducers producers = topic.producers(p);
                producers.expire(nowMs, expirationMs);
                final long abortedStart = topic.partition(p).abortedTransactionsStartOffset();
                if (PartitionLog.NULL_OFFSET != abortedStart && producers.pruneAborted(abortedStart))
                {
                    publish(topic, p);
                }
            }
        }
    }

    /**
     * Write the next producer id and every partition's producers.
     *
     * @param buffer   to write to.
     * @param position to write at.
     * @param topics   in id order.
     * @return the position after.
     */
    int snapshot(final ExpandableArrayBuffer buffer, final int position, final List<Topic> topics)
    {
        int p = position;
        buffer.putLong(p, nextProducerId);
        p += 8;
        for (final Topic topic : topics)
        {
            for (int i = 0, n = topic.partitionCount(); i < n; i++)
            {
                p = topic.producers(i).snapshot(buffer, p);
            }
        }
        return p;
    }

    /**
     * Read what {@link #snapshot} wrote, into topics already restored.
     *
     * @param buffer   holding the snapshot.
     * @param position of the producer section.
     * @param topics   in id order, as written.
     * @return the position after.
     */
    int restore(final DirectBuffer buffer, final int position, final List<Topic> topics)
    {
        int p = position;
        nextProducerId = buffer.getLong(p);
        p += 8;
        for (final Topic topic : topics)
        {
            for (int i = 0, n = topic.partitionCount(); i < n; i++)
            {
                p = topic.producers(i).restore(buffer, p);
                publish(topic, i);
            }
        }
        return p;
    }

    /**
     * Make a partition's producers agree with its log after a restart that kept the log's tail beyond the snapshot
     * (a standalone broker persists its state only on metadata changes): forget batches the log no longer holds,
     * take in the idempotent batches it gained.
     *
     * @param topic             the topic.
     * @param partition         the partition.
     * @param snapshotLogEnd    the partition's log end when the snapshot was taken.
     * @param nowMs             time to give the producers seen in the gained batches.
     * @param scratch           reusable read holder.
     */
    void catchUp(
        final Topic topic, final int partition, final long snapshotLogEnd, final long nowMs,
        final LogReadResult scratch)
    {
        final PartitionLog log = topic.partition(partition);
        final PartitionProducers producers = topic.producers(partition);
        producers.truncateTo(log.logEndOffset());
        if (log.logEndOffset() > snapshotLogEnd)
        {
            producers.replay(log, snapshotLogEnd, nowMs, scratch);
        }
        producers.closeCleanedTransactions(log);
        publish(topic, partition);
    }
}
