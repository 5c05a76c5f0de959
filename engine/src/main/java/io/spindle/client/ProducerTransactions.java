/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

import io.spindle.codecs.protocol.AddPartitionsToTxnRequestEncoder;
import io.spindle.codecs.protocol.AddPartitionsToTxnResponseDecoder;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.EndTxnRequestEncoder;
import io.spindle.codecs.protocol.EndTxnResponseDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.InitProducerIdRequestEncoder;
import io.spindle.codecs.protocol.InitProducerIdResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.TxnOffsetCommitRequestEncoder;
import io.spindle.codecs.protocol.TxnOffsetCommitResponseDecoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.LongHashSet;

/**
 * The producer's side of producer ids and transactions: the requests that take a producer id
 * ({@code InitProducerId}), add a partition to the open transaction ({@code AddPartitionsToTxn}), commit group
 * offsets with it ({@code TxnOffsetCommit}) and end it ({@code EndTxn}), and the state they move a transactional
 * producer through: uninitialised, ready, in a transaction, failed in one (only an abort gets out), fenced.
 * <p>
 * Each request is a blocking call: none is on the per-record path (a partition is added once per transaction).
 * Owned by the producer's thread.
 */
final class ProducerTransactions
{
    enum State
    {
        UNINITIALIZED, READY, IN_TRANSACTION, ABORTABLE_ERROR, FENCED
    }

    private final ClientContext ctx;
    private final BlockingCaller caller;
    private final String transactionalId;
    private final int timeoutMs;
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final LongHashSet partitions = new LongHashSet();
    private State state = State.UNINITIALIZED;
    private String abortableReason;

    ProducerTransactions(
        final ClientContext ctx, final BlockingCaller caller, final String transactionalId, final int timeoutMs)
    {
        this.ctx = ctx;
        this.caller = caller;
        this.transactionalId = null == transactionalId ? "" : transactionalId;
        this.timeoutMs = timeoutMs;
    }

    boolean isTransactional()
    {
        return !transactionalId.isEmpty();
    }

    State state()
    {
        return state;
    }

    /**
     * Take a producer id: a fresh one, or for a transactional id the id's with the next epoch (fencing older
     * instances). Moves a transactional producer to ready.
     *
     * @return {producerId, epoch}.
     */
    long[] initProducerId(final BrokerConnection connection, final long correlationId)
    {
        final InitProducerIdRequestEncoder encoder = new InitProducerIdRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .transactionTimeoutMs(isTransactional() ? timeoutMs : 0)
            .producerId(-1)
            .producerEpoch((short)-1)
            .transactionalId(transactionalId);
        final long[] result = new long[2];
        call(connection, correlationId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(),
            (templateId, response, offset, length) ->
            {
                expect(InitProducerIdResponseDecoder.TEMPLATE_ID, templateId, "InitProducerId");
                final InitProducerIdResponseDecoder decoder = new InitProducerIdResponseDecoder()
                    .wrapAndApplyHeader(response, offset, headerDecoder);
                final ErrorCode code = decoder.errorCode();
                result[0] = decoder.producerId();
                result[1] = decoder.producerEpoch();
                final String message = decoder.errorMessage();
                if (ErrorCode.NONE != code)
                {
                    throw new SpindleException(code, "the broker gave no producer id: " + message);
                }
            });
        if (isTransactional())
        {
            state = State.READY;
            partitions.clear();
        }
        return result;
    }

    void begin()
    {
        requireState(State.READY, "begin a transaction");
        state = State.IN_TRANSACTION;
        partitions.clear();
        abortableReason = null;
    }

    /**
     * Whether a partition is in the open transaction already, so a batch may go to it without asking the broker.
     */
    boolean hasPartition(final int topicId, final int partition)
    {
        return State.IN_TRANSACTION == state &&
            partitions.contains(((long)topicId << 32) | (partition & 0xFFFF_FFFFL));
    }

    /**
     * Make sure a partition is in the open transaction before a batch goes to it.
     */
    void addPartition(
        final BrokerConnection connection,
        final long correlationId,
        final long producerId,
        final short epoch,
        final int topicId,
        final int partition)
    {
        requireState(State.IN_TRANSACTION, "send");
        final long key = ((long)topicId << 32) | (partition & 0xFFFF_FFFFL);
        if (partitions.contains(key))
        {
            return;
        }
        final AddPartitionsToTxnRequestEncoder encoder = new AddPartitionsToTxnRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .producerId(producerId)
            .producerEpoch(epoch);
        encoder.partitionsCount(1).next().topicId(topicId).partition(partition);
        encoder.transactionalId(transactionalId);
        call(connection, correlationId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(),
            (templateId, response, offset, length) ->
            {
                expect(AddPartitionsToTxnResponseDecoder.TEMPLATE_ID, templateId, "AddPartitionsToTxn");
                final AddPartitionsToTxnResponseDecoder decoder = new AddPartitionsToTxnResponseDecoder()
                    .wrapAndApplyHeader(response, offset, headerDecoder);
                ErrorCode code = decoder.errorCode();
                for (final AddPartitionsToTxnResponseDecoder.PartitionsDecoder entry : decoder.partitions())
                {
                    if (ErrorCode.NONE != entry.errorCode())
                    {
                        code = entry.errorCode();
                    }
                }
                final String message = decoder.errorMessage();
                check(code, "adding partition " + partition + " to the transaction failed: " + message);
            });
        partitions.add(key);
    }

    /**
     * Commit group offsets with the open transaction.
     */
    void commitOffsets(
        final BrokerConnection connection,
        final long correlationId,
        final long producerId,
        final short epoch,
        final String groupId,
        final Map<TopicPartition, OffsetAndMetadata> offsets,
        final ToIntFunction<String> topicIds)
    {
        requireState(State.IN_TRANSACTION, "send offsets to a transaction");
        final List<TopicPartition> order = new ArrayList<>(offsets.keySet());
        final TxnOffsetCommitRequestEncoder encoder = new TxnOffsetCommitRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .producerId(producerId)
            .producerEpoch(epoch);
        final TxnOffsetCommitRequestEncoder.OffsetsEncoder entries = encoder.offsetsCount(order.size());
        for (final TopicPartition tp : order)
        {
            final OffsetAndMetadata value = offsets.get(tp);
            entries.next().topicId(topicIds.applyAsInt(tp.topic())).partition(tp.partition())
                .committedOffset(value.offset()).committedLeaderEpoch(-1).metadata(value.metadata());
        }
        encoder.transactionalId(transactionalId).groupId(groupId);
        call(connection, correlationId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(),
            (templateId, response, offset, length) ->
            {
                expect(TxnOffsetCommitResponseDecoder.TEMPLATE_ID, templateId, "TxnOffsetCommit");
                final TxnOffsetCommitResponseDecoder decoder = new TxnOffsetCommitResponseDecoder()
                    .wrapAndApplyHeader(response, offset, headerDecoder);
                ErrorCode code = decoder.errorCode();
                for (final TxnOffsetCommitResponseDecoder.PartitionsDecoder entry : decoder.partitions())
                {
                    if (ErrorCode.NONE != entry.errorCode())
                    {
                        code = entry.errorCode();
                    }
                }
                final String message = decoder.errorMessage();
                check(code, "committing offsets of group '" + groupId + "' with the transaction failed: " + message);
            });
    }

    /**
     * End the open transaction.
     */
    void end(
        final BrokerConnection connection,
        final long correlationId,
        final long producerId,
        final short epoch,
        final boolean isCommit)
    {
        final EndTxnRequestEncoder encoder = new EndTxnRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .producerId(producerId)
            .producerEpoch(epoch)
            .committed(isCommit ? BooleanType.TRUE : BooleanType.FALSE)
            .transactionalId(transactionalId);
        call(connection, correlationId, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(),
            (templateId, response, offset, length) ->
            {
                expect(EndTxnResponseDecoder.TEMPLATE_ID, templateId, "EndTxn");
                final EndTxnResponseDecoder decoder = new EndTxnResponseDecoder()
                    .wrapAndApplyHeader(response, offset, headerDecoder);
                final ErrorCode code = decoder.errorCode();
                final String message = decoder.errorMessage();
                check(code, (isCommit ? "commit" : "abort") + " failed: " + message);
            });
        state = State.READY;
        partitions.clear();
        abortableReason = null;
    }

    /**
     * A record of the open transaction failed: only an abort gets out of it.
     */
    void abortable(final String reason)
    {
        if (State.IN_TRANSACTION == state)
        {
            state = State.ABORTABLE_ERROR;
            abortableReason = reason;
        }
    }

    String abortableReason()
    {
        return abortableReason;
    }

    void requireState(final State required, final String what)
    {
        if (State.FENCED == state)
        {
            throw new SpindleException(ErrorCode.PRODUCER_FENCED, "cannot " + what + ": transactional id '" +
                transactionalId + "' was fenced (a newer instance started, or a transaction timed out); close " +
                "this producer");
        }
        if (State.ABORTABLE_ERROR == state && State.IN_TRANSACTION == required)
        {
            // Not a misuse but a failure the application must react to (by aborting), as commitTransaction reports it.
            throw new SpindleException(ErrorCode.INVALID_TXN_STATE, "cannot " + what + ": the transaction cannot " +
                "commit, abort it: " + abortableReason);
        }
        if (required != state)
        {
            throw new IllegalStateException("cannot " + what + " while " + describe(state) + ("send".equals(what) &&
                State.READY == state ? " (call beginTransaction first)" : ""));
        }
    }

    private static String describe(final State state)
    {
        switch (state)
        {
            case UNINITIALIZED:
                return "initTransactions has not been called";
            case READY:
                return "no transaction is open";
            case IN_TRANSACTION:
                return "a transaction is open";
            default:
                return "the open transaction failed and must be aborted";
        }
    }

    private void check(final ErrorCode code, final String message)
    {
        if (ErrorCode.NONE == code)
        {
            return;
        }
        if (ErrorCode.PRODUCER_FENCED == code || ErrorCode.INVALID_PRODUCER_EPOCH == code ||
            ErrorCode.INVALID_PRODUCER_ID_MAPPING == code)
        {
            state = State.FENCED;
        }
        throw new SpindleException(code, message);
    }

    private static void expect(final int expected, final int templateId, final String what)
    {
        if (expected != templateId)
        {
            throw new SpindleException(ErrorCode.INVALID_REQUEST, "unexpected answer " + templateId + " to " + what);
        }
    }

    private void call(
        final BrokerConnection connection, final long correlationId, final int length,
        final BlockingCaller.ResponseDecoder decoder)
    {
        caller.call(connection, buffer, length, correlationId, decoder, ctx.requestTimeoutMs(), ctx.idleStrategy());
    }
}
