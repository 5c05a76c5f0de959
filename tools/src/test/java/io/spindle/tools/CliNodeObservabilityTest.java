/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.service.Cluster;
import io.spindle.cluster.ClusterNode;
import io.spindle.cluster.MemberErrorLogs;
import io.spindle.codecs.Transport;
import io.spindle.log.LogConfig;
import io.spindle.tools.CliEndToEndTest.Result;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.CliEndToEndTest.run;
import static io.spindle.tools.CliStatTest.awaitStat;
import static io.spindle.tools.CliStatTest.parseLatencyRuns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's commands on a cluster member (three members in this JVM): {@code spindle stat --once} on a node's
 * directory shows its state machine's counters as on a broker, {@code spindle stat --latency} on its driver
 * directory its stage latencies (ingress to committed and committed to applied included), and {@code spindle errors} on its directory, after
 * Spindle's own error log, a section for each Aeron part, the consensus module's holding what it recorded.
 */
@Timeout(60)
class CliNodeObservabilityTest
{
    private static final long AWAIT_NS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dir;

    private final ClusterNode[] nodes = new ClusterNode[3];

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(nodes);
    }

    @Test
    void statLatencyAndErrorsOnANode() throws InterruptedException
    {
        final String members = ClusterNode.loopbackMembers(3);
        for (int i = 0; i < 3; i++)
        {
            nodes[i] = ClusterNode.launch(new ClusterNode.Context()
                .memberId(i)
                .members(members)
                .directory(dir.resolve("member-" + i))
                .logConfig(new LogConfig().segmentBytes(16 * 1024).maxMessageBytes(8 * 1024))
                .termLength(256 * 1024)
                .archiveSegmentLength(1024 * 1024)
                .leaderHeartbeatTimeoutNs(TimeUnit.SECONDS.toNanos(1))
                .latencyIntervalMs(50)
                .idleStrategySupplier(() -> new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                .messageLog((line) -> {}));
        }
        await(() -> nodes[0].isServing() && nodes[1].isServing() && nodes[2].isServing() && leader() >= 0,
            "every member to serve and one to lead");
        final int leader = leader();
        final int member = (leader + 1) % 3;
        final String prefix = "spindle-" + member + ": ";
        final Path memberDir = dir.resolve("member-" + member);
        final String bootstrap = endpoint(members, member);

        final Result created = run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "n");
        assertEquals(0, created.code(), created.toString());
        final Result produced = run("a\nb\nc\nd\ne\n", "produce", "--bootstrap", bootstrap, "--topic", "n",
            "--partition", "0", "--property", "max.record.size=8192");
        assertEquals(0, produced.code(), produced.toString());

        final Map<String, Long> stat = awaitStat(
            (values) -> values.getOrDefault(prefix + "partition n-0 high-water mark", -1L) == 5,
            "--data-dir", memberDir.toString());
        assertEquals(5, stat.get(prefix + "produce records"), stat.toString());
        assertEquals(5, stat.get(prefix + "partition n-0 log end"), stat.toString());
        assertEquals(1, stat.get(prefix + "requests CreateTopics"), stat.toString());
        assertEquals(0, stat.get(prefix + "cleaner errors"), stat.toString());
        final long produceRequests = stat.get(prefix + "requests Produce");
        assertTrue(produceRequests >= 1, stat.toString());

        final String aeronDir = nodes[member].aeronDirectoryName();
        Map<String, long[]> latency = Map.of();
        String out = "";
        final long deadlineNs = System.nanoTime() + AWAIT_NS;
        while (System.nanoTime() < deadlineNs)
        {
            final Result result = run("", "stat", "--once", "--latency", "--aeron-dir", aeronDir);
            out = result.out();
            latency = 0 == result.code() ? parseLatencyRuns(out) : Map.of();
            if (latency.containsKey("ingress-committed") && latency.get("ingress-committed")[0] == produceRequests &&
                latency.get("committed-applied")[0] == produceRequests &&
                latency.get("received-appended")[0] == produceRequests)
            {
                break;
            }
            Thread.sleep(50);
        }
        assertTrue(out.contains(memberDir.toAbsolutePath() + ":"), out);
        assertEquals(produceRequests, latency.get("ingress-committed")[0], out);
        assertEquals(produceRequests, latency.get("committed-applied")[0], out);
        assertEquals(produceRequests, latency.get("received-appended")[0], out);
        assertEquals(0, latency.get("appended-acknowledged")[0], "a follower answers no client: " + out);
        assertTrue(latency.containsKey("appended-pushed"), out);

        final Path leaderDir = dir.resolve("member-" + leader);
        final String expected = "expected schemaId=111, actual=999";
        sendForeignMessageToIngress(nodes[leader].aeronDirectoryName(), endpoint(members, leader));
        Result errors = run("", "errors", "--data-dir", leaderDir.toString());
        final long errorsDeadlineNs = System.nanoTime() + AWAIT_NS;
        while (!errors.out().contains(expected) && System.nanoTime() < errorsDeadlineNs)
        {
            Thread.sleep(50);
            errors = run("", "errors", "--data-dir", leaderDir.toString());
        }
        assertEquals(0, errors.code(), errors.toString());
        final String text = errors.out();
        assertTrue(text.startsWith("node " + leader + " ("), text);
        final int consensus = text.indexOf("\n" + MemberErrorLogs.CONSENSUS_MODULE + " (" +
            leaderDir.resolve("cluster").resolve("cluster-mark.dat"));
        final int container = text.indexOf("\n" + MemberErrorLogs.SERVICE_CONTAINER + " (" +
            leaderDir.resolve("cluster").resolve("cluster-mark-service-0.dat"));
        final int archive = text.indexOf("\n" + MemberErrorLogs.ARCHIVE + " (" +
            leaderDir.resolve("archive").resolve("archive-mark.dat"));
        final int driver = text.indexOf("\n" + MemberErrorLogs.MEDIA_DRIVER + " (");
        assertTrue(0 < consensus && consensus < container && container < archive && archive < driver, text);
        final int found = text.indexOf(expected);
        assertTrue(consensus < found && found < container, "in the consensus module's section: " + text);
        assertFalse(text.substring(0, consensus).contains(expected), "not in Spindle's own log: " + text);
    }

    private static void sendForeignMessageToIngress(final String aeronDir, final String endpoint)
    {
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir)
            .errorHandler(Throwable::printStackTrace));
            Publication ingress = aeron.addPublication(Transport.udpChannel(
                endpoint.substring(0, endpoint.indexOf(':')), Integer.parseInt(endpoint.substring(
                endpoint.indexOf(':') + 1))), AeronCluster.Configuration.INGRESS_STREAM_ID_DEFAULT))
        {
            // An SBE header of a schema the consensus module does not know.
            final UnsafeBuffer foreign = new UnsafeBuffer(new byte[8]);
            foreign.putShort(2, (short)1, ByteOrder.LITTLE_ENDIAN);
            foreign.putShort(4, (short)999, ByteOrder.LITTLE_ENDIAN);
            foreign.putShort(6, (short)1, ByteOrder.LITTLE_ENDIAN);
            await(() -> ingress.offer(foreign) > 0, "the foreign message to be sent");
        }
    }

    private int leader()
    {
        for (final ClusterNode node : nodes)
        {
            if (null != node && Cluster.Role.LEADER == node.joinedRole())
            {
                return node.memberId();
            }
        }
        return -1;
    }

    private static String endpoint(final String members, final int member)
    {
        final ClusterNode.Endpoint endpoint = ClusterNode.parseMembers(members).get(member);
        return endpoint.host() + ":" + endpoint.port();
    }

    private static void await(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + AWAIT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("timed out waiting for " + what);
            }
            try
            {
                Thread.sleep(5);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
        }
    }
}
