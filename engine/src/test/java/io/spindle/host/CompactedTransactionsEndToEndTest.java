/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.IsolationLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A compacted topic written by a transactional producer that commits and aborts in turn, on a real broker whose
 * cleaner runs: once the cleaner has removed aborted records, a read_committed consumer reading from the start sees
 * no aborted record and ends with the latest committed value per key, and a read_uncommitted one sees only records
 * that were sent, fewer aborted ones than were sent, and the same latest values once aborted ones are left aside;
 * after a broker restart a read_committed consumer still reads to the end and sees the same.
 */
@Timeout(120)
class CompactedTransactionsEndToEndTest
{
    private static final String TOPIC = "ledger";
    private static final int KEYS = 40;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(60);

    @TempDir
    Path dir;

    @Test
    void bothIsolationLevelsReadCorrectDataAfterTheCleanerRemovedAbortedRecords()
    {
        Map<String, String> expected;
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic(TOPIC, 1, Map.of(
                "cleanup.policy", "compact",
                "segment.bytes", "8k",
                "max.message.bytes", "4k",
                "min.cleanable.dirty.ratio", "0.01",
                "delete.retention.ms", "1"));

            final Map<String, String> committed = new HashMap<>();
            int abortedSent = 0;
            int rounds = 0;
            List<String> uncommitted = List.of();
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().transactionalId("ledger"))))
            {
                producer.initTransactions();
                final long deadlineNs = System.nanoTime() + WAIT_NS;
                while (System.nanoTime() - deadlineNs < 0)
                {
                    producer.beginTransaction();
                    for (int i = 0; i < 10; i++)
                    {
                        final String key = "key-" + ((rounds * 10 + i) % KEYS);
                        final String value = "c-" + rounds + "-" + i;
                        send(producer, key, value);
                        committed.put(key, value);
                    }
                    producer.commitTransaction();

                    producer.beginTransaction();
                    for (int i = 0; i < 10; i++)
                    {
                        send(producer, "key-" + ((rounds * 3 + i) % KEYS), "a-" + rounds + "-" + i);
                        abortedSent++;
                    }
                    producer.flush();
                    producer.abortTransaction();
                    rounds++;

                    if (rounds >= 30 && rounds % 10 == 0)
                    {
                        uncommitted = consume(broker, IsolationLevel.READ_UNCOMMITTED);
                        if (count(uncommitted, "a-") < abortedSent / 2)
                        {
                            break;
                        }
                    }
                }
            }
            assertTrue(count(uncommitted, "a-") < abortedSent / 2,
                "the cleaner removed too few aborted records: " + count(uncommitted, "a-") + " of " + abortedSent);

            final List<String> readCommitted = consume(broker, IsolationLevel.READ_COMMITTED);
            assertEquals(0, count(readCommitted, "a-"), "read_committed saw aborted records");
            assertEquals(committed, fold(readCommitted, false));

            uncommitted = consume(broker, IsolationLevel.READ_UNCOMMITTED);
            assertEquals(committed, fold(uncommitted, true));
            assertTrue(readCommitted.size() < rounds * 10, "compaction removed no committed record");
            expected = committed;
        }

        // A restarted broker rebuilds its producers and aborted transactions from the cleaned log: the same.
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            final List<String> readCommitted = consume(broker, IsolationLevel.READ_COMMITTED);
            assertEquals(0, count(readCommitted, "a-"), "read_committed saw aborted records after a restart");
            assertEquals(expected, fold(readCommitted, false));
        }
    }

    private static List<String> consume(final TestBroker broker, final IsolationLevel level)
    {
        final List<String> seen = new ArrayList<>();
        try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST)
            .isolationLevel(level))))
        {
            final TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            final long end = consumer.endOffsets(List.of(tp)).get(tp);
            final long deadlineNs = System.nanoTime() + WAIT_NS;
            while (consumer.position(tp) < end && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll((record) -> seen.add(record.keyAsString() + "=" + record.valueAsString()), 1000, 100);
            }
            assertFalse(consumer.position(tp) < end, "did not read to the end " + end + " at " + level);
        }
        return seen;
    }

    private static int count(final List<String> records, final String valuePrefix)
    {
        int n = 0;
        for (final String record : records)
        {
            n += record.contains("=" + valuePrefix) ? 1 : 0;
        }
        return n;
    }

    private static Map<String, String> fold(final List<String> records, final boolean skipAborted)
    {
        final Map<String, String> latest = new HashMap<>();
        for (final String record : records)
        {
            final int at = record.indexOf('=');
            final String value = record.substring(at + 1);
            if (!skipAborted || !value.startsWith("a-"))
            {
                latest.put(record.substring(0, at), value);
            }
        }
        return latest;
    }

    private static void send(final Producer producer, final String key, final String value)
    {
        while (Producer.OK != producer.send(TOPIC, 0, bytes(key), bytes(value), null))
        {
            producer.poll();
        }
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
