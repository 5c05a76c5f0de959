/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.spindle.archive.TierManifest;
import io.spindle.client.Consumer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.PartitionLog;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member of a cluster with a tiered topic, wiped after every member deleted its archived segments locally and
 * rebuilt over the network from a running member ({@link NetworkRebuild}): the donor's partition files alone leave
 * the rebuilt member without the records below its local log start, which the cluster's tier still holds.
 * <ul>
 *     <li>with its own archive, the rebuild copies the donor's tier too (manifests and recordings), and the rebuilt
 *     member serves every record from the beginning;</li>
 *     <li>without the tier (a member archiving into a shared archive gets no copy), it never answers such a read
 *     OFFSET_OUT_OF_RANGE, which would make a consumer with auto.offset.reset skip records that exist, but a
 *     retriable KAFKA_STORAGE_ERROR, counted and told once in its error log.</li>
 * </ul>
 */
class ClusterTierRebuildTest extends TieredClusterTestBase
{
    private static final int ARCHIVE_SEGMENT = 256 * 1024;
    private static final int RECORDS = 600;

    @Test
    @Timeout(120)
    void aRebuiltMemberCopiesTheDonorsTierAndServesEveryRecordFromTheBeginning()
    {
        final List<Ack> acked = new ArrayList<>();
        final int[] roles = startAndProduceUntilDeletedLocally(acked, false, false);
        final int wiped = roles[1];
        final int donor = roles[2];
        final long localStart = partition(donor).logStartOffset();
        final List<TierManifest.Entry> donorEntries = manifestEntries(manifestDir(donor));

        final List<String> progress = new ArrayList<>();
        final NetworkRebuild.Result result = rebuild(wiped, donor, null, progress);
        assertTrue(result.tierSegments() >= donorEntries.size() && 0 == result.tierUncopied(),
            result + " " + progress);

        // The member's manifest: the donor's tier id and segments, under the ids of its own archive's copies, which
        // keep the segment's alias tag.
        final TierManifest manifest = TierManifest.load(manifestDir(wiped));
        assertEquals(TierManifest.load(manifestDir(donor)).tierId(), manifest.tierId());
        assertEquals(0, manifest.startOffset(), manifest.entries().toString());
        assertTrue(manifest.endOffset() >= localStart, manifest.entries() + " local start " + localStart);

        final ClusterNode rebuilt = cluster.launch(wiped);
        cluster.await(rebuilt::isServing, "the rebuilt member to rejoin and serve");
        final Map<Long, String> channels = tierRecordingChannels(wiped);
        for (final TierManifest.Entry entry : manifest.entries())
        {
            final String channel = channels.get(entry.recordingId());
            assertNotNull(channel, "recording " + entry.recordingId() + " in the rebuilt member's archive");
            assertTrue(channel.contains("alias=" + manifest.recordingTag(entry.baseOffset())), channel);
        }
        produce(RECORDS, RECORDS + 100, acked);
        final Map<Long, String> consumed = consumeAll(wiped, acked.size());
        for (final Ack ack : acked)
        {
            assertEquals(ack.value(), consumed.get(ack.offset()), "offset " + ack.offset() + " from member " + wiped);
        }
        assertEquals(0, rebuilt.service().tier().unservedReads());

        // Its archiver neither copies the segments again nor purges the copies as strays: its archive holds exactly
        // its manifest's recordings, the copies among them.
        cluster.await(() -> recordingIds(manifestEntries(manifestDir(wiped))).equals(tierRecordings(wiped)),
            () -> "member " + wiped + "'s recordings " + tierRecordings(wiped) + " to be its manifest's " +
            recordingIds(manifestEntries(manifestDir(wiped))));
        assertTrue(tierRecordings(wiped).containsAll(recordingIds(manifest.entries())));
        assertNull(rebuilt.failure());

        // Local retention settles alike on every member (the rebuilt one too) before the logs are compared.
        final long end = acked.stream().mapToLong((a) -> a.offset() + 1).max().orElseThrow();
        cluster.await(() ->
        {
            for (int m = 0; m < 3; m++)
            {
                final PartitionLog log = partition(m);
                if (highWaterMark(m) < end || log.sizeInBytes() > LOCAL_RETENTION_BYTES + SEGMENT_BYTES ||
                    log.logStartOffset() != partition(0).logStartOffset())
                {
                    return false;
                }
            }
            return true;
        }, () -> "every member to delete its archived segments alike: local starts " +
            partition(0).logStartOffset() + " " + partition(1).logStartOffset() + " " +
            partition(2).logStartOffset());
        check(acked);
    }

    @Test
    @Timeout(120)
    void aMemberWhoseTierLacksAnOffsetTheClusterHoldsAnswersARetriableErrorNotOutOfRange()
    {
        final List<Ack> acked = new ArrayList<>();
        // Member 0, whatever its role: an unpinned consumer on this machine fetches from it first.
        final int[] roles = startAndProduceUntilDeletedLocally(acked, true, true);
        final int wiped = roles[1];
        final int donor = roles[2];

        // A member archiving into a shared archive is rebuilt without a copy of the tier.
        final List<String> progress = new ArrayList<>();
        final NetworkRebuild.Result result = rebuild(wiped, donor, "localhost:9", progress);
        assertEquals(0, result.tierSegments());
        assertTrue(result.snapshotPosition() > 0, "the member restores a snapshot past the records: " + result);
        assertTrue(progress.stream().anyMatch((line) -> line.contains("its tier is not copied")), progress.toString());

        final ClusterNode rebuilt = cluster.launch(wiped);
        cluster.await(rebuilt::isServing, "the rebuilt member to rejoin and serve");
        final long localStart = partition(wiped).logStartOffset();
        assertTrue(localStart > 0 && 0 == partition(wiped).readableStartOffset(), "tier start 0, local start " +
            localStart);

        final Consumer.Context ctx = client(new Consumer.Context(), cluster.endpoint(wiped));
        ctx.autoOffsetReset(Consumer.OffsetReset.NONE);
        ctx.replica(wiped);
        final SpindleException[] error = new SpindleException[1];
        try (Consumer consumer = Consumer.connect(ctx))
        {
            final TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            cluster.await(() ->
            {
                try
                {
                    consumer.poll((record) -> fail("a record at " + record.offset()), 1_000, 100);
                    return false;
                }
                catch (final SpindleException ex)
                {
                    error[0] = ex;
                    return true;
                }
            }, "the fetch at offset 0 from member " + wiped + " to fail");
        }
        assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, error[0].errorCode(), error[0].toString());
        assertTrue(rebuilt.service().tier().unservedReads() > 0);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        rebuilt.errorLog().markFile().printErrors(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("not in this member's own tier"), out.toString());

        // A consumer that names no member starts at the first one on this machine, the wiped member 0; on its
        // KAFKA_STORAGE_ERROR it moves to the next member, which serves every record from the beginning, in order.
        final Consumer.Context unpinned = client(new Consumer.Context(), cluster.endpoint(wiped));
        unpinned.autoOffsetReset(Consumer.OffsetReset.NONE);
        final Map<Long, String> consumed = new HashMap<>();
        final long[] last = { -1 };
        final long switches;
        try (Consumer consumer = Consumer.connect(unpinned))
        {
            final TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            cluster.await(() ->
            {
                consumer.poll((record) ->
                {
                    assertTrue(record.offset() > last[0], "offset " + record.offset() + " after " + last[0]);
                    last[0] = record.offset();
                    consumed.put(record.offset(), record.valueAsString());
                }, 1_000, 100);
                return consumed.size() >= acked.size();
            }, () -> "a consumer naming no member to read every record (" + consumed.size() + ")");
            switches = consumer.metrics().get("replica-switches-total").longValue();
        }
        assertEquals(1, switches, "fetching moved from the wiped member to the next one once");
        for (final Ack ack : acked)
        {
            assertEquals(ack.value(), consumed.get(ack.offset()), "offset " + ack.offset());
        }
        assertNull(rebuilt.failure());
    }

    private static void fail(final String what)
    {
        throw new AssertionError(what);
    }

    /**
     * Start the cluster, produce until every member deleted archived segments locally, then stop a member and wipe
     * its directory: a follower, or member 0 whatever its role when {@code wipeMemberZero}. With {@code
     * snapshotFirst} every member takes a snapshot past the records first, so the rebuilt member restores it instead
     * of replaying the Raft log from its start.
     *
     * @return the leader, the wiped member and a running member to rebuild it from.
     */
    private int[] startAndProduceUntilDeletedLocally(
        final List<Ack> acked, final boolean wipeMemberZero, final boolean snapshotFirst)
    {
        cluster = new TestCluster(dir, 3).customise((ctx) -> ctx
            .archiveSegmentLength(ARCHIVE_SEGMENT)
            .snapshotLogBytes(2L * ARCHIVE_SEGMENT)
            .snapshotCheckIntervalNs(50_000_000L)
            .logPurge(true));
        final int leader = cluster.start();
        createTopic(Map.of());
        produce(0, RECORDS, acked);
        final long end = acked.stream().mapToLong((a) -> a.offset() + 1).max().orElseThrow();
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= end && partition(member).logStartOffset() > 0 &&
                partition(member).logStartOffset() == partition(0).logStartOffset() &&
                end(manifestEntries(manifestDir(member))) >= partition(member).logStartOffset(),
                () -> "member " + member + " to delete archived segments locally");
        }
        final int wiped = wipeMemberZero ? 0 : (leader + 1) % 3;
        final int donor = wipeMemberZero ? (0 == leader ? 1 : leader) : (leader + 2) % 3;
        if (snapshotFirst)
        {
            // The records' ~160 KB of Raft log are below snapshotLogBytes: without this the cluster has no snapshot,
            // and a rebuilt member replays every record from offset 0, racing its archiver against the replicated
            // local deletions (it may then hold early segments in its own tier after all).
            final long snapshot = SnapshotTool.takeSnapshot(cluster.memberDir(leader).resolve("cluster").toFile(),
                cluster.node(leader).aeronDirectoryName(), TestCluster.AWAIT_NS).logPosition();
            for (int m = 0; m < 3; m++)
            {
                final int member = m;
                cluster.await(() -> cluster.node(member).service().lastSnapshotLogPosition() >= snapshot,
                    () -> "member " + member + " to take the snapshot at " + snapshot);
            }
        }
        cluster.stop(wiped);
        IoUtil.delete(cluster.memberDir(wiped).toFile(), false);
        assertFalse(cluster.memberDir(wiped).resolve("tier").toFile().exists());
        return new int[]{ leader, wiped, donor };
    }

    private NetworkRebuild.Result rebuild(
        final int wiped, final int donor, final String sharedArchive, final List<String> progress)
    {
        return NetworkRebuild.rebuild(new NetworkRebuild.Context()
            .memberId(wiped)
            .members(cluster.members())
            .donorId(donor)
            .directory(cluster.memberDir(wiped))
            .aeronDirectoryName(cluster.memberDir(wiped).resolve("aeron").toString())
            .archiveSegmentLength(ARCHIVE_SEGMENT)
            .sharedArchive(sharedArchive)
            .timeoutNs(60_000_000_000L)
            .progress(progress::add));
    }
}
