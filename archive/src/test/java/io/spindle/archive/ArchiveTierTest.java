/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.Subscription;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.client.ArchiveException;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.config.SecretFile;
import io.spindle.host.BrokerCounters;
import io.spindle.host.TestBroker;
import io.spindle.host.TieredStorage;
import io.spindle.monitor.CncFile;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiered storage end to end in one JVM with real media drivers and real archives: sealed segments of a topic with
 * {@code remote.storage.enable} land in the archive (one recording each, verified by stop position and by reading the
 * bytes back), the manifest records them, local retention then deletes them from the broker's disk, and restarts of
 * the broker and of the archive neither lose nor duplicate a segment.
 */
@Timeout(60)
class ArchiveTierTest
{
    static
    {
        // An archive that went away is noticed after these, not the production defaults of 10 s and 5 s.
        System.setProperty("spindle.tier.step.timeout", "2s");
        System.setProperty("spindle.tier.message.timeout", "2s");
    }

    private static final String TOPIC = "tiered";
    private static final byte[] VALUE = new byte[200];
    private static final String TIER_COUNTER_PREFIX = "spindle-0: tier ";

    @TempDir
    Path dir;

    private final List<String> aeronDirs = new ArrayList<>();
    private volatile ArchiveTier tier;

    @AfterEach
    void deleteDriverDirs()
    {
        System.clearProperty(TierConfiguration.SECRET_FILE.name());
        for (final String aeronDir : aeronDirs)
        {
            IoUtil.delete(new File(aeronDir), true);
        }
    }

    @Test
    void sealedSegmentsAreArchivedOnceAcrossBrokerAndArchiveRestartsAndDeletedLocallyOnlyAfterwards()
        throws Exception
    {
        final Path data = dir.resolve("data");
        final Path archiveDir = dir.resolve("archive");
        final String archiveAeronDir = aeronDir("archive");
        ArchiveServer archive = ArchiveServer.launch(archiveDir, archiveAeronDir, "localhost", 0,
            Throwable::printStackTrace);
        final String endpoint = archive.controlEndpoint();
        final int port = archive.controlPort();
        int sent = 0;
        final Queue<String> said = new ConcurrentLinkedQueue<>();
        try
        {
            try (TestBroker broker = TestBroker.start(
                data, (ctx) -> ctx.tieredStorage(ArchiveTier.factory(endpoint, said::add))))
            {
                try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
                {
                    admin.createTopic(TOPIC, 1, Map.of(
                        "segment.bytes", "4k", "max.message.bytes", "2k",
                        "remote.storage.enable", "true",
                        "local.retention.bytes", "8k"));
                    sent += produce(broker, sent, 150);
                    awaitArchived(data, 6);
                    await(() -> firstLocalOffset(data) > 0, "local retention deletes archived segments");
                    final long localStart = firstLocalOffset(data);
                    assertTrue(localStart <= TierManifest.load(partitionDir(data)).endOffset(),
                        "every offset is archived or local: archive ends at or above the local log start");
                    // 150 records of about 260 bytes are 9 or 10 segments of 4k; 8k of local retention keeps 3 or 4.
                    await(() -> localSegments(data) <= 4, "the local directory shrinks to local.retention.bytes");

                    // What spindle stat shows: every sealed segment copied and verified, none left to copy.
                    final Map<String, Long> copied = awaitTierCounters(broker,
                        (c) -> 0 == c.get("copy lag segments"), "the copy lag to drain once produce stopped");
                    assertTierCountersMatchManifest(copied, data);
                    assertEquals(0, copied.get("copy lag bytes"), copied.toString());
                    assertEquals(1, copied.get("archive reachable"), copied.toString());

                    // The archive goes away while the broker produces and rolls, which the broker says once; it
                    // comes back on the same port, which the broker says too.
                    assertTrue(said.isEmpty(), said.toString());
                    archive.close();
                    sent += produce(broker, sent, 150);
                    await(() -> said.stream().anyMatch((line) -> line.startsWith("tier: cannot reach the archive at " +
                        endpoint)), "the broker to say the archive cannot be reached");
                    // Sealed segments wait on local disk, and spindle stat says so: the copy lag grows.
                    // Each waiting segment was sealed holding between 4k less a batch and 4k of batches.
                    final Map<String, Long> unreachable = awaitTierCounters(broker,
                        (c) -> 0 == c.get("archive reachable") && c.get("copy lag segments") >= 2 &&
                        c.get("copy lag bytes") > c.get("copy lag segments") * 2048 &&
                        c.get("copy lag bytes") <= c.get("copy lag segments") * 4096,
                        "the archive shown unreachable and the copy lag grown by the records produced meanwhile");
                    assertTrue(unreachable.get("copy attempts failed") > 0,
                        "the copy that found the archive gone is counted: " + unreachable);
                    archive = ArchiveServer.launch(archiveDir, archiveAeronDir, "localhost", port,
                        Throwable::printStackTrace);
                    awaitArchived(data, 12);
                    await(() -> said.contains("tier: reached the archive at " + endpoint + " again"),
                        "the broker to say it reached the archive again");
                    assertEquals(2, said.size(), said.toString());
                    final Map<String, Long> drained = awaitTierCounters(broker,
                        (c) -> 1 == c.get("archive reachable") && 0 == c.get("copy lag segments"),
                        "the archive shown reachable again and the copy lag drained");
                    assertTierCountersMatchManifest(drained, data);
                    assertEquals(0, drained.get("copy lag bytes"), drained.toString());
                    await(() -> firstLocalOffset(data) > 150, "local retention goes on");
                    assertEquals(0, logStartOffset(admin), "the log starts in the archive");
                    final io.spindle.client.TopicDescription.PartitionDescription described =
                        admin.describeTopic(TOPIC).partitions().get(0);
                    assertEquals(0, described.logStartOffset());
                    assertTrue(described.localLogStartOffset() > 150, described.toString());
                    assertEquals(sent, described.logEndOffset());
                    assertConsumesAll(broker, sent, true);
                }
            }

            // The broker restarts: the manifest holds, archiving resumes after the last archived segment.
            try (TestBroker broker = startBroker(data, endpoint))
            {
                sent += produce(broker, sent, 100);
                awaitArchived(data, 16);
                assertConsumesAll(broker, sent, false);
            }

            // A broker stopped mid-copy leaves a recording the manifest does not list; the next start purges it
            // before anything else, so the archive ends with exactly one recording per archived segment.
            try (TestBroker broker = startBroker(data, endpoint);
                Aeron aeron = Aeron.connect(new Aeron.Context()
                    .errorHandler(Throwable::printStackTrace).aeronDirectoryName(archiveAeronDir));
                AeronArchive client = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                    .controlRequestChannel("aeron:ipc").controlResponseChannel("aeron:ipc")))
            {
                assertTrue(broker.port() > 0);
                final TierManifest manifest = TierManifest.load(partitionDir(data));
                await(() -> TierManifest.load(partitionDir(data)).endOffset() == lastLocalOffset(data) &&
                    recordings(client, manifest.tierPrefix()).size() ==
                    TierManifest.load(partitionDir(data)).entries().size(),
                    "every sealed segment archived and orphan recordings purged");
            }
        }
        finally
        {
            archive.close();
        }

        assertArchiveMatchesManifest(archiveDir, archiveAeronDir, data, sent);
    }

    @Test
    void anArchiveWithATierSecretAdmitsOnlyItsHoldersAndABrokerWithoutItSaysSoAndArchivesNothing()
        throws Exception
    {
        final Path data = dir.resolve("data");
        final Path secretFile = secretFile("secret", "tier-secret-of-at-least-16-bytes");
        final Path otherSecretFile = secretFile("other", "another-secret-of-32-characters!");
        final String archiveAeronDir = aeronDir("archive");
        final Queue<Throwable> archiveErrors = new ConcurrentLinkedQueue<>();
        final byte[] secret = SecretFile.read(TierConfiguration.SECRET_FILE.name(), secretFile, (line) -> {});
        try (ArchiveServer archive = ArchiveServer.launch(dir.resolve("archive"), archiveAeronDir, "localhost", 0,
            secret, archiveErrors::add);
            Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(archiveAeronDir)))
        {
            final String endpoint = archive.controlEndpoint();

            // Strangers are rejected, over UDP and over IPC alike, and each rejection is recorded.
            assertRejected(() -> ArchiveServer.connectRemote(aeron, endpoint, "localhost", null));
            assertRejected(() -> ArchiveServer.connectRemote(aeron, endpoint, "localhost",
                TierAuthenticator.credentials(
                    SecretFile.read(TierConfiguration.SECRET_FILE.name(), otherSecretFile, (line) -> {}))));
            assertRejected(() -> AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                .controlRequestChannel("aeron:ipc").controlResponseChannel("aeron:ipc")));
            await(() -> archiveErrors.stream().filter((ex) -> String.valueOf(ex.getMessage()).startsWith(
                "rejected an archive control session")).count() >= 3, "the archive to record three rejections");
            assertTrue(archiveErrors.stream().anyMatch((ex) -> String.valueOf(ex.getMessage()).contains(
                "presenting no credentials")), archiveErrors.toString());
            assertTrue(archiveErrors.stream().anyMatch((ex) -> String.valueOf(ex.getMessage()).contains(
                "presenting another secret than this archive's spindle.tier.secret.file")), archiveErrors.toString());

            // A broker without the secret, then one with another, cannot reach the archive, says why, and archives
            // nothing: its sealed segments stay on local disk.
            final Queue<String> said = new ConcurrentLinkedQueue<>();
            try (TestBroker broker = TestBroker.start(
                data, (ctx) -> ctx.tieredStorage(ArchiveTier.factory(endpoint, said::add)));
                Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of(
                    "segment.bytes", "4k", "max.message.bytes", "2k",
                    "remote.storage.enable", "true",
                    "local.retention.bytes", "8k"));
                produce(broker, 0, 60);
                await(() -> said.stream().anyMatch((line) -> line.startsWith("tier: cannot reach the archive at " +
                    endpoint) && line.contains("this tier has no spindle.tier.secret.file")),
                    "the broker without the secret to say the archive rejected it: " + said);
                awaitTierCounters(broker, (c) -> 0 == c.get("archive reachable") &&
                    c.get("copy lag segments") > 0 && 0 == c.get("segments copied"),
                    "spindle stat to show the rejected tier: archive unreachable, sealed segments waiting");
            }
            System.setProperty(TierConfiguration.SECRET_FILE.name(), otherSecretFile.toString());
            said.clear();
            try (TestBroker broker = TestBroker.start(
                data, (ctx) -> ctx.tieredStorage(ArchiveTier.factory(endpoint, said::add))))
            {
                produce(broker, 60, 20);
                await(() -> said.stream().anyMatch((line) -> line.startsWith("tier: cannot reach the archive at " +
                    endpoint) && line.contains("the archive rejected this tier's spindle.tier.secret.file")),
                    "the broker with another secret to say the archive rejected it: " + said);
            }
            assertTrue(!TierManifest.exists(partitionDir(data)) ||
                TierManifest.load(partitionDir(data)).entries().isEmpty(), "nothing archived without the secret");
            assertEquals(0, firstLocalOffset(data), "nothing deleted locally");

            // With the secret on both sides: sealed segments are archived, deleted locally, and read back from the
            // archive by a consumer from the beginning.
            System.setProperty(TierConfiguration.SECRET_FILE.name(), secretFile.toString());
            said.clear();
            try (TestBroker broker = TestBroker.start(
                data, (ctx) -> ctx.tieredStorage(ArchiveTier.factory(endpoint, said::add))))
            {
                produce(broker, 80, 70);
                awaitArchived(data, 6);
                await(() -> firstLocalOffset(data) > 0, "local retention deletes archived segments");
                assertConsumesAll(broker, 150, false);
                assertTrue(said.isEmpty(), said.toString());
            }
            try (AeronArchive holder = ArchiveServer.connectRemote(aeron, endpoint, "localhost"))
            {
                // A copy in flight when the broker stopped may be listed too: its next start purges it.
                final TierManifest manifest = TierManifest.load(partitionDir(data));
                final List<Long> listed = recordings(holder, manifest.tierPrefix());
                for (final TierManifest.Entry entry : manifest.entries())
                {
                    assertTrue(listed.contains(entry.recordingId()), "a holder of the secret " +
                        "(spindle.tier.secret.file) lists recording " + entry.recordingId() + ": " + listed);
                }
            }
        }
    }

    @Test
    void withoutAnArchiveEndpointTheBrokerArchivesIntoAnEmbeddedArchiveOnlyForRemoteStorageTopics()
        throws Exception
    {
        final Path data = dir.resolve("data");
        try (TestBroker broker = startBroker(data, null);
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic("local", 1, Map.of("segment.bytes", "4k", "max.message.bytes", "2k"));
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                for (int i = 0; i < 60; i++)
                {
                    producer.sendSync("local", 0, null, VALUE);
                }
            }
            awaitScans(2);
            assertFalse(Files.exists(data.resolve(ArchiveTier.EMBEDDED_DIR)), "no archive without tiered topics");
            assertFalse(TierManifest.exists(data.resolve("local-0")));

            admin.createTopic(TOPIC, 1, Map.of(
                "segment.bytes", "4k", "max.message.bytes", "2k", "remote.storage.enable", "true"));
            produce(broker, 0, 60);
            awaitArchived(data, 3);
            assertTrue(Files.isDirectory(data.resolve(ArchiveTier.EMBEDDED_DIR)));
        }
    }

    @Test
    void totalRetentionPurgesArchivedSegmentsAndDeletingTheTopicRemovesItsRecordings() throws Exception
    {
        final Path data = dir.resolve("data");
        try (TestBroker broker = startBroker(data, null);
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic(TOPIC, 1, Map.of(
                "segment.bytes", "4k", "max.message.bytes", "2k", "remote.storage.enable", "true",
                "local.retention.bytes", "4k", "retention.bytes", "12k"));
            final int sent = produce(broker, 0, 150);
            await(() -> TierManifest.exists(partitionDir(data)) &&
                TierManifest.load(partitionDir(data)).startOffset() > 0 &&
                TierManifest.load(partitionDir(data)).endOffset() == lastLocalOffset(data),
                "archived segments past retention.bytes purged, the rest archived");
            final TierManifest manifest = TierManifest.load(partitionDir(data));
            final long start = manifest.startOffset();
            assertEquals(start, logStartOffset(admin), "the log now starts at the archive's first segment");
            assertTrue(manifest.totalBytes() < 16 * 1024, "archive holds about retention.bytes: " +
                manifest.totalBytes());
            awaitTierCounters(broker, (c) -> c.get("segments purged") > 0 && c.get("segments purged") ==
                c.get("segments copied") - TierManifest.load(partitionDir(data)).entries().size(),
                "the segments retention dropped from the manifest counted as purged");

            try (Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(broker.aeronDir()));
                AeronArchive client = ArchiveServer.connectEmbedded(aeron))
            {
                assertEquals(manifest.entries().size(), recordings(client, manifest.tierPrefix()).size(),
                    "purged recordings are gone from the archive");

                final TopicPartition tp = new TopicPartition(TOPIC, 0);
                try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
                {
                    consumer.assign(List.of(tp));
                    final long[] next = {start};
                    final long deadlineNs = System.nanoTime() + 20_000_000_000L;
                    while (next[0] < sent && System.nanoTime() < deadlineNs)
                    {
                        consumer.poll((record) -> assertEquals(next[0]++, record.offset()), 100, 100);
                    }
                    assertEquals(sent, next[0], "a consumer from the earliest offset reads from the archive's start");
                }

                admin.deleteTopic(TOPIC);
                await(() -> recordings(client, manifest.tierPrefix()).isEmpty(),
                    "deleting the topic purges its recordings");
                awaitTierCounters(broker, (c) -> c.get("segments purged").equals(c.get("segments copied")) &&
                    0 == c.get("copy lag segments"), "every copied segment counted as purged once the topic is gone");
            }
        }
    }

    @Test
    void recordingsOfATopicDeletedWhileTheArchiveIsAwayArePurgedAfterTheBrokerRestarts() throws Exception
    {
        final Path data = dir.resolve("data");
        final Path archiveDir = dir.resolve("archive");
        final String archiveAeronDir = aeronDir("archive");
        ArchiveServer archive = ArchiveServer.launch(archiveDir, archiveAeronDir, "localhost", 0,
            Throwable::printStackTrace);
        final String endpoint = archive.controlEndpoint();
        final int port = archive.controlPort();
        try
        {
            final String prefix;
            final Path deleted;
            final Queue<String> said = new ConcurrentLinkedQueue<>();
            try (TestBroker broker = startBrokerWith(data, ArchiveTier.factory(endpoint, said::add));
                Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of(
                    "segment.bytes", "4k", "max.message.bytes", "2k", "remote.storage.enable", "true"));
                produce(broker, 0, 60);
                awaitArchived(data, 3);
                prefix = TierManifest.load(partitionDir(data)).tierPrefix();

                // The archive is away when the topic is deleted: the broker cannot purge its recordings, so it keeps
                // the deleted partition's directory, manifest included, past the delete.
                archive.close();
                admin.deleteTopic(TOPIC);
                try (java.util.stream.Stream<Path> files = Files.list(data))
                {
                    deleted = files.filter((f) -> f.getFileName().toString().startsWith(TOPIC + "-0.") &&
                        f.getFileName().toString().endsWith(".deleted")).findFirst().orElseThrow();
                }
                // Once the broker has found the archive unreachable its scans complete without purging: wait for a
                // few (each a scan interval after the last, time for the broker's reclaim of the directory too).
                await(() -> said.stream().anyMatch((line) -> line.startsWith("tier: cannot reach the archive")),
                    "the broker to find the archive unreachable");
                awaitScans(3);
                assertTrue(TierManifest.exists(deleted), "the deleted partition's manifest is kept while its " +
                    "recordings cannot be purged: " + deleted);
            }

            archive = ArchiveServer.launch(archiveDir, archiveAeronDir, "localhost", port, Throwable::printStackTrace);
            try (Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(archiveAeronDir));
                AeronArchive client = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                    .controlRequestChannel("aeron:ipc").controlResponseChannel("aeron:ipc")))
            {
                assertTrue(recordings(client, prefix).size() >= 3, "the recordings outlived the first broker");
                try (TestBroker broker = startBroker(data, endpoint);
                    Admin admin = Admin.connect(broker.ipc(new ClientContext())))
                {
                    assertTrue(admin.listTopics().isEmpty(), "the topic stays deleted");
                    await(() -> recordings(client, prefix).isEmpty(),
                        "the restarted broker purges the deleted topic's recordings");
                    await(() -> !Files.exists(deleted), "and then deletes the deleted partition's directory");
                }
            }
        }
        finally
        {
            archive.close();
        }
    }

    /**
     * The broker's tier counters as {@code spindle stat} reads them, from its driver's counters file, by label
     * without the {@code spindle-0: tier } prefix.
     */
    private static Map<String, Long> tierCounters(final TestBroker broker)
    {
        final Map<String, Long> values = new HashMap<>();
        try (CncFile cnc = CncFile.open(broker.aeronDir()))
        {
            final CountersReader counters = cnc.counters();
            counters.forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (BrokerCounters.SPINDLE_COUNTER_TYPE_ID == typeId && label.startsWith(TIER_COUNTER_PREFIX))
                {
                    values.put(label.substring(TIER_COUNTER_PREFIX.length()), counters.getCounterValue(counterId));
                }
            });
        }
        return values;
    }

    private static Map<String, Long> awaitTierCounters(
        final TestBroker broker, final Predicate<Map<String, Long>> condition, final String what)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + 30_000_000_000L;
        while (true)
        {
            final Map<String, Long> values = tierCounters(broker);
            // All eight allocated (the tier adds them as it starts), or a condition on a missing one would throw.
            if (values.size() == 8 && condition.test(values))
            {
                return values;
            }
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("timed out waiting: " + what + "; tier counters " + values);
            }
            Thread.sleep(10);
        }
    }

    /**
     * The counters of a broker that started with an empty tier: a copy of every segment its manifest lists.
     */
    private static void assertTierCountersMatchManifest(final Map<String, Long> counters, final Path data)
    {
        final TierManifest manifest = TierManifest.load(partitionDir(data));
        assertEquals(manifest.entries().size(), counters.get("segments copied"), counters.toString());
        assertEquals(manifest.totalBytes(), counters.get("bytes copied"), counters.toString());
    }

    private static long logStartOffset(final Admin admin)
    {
        return admin.listOffset(new TopicPartition(TOPIC, 0), -2);
    }

    private static long localSegments(final Path data)
    {
        try (java.util.stream.Stream<Path> files = Files.list(partitionDir(data)))
        {
            return files.filter((f) -> f.getFileName().toString().endsWith(".log")).count();
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private TestBroker startBroker(final Path data, final String archiveEndpoint)
    {
        return startBrokerWith(data, ArchiveTier.factory(archiveEndpoint));
    }

    /**
     * A broker whose tier is kept in {@link #tier}, so that a test can wait for the archiver's scans.
     */
    private TestBroker startBrokerWith(final Path data, final TieredStorage.Factory factory)
    {
        return TestBroker.start(data, (ctx) -> ctx.tieredStorage((aeron, topics, dataDir, host, nodeId, errors) ->
        {
            final ArchiveTier created = (ArchiveTier)factory.create(aeron, topics, dataDir, host, nodeId, errors);
            tier = created;
            return created;
        }));
    }

    /**
     * Wait until the archiver has finished {@code scans} more scans of the topics than it had when called: what it
     * does with the state as it is now has been done (a check that it did nothing then needs no sleep).
     */
    private void awaitScans(final int scans) throws InterruptedException
    {
        final long target = tier.completedScans() + scans;
        await(() -> tier.completedScans() >= target, scans + " more archiver scans");
    }

    private static int produce(final TestBroker broker, final int start, final int count)
    {
        try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
        {
            for (int i = start; i < start + count; i++)
            {
                assertEquals(i, producer.sendSync(TOPIC, 0, ("k" + i).getBytes(StandardCharsets.UTF_8), VALUE));
            }
        }
        return count;
    }

    /**
     * A consumer from the earliest offset reads every record, in order, at the offset it was written at, across
     * the boundary between the archive tier and the local log.
     */
    private static void assertConsumesAll(final TestBroker broker, final int total, final boolean streaming)
    {
        final TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST).streaming(streaming))))
        {
            consumer.assign(List.of(tp));
            final long[] expected = {0};
            final long deadlineNs = System.nanoTime() + 20_000_000_000L;
            while (expected[0] < total && System.nanoTime() < deadlineNs)
            {
                consumer.poll((record) ->
                {
                    assertEquals(expected[0], record.offset());
                    assertEquals("k" + expected[0],
                        record.buffer().getStringWithoutLengthUtf8(record.keyOffset(), record.keyLength()));
                    expected[0]++;
                }, 100, 100);
            }
            assertEquals(total, expected[0], (streaming ? "streaming" : "long-poll") + " consumer read all");
        }
    }

    private static long firstLocalOffset(final Path data)
    {
        return localBaseOffsets(data).min().orElse(-1);
    }

    private static long lastLocalOffset(final Path data)
    {
        return localBaseOffsets(data).max().orElse(-1);
    }

    private static java.util.stream.LongStream localBaseOffsets(final Path data)
    {
        try (java.util.stream.Stream<Path> files = Files.list(partitionDir(data)))
        {
            final long[] bases = files.map((f) -> f.getFileName().toString()).filter((n) -> n.endsWith(".log"))
                .mapToLong((n) -> Long.parseLong(n.substring(0, n.length() - 4))).toArray();
            return java.util.Arrays.stream(bases);
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private static void awaitArchived(final Path data, final int segments) throws InterruptedException
    {
        await(() -> TierManifest.exists(partitionDir(data)) &&
            TierManifest.load(partitionDir(data)).entries().size() >= segments, segments + " segments archived");
    }

    private static Path partitionDir(final Path data)
    {
        return data.resolve(TOPIC + "-0");
    }

    private void assertArchiveMatchesManifest(
        final Path archiveDir, final String archiveAeronDir, final Path data, final int sent)
    {
        final TierManifest manifest = TierManifest.load(partitionDir(data));
        final List<TierManifest.Entry> entries = manifest.entries();
        assertFalse(entries.isEmpty());
        try (ArchiveServer archive = ArchiveServer.launch(archiveDir, archiveAeronDir, "localhost", 0,
            Throwable::printStackTrace);
            Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(archiveAeronDir));
            AeronArchive client = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                .controlRequestChannel("aeron:ipc").controlResponseChannel("aeron:ipc")))
        {
            assertTrue(archive.archiveContext().archiveDir().isDirectory());
            final List<Long> recordings = recordings(client, manifest.tierPrefix());
            assertEquals(entries.size(), recordings.size(), "one recording per archived segment, no duplicates");

            long expectedOffset = entries.get(0).baseOffset();
            assertEquals(0, expectedOffset);
            for (final TierManifest.Entry entry : entries)
            {
                assertEquals(entry.stopPosition(), client.getStopPosition(entry.recordingId()));
                final byte[] bytes = replay(aeron, client, entry);
                assertEquals(entry.bytes(), bytes.length);
                final CRC32C crc = new CRC32C();
                crc.update(bytes);
                assertEquals(entry.crc(), (int)crc.getValue());
                final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
                for (int position = 0; position < bytes.length; )
                {
                    assertEquals(expectedOffset, buffer.getLong(position + RecordBatch.BASE_OFFSET_OFFSET,
                        LITTLE_ENDIAN), "batches continue offset by offset across segments");
                    expectedOffset += buffer.getInt(position + RecordBatch.LAST_OFFSET_DELTA_OFFSET, LITTLE_ENDIAN) + 1;
                    position += buffer.getInt(position + RecordBatch.BATCH_LENGTH_OFFSET, LITTLE_ENDIAN);
                }
                assertEquals(entry.nextOffset(), expectedOffset);
            }
            assertTrue(expectedOffset <= sent);
        }
    }

    private static List<Long> recordings(final AeronArchive client, final String tag)
    {
        final List<Long> recordings = new ArrayList<>();
        client.listRecordingsForUri(0, Integer.MAX_VALUE, tag, TierChannels.RECORD_STREAM_ID,
            (a, b, recordingId, c, d, e, f, g, h, i, j, k, l, m, n, o) -> recordings.add(recordingId));
        return recordings;
    }

    private static byte[] replay(final Aeron aeron, final AeronArchive client, final TierManifest.Entry entry)
    {
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer();
        final int[] length = {0};
        try (Subscription subscription = client.replay(entry.recordingId(), entry.startPosition(),
            entry.stopPosition() - entry.startPosition(), "aeron:ipc", 99))
        {
            final BackoffIdleStrategy idle = new BackoffIdleStrategy();
            final long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (length[0] < entry.bytes() && System.nanoTime() < deadlineNs)
            {
                idle.idle(subscription.poll((buffer, offset, len, header) ->
                {
                    out.putBytes(length[0], buffer, offset, len);
                    length[0] += len;
                }, 100));
            }
        }
        final byte[] bytes = new byte[length[0]];
        out.getBytes(0, bytes);
        return bytes;
    }

    private Path secretFile(final String name, final String secret) throws java.io.IOException
    {
        final Path file = dir.resolve(name);
        Files.writeString(file, secret + "\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static void assertRejected(final java.util.function.Supplier<AeronArchive> connect)
    {
        final ArchiveException rejected = assertThrows(ArchiveException.class, () -> connect.get().close());
        assertEquals(ArchiveException.AUTHENTICATION_REJECTED, rejected.errorCode(), rejected.toString());
    }

    private String aeronDir(final String name)
    {
        final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-tier-" + name + "-" +
            UUID.randomUUID();
        aeronDirs.add(aeronDir);
        return aeronDir;
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(10);
        }
    }
}
