package io.spindle.host;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicListing;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.LogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients across broker hiccups (issue 15, item 7): a broker restarted on the same data directory and
 * port under a running consumer, a consumer silent for longer than the broker's session timeout, admin
 * calls across a restart, and a bootstrap list whose first address is dead. Each consumer must carry
 * on from its position: every record once, in order.
 */
@Timeout(120)
class ClientReconnectTest
{
    private static final String TOPIC = "events";
    private static final int PARTITIONS = 2;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(40);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"udp streaming", "udp long-poll", "ipc streaming"})
    void consumerCarriesOnFromItsPositionsAcrossABrokerRestart(final String mode)
    {
        final boolean streaming = mode.endsWith("streaming");
        final Path data = dir.resolve("data");
        TestBroker broker = TestBroker.start(data);
        try
        {
            final int port = broker.port();
            createTopic(broker);
            final List<List<String>> sent = newLists();
            produce(broker, 0, 300, sent);

            final List<List<String>> received = newLists();
            final Consumer.Context ctx = new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST)
                .streaming(streaming);
            try (Consumer consumer = Consumer.connect(mode.startsWith("ipc") ? broker.ipc(ctx) : broker.udp(ctx)))
            {
                consumer.assign(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)));
                // Part of what is there, so the restart finds records fetched but not handed out yet.
                consumeUntil(consumer, received, 150);

                broker.close();
                broker = TestBroker.start(data, new LogConfig(), port, 0);
                produce(broker, 300, 300, sent);

                consumeUntil(consumer, received, 600);
            }
            assertEquals(sent, received);
        }
        finally
        {
            broker.close();
        }
    }

    @Test
    void groupConsumerCarriesOnAcrossABrokerRestart()
    {
        final Path data = dir.resolve("data");
        TestBroker broker = TestBroker.start(data);
        try
        {
            final int port = broker.port();
            createTopic(broker);
            final List<List<String>> sent = newLists();
            produce(broker, 0, 200, sent);

            final List<List<String>> received = newLists();
            try (Consumer consumer = Consumer.connect(broker.udp(new Consumer.Context()
                .groupId("restarters")
                .sessionTimeoutMs(30_000)
                .heartbeatIntervalMs(500)
                .enableAutoCommit(false)
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                consumer.subscribe(List.of(TOPIC));
                consumeUntil(consumer, received, 200);
                consumer.commitSync();

                broker.close();
                broker = TestBroker.start(data, new LogConfig(), port, 0);
                produce(broker, 200, 200, sent);

                consumeUntil(consumer, received, 400);
                consumer.commitSync();
                assertEquals(2, consumer.assignment().size());
            }
            assertEquals(sent, received);
        }
        finally
        {
            broker.close();
        }
    }

    /**
     * Modes: partitions assigned; a group member the coordinator keeps (its group session timeout is
     * long); a group member the coordinator expires meanwhile (it rejoins and starts from its commit).
     */
    @ParameterizedTest
    @ValueSource(strings = {"assigned", "group member kept", "group member expired"})
    void consumerSilentPastTheBrokersSessionTimeoutResumes(final String mode)
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"), new LogConfig(), 0,
            TimeUnit.MILLISECONDS.toNanos(1_000)))
        {
            createTopic(broker);
            final List<List<String>> sent = newLists();
            produce(broker, 0, 100, sent);

            final boolean grouped = mode.startsWith("group");
            final boolean expires = mode.endsWith("expired");
            final Consumer.Context ctx = broker.udp(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST));
            if (grouped)
            {
                ctx.groupId("sleepers")
                    .sessionTimeoutMs(expires ? 1_000 : 30_000)
                    .heartbeatIntervalMs(300)
                    .enableAutoCommit(false);
            }
            final List<List<String>> received = newLists();
            try (Consumer consumer = Consumer.connect(ctx);
                Admin admin = Admin.connect(broker.udp(new ClientContext())))
            {
                if (grouped)
                {
                    consumer.subscribe(List.of(TOPIC));
                }
                else
                {
                    consumer.assign(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)));
                }
                consumeUntil(consumer, received, 100);
                if (grouped)
                {
                    consumer.commitSync();
                }

                // Not polling: the broker times out both of the consumer's sessions (control and fetch).
                final long timedOutBefore = broker.broker().counters().sessionsTimedOut.get();
                awaitCondition(() -> broker.broker().counters().sessionsTimedOut.get() >= timedOutBefore + 2,
                    "the broker to time out the consumer's sessions");
                if (expires)
                {
                    awaitCondition(() -> admin.describeGroup("sleepers").members().isEmpty(),
                        "the coordinator to expire the member");
                }
                produce(broker, 100, 100, sent);

                consumeUntil(consumer, received, 200);
                if (grouped)
                {
                    assertEquals(2, consumer.assignment().size());
                }
            }
            assertEquals(sent, received);
        }
    }

    @Test
    void consumerGivesUpWithAClearErrorWhenTheBrokerStaysAway()
    {
        final TestBroker broker = TestBroker.start(dir.resolve("data"));
        try
        {
            createTopic(broker);
            final Consumer.Context ctx = broker.udp(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST));
            ctx.reconnectTimeoutMs(1_500).connectTimeoutMs(500);
            try (Consumer consumer = Consumer.connect(ctx))
            {
                consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
                consumer.poll((record) -> {}, 10);
                broker.close();

                final long startNs = System.nanoTime();
                final SpindleException error = assertThrows(SpindleException.class, () ->
                {
                    while (System.nanoTime() - startNs < WAIT_NS)
                    {
                        consumer.poll((record) -> {}, 10, 100);
                    }
                });
                assertEquals(ErrorCode.NETWORK_EXCEPTION, error.errorCode());
                assertTrue(error.getMessage().contains("could not open it again within 1500 ms"), error.getMessage());
                assertFalse(error.getMessage().matches(".*-\\d.*"), error.getMessage());
            }
        }
        finally
        {
            broker.close();
        }
    }

    @Test
    void adminCallsCarryOnAcrossABrokerRestart()
    {
        final Path data = dir.resolve("data");
        TestBroker broker = TestBroker.start(data);
        try
        {
            final int port = broker.port();
            try (Admin admin = Admin.connect(broker.udp(new ClientContext())))
            {
                admin.createTopic("before", 1, Map.of());

                broker.close();
                broker = TestBroker.start(data, new LogConfig(), port, 0);

                assertEquals(List.of("before"), names(admin.listTopics()));
                assertEquals(1, admin.describeTopic("before").partitions().size());

                broker.close();
                broker = TestBroker.start(data, new LogConfig(), port, 0);

                // The session was found lost before the request went out, so even a write goes through.
                admin.createTopic("after", 3, Map.of());
                assertEquals(List.of("after", "before"), names(admin.listTopics()));
            }
        }
        finally
        {
            broker.close();
        }
    }

    @Test
    void bootstrapListWhoseFirstAddressIsDeadConnectsToTheNext() throws Exception
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            final int dead = freeUdpPort();
            final ClientContext ctx = new ClientContext()
                .bootstrap("127.0.0.1:" + dead + ", 127.0.0.1:" + broker.port())
                .requestTimeoutMs(10_000)
                .connectTimeoutMs(10_000);
            try (Admin admin = Admin.connect(ctx))
            {
                admin.createTopic(TOPIC, 1, Map.of());
                assertEquals(List.of(TOPIC), names(admin.listTopics()));
            }
        }
    }

    @Test
    void bootstrapListWithNoLiveAddressNamesEveryAddressTried() throws Exception
    {
        final int first = freeUdpPort();
        final int second = freeUdpPort();
        final ClientContext ctx = new ClientContext()
            .bootstrap("127.0.0.1:" + first + ",127.0.0.1:" + second)
            .connectTimeoutMs(1_500);
        final SpindleException error = assertThrows(SpindleException.class, () -> Admin.connect(ctx).close());
        assertTrue(error.getMessage().contains("127.0.0.1:" + first) &&
            error.getMessage().contains("127.0.0.1:" + second), error.getMessage());
    }

    @Test
    void consumerUsedByASecondThreadWhileInUseFailsAtOnce() throws Exception
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            createTopic(broker);
            produce(broker, 0, 10, newLists());
            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                final TopicPartition tp = new TopicPartition(TOPIC, 0);
                consumer.assign(List.of(tp));
                final CountDownLatch inside = new CountDownLatch(1);
                final CountDownLatch release = new CountDownLatch(1);
                final AtomicReference<Throwable> pollerError = new AtomicReference<>();
                final Thread poller = new Thread(() ->
                {
                    try
                    {
                        final long deadlineNs = System.nanoTime() + WAIT_NS;
                        while (inside.getCount() > 0 && System.nanoTime() - deadlineNs < 0)
                        {
                            consumer.poll((record) ->
                            {
                                inside.countDown();
                                awaitLatch(release);
                            }, 1, 100);
                        }
                    }
                    catch (final Throwable ex)
                    {
                        pollerError.set(ex);
                    }
                }, "poller");
                poller.start();
                assertTrue(inside.await(30, TimeUnit.SECONDS), "no record reached the poller");

                final ConcurrentModificationException error = assertThrows(ConcurrentModificationException.class,
                    () -> consumer.position(tp));
                assertTrue(error.getMessage().contains("'poller'"), error.getMessage());

                release.countDown();
                poller.join(30_000);
                assertEquals(null, pollerError.get());
                // Handed back between calls: the test thread may use it again.
                assertEquals(1, consumer.position(tp));
            }
        }
    }

    private static void createTopic(final TestBroker broker)
    {
        try (Admin admin = Admin.connect(broker.udp(new ClientContext())))
        {
            admin.createTopic(TOPIC, PARTITIONS, Map.of());
        }
    }

    private static void produce(final TestBroker broker, final int first, final int count,
        final List<List<String>> sent)
    {
        try (Producer producer = Producer.connect(broker.udp(new Producer.Context().acks(-1))))
        {
            for (int i = first; i < first + count; i++)
            {
                final int partition = i % PARTITIONS;
                final String value = "r-" + i;
                producer.sendSync(TOPIC, partition, null, value.getBytes(StandardCharsets.UTF_8));
                sent.get(partition).add(value);
            }
        }
    }

    private static void consumeUntil(final Consumer consumer, final List<List<String>> received, final int total)
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (count(received) < total && System.nanoTime() - deadlineNs < 0)
        {
            consumer.poll((record) -> received.get(record.partition()).add(record.valueAsString()),
                Math.min(50, total - count(received)), 100);
        }
        assertEquals(total, count(received), "records received by now");
    }

    private static List<List<String>> newLists()
    {
        final List<List<String>> lists = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++)
        {
            lists.add(new ArrayList<>());
        }
        return lists;
    }

    private static int count(final List<List<String>> lists)
    {
        int total = 0;
        for (final List<String> list : lists)
        {
            total += list.size();
        }
        return total;
    }

    private static List<String> names(final List<TopicListing> topics)
    {
        final List<String> names = new ArrayList<>();
        for (final TopicListing topic : topics)
        {
            names.add(topic.name());
        }
        names.sort(String::compareTo);
        return names;
    }

    private static int freeUdpPort() throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    private static void awaitCondition(final java.util.function.BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "timed out waiting for " + what);
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static void awaitLatch(final CountDownLatch latch)
    {
        try
        {
            latch.await(30, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
