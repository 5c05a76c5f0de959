package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.client.WakeupException;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consumer calls a Kafka user reaches for, against a real broker: beginning, end and time-indexed offsets,
 * current lag and the consumer's counters, and wakeup breaking a blocking poll from another thread.
 */
@Timeout(120)
class ConsumerOffsetsAndWakeupTest
{
    private static final TopicPartition P0 = new TopicPartition("orders", 0);
    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    @TempDir
    Path dir;

    @Test
    void beginningEndAndTimeIndexedOffsetsOfAnyPartition()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            createOrders(broker);
            final long secondHalfFrom;
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
            {
                send(producer, 0, 5);
                final long firstHalfBy = System.currentTimeMillis();
                secondHalfFrom = firstHalfBy + 1;
                final long deadlineNs = System.nanoTime() + 5_000_000_000L;
                while (System.currentTimeMillis() < secondHalfFrom && System.nanoTime() - deadlineNs < 0)
                {
                    LockSupport.parkNanos(100_000);
                }
                send(producer, 5, 5);
            }

            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context())))
            {
                assertEquals(Map.of(P0, 0L, P1, 0L), consumer.beginningOffsets(List.of(P0, P1)));
                final Map<TopicPartition, Long> end = consumer.endOffsets(List.of(P1, P0));
                assertEquals(List.of(P1, P0), new ArrayList<>(end.keySet()), "in the order asked");
                assertEquals(Map.of(P0, 10L, P1, 0L), end);
                assertThrows(UnsupportedOperationException.class, () -> end.put(P0, 1L));

                assertEquals(Map.of(P0, 5L), consumer.offsetsForTimes(Map.of(P0, secondHalfFrom)),
                    "the first record sent after the time");
                final Map<TopicPartition, Long> fromZero = new LinkedHashMap<>();
                fromZero.put(P0, 0L);
                fromZero.put(P1, 0L);
                final Map<TopicPartition, Long> atZero = consumer.offsetsForTimes(fromZero);
                assertEquals(Map.of(P0, 0L), atZero, "an empty partition has no such offset");
                assertNull(atZero.get(P1), "absent, so get() is null as in Kafka");
                assertNull(consumer.offsetsForTimes(Map.of(P0, System.currentTimeMillis() + 3_600_000L)).get(P0));
                assertTrue(consumer.offsetsForTimes(Map.of()).isEmpty());

                final IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                    () -> consumer.offsetsForTimes(Map.of(P0, -1L)));
                assertTrue(negative.getMessage().contains("orders-0"), negative.getMessage());
                SpindleException ex = assertThrows(SpindleException.class,
                    () -> consumer.endOffsets(List.of(new TopicPartition("missing", 0))));
                assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ex.errorCode());
                ex = assertThrows(SpindleException.class,
                    () -> consumer.beginningOffsets(List.of(new TopicPartition("orders", 7))));
                assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ex.errorCode());
                assertTrue(ex.getMessage().contains("orders-7"), ex.getMessage());

                consumer.assign(List.of(P0));
                consumer.seek(P0, consumer.offsetsForTimes(Map.of(P0, secondHalfFrom)).get(P0));
                final List<String> read = new ArrayList<>();
                pollUntil(consumer, read, 5);
                assertEquals(List.of("5=v5", "6=v6", "7=v7", "8=v8", "9=v9"), read, "seek to a time reads from it");
                assertEquals(Map.of(P0, 10L), consumer.endOffsets(List.of(P0)));
                assertEquals(10L, consumer.position(P0), "listing offsets moves no position");
            }

            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                assertEquals(5L, admin.listOffset(P0, secondHalfFrom), "Admin shares the consumer's lookup");
                assertEquals(10L, admin.listOffset(P0, -1));
            }
        }
    }

    @Test
    void currentLagAndMetricsFollowWhatWasHandedOut()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            createOrders(broker);
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
            {
                send(producer, 0, 13);
            }

            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                consumer.assign(List.of(P0));
                assertEquals(OptionalLong.empty(), consumer.currentLag(P0), "unknown before the first fetch answer");
                Map<String, Number> metrics = consumer.metrics();
                assertEquals(0L, metrics.get("records-consumed-total"));
                assertEquals(1, metrics.get("assigned-partitions"));
                assertNull(metrics.get("records-lag-max"), "no lag known yet");

                final List<String> read = new ArrayList<>();
                pollUntil(consumer, read, 11);
                assertEquals(OptionalLong.of(2), consumer.currentLag(P0), "13 in the partition, 11 handed out");
                metrics = consumer.metrics();
                assertEquals(11L, metrics.get("records-consumed-total"));
                assertEquals(2L, metrics.get("records-lag-max"));
                assertEquals(2L, metrics.get("records-lag-sum"));
                assertTrue(metrics.get("poll-calls-total").longValue() >= 1, metrics.toString());
                assertTrue(metrics.get("fetch-responses-total").longValue() >= 1, metrics.toString());
                assertEquals(0L, metrics.get("reconnects-total"));

                pollUntil(consumer, read, 13);
                assertEquals(OptionalLong.of(0), consumer.currentLag(P0));
                assertEquals(consumer.endOffsets(List.of(P0)).get(P0), consumer.position(P0));
                metrics = consumer.metrics();
                assertEquals(13L, metrics.get("records-consumed-total"));
                assertEquals(0L, metrics.get("records-lag-max"));
                assertTrue(metrics.get("bytes-consumed-total").longValue() > 13 * 2, metrics.toString());
                final Map<String, Number> snapshot = metrics;
                assertThrows(UnsupportedOperationException.class, () -> snapshot.put("x", 1));

                assertThrows(IllegalStateException.class, () -> consumer.currentLag(P1), "P1 is not assigned");
            }
        }
    }

    @Test
    void wakeupFromAnotherThreadStopsABlockingPollAndLeavesTheConsumerUsable() throws InterruptedException
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            createOrders(broker);
            final CountDownLatch waiting = new CountDownLatch(1);
            final Consumer.Context ctx = broker.ipc(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST));
            ctx.idleStrategy(new ReportingIdleStrategy(waiting));
            try (Consumer consumer = Consumer.connect(ctx);
                Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
            {
                consumer.assign(List.of(P0));

                consumer.wakeup();
                assertThrows(WakeupException.class, () -> consumer.poll((record) -> {}, 10),
                    "a wakeup with no poll running wakes the next one");
                assertEquals(0, consumer.poll((record) -> {}, 10), "one wakeup, one poll");

                final AtomicReference<Throwable> wakerFailed = new AtomicReference<>();
                final Thread waker = new Thread(() ->
                {
                    try
                    {
                        if (waiting.await(30, TimeUnit.SECONDS))
                        {
                            consumer.wakeup();
                        }
                    }
                    catch (final Throwable ex)
                    {
                        wakerFailed.set(ex);
                    }
                }, "waker");
                ReportingIdleStrategy.armed = true;
                waker.start();
                final long startNs = System.nanoTime();
                assertThrows(WakeupException.class, () -> consumer.poll((record) -> {}, 10, 20_000),
                    "the poll waiting 20 s for records that never come is woken up");
                final long tookMs = (System.nanoTime() - startNs) / 1_000_000;
                waker.join(10_000);
                assertNull(wakerFailed.get(), "wakeup from another thread while the owner polls is allowed");
                assertTrue(tookMs < 10_000, "woken up after " + tookMs + " ms");

                send(producer, 0, 1);
                final List<String> read = new ArrayList<>();
                pollUntil(consumer, read, 1);
                assertEquals(List.of("0=v0"), read, "the consumer polls on after a wakeup");
            }
        }
    }

    /**
     * Back-off idling that reports, once armed, that the owner is waiting inside a blocking poll.
     */
    private static final class ReportingIdleStrategy implements IdleStrategy
    {
        static volatile boolean armed;
        private final IdleStrategy delegate = new BackoffIdleStrategy(10, 20, 1_000, 100_000);
        private final CountDownLatch waiting;

        ReportingIdleStrategy(final CountDownLatch waiting)
        {
            this.waiting = waiting;
            armed = false;
        }

        public void idle(final int workCount)
        {
            delegate.idle(workCount);
        }

        public void idle()
        {
            if (armed)
            {
                waiting.countDown();
            }
            delegate.idle();
        }

        public void reset()
        {
            delegate.reset();
        }
    }

    private static void createOrders(final TestBroker broker)
    {
        try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic("orders", 2, Map.of());
        }
    }

    private static void send(final Producer producer, final int from, final int count)
    {
        for (int i = from; i < from + count; i++)
        {
            producer.sendSync("orders", 0, bytes(Integer.toString(i)), bytes("v" + i));
        }
    }

    private static void pollUntil(final Consumer consumer, final List<String> read, final int total)
    {
        final long deadlineNs = System.nanoTime() + 30_000_000_000L;
        while (read.size() < total && System.nanoTime() - deadlineNs < 0)
        {
            consumer.poll((record) -> read.add(record.keyAsString() + "=" + record.valueAsString()),
                total - read.size(), 100);
        }
        assertEquals(total, read.size(), "records read: " + read);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
