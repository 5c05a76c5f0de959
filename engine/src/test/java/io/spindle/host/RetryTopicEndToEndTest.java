/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.DeadLetterHandler;
import io.spindle.client.Producer;
import io.spindle.client.RetryTopicHandler;
import io.spindle.client.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retry topics with delays under injected handler failures, on a real broker: records failing for a while are
 * processed from the first or second retry tier, no earlier than their tier's delay after they were parked, a
 * record that always fails ends on the dead-letter topic with its origin and the number of handler calls, every
 * record is processed or parked on the dead-letter topic exactly once, and the group's committed offsets cover
 * every partition of the topic and its tiers.
 */
@Timeout(60)
class RetryTopicEndToEndTest
{
    private static final int COUNT = 100;
    private static final long[] DELAYS_MS = { 300, 600 };
    private static final String TOPIC = "orders";

    @TempDir
    Path dir;

    @Test
    void everyRecordEndsProcessedOrDeadLetteredOnceAfterItsRetryDelays()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic(TOPIC, 2, Map.of());
            admin.createTopic(RetryTopicHandler.retryTopic(TOPIC, 1), 1, Map.of());
            admin.createTopic(RetryTopicHandler.retryTopic(TOPIC, 2), 1, Map.of());
            admin.createTopic(TOPIC + DeadLetterHandler.DLQ_SUFFIX, 1, Map.of());
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                for (int i = 0; i < COUNT; i++)
                {
                    producer.sendSync(TOPIC, i % 2, ("k" + i).getBytes(StandardCharsets.UTF_8),
                        Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                }
            }

            // i % 5 == 1 fails until its first retry tier, == 2 until its second, == 3 always; i % 7 == 0 fails
            // once and is retried in process.
            final Map<Integer, Integer> calls = new HashMap<>();
            final Map<Integer, Long> firstCallMs = new HashMap<>();
            final Map<Integer, String> processedAt = new HashMap<>();
            final List<Integer> processed = new ArrayList<>();
            final Consumer.RecordHandler flaky = (record) ->
            {
                final int i = Integer.parseInt(record.valueAsString());
                final int call = calls.merge(i, 1, Integer::sum);
                firstCallMs.putIfAbsent(i, System.currentTimeMillis());
                final ConsumerRecord.Header tierHeader = record.headers().lastHeader(RetryTopicHandler.HEADER_TIER);
                final int tier = null == tierHeader ? 0 : Integer.parseInt(tierHeader.valueAsString());
                if (i % 5 == 3 || (i % 5 == 1 && tier < 1) || (i % 5 == 2 && tier < 2))
                {
                    throw new IllegalStateException("failing " + i + " on tier " + tier);
                }
                if (i % 7 == 0 && 1 == call)
                {
                    throw new IllegalArgumentException("transient " + i);
                }
                if (tier > 0)
                {
                    final long waitedMs = System.currentTimeMillis() - firstCallMs.get(i);
                    final long dueAfterMs = tier == 1 ? DELAYS_MS[0] : DELAYS_MS[0] + DELAYS_MS[1];
                    assertTrue(waitedMs >= dueAfterMs, i + " processed on tier " + tier + " after " + waitedMs);
                }
                processedAt.put(i, record.topic());
                processed.add(i);
            };

            int deadLettered = 0;
            for (int i = 0; i < COUNT; i++)
            {
                deadLettered += i % 5 == 3 ? 1 : 0;
            }
            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                .groupId("g").autoOffsetReset(Consumer.OffsetReset.EARLIEST)));
                Producer parker = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
            {
                final RetryTopicHandler handler = new RetryTopicHandler(consumer, parker, flaky, 2, 1, 4, DELAYS_MS);
                consumer.subscribe(RetryTopicHandler.topics(TOPIC, DELAYS_MS.length));
                final long deadlineNs = System.nanoTime() + 40_000_000_000L;
                while (processed.size() + countDeadLettered(handler, deadLettered) < COUNT &&
                    System.nanoTime() < deadlineNs)
                {
                    handler.poll(50, 50);
                    consumer.commitSync();
                }
                consumer.commitSync();
                assertTrue(handler.delayedCount() > 0, "no retry record was found early and waited for");
            }

            assertEquals(COUNT - deadLettered, processed.size());
            assertEquals(COUNT - deadLettered, new HashSet<>(processed).size(), "each processed once");
            for (final int i : processed)
            {
                final String expectedTopic = i % 5 == 1 ? RetryTopicHandler.retryTopic(TOPIC, 1) :
                    i % 5 == 2 ? RetryTopicHandler.retryTopic(TOPIC, 2) : TOPIC;
                assertEquals(expectedTopic, processedAt.get(i), "where " + i + " was processed");
            }

            final Set<Integer> parked = new HashSet<>();
            final String dlqTopic = TOPIC + DeadLetterHandler.DLQ_SUFFIX;
            final List<String> failures = new ArrayList<>();
            try (Consumer dlq = Consumer.connect(broker.ipc(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                final TopicPartition tp = new TopicPartition(dlqTopic, 0);
                dlq.assign(List.of(tp));
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (dlq.position(tp) < deadLettered && System.nanoTime() < deadlineNs)
                {
                    dlq.poll((record) ->
                    {
                        final int i = Integer.parseInt(record.valueAsString());
                        if (!parked.add(i) ||
                            !TOPIC.equals(header(record, DeadLetterHandler.HEADER_TOPIC)) ||
                            !Integer.toString(i % 2).equals(header(record, DeadLetterHandler.HEADER_PARTITION)) ||
                            !Integer.toString(i / 2).equals(header(record, DeadLetterHandler.HEADER_OFFSET)) ||
                            !"6".equals(header(record, DeadLetterHandler.HEADER_ATTEMPTS)) ||
                            !("failing " + i + " on tier 2").equals(
                                header(record, DeadLetterHandler.HEADER_EXCEPTION_MESSAGE)))
                        {
                            failures.add("dead letter " + i + " twice or with wrong headers");
                        }
                    }, 100, 100);
                }
                assertEquals(deadLettered, dlq.position(tp), "records on the dead-letter topic");
            }
            assertEquals(List.of(), failures);
            final Set<Integer> expectedParked = new HashSet<>();
            for (int i = 3; i < COUNT; i += 5)
            {
                expectedParked.add(i);
            }
            assertEquals(expectedParked, parked);

            // Everything is committed: a new member of the group starts at the end of every partition.
            try (Consumer again = Consumer.connect(broker.ipc(new Consumer.Context().groupId("g"))))
            {
                final List<TopicPartition> partitions = List.of(new TopicPartition(TOPIC, 0),
                    new TopicPartition(TOPIC, 1), new TopicPartition(RetryTopicHandler.retryTopic(TOPIC, 1), 0),
                    new TopicPartition(RetryTopicHandler.retryTopic(TOPIC, 2), 0));
                final Map<TopicPartition, Long> ends = again.endOffsets(partitions);
                again.assign(partitions);
                for (final TopicPartition tp : partitions)
                {
                    assertEquals(ends.get(tp), again.position(tp), "committed position of " + tp);
                }
            }
        }
    }

    private static long countDeadLettered(final RetryTopicHandler handler, final int deadLettered)
    {
        // Parked counts every parking: (retry 1, retry 2, dead letter) for the always failing records, one for those
        // processed on tier 1 and two for those processed on tier 2. The loop ends once the dead letters are in.
        final long expectedParkings = COUNT / 5 + 2L * (COUNT / 5) + 3L * deadLettered;
        return handler.parkedCount() >= expectedParkings ? deadLettered : 0;
    }

    private static String header(final ConsumerRecord record, final String key)
    {
        final ConsumerRecord.Header header = record.headers().lastHeader(key);
        return null == header ? null : header.valueAsString();
    }
}
