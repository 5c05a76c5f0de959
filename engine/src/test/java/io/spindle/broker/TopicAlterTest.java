/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.spindle.codecs.protocol.AlterTopicResponseDecoder;
import io.spindle.codecs.protocol.DescribeTopicsRequestEncoder;
import io.spindle.codecs.protocol.DescribeTopicsResponseDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.log.LogCleaner;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changing a topic after creation, stepped on the state machine: config overrides set and deleted take effect on
 * the live logs and survive a snapshot, partitions are only added and take records at once, a bad change changes
 * nothing, and describe names each value's source.
 */
class TopicAlterTest
{
    private static final long START_MS = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final BrokerRequests requests = new BrokerRequests();
    private final ExpandableArrayBuffer request = requests.buffer();
    private final List<byte[]> answers = new ArrayList<>();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final LogConfig brokerDefaults = new LogConfig().segmentMs(3_600_000).conclude();
    private final LogCleaner hostCleaner = LogCleaner.inline();
    private BrokerStateMachine machine;
    private long nowMs = START_MS;

    @BeforeEach
    void start()
    {
        machine = newMachine();
    }

    @AfterEach
    void stop()
    {
        machine.close();
        hostCleaner.close();
    }

    @Test
    void configChangesApplyToTheLiveLogsAndSurviveASnapshot()
    {
        apply(requests.createTopic("t", 1, Map.of("segment.bytes", "400", "max.message.bytes", "400")));
        final int topicId = machine.topic("t").id();
        for (int i = 0; i < 6; i++)
        {
            assertEquals(ErrorCode.NONE, produce(topicId, 0, 3));
        }
        retentionPass();
        assertEquals(0, machine.topic("t").partition(0).logStartOffset(), "7 days of retention keeps everything");

        assertEquals(ErrorCode.NONE, alter("t", 0, Map.of("retention.bytes", "0"), List.of()).code);
        assertEquals(0L, machine.topic("t").partition(0).config().retentionBytes(), "the live log has the value");
        retentionPass();
        final long startAfter = machine.topic("t").partition(0).logStartOffset();
        assertTrue(startAfter > 0, "the next retention pass applies it: log start " + startAfter);

        assertEquals(ErrorCode.NONE, alter("t", 0, Map.of("max.message.bytes", "100"), List.of()).code);
        assertEquals(ErrorCode.RECORD_TOO_LARGE, produce(topicId, 0, 3), "the next batch meets the new limit");

        final Map<String, String[]> described = describe("t");
        assertEquals(List.of("0", "topic"), List.of(described.get("retention.bytes")));
        assertEquals(List.of("100", "topic"), List.of(described.get("max.message.bytes")));
        assertEquals(List.of("3600000", "broker"), List.of(described.get("segment.ms")));
        assertEquals(List.of("604800000", "default"), List.of(described.get("retention.ms")));

        restart();
        assertEquals(Map.of("segment.bytes", "400", "max.message.bytes", "100", "retention.bytes", "0"),
            machine.topic("t").configs());
        assertEquals(100, machine.topic("t").partition(0).config().maxMessageBytes(), "restored logs have it");
        assertEquals(ErrorCode.RECORD_TOO_LARGE, produce(topicId, 0, 3));

        final Answer refused = alter("t", 0, Map.of(), List.of("max.message.bytes"));
        assertEquals(ErrorCode.INVALID_CONFIG, refused.code, "the default 1m is above this topic's segment.bytes");
        assertTrue(refused.message.contains("segment.bytes=400"), refused.message);

        assertEquals(ErrorCode.NONE,
            alter("t", 0, Map.of(), List.of("max.message.bytes", "retention.bytes", "segment.bytes")).code);
        assertEquals(Map.of(), machine.topic("t").configs());
        assertEquals(List.of("1048576", "default"), List.of(describe("t").get("max.message.bytes")),
            "deleted: the default applies again");
        assertEquals(ErrorCode.NONE, produce(topicId, 0, 3));
    }

    @Test
    void aBadChangeIsRefusedNamingTheKeyAndChangesNothing()
    {
        apply(requests.createTopic("t", 2, Map.of("retention.ms", "60000")));
        final Map<String, String> before = machine.topic("t").configs();

        Answer answer = alter("t", 0, Map.of("retention.ms", "1000", "retention.bytes", "lots"), List.of());
        assertEquals(ErrorCode.INVALID_CONFIG, answer.code);
        assertTrue(answer.message.contains("retention.bytes") && answer.message.contains("lots"), answer.message);
        assertEquals(before, machine.topic("t").configs(), "all or nothing: retention.ms was not set either");
        assertEquals(60_000L, machine.topic("t").partition(1).config().retentionMs());

        answer = alter("t", 0, Map.of("retention.minutes", "5"), List.of());
        assertEquals(ErrorCode.INVALID_CONFIG, answer.code);
        assertTrue(answer.message.contains("unknown log config 'retention.minutes'"), answer.message);

        answer = alter("t", 0, Map.of("max.message.bytes", "1g"), List.of());
        assertEquals(ErrorCode.INVALID_CONFIG, answer.code);
        assertTrue(answer.message.contains("max.message.bytes") && answer.message.contains("segment.bytes"),
            answer.message);

        answer = alter("t", 0, Map.of(), List.of("no.such.key"));
        assertEquals(ErrorCode.INVALID_CONFIG, answer.code);
        assertTrue(answer.message.contains("no.such.key"), answer.message);

        answer = alter("t", 2, Map.of(), List.of());
        assertEquals(ErrorCode.INVALID_PARTITIONS, answer.code);
        assertTrue(answer.message.contains("has 2 partitions") && answer.message.contains("only be added"),
            answer.message);
        answer = alter("t", 1, Map.of(), List.of());
        assertEquals(ErrorCode.INVALID_PARTITIONS, answer.code);
        answer = alter("t", 3, Map.of("segment.ms", "-5"), List.of());
        assertEquals(ErrorCode.INVALID_CONFIG, answer.code);
        assertEquals(2, machine.topic("t").partitionCount(), "a refused config keeps the partitions from changing");
        assertTrue(!Files.exists(dir.resolve("data").resolve("t-2")));

        answer = alter("nope", 3, Map.of(), List.of());
        assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, answer.code);
        assertEquals("topic 'nope' does not exist", answer.message);
        assertEquals(ErrorCode.INVALID_REQUEST, alter("t", 0, Map.of(), List.of()).code);
        assertEquals(before, machine.topic("t").configs());
    }

    @Test
    void addedPartitionsTakeRecordsAtOnceAndSurviveASnapshot()
    {
        apply(requests.createTopic("t", 2, Map.of("retention.ms", "60000")));
        final int topicId = machine.topic("t").id();
        assertEquals(ErrorCode.NONE, produce(topicId, 1, 4));
        final TopicTable tableBefore = machine.topicTable();
        assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, produce(topicId, 3, 1));

        final Answer answer = alter("t", 4, Map.of(), List.of());
        assertEquals(ErrorCode.NONE, answer.code, answer.message);
        assertEquals(4, answer.partitionCount);
        assertEquals(4, machine.topic("t").partitionCount());
        assertEquals(4, machine.topicTable().topic(topicId).partitionCount(), "readers see the new table");
        assertEquals(2, tableBefore.topic(topicId).partitionCount(), "and never a table changing under them");
        assertEquals(60_000L, machine.topic("t").partition(3).config().retentionMs(), "new partitions: same config");
        assertEquals(ErrorCode.NONE, produce(topicId, 3, 5));
        assertEquals(5, machine.topic("t").partition(3).logEndOffset());
        assertEquals(4, machine.topic("t").partition(1).logEndOffset(), "old partitions keep their data");
        assertEquals(4, describePartitions("t"));

        restart();
        assertEquals(4, machine.topic("t").partitionCount());
        assertEquals(5, machine.topic("t").partition(3).logEndOffset());
        assertEquals(ErrorCode.NONE, produce(topicId, 2, 1));
        assertEquals(1, machine.topic("t").partition(2).logEndOffset());
    }

    @Test
    void partitionsAddedToACompactedTopicAreCleanedOnTheHostsCleaner()
    {
        apply(requests.createTopic("c", 1, Map.of(
            "cleanup.policy", "compact", "segment.bytes", "400", "max.message.bytes", "400")));
        final int topicId = machine.topic("c").id();
        assertEquals(ErrorCode.NONE, alter("c", 2, Map.of(), List.of()).code);
        for (int i = 0; i < 6; i++)
        {
            assertEquals(ErrorCode.NONE, produce(topicId, 1, 3), "the same three keys again: " + i);
        }
        final PartitionLog added = machine.topic("c").partition(1);
        assertTrue(added.segmentCount() > 2, "segments rolled: " + added.segmentCount());

        assertTrue(added.startCleaning(true), "a cleaning of the added partition starts");
        // The host's cleaner runs each task on the submitting thread, so the pass is counted by now; on any other
        // cleaner (the process-wide one) it would not be the host's, and the broker's cleaner counters would miss it.
        assertEquals(1, hostCleaner.passes(), "the added partition cleans on the host's cleaner");
    }

    private BrokerStateMachine newMachine()
    {
        return new BrokerStateMachine(dir.resolve("data"), 0, "h:1", brokerDefaults, new Host()
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

            public LogCleaner logCleaner()
            {
                return hostCleaner;
            }
        });
    }

    private void restart()
    {
        final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer();
        final int length = machine.snapshot(snapshot);
        machine.close();
        machine = newMachine();
        machine.restore(snapshot, 0, length, nowMs);
    }

    private void retentionPass()
    {
        nowMs += BrokerStateMachine.RETENTION_CHECK_INTERVAL_MS;
        machine.onTimer(BrokerStateMachine.RETENTION_TIMER_ID, nowMs);
    }

    private UnsafeBuffer apply(final int length)
    {
        answers.clear();
        nowMs += 10;
        assertTrue(machine.onRequest(1, requests.templateId(), request, 0, length, nowMs));
        assertEquals(1, answers.size());
        return new UnsafeBuffer(answers.get(0));
    }

    private ErrorCode produce(final int topicId, final int partition, final int records)
    {
        final ProduceResponseDecoder decoder = new ProduceResponseDecoder()
            .wrapAndApplyHeader(apply(requests.produce(topicId, partition, records, nowMs)), 0, headerDecoder);
        return decoder.partitions().next().errorCode();
    }

    private record Answer(ErrorCode code, int partitionCount, String message)
    {
    }

    private Answer alter(
        final String topic, final int partitions, final Map<String, String> set, final List<String> delete)
    {
        final AlterTopicResponseDecoder decoder = new AlterTopicResponseDecoder()
            .wrapAndApplyHeader(apply(requests.alterTopic(topic, partitions, set, delete)), 0, headerDecoder);
        decoder.topicId();
        return new Answer(decoder.errorCode(), decoder.partitionCount(), decoder.errorMessage());
    }

    private DescribeTopicsResponseDecoder.TopicsDecoder describeRaw(final String topic)
    {
        final DescribeTopicsRequestEncoder encoder = new DescribeTopicsRequestEncoder()
            .wrapAndApplyHeader(request, 0, new MessageHeaderEncoder()).correlationId(9);
        encoder.topicsCount(1).next().name(topic);
        answers.clear();
        machine.onRequest(1, DescribeTopicsRequestEncoder.TEMPLATE_ID, request, 0,
            MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(), nowMs);
        return new DescribeTopicsResponseDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(answers.get(0)), 0, headerDecoder).topics().next();
    }

    private int describePartitions(final String topic)
    {
        final DescribeTopicsResponseDecoder.TopicsDecoder entry = describeRaw(topic);
        assertEquals(ErrorCode.NONE, entry.errorCode());
        return entry.partitionCount();
    }

    /**
     * Each effective config: its value and its source.
     */
    private Map<String, String[]> describe(final String topic)
    {
        final DescribeTopicsResponseDecoder.TopicsDecoder entry = describeRaw(topic);
        assertEquals(ErrorCode.NONE, entry.errorCode());
        for (final DescribeTopicsResponseDecoder.TopicsDecoder.PartitionsDecoder ignored : entry.partitions())
        {
            ignored.partition();
        }
        final Map<String, String[]> result = new LinkedHashMap<>();
        for (final DescribeTopicsResponseDecoder.TopicsDecoder.ConfigsDecoder config : entry.configs())
        {
            config.isDefault();
            final String key = config.key();
            final String value = config.value();
            result.put(key, new String[]{ value, config.source() });
        }
        return result;
    }
}
