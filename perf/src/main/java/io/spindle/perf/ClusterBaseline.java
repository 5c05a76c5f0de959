/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.service.Cluster;
import io.aeron.driver.MediaDriver;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;

/**
 * The raw Aeron Cluster baseline: {@code N} members embedded in this process on loopback, each hosting
 * {@link ClusterEchoService} and configured as Spindle's members are (see {@link EchoClusterMember}), and one
 * {@link AeronCluster} client on its own media driver (configured as every perf client driver, see
 * {@link MediaDrivers}):
 * <pre>
 *   client --ingress (UDP)--> leader: consensus module --log (UDP)--> followers' archives and consensus modules
 *                                      | commit (a quorum has it)
 *                                      v
 *   client <--egress (UDP)-- leader: echo service
 * </pre>
 * The client's publishing thread offers to the ingress publication; its receiving thread polls the egress, so the
 * round trip is measured as Spindle's end to end is, from the intended send time to the receiving callback.
 */
final class ClusterBaseline implements AutoCloseable
{
    private static final long START_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private static final long MESSAGE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final List<EchoClusterMember> members = new ArrayList<>();
    private Path tempDir;
    private MediaDriver clientDriver;
    private ClusterEchoReceiver receiver;
    private AeronCluster client;
    private int leader = -1;

    private ClusterBaseline()
    {
    }

    /**
     * Start the members, wait for a leader, connect the client.
     *
     * @param env        idle strategies (members: {@code --member-idle} for every agent, as ClusterNode has one
     *                   idle strategy for all of its agents; client driver: {@code --driver-idle}).
     * @param size       number of members.
     * @param sink       where the echoes are reported.
     * @param partitions the schedule spreads messages over.
     * @param out        where progress lines go.
     * @return the running baseline.
     * @throws IOException when the temporary directory cannot be created.
     */
    static ClusterBaseline start(
        final EnvironmentOptions env,
        final int size,
        final LatencySink sink,
        final int partitions,
        final PrintWriter out)
        throws IOException
    {
        final ClusterBaseline baseline = new ClusterBaseline();
        try
        {
            baseline.launch(env, size, sink, partitions, out);
        }
        catch (final IOException | RuntimeException ex)
        {
            baseline.close();
            throw ex;
        }
        return baseline;
    }

    private void launch(
        final EnvironmentOptions env,
        final int size,
        final LatencySink sink,
        final int partitions,
        final PrintWriter out)
        throws IOException
    {
        tempDir = Files.createTempDirectory("spindle-perf-cluster-echo-");
        final ClusterLayout layout = ClusterLayout.onLoopback(size, EchoClusterMember.PORT_COUNT);
        for (int i = 0; i < size; i++)
        {
            members.add(new EchoClusterMember(i, layout, tempDir.resolve("member-" + i),
                MediaDrivers.uniqueDirectory("cluster-echo-" + i), env::newMemberIdle));
        }
        awaitLeader();

        clientDriver = MediaDrivers.launch(MediaDrivers.uniqueDirectory("cluster-client"), env);
        receiver = new ClusterEchoReceiver(sink, partitions);
        client = AeronCluster.connect(new AeronCluster.Context().errorHandler(Throwable::printStackTrace)
            .aeronDirectoryName(clientDriver.aeronDirectoryName())
            .ingressChannel("aeron:udp")
            .ingressEndpoints(EchoClusterMember.ingressEndpoints(layout))
            .egressChannel("aeron:udp?endpoint=" + ClusterLayout.HOST + ":0")
            .egressListener(receiver)
            .idleStrategy(env.newClientIdle())
            .messageTimeoutNs(MESSAGE_TIMEOUT_NS));
        receiver.client(client);
        leader = client.leaderMemberId();
        out.printf("  %d members on %s, leader %d%n", size, layout.members(), leader);
        out.flush();
    }

    /**
     * The publishing side: the client's ingress publication, used by the publishing thread only.
     *
     * @param size message size.
     * @return the sender.
     */
    ClusterEchoSender sender(final int size)
    {
        return new ClusterEchoSender(
            client.ingressPublication(), client.clusterSessionId(), client.leadershipTermId(), size);
    }

    /**
     * The receiving side: polls the client's egress, on the receiving thread only.
     *
     * @return the receiver.
     */
    ClusterEchoReceiver receiver()
    {
        return receiver;
    }

    /**
     * The member that was leader when the client connected.
     *
     * @return its id.
     */
    int leader()
    {
        return leader;
    }

    /**
     * Echoes the members' services could not send.
     *
     * @return the count.
     */
    long droppedEchoes()
    {
        long dropped = 0;
        for (final EchoClusterMember member : members)
        {
            dropped += member.service().droppedEchoes();
        }
        return dropped;
    }

    /**
     * Close the client and its driver, then the members, then delete their directories.
     */
    public void close()
    {
        CloseHelper.quietCloseAll(client, clientDriver);
        for (int i = members.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(members.get(i));
        }
        members.clear();
        if (null != tempDir)
        {
            IoUtil.delete(tempDir.toFile(), true);
        }
    }

    private void awaitLeader()
    {
        final long deadlineNs = System.nanoTime() + START_TIMEOUT_NS;
        while (System.nanoTime() - deadlineNs < 0)
        {
            for (final EchoClusterMember member : members)
            {
                if (Cluster.Role.LEADER == member.service().role())
                {
                    return;
                }
            }
            sleep();
        }
        throw new IllegalStateException("no member of the echo cluster became leader within " +
            TimeUnit.NANOSECONDS.toSeconds(START_TIMEOUT_NS) + " s");
    }

    private static void sleep()
    {
        try
        {
            Thread.sleep(10);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a leader", ex);
        }
    }
}
