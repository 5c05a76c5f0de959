/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A compacted topic on a real broker: a producer writes keyed records and tombstones while a slow consumer reads
 * from the start and the cleaner rewrites sealed segments under both. The consumer must see every record it gets
 * at the offset it was acknowledged at, in offset order, and end with the producer's latest value per key; a
 * consumer starting afterwards reads fewer records than were sent (compaction happened) with the same result; a
 * record without a key is refused with INVALID_RECORD.
 */
@Timeout(120)
class CompactionEndToEndTest
{
    private static final String TOPIC = "ref";
    private static final int KEYS = 200;

    @TempDir
    Path dir;

    @Test
    void slowConsumerAndFastProducerSeeTheLatestValuePerKeyWhileTheCleanerRuns() throws Exception
    {
        final Path data = dir.resolve("data");
        try (TestBroker broker = TestBroker.start(data);
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic(TOPIC, 1, Map.of(
                "cleanup.policy", "compact",
                "segment.bytes", "16k",
                "max.message.bytes", "8k",
                "min.cleanable.dirty.ratio", "0.2",
                "delete.retention.ms", "1h"));

            final Map<Long, String> sent = new ConcurrentHashMap<>();
            final AtomicReference<Throwable> sendFailure = new AtomicReference<>();
            final AtomicLong endOffset = new AtomicLong(Long.MAX_VALUE);
            final List<long[]> consumedOffsets = new ArrayList<>();
            final List<String> consumed = new ArrayList<>();
            final AtomicReference<Throwable> consumerFailure = new AtomicReference<>();
            final Thread slowConsumer = new Thread(() ->
            {
                try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
                {
                    final TopicPartition tp = new TopicPartition(TOPIC, 0);
                    consumer.assign(List.of(tp));
                    final long deadlineNs = System.nanoTime() + 90_000_000_000L;
                    while (consumer.position(tp) < endOffset.get() && System.nanoTime() < deadlineNs)
                    {
                        consumer.poll((record) ->
                        {
                            consumedOffsets.add(new long[]{ record.offset() });
                            consumed.add(record.keyAsString() + "=" + record.valueAsString());
                        }, 10, 100);
                        LockSupport.parkNanos(300_000); // a slow consumer: the load shape, not a wait
                    }
                }
                catch (final Throwable ex)
                {
                    consumerFailure.set(ex);
                }
            }, "slow-consumer");
            slowConsumer.start();

            int produced = 0;
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                final long deadlineNs = System.nanoTime() + 60_000_000_000L;
                while ((produced < 20_000 || !isCompacted(data)) && System.nanoTime() < deadlineNs)
                {
                    for (int n = 0; n < 500; n++, produced++)
                    {
                        final int i = produced;
                        final String key = "key-" + (i * 7919 % KEYS);
                        final String value = i % 23 == 0 ? null : "value-" + i + "-" + "x".repeat(i % 64);
                        while (producer.send(TOPIC, 0, key.getBytes(StandardCharsets.UTF_8),
                            null == value ? null : value.getBytes(StandardCharsets.UTF_8),
                            (partition, offset, code) ->
                            {
                                if (ErrorCode.NONE != code)
                                {
                                    sendFailure.compareAndSet(null, new IllegalStateException("send " + i + ": " +
                                        code));
                                }
                                else
                                {
                                    sent.put(offset, key + "=" + value);
                                }
                            }) == Producer.BACK_PRESSURED)
                        {
                            producer.poll();
                        }
                    }
                    producer.flush();
                }
            }
            assertNull(sendFailure.get());
            assertEquals(produced, sent.size());
            assertTrue(isCompacted(data), "the cleaner never swapped a segment in");

            long end = 0;
            for (final long offset : sent.keySet())
            {
                end = Math.max(end, offset + 1);
            }
            endOffset.set(end);
            slowConsumer.join(100_000);
            assertNull(consumerFailure.get());

            final Map<String, String> expected = latestPerKey(sent);
            final List<Long> offsets = new ArrayList<>();
            for (final long[] offset : consumedOffsets)
            {
                offsets.add(offset[0]);
            }
            assertConsumed(sent, offsets, consumed, expected, "slow consumer");

            // A consumer starting now reads the compacted log: fewer records, same latest values.
            final List<Long> laterOffsets = new ArrayList<>();
            final List<String> later = new ArrayList<>();
            readFromTheStart(broker, end, laterOffsets, later);
            assertConsumed(sent, laterOffsets, later, expected, "later consumer");
            assertTrue(later.size() < produced, "compaction removed nothing: " + later.size() + " of " + produced);

            // A fetch from an offset compaction removed gets the next surviving record, not OFFSET_OUT_OF_RANGE.
            final TreeSet<Long> survivors = new TreeSet<>(laterOffsets);
            long gap = -1;
            for (long offset = 0; offset < end && gap < 0; offset++)
            {
                gap = survivors.contains(offset) ? -1 : offset;
            }
            assertTrue(gap >= 0, "no gap");
            final long[] first = {-1};
            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context())))
            {
                final TopicPartition tp = new TopicPartition(TOPIC, 0);
                consumer.assign(List.of(tp));
                consumer.seek(tp, gap);
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (first[0] < 0 && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> first[0] = record.offset(), 1, 100);
                }
                assertEquals(first[0] + 1, consumer.position(tp));
            }
            // The cleaner may still be removing records (a pass over what was dirty when producing stopped), and it
            // only ever removes: so the first record at or after the gap when it was fetched lies between the first
            // one after the gap in the read before the fetch and the first one after it in a read after the fetch.
            final List<Long> afterOffsets = new ArrayList<>();
            readFromTheStart(broker, end, afterOffsets, new ArrayList<>());
            final Long firstAfter = new TreeSet<>(afterOffsets).ceiling(gap);
            assertTrue(survivors.contains(first[0]) && first[0] >= survivors.ceiling(gap) &&
                (null == firstAfter || first[0] <= firstAfter), "first record read from gap offset " + gap + ": " +
                first[0] + ", the first after it " + survivors.ceiling(gap) + " before and " + firstAfter + " after");

            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                final SpindleException ex = assertThrows(SpindleException.class,
                    () -> producer.sendSync(TOPIC, 0, null, "no key".getBytes(StandardCharsets.UTF_8)));
                assertEquals(ErrorCode.INVALID_RECORD, ex.errorCode());
            }
        }
    }

    /**
     * Read the partition from its start up to an offset, in order.
     */
    private static void readFromTheStart(
        final TestBroker broker, final long end, final List<Long> offsets, final List<String> keyValues)
    {
        try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
        {
            final TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            final long deadlineNs = System.nanoTime() + 30_000_000_000L;
            while (consumer.position(tp) < end && System.nanoTime() < deadlineNs)
            {
                consumer.poll((record) ->
                {
                    offsets.add(record.offset());
                    keyValues.add(record.keyAsString() + "=" + record.valueAsString());
                }, 1000, 100);
            }
            assertEquals(end, consumer.position(tp));
        }
    }

    private static void assertConsumed(
        final Map<Long, String> sent,
        final List<Long> offsets,
        final List<String> records,
        final Map<String, String> expected,
        final String who)
    {
        long previous = -1;
        final Map<String, String> state = new HashMap<>();
        for (int i = 0; i < offsets.size(); i++)
        {
            final long offset = offsets.get(i);
            assertTrue(offset > previous, who + ": offset " + offset + " after " + previous);
            assertEquals(sent.get(offset), records.get(i), who + ": record at offset " + offset);
            previous = offset;
            apply(state, records.get(i));
        }
        assertEquals(expected, state, who + ": latest value per key");
    }

    private static Map<String, String> latestPerKey(final Map<Long, String> sent)
    {
        final Map<String, String> state = new HashMap<>();
        sent.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach((e) -> apply(state, e.getValue()));
        return state;
    }

    private static void apply(final Map<String, String> state, final String keyValue)
    {
        final int eq = keyValue.indexOf('=');
        final String key = keyValue.substring(0, eq);
        final String value = keyValue.substring(eq + 1);
        if ("null".equals(value))
        {
            state.remove(key);
        }
        else
        {
            state.put(key, value);
        }
    }

    private static boolean isCompacted(final Path data)
    {
        return Files.exists(data.resolve(TOPIC + "-0").resolve("compacted"));
    }
}
