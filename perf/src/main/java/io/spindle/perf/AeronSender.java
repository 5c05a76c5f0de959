/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The baseline's publishing side: offers each message on the exclusive publication of its partition and, in echo
 * mode, takes the relay's acknowledgements.
 * <p>
 * <b>Threading:</b> owned by the publishing thread.
 */
final class AeronSender implements LoadSender
{
    private static final int FRAGMENT_LIMIT = 64;

    private final ExclusivePublication[] publications;
    private final Subscription acks;
    private final LatencySink sink;
    private final UnsafeBuffer message;
    private final int size;
    private final FragmentAssembler ackAssembler = new FragmentAssembler(this::onAck);
    private final IdleStrategy drainIdle = new BackoffIdleStrategy();
    private long sent;
    private long acked;

    /**
     * A sender over connected publications.
     *
     * @param publications one per partition.
     * @param acks         the ack subscription, or null when nothing is acknowledged.
     * @param size         message size in bytes.
     * @param sink         where acknowledgements are recorded.
     */
    AeronSender(final ExclusivePublication[] publications, final Subscription acks, final int size,
        final LatencySink sink)
    {
        this.publications = publications;
        this.acks = acks;
        this.sink = sink;
        this.size = size;
        this.message = new UnsafeBuffer(new byte[size]);
    }

    /**
     * {@inheritDoc}
     */
    public boolean send(final long sequence, final int partition, final long intendedNs)
    {
        message.putLong(0, sequence);
        message.putLong(8, intendedNs);
        final long result = publications[partition].offer(message, 0, size);
        if (result > 0)
        {
            sent++;
            return true;
        }
        if (Publication.BACK_PRESSURED == result || Publication.ADMIN_ACTION == result ||
            Publication.NOT_CONNECTED == result)
        {
            return false;
        }
        throw new IllegalStateException("offer failed: " + Publication.errorString(result));
    }

    /**
     * {@inheritDoc}
     */
    public int poll()
    {
        return null == acks ? 0 : acks.poll(ackAssembler, FRAGMENT_LIMIT);
    }

    /**
     * {@inheritDoc}
     */
    public boolean drain(final long deadlineNs)
    {
        if (null == acks)
        {
            return true;
        }
        drainIdle.reset();
        while (acked < sent && System.nanoTime() - deadlineNs < 0)
        {
            drainIdle.idle(poll());
        }
        return acked >= sent;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
    }

    private void onAck(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        acked++;
        sink.onAcked(buffer.getLong(offset + 8), true);
    }
}
