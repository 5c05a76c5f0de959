/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.archive.client.AeronArchive;
import io.spindle.archive.ArchiveServer;
import io.spindle.archive.ArchiveTier;
import io.spindle.archive.TierAuthenticator;
import io.spindle.archive.TierManifest;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.History;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.NodeProcesses.AWAIT_MS;
import static io.spindle.tools.NodeProcesses.awaitCondition;
import static io.spindle.tools.NodeProcesses.client;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle node --archive HOST:PORT} through real processes, as a script runs it: a {@code spindle archive
 * --dir D --listen HOST:PORT --secret-file F} and three {@code spindle node} members naming it, started with
 * {@code spindle.tier.secret.file=F} (only they may open the archive), a topic created with
 * {@code spindle topics create --config remote.storage.enable=true} and small segments and local retention. Once
 * records are acknowledged (acks=all), every member's local directory shrinks below what was produced,
 * {@code spindle topics describe} shows the log start below the local log start, and a consumer from the beginning
 * reads every acknowledged record in order, across the tier boundary. Then a burst of records is produced and, while
 * the members copy its segments (throttled), the archive is killed with SIGKILL and started again at once on the same
 * directory and port; while a producer goes on, the leader is killed with SIGKILL and started again. After more
 * records the same holds on every member, nothing acknowledged lost and nothing twice, the archive holds exactly the
 * recordings the members' manifests list, and the replication checker, reading both
 * tiers, passes.
 */
@Timeout(240)
class NodeStandaloneArchiveProcessTest
{
    private static final String TOPIC = "tiered";
    private static final String TIER_SECRET = "the-tier-secret-of-this-test";
    private static final int SEGMENT_BYTES = 16 * 1024;
    private static final int LOCAL_RETENTION_BYTES = 32 * 1024;
    private static final int VALUE_BYTES = 200;
    private static final int FIRST_RECORDS = 600;
    /**
     * About how many records of {@link #VALUE_BYTES} a segment holds.
     */
    private static final int RECORDS_PER_SEGMENT = SEGMENT_BYTES / VALUE_BYTES;
    /**
     * What a member may keep on disk once local retention has run: the retained bytes, the active segment and a
     * segment's worth of slack for a roll in between; far below the 150 KB and more produced.
     */
    private static final long LOCAL_BYTES_BOUND = LOCAL_RETENTION_BYTES + 2L * SEGMENT_BYTES;

    @TempDir
    Path dir;

    @RegisterExtension
    final NodeProcesses nodes = new NodeProcesses("spindle-node-archive-test", () -> dir)
        .nodeOptions("-Dspindle.tier.copy.rate=128k", "-Dspindle.tier.step.timeout=3s");

    private final Map<Long, String> acked = new HashMap<>();
    private final Set<String> inDoubt = new HashSet<>();
    private final History history = new History();
    private final long startNs = System.nanoTime();
    private int archivePort;

    @AfterEach
    void deleteArchiveDriver()
    {
        if (0 != archivePort)
        {
            // The default of spindle archive without --aeron-dir; a killed archive leaves it behind.
            IoUtil.delete(new File(CommonContext.getAeronDirectoryName() + "-archive-" + archivePort), true);
        }
    }

    @Test
    void membersTierIntoAStandaloneArchiveThroughKillsOfTheArchiveAndOfTheLeader() throws Exception
    {
        final Path archiveDir = dir.resolve("archive");
        final Path secretFile = SpindleProcess.writeSecretFile(dir.resolve("tier.secret"), TIER_SECRET);
        SpindleProcess archive = nodes.startOther("spindle archive", List.of(),
            "archive", "--dir", archiveDir.toString(), "--listen", "127.0.0.1:0",
            "--secret-file", secretFile.toString());
        archive.awaitLine("admitting only clients presenting the tier secret", AWAIT_MS);
        final String endpoint = archive.awaitLine("listening ", AWAIT_MS).substring("listening ".length()).trim();
        archivePort = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
        assertTrue(archivePort > 0, endpoint);
        progress("archive listening");

        nodes.members(3);
        nodes.nodeOptions("-Dspindle.tier.secret.file=" + secretFile);
        final String bootstrap = nodes.bootstrap();
        for (int m = 0; m < 3; m++)
        {
            nodes.start(m, "--archive", endpoint);
        }
        for (int m = 0; m < 3; m++)
        {
            nodes.awaitJoined(m, 0);
        }
        progress("archive and members listening");
        nodes.runCli(0, "topics", "create", "--bootstrap", bootstrap, "--topic", TOPIC, "--partitions", "1",
            "--config", "remote.storage.enable=true",
            "--config", "segment.bytes=" + SEGMENT_BYTES,
            "--config", "local.retention.bytes=" + LOCAL_RETENTION_BYTES,
            "--config", "max.message.bytes=8192");

        try (Producer producer = Producer.connect(producerContext(bootstrap)))
        {
            for (int i = 0; i < FIRST_RECORDS; i++)
            {
                send(producer, i);
            }
            producer.flush();
        }
        assertEquals(FIRST_RECORDS, acked(), "acknowledged: " + acked() + ", in doubt: " + inDoubt());
        awaitTiered(FIRST_RECORDS);
        consumeEverything(nodes.awaitLeader(-1), FIRST_RECORDS);
        progress(FIRST_RECORDS + " records tiered and read back");

        // A burst of segments to copy, throttled; the archive is killed once the members are copying them.
        final long[] endsBefore = manifestEnds();
        try (Producer producer = Producer.connect(producerContext(bootstrap)))
        {
            for (int i = FIRST_RECORDS; i < 2 * FIRST_RECORDS; i++)
            {
                send(producer, i);
            }
            producer.flush();
        }
        awaitCondition(() -> copiedSince(endsBefore), () -> "a member to copy a segment of the burst: " +
            Arrays.toString(manifestEnds()));
        NodeProcesses.kill(archive);
        final long[] endsAtKill = manifestEnds();
        assertTrue(Arrays.stream(endsAtKill).min().orElseThrow() < 2 * FIRST_RECORDS - 2 * RECORDS_PER_SEGMENT,
            "killed in the middle of copying: " + Arrays.toString(endsAtKill));

        // Started again at once, the archive waits for the killed run's mark file to go stale while the members'
        // copies fail and a producer goes on; meanwhile the leader is killed and started again too.
        archive = nodes.startOther("spindle archive", List.of(),
            "archive", "--dir", archiveDir.toString(), "--listen", endpoint, "--secret-file", secretFile.toString());
        progress("archive killed at manifest ends " + Arrays.toString(endsAtKill) + " and started again");
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread producing = new Thread(() -> produceUntil(bootstrap, stop), "producer");
        producing.start();
        awaitAcked(acked() + 50);
        final int leader = nodes.awaitLeader(-1);
        nodes.kill(leader);
        nodes.awaitLeader(leader);
        final int linesBefore = nodes.lines(leader).size();
        nodes.start(leader, "--archive", endpoint);
        progress("leader " + leader + " killed, another leads, started again");
        assertEquals("listening " + endpoint, archive.awaitLine("listening ", AWAIT_MS),
            "the archive restarted on the same directory and port");
        nodes.awaitJoined(leader, linesBefore);
        progress("archive and member " + leader + " back");
        awaitAcked(acked() + 200);
        stop.set(true);
        producing.join(AWAIT_MS);
        assertTrue(!producing.isAlive(), "the producer did not finish");

        final long end = end();
        awaitTiered(end);
        progress(end + " records tiered");
        for (int m = 0; m < 3; m++)
        {
            consumeEverything(m, end);
        }
        progress("every member served every record");
        final Set<Long> listed = new HashSet<>();
        awaitCondition(() -> listedRecordings(listed).equals(archiveRecordings(endpoint)),
            () -> "the archive's recordings " + archiveRecordings(endpoint) + " to be those the members' manifests " +
            "list, once each: " + listed);

        for (int m = 0; m < 3; m++)
        {
            nodes.process(m).terminate();
        }
        for (int m = 0; m < 3; m++)
        {
            nodes.stop(m);
        }
        archive.terminate();
        archive.awaitExit(AWAIT_MS);
        progress("stopped");
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, nodes.memberDir(m)).tierArchive(m, archiveDir);
        }
        final CheckResult result = checker.check();
        System.out.println("tiered into spindle archive through SIGKILLs of it and of leader " + leader + ": " +
            result.summary());
        assertTrue(result.isValid(), result.toString());
        assertEquals(acked.size(), result.found(), result.summary());
    }

    /**
     * Wait until every member keeps at most {@link #LOCAL_BYTES_BOUND} bytes of segments and has deleted its oldest,
     * then check what {@code spindle topics describe} says: the log start (in the archive) below the local log start,
     * and the log end where the acknowledged records end.
     */
    private void awaitTiered(final long end) throws Exception
    {
        assertTrue(LOCAL_BYTES_BOUND < end * VALUE_BYTES, "the bound is below what was produced");
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            awaitCondition(() -> localBytes(member) <= LOCAL_BYTES_BOUND && firstLocalOffset(member) > 0,
                () -> "member " + member + "'s directory to shrink to local.retention.bytes: " + localBytes(member) +
                " bytes, first local offset " + firstLocalOffset(member) + ", log end " + end + ", the members' " +
                "manifests end at " + Arrays.toString(manifestEnds()) + "; roles " + nodes.roles());
        }
        final List<String> describe = nodes.runCli(0, "topics", "describe", "--bootstrap", nodes.bootstrap(),
            "--topic", TOPIC);
        final String[] row = describe.stream().filter((line) -> line.startsWith("0 ")).findFirst()
            .orElseThrow(() -> new AssertionError(String.join("\n", describe))).trim().split("\\s+");
        final long logStart = Long.parseLong(row[2]);
        final long localStart = Long.parseLong(row[3]);
        final long logEnd = Long.parseLong(row[4]);
        assertEquals(0, logStart, String.join("\n", describe));
        assertTrue(logStart < localStart, String.join("\n", describe));
        assertTrue(logEnd >= end, String.join("\n", describe));
    }

    /**
     * From one member, read from the beginning until {@code end}: offsets one after the other, every acknowledged
     * record at its offset, nothing that was never sent, nothing twice.
     */
    private void consumeEverything(final int member, final long end)
    {
        final Consumer.Context ctx = client(new Consumer.Context(), nodes.bootstrap())
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        ctx.replica(member);
        final Map<Long, String> consumed = new HashMap<>();
        final List<String> problems = new ArrayList<>();
        final long[] next = {0};
        try (Consumer consumer = Consumer.connect(ctx))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
            while (next[0] < end && problems.isEmpty())
            {
                assertTrue(System.currentTimeMillis() < deadlineMs, () -> "member " + member + " served " + next[0] +
                    " of " + end + " records from the beginning");
                consumer.poll((record) ->
                {
                    if (record.offset() != next[0])
                    {
                        problems.add("offset " + record.offset() + " where " + next[0] + " was next");
                    }
                    next[0] = record.offset() + 1;
                    consumed.put(record.offset(), record.valueAsString());
                }, 1_000, 100);
            }
        }
        assertEquals(List.of(), problems, "member " + member + " out of order");
        synchronized (acked)
        {
            for (final Map.Entry<Long, String> ack : acked.entrySet())
            {
                if (ack.getKey() < end && !ack.getValue().equals(consumed.get(ack.getKey())))
                {
                    problems.add("acknowledged offset " + ack.getKey() + " lost: " + consumed.get(ack.getKey()));
                }
            }
            final Set<String> sent = new HashSet<>(acked.values());
            sent.addAll(inDoubt);
            final Set<String> seen = new HashSet<>();
            for (final Map.Entry<Long, String> record : consumed.entrySet())
            {
                final String value = record.getValue();
                if (!seen.add(value))
                {
                    problems.add("offset " + record.getKey() + " holds a record again");
                }
                if (!sent.contains(value))
                {
                    problems.add("offset " + record.getKey() + " holds a record never sent");
                }
            }
        }
        assertTrue(problems.isEmpty(), () -> "member " + member + ": " + problems.subList(0,
            Math.min(10, problems.size())) + " (" + problems.size() + " problems)");
    }

    private void progress(final String what)
    {
        System.out.println(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms: " + what);
    }

    private void produceUntil(final String bootstrap, final AtomicBoolean stop)
    {
        try (Producer producer = Producer.connect(producerContext(bootstrap)))
        {
            for (int i = 2 * FIRST_RECORDS; !stop.get(); i++)
            {
                send(producer, i);
                producer.poll();
                // About 100 records a second: below what the members copy at 128k/s, once the archive is back.
                LockSupport.parkNanos(10_000_000);
            }
            producer.flush();
        }
    }

    private void send(final Producer producer, final int sequence)
    {
        final String value = "r-" + sequence + "-" + "x".repeat(VALUE_BYTES);
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        while (Producer.BACK_PRESSURED == producer.send(TOPIC, 0, null, bytes, (p, offset, code) ->
        {
            synchronized (acked)
            {
                if (ErrorCode.NONE == code)
                {
                    acked.put(offset, value);
                    history.acknowledged("producer", sequence, TOPIC, p, offset, bytes);
                }
                else
                {
                    inDoubt.add(value);
                    history.inDoubt("producer", sequence, TOPIC, p, bytes);
                }
            }
        }))
        {
            producer.poll();
            LockSupport.parkNanos(100_000);
        }
    }

    private static Producer.Context producerContext(final String bootstrap)
    {
        // Batches of a few records, so that a segment holds many and rolls between them.
        return client(new Producer.Context().acks(-1).maxRecordSize(8 * 1024).batchSize(2 * 1024), bootstrap);
    }

    private int acked()
    {
        synchronized (acked)
        {
            return acked.size();
        }
    }

    private int inDoubt()
    {
        synchronized (acked)
        {
            return inDoubt.size();
        }
    }

    private long end()
    {
        synchronized (acked)
        {
            return acked.keySet().stream().mapToLong(Long::longValue).max().orElse(-1) + 1;
        }
    }

    private void awaitAcked(final int count) throws InterruptedException
    {
        awaitCondition(() -> acked() >= count, () -> count + " acknowledgements (" + acked() + ", in doubt " +
            inDoubt() + "); roles " + nodes.roles());
    }

    private Path partitionDir(final int member)
    {
        return ReplicationChecker.partitionDirectory(nodes.memberDir(member), TOPIC, 0);
    }

    private long localBytes(final int member)
    {
        try (Stream<Path> files = Files.list(partitionDir(member)))
        {
            return files.filter((f) -> f.toString().endsWith(".log")).mapToLong((f) -> f.toFile().length()).sum();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private long firstLocalOffset(final int member)
    {
        try (Stream<Path> files = Files.list(partitionDir(member)))
        {
            return files.map((f) -> f.getFileName().toString()).filter((n) -> n.endsWith(".log"))
                .mapToLong((n) -> Long.parseLong(n.substring(0, n.length() - ".log".length()))).min().orElse(-1);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Where each member's tier manifest of the topic ends (0 before it has one).
     */
    private long[] manifestEnds()
    {
        final long[] ends = new long[3];
        for (int m = 0; m < 3; m++)
        {
            final File[] manifests = nodes.memberDir(m).resolve("tier").toFile().listFiles();
            for (final File manifest : null == manifests ? new File[0] : manifests)
            {
                if (TierManifest.exists(manifest.toPath()))
                {
                    ends[m] = TierManifest.load(manifest.toPath()).endOffset();
                }
            }
        }
        return ends;
    }

    private boolean copiedSince(final long[] ends)
    {
        final long[] now = manifestEnds();
        for (int m = 0; m < 3; m++)
        {
            if (now[m] > ends[m])
            {
                return true;
            }
        }
        return false;
    }

    /**
     * The recordings every member's tier manifests list, into {@code listed} (for the message) and returned.
     */
    private Set<Long> listedRecordings(final Set<Long> listed)
    {
        listed.clear();
        for (int m = 0; m < 3; m++)
        {
            final File[] manifests = nodes.memberDir(m).resolve("tier").toFile().listFiles();
            for (final File manifest : null == manifests ? new File[0] : manifests)
            {
                if (TierManifest.exists(manifest.toPath()))
                {
                    TierManifest.load(manifest.toPath()).entries().forEach((e) -> listed.add(e.recordingId()));
                }
            }
        }
        return listed;
    }

    /**
     * The recordings of segments in the archive, through a client on member 0's media driver.
     */
    private Set<Long> archiveRecordings(final String endpoint)
    {
        final Set<Long> ids = new HashSet<>();
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(nodes.aeronDir(0))
            .errorHandler((error) -> {}));
            AeronArchive client = ArchiveServer.connectRemote(aeron, endpoint, "localhost",
                TierAuthenticator.credentials(TIER_SECRET.getBytes(StandardCharsets.US_ASCII))))
        {
            client.listRecordings(0, Integer.MAX_VALUE,
                (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
                stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId,
                strippedChannel, originalChannel, sourceIdentity) ->
                {
                    if (ArchiveTier.RECORD_STREAM_ID == streamId)
                    {
                        ids.add(recordingId);
                    }
                });
        }
        return ids;
    }
}
