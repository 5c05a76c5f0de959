package io.spindle.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import io.aeron.security.NullCredentialsSupplier;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Producer;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.History;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.LogConfig;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A follower whose directory was lost after the Raft log was purged is rebuilt over the network from a running
 * member, while the other two keep serving a producer, and rejoins: every acknowledged record is on all three members
 * at its offset, byte for byte. The members share a secret ({@code spindle.node.secret.file}): the rebuild presents
 * it, and one without it is refused the Raft log.
 */
class NetworkRebuildTest
{
    private static final String TOPIC = "orders";
    private static final int SEGMENT = 256 * 1024;
    private static final int RECORD_BYTES = 3 * 1024;
    private static final int PARTITION_SEGMENT = 128 * 1024;
    private static final String SECRET = "3b9e0c7a5d1f42e8a6c4b2d0f9e7a5c3";

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
    void aWipedFollowerIsRebuiltFromARunningMemberWhileTheClusterServesAndRejoins() throws Exception
    {
        final int leader = startPurgingCluster();
        final History history = new History();
        produce(history, "first", 0, 1_500, null);
        for (int m = 0; m < 3; m++)
        {
            final LogPurger purger = cluster.node(m).logPurger();
            cluster.await(() -> purger.purgedSegments() > 0, "member " + m + " to purge its log");
        }

        final int wiped = (leader + 1) % 3;
        final int donor = (leader + 2) % 3;
        cluster.stop(wiped);
        IoUtil.delete(cluster.memberDir(wiped).toFile(), false);

        // The two others keep taking records while the wiped member is rebuilt from one of them.
        final AtomicBoolean stop = new AtomicBoolean();
        final int[] produced = new int[1];
        final Thread producer = new Thread(() -> produced[0] = produce(history, "during", 1_500, 100_000, stop),
            "producer-during-rebuild");
        producer.start();
        cluster.await(() -> history.size() > 1_550, "records to be produced while the member is down");

        // Once the first file is copied, the donor's first segment is replaced by an identical file under the same
        // name (as the log cleaner's swap replaces one): the copy notices and copies the partition again.
        final Path firstSegment = cluster.memberDir(donor).resolve("data/orders-0/00000000000000000000.log");
        final AtomicBoolean replaced = new AtomicBoolean();
        final Runnable replaceOnce = () ->
        {
            if (replaced.compareAndSet(false, true))
            {
                try
                {
                    final Path copy = cluster.memberDir(donor).resolve("replacement.tmp");
                    Files.copy(firstSegment, copy);
                    Files.move(copy, firstSegment, StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            }
        };
        final List<String> progress = new ArrayList<>();
        final NetworkRebuild.Result result = NetworkRebuild.rebuild(new NetworkRebuild.Context()
            .memberId(wiped)
            .members(cluster.members())
            .donorId(donor)
            .directory(cluster.memberDir(wiped))
            .aeronDirectoryName(cluster.memberDir(wiped).resolve("aeron").toString())
            .secretFile(secretFile())
            .archiveSegmentLength(SEGMENT)
            .timeoutNs(60_000_000_000L)
            .afterCopyHook(replaceOnce)
            .progress((line) ->
            {
                progress.add(line);
                System.out.println(line);
            }));
        assertTrue(result.snapshotPosition() > 0 && result.logPosition() >= result.snapshotPosition() &&
            result.files() > 0 && result.bytes() > 0 && result.recopies() > 0, result + " " + progress);
        assertTrue(MemberRebuild.hasRaftLog(cluster.memberDir(wiped)));
        assertTrue(progress.get(progress.size() - 1).startsWith("rebuilt member " + wiped + " from member " + donor),
            progress.toString());

        final ClusterNode rebuilt = cluster.launch(wiped);
        cluster.await(rebuilt::isServing, "the rebuilt member to rejoin and serve");
        stop.set(true);
        producer.join(30_000);
        assertFalse(producer.isAlive());
        produce(history, "after", 100_000, 100_200, null);
        cluster.awaitApplied(history);
        assertNull(rebuilt.failure());

        cluster.close();
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, cluster.memberDir(m));
        }
        final CheckResult check = checker.check();
        assertTrue(check.isValid(), check.toString());
        assertEquals(1_500 + produced[0] + 200, check.found(), check.summary());
    }

    @Test
    @Timeout(60)
    void aMemberWithARaftLogIsNotRebuiltAndAFailedRebuildLeavesNoRaftLog() throws Exception
    {
        final Path secretFile = secretFile();
        cluster = new TestCluster(dir, 3).customise((ctx) -> ctx.secretFile(secretFile));
        final int leader = cluster.start();
        final int target = (leader + 1) % 3;
        cluster.stop(target);
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> NetworkRebuild.rebuild(context(target, leader).secretFile(secretFile)));
        assertTrue(refused.getMessage().contains("already holds a Raft log"), refused.getMessage());

        // The members share a secret: a rebuild without it is refused the member's files, and a ClusterBackup
        // query presenting no member's credentials is refused the Raft log and snapshots.
        IoUtil.delete(cluster.memberDir(target).toFile(), false);
        Files.createDirectories(cluster.memberDir(target));
        final IllegalStateException stranger = assertThrows(IllegalStateException.class,
            () -> NetworkRebuild.rebuild(context(target, leader).secretFile(null).timeoutNs(5_000_000_000L)));
        assertTrue(stranger.getMessage().contains("refused to list cluster: refused cluster: this member has " +
            "spindle.node.secret.file set"), stranger.getMessage());
        final IllegalStateException backup = assertThrows(IllegalStateException.class,
            () -> NetworkRebuild.rebuild(context(target, leader).secretFile(secretFile)
                .backupCredentials(new NullCredentialsSupplier()).timeoutNs(5_000_000_000L)));
        assertTrue(backup.getMessage().contains("AUTHENTICATION_REJECTED"), backup.getMessage());
        assertFalse(MemberRebuild.hasRaftLog(cluster.memberDir(target)));

        // The donor is not running: the rebuild gives up, saying so, and leaves nothing to restart from.
        cluster.close();
        IoUtil.delete(cluster.memberDir(target).toFile(), false);
        Files.createDirectories(cluster.memberDir(target));
        final IllegalStateException noDonor = assertThrows(IllegalStateException.class,
            () -> NetworkRebuild.rebuild(context(target, leader).timeoutNs(3_000_000_000L)));
        assertTrue(noDonor.getMessage().contains("did not answer"), noDonor.getMessage());
        assertFalse(MemberRebuild.hasRaftLog(cluster.memberDir(target)));
        assertFalse(Files.exists(cluster.memberDir(target).resolve("archive")));
    }

    private NetworkRebuild.Context context(final int memberId, final int donorId)
    {
        return new NetworkRebuild.Context()
            .memberId(memberId)
            .members(cluster.members())
            .donorId(donorId)
            .directory(cluster.memberDir(memberId))
            .aeronDirectoryName(cluster.memberDir(memberId).resolve("rebuild-aeron").toString())
            .progress((line) -> {});
    }

    private Path secretFile()
    {
        final Path file = dir.resolve("secret");
        try
        {
            if (!Files.exists(file))
            {
                Files.writeString(file, SECRET + "\n");
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return file;
    }

    private int startPurgingCluster()
    {
        final Path secretFile = secretFile();
        cluster = new TestCluster(dir, 3).customise((ctx) -> ctx
            .secretFile(secretFile)
            .logConfig(new LogConfig().segmentBytes(PARTITION_SEGMENT).maxMessageBytes(8 * 1024))
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

    /**
     * Produce records {@code from} up to {@code to}, or until {@code stop} is set.
     *
     * @return how many were sent and acknowledged.
     */
    private int produce(
        final History history, final String name, final int from, final int to, final AtomicBoolean stop)
    {
        final List<String> failed = new ArrayList<>();
        final String padding = "x".repeat(RECORD_BYTES - 16);
        int sent = 0;
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024)
            .batchSize(7 * 1024), cluster.bootstrap())))
        {
            for (int i = from; i < to && (null == stop || !stop.get()); i++)
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
                sent++;
                if (null != stop)
                {
                    TestCluster.sleep(5); // a steady trickle while the member is rebuilt
                }
            }
            producer.flush();
        }
        assertEquals(List.of(), failed, name + ": failed sends");
        return sent;
    }

    private static <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }
}
