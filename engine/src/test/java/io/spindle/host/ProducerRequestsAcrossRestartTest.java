/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.log.LogConfig;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The producer's own requests to the broker, not only its batches, go through a standalone broker restart: the
 * first call after the restart is a metadata lookup (a topic not sent to yet), or a transaction request
 * ({@code AddPartitionsToTxn} for a partition new to the transaction, {@code TxnOffsetCommit}, {@code EndTxn}),
 * and it must open a new session and ask again instead of failing with NETWORK_EXCEPTION (found by
 * {@link TransactionSimulationTest}).
 */
@Timeout(60)
class ProducerRequestsAcrossRestartTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(20);

    @TempDir
    Path dir;

    private MediaDriver clientDriver;
    private Aeron aeron;
    private TestBroker broker;

    @BeforeEach
    void start()
    {
        // One media driver for the clients, instead of one each: a driver takes a while to start.
        clientDriver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(TestBroker.aeronDirFor(dir.resolve("clients")))
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true));
        aeron = Aeron.connect(new Aeron.Context()
            .errorHandler(Throwable::printStackTrace).aeronDirectoryName(clientDriver.aeronDirectoryName()));
        broker = TestBroker.start(dir.resolve("data"));
    }

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(broker, aeron, clientDriver);
    }

    @ParameterizedTest
    @ValueSource(strings = {"send to a new partition", "send to a new topic", "sendOffsetsToTransaction",
        "commitTransaction", "abortTransaction", "plain send to a new topic"})
    void theFirstCallAfterABrokerRestartGoesThrough(final String firstCall)
    {
        final int port = broker.port();
        try (Admin admin = Admin.connect(udp(new ClientContext())))
        {
            admin.createTopic("first", 2, Map.of());
            admin.createTopic("second", 1, Map.of());
        }
        final boolean plain = firstCall.startsWith("plain");
        final Producer.Context ctx = udp(new Producer.Context().deliveryTimeoutMs(20_000));
        if (!plain)
        {
            ctx.transactionalId("restarted");
        }
        final List<String> expected = new ArrayList<>();
        try (Producer producer = Producer.connect(ctx))
        {
            if (!plain)
            {
                producer.initTransactions();
                producer.beginTransaction();
            }
            producer.sendSync("first", 0, null, bytes("before"));
            expected.add("first-0:before");

            broker.close();
            broker = TestBroker.start(dir.resolve("data"), new LogConfig(), port, 0);

            switch (firstCall)
            {
                case "send to a new partition":
                    producer.sendSync("first", 1, null, bytes("after"));
                    expected.add("first-1:after");
                    producer.commitTransaction();
                    break;
                case "send to a new topic":
                case "plain send to a new topic":
                    producer.sendSync("second", 0, null, bytes("after"));
                    expected.add("second-0:after");
                    if (!plain)
                    {
                        producer.commitTransaction();
                    }
                    break;
                case "sendOffsetsToTransaction":
                    producer.sendOffsetsToTransaction(
                        Map.of(new TopicPartition("second", 0), new OffsetAndMetadata(5)), "readers");
                    producer.commitTransaction();
                    break;
                case "commitTransaction":
                    producer.commitTransaction();
                    break;
                default:
                    producer.abortTransaction();
                    expected.clear();
                    break;
            }
        }
        if ("sendOffsetsToTransaction".equals(firstCall))
        {
            try (Admin admin = Admin.connect(udp(new ClientContext())))
            {
                assertEquals(5L, admin.listGroupOffsets("readers").get(new TopicPartition("second", 0)).offset());
            }
        }
        try (Producer marker = Producer.connect(udp(new Producer.Context())))
        {
            // Read up to a record after the transaction: whatever of it is visible is visible by then.
            marker.sendSync("first", 0, null, bytes("end"));
            expected.add("first-0:end");
        }
        assertEquals(expected.stream().sorted().toList(), readCommitted(expected.size()));
    }

    private <T extends ClientContext> T udp(final T ctx)
    {
        broker.udp(ctx).aeron(aeron);
        return ctx;
    }

    private List<String> readCommitted(final int count)
    {
        final List<String> seen = new ArrayList<>();
        try (Consumer consumer = Consumer.connect(udp(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST)
            .isolationLevel(IsolationLevel.READ_COMMITTED))))
        {
            consumer.assign(List.of(new TopicPartition("first", 0), new TopicPartition("first", 1),
                new TopicPartition("second", 0)));
            final long deadlineNs = System.nanoTime() + WAIT_NS;
            while (seen.size() < count && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll((record) -> seen.add(record.topic() + "-" + record.partition() + ":" +
                    record.valueAsString()), 100, 100);
            }
            final long untilNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() - untilNs < 0)
            {
                consumer.poll((record) -> seen.add(record.topic() + "-" + record.partition() + ":" +
                    record.valueAsString()), 100, 50);
            }
        }
        assertTrue(seen.size() >= count, "records seen: " + seen);
        return seen.stream().sorted().toList();
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
