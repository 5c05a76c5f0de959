package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.ClientProperties;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.GroupDescription;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.RebalanceListener;
import io.spindle.client.RecordMetadata;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.client.WakeupException;
import io.spindle.codecs.batch.RecordHeaders;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A small Kafka application ported to Spindle's client as a Kafka user would port it, against a real broker over
 * UDP ({@code bootstrap.servers} a host and port): an order service configured from {@link Properties} sends
 * orders with {@code sendAsync} and cancellations carrying headers; a billing group of two workers, each polling
 * on its own thread in Kafka's {@code while (true) poll ... catch (WakeupException)} loop, reads both, walking the
 * headers with a for-each loop; the main thread stops them with {@code wakeup()}, as a shutdown hook would, and each
 * worker checks with {@code currentLag} and {@code endOffsets} that it consumed everything it owned.
 */
@Timeout(120)
class KafkaPortApplicationTest
{
    private static final String TOPIC = "orders";
    private static final int PARTITIONS = 3;
    private static final int ORDERS = 300;
    private static final int CANCELLED_EVERY = 10;

    @TempDir
    Path dir;

    /**
     * The ported consumer: Kafka's {@code BillingWorker}, line for line where the APIs match.
     */
    private static final class BillingWorker implements Runnable, RebalanceListener
    {
        final Consumer consumer;
        final Set<String> delivered;
        final Set<String> orders;
        final Set<String> cancellations;
        final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
        final Map<TopicPartition, OptionalLong> lagAtExit = new ConcurrentHashMap<>();
        final Map<TopicPartition, Long> positionAtExit = new ConcurrentHashMap<>();
        final Map<TopicPartition, Long> endAtExit = new ConcurrentHashMap<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean wokenUp;

        BillingWorker(
            final Properties props, final Set<String> delivered, final Set<String> orders,
            final Set<String> cancellations)
        {
            this.consumer = Consumer.connect(ClientProperties.consumerContext(props));
            this.delivered = delivered;
            this.orders = orders;
            this.cancellations = cancellations;
        }

        public void run()
        {
            try
            {
                consumer.subscribe(List.of(TOPIC), this);
                while (true)
                {
                    if (consumer.poll(this::onRecord, 500, 30_000) > 0)
                    {
                        consumer.commitSync();
                    }
                }
            }
            catch (final WakeupException ex)
            {
                wokenUp = true;
                final List<TopicPartition> assignment = consumer.assignment();
                for (final TopicPartition tp : assignment)
                {
                    lagAtExit.put(tp, consumer.currentLag(tp));
                    positionAtExit.put(tp, consumer.position(tp));
                }
                endAtExit.putAll(consumer.endOffsets(assignment));
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
            }
            finally
            {
                consumer.close();
            }
        }

        private void onRecord(final ConsumerRecord record)
        {
            delivered.add(record.partition() + "@" + record.offset());
            String type = "order";
            String orderId = null;
            for (final ConsumerRecord.Header header : record.headers())
            {
                if (header.keyEquals("type"))
                {
                    type = header.valueAsString();
                }
                else if (header.keyEquals("order-id"))
                {
                    orderId = header.valueAsString();
                }
            }
            if ("cancel".equals(type))
            {
                cancellations.add(orderId);
            }
            else
            {
                orders.add(record.keyAsString() + "=" + record.valueAsString());
            }
        }

        public void onPartitionsRevoked(final Collection<TopicPartition> partitions)
        {
            owned.removeAll(partitions);
        }

        public void onPartitionsAssigned(final Collection<TopicPartition> partitions)
        {
            owned.addAll(partitions);
        }
    }

    @Test
    void orderServiceAndBillingGroupPortedFromKafka() throws InterruptedException
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic(TOPIC, PARTITIONS, Map.of());
            final String bootstrap = broker.broker().udpEndpoint();

            final Set<String> delivered = ConcurrentHashMap.newKeySet();
            final Set<String> orders = ConcurrentHashMap.newKeySet();
            final Set<String> cancellations = ConcurrentHashMap.newKeySet();
            final List<BillingWorker> workers = new ArrayList<>();
            final List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++)
            {
                final Properties props = new Properties();
                props.put("bootstrap.servers", bootstrap);
                props.put("group.id", "billing");
                props.put("client.id", "billing-" + i);
                props.put("auto.offset.reset", "earliest");
                props.put("enable.auto.commit", false);
                props.put("session.timeout.ms", 10_000);
                props.put("heartbeat.interval.ms", 300);
                props.put("request.timeout.ms", 10_000);
                final BillingWorker worker = new BillingWorker(props, delivered, orders, cancellations);
                workers.add(worker);
                final Thread thread = new Thread(worker, "billing-" + i);
                threads.add(thread);
                thread.start();
            }
            await(() -> groupStable(admin, workers), () ->
                "the billing group stable with both workers owning partitions");

            final Set<String> sentOrders = new TreeSet<>();
            final Set<String> sentCancellations = new TreeSet<>();
            final Map<Integer, Set<Long>> offsetsByPartition = new TreeMap<>();
            final Properties props = new Properties();
            props.put("bootstrap.servers", bootstrap);
            props.put("acks", "all");
            props.put("linger.ms", 1);
            props.put("client.id", "order-service");
            try (Producer producer = Producer.connect(ClientProperties.producerContext(props)))
            {
                final List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
                for (int i = 0; i < ORDERS; i++)
                {
                    final String key = "order-" + i;
                    final String value = "amount=" + (i * 7 % 100);
                    sentOrders.add(key + "=" + value);
                    acks.add(producer.sendAsync(TOPIC, -1, bytes(key), bytes(value)));
                }

                final RecordHeaders headers = new RecordHeaders();
                final int[] cancelAcked = {0};
                for (int i = 0; i < ORDERS; i += CANCELLED_EVERY)
                {
                    final String orderId = "order-" + i;
                    sentCancellations.add(orderId);
                    headers.clear().add("type", bytes("cancel")).add("order-id", bytes(orderId));
                    final UnsafeBuffer key = new UnsafeBuffer(bytes(orderId));
                    while (producer.send(TOPIC, -1, key, 0, key.capacity(), null, 0, -1, headers,
                        (partition, offset, code) ->
                        {
                            assertEquals(ErrorCode.NONE, code);
                            cancelAcked[0]++;
                        }) == Producer.BACK_PRESSURED)
                    {
                        producer.poll();
                    }
                }

                final CompletableFuture<RecordMetadata> missing = producer.sendAsync("no-such-topic", -1, null,
                    bytes("x"));
                producer.flush();
                for (final CompletableFuture<RecordMetadata> ack : acks)
                {
                    final RecordMetadata metadata = ack.join();
                    assertEquals(TOPIC, metadata.topic());
                    assertTrue(offsetsByPartition.computeIfAbsent(metadata.partition(), (p) -> new TreeSet<>())
                        .add(metadata.offset()), "each offset once: " + metadata);
                }
                assertEquals(ORDERS / CANCELLED_EVERY, cancelAcked[0]);
                final CompletionException failed = assertThrows(CompletionException.class, missing::join);
                final SpindleException cause = assertInstanceOf(SpindleException.class, failed.getCause());
                assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, cause.errorCode());
            }
            assertEquals(PARTITIONS, offsetsByPartition.size(), "orders spread by key over every partition");

            final int total = ORDERS + ORDERS / CANCELLED_EVERY;
            await(() -> delivered.size() == total, () -> "every record delivered to the group: " + delivered.size() +
                " of " + total);
            for (final BillingWorker worker : workers)
            {
                worker.consumer.wakeup();
            }
            for (final Thread thread : threads)
            {
                thread.join(30_000);
                assertFalse(thread.isAlive(), thread.getName() + " still polling after wakeup()");
            }

            final Map<TopicPartition, Long> ends = new HashMap<>();
            for (final BillingWorker worker : workers)
            {
                assertNull(worker.failure.get(), () -> "worker failed: " + worker.failure.get());
                assertTrue(worker.wokenUp, "the poll loop ended through WakeupException");
                assertFalse(worker.endAtExit.isEmpty(), "each worker owned partitions: " + worker.endAtExit);
                for (final Map.Entry<TopicPartition, Long> end : worker.endAtExit.entrySet())
                {
                    final TopicPartition tp = end.getKey();
                    assertEquals(OptionalLong.of(0), worker.lagAtExit.get(tp), "lag of " + tp);
                    assertEquals(end.getValue(), worker.positionAtExit.get(tp), "position of " + tp);
                    assertNull(ends.put(tp, end.getValue()), tp + " owned by one worker");
                }
            }
            assertEquals(PARTITIONS, ends.size());
            assertEquals(total, ends.values().stream().mapToLong(Long::longValue).sum());
            assertEquals(sentOrders, orders);
            assertEquals(sentCancellations, cancellations, "cancellations told apart by their headers");

            final Properties check = new Properties();
            check.put("bootstrap.servers", bootstrap);
            check.put("group.id", "billing");
            try (Consumer consumer = Consumer.connect(ClientProperties.consumerContext(check)))
            {
                final Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(ends.keySet());
                for (final Map.Entry<TopicPartition, Long> end : ends.entrySet())
                {
                    assertNotNull(committed.get(end.getKey()), "committed offset of " + end.getKey());
                    assertEquals(end.getValue().longValue(), committed.get(end.getKey()).offset(),
                        "the group committed everything of " + end.getKey());
                }
                assertEquals(ends, consumer.endOffsets(ends.keySet()));
            }
        }
    }

    private static boolean groupStable(final Admin admin, final List<BillingWorker> workers)
    {
        for (final BillingWorker worker : workers)
        {
            if (null != worker.failure.get())
            {
                fail("worker failed", worker.failure.get());
            }
        }
        final GroupDescription group;
        try
        {
            group = admin.describeGroup("billing");
        }
        catch (final SpindleException ex)
        {
            return false;
        }
        if (!"Stable".equals(group.state()) || group.members().size() != workers.size())
        {
            return false;
        }
        final Set<TopicPartition> owned = new TreeSet<>();
        for (final BillingWorker worker : workers)
        {
            if (worker.owned.isEmpty())
            {
                return false;
            }
            owned.addAll(worker.owned);
        }
        int assigned = 0;
        for (final GroupDescription.MemberDescription member : group.members())
        {
            assigned += member.assignment().size();
        }
        return PARTITIONS == owned.size() && PARTITIONS == assigned;
    }

    private static void await(final BooleanSupplier condition, final Supplier<String> what)
    {
        final long deadlineNs = System.nanoTime() + 60_000_000_000L;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out waiting for " + what.get());
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
