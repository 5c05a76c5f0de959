package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Partitioner;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicDescription;
import io.spindle.client.TopicListing;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class BrokerEndToEndTest
{
    @TempDir
    Path dir;

    private <T extends ClientContext> T client(final TestBroker broker, final String transport, final T ctx)
    {
        return "ipc".equals(transport) ? broker.ipc(ctx) : broker.udp(ctx);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ipc", "udp"})
    void keyedRecordsLandWhereKafkaPutsThemAndArriveInOrder(final String transport)
    {
        final int partitions = 4;
        final int count = 2_000;
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(client(broker, transport, new ClientContext())))
            {
                admin.createTopic("orders", partitions, Map.of("retention.ms", "3600000"));
                final List<TopicListing> topics = admin.listTopics();
                assertEquals(1, topics.size());
                assertEquals("orders", topics.get(0).name());
                assertEquals(partitions, topics.get(0).partitionCount());
            }

            final Map<Integer, List<String>> sentByPartition = new HashMap<>();
            final long[] offsets = new long[count];
            try (Producer producer = Producer.connect(client(broker, transport, new Producer.Context().acks(-1))))
            {
                for (int i = 0; i < count; i++)
                {
                    final String key = "key-" + (i % 37);
                    final String value = "value-" + i;
                    final byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
                    final int expected = Partitioner.partition(new UnsafeBuffer(keyBytes), 0, keyBytes.length,
                        partitions);
                    sentByPartition.computeIfAbsent(expected, (p) -> new ArrayList<>()).add(key + "=" + value);
                    final int index = i;
                    while (producer.send("orders", -1, keyBytes, value.getBytes(StandardCharsets.UTF_8),
                        (partition, offset, code) ->
                        {
                            assertEquals(ErrorCode.NONE, code);
                            assertEquals(expected, partition);
                            offsets[index] = offset;
                        }) == Producer.BACK_PRESSURED)
                    {
                        producer.poll();
                    }
                }
                producer.flush();
                assertEquals(count, producer.ackedCount());
            }

            final Map<Integer, List<String>> received = new HashMap<>();
            try (Consumer consumer = Consumer.connect(client(broker, transport,
                new Consumer.Context().autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                final List<TopicPartition> assignment = new ArrayList<>();
                for (int p = 0; p < partitions; p++)
                {
                    assignment.add(new TopicPartition("orders", p));
                }
                consumer.assign(assignment);
                final long deadlineNs = System.nanoTime() + 30_000_000_000L;
                int total = 0;
                while (total < count && System.nanoTime() < deadlineNs)
                {
                    total += consumer.poll((record) -> received
                        .computeIfAbsent(record.partition(), (p) -> new ArrayList<>())
                        .add(record.keyAsString() + "=" + record.valueAsString()), 100, 100);
                }
                assertEquals(count, total);
                for (final TopicPartition tp : assignment)
                {
                    assertEquals(sentByPartition.getOrDefault(tp.partition(), List.of()).size(), consumer.position(tp));
                }
            }
            assertEquals(sentByPartition, received);

            try (Admin admin = Admin.connect(client(broker, transport, new ClientContext())))
            {
                final TopicDescription description = admin.describeTopic("orders");
                long total = 0;
                for (final TopicDescription.PartitionDescription p : description.partitions())
                {
                    assertEquals(p.logEndOffset(), p.highWatermark());
                    total += p.logEndOffset();
                }
                assertEquals(count, total);
                assertEquals("3600000", description.configs().get("retention.ms"));
                assertEquals(List.of("retention.ms"), description.overrides());
            }
        }
    }

    @Test
    void restartOnTheSameDataDirectoryKeepsTopicsAndAcknowledgedRecords()
    {
        final Path data = dir.resolve("data");
        final List<Long> acked = new ArrayList<>();
        try (TestBroker broker = TestBroker.start(data))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("durable", 2, Map.of());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                for (int i = 0; i < 500; i++)
                {
                    acked.add(producer.sendSync("durable", i % 2, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
                }
            }
        }

        try (TestBroker broker = TestBroker.start(data))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                final TopicDescription description = admin.describeTopic("durable");
                assertEquals(250, description.partitions().get(0).logEndOffset());
                assertEquals(250, description.partitions().get(1).logEndOffset());
            }
            final List<String> values = new ArrayList<>();
            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                consumer.assign(List.of(new TopicPartition("durable", 0)));
                final long deadlineNs = System.nanoTime() + 20_000_000_000L;
                while (values.size() < 250 && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> values.add(record.valueAsString()), 100, 100);
                }
            }
            assertEquals(250, values.size());
            for (int i = 0; i < 250; i++)
            {
                assertEquals("r" + (2 * i), values.get(i));
            }
        }
        assertEquals(500, acked.size());
    }

    @Test
    void seekPauseResumeAndLongPoll()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("t", 2, Map.of());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context())))
            {
                for (int i = 0; i < 100; i++)
                {
                    producer.sendSync("t", i % 2, null, ("v" + i).getBytes(StandardCharsets.UTF_8));
                }
            }
            final TopicPartition p0 = new TopicPartition("t", 0);
            final TopicPartition p1 = new TopicPartition("t", 1);
            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context().streaming(false)
                .fetchMaxWaitMs(50).autoOffsetReset(Consumer.OffsetReset.NONE))))
            {
                consumer.assign(List.of(p0, p1));
                assertThrows(SpindleException.class, () -> consumer.poll((r) -> {}, 10));
                consumer.seek(p0, 40);
                consumer.seekToEnd(List.of(p1));
                assertEquals(50, consumer.position(p1));
                final List<Long> offsets = new ArrayList<>();
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (offsets.size() < 10 && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> offsets.add(record.offset()), 3, 50);
                }
                assertEquals(List.of(40L, 41L, 42L, 43L, 44L, 45L, 46L, 47L, 48L, 49L), offsets);

                consumer.seekToBeginning(List.of(p0));
                consumer.pause(List.of(p0));
                assertEquals(0, consumer.poll((record) -> {}, 10, 200));
                consumer.resume(List.of(p0));
                final String[] first = {null};
                while (null == first[0] && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> first[0] = record.valueAsString(), 1, 50);
                }
                assertEquals("v0", first[0]);
            }
        }
    }

    @Test
    void retentionDeletesOldSegmentsAndConsumersStartAtTheNewLogStart()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("short", 1, Map.of(
                    "segment.bytes", "4096", "max.message.bytes", "2048", "retention.ms", "1"));
                try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
                {
                    for (int i = 0; i < 200; i++)
                    {
                        producer.sendSync("short", 0, null, new byte[100]);
                    }
                }

                long logStartOffset = 0;
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (logStartOffset == 0 && System.nanoTime() < deadlineNs)
                {
                    LockSupport.parkNanos(50_000_000);
                    logStartOffset = admin.describeTopic("short").partitions().get(0).logStartOffset();
                }
                assertTrue(logStartOffset > 0, "retention never moved the log start");
                assertTrue(logStartOffset < 200, "retention deleted the active segment: " + logStartOffset);

                try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
                {
                    consumer.assign(List.of(new TopicPartition("short", 0)));
                    final long[] first = {-1};
                    final long pollDeadlineNs = System.nanoTime() + 10_000_000_000L;
                    while (first[0] < 0 && System.nanoTime() < pollDeadlineNs)
                    {
                        consumer.poll((record) -> first[0] = first[0] < 0 ? record.offset() : first[0], 1, 100);
                    }
                    assertTrue(first[0] >= logStartOffset, "consumed " + first[0] + " below log start " +
                        logStartOffset);
                }
            }
        }
    }

    @Test
    void brokerWithItsDriverOnItsOwnThreadServesIpcAndUdp()
    {
        final String aeronDir = TestBroker.aeronDirFor(dir.resolve("invoker"));
        try (StandaloneBroker broker = StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("invoker"))
            .embeddedDriverDirectoryName(aeronDir)
            .driverDirDeleteOnStart(true)
            .listen("127.0.0.1", 0)
            .driverThreadingMode(io.aeron.driver.ThreadingMode.INVOKER)))
        {
            try (Admin admin = Admin.connect(new ClientContext().bootstrap(broker.udpEndpoint())))
            {
                admin.createTopic("inv", 1, Map.of());
            }
            final ClientContext ipc = new Producer.Context().bootstrap("ipc").aeronDirectoryName(aeronDir);
            try (Producer producer = Producer.connect((Producer.Context)ipc))
            {
                assertEquals(0, producer.sendSync("inv", 0, null, "one".getBytes(StandardCharsets.UTF_8)));
                assertEquals(1, producer.sendSync("inv", 0, null, "two".getBytes(StandardCharsets.UTF_8)));
            }
            final List<String> values = new ArrayList<>();
            try (Consumer consumer = Consumer.connect((Consumer.Context)new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST).bootstrap(broker.udpEndpoint())))
            {
                consumer.assign(List.of(new TopicPartition("inv", 0)));
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (values.size() < 2 && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> values.add(record.valueAsString()), 10, 100);
                }
            }
            assertEquals(List.of("one", "two"), values);
        }
    }

    @Test
    void clientsCanShareTheApplicationsAeronClient()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            io.aeron.Aeron aeron = io.aeron.Aeron.connect(
                new io.aeron.Aeron.Context().errorHandler(Throwable::printStackTrace)
                    .aeronDirectoryName(broker.aeronDir())))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext()).aeron(aeron)))
            {
                admin.createTopic("shared", 1, Map.of());
            }
            final List<String> values = new ArrayList<>();
            try (Producer producer =
                Producer.connect((Producer.Context)broker.ipc(new Producer.Context()).aeron(aeron));
                Consumer consumer = Consumer.connect((Consumer.Context)broker.ipc(new Consumer.Context()
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST)).aeron(aeron)))
            {
                producer.sendSync("shared", 0, null, "x".getBytes(StandardCharsets.UTF_8));
                consumer.assign(List.of(new TopicPartition("shared", 0)));
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (values.isEmpty() && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> values.add(record.valueAsString()), 10, 100);
                }
            }
            assertEquals(List.of("x"), values);
            assertTrue(!aeron.isClosed(), "closing Spindle clients must not close the application's Aeron client");
        }
    }

    @Test
    void adminErrorsAreClearAndCarryKafkasCodes()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic("exists", 1, Map.of());
            assertEquals(ErrorCode.TOPIC_ALREADY_EXISTS,
                assertThrows(SpindleException.class, () -> admin.createTopic("exists", 1, Map.of())).errorCode());
            final SpindleException invalid = assertThrows(SpindleException.class,
                () -> admin.createTopic("bad/name", 1, Map.of()));
            assertEquals(ErrorCode.INVALID_TOPIC, invalid.errorCode());
            assertTrue(invalid.getMessage().contains("illegal character"), invalid.getMessage());
            assertEquals(ErrorCode.INVALID_PARTITIONS,
                assertThrows(SpindleException.class, () -> admin.createTopic("zero", 0, Map.of())).errorCode());
            assertEquals(ErrorCode.INVALID_CONFIG, assertThrows(SpindleException.class,
                () -> admin.createTopic("cfg", 1, Map.of("retention.ms", "soon"))).errorCode());
            assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                assertThrows(SpindleException.class, () -> admin.describeTopic("missing")).errorCode());
            assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                assertThrows(SpindleException.class, () -> admin.deleteTopic("missing")).errorCode());

            final long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (broker.broker().counters().requestErrors.get() < 6 && System.nanoTime() < deadlineNs)
            {
                LockSupport.parkNanos(1_000_000);
            }
            assertTrue(broker.broker().counters().requestErrors.get() >= 6,
                "request errors counted: " + broker.broker().counters().requestErrors.get());

            admin.deleteTopic("exists");
            assertTrue(admin.listTopics().isEmpty());
            admin.createTopic("exists", 3, Map.of());
            assertEquals(3, admin.describeTopic("exists").partitions().size());
            assertEquals(0, admin.describeTopic("exists").partitions().get(0).logEndOffset());
        }
    }

    @Test
    void producerRefusesUnknownTopicsAndOversizedRecords()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("small", 1, Map.of("max.message.bytes", "1024"));
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context())))
            {
                assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, assertThrows(SpindleException.class,
                    () -> producer.sendSync("nope", -1, null, new byte[1])).errorCode());
                assertEquals(ErrorCode.RECORD_TOO_LARGE, assertThrows(SpindleException.class,
                    () -> producer.sendSync("small", 0, null, new byte[4096])).errorCode());
                assertEquals(0, producer.sendSync("small", 0, null, new byte[10]));
            }
        }
    }
}
