package io.spindle.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.aeron.cluster.RecordingLog;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Producer;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.History;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three members with small Raft log segments and frequent snapshots under a long produce run: each member's archive
 * (the Raft log and its snapshots) settles within a bound many times smaller than the traffic, because each member
 * purges its log behind the snapshot every member holds; a member restarted afterwards recovers from its snapshot
 * and its purged log, and every acknowledged record is on every member. The members share a secret
 * ({@code spindle.node.secret.file}), so their archives admit members only: the purgers, the purged-log check and a
 * follower's election replicating the log from the leader's archive all present it.
 */
class RaftLogPurgeTest
{
    private static final String TOPIC = "orders";
    private static final int SEGMENT = 256 * 1024;
    private static final int RECORD_BYTES = 3 * 1024;
    private static final int RECORDS = 6_000;
    private static final long LOG_BOUND = 12L * SEGMENT;
    private static final long ARCHIVE_BOUND = 20L * SEGMENT;

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
    @Timeout(180)
    void theRaftLogStaysBoundedBehindSnapshotsAndARestartedMemberRecoversFromIt()
    {
        final int leader = startPurgingCluster();

        final History history = new History();
        produce(history, "first", 0, RECORDS);
        final long traffic = (long)RECORDS * RECORD_BYTES;
        assertTrue(traffic > 5 * LOG_BOUND && traffic > 3 * ARCHIVE_BOUND, "too little traffic to show a bound");
        // Each member's log is purged behind the snapshots all hold: once it catches up with the run, what is left
        // is a bound many times smaller than the traffic. (How far a purge lags a run at full speed depends on the
        // machine, so the bound is checked once the members settle, not at the run's peak.)
        awaitBounded("after " + traffic + " bytes of traffic");
        final int follower = (leader + 1) % 3;
        cluster.stop(follower);
        produce(history, "while-down", RECORDS, RECORDS + 200);
        // A new leadership term begins while the follower is down: back, it is behind the term's base position, so
        // its election replicates the missing log from the leader's archive (its archive connecting to the leader's
        // with the members' secret) before it catches up live.
        cluster.stop(leader);
        cluster.launch(leader);
        cluster.awaitLeader(-1);
        final ClusterNode returned = cluster.launch(follower);
        cluster.await(returned::isServing, "the follower to rejoin, replicating the log from the leader's archive");
        produce(history, "after", RECORDS + 200, RECORDS + 400);

        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            final LogPurger purger = cluster.node(m).logPurger();
            cluster.await(() -> purger.purgedSegments() > 0, "member " + member + " to purge its log");
            assertTrue(m == follower || m == leader || purger.purgedSnapshots() > 0,
                "member " + m + " kept every snapshot");
        }
        awaitBounded("after the follower's restart");

        cluster.awaitApplied(history);
        cluster.close();
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, cluster.memberDir(m));
        }
        final CheckResult result = checker.check();
        assertTrue(result.isValid(), result.toString());
        assertEquals(RECORDS + 400, result.found(), result.summary());
    }

    @Test
    @Timeout(180)
    void aWipedMemberCannotReplayAPurgedLogSaysSoAndRejoinsRebuiltFromACopyOfAnotherMember()
    {
        final int leader = startPurgingCluster();
        final History history = new History();
        produce(history, "first", 0, 1_500);
        for (int m = 0; m < 3; m++)
        {
            final LogPurger purger = cluster.node(m).logPurger();
            cluster.await(() -> purger.purgedSegments() > 0, "member " + m + " to purge its log");
        }

        // The disk of a follower is lost: with no log of its own it cannot replay the purged log, and says why.
        final int wiped = (leader + 1) % 3;
        final int donor = (leader + 2) % 3;
        cluster.stop(wiped);
        IoUtil.delete(cluster.memberDir(wiped).toFile(), false);
        final ClusterNode refused = cluster.launch(wiped);
        cluster.await(refused::isClosed, "the wiped member to stop");
        final String reason = String.valueOf(refused.failure());
        assertTrue(reason.contains("member " + wiped + " cannot rejoin the cluster") &&
            reason.contains("--rebuild-from"), reason);
        cluster.stop(wiped);
        produce(history, "while-wiped", 1_500, 1_700);

        // Rebuilt from a copy of the other follower's directory, taken while that member is stopped, it rejoins.
        cluster.stop(donor);
        assertTrue(MemberRebuild.copy(cluster.memberDir(donor), cluster.memberDir(wiped)) > 0);
        cluster.launch(donor);
        cluster.launch(wiped);
        produce(history, "rebuilt", 1_700, 1_900);
        cluster.awaitApplied(history);
        assertNull(cluster.node(wiped).failure());
        cluster.close();
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, cluster.memberDir(m));
        }
        final CheckResult result = checker.check();
        assertTrue(result.isValid(), result.toString());
        assertEquals(1_900, result.found(), result.summary());
    }

    /**
     * Three members with small Raft log segments, a snapshot every two segments and purging on, and the topic.
     *
     * @return the leader.
     */
    private int startPurgingCluster()
    {
        final Path secretFile = dir.resolve("secret");
        try
        {
            Files.writeString(secretFile, "0123456789abcdef0123456789abcdef\n");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        cluster = new TestCluster(dir, 3).customise((ctx) -> ctx
            .secretFile(secretFile)
            .archiveSegmentLength(SEGMENT)
            .snapshotLogBytes(2L * SEGMENT)
            .snapshotCheckIntervalNs(50_000_000L)
            .logPurge(true));
        final int leader = cluster.start();
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.createTopic(TOPIC, 2, Map.of());
        }
        return leader;
    }

    private void awaitBounded(final String when)
    {
        for (int m = 0; m < 3; m++)
        {
            final Path memberDir = cluster.memberDir(m);
            final long[] last = new long[2];
            cluster.await(() ->
            {
                last[0] = archiveBytes(memberDir, true);
                last[1] = archiveBytes(memberDir, false);
                return last[0] < LOG_BOUND && last[1] < ARCHIVE_BOUND;
            }, () -> "member " + memberDir.getFileName() + "'s Raft log (" + last[0] + " bytes, bound " + LOG_BOUND +
                ") and archive (" + last[1] + " bytes, bound " + ARCHIVE_BOUND + ") to shrink " + when);
        }
    }

    /**
     * Bytes of the recording segment files in a member's archive: of the Raft log alone, or of the log and the
     * snapshots.
     */
    static long archiveBytes(final Path memberDir, final boolean logOnly)
    {
        final Path archive = memberDir.resolve("archive");
        final File clusterDir = memberDir.resolve("cluster").toFile();
        if (!Files.isDirectory(archive) || !new File(clusterDir, RecordingLog.RECORDING_LOG_FILE_NAME).exists())
        {
            return 0;
        }
        final String prefix;
        try (RecordingLog recordingLog = new RecordingLog(clusterDir, false))
        {
            prefix = logOnly ? recordingLog.findLastTermRecordingId() + "-" : "";
        }
        catch (final RuntimeException ex)
        {
            return 0; // being written
        }
        try (Stream<Path> files = Files.list(archive))
        {
            return files.filter((file) -> file.getFileName().toString().endsWith(".rec") &&
                file.getFileName().toString().startsWith(prefix)).mapToLong((file) ->
            {
                try
                {
                    return Files.size(file);
                }
                catch (final IOException ex)
                {
                    return 0; // deleted by a purge while listed
                }
            }).sum();
        }
        catch (final IOException | UncheckedIOException ex)
        {
            return 0;
        }
    }

    private void produce(final History history, final String name, final int from, final int to)
    {
        final List<String> failed = new ArrayList<>();
        final String padding = "x".repeat(RECORD_BYTES - 16);
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024)
            .batchSize(7 * 1024), cluster.bootstrap())))
        {
            for (int i = from; i < to; i++)
            {
                final int sequence = i;
                final byte[] value = ("r-" + i + "-" + padding).getBytes(StandardCharsets.UTF_8);
                final int partition = i % 2;
                while (Producer.BACK_PRESSURED == producer.send(TOPIC, partition, null, value, (p, offset, code) ->
                {
                    if (ErrorCode.NONE == code)
                    {
                        history.acknowledged(name, sequence, TOPIC, p, offset, value);
                    }
                    else
                    {
                        failed.add(sequence + ": " + code);
                    }
                }))
                {
                    producer.poll();
                    TestCluster.sleep(1);
                }
            }
            producer.flush();
        }
        assertEquals(List.of(), failed, name + ": failed sends");
    }

    private static <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }
}
