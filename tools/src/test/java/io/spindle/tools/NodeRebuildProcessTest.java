package io.spindle.tools;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.NodeProcesses.awaitCaughtUp;
import static io.spindle.tools.NodeProcesses.awaitCondition;
import static io.spindle.tools.NodeProcesses.client;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle node --rebuild-from-member} between processes: a follower killed with SIGKILL loses its directory
 * while a producer keeps producing through the other two; started again with {@code --rebuild-from-member} naming
 * the other follower, it copies that running member's snapshot, Raft log and partitions, rejoins and serves every
 * acknowledged record, and the three members' logs are identical.
 */
@Timeout(120)
class NodeRebuildProcessTest
{
    private static final String TOPIC = "rebuilt";

    @TempDir
    Path dir;

    @RegisterExtension
    final NodeProcesses nodes = new NodeProcesses("spindle-rebuild-test", () -> dir);

    @Test
    void aKilledAndWipedFollowerIsRebuiltFromARunningMemberAndServesEveryRecord() throws Exception
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
            admin.createTopic(TOPIC, 2, Map.of());
        }

        final History history = new History();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong acked = new AtomicLong();
        final long[] ends = new long[2];
        final Thread producing = new Thread(() -> produce(bootstrap, history, stop, acked, ends), "producer");
        producing.start();
        awaitCondition(() -> acked.get() >= 300, "300 acknowledgements before the kill");

        final int wiped = (leader + 1) % 3;
        final int donor = (leader + 2) % 3;
        nodes.kill(wiped);
        IoUtil.delete(nodes.memberDir(wiped).toFile(), false);
        final List<String> snapshot = nodes.runCli(0, "node", "snapshot", "--data-dir",
            nodes.memberDir(leader).toString());
        assertTrue(snapshot.get(0).startsWith("snapshot at log position "), String.join("\n", snapshot));
        final long ackedAtSnapshot = acked.get();
        awaitCondition(() -> acked.get() >= ackedAtSnapshot + 200, "200 acknowledgements after the snapshot");

        final int before = nodes.lines(wiped).size();
        nodes.start(wiped, "--rebuild-from-member", Integer.toString(donor));
        nodes.awaitLine(wiped, before, "rebuilt member " + wiped + " from member " + donor +
            ": snapshot at log position ");
        nodes.awaitJoined(wiped, before);
        final long ackedAtRejoin = acked.get();
        awaitCondition(() -> acked.get() >= ackedAtRejoin + 200, "200 acknowledgements after the rejoin");
        stop.set(true);
        producing.join(60_000);
        assertTrue(!producing.isAlive(), "the producer did not finish");

        for (int m = 0; m < 3; m++)
        {
            awaitCaughtUp(bootstrap, m, TOPIC, ends);
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
        assertTrue(result.isValid(), result.toString());
        assertEquals(acked.get(), result.found(), result.summary());
    }

    private static void produce(
        final String bootstrap, final History history, final AtomicBoolean stop, final AtomicLong acked,
        final long[] ends)
    {
        try (Producer producer = Producer.connect(client(new Producer.Context(), bootstrap)))
        {
            for (int i = 0; !stop.get(); i++)
            {
                final int sequence = i;
                final int partition = i % 2;
                final byte[] value = ("r-" + i).getBytes(StandardCharsets.UTF_8);
                while (Producer.BACK_PRESSURED == producer.send(TOPIC, partition, null, value,
                    (p, offset, code) ->
                    {
                        if (ErrorCode.NONE == code)
                        {
                            history.acknowledged("producer", sequence, TOPIC, p, offset, value);
                            ends[p] = Math.max(ends[p], offset + 1);
                            acked.incrementAndGet();
                        }
                        else
                        {
                            history.inDoubt("producer", sequence, TOPIC, p, value);
                        }
                    }))
                {
                    producer.poll();
                    LockSupport.parkNanos(100_000);
                }
                producer.poll();
                LockSupport.parkNanos(1_000_000);
            }
            producer.flush();
        }
    }
}
