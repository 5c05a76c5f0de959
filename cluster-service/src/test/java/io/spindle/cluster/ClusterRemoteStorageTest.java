/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.aeron.Aeron;
import io.aeron.archive.client.AeronArchive;
import io.spindle.archive.ArchiveTier;
import io.spindle.archive.TierManifest;
import io.spindle.broker.Topic;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.History;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiered storage on three members in this JVM, each archiving into the archive it runs for its Raft log: every
 * member copies its sealed segments into its own tier and says so through the log, local retention deletes a segment
 * on every member alike once every member's tier holds it, and each member serves the records below its local log
 * start from its own tier, through a follower's restart and a leader's failover while segments are being archived.
 */
class ClusterRemoteStorageTest
{
    private static final String TOPIC = "tiered";
    private static final int SEGMENT_BYTES = 16 * 1024;
    private static final int LOCAL_RETENTION_BYTES = 32 * 1024;
    private static final int VALUE_BYTES = 200;

    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void tearDown()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    @Test
    @Timeout(120)
    void everyMemberArchivesOnceAndServesEveryRecordAcrossTheTierBoundaryThroughARestartAndAFailover()
        throws InterruptedException
    {
        cluster = new TestCluster(dir, 3);
        final int leader = cluster.start();
        final int follower = (leader + 1) % 3;
        createTopic(Map.of());
        final List<Ack> acked = new ArrayList<>();
        produce(0, 500, acked);

        // A follower stops while it archives: while it is down, no member deletes what its tier does not hold.
        final Path followerManifest = manifestDir(follower);
        cluster.await(() -> manifestEntries(followerManifest).size() >= 2, "member " + follower + " to archive");
        cluster.stop(follower);
        final long followerArchivedEnd = end(manifestEntries(followerManifest));
        produce(500, 1000, acked);
        for (final int m : running())
        {
            cluster.await(() -> highWaterMark(m) >= 1000, "member " + m + " to apply every record");
            final PartitionLog log = partition(m);
            assertTrue(log.logStartOffset() <= followerArchivedEnd, "member " + m + " deleted its local segments " +
                "up to " + log.logStartOffset() + " while the stopped member's tier ends at " + followerArchivedEnd);
        }
        cluster.launch(follower);

        // The leader dies while records arrive and segments are being archived.
        final Thread killer = new Thread(() ->
        {
            TestCluster.sleep(200);
            cluster.stop(leader);
        }, "kill-leader");
        killer.start();
        produce(1000, 1500, acked);
        killer.join(TestCluster.AWAIT_NS / 1_000_000L);
        cluster.awaitLeader(leader);
        cluster.launch(leader);
        assertEquals(1500, acked.size());

        // Every member's local log shrinks to its local retention, alike everywhere, the rest in each member's tier.
        final long end = acked.stream().mapToLong((a) -> a.offset + 1).max().orElseThrow();
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= end, "member " + m + " to apply every record");
            final PartitionLog log = partition(m);
            cluster.await(() -> log.sizeInBytes() <= LOCAL_RETENTION_BYTES + SEGMENT_BYTES &&
                log.logStartOffset() == partition(0).logStartOffset(),
                () -> "member " + member + " to delete its archived segments: " + log + " from " +
                log.logStartOffset() + ", member 0 from " + partition(0).logStartOffset());
            assertTrue(localBytes(m) <= LOCAL_RETENTION_BYTES + 2 * SEGMENT_BYTES, "member " + m + " holds " +
                localBytes(m) + " bytes of segments");
            assertEquals(0, log.readableStartOffset(), "member " + m + " reads from the start of its tier");
        }
        assertTrue(partition(0).logStartOffset() > 0, "segments were deleted locally");

        // Each member serves every record once, in order, at its offset, from its tier and then its local log.
        for (int m = 0; m < 3; m++)
        {
            final Map<Long, String> consumed = consumeAll(m, acked.size());
            for (final Ack ack : acked)
            {
                assertEquals(ack.value, consumed.get(ack.offset), "offset " + ack.offset + " from member " + m);
            }
        }

        // Each member archived each sealed segment once: its manifest is contiguous from offset 0, and its archive
        // holds exactly the manifest's recordings (no copy left over from the interrupted attempts).
        for (int m = 0; m < 3; m++)
        {
            final List<TierManifest.Entry> entries = manifestEntries(manifestDir(m));
            long next = 0;
            for (final TierManifest.Entry entry : entries)
            {
                assertEquals(next, entry.baseOffset(), "member " + m + "'s manifest: " + entries);
                next = entry.nextOffset();
            }
            assertTrue(next >= partition(m).logStartOffset(), "member " + m + "'s tier reaches its local start");
            final int member = m;
            cluster.await(() -> recordingIds(manifestEntries(manifestDir(member))).equals(tierRecordings(member)),
                () -> "member " + member + "'s recordings " + tierRecordings(member) + " to be its manifest's " +
                recordingIds(manifestEntries(manifestDir(member))));
        }

        // The members' local files are byte-identical, and each member holds every acknowledged record in one tier or
        // the other; the checker reads the tier: a damaged copy is reported.
        check(acked);
        final TierManifest.Entry first = manifestEntries(manifestDir(1)).get(0);
        final Path recording = cluster.memberDir(1).resolve("archive").resolve(first.recordingId() + "-0.rec");
        try (FileChannel channel = FileChannel.open(recording,
            StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[]{ 'X' }), 200);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final CheckResult damaged = checker(acked).check();
        assertTrue(!damaged.isValid() && damaged.toString().contains("its tier"), damaged.toString());
    }

    private void createTopic(final Map<String, String> extra)
    {
        final Map<String, String> configs = new HashMap<>(Map.of(LogConfig.REMOTE_STORAGE_ENABLE, "true",
            LogConfig.SEGMENT_BYTES, Integer.toString(SEGMENT_BYTES),
            LogConfig.LOCAL_RETENTION_BYTES, Integer.toString(LOCAL_RETENTION_BYTES)));
        configs.putAll(extra);
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.createTopic(TOPIC, 1, configs);
        }
    }

    /**
     * Close the cluster and check every member's logs across both tiers.
     */
    private void check(final List<Ack> acked)
    {
        cluster.close();
        final CheckResult result = checker(acked).check();
        assertTrue(result.isValid(), result.toString());
        assertEquals(acked.size(), result.found(), result.summary());
    }

    private ReplicationChecker checker(final List<Ack> acked)
    {
        final History history = new History();
        for (final Ack ack : acked)
        {
            history.acknowledged("producer", ack.sequence, TOPIC, 0, ack.offset,
                ack.value.getBytes(StandardCharsets.UTF_8));
        }
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, cluster.memberDir(m));
        }
        return checker;
    }

    private static Set<Long> recordingIds(final List<TierManifest.Entry> entries)
    {
        final Set<Long> ids = new HashSet<>();
        entries.forEach((entry) -> ids.add(entry.recordingId()));
        return ids;
    }

    @Test
    @Timeout(90)
    void aFollowerRestoringASnapshotWhoseActiveSegmentWasDeletedSinceRebuildsItFromItsTier()
    {
        cluster = new TestCluster(dir, 3);
        final int leader = cluster.start();
        final int follower = (leader + 1) % 3;
        createTopic(Map.of());
        final List<Ack> acked = new ArrayList<>();
        produce(0, 150, acked);
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= 150, "member " + m + " to apply every record");
        }
        final long activeBase = partition(follower).activeSegmentBaseOffset();
        final long snapshotEnd = partition(follower).logEndOffset();
        assertTrue(activeBase < snapshotEnd, "the active segment holds records when the snapshot is taken");
        SnapshotTool.takeSnapshot(cluster.memberDir(leader).resolve("cluster").toFile(),
            cluster.node(leader).aeronDirectoryName(), TestCluster.AWAIT_NS);
        cluster.await(() -> cluster.node(follower).service().lastSnapshotLogPosition() > 0, "the follower's snapshot");

        // Local retention deletes the snapshot's active segment (sealed, archived everywhere) on every member.
        produce(150, 700, acked);
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= 700 && partition(member).logStartOffset() > snapshotEnd,
                "member " + m + " to delete the snapshot's active segment locally");
        }

        // Restarted, the follower restores the snapshot and replays the log after it: its segments are the others'.
        cluster.stop(follower);
        cluster.launch(follower);
        final long end = acked.stream().mapToLong((a) -> a.offset + 1).max().orElseThrow();
        cluster.await(() -> highWaterMark(follower) >= end, "the follower to replay the log");
        assertEquals(1, cluster.node(follower).service().tier().rebuiltSegments(),
            "the follower rebuilt the snapshot's active segment from its tier");
        produce(700, 900, acked);
        final long lastEnd = acked.stream().mapToLong((a) -> a.offset + 1).max().orElseThrow();
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= lastEnd &&
                partition(member).logStartOffset() == partition(leader).logStartOffset(),
                "member " + m + " to apply every record and delete alike");
            assertEquals(Arrays.toString(partition(leader).segmentBaseOffsets()),
                Arrays.toString(partition(m).segmentBaseOffsets()), "member " + m + "'s segments");
        }
        final Map<Long, String> consumed = consumeAll(follower, acked.size());
        for (final Ack ack : acked)
        {
            assertEquals(ack.value, consumed.get(ack.offset), "offset " + ack.offset + " from the follower");
        }
        check(acked);
    }

    @Test
    @Timeout(90)
    void retentionAcrossTiersAndDeletingTheTopicPurgeEveryMembersTierAlike()
    {
        cluster = new TestCluster(dir, 3);
        cluster.start();
        createTopic(Map.of());
        final List<Ack> acked = new ArrayList<>();
        produce(0, 600, acked);
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= 600 && partition(member).logStartOffset() > 0,
                "member " + m + " to archive and delete locally");
        }

        // retention.bytes bounds the partition across both tiers: the oldest archived segments go, on every member
        // at the same point, and each member's archiver purges its copies of them.
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.alterTopicConfigs(TOPIC, Map.of(LogConfig.RETENTION_BYTES, Integer.toString(4 * SEGMENT_BYTES)),
                List.of());
        }
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> partition(member).readableStartOffset() > 0 &&
                partition(member).readableStartOffset() == partition(0).readableStartOffset(),
                "member " + m + " to drop the oldest archived segments");
            final long start = partition(m).readableStartOffset();
            cluster.await(() -> !manifestEntries(manifestDir(member)).isEmpty() &&
                manifestEntries(manifestDir(member)).get(0).baseOffset() == start &&
                recordingIds(manifestEntries(manifestDir(member))).equals(tierRecordings(member)),
                () -> "member " + member + " to purge its copies below " + start + ": " +
                manifestEntries(manifestDir(member)));
        }
        final long start = partition(0).readableStartOffset();
        final Map<Long, String> consumed = consumeAll(1, (int)(acked.size() - start));
        assertEquals(start, consumed.keySet().stream().mapToLong(Long::longValue).min().orElseThrow(),
            "a consumer from the beginning starts at the tier's first offset");

        // The topic is deleted while a member is down: the others purge their copies at once, the member once back.
        final int leader = cluster.awaitLeader(-1);
        final int down = (leader + 1) % 3;
        cluster.stop(down);
        final byte[] leftover = read(manifestDir(down).resolve(TierManifest.FILE_NAME));
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.deleteTopic(TOPIC);
        }
        for (final int m : running())
        {
            cluster.await(() -> tierRecordings(m).isEmpty() && !Files.exists(manifestDir(m)),
                "member " + m + " to purge the deleted topic's recordings");
        }
        assertTrue(Files.exists(manifestDir(down)), "the stopped member's manifest is still there");
        cluster.launch(down);
        cluster.await(() -> tierRecordings(down).isEmpty() && !Files.exists(manifestDir(down)),
            "member " + down + " to purge the deleted topic's recordings once back");

        // Restarted from a snapshot taken after the deletion, a member never sees the topic: a manifest left behind
        // (a restart before the purge) is still found and removed.
        SnapshotTool.takeSnapshot(cluster.memberDir(leader).resolve("cluster").toFile(),
            cluster.node(leader).aeronDirectoryName(), TestCluster.AWAIT_NS);
        cluster.await(() -> cluster.node(down).service().lastSnapshotLogPosition() > 0, "the member's snapshot");
        cluster.stop(down);
        write(manifestDir(down).resolve(TierManifest.FILE_NAME), leftover);
        cluster.launch(down);
        cluster.await(() -> !Files.exists(manifestDir(down)), "member " + down + " to remove the leftover manifest");
    }

    @Test
    void aMemberWhoseDefaultTurnsRemoteStorageOnStarts()
    {
        final ClusterNode.Context ctx = new ClusterNode.Context().memberId(0).members("0=localhost:20000")
            .directory(dir.resolve("member")).logConfig(new LogConfig().remoteStorageEnable(true));
        assertEquals(ctx, ctx.conclude(), "the member accepts remote storage by default for every topic");
    }

    private int[] running()
    {
        final List<Integer> ids = new ArrayList<>();
        for (int m = 0; m < 3; m++)
        {
            if (null != cluster.node(m))
            {
                ids.add(m);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private PartitionLog partition(final int member)
    {
        final Topic topic = cluster.node(member).service().topicTable().topic(1);
        return null == topic ? null : topic.partition(0);
    }

    private long highWaterMark(final int member)
    {
        final ClusterNode node = cluster.node(member);
        final Topic topic = null == node ? null : node.service().topicTable().topic(1);
        return null == topic ? -1 : topic.partition(0).highWaterMark();
    }

    private Path manifestDir(final int member)
    {
        return cluster.memberDir(member).resolve("tier").resolve("1-0");
    }

    private static List<TierManifest.Entry> manifestEntries(final Path directory)
    {
        return TierManifest.exists(directory) ? TierManifest.load(directory).entries() : List.of();
    }

    private static byte[] read(final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void write(final Path file, final byte[] bytes)
    {
        try
        {
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static long end(final List<TierManifest.Entry> entries)
    {
        return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).nextOffset();
    }

    private long localBytes(final int member)
    {
        final Path partitionDir = ReplicationChecker.partitionDirectory(cluster.memberDir(member), TOPIC, 0);
        try (Stream<Path> files = Files.list(partitionDir))
        {
            return files.filter((f) -> f.toString().endsWith(".log")).mapToLong((f) -> f.toFile().length()).sum();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The recordings of segments in a member's archive, through a client of its own on the member's driver.
     */
    private Set<Long> tierRecordings(final int member)
    {
        final Set<Long> ids = new HashSet<>();
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(cluster.memberDir(member).resolve("aeron").toString())
            .errorHandler((error) -> {}));
            AeronArchive archive = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                .controlRequestChannel("aeron:ipc?term-length=64k")
                .controlResponseChannel("aeron:ipc?term-length=64k")))
        {
            archive.listRecordings(0, Integer.MAX_VALUE,
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

    private void produce(final int from, final int to, final List<Ack> acked)
    {
        final List<String> failed = new ArrayList<>();
        // Batches of a few records, so that a segment holds many and rolls between them.
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024)
            .batchSize(2 * 1024), cluster.bootstrap())))
        {
            for (int i = from; i < to; i++)
            {
                final int sequence = i;
                final String value = "r-" + i + "-" + "x".repeat(VALUE_BYTES);
                while (Producer.BACK_PRESSURED == producer.send(TOPIC, 0, null,
                    value.getBytes(StandardCharsets.UTF_8), (p, offset, code) ->
                    {
                        if (ErrorCode.NONE == code)
                        {
                            synchronized (acked)
                            {
                                acked.add(new Ack(offset, value, sequence));
                            }
                        }
                        else
                        {
                            failed.add(value + ": " + code);
                        }
                    }))
                {
                    producer.poll();
                    TestCluster.sleep(1);
                }
            }
            producer.flush();
        }
        assertEquals(List.of(), failed, "failed sends");
    }

    private Map<Long, String> consumeAll(final int replica, final int count)
    {
        final Map<Long, String> consumed = new TreeMap<>();
        final Consumer.Context ctx = client(new Consumer.Context(), cluster.endpoint(replica));
        ctx.autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        ctx.replica(replica);
        final List<String> problems = new ArrayList<>();
        final long[] last = { -1 };
        try (Consumer consumer = Consumer.connect(ctx))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            cluster.await(() ->
            {
                consumer.poll((record) ->
                {
                    if (record.offset() <= last[0])
                    {
                        problems.add("offset " + record.offset() + " after " + last[0]);
                    }
                    last[0] = record.offset();
                    consumed.put(record.offset(), record.valueAsString());
                }, 1_000, 100);
                return consumed.size() >= count;
            }, () -> "the consumer to read every record from member " + replica + " (" + consumed.size() + ")");
        }
        assertNull(problems.isEmpty() ? null : problems, "records out of order or twice from member " + replica);
        return new HashMap<>(consumed);
    }

    private <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }

    private record Ack(long offset, String value, long sequence)
    {
    }
}
