package io.spindle.tools;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Producer;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.History;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.NodeProcesses.SIGTERM_EXIT;
import static io.spindle.tools.NodeProcesses.awaitCaughtUp;
import static io.spindle.tools.NodeProcesses.awaitCondition;
import static io.spindle.tools.NodeProcesses.client;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle node} as separate processes: a 1-member cluster leads by itself and takes a snapshot when
 * {@code spindle node snapshot} asks; of three members none says {@code listening} before it has joined (one started
 * alone says every 10 s that it is still canvassing), one leads,
 * a follower refuses to snapshot, and when the leader is killed with SIGKILL another takes over; SIGTERM closes a
 * member cleanly.
 */
@Timeout(120)
class NodeProcessTest
{
    @TempDir
    Path dir;

    @RegisterExtension
    final NodeProcesses nodes = new NodeProcesses("spindle-node-test", () -> dir);

    @Test
    void aSingleMemberLeadsAndClosesOnSigterm() throws Exception
    {
        nodes.members(1);
        nodes.start(0);
        nodes.awaitLine(0, "started a media driver in " + nodes.aeronDir(0));
        nodes.awaitJoined(0, 0);
        nodes.awaitLine(0, "role leader");

        final List<String> snapshot = nodes.runCli(0, "node", "snapshot", "--data-dir",
            nodes.memberDir(0).toString());
        assertTrue(snapshot.get(0).startsWith("snapshot at log position ") && snapshot.get(0).contains("member 0"),
            String.join("\n", snapshot));
        assertEquals(SIGTERM_EXIT, nodes.stop(0), String.join("\n", nodes.lines(0)));
        nodes.awaitLine(0, "shutting down");
    }

    @Test
    void aRebuildFromADirectoryWithoutARaftLogIsRefusedBeforeTheMemberStarts() throws Exception
    {
        final List<String> refused = nodes.runCli(1, "node", "--id", "0", "--members", nodes.members(1),
            "--data-dir", nodes.memberDir(0).toString(), "--aeron-dir", nodes.aeronDir(0),
            "--rebuild-from", dir.resolve("not-a-member").toString());
        assertTrue(String.join("\n", refused).contains("holds no member's Raft log"), String.join("\n", refused));
        assertTrue(!Files.exists(nodes.memberDir(0).resolve("cluster")), "the member started");
    }

    @Test
    void anotherMemberLeadsAfterTheLeaderIsKilled() throws Exception
    {
        nodes.members(3);
        nodes.start(0);
        nodes.awaitLine(0, "started a media driver in ");
        // Alone it cannot join, and says where it is stuck every 10 s.
        nodes.awaitLine(0, "not joined after 10 s: consensus module ACTIVE, election CANVASS");
        assertTrue(nodes.lines(0).stream().noneMatch((line) -> line.startsWith("listening")),
            "listening with no quorum: " + nodes.lines(0));
        nodes.start(1);
        nodes.start(2);
        for (int i = 0; i < 3; i++)
        {
            nodes.awaitJoined(i, 0);
        }
        final int leader = nodes.awaitLeader(-1);
        final int follower = (leader + 1) % 3;
        nodes.awaitLine(follower, "role follower");
        final List<String> refused = nodes.runCli(1, "node", "snapshot", "--data-dir",
            nodes.memberDir(follower).toString());
        assertTrue(refused.get(0).contains("member " + follower + " is not the leader"), String.join("\n", refused));
        final long killedNs = System.nanoTime();
        nodes.kill(leader);
        final int next = nodes.awaitLeader(leader);
        final long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
        assertTrue(next != leader);
        System.out.println("failover after SIGKILL of member " + leader + ": member " + next + " leads after " +
            failoverMs + " ms");
        for (int i = 0; i < 3; i++)
        {
            if (i != leader)
            {
                assertEquals(SIGTERM_EXIT, nodes.stop(i), String.join("\n", nodes.lines(i)));
                nodes.awaitLine(i, "shutting down");
            }
        }
    }

    /**
     * Producing with acks=all through three member processes while the leader is killed with SIGKILL: once the killed
     * member is back and every member has caught up, the replication checker finds every acknowledged record at its
     * offset on every member, once, and the members' logs byte-identical.
     */
    @Test
    void everyAcknowledgedRecordSurvivesASigkilledLeader() throws Exception
    {
        nodes.members(3);
        final String bootstrap = nodes.bootstrap();
        for (int i = 0; i < 3; i++)
        {
            nodes.start(i);
        }
        final int leader = nodes.awaitLeader(-1);
        try (Admin admin = Admin.connect(client(new ClientContext(), bootstrap)))
        {
            admin.createTopic("kills", 2, Map.of());
        }

        final History history = new History();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong acked = new AtomicLong();
        final long[] ends = new long[2];
        final Thread producing = new Thread(() -> produce(bootstrap, history, stop, acked, ends), "producer");
        producing.start();
        awaitCondition(() -> acked.get() >= 300, "300 acknowledgements before the kill");
        nodes.kill(leader);
        nodes.awaitLeader(leader);
        final long ackedAtFailover = acked.get();
        awaitCondition(() -> acked.get() >= ackedAtFailover + 300, "300 acknowledgements after the failover");
        stop.set(true);
        producing.join(60_000);
        assertTrue(!producing.isAlive(), "the producer did not finish");

        nodes.start(leader);
        for (int m = 0; m < 3; m++)
        {
            awaitCaughtUp(bootstrap, m, "kills", ends);
        }
        for (int m = 0; m < 3; m++)
        {
            nodes.stop(m);
        }
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, nodes.memberDir(m));
        }
        final CheckResult result = checker.check();
        System.out.println("SIGKILL of leader " + leader + ": " + result.summary());
        assertTrue(result.isValid(), result.toString());
        assertEquals(acked.get(), result.found(), result.summary());
    }

    private static void produce(
        final String bootstrap, final History history, final AtomicBoolean stop, final AtomicLong acked,
        final long[] ends)
    {
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(64 * 1024), bootstrap)))
        {
            for (int i = 0; !stop.get(); i++)
            {
                final int sequence = i;
                final int partition = i % 2;
                final byte[] value = ("k-" + i).getBytes(StandardCharsets.UTF_8);
                while (Producer.BACK_PRESSURED == producer.send("kills", partition, null, value,
                    (p, offset, code) ->
                    {
                        if (ErrorCode.NONE == code)
                        {
                            history.acknowledged("producer", sequence, "kills", p, offset, value);
                            ends[p] = Math.max(ends[p], offset + 1);
                            acked.incrementAndGet();
                        }
                        else
                        {
                            history.inDoubt("producer", sequence, "kills", p, value);
                        }
                    }))
                {
                    producer.poll();
                    LockSupport.parkNanos(100_000);
                }
                producer.poll();
                LockSupport.parkNanos(500_000);
            }
            producer.flush();
        }
    }
}
