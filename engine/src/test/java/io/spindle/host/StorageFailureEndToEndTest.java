package io.spindle.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicListing;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.LogConfig;
import io.spindle.log.SmallFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Storage failures under a running broker: a full disk (a real small tmpfs) answers produce with
 * KAFKA_STORAGE_ERROR, keeps serving fetches, loses no acknowledged record, resumes once space is freed and
 * restarts on the still-full disk; a topic create that fails midway leaves nothing behind.
 */
class StorageFailureEndToEndTest
{
    private static final String TOPIC = "full";

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void aFullDiskRefusesProduceServesFetchesAndLosesNoAcknowledgedRecord() throws IOException
    {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("mnt"), "8m"))
        {
            final Path data = fs.root().resolve("data");
            final LogConfig config = new LogConfig().segmentBytes(1024 * 1024);
            final TreeMap<Long, String> acked = new TreeMap<>();
            try (TestBroker broker = TestBroker.start(data, config))
            {
                try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
                {
                    admin.createTopic(TOPIC, 1, Map.of());
                }
                final Path ballast = fs.ballast("ballast", 2 * 1024 * 1024);
                try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
                {
                    final int refused = produceUntilRefused(producer, acked);
                    assertTrue(refused > 0, "the disk never filled");
                    assertTrue(acked.size() > 1000, "acknowledged " + acked.size());

                    assertAllConsumed(broker, acked, "fetches while the disk is full");
                    final SpindleException stillFull = assertThrows(SpindleException.class,
                        () -> producer.sendSync(TOPIC, 0, null, bytes("while-full")));
                    assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, stillFull.errorCode());

                    final java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
                    broker.broker().errorLog().markFile().printErrors(
                        new java.io.PrintStream(errors, true, java.nio.charset.StandardCharsets.UTF_8));
                    final String errorLog = errors.toString(java.nio.charset.StandardCharsets.UTF_8);
                    assertTrue(errorLog.contains("io.spindle.monitor.StorageFailureException: " + TOPIC +
                        "-0: storage error: "), "the error log has the storage failure: " + errorLog);

                    Files.delete(ballast);
                    final long offset = producer.sendSync(TOPIC, 0, null, bytes("after-freeing"));
                    acked.put(offset, "after-freeing");
                }
                assertAllConsumed(broker, acked, "after freeing");
            }

            // Restart on a disk with no space at all: recovery reads, the broker serves fetches and refuses produce.
            final Path filler = fs.fill("filler");
            try (TestBroker broker = TestBroker.start(data, config))
            {
                assertAllConsumed(broker, acked, "after a restart on a full disk");
                try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
                {
                    final SpindleException full = assertThrows(SpindleException.class,
                        () -> producer.sendSync(TOPIC, 0, null, bytes("restarted-full")));
                    assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, full.errorCode());

                    Files.delete(filler);
                    final long offset = producer.sendSync(TOPIC, 0, null, bytes("restarted-freed"));
                    acked.put(offset, "restarted-freed");
                }
                assertAllConsumed(broker, acked, "at the end");
            }
        }
    }

    @Test
    @Timeout(30)
    void aTopicCreateThatFailsMidwayLeavesNoPartitionDirectoriesAndTheBrokerServes() throws IOException
    {
        final Path data = dir.resolve("data");
        try (TestBroker broker = TestBroker.start(data))
        {
            // A file where partition 70's directory must go: the create fails after 70 partitions were made.
            Files.writeString(data.resolve("wide-70"), "in the way");
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                final SpindleException failed = assertThrows(SpindleException.class,
                    () -> admin.createTopic("wide", 100, Map.of()));
                assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, failed.errorCode(), failed.getMessage());

                try (Stream<Path> entries = Files.list(data))
                {
                    final List<String> left = entries.map((path) -> path.getFileName().toString())
                        .filter((name) -> name.startsWith("wide")).toList();
                    assertEquals(List.of("wide-70"), left, "partition directories left behind");
                }
                for (final TopicListing listing : admin.listTopics())
                {
                    assertFalse(listing.name().equals("wide"), "the failed topic is listed");
                }

                Files.delete(data.resolve("wide-70"));
                admin.createTopic("wide", 100, Map.of());
                assertEquals(100, admin.describeTopic("wide").partitions().size());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
            {
                assertEquals(0, producer.sendSync("wide", 99, null, bytes("served")));
            }
        }
    }

    @Test
    @Timeout(30)
    void aBrokerThatCannotPersistItsMetadataStopsAndSaysWhy() throws Exception
    {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("mnt"), "4m"))
        {
            final Path data = fs.root().resolve("data");
            final CompletableFuture<String> fatal = new CompletableFuture<>();
            try (StandaloneBroker broker = StandaloneBroker.launch(new StandaloneBroker.Context()
                .dataDir(data)
                .embeddedDriverDirectoryName(TestBroker.aeronDirFor(data))
                .driverDirDeleteOnStart(true)
                .udpEnabled(false)
                .brokerIdleStrategy("backoff")
                .driverIdleStrategy("backoff")
                .ipcTermLength(1024 * 1024)
                .logConfig(new LogConfig().segmentBytes(1024 * 1024))
                .terminationHook(fatal::complete)))
            {
                // The alter is sent again after the broker stops, until the connect timeout: a short one.
                final ClientContext ctx = new ClientContext().bootstrap("ipc")
                    .aeronDirectoryName(broker.aeronDirectoryName()).requestTimeoutMs(3_000).connectTimeoutMs(3_000);
                try (Admin admin = Admin.connect(ctx))
                {
                    admin.createTopic(TOPIC, 1, Map.of());
                    fs.fill("filler");
                    // Altering the topic's configuration changes the metadata, which no longer fits on the disk. (Not
                    // a delete: its reclaim of the partition's files can free a page before the metadata is written.)
                    assertThrows(SpindleException.class,
                        () -> admin.alterTopicConfigs(TOPIC, Map.of("retention.ms", "60000"), List.of()));
                }

                final String line = fatal.get(10, TimeUnit.SECONDS);
                assertTrue(line.startsWith("cannot persist the broker's metadata") &&
                    line.contains("No space left on device"), line);
                assertEquals(line, broker.failure());
            }
        }
    }

    private static int produceUntilRefused(final Producer producer, final TreeMap<Long, String> acked)
    {
        final int[] refused = {0};
        final byte[] padding = new byte[200];
        final long deadlineNs = System.nanoTime() + 30_000_000_000L;
        for (int i = 0; 0 == refused[0] && System.nanoTime() < deadlineNs; i++)
        {
            final String value = "r-" + i;
            final byte[] bytes = new byte[padding.length + value.length()];
            System.arraycopy(bytes(value), 0, bytes, 0, value.length());
            final String expected = new String(bytes, StandardCharsets.UTF_8);
            while (producer.send(TOPIC, 0, null, bytes, (partition, offset, code) ->
            {
                if (ErrorCode.NONE == code)
                {
                    acked.put(offset, expected);
                }
                else
                {
                    assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, code);
                    refused[0]++;
                }
            }) == Producer.BACK_PRESSURED)
            {
                producer.poll();
            }
            producer.poll();
        }
        producer.flush();
        return refused[0];
    }

    private static void assertAllConsumed(final TestBroker broker, final TreeMap<Long, String> acked, final String when)
    {
        final List<String> expected = new ArrayList<>(acked.values());
        final List<String> consumed = consumeAll(broker, expected.size());
        for (int i = 0; i < Math.min(expected.size(), consumed.size()); i++)
        {
            if (!expected.get(i).equals(consumed.get(i)))
            {
                throw new AssertionError(when + ": record " + i + " is '" + consumed.get(i).trim() +
                    "', acknowledged '" + expected.get(i).trim() + "'");
            }
        }
        assertEquals(expected.size(), consumed.size(), when + ": records consumed of those acknowledged");
    }

    private static List<String> consumeAll(final TestBroker broker, final int count)
    {
        final List<String> values = new ArrayList<>();
        try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            final long deadlineNs = System.nanoTime() + 20_000_000_000L;
            while (values.size() < count && System.nanoTime() < deadlineNs)
            {
                consumer.poll((record) -> values.add(record.valueAsString()), 1000, 100);
            }
        }
        return values;
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
