/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.spindle.archive.TierManifest;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.log.LogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retention across tiers and topic deletion on three members, each archiving into the archive it runs for its Raft
 * log: {@code retention.bytes} drops the oldest archived segments on every member at the same point, each member
 * purges its copies, and deleting the topic purges every member's copies, a member down at the time included.
 */
class ClusterTierRetentionTest extends TieredClusterTestBase
{
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
}
