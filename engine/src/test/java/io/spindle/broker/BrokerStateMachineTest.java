package io.spindle.broker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.CreateTopicsResponseDecoder;
import io.spindle.codecs.protocol.DeleteTopicsRequestEncoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ListOffsetsRequestEncoder;
import io.spindle.codecs.protocol.ListOffsetsResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.log.LogConfig;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The state machine stepped directly with commands and a settable clock: a snapshot restores topics, ids and
 * logs. (Same commands and time giving the same answers and state: {@link StateMachineReplayTest}.)
 */
class BrokerStateMachineTest
{
    @TempDir
    Path dir;

    private final BrokerRequests requests = new BrokerRequests();
    private final ExpandableArrayBuffer request = requests.buffer();

    @Test
    void snapshotRestoresTopicsIdsAndLogs()
    {
        final LogConfig config = new LogConfig().conclude();
        final List<byte[]> answers = new ArrayList<>();
        final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer();
        final int snapshotLength;
        final int topicId;
        try (BrokerStateMachine machine = new BrokerStateMachine(dir.resolve("s"), 0, "h:1", config, capture(answers)))
        {
            machine.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0,
                requests.createTopic("keep", 2, Map.of()), 1000);
            machine.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0,
                requests.createTopic("gone", 1, Map.of()), 1000);
            machine.onRequest(1, DeleteTopicsRequestEncoder.TEMPLATE_ID, request, 0,
                requests.deleteTopic("gone"), 1000);
            topicId = machine.topic("keep").id();
            for (int i = 0; i < 5; i++)
            {
                machine.onRequest(1, ProduceRequestEncoder.TEMPLATE_ID, request, 0,
                    requests.produce(topicId, 1, 3, 1_000L), 2000);
            }
            snapshotLength = machine.snapshot(snapshot);
        }

        answers.clear();
        try (BrokerStateMachine restored = new BrokerStateMachine(dir.resolve("s"), 0, "h:1", config, capture(answers)))
        {
            restored.restore(snapshot, 0, snapshotLength, 3000);
            assertEquals(null, restored.topic("gone"));
            assertEquals(topicId, restored.topic("keep").id());
            assertEquals(15, restored.topic("keep").partition(1).logEndOffset());
            assertEquals(15, restored.topic("keep").partition(1).highWaterMark());

            restored.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0,
                requests.createTopic("next", 1, Map.of()), 4000);
            final CreateTopicsResponseDecoder created = new CreateTopicsResponseDecoder()
                .wrapAndApplyHeader(new UnsafeBuffer(answers.get(0)), 0, new MessageHeaderDecoder());
            final CreateTopicsResponseDecoder.TopicsDecoder topic = created.topics().next();
            assertEquals(ErrorCode.NONE, topic.errorCode());
            assertEquals(topicId + 2, topic.topicId(), "ids are never reused, not even a deleted topic's");

            answers.clear();
            restored.onRequest(1, ListOffsetsRequestEncoder.TEMPLATE_ID, request, 0,
                requests.listOffsets(topicId, 1), 5000);
            final ListOffsetsResponseDecoder offsets = new ListOffsetsResponseDecoder()
                .wrapAndApplyHeader(new UnsafeBuffer(answers.get(0)), 0, new MessageHeaderDecoder());
            final ListOffsetsResponseDecoder.PartitionsDecoder entry = offsets.partitions().next();
            assertEquals(ErrorCode.NONE, entry.errorCode());
            assertEquals(15, entry.offset());

            answers.clear();
            restored.onRequest(1, ProduceRequestEncoder.TEMPLATE_ID, request, 0,
                requests.produce(topicId, 1, 2, 1_000L), 6000);
            final ProduceResponseDecoder produced = new ProduceResponseDecoder()
                .wrapAndApplyHeader(new UnsafeBuffer(answers.get(0)), 0, new MessageHeaderDecoder());
            assertEquals(15, produced.partitions().next().baseOffset());
        }
    }

    @Test
    void aTopicMayNotAllowBatchesLargerThanTheHostCarries()
    {
        final List<byte[]> answers = new ArrayList<>();
        try (BrokerStateMachine machine = new BrokerStateMachine(
            dir.resolve("l"), 0, "h:1", new LogConfig().conclude(), capture(answers)).maxMessageBytesLimit(4096))
        {
            machine.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0,
                requests.createTopic("big", 1, Map.of("max.message.bytes", "8192")), 1000);
            machine.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0,
                requests.createTopic("fits", 1, Map.of("max.message.bytes", "4096")), 1000);
        }
        final CreateTopicsResponseDecoder.TopicsDecoder big = new CreateTopicsResponseDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(answers.get(0)), 0, new MessageHeaderDecoder()).topics().next();
        assertEquals(ErrorCode.INVALID_CONFIG, big.errorCode());
        assertEquals("big", big.name());
        final String reason = big.errorMessage();
        assertTrue(reason.contains("above the 4096 bytes a request can carry"), reason);
        final CreateTopicsResponseDecoder.TopicsDecoder fits = new CreateTopicsResponseDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(answers.get(1)), 0, new MessageHeaderDecoder()).topics().next();
        assertEquals(ErrorCode.NONE, fits.errorCode());
    }

    private static Host capture(final List<byte[]> answers)
    {
        return new Host()
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
            }
        };
    }
}
