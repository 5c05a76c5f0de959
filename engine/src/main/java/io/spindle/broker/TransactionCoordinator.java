/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.spindle.codecs.batch.ControlRecord;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.protocol.AddPartitionsToTxnRequestDecoder;
import io.spindle.codecs.protocol.AddPartitionsToTxnResponseEncoder;
import io.spindle.codecs.protocol.EndTxnRequestDecoder;
import io.spindle.codecs.protocol.EndTxnResponseEncoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.InitProducerIdRequestDecoder;
import io.spindle.codecs.protocol.InitProducerIdResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.TxnOffsetCommitRequestDecoder;
import io.spindle.codecs.protocol.TxnOffsetCommitResponseEncoder;
import io.spindle.log.PartitionLog;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Kafka's transaction coordinator inside the state machine. It hands out producer ids ({@code InitProducerId}):
 * a fresh one to an idempotent producer; to a transactional id, the same id with the next epoch, which fences the
 * id's older instance and aborts the transaction it left open. It tracks each transactional id's open transaction
 * (the partitions it writes, {@code AddPartitionsToTxn}, and the group offsets it commits, {@code TxnOffsetCommit}),
 * and ends it ({@code EndTxn}, or its timeout on a host timer) by writing a COMMIT or ABORT marker to each of its
 * partitions and, on commit, applying its offsets to the groups.
 * <p>
 * Part of the state machine: single-threaded, deterministic (the state machine's time, transactional ids in sorted
 * order), snapshotted. Not the hot path: transactions allocate as they open and end.
 */
final class TransactionCoordinator
{
    /**
     * Longest transaction timeout a producer may ask for: Kafka's {@code transaction.max.timeout.ms}.
     */
    static final int MAX_TRANSACTION_TIMEOUT_MS = 900_000;

    private static final byte NO_OUTCOME = 0;
    private static final byte COMMITTED = 1;
    private static final byte ABORTED = 2;

    private final Host host;
    private final MutableDirectBuffer responseBuffer;
    private final BrokerStats stats;
    private final ProducerStates producers;
    private final GroupCoordinator groups;
    private final Int2ObjectHashMap<Topic> topicsById;
    private final GroupCoordinator.TimerIds timerIds;
    private final TreeMap<String, Transaction> byId = new TreeMap<>();
    private final Long2ObjectHashMap<Transaction> byProducerId = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Transaction> byTimerId = new Long2ObjectHashMap<>();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final InitProducerIdRequestDecoder initDecoder = new InitProducerIdRequestDecoder();
    private final InitProducerIdResponseEncoder initEncoder = new InitProducerIdResponseEncoder();
    private final AddPartitionsToTxnRequestDecoder addDecoder = new AddPartitionsToTxnRequestDecoder();
    private final AddPartitionsToTxnResponseEncoder addEncoder = new AddPartitionsToTxnResponseEncoder();
    private final TxnOffsetCommitRequestDecoder offsetsDecoder = new TxnOffsetCommitRequestDecoder();
    private final TxnOffsetCommitResponseEncoder offsetsEncoder = new TxnOffsetCommitResponseEncoder();
    private final EndTxnRequestDecoder endDecoder = new EndTxnRequestDecoder();
    private final EndTxnResponseEncoder endEncoder = new EndTxnResponseEncoder();
    private final RecordBatchBuilder markerBuilder = new RecordBatchBuilder();
    private final UnsafeBuffer markerBuffer = new UnsafeBuffer(new byte[ControlRecord.BATCH_LENGTH + 64]);
    private final UnsafeBuffer markerScratch = new UnsafeBuffer(new byte[16]);
    private long version;
    private boolean rearmTimers;

    TransactionCoordinator(
        final Host host,
        final MutableDirectBuffer responseBuffer,
        final BrokerStats stats,
        final ProducerStates producers,
        final GroupCoordinator groups,
        final Int2ObjectHashMap<Topic> topicsById,
        final GroupCoordinator.TimerIds timerIds)
    {
        this.host = host;
        this.responseBuffer = responseBuffer;
        this.stats = stats;
        this.producers = producers;
        this.groups = groups;
        this.topicsById = topicsById;
        this.timerIds = timerIds;
    }

    /**
     * Whether a template id is a request this coordinator serves.
     *
     * @param templateId of the request.
     * @return true for InitProducerId, AddPartitionsToTxn, TxnOffsetCommit and EndTxn.
     */
    static boolean handles(final int templateId)
    {
        return InitProducerIdRequestDecoder.TEMPLATE_ID == templateId ||
            AddPartitionsToTxnRequestDecoder.TEMPLATE_ID == templateId ||
            TxnOffsetCommitRequestDecoder.TEMPLATE_ID == templateId ||
            EndTxnRequestDecoder.TEMPLATE_ID == templateId;
    }

    /**
     * Incremented when producer ids are handed out and when transactions change: the host persists the state
     * before the answer leaves.
     *
     * @return the version.
     */
    long version()
    {
        return version + producers.version();
    }

    /**
     * Serve a request.
     *
     * @param sessionId  to answer.
     * @param templateId of the request.
     * @param buffer     holding it.
     * @param offset     of its message header.
     * @param nowMs      state machine time.
     */
    void onRequest(
        final long sessionId, final int templateId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        rearmTimersIfRestored();
        switch (templateId)
        {
            case InitProducerIdRequestDecoder.TEMPLATE_ID:
                onInitProducerId(sessionId, buffer, offset, nowMs);
                break;
            case AddPartitionsToTxnRequestDecoder.TEMPLATE_ID:
                onAddPartitions(sessionId, buffer, offset, nowMs);
                break;
            case TxnOffsetCommitRequestDecoder.TEMPLATE_ID:
                onTxnOffsetCommit(sessionId, buffer, offset, nowMs);
                break;
            default:
                onEndTxn(sessionId, buffer, offset, nowMs);
                break;
        }
    }

    /**
     * A timer fired: abort the transaction it times out, fencing its producer.
     *
     * @param timerId of the timer.
     * @param nowMs   state machine time.
     * @return true when the timer was one of this coordinator's.
     */
    boolean onTimer(final long timerId, final long nowMs)
    {
        rearmTimersIfRestored();
        final Transaction txn = byTimerId.get(timerId);
        if (null == txn)
        {
            return false;
        }
        if (txn.isOngoing && nowMs >= txn.deadlineMs)
        {
            // The producer is fenced: a timed-out transaction must not be committed by a producer that carries on.
            bumpEpoch(txn);
            end(txn, false, nowMs);
            version++;
        }
        return true;
    }

    /**
     * Check a transactional batch against its producer's open transaction.
     *
     * @param producerId of the batch.
     * @param epoch      of the batch.
     * @param topicId    it goes to.
     * @param partition  it goes to.
     * @return {@link ErrorCode#NONE}, or why it is refused.
     */
    ErrorCode checkTransactional(final long producerId, final short epoch, final int topicId, final int partition)
    {
        final Transaction txn = byProducerId.get(producerId);
        if (null == txn)
        {
            return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
        }
        if (epoch < txn.epoch)
        {
            return ErrorCode.INVALID_PRODUCER_EPOCH;
        }
        if (epoch > txn.epoch || !txn.isOngoing || !txn.partitions.contains(partitionKey(topicId, partition)))
        {
            return ErrorCode.INVALID_TXN_STATE;
        }
        return ErrorCode.NONE;
    }

    private void onInitProducerId(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        initDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = initDecoder.correlationId();
        final int timeoutMs = initDecoder.transactionTimeoutMs();
        initDecoder.producerId();
        initDecoder.producerEpoch();
        final String transactionalId = initDecoder.transactionalId();
        initEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder).correlationId(correlationId);
        if (transactionalId.isEmpty())
        {
            initEncoder.errorCode(ErrorCode.NONE)
                .producerId(producers.nextProducerId())
                .producerEpoch((short)0)
                .putErrorMessage(responseBuffer, 0, 0);
        }
        else if (timeoutMs < 1 || timeoutMs > MAX_TRANSACTION_TIMEOUT_MS)
        {
            stats.onError(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
            initEncoder.errorCode(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
                .producerId(RecordBatch.NO_PRODUCER_ID)
                .producerEpoch(RecordBatch.NO_PRODUCER_EPOCH)
                .errorMessage("transaction.timeout.ms must be 1 to " + MAX_TRANSACTION_TIMEOUT_MS + ", was " +
                    timeoutMs);
        }
        else
        {
            Transaction txn = byId.get(transactionalId);
            if (null == txn)
            {
                txn = new Transaction(transactionalId, producers.nextProducerId(), timerIds.next());
                byId.put(transactionalId, txn);
                byProducerId.put(txn.producerId, txn);
                byTimerId.put(txn.timerId, txn);
            }
            else
            {
                // A new instance of the id: the older one is fenced, and what it left open is aborted.
                bumpEpoch(txn);
                if (txn.isOngoing)
                {
                    end(txn, false, nowMs);
                }
                txn.lastOutcome = NO_OUTCOME;
            }
            txn.timeoutMs = timeoutMs;
            version++;
            initEncoder.errorCode(ErrorCode.NONE)
                .producerId(txn.producerId)
                .producerEpoch(txn.epoch)
                .putErrorMessage(responseBuffer, 0, 0);
        }
        send(sessionId, initEncoder.encodedLength());
    }

    private void onAddPartitions(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        addDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = addDecoder.correlationId();
        final long producerId = addDecoder.producerId();
        final short epoch = addDecoder.producerEpoch();
        final List<long[]> requested = new ArrayList<>();
        for (final AddPartitionsToTxnRequestDecoder.PartitionsDecoder entry : addDecoder.partitions())
        {
            requested.add(new long[]{ entry.topicId(), entry.partition() });
        }
        final String transactionalId = addDecoder.transactionalId();
        final Transaction txn = byId.get(transactionalId);
        final ErrorCode code = validate(txn, producerId, epoch);

        addEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code);
        final AddPartitionsToTxnResponseEncoder.PartitionsEncoder responses =
            addEncoder.partitionsCount(requested.size());
        for (final long[] entry : requested)
        {
            final int topicId = (int)entry[0];
            final int partition = (int)entry[1];
            ErrorCode partitionCode = ErrorCode.NONE == code ? partitionError(topicId, partition) : code;
            if (ErrorCode.NONE == partitionCode)
            {
                begin(txn, nowMs);
                final long key = partitionKey(topicId, partition);
                if (!txn.partitions.contains(key))
                {
                    txn.partitions.add(key);
                    version++;
                }
            }
            else
            {
                stats.onError(partitionCode);
            }
            responses.next().topicId(topicId).partition(partition).errorCode(partitionCode);
        }
        addEncoder.errorMessage(ErrorCode.NONE == code ? "" : describe(code, transactionalId));
        send(sessionId, addEncoder.encodedLength());
    }

    private void onTxnOffsetCommit(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        offsetsDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = offsetsDecoder.correlationId();
        final long producerId = offsetsDecoder.producerId();
        final short epoch = offsetsDecoder.producerEpoch();
        final List<long[]> entries = new ArrayList<>();
        final List<String> metadata = new ArrayList<>();
        for (final TxnOffsetCommitRequestDecoder.OffsetsDecoder entry : offsetsDecoder.offsets())
        {
            entries.add(new long[]{ entry.topicId(), entry.partition(), entry.committedOffset(),
                entry.committedLeaderEpoch() });
            metadata.add(entry.metadata());
        }
        final String transactionalId = offsetsDecoder.transactionalId();
        final String groupId = offsetsDecoder.groupId();
        final Transaction txn = byId.get(transactionalId);
        ErrorCode code = validate(txn, producerId, epoch);
        if (ErrorCode.NONE == code && groupId.isEmpty())
        {
            code = ErrorCode.INVALID_GROUP_ID;
        }

        offsetsEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code);
        final TxnOffsetCommitResponseEncoder.PartitionsEncoder responses =
            offsetsEncoder.partitionsCount(entries.size());
        for (int i = 0; i < entries.size(); i++)
        {
            final long[] entry = entries.get(i);
            final int topicId = (int)entry[0];
            final int partition = (int)entry[1];
            ErrorCode partitionCode = ErrorCode.NONE == code ? partitionError(topicId, partition) : code;
            if (ErrorCode.NONE == partitionCode)
            {
                if (entry[2] < 0)
                {
                    partitionCode = ErrorCode.INVALID_REQUEST;
                }
                else if (metadata.get(i).length() > GroupCoordinator.MAX_OFFSET_METADATA_LENGTH)
                {
                    partitionCode = ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
                }
                else
                {
                    begin(txn, nowMs);
                    txn.offsets.computeIfAbsent(groupId, (g) -> new TreeMap<>()).put(
                        ConsumerGroup.offsetKey(topicId, partition),
                        new ConsumerGroup.CommittedOffset(entry[2], (int)entry[3], metadata.get(i), nowMs));
                    version++;
                }
            }
            if (ErrorCode.NONE != partitionCode)
            {
                stats.onError(partitionCode);
            }
            responses.next().topicId(topicId).partition(partition).errorCode(partitionCode);
        }
        offsetsEncoder.errorMessage(ErrorCode.NONE == code ? "" : describe(code, transactionalId));
        send(sessionId, offsetsEncoder.encodedLength());
    }

    private void onEndTxn(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        endDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = endDecoder.correlationId();
        final long producerId = endDecoder.producerId();
        final short epoch = endDecoder.producerEpoch();
        final boolean isCommit = endDecoder.committed() == io.spindle.codecs.protocol.BooleanType.TRUE;
        final String transactionalId = endDecoder.transactionalId();
        final Transaction txn = byId.get(transactionalId);
        ErrorCode code = validate(txn, producerId, epoch);
        String message = ErrorCode.NONE == code ? "" : describe(code, transactionalId);
        // A retry after a lost answer (the producer asks again on a new session) finds it decided: answered the same.
        if (ErrorCode.NONE == code && !txn.isOngoing && NO_OUTCOME != txn.lastOutcome &&
            (isCommit ? COMMITTED : ABORTED) != txn.lastOutcome)
        {
            // A retry of an EndTxn already applied is answered as it was; asking for the other outcome is refused.
            code = ErrorCode.INVALID_TXN_STATE;
            message = "the transaction of '" + transactionalId + "' was already " +
                (COMMITTED == txn.lastOutcome ? "committed" : "aborted");
        }
        else if (ErrorCode.NONE == code && txn.isOngoing)
        {
            code = end(txn, isCommit, nowMs);
            version++;
            if (ErrorCode.NONE != code)
            {
                message = "could not write the transaction's markers (" + code + "): ending it again finishes it";
            }
        }
        if (ErrorCode.NONE != code)
        {
            stats.onError(code);
        }
        endEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .errorMessage(message);
        send(sessionId, endEncoder.encodedLength());
    }

    private ErrorCode partitionError(final int topicId, final int partition)
    {
        final Topic topic = topicsById.get(topicId);
        if (null == topic)
        {
            return ErrorCode.UNKNOWN_TOPIC_ID;
        }
        return null == topic.partition(partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE;
    }

    private static ErrorCode validate(final Transaction txn, final long producerId, final short epoch)
    {
        if (null == txn || txn.producerId != producerId)
        {
            return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
        }
        if (epoch < txn.epoch)
        {
            return ErrorCode.PRODUCER_FENCED;
        }
        if (epoch > txn.epoch)
        {
            return ErrorCode.INVALID_PRODUCER_EPOCH;
        }
        return ErrorCode.NONE;
    }

    private static String describe(final ErrorCode code, final String transactionalId)
    {
        switch (code)
        {
            case INVALID_PRODUCER_ID_MAPPING:
                return "transactional id '" + transactionalId + "' does not have this producer id: call " +
                    "initTransactions";
            case PRODUCER_FENCED:
                return "a newer instance of transactional id '" + transactionalId + "' fenced this producer (or its " +
                    "transaction timed out)";
            default:
                return code + " for transactional id '" + transactionalId + "'";
        }
    }

    private void begin(final Transaction txn, final long nowMs)
    {
        if (!txn.isOngoing)
        {
            txn.isOngoing = true;
            txn.deadlineMs = nowMs + txn.timeoutMs;
            host.scheduleTimer(txn.timerId, txn.deadlineMs);
        }
    }

    private void bumpEpoch(final Transaction txn)
    {
        if (txn.epoch == Short.MAX_VALUE - 1)
        {
            // The epoch is used up: the id moves to a new producer id, epoch 0.
            byProducerId.remove(txn.producerId);
            txn.producerId = producers.nextProducerId();
            txn.epoch = 0;
            byProducerId.put(txn.producerId, txn);
        }
        else
        {
            txn.epoch++;
        }
    }

    /**
     * Write the transaction's marker to each of its partitions, apply (commit) or drop (abort) its offsets. A
     * partition whose marker cannot be written stays in the transaction, which stays open: ending it again
     * finishes it.
     */
    private ErrorCode end(final Transaction txn, final boolean isCommit, final long nowMs)
    {
        ErrorCode result = ErrorCode.NONE;
        for (int i = 0; i < txn.partitions.size(); )
        {
            final long key = txn.partitions.get(i);
            final Topic topic = topicsById.get((int)(key >>> 32));
            final int partition = (int)key;
            final ErrorCode code = null == topic || null == topic.partition(partition) ? ErrorCode.NONE :
                writeMarker(topic, partition, txn.producerId, txn.epoch, isCommit, nowMs);
            if (ErrorCode.NONE == code)
            {
                txn.partitions.remove(i);
            }
            else
            {
                result = code;
                i++;
            }
        }
        if (ErrorCode.NONE != result)
        {
            return result;
        }
        if (isCommit)
        {
            for (final Map.Entry<String, TreeMap<Long, ConsumerGroup.CommittedOffset>> entry : txn.offsets.entrySet())
            {
                groups.commitTransactional(entry.getKey(), entry.getValue(), timerIds);
            }
        }
        txn.offsets.clear();
        txn.isOngoing = false;
        txn.lastOutcome = isCommit ? COMMITTED : ABORTED;
        host.cancelTimer(txn.timerId);
        return ErrorCode.NONE;
    }

    private ErrorCode writeMarker(
        final Topic topic,
        final int partition,
        final long producerId,
        final short epoch,
        final boolean isCommit,
        final long nowMs)
    {
        final PartitionLog log = topic.partition(partition);
        final int length = ControlRecord.build(markerBuilder, markerBuffer, markerScratch, producerId, epoch,
            isCommit ? ControlRecord.COMMIT : ControlRecord.ABORT, nowMs);
        final long markerOffset = log.append(markerBuffer, 0, length, nowMs);
        if (markerOffset < 0)
        {
            final ErrorCode code = PartitionLog.errorCode(markerOffset);
            final Throwable cause = null != log.lastStorageFailure() ? log.lastStorageFailure() : log.storageError();
            host.onStorageFailure(topic.name() + "-" + partition + ": transaction marker not written: " + code, cause);
            return code;
        }
        log.highWaterMark(log.logEndOffset());
        producers.onMarker(topic, partition, producerId, epoch, isCommit, markerOffset, nowMs);
        return ErrorCode.NONE;
    }

    /**
     * Write every transactional id's state, in id order.
     *
     * @param buffer   to write to.
     * @param position to write at.
     * @return the position after.
     */
    int snapshot(final ExpandableArrayBuffer buffer, final int position)
    {
        int p = position;
        buffer.putInt(p, byId.size());
        p += 4;
        for (final Transaction txn : byId.values())
        {
            p += buffer.putStringUtf8(p, txn.id);
            buffer.putLong(p, txn.producerId);
            buffer.putShort(p + 8, txn.epoch);
            buffer.putInt(p + 10, txn.timeoutMs);
            buffer.putByte(p + 14, (byte)((txn.isOngoing ? 1 : 0) | txn.lastOutcome << 1));
            buffer.putLong(p + 15, txn.deadlineMs);
            buffer.putLong(p + 23, txn.timerId);
            buffer.putInt(p + 31, txn.partitions.size());
            p += 35;
            for (final long key : txn.partitions)
            {
                buffer.putLong(p, key);
                p += 8;
            }
            buffer.putInt(p, txn.offsets.size());
            p += 4;
            for (final Map.Entry<String, TreeMap<Long, ConsumerGroup.CommittedOffset>> group : txn.offsets.entrySet())
            {
                p += buffer.putStringUtf8(p, group.getKey());
                p = ConsumerGroup.putOffsets(buffer, p, group.getValue());
            }
        }
        return p;
    }

    /**
     * Read what {@link #snapshot} wrote. Open transactions' timers are armed again at the first command when the
     * host's timers do not survive a restore.
     *
     * @param buffer   holding it.
     * @param position where it starts.
     * @return the position after.
     */
    int restore(final DirectBuffer buffer, final int position)
    {
        int p = position;
        final int count = buffer.getInt(p);
        p += 4;
        for (int i = 0; i < count; i++)
        {
            final String id = buffer.getStringUtf8(p);
            p += 4 + buffer.getInt(p);
            final Transaction txn = new Transaction(id, buffer.getLong(p), buffer.getLong(p + 23));
            txn.epoch = buffer.getShort(p + 8);
            txn.timeoutMs = buffer.getInt(p + 10);
            final byte flags = buffer.getByte(p + 14);
            txn.isOngoing = 1 == (flags & 1);
            txn.lastOutcome = (byte)(flags >> 1);
            txn.deadlineMs = buffer.getLong(p + 15);
            final int partitions = buffer.getInt(p + 31);
            p += 35;
            for (int j = 0; j < partitions; j++)
            {
                txn.partitions.add(buffer.getLong(p));
                p += 8;
            }
            final int groupCount = buffer.getInt(p);
            p += 4;
            for (int g = 0; g < groupCount; g++)
            {
                final String groupId = buffer.getStringUtf8(p);
                p += 4 + buffer.getInt(p);
                final TreeMap<Long, ConsumerGroup.CommittedOffset> map = new TreeMap<>();
                p = ConsumerGroup.getOffsets(buffer, p, map);
                txn.offsets.put(groupId, map);
            }
            byId.put(id, txn);
            byProducerId.put(txn.producerId, txn);
            byTimerId.put(txn.timerId, txn);
        }
        rearmTimers = !host.timersSurviveRestore();
        return p;
    }

    /**
     * Arm the timers of open transactions of a restored state, once the host runs (its timers did not survive).
     */
    void rearmTimersIfRestored()
    {
        if (rearmTimers)
        {
            rearmTimers = false;
            for (final Transaction txn : byId.values())
            {
                if (txn.isOngoing)
                {
                    host.scheduleTimer(txn.timerId, txn.deadlineMs);
                }
            }
        }
    }

    private void send(final long sessionId, final int bodyLength)
    {
        host.sendResponse(sessionId, responseBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength);
    }

    static long partitionKey(final int topicId, final int partition)
    {
        return ((long)topicId << 32) | (partition & 0xFFFF_FFFFL);
    }

    /**
     * A transactional id's producer and its open transaction.
     */
    private static final class Transaction
    {
        final String id;
        final long timerId;
        long producerId;
        short epoch;
        int timeoutMs;
        boolean isOngoing;
        byte lastOutcome = NO_OUTCOME;
        long deadlineMs;
        final ArrayList<Long> partitions = new ArrayList<>();
        final TreeMap<String, TreeMap<Long, ConsumerGroup.CommittedOffset>> offsets = new TreeMap<>();

        Transaction(final String id, final long producerId, final long timerId)
        {
            this.id = id;
            this.producerId = producerId;
            this.timerId = timerId;
        }
    }
}
