/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * The cluster baseline's service: every committed ingress message goes back unchanged on its session's egress, and
 * nothing else happens. On followers the offer is a no-op (Aeron Cluster mocks follower egress), so only the leader
 * answers. No state, so nothing to snapshot; nothing allocated per message.
 * <p>
 * <b>Threading:</b> called on the member's service thread; {@link #role()} and {@link #droppedEchoes()} may be read
 * from any thread.
 */
final class ClusterEchoService implements ClusteredService
{
    private volatile Cluster.Role role = Cluster.Role.FOLLOWER;
    private volatile long droppedEchoes;
    private IdleStrategy idle;

    /**
     * {@inheritDoc}
     */
    public void onStart(final Cluster cluster, final Image snapshotImage)
    {
        idle = cluster.idleStrategy();
        role = cluster.role();
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionOpen(final ClientSession session, final long timestamp)
    {
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionClose(final ClientSession session, final long timestamp, final CloseReason closeReason)
    {
    }

    /**
     * Echo the message; wait while the egress is back-pressured, give up on a session that cannot be reached.
     */
    public void onSessionMessage(
        final ClientSession session,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header)
    {
        idle.reset();
        long result;
        while ((result = session.offer(buffer, offset, length)) < 0)
        {
            if (Publication.BACK_PRESSURED != result && Publication.ADMIN_ACTION != result)
            {
                droppedEchoes++;
                return;
            }
            idle.idle();
        }
    }

    /**
     * {@inheritDoc}
     */
    public void onTimerEvent(final long correlationId, final long timestamp)
    {
    }

    /**
     * {@inheritDoc}
     */
    public void onTakeSnapshot(final ExclusivePublication snapshotPublication)
    {
    }

    /**
     * {@inheritDoc}
     */
    public void onRoleChange(final Cluster.Role newRole)
    {
        role = newRole;
    }

    /**
     * {@inheritDoc}
     */
    public void onTerminate(final Cluster cluster)
    {
    }

    /**
     * The member's role as last told to the service.
     *
     * @return the role.
     */
    Cluster.Role role()
    {
        return role;
    }

    /**
     * Echoes not sent because the session's egress was not connected or closed.
     *
     * @return the count.
     */
    long droppedEchoes()
    {
        return droppedEchoes;
    }
}
