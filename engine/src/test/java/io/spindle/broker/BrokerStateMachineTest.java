package io.spindle.broker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.CreateTopicsResponseDecoder;
import io.spindle.codecs.protocol.DeleteTopicsRequestEncoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ListOffsetsRequestEncoder;
import io.spindle.codecs.protocol.ListOffsetsResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.log.LogConfig;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The state machine stepped directly with commands and a settable clock: same commands, same time,
 * same answers and same state — the property the clustered host relies on.
 */
class BrokerStateMachineTest
{
    @TempDir
    Path dir;

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ExpandableArrayBuffer request = new ExpandableArrayBuffer(4096);

    @Test
    void sameCommandsAndTimeGiveTheSameAnswersAndState()
    {
        final List<byte[]> answersA = new ArrayList<>();
        final List<byte[]> answersB = new ArrayList<>();
        final LogConfig config = new LogConfig().segmentBytes(16 * 1024).maxMessageBytes(8 * 1024).conclude();
        try (BrokerStateMachine a = new BrokerStateMachine(dir.resolve("a"), 0, "a:1", config, capture(answersA));
            BrokerStateMachine b = new BrokerStateMachine(dir.resolve("b"), 0, "a:1", config, capture(answersB)))
        {
            final long seed = System.nanoTime();
            final Random random = new Random(seed);
            long nowMs = 1_700_000_000_000L;
            for (int i = 0; i < 400; i++)
            {
                nowMs += random.nextInt(50);
                final int length = randomCommand(random, i);
                a.onRequest(7, templateId(), request, 0, length, nowMs);
                b.onRequest(7, templateId(), request, 0, length, nowMs);
                a.onTick(nowMs);
                b.onTick(nowMs);
            }

            assertEquals(answersA.size(), answersB.size(), "seed " + seed);
            for (int i = 0; i < answersA.size(); i++)
            {
                assertArrayEquals(answersA.get(i), answersB.get(i), "answer " + i + " differs, seed " + seed);
            }
            final ExpandableArrayBuffer snapshotA = new ExpandableArrayBuffer();
            final ExpandableArrayBuffer snapshotB = new ExpandableArrayBuffer();
            final int lengthA = a.snapshot(snapshotA);
            final int lengthB = b.snapshot(snapshotB);
            assertEquals(lengthA, lengthB);
            assertEquals(0, snapshotA.compareTo(snapshotB), "seed " + seed);
            for (final String name : new String[]{"t0", "t1", "t2"})
            {
                final Topic topicA = a.topic(name);
                final Topic topicB = b.topic(name);
                assertEquals(null == topicA, null == topicB);
                if (null != topicA)
                {
                    for (int p = 0; p < topicA.partitionCount(); p++)
                    {
                        assertEquals(topicA.partition(p).logEndOffset(), topicB.partition(p).logEndOffset());
                    }
                }
            }
        }
    }

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
            machine.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0, createTopic("keep", 2), 1000);
            machine.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0, createTopic("gone", 1), 1000);
            machine.onRequest(1, DeleteTopicsRequestEncoder.TEMPLATE_ID, request, 0, deleteTopic("gone"), 1000);
            topicId = machine.topic("keep").id();
            for (int i = 0; i < 5; i++)
            {
                machine.onRequest(1, ProduceRequestEncoder.TEMPLATE_ID, request, 0, produce(topicId, 1, 3), 2000);
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

            restored.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0, createTopic("next", 1), 4000);
            final CreateTopicsResponseDecoder created = new CreateTopicsResponseDecoder()
                .wrapAndApplyHeader(new UnsafeBuffer(answers.get(0)), 0, new MessageHeaderDecoder());
            final CreateTopicsResponseDecoder.TopicsDecoder topic = created.topics().next();
            assertEquals(ErrorCode.NONE, topic.errorCode());
            assertEquals(topicId + 2, topic.topicId(), "ids are never reused, not even a deleted topic's");

            answers.clear();
            restored.onRequest(1, ListOffsetsRequestEncoder.TEMPLATE_ID, request, 0, listOffsets(topicId, 1), 5000);
            final ListOffsetsResponseDecoder offsets = new ListOffsetsResponseDecoder()
                .wrapAndApplyHeader(new UnsafeBuffer(answers.get(0)), 0, new MessageHeaderDecoder());
            final ListOffsetsResponseDecoder.PartitionsDecoder entry = offsets.partitions().next();
            assertEquals(ErrorCode.NONE, entry.errorCode());
            assertEquals(15, entry.offset());

            answers.clear();
            restored.onRequest(1, ProduceRequestEncoder.TEMPLATE_ID, request, 0, produce(topicId, 1, 2), 6000);
            final ProduceResponseDecoder produced = new ProduceResponseDecoder()
                .wrapAndApplyHeader(new UnsafeBuffer(answers.get(0)), 0, new MessageHeaderDecoder());
            assertEquals(15, produced.partitions().next().baseOffset());
        }
    }

    private int templateIdOfLastCommand;

    private int templateId()
    {
        return templateIdOfLastCommand;
    }

    private int randomCommand(final Random random, final int i)
    {
        final int choice = i < 3 ? 0 : random.nextInt(10);
        if (choice == 0)
        {
            return createTopic("t" + random.nextInt(3), 1 + random.nextInt(3));
        }
        if (choice == 1)
        {
            return deleteTopic("t" + random.nextInt(3));
        }
        if (choice == 2)
        {
            return listOffsets(1 + random.nextInt(4), random.nextInt(3));
        }
        return produce(1 + random.nextInt(4), random.nextInt(3), 1 + random.nextInt(20));
    }

    private int createTopic(final String name, final int partitions)
    {
        templateIdOfLastCommand = CreateTopicsRequestEncoder.TEMPLATE_ID;
        final CreateTopicsRequestEncoder encoder = new CreateTopicsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(1).timeoutMs(1000).validateOnly(BooleanType.FALSE);
        final CreateTopicsRequestEncoder.TopicsEncoder topic = encoder.topicsCount(1).next()
            .partitionCount(partitions).replicationFactor((short)-1);
        topic.configsCount(0);
        topic.name(name);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private int deleteTopic(final String name)
    {
        templateIdOfLastCommand = DeleteTopicsRequestEncoder.TEMPLATE_ID;
        final DeleteTopicsRequestEncoder encoder = new DeleteTopicsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder).correlationId(2).timeoutMs(1000);
        encoder.topicsCount(1).next().name(name);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private int listOffsets(final int topicId, final int partition)
    {
        templateIdOfLastCommand = ListOffsetsRequestEncoder.TEMPLATE_ID;
        final ListOffsetsRequestEncoder encoder = new ListOffsetsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder).correlationId(3);
        encoder.partitionsCount(1).next().topicId(topicId).partition(partition).timestamp(-1);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private int produce(final int topicId, final int partition, final int records)
    {
        templateIdOfLastCommand = ProduceRequestEncoder.TEMPLATE_ID;
        final UnsafeBuffer batch = new UnsafeBuffer(new byte[64 + records * 64]);
        final RecordBatchBuilder builder = new RecordBatchBuilder().wrap(batch, 0, batch.capacity());
        for (int r = 0; r < records; r++)
        {
            builder.append(1_000L + r, ("k" + r).getBytes(), ("v" + r).getBytes());
        }
        final int batchLength = builder.build();
        final ProduceRequestEncoder encoder = new ProduceRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(4).acks((short)1).timeoutMs(1000).producerId(-1).producerEpoch((short)-1);
        encoder.partitionsCount(1).next().topicId(topicId).partition(partition).putRecordBatch(batch, 0, batchLength);
        encoder.transactionalId("");
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private static Host capture(final List<byte[]> answers)
    {
        return new Host()
        {
            public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
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
