/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aeron.cluster.service.Cluster;
import io.spindle.cluster.ClusterNode;
import org.agrona.CloseHelper;

/**
 * Spindle's side of a {@code --cluster N} run: {@code N} members ({@link ClusterNode}, as {@code spindle node} runs
 * one) embedded in this process on loopback, each with its directory under the run's temporary directory and its
 * media driver in a unique directory next to Aeron's default one, every agent on {@code --member-idle}. Everything
 * else is ClusterNode's default, as it is for the echo baseline's members ({@link EchoClusterMember}).
 */
final class SpindleCluster implements AutoCloseable
{
    private static final long START_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    private final List<ClusterNode> nodes = new ArrayList<>();
    private ClusterLayout layout;

    private SpindleCluster()
    {
    }

    /**
     * Launch the members and wait for one of them to lead.
     *
     * @param env       idle strategies and the member count.
     * @param directory where the members' directories go.
     * @return the running members.
     */
    static SpindleCluster start(final EnvironmentOptions env, final Path directory)
    {
        final SpindleCluster cluster = new SpindleCluster();
        try
        {
            cluster.launch(env, directory);
        }
        catch (final RuntimeException ex)
        {
            cluster.close();
            throw ex;
        }
        return cluster;
    }

    private void launch(final EnvironmentOptions env, final Path directory)
    {
        layout = ClusterLayout.onLoopback(env.cluster, ClusterNode.MEMBER_PORT_COUNT);
        for (int i = 0; i < env.cluster; i++)
        {
            nodes.add(ClusterNode.launch(new ClusterNode.Context()
                .memberId(i)
                .members(layout.members())
                .directory(directory.resolve("member-" + i))
                .aeronDirectoryName(MediaDrivers.uniqueDirectory("member-" + i))
                .idleStrategySupplier(env::newMemberIdle)));
        }

        final long deadlineNs = System.nanoTime() + START_TIMEOUT_NS;
        while (leader() < 0)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("no member became leader within " +
                    TimeUnit.NANOSECONDS.toSeconds(START_TIMEOUT_NS) + " s");
            }
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

    /**
     * The member leading now.
     *
     * @return its id, or -1 when none leads.
     */
    int leader()
    {
        for (final ClusterNode node : nodes)
        {
            if (Cluster.Role.LEADER == node.service().role())
            {
                return node.memberId();
            }
        }
        return -1;
    }

    /**
     * The clients' bootstrap: every member's client endpoint.
     *
     * @return {@code HOST:PORT,HOST:PORT,...}.
     */
    String bootstrap()
    {
        return layout.bootstrap();
    }

    /**
     * The members list as {@code spindle node --members} takes it.
     *
     * @return {@code 0=HOST:PORT,...}.
     */
    String members()
    {
        return layout.members();
    }

    /**
     * Close every member.
     */
    public void close()
    {
        for (int i = nodes.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(nodes.get(i));
        }
        nodes.clear();
    }
}
