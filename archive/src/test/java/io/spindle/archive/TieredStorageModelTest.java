/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.archive.client.AeronArchive;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.host.TestBroker;
import io.spindle.monitor.SpindleMarkFile;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random produce, rolls, archiving, local and total retention, broker and archive restarts, and reads at random
 * offsets, against a model of what must be readable: every offset from the earliest offset the broker reports to the
 * log end reads back as the record written there (whether it lives in the archive or on local disk), the earliest
 * offset never goes back and never moves past what {@code retention.bytes} must keep, the broker's disk stays near
 * {@code local.retention.bytes} once archiving caught up, and the archive holds one recording per archived segment.
 */
@Timeout(90)
class TieredStorageModelTest
{
    static
    {
        System.setProperty("spindle.tier.step.timeout", "2s");
        System.setProperty("spindle.tier.message.timeout", "2s");
    }

    private static final String TOPIC = "model";
    private static final int SEGMENT_BYTES = 4096;
    private static final int LOCAL_RETENTION_BYTES = 8192;
    private static final int RETENTION_BYTES = 32 * 1024;
    private static final byte[] VALUE = new byte[150];
    private static final int MAX_RECORD_BYTES = 64 + VALUE.length + 40;
    private static final long MUST_KEEP_RECORDS = (RETENTION_BYTES - SEGMENT_BYTES) / MAX_RECORD_BYTES;

    @TempDir
    Path dir;

    private final List<String> aeronDirs = new ArrayList<>();
    private final String archiveAeronDir =
        CommonContext.getAeronDirectoryName() + "-spindle-model-" + UUID.randomUUID();

    @AfterEach
    void deleteDriverDirs()
    {
        for (final String aeronDir : aeronDirs)
        {
            IoUtil.delete(new File(aeronDir), true);
        }
    }

    @Test
    void randomOperationsKeepEveryRetainedRecordReadable() throws Exception
    {
        final long seed = Long.getLong("spindle.test.seed", System.nanoTime());
        final Random random = new Random(seed);
        final String context = "seed " + seed + " (-Dspindle.test.seed=" + seed + ")";

        final Path data = dir.resolve("data");
        final Path archiveDir = dir.resolve("archive");
        aeronDirs.add(archiveAeronDir);
        ArchiveServer archive = ArchiveServer.launch(archiveDir, archiveAeronDir, "localhost", 0,
            Throwable::printStackTrace);
        final String endpoint = archive.controlEndpoint();
        final int port = archive.controlPort();
        TestBroker broker = startBroker(data, endpoint);
        long end = 0;
        long earliest = 0;
        try
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of(
                    "segment.bytes", Integer.toString(SEGMENT_BYTES), "max.message.bytes", "2k",
                    "remote.storage.enable", "true",
                    "local.retention.bytes", Integer.toString(LOCAL_RETENTION_BYTES),
                    "retention.bytes", Integer.toString(RETENTION_BYTES)));
            }

            for (int step = 0; step < 14; step++)
            {
                final int op = random.nextInt(10);
                if (op < 5)
                {
                    end = produce(broker, end, 20 + random.nextInt(120));
                }
                else if (op < 7)
                {
                    broker.close();
                    broker = startBroker(data, endpoint);
                }
                else if (op < 8)
                {
                    archive.close();
                    end = produce(broker, end, 20 + random.nextInt(60));
                    archive = ArchiveServer.launch(archiveDir, archiveAeronDir, "localhost", port,
                        Throwable::printStackTrace);
                }
                else
                {
                    awaitArchivingIdle(data, context);
                }

                try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
                {
                    final long reported = admin.listOffset(new TopicPartition(TOPIC, 0), -2);
                    assertTrue(reported >= earliest, "the earliest offset never goes back: " + reported + " < " +
                        earliest + ", " + context);
                    earliest = reported;
                    // retention.bytes deletes whole segments only while what remains is at least retention.bytes;
                    // a one-record batch is at most MAX_RECORD_BYTES.
                    final long mustKeep = MUST_KEEP_RECORDS;
                    assertTrue(end - earliest >= Math.min(end, mustKeep), "retention removed too much: earliest " +
                        earliest + ", end " + end + ", " + context);
                }
                readRandomOffsets(broker, random, readableFrom(earliest, end), end, random.nextBoolean(), context);
            }

            awaitArchivingIdle(data, context);
            await(() -> localBaseOffsets(data).count() <= LOCAL_RETENTION_BYTES / SEGMENT_BYTES + 2,
                "the broker's disk shrinks to about local.retention.bytes, " + context);
            readRandomOffsets(broker, random, readableFrom(earliest, end), end, true, context);
            try (Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(archiveAeronDir));
                AeronArchive client = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                    .controlRequestChannel("aeron:ipc").controlResponseChannel("aeron:ipc")))
            {
                final TierManifest manifest = TierManifest.load(partitionDir(data));
                await(() -> recordings(client, manifest.tierPrefix()) ==
                    TierManifest.load(partitionDir(data)).entries().size(),
                    () -> "one recording per archived segment, " + context + "\n" + archiverState(data));
            }
        }
        finally
        {
            broker.close();
            archive.close();
        }
    }

    /**
     * Reads start no lower than what retention must keep, so that retention running meanwhile cannot take them.
     */
    private static long readableFrom(final long earliest, final long end)
    {
        return Math.max(earliest, end - MUST_KEEP_RECORDS);
    }

    private static TestBroker startBroker(final Path data, final String endpoint)
    {
        return TestBroker.start(data, (ctx) -> ctx.tieredStorage(ArchiveTier.factory(endpoint)));
    }

    private static long produce(final TestBroker broker, final long start, final int count)
    {
        try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
        {
            for (long i = start; i < start + count; i++)
            {
                assertEquals(i, producer.sendSync(TOPIC, 0, ("k" + i).getBytes(StandardCharsets.UTF_8), VALUE));
            }
        }
        return start + count;
    }

    private static void readRandomOffsets(
        final TestBroker broker,
        final Random random,
        final long earliest,
        final long end,
        final boolean streaming,
        final String context)
    {
        if (end == earliest)
        {
            return;
        }
        final TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context().streaming(streaming))))
        {
            consumer.assign(List.of(tp));
            for (int i = 0; i < 3; i++)
            {
                final long from = earliest + (long)(random.nextDouble() * (end - earliest));
                final long until = Math.min(end, from + 1 + random.nextInt(60));
                consumer.seek(tp, from);
                final long[] next = {from};
                final long deadlineNs = System.nanoTime() + 20_000_000_000L;
                while (next[0] < until && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) ->
                    {
                        if (next[0] < until)
                        {
                            assertEquals(next[0], record.offset(), context);
                            assertEquals("k" + next[0], record.buffer().getStringWithoutLengthUtf8(
                                record.keyOffset(), record.keyLength()), context);
                            next[0]++;
                        }
                    }, 100, 100);
                }
                assertEquals(until, next[0], "read [" + from + ", " + until + ") with earliest " + earliest +
                    (streaming ? ", streaming, " : ", long-poll, ") + context);
            }
        }
    }

    private void awaitArchivingIdle(final Path data, final String context) throws InterruptedException
    {
        await(() -> isEverySealedSegmentArchived(data),
            () -> "every sealed segment archived, " + context + "\n" + archiverState(data));
    }

    /**
     * Every local segment but the active one is in the manifest: the manifest ends where the active segment starts,
     * or, with nothing archived yet (an empty manifest ends at -1), the active segment is the only one and starts at 0
     * (no segment was ever sealed, say the topic is still empty).
     */
    private static boolean isEverySealedSegmentArchived(final Path data)
    {
        if (!TierManifest.exists(partitionDir(data)))
        {
            return false;
        }
        final long endOffset = TierManifest.load(partitionDir(data)).endOffset();
        final long[] bases = localBaseOffsets(data).sorted().toArray();
        if (0 == bases.length)
        {
            return false;
        }
        final long activeBase = bases[bases.length - 1];
        return -1 == endOffset ? 1 == bases.length && 0 == activeBase : endOffset == activeBase;
    }

    /**
     * What the archiver was doing, for a failure message: the manifest, the local segments, the partition's
     * recordings in the archive and the broker's error log.
     */
    private String archiverState(final Path data)
    {
        final StringBuilder state = new StringBuilder();
        try
        {
            state.append("local base offsets ").append(Arrays.toString(localBaseOffsets(data).sorted().toArray()));
            if (!TierManifest.exists(partitionDir(data)))
            {
                state.append(", no tier manifest");
            }
            else
            {
                final TierManifest manifest = TierManifest.load(partitionDir(data));
                state.append(", manifest end offset ").append(manifest.endOffset()).append(", entries:");
                for (final TierManifest.Entry entry : manifest.entries())
                {
                    state.append("\n  ").append(entry);
                }
                state.append("\nrecordings tagged ").append(manifest.tierPrefix()).append(':');
                try (Aeron aeron = Aeron.connect(new Aeron.Context()
                    .errorHandler(Throwable::printStackTrace).aeronDirectoryName(archiveAeronDir));
                    AeronArchive client = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                        .controlRequestChannel("aeron:ipc").controlResponseChannel("aeron:ipc")))
                {
                    client.listRecordingsForUri(0, Integer.MAX_VALUE, manifest.tierPrefix(),
                        TierChannels.RECORD_STREAM_ID,
                        (a, b, recordingId, c, d, startPosition, stopPosition, e, f, g, h, i, j, k, channel, l) ->
                            state.append("\n  ").append(recordingId).append(" [").append(startPosition).append(", ")
                            .append(stopPosition).append(") ").append(channel));
                }
                catch (final RuntimeException ex)
                {
                    state.append(" cannot list: ").append(ex);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            state.append(" (").append(ex).append(')');
        }

        final ByteArrayOutputStream errors = new ByteArrayOutputStream();
        try (SpindleMarkFile markFile = SpindleMarkFile.open(data);
            PrintStream out = new PrintStream(errors, true, StandardCharsets.UTF_8))
        {
            out.print("\nthe broker's error log (" + markFile.errorCount() + " errors):");
            SpindleMarkFile.printErrors(markFile.errorBuffer(), out);
        }
        catch (final RuntimeException ex)
        {
            state.append("\nno error log: ").append(ex);
        }
        return state.append(errors.toString(StandardCharsets.UTF_8)).toString();
    }

    private static int recordings(final AeronArchive client, final String tag)
    {
        final int[] count = {0};
        client.listRecordingsForUri(0, Integer.MAX_VALUE, tag, TierChannels.RECORD_STREAM_ID,
            (a, b, recordingId, c, d, e, f, g, h, i, j, k, l, m, n, o) -> count[0]++);
        return count[0];
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
        await(condition, () -> what);
    }

    private static void await(final BooleanSupplier condition, final Supplier<String> what)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("timed out waiting: " + what.get());
            }
            Thread.sleep(10);
        }
    }
}
