/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.aeron.Publication;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.codecs.MessageHeaderEncoder;
import io.aeron.cluster.codecs.SessionMessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The cluster baseline's publishing side: offers each message, behind the cluster's session header, on the client's
 * ingress publication. The echo comes back on the egress, which the receiving thread polls, so nothing is
 * acknowledged here.
 * <p>
 * The header is encoded once, as {@link AeronCluster#offer} encodes it, so that the publishing thread touches
 * nothing of the {@link AeronCluster} (not thread safe) that the receiving thread polls; a leader change during a
 * run fails the run (see {@link ClusterEchoReceiver}).
 * <p>
 * <b>Threading:</b> owned by the publishing thread.
 */
final class ClusterEchoSender implements LoadSender
{
    private final Publication ingress;
    private final UnsafeBuffer header = new UnsafeBuffer(new byte[AeronCluster.SESSION_HEADER_LENGTH]);
    private final UnsafeBuffer message;
    private final int size;

    /**
     * A sender on a connected client's ingress.
     *
     * @param ingress          the client's ingress publication.
     * @param clusterSessionId the client's session.
     * @param leadershipTermId the term the client connected in.
     * @param size             message size in bytes.
     */
    ClusterEchoSender(
        final Publication ingress, final long clusterSessionId, final long leadershipTermId, final int size)
    {
        this.ingress = ingress;
        this.size = size;
        this.message = new UnsafeBuffer(new byte[size]);
        new SessionMessageHeaderEncoder()
            .wrapAndApplyHeader(header, 0, new MessageHeaderEncoder())
            .leadershipTermId(leadershipTermId)
            .clusterSessionId(clusterSessionId)
            .timestamp(0);
    }

    /**
     * {@inheritDoc}
     */
    public boolean send(final long sequence, final int partition, final long intendedNs)
    {
        message.putLong(0, sequence);
        message.putLong(8, intendedNs);
        final long result = ingress.offer(header, 0, header.capacity(), message, 0, size, null);
        if (result > 0)
        {
            return true;
        }
        if (Publication.BACK_PRESSURED == result || Publication.ADMIN_ACTION == result)
        {
            return false;
        }
        throw new IllegalStateException("cluster ingress offer failed: " + Publication.errorString(result));
    }

    /**
     * {@inheritDoc}
     */
    public int poll()
    {
        return 0;
    }

    /**
     * {@inheritDoc}
     */
    public boolean drain(final long deadlineNs)
    {
        return true;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
    }
}
