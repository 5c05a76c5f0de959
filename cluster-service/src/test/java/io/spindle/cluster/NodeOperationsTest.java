package io.spindle.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import io.aeron.cluster.ClusterControl;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.service.Cluster;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.driver.DriverDirectory;
import io.spindle.log.LogConfig;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 1-member cluster run as an operator would: on a media driver it starts in an empty {@code --aeron-dir} or on one
 * already running there (left running when the member closes), snapshots on request from another "process" (the
 * control toggle, as Aeron's ClusterTool does) and by log growth.
 */
@Timeout(60)
class NodeOperationsTest
{
    private static final long AWAIT_NS = 30_000_000_000L;

    @TempDir
    Path dir;

    private final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-node-ops-" + UUID.randomUUID();
    private final String members = "0=localhost:" + ClusterNode.freeLoopbackPorts(ClusterNode.MEMBER_PORT_COUNT);
    private MediaDriver externalDriver;
    private ClusterNode node;
    private AeronCluster client;

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(client, node, externalDriver);
        IoUtil.delete(new File(aeronDir), true);
    }

    @Test
    void aMemberGivenAnEmptyDriverDirectoryStartsADriverThereAndLeads() throws IOException
    {
        Files.createDirectories(Path.of(aeronDir));
        node = launch(0);
        assertTrue(node.isDriverStarted());
        assertEquals(ProcessHandle.current().pid(), DriverDirectory.ownerPid(new File(aeronDir)));
        awaitLeader();

        node.close();
        assertNull(node.joinedRole());
        assertFalse(DriverDirectory.isDriverActive(new File(aeronDir)), "the member's own driver outlived it");
    }

    @Test
    void aMemberUsesTheDriverRunningInItsDirectoryLeavesItRunningAndSnapshotsOnRequest()
    {
        externalDriver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(true));
        node = launch(0);
        assertFalse(node.isDriverStarted());
        awaitLeader();

        assertEquals(-1, node.service().lastSnapshotLogPosition());
        final SnapshotTool.Snapshot first = SnapshotTool.takeSnapshot(clusterDir(), null, AWAIT_NS);
        assertEquals(0, first.memberId());
        assertEquals(1, first.snapshotCount());
        assertEquals(first.logPosition(), node.service().lastSnapshotLogPosition());

        grow(8);
        final SnapshotTool.Snapshot second = SnapshotTool.takeSnapshot(clusterDir(), aeronDir, AWAIT_NS);
        assertTrue(second.logPosition() > first.logPosition() + 8 * 4096, second + " after " + first);
        assertEquals(second.logPosition(), node.service().lastSnapshotLogPosition());

        CloseHelper.close(client);
        client = null;
        node.close();
        assertTrue(DriverDirectory.isDriverActive(new File(aeronDir)), "closing the member stopped the driver");

        // The driver is still usable: the member comes back on it, from its snapshot.
        node = launch(0);
        assertFalse(node.isDriverStarted());
        awaitLeader();
        assertTrue(SnapshotTool.takeSnapshot(clusterDir(), null, AWAIT_NS).logPosition() >= second.logPosition());
    }

    @Test
    void theLeaderSnapshotsEachTimeTheLogGrowsByTheThreshold()
    {
        final long thresholdBytes = 64 * 1024;
        node = ClusterNode.launch(context(0)
            .aeronDirectoryName(aeronDir)
            .snapshotLogBytes(thresholdBytes)
            .snapshotCheckIntervalNs(5_000_000L));
        awaitLeader();
        assertEquals(-1, node.service().lastSnapshotLogPosition(), "a snapshot before the log grew");

        grow(20);
        await(() -> node.service().lastSnapshotLogPosition() >= thresholdBytes, "a snapshot past " + thresholdBytes);
        assertEquals(1, node.snapshotTrigger().triggerCount());

        grow(20);
        await(() -> node.service().lastSnapshotLogPosition() >= 2 * thresholdBytes,
            "a second snapshot past " + 2 * thresholdBytes);
        assertEquals(2, node.snapshotTrigger().triggerCount());
    }

    @Test
    void aMemberWhoseConsensusModuleIsAbortedStopsAndSaysWhy()
    {
        node = launch(0);
        awaitLeader();
        await(node::isServing, "the member to serve");

        // An operator aborts the cluster with Aeron's cluster control (as ClusterTool does): the consensus module
        // stops, and the member with it instead of serving fetches as though it still took part.
        final CountersReader counters = ClusterControl.mapCounters(new File(aeronDir, CncFileDescriptor.CNC_FILE));
        final AtomicCounter toggle = ClusterControl.findControlToggle(counters, 0);
        assertTrue(ClusterControl.ToggleState.ABORT.toggle(toggle));
        await(node::isClosed, "the member to stop once its consensus module stopped");
        assertFalse(node.isServing());
        assertTrue(String.valueOf(node.failure()).contains("its consensus module stopped"),
            String.valueOf(node.failure()));
    }

    private ClusterNode launch(final int memberId)
    {
        return ClusterNode.launch(context(memberId).aeronDirectoryName(aeronDir));
    }

    private ClusterNode.Context context(final int memberId)
    {
        return new ClusterNode.Context()
            .memberId(memberId)
            .members(members)
            .directory(dir.resolve("member-" + memberId))
            .logConfig(new LogConfig().segmentBytes(16 * 1024).maxMessageBytes(8 * 1024))
            .termLength(256 * 1024)
            .archiveSegmentLength(1024 * 1024)
            .leaderHeartbeatTimeoutNs(1_000_000_000L)
            .snapshotLogBytes(0);
    }

    private File clusterDir()
    {
        return dir.resolve("member-0").resolve("cluster").toFile();
    }

    private void awaitLeader()
    {
        await(() -> Cluster.Role.LEADER == node.joinedRole(), "member 0 to lead");
    }

    /**
     * Any ingress message is a log entry: 4 KiB ones the service answers with an error grow the log as fast as any.
     */
    private long answered;

    private void grow(final int messages)
    {
        if (null == client)
        {
            client = AeronCluster.connect(new AeronCluster.Context().errorHandler(Throwable::printStackTrace)
                .aeronDirectoryName(aeronDir)
                .ingressChannel("aeron:udp?term-length=256k")
                .ingressEndpoints(ClusterNode.ingressEndpoints(ClusterNode.parseMembers(members)))
                .egressChannel("aeron:udp?endpoint=localhost:0")
                .egressListener((sessionId, timestamp, buffer, offset, length, header) -> answered++)
                .messageTimeoutNs(10_000_000_000L));
        }
        final UnsafeBuffer message = new UnsafeBuffer(new byte[4096]);
        final long target = answered + messages;
        for (int i = 0; i < messages; i++)
        {
            await(() ->
            {
                client.pollEgress();
                return client.offer(message, 0, message.capacity()) > 0;
            }, "ingress to take message " + i);
        }
        // Each is refused by the service (not a Spindle request): once every refusal is back, all are in the log,
        // ahead of any snapshot asked for after this.
        await(() ->
        {
            client.pollEgress();
            return answered >= target;
        }, "the service to answer all " + messages + " messages");
    }

    private void await(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + AWAIT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("timed out waiting for " + what + "; member 0: " +
                    (null == node ? "down" : node.joinedRole()));
            }
            try
            {
                Thread.sleep(1);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
        }
    }
}
