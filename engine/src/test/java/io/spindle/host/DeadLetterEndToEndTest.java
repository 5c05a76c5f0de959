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
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dead-letter helper under injected handler failures, on a real broker: every record ends processed or parked,
 * once; transient failures are retried; parked records carry their origin and the exception; the committed
 * offsets cover exactly what was processed or parked; and a record that cannot be parked is not committed past.
 */
@Timeout(60)
class DeadLetterEndToEndTest
{
    private static final int COUNT = 300;

    @TempDir
    Path dir;

    @Test
    void everyRecordEndsProcessedOrParkedOnce()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic("orders", 2, Map.of());
            admin.createTopic("orders.dlq", 1, Map.of());
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                for (int i = 0; i < COUNT; i++)
                {
                    producer.sendSync("orders", i % 2, ("k" + i).getBytes(StandardCharsets.UTF_8),
                        Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                }
            }

            final Map<Integer, Integer> calls = new HashMap<>();
            final List<Integer> processed = new ArrayList<>();
            final Consumer.RecordHandler flaky = (record) ->
            {
                final int i = Integer.parseInt(record.valueAsString());
                final int call = calls.merge(i, 1, Integer::sum);
                if (i % 7 == 0)
                {
                    throw new IllegalStateException("poison " + i);
                }
                if (i % 5 == 0 && call < 3)
                {
                    throw new IllegalArgumentException("transient " + i);
                }
                processed.add(i);
            };

            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                .groupId("g").autoOffsetReset(Consumer.OffsetReset.EARLIEST)));
                Producer dlqProducer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
            {
                final DeadLetterHandler handler = new DeadLetterHandler(consumer, dlqProducer, flaky, 3, 1, 4);
                consumer.subscribe(List.of("orders"));
                final long deadlineNs = System.nanoTime() + 30_000_000_000L;
                while (handler.processedCount() + handler.parkedCount() < COUNT && System.nanoTime() < deadlineNs)
                {
                    consumer.poll(handler, 50, 100);
                }
                consumer.commitSync();

                final int poison = (COUNT + 6) / 7;
                assertEquals(COUNT - poison, handler.processedCount());
                assertEquals(poison, handler.parkedCount());
                assertEquals(COUNT - poison, processed.size());
                assertEquals(COUNT - poison, new HashSet<>(processed).size(), "each processed once");
                for (final Map.Entry<Integer, Integer> entry : calls.entrySet())
                {
                    final int i = entry.getKey();
                    assertEquals(i % 7 == 0 || i % 5 == 0 ? 3 : 1, entry.getValue(), "calls for " + i);
                }
            }

            // The dead-letter topic holds each poison record once, with where it came from and why.
            final Set<Integer> parked = new HashSet<>();
            try (Consumer dlq = Consumer.connect(broker.ipc(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                final TopicPartition tp = new TopicPartition("orders.dlq", 0);
                dlq.assign(List.of(tp));
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (dlq.position(tp) < (COUNT + 6) / 7 && System.nanoTime() < deadlineNs)
                {
                    dlq.poll((record) ->
                    {
                        final int i = Integer.parseInt(record.valueAsString());
                        assertTrue(parked.add(i), "parked twice: " + i);
                        assertEquals("k" + i, record.keyAsString());
                        assertEquals("orders", header(record, DeadLetterHandler.HEADER_TOPIC));
                        assertEquals(Integer.toString(i % 2), header(record, DeadLetterHandler.HEADER_PARTITION));
                        assertEquals(Integer.toString(i / 2), header(record, DeadLetterHandler.HEADER_OFFSET));
                        assertTrue(Long.parseLong(header(record, DeadLetterHandler.HEADER_TIMESTAMP)) > 0);
                        assertEquals(IllegalStateException.class.getName(),
                            header(record, DeadLetterHandler.HEADER_EXCEPTION_CLASS));
                        assertEquals("poison " + i, header(record, DeadLetterHandler.HEADER_EXCEPTION_MESSAGE));
                        assertEquals("3", header(record, DeadLetterHandler.HEADER_ATTEMPTS));
                    }, 100, 100);
                }
            }
            final Set<Integer> expectedParked = new HashSet<>();
            for (int i = 0; i < COUNT; i += 7)
            {
                expectedParked.add(i);
            }
            assertEquals(expectedParked, parked);

            // The group committed everything: a new member starts at the end of both partitions.
            try (Consumer again = Consumer.connect(broker.ipc(new Consumer.Context().groupId("g"))))
            {
                final TopicPartition p0 = new TopicPartition("orders", 0);
                final TopicPartition p1 = new TopicPartition("orders", 1);
                again.assign(List.of(p0, p1));
                assertEquals(COUNT / 2, again.position(p0));
                assertEquals(COUNT / 2, again.position(p1));
            }
        }
    }

    @Test
    void aRecordThatCannotBeParkedIsNotCommittedPast()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic("jobs", 1, Map.of()); // no jobs.dlq
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                for (int i = 0; i < 5; i++)
                {
                    producer.sendSync("jobs", 0, null, Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                }
            }

            final TopicPartition tp = new TopicPartition("jobs", 0);
            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                .groupId("j").autoOffsetReset(Consumer.OffsetReset.EARLIEST)));
                Producer dlqProducer = Producer.connect(broker.ipc(new Producer.Context())))
            {
                final DeadLetterHandler handler = new DeadLetterHandler(consumer, dlqProducer, (record) ->
                {
                    if ("2".equals(record.valueAsString()))
                    {
                        throw new IllegalStateException("poison");
                    }
                }, 2, 0, 0);
                consumer.assign(List.of(tp));
                final SpindleException ex = assertThrows(SpindleException.class, () ->
                {
                    final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                    while (System.nanoTime() < deadlineNs)
                    {
                        consumer.poll(handler, 10, 100);
                    }
                });
                assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ex.errorCode(), ex.getMessage());
                assertEquals(2, handler.processedCount());
                assertEquals(2, consumer.position(tp), "sought back to the record that could not be parked");
                consumer.commitSync();
            }

            try (Consumer again = Consumer.connect(broker.ipc(new Consumer.Context().groupId("j"))))
            {
                again.assign(List.of(tp));
                assertEquals(2, again.position(tp));
            }
        }
    }

    private static String header(final ConsumerRecord record, final String key)
    {
        final ConsumerRecord.Header header = record.headers().lastHeader(key);
        assertTrue(null != header, "no header " + key);
        final byte[] bytes = new byte[header.valueLength()];
        header.buffer().getBytes(header.valueOffset(), bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
