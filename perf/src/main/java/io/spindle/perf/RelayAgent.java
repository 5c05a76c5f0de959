/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.aeron.ControlledFragmentAssembler;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The baseline's stand-in for the broker: takes each message from the publisher's stream, acknowledges it to the
 * publisher (sequence and intended send time, 16 bytes) and forwards it unchanged to the subscriber's stream of the
 * same partition, in that order, as the broker acknowledges a produce before its fetch server pushes the batch. No
 * log, no codec: what is left is the transport and one more agent's duty cycle.
 * <p>
 * A message whose forward is back-pressured is left in the subscription and taken again on a later cycle; its ack is
 * not repeated.
 * <p>
 * <b>Threading:</b> one agent thread.
 */
final class RelayAgent implements Agent
{
    private static final int FRAGMENT_LIMIT = 16;

    private final Subscription[] requests;
    private final ExclusivePublication[] forwards;
    private final ExclusivePublication acks;
    private final int requestStreamBase;
    private final long[] ackedPosition;
    private final UnsafeBuffer ackBuffer = new UnsafeBuffer(new byte[LoadOptions.STAMP_LENGTH]);
    private final ControlledFragmentAssembler assembler = new ControlledFragmentAssembler(this::onMessage);
    private long droppedAcks;

    /**
     * A relay over connected subscriptions and publications, one pair per partition.
     *
     * @param requests          the publisher's streams, by partition.
     * @param forwards          the subscriber's streams, by partition.
     * @param acks              the publisher's ack stream, or null when nothing is acknowledged.
     * @param requestStreamBase stream id of partition 0's request stream.
     */
    RelayAgent(
        final Subscription[] requests,
        final ExclusivePublication[] forwards,
        final ExclusivePublication acks,
        final int requestStreamBase)
    {
        this.requests = requests;
        this.forwards = forwards;
        this.acks = acks;
        this.requestStreamBase = requestStreamBase;
        this.ackedPosition = new long[requests.length];
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        int work = 0;
        for (final Subscription request : requests)
        {
            work += request.controlledPoll(assembler, FRAGMENT_LIMIT);
        }
        return work;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "perf-relay";
    }

    /**
     * Acks that could not be sent (the publisher stopped taking them); 0 in a sound run.
     *
     * @return the count.
     */
    long droppedAcks()
    {
        return droppedAcks;
    }

    private ControlledFragmentHandler.Action onMessage(
        final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int partition = header.streamId() - requestStreamBase;
        final long position = header.position();
        if (null != acks && position > ackedPosition[partition])
        {
            ackBuffer.putBytes(0, buffer, offset, LoadOptions.STAMP_LENGTH);
            final long result = acks.offer(ackBuffer, 0, LoadOptions.STAMP_LENGTH);
            if (result < 0)
            {
                if (Publication.BACK_PRESSURED == result || Publication.ADMIN_ACTION == result)
                {
                    return ControlledFragmentHandler.Action.ABORT;
                }
                droppedAcks++;
            }
            ackedPosition[partition] = position;
        }

        final long result = forwards[partition].offer(buffer, offset, length);
        if (result < 0 && (Publication.BACK_PRESSURED == result || Publication.ADMIN_ACTION == result ||
            Publication.NOT_CONNECTED == result))
        {
            return ControlledFragmentHandler.Action.ABORT;
        }
        return ControlledFragmentHandler.Action.CONTINUE;
    }
}
