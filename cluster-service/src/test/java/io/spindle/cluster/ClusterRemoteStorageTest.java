/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.aeron.Aeron;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.security.NullCredentialsSupplier;
import io.spindle.archive.TierManifest;
import io.spindle.cluster.check.CheckResult;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.SegmentArchivedEncoder;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiered storage on three members in this JVM, each archiving into the archive it runs for its Raft log: every
 * member copies its sealed segments into its own tier and says so through the log, local retention deletes a segment
 * on every member alike once every member's tier holds it, and each member serves the records below its local log
 * start from its own tier, through a follower's restart and a leader's failover while segments are being archived.
 */
class ClusterRemoteStorageTest extends TieredClusterTestBase
{
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
            // What spindle stat shows an operator: segments this member archived that wait for the stopped one.
            cluster.await(() -> tierCounters(m).getOrDefault("segments awaiting other members", 0L) > 0,
                () -> "member " + m + "'s tier counters to show segments awaiting the stopped member: " +
                tierCounters(m));
        }
        cluster.launch(follower);

        // The leader dies while records arrive and segments are being archived (once the producer is connected).
        final Thread killer = new Thread(() ->
        {
            TestCluster.sleep(200);
            cluster.stop(leader);
        }, "kill-leader");
        produce(1000, 1500, acked, killer::start);
        killer.join(TestCluster.AWAIT_NS / 1_000_000L);
        cluster.awaitLeader(leader);
        cluster.launch(leader);
        assertEquals(1500, acked.size());

        // Every member's local log shrinks to its local retention, alike everywhere, the rest in each member's tier.
        final long end = acked.stream().mapToLong((a) -> a.offset() + 1).max().orElseThrow();
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= end, "member " + m + " to apply every record");
            final PartitionLog log = partition(m);
            cluster.await(() -> log.sizeInBytes() <= LOCAL_RETENTION_BYTES + SEGMENT_BYTES &&
                log.logStartOffset() == partition(0).logStartOffset(),
                () -> "member " + member + " to delete its archived segments: " + log + " from " +
                log.logStartOffset() + ", member 0 from " + partition(0).logStartOffset());
            // A deleted segment's file goes once no reader (fetch server, archiver) may still hold it: a moment later.
            cluster.await(() -> localBytes(member) <= LOCAL_RETENTION_BYTES + 2 * SEGMENT_BYTES,
                () -> "member " + member + "'s directory to shrink: it holds " + localBytes(member) +
                " bytes of segments");
            assertEquals(0, log.readableStartOffset(), "member " + m + " reads from the start of its tier");
        }
        assertTrue(partition(0).logStartOffset() > 0, "segments were deleted locally");

        // Each member serves every record once, in order, at its offset, from its tier and then its local log.
        for (int m = 0; m < 3; m++)
        {
            final Map<Long, String> consumed = consumeAll(m, acked.size());
            for (final Ack ack : acked)
            {
                assertEquals(ack.value(), consumed.get(ack.offset()), "offset " + ack.offset() + " from member " + m);
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

        // Each member's tier counters, as spindle stat shows them: its archive answering, nothing left to copy and
        // nothing waiting for another member; the member that ran throughout counted a copy of every segment its
        // manifest lists.
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> Long.valueOf(0).equals(tierCounters(member).get("copy lag segments")) &&
                Long.valueOf(0).equals(tierCounters(member).get("copy lag bytes")) &&
                Long.valueOf(1).equals(tierCounters(member).get("archive reachable")) &&
                Long.valueOf(0).equals(tierCounters(member).get("segments awaiting other members")),
                () -> "member " + member + "'s tier counters to show no copy lag: " + tierCounters(member));
        }
        final int throughout = (leader + 2) % 3;
        assertEquals(manifestEntries(manifestDir(throughout)).size(),
            tierCounters(throughout).get("segments copied"), "member " + throughout + ": " + tierCounters(throughout));

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

    @Test
    @Timeout(60)
    void aReportClaimingOffsetsBeyondThePartitionsSealedSegmentsIsIgnoredAlikeByEveryMember()
    {
        cluster = new TestCluster(dir, 3);
        final int leader = cluster.start();
        createTopic(Map.of());
        final List<Ack> acked = new ArrayList<>();
        produce(0, 20, acked);
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= 20, "member " + m + " to apply every record");
            assertEquals(0, partition(m).activeSegmentBaseOffset(), "nothing sealed yet on member " + m);
        }

        // What a confused client (or anything but a member's archiver) could put on the ingress: every member has
        // "archived" a million offsets. Taken as true, the tier would list records no member holds and local
        // retention would delete whatever it liked.
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final SegmentArchivedEncoder encoder = new SegmentArchivedEncoder();
        try (AeronCluster client = AeronCluster.connect(new AeronCluster.Context()
            .errorHandler(Throwable::printStackTrace)
            .aeronDirectoryName(cluster.node(leader).aeronDirectoryName())
            .ingressChannel("aeron:udp?term-length=64k")
            .ingressEndpoints(ClusterNode.ingressEndpoints(ClusterNode.parseMembers(cluster.members())))
            .egressChannel("aeron:udp?endpoint=localhost:0")
            .messageTimeoutNs(TestCluster.AWAIT_NS)))
        {
            for (int m = 0; m < 3; m++)
            {
                encoder.wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
                    .correlationId(m).memberId(m).topicId(1).partition(0).baseOffset(0).nextOffset(1_000_000)
                    .bytes(1).maxTimestampMs(0).crc(0).recordingId(0);
                final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
                cluster.await(() -> client.offer(buffer, 0, length) > 0, "the report to be sent");
            }
        }
        // Without spindle.node.secret.file a member's archive answers anyone, as Aeron's does by default.
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(cluster.node(leader).aeronDirectoryName()).errorHandler((error) -> {}));
            AeronArchive stranger = connectArchive(aeron, (leader + 1) % 3, new NullCredentialsSupplier()))
        {
            assertTrue(stranger.archiveId() >= 0);
        }
        for (int m = 0; m < 3; m++)
        {
            final MemberTier tier = cluster.node(m).service().tier();
            cluster.await(() -> tier.implausibleReports() == 3, "member " + m + " to ignore the three reports");
            assertEquals(0, tier.segments(1, 0).size(), "member " + m + "'s tier lists nothing");
            assertEquals(-1, tier.tierStartOffset(1, 0), "member " + m + "'s tier start");
            assertTrue(partition(m).tieredOffset() < 1_000_000, "member " + m + " may not delete beyond its tier");
        }
        check(acked);
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
        final long end = acked.stream().mapToLong((a) -> a.offset() + 1).max().orElseThrow();
        cluster.await(() -> highWaterMark(follower) >= end, "the follower to replay the log");
        assertEquals(1, cluster.node(follower).service().tier().rebuiltSegments(),
            "the follower rebuilt the snapshot's active segment from its tier");
        produce(700, 900, acked);
        final long lastEnd = acked.stream().mapToLong((a) -> a.offset() + 1).max().orElseThrow();
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
            assertEquals(ack.value(), consumed.get(ack.offset()), "offset " + ack.offset() + " from the follower");
        }
        check(acked);
    }

    @Test
    void aMemberWhoseDefaultTurnsRemoteStorageOnStarts()
    {
        final ClusterNode.Context ctx = new ClusterNode.Context().memberId(0).members("0=localhost:20000")
            .directory(dir.resolve("member")).logConfig(new LogConfig().remoteStorageEnable(true));
        assertEquals(ctx, ctx.conclude(), "the member accepts remote storage by default for every topic");
    }
}
