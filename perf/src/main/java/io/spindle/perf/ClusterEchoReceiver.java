/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.codecs.EventCode;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;

/**
 * The cluster baseline's receiving side: polls the client's egress and reports each echo to the sink from the egress
 * listener, as the consumer's record callback does. Message {@code i} is counted on partition
 * {@code i % partitions}, the partition the schedule named for it: one session keeps every message in order.
 * <p>
 * A leader change, a session event or a disconnect during a run ends it with an exception: the sending thread holds
 * the first leader's ingress publication, and a run across a failover would not be the steady state measured here.
 * <p>
 * <b>Threading:</b> owned by the receiving thread once the run starts; the listener is called from {@link #poll()}
 * (and from {@code AeronCluster.connect} on the starting thread, before the run).
 */
final class ClusterEchoReceiver implements LoadReceiver, EgressListener
{
    private final LatencySink sink;
    private final int partitions;
    private AeronCluster client;

    /**
     * A receiver reporting to a sink.
     *
     * @param sink       where echoes are reported.
     * @param partitions the partitions the schedule spreads messages over.
     */
    ClusterEchoReceiver(final LatencySink sink, final int partitions)
    {
        this.sink = sink;
        this.partitions = partitions;
    }

    /**
     * The client whose egress this receiver polls; set once it is connected, before the run.
     *
     * @param client connected with this receiver as its egress listener.
     */
    void client(final AeronCluster client)
    {
        this.client = client;
    }

    /**
     * {@inheritDoc}
     */
    public int poll()
    {
        final int workCount = client.pollEgress();
        if (client.isClosed())
        {
            throw new IllegalStateException("the cluster client lost its session during the run");
        }
        return workCount;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
    }

    /**
     * An echo: report it.
     */
    public void onMessage(
        final long clusterSessionId,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header)
    {
        final long sequence = buffer.getLong(offset);
        sink.onReceived((int)(sequence % partitions), sequence, buffer.getLong(offset + 8));
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionEvent(
        final long correlationId,
        final long clusterSessionId,
        final long leadershipTermId,
        final int leaderMemberId,
        final EventCode code,
        final String detail)
    {
        if (EventCode.OK != code)
        {
            throw new IllegalStateException("cluster session event " + code + " during the run: " + detail);
        }
    }

    /**
     * {@inheritDoc}
     */
    public void onNewLeader(
        final long clusterSessionId,
        final long leadershipTermId,
        final int leaderMemberId,
        final String ingressEndpoints)
    {
        throw new IllegalStateException("the cluster elected a new leader (member " + leaderMemberId +
            ") during the run: the measurement is of the steady state only");
    }
}
