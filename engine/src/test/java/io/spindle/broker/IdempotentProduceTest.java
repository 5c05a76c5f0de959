/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.InitProducerIdResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.log.LogConfig;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The idempotent producer's promises, on the state machine itself: a batch sent again is answered with the offset
 * it was first written at and not written twice, a gap and a stale epoch are refused, and a partition forgets an
 * idle producer only after the expiration time. What the state remembers survives a snapshot, and a standalone
 * broker whose log is ahead of its last snapshot catches up with it.
 */
class IdempotentProduceTest
{
    private static final long NOW_MS = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final BrokerRequests requests = new BrokerRequests();
    private final List<byte[]> answers = new ArrayList<>();
    private final List<Long> timers = new ArrayList<>();

    @Test
    void aRetriedBatchGetsItsFirstOffsetAndIsNotWrittenTwice()
    {
        try (BrokerStateMachine machine = newMachine())
        {
            final int topicId = createTopic(machine);
            final long producerId = initProducerId(machine);

            assertProduced(machine, topicId, producerId, 0, 3, ErrorCode.NONE, 0);
            assertProduced(machine, topicId, producerId, 3, 2, ErrorCode.NONE, 3);
            // The answer to the second batch was lost and the producer sends it again.
            assertProduced(machine, topicId, producerId, 3, 2, ErrorCode.NONE, 3);
            // So is the first, five batches later it would no longer be known; here it still is.
            assertProduced(machine, topicId, producerId, 0, 3, ErrorCode.NONE, 0);
            assertEquals(5, machine.topic("t").partition(0).logEndOffset(), "each record written once");
            assertEquals(2, machine.stats().duplicateBatches());

            assertProduced(machine, topicId, producerId, 5, 1, ErrorCode.NONE, 5);
            assertEquals(6, machine.topic("t").partition(0).logEndOffset());
        }
    }

    @Test
    void aGapAStaleEpochAndAnUnknownProducerAreRefused()
    {
        try (BrokerStateMachine machine = newMachine())
        {
            final int topicId = createTopic(machine);
            final long producerId = initProducerId(machine);
            assertProduced(machine, topicId, producerId, 0, 2, ErrorCode.NONE, 0);

            assertProduced(machine, topicId, producerId, 3, 1, ErrorCode.OUT_OF_ORDER_SEQUENCE, -1);
            // A newer instance with the next epoch starts at sequence 0 and fences the old one.
            assertProduced(machine, topicId, producerId, (short)1, 0, 1, ErrorCode.NONE, 2);
            assertProduced(machine, topicId, producerId, (short)0, 2, 1, ErrorCode.INVALID_PRODUCER_EPOCH, -1);
            // An id the broker never handed out, and a known one starting mid-sequence on a fresh partition.
            assertProduced(machine, topicId, producerId + 100, 0, 1, ErrorCode.UNKNOWN_PRODUCER_ID, -1);
            assertEquals(3, machine.topic("t").partition(0).logEndOffset(), "nothing refused was written");
        }
    }

    @Test
    void anIdleProducerIsForgottenOnlyAfterTheExpirationTime()
    {
        try (BrokerStateMachine machine = newMachine().producerIdExpirationMs(10_000))
        {
            final int topicId = createTopic(machine);
            final long producerId = initProducerId(machine);
            assertProduced(machine, topicId, producerId, 0, 2, ErrorCode.NONE, 0);

            machine.onTimer(BrokerStateMachine.RETENTION_TIMER_ID, NOW_MS + 9_000);
            assertProduced(machine, topicId, producerId, 0, 2, ErrorCode.NONE, 0, NOW_MS + 9_000);

            machine.onTimer(BrokerStateMachine.RETENTION_TIMER_ID, NOW_MS + 20_000);
            assertProduced(machine, topicId, producerId, 2, 1, ErrorCode.UNKNOWN_PRODUCER_ID, -1, NOW_MS + 20_000);
        }
    }

    @Test
    void aRestoredStateAndALogAheadOfItStillRecogniseRetries()
    {
        final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer();
        final int topicId;
        final long producerId;
        final int snapshotLength;
        try (BrokerStateMachine machine = newMachine())
        {
            topicId = createTopic(machine);
            producerId = initProducerId(machine);
            assertProduced(machine, topicId, producerId, 0, 2, ErrorCode.NONE, 0);
            snapshotLength = machine.snapshot(snapshot);
            // Written after the snapshot: a standalone broker persists its state only on metadata changes.
            assertProduced(machine, topicId, producerId, 2, 3, ErrorCode.NONE, 2);
        }

        try (BrokerStateMachine restored = newMachine())
        {
            restored.restore(snapshot, 0, snapshotLength, NOW_MS);
            assertProduced(restored, topicId, producerId, 0, 2, ErrorCode.NONE, 0);
            assertProduced(restored, topicId, producerId, 2, 3, ErrorCode.NONE, 2);
            assertProduced(restored, topicId, producerId, 5, 1, ErrorCode.NONE, 5);
            assertEquals(6, restored.topic("t").partition(0).logEndOffset());
            assertEquals(producerId + 1, initProducerId(restored), "a restored broker hands out new ids");
        }
    }

    @Test
    void anEndTxnAskedAgainIsAnsweredAsBeforeAndTheOtherOutcomeIsRefused()
    {
        try (BrokerStateMachine machine = newMachine())
        {
            final int topicId = createTopic(machine);
            apply(machine, requests.initProducerId("tx", 10_000), NOW_MS);
            final InitProducerIdResponseDecoder init = new InitProducerIdResponseDecoder()
                .wrapAndApplyHeader(lastAnswer(), 0, new MessageHeaderDecoder());
            final long producerId = init.producerId();
            final short epoch = init.producerEpoch();
            apply(machine, requests.addPartitionsToTxn("tx", producerId, epoch, topicId, 0), NOW_MS);
            apply(machine, requests.produceTransactional(topicId, 0, 2, NOW_MS, producerId, epoch, 0), NOW_MS);

            assertEquals(ErrorCode.NONE, endTxn(machine, producerId, epoch, true));
            final long logEnd = machine.topic("t").partition(0).logEndOffset();
            // The commit's answer was lost: the producer asks again and is told the same, nothing more is written.
            assertEquals(ErrorCode.NONE, endTxn(machine, producerId, epoch, true));
            assertEquals(logEnd, machine.topic("t").partition(0).logEndOffset(), "no second marker");
            assertEquals(ErrorCode.INVALID_TXN_STATE, endTxn(machine, producerId, epoch, false));
            assertEquals(machine.topic("t").partition(0).highWaterMark(),
                machine.topic("t").partition(0).lastStableOffset(), "nothing left open");
        }
    }

    private ErrorCode endTxn(final BrokerStateMachine machine, final long producerId, final short epoch,
        final boolean commit)
    {
        apply(machine, requests.endTxn("tx", producerId, epoch, commit), NOW_MS);
        return new io.spindle.codecs.protocol.EndTxnResponseDecoder()
            .wrapAndApplyHeader(lastAnswer(), 0, new MessageHeaderDecoder()).errorCode();
    }

    private BrokerStateMachine newMachine()
    {
        return new BrokerStateMachine(dir.resolve("data"), 0, "h:1", new LogConfig(), new Host()
        {
            public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset,
                final int length)
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                answers.add(copy);
            }

            public void scheduleTimer(final long correlationId, final long deadlineMs)
            {
                timers.add(correlationId);
            }

            public void cancelTimer(final long correlationId)
            {
            }

            public boolean timersSurviveRestore()
            {
                return false;
            }

            public void onStorageFailure(final String what, final Throwable cause)
            {
                throw new AssertionError(what, cause);
            }
        });
    }

    private int createTopic(final BrokerStateMachine machine)
    {
        apply(machine, requests.createTopic("t", 1, Map.of()), NOW_MS);
        return machine.topic("t").id();
    }

    private long initProducerId(final BrokerStateMachine machine)
    {
        apply(machine, requests.initProducerId(""), NOW_MS);
        final InitProducerIdResponseDecoder decoder = new InitProducerIdResponseDecoder()
            .wrapAndApplyHeader(lastAnswer(), 0, new MessageHeaderDecoder());
        assertEquals(ErrorCode.NONE, decoder.errorCode());
        assertEquals(0, decoder.producerEpoch());
        return decoder.producerId();
    }

    private void assertProduced(
        final BrokerStateMachine machine,
        final int topicId,
        final long producerId,
        final int sequence,
        final int records,
        final ErrorCode expectedCode,
        final long expectedOffset)
    {
        assertProduced(machine, topicId, producerId, (short)0, sequence, records, expectedCode, expectedOffset, NOW_MS);
    }

    private void assertProduced(
        final BrokerStateMachine machine,
        final int topicId,
        final long producerId,
        final int sequence,
        final int records,
        final ErrorCode expectedCode,
        final long expectedOffset,
        final long nowMs)
    {
        assertProduced(machine, topicId, producerId, (short)0, sequence, records, expectedCode, expectedOffset, nowMs);
    }

    private void assertProduced(
        final BrokerStateMachine machine,
        final int topicId,
        final long producerId,
        final short epoch,
        final int sequence,
        final int records,
        final ErrorCode expectedCode,
        final long expectedOffset)
    {
        assertProduced(machine, topicId, producerId, epoch, sequence, records, expectedCode, expectedOffset, NOW_MS);
    }

    private void assertProduced(
        final BrokerStateMachine machine,
        final int topicId,
        final long producerId,
        final short epoch,
        final int sequence,
        final int records,
        final ErrorCode expectedCode,
        final long expectedOffset,
        final long nowMs)
    {
        apply(machine, requests.produce(topicId, 0, records, NOW_MS, producerId, epoch, sequence), nowMs);
        final ProduceResponseDecoder decoder = new ProduceResponseDecoder()
            .wrapAndApplyHeader(lastAnswer(), 0, new MessageHeaderDecoder());
        final ProduceResponseDecoder.PartitionsDecoder partition = decoder.partitions().next();
        assertEquals(expectedCode, partition.errorCode(), "sequence " + sequence + " epoch " + epoch);
        assertEquals(expectedOffset, partition.baseOffset(), "sequence " + sequence + " epoch " + epoch);
    }

    private void apply(final BrokerStateMachine machine, final int length, final long nowMs)
    {
        machine.onRequest(1, requests.templateId(), requests.buffer(), 0, length, nowMs);
    }

    private UnsafeBuffer lastAnswer()
    {
        return new UnsafeBuffer(answers.get(answers.size() - 1));
    }
}
