/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.archive.client.AeronArchive;
import io.spindle.archive.ArchiveServer;
import io.spindle.archive.ArchiveTier;
import io.spindle.archive.TierAuthenticator;
import io.spindle.archive.TierManifest;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiered storage through real processes: {@code spindle archive --secret-file} and {@code spindle broker --archive}
 * with {@code spindle.tier.secret.file}. A topic with a small {@code local.retention.bytes} is produced to through a
 * broker holding another secret, which the archive refuses (both say so) and which archives nothing; a broker holding
 * the archive's secret then archives, throttled, and is killed with SIGKILL in the middle of archiving and restarted;
 * afterwards the local directory is small, a consumer from the beginning reads every record in order across the tier
 * boundary, the archive holds exactly one recording per archived segment, and both processes stop cleanly on SIGTERM.
 */
@Timeout(120)
class TieredStorageProcessTest
{
    private static final String TOPIC = "tiered";
    private static final int RECORDS = 1500;
    private static final String TIER_SECRET = "the-tier-secret-of-this-test";

    @TempDir
    Path dir;

    private final List<SpindleProcess> processes = new ArrayList<>();
    private final String brokerAeronDir = CommonContext.getAeronDirectoryName() + "-spindle-tier-b-" +
        UUID.randomUUID();
    private final String archiveAeronDir = CommonContext.getAeronDirectoryName() + "-spindle-tier-a-" +
        UUID.randomUUID();

    @AfterEach
    void cleanUp()
    {
        for (final SpindleProcess process : processes)
        {
            process.close();
        }
        IoUtil.delete(new File(brokerAeronDir), true);
        IoUtil.delete(new File(archiveAeronDir), true);
    }

    @Test
    void killMinusNineDuringArchivingLosesNothingAndArchivesNothingTwice() throws Exception
    {
        final Path data = dir.resolve("data");
        final Path secretFile = SpindleProcess.writeSecretFile(dir.resolve("tier.secret"), TIER_SECRET);
        final Path otherSecretFile = SpindleProcess.writeSecretFile(dir.resolve("other.secret"),
            "another-secret-than-the-archive's");
        final SpindleProcess archive = start(List.of(),
            "archive", "--dir", dir.resolve("archive").toString(), "--listen", "127.0.0.1:0",
            "--aeron-dir", archiveAeronDir, "--secret-file", secretFile.toString());
        archive.awaitLine("admitting only clients presenting the tier secret", 30_000);
        final String endpoint = archive.awaitLine("listening ", 30_000).substring("listening ".length()).trim();

        // A broker holding another secret is refused by the archive, says so, and archives nothing: every record is
        // produced while nothing can be archived, so the broker holding the secret starts with all ~20 sealed
        // segments still to copy, however slowly they were produced, and is killed with most of them left.
        SpindleProcess broker = startBroker(data, endpoint, otherSecretFile);
        try (Admin admin = Admin.connect(ipc(new ClientContext())))
        {
            admin.createTopic(TOPIC, 1, Map.of(
                "segment.bytes", "16k", "max.message.bytes", "8k",
                "remote.storage.enable", "true", "local.retention.bytes", "32k"));
        }
        produce(0, RECORDS);
        final String refused = broker.awaitLine("tier: cannot reach the archive at " + endpoint + " (", 30_000);
        assertTrue(refused.contains("the archive rejected this tier's spindle.tier.secret.file: it holds another " +
            "secret"), refused);
        final String rejection = archive.awaitLine(SecurityException.class.getName() +
            ": rejected an archive control session", 30_000);
        assertTrue(rejection.contains("presenting another secret than this archive's spindle.tier.secret.file"),
            rejection);
        assertTrue(!TierManifest.exists(partitionDir(data)) ||
            TierManifest.load(partitionDir(data)).entries().isEmpty(),
            "nothing archived by the broker with another secret");
        assertEquals(0, localBaseOffsets(data).min().orElse(-1),
            "nothing deleted locally by the broker with another secret");
        broker.terminate();
        broker.awaitExit(20_000);

        // Archiving is throttled to 64k/s (4 segments a second): kill the broker once a few segments are archived.
        broker = startBroker(data, endpoint, secretFile);
        await(() -> TierManifest.exists(partitionDir(data)) &&
            TierManifest.load(partitionDir(data)).entries().size() >= 3, "archiving under way");
        broker.process().destroyForcibly();
        assertTrue(broker.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        final long archivedToAtKill = TierManifest.load(partitionDir(data)).endOffset();
        final long activeBaseAtKill = localBaseOffsets(data).max().orElse(-1);
        assertTrue(archivedToAtKill < activeBaseAtKill, "killed with sealed segments still to archive: the manifest " +
            "ends at offset " + archivedToAtKill + ", the active segment begins at " + activeBaseAtKill);

        broker = startBroker(data, endpoint, secretFile);
        await(() -> TierManifest.load(partitionDir(data)).endOffset() == localBaseOffsets(data).max().orElse(-1),
            "every sealed segment archived after the restart");
        await(() -> localBaseOffsets(data).count() <= 4, "the local directory shrinks to local.retention.bytes");
        assertTrue(localBaseOffsets(data).min().orElse(0) > 0, "the oldest segments are gone from the broker's disk");

        consumeFromTheBeginning(RECORDS);

        final TierManifest manifest = TierManifest.load(partitionDir(data));
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .errorHandler(Throwable::printStackTrace).aeronDirectoryName(brokerAeronDir));
            AeronArchive client = ArchiveServer.connectRemote(aeron, endpoint, "127.0.0.1",
                TierAuthenticator.credentials(TIER_SECRET.getBytes(StandardCharsets.US_ASCII))))
        {
            final List<Long> recordings = new ArrayList<>();
            client.listRecordingsForUri(0, Integer.MAX_VALUE, manifest.tierPrefix(), ArchiveTier.RECORD_STREAM_ID,
                (a, b, recordingId, c, d, e, f, g, h, i, j, k, l, m, n, o) -> recordings.add(recordingId));
            assertEquals(manifest.entries().size(), recordings.size(), "one recording per archived segment");
        }

        // SIGTERM: both stop (awaitExit fails the test if not), the broker first as it is the archive's client.
        broker.process().destroy();
        broker.awaitExit(20_000);
        archive.process().destroy();
        archive.awaitExit(20_000);
    }

    /**
     * Without {@code --archive} a broker archives into an embedded archive in its data directory, whose mark file a
     * broker killed with SIGKILL leaves active for 10 s: the broker started again at once retries the archive until
     * it starts (it died of SIGSEGV when the failed start closed its error log and unmapped its mark file), then
     * archives the rest, deletes locally, and serves every record.
     */
    @Test
    void aBrokerWithAnEmbeddedArchiveStartedRightAfterSigkillArchivesOn() throws Exception
    {
        final Path data = dir.resolve("data");
        final SpindleProcess killed = startBroker(data, null, null);
        try (Admin admin = Admin.connect(ipc(new ClientContext())))
        {
            admin.createTopic(TOPIC, 1, Map.of(
                "segment.bytes", "16k", "max.message.bytes", "8k",
                "remote.storage.enable", "true", "local.retention.bytes", "32k"));
        }
        final int half = RECORDS / 3;
        produce(0, half);
        await(() -> TierManifest.exists(partitionDir(data)) &&
            !TierManifest.load(partitionDir(data)).entries().isEmpty(), "archiving under way");
        NodeProcesses.kill(killed);

        final SpindleProcess broker = startBroker(data, null, null);
        produce(half, 2 * half);
        await(() -> !broker.process().isAlive() ||
            TierManifest.load(partitionDir(data)).endOffset() == localBaseOffsets(data).max().orElse(-1),
            "every sealed segment archived after the restart");
        assertTrue(broker.process().isAlive(), () -> "the broker died: " + output(broker));
        await(() -> localBaseOffsets(data).count() <= 4, "the local directory shrinks to local.retention.bytes");
        assertTrue(broker.process().isAlive(), () -> "the broker died: " + output(broker));
        consumeFromTheBeginning(2 * half);
        // The killed run's archive mark file was still active: the new broker waited it out instead of failing.
        final CliEndToEndTest.Result errors = CliEndToEndTest.run("", "errors", "--data-dir", data.toString());
        assertEquals(0, errors.code(), errors.toString());
        assertFalse(errors.out().contains("active mark file detected"), errors.out());
        broker.terminate();
        broker.awaitExit(20_000);
    }

    private static String output(final SpindleProcess process)
    {
        try
        {
            return String.join("\n", process.output());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    private void produce(final int from, final int to)
    {
        try (Producer producer = Producer.connect(ipc(new Producer.Context().acks(1))))
        {
            for (int i = from; i < to; i++)
            {
                assertEquals(i, producer.sendSync(TOPIC, 0, ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[200]));
            }
        }
    }

    private void consumeFromTheBeginning(final int records)
    {
        try (Consumer consumer = Consumer.connect(ipc(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            final long[] next = {0};
            final long deadlineNs = System.nanoTime() + 30_000_000_000L;
            while (next[0] < records && System.nanoTime() < deadlineNs)
            {
                consumer.poll((record) ->
                {
                    assertEquals(next[0], record.offset());
                    assertEquals("k" + next[0],
                        record.buffer().getStringWithoutLengthUtf8(record.keyOffset(), record.keyLength()));
                    next[0]++;
                }, 500, 100);
            }
            assertEquals(records, next[0], "every record read from the beginning, in order");
        }
    }

    private SpindleProcess startBroker(final Path data, final String archiveEndpoint, final Path secretFile)
        throws Exception
    {
        final List<String> args = new ArrayList<>(List.of(
            "broker", "--data-dir", data.toString(), "--listen", "127.0.0.1:0"));
        if (null != archiveEndpoint)
        {
            args.addAll(List.of("--archive", archiveEndpoint));
        }
        final List<String> jvmOptions = new ArrayList<>(List.of("-Dspindle.embedded.driver.dir=" + brokerAeronDir,
            "-Dspindle.tier.copy.rate=64k", "-Dspindle.tier.step.timeout=3s"));
        if (null != secretFile)
        {
            jvmOptions.add("-Dspindle.tier.secret.file=" + secretFile);
        }
        final SpindleProcess broker = start(jvmOptions, args.toArray(new String[0]));
        broker.awaitLine("listening udp", 30_000);
        return broker;
    }

    private SpindleProcess start(final List<String> jvmOptions, final String... args) throws Exception
    {
        final SpindleProcess process = SpindleProcess.start(jvmOptions, args);
        processes.add(process);
        return process;
    }

    private <T extends ClientContext> T ipc(final T ctx)
    {
        ctx.bootstrap("ipc").aeronDirectoryName(brokerAeronDir);
        return ctx;
    }

    private static Path partitionDir(final Path data)
    {
        return data.resolve(TOPIC + "-0");
    }

    private static LongStream localBaseOffsets(final Path data)
    {
        try (Stream<Path> files = Files.list(partitionDir(data)))
        {
            final long[] bases = files.map((f) -> f.getFileName().toString()).filter((n) -> n.endsWith(".log"))
                .mapToLong((n) -> Long.parseLong(n.substring(0, n.length() - 4))).toArray();
            return LongStream.of(bases);
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + 40_000_000_000L;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(20);
        }
    }
}
