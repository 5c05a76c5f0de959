/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;

/**
 * The baseline's receiving side: polls the subscription of every partition and reports each message to the sink from
 * the fragment handler, as the consumer's record callback does.
 * <p>
 * <b>Threading:</b> owned by the receiving thread.
 */
final class AeronReceiver implements LoadReceiver
{
    private static final int FRAGMENT_LIMIT = 256;

    private final Subscription[] subscriptions;
    private final int streamBase;
    private final LatencySink sink;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onMessage);

    /**
     * A receiver over subscriptions, one per partition.
     *
     * @param subscriptions by partition.
     * @param streamBase    stream id of partition 0.
     * @param sink          where messages are reported.
     */
    AeronReceiver(final Subscription[] subscriptions, final int streamBase, final LatencySink sink)
    {
        this.subscriptions = subscriptions;
        this.streamBase = streamBase;
        this.sink = sink;
    }

    /**
     * {@inheritDoc}
     */
    public int poll()
    {
        int received = 0;
        for (final Subscription subscription : subscriptions)
        {
            received += subscription.poll(assembler, FRAGMENT_LIMIT);
        }
        return received;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
    }

    private void onMessage(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        sink.onReceived(header.streamId() - streamBase, buffer.getLong(offset), buffer.getLong(offset + 8));
    }
}
