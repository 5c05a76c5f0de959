/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import org.agrona.DirectBuffer;

/**
 * Receives the load through a Spindle {@link Consumer} assigned every partition of the topic from its beginning, and
 * reports each record to the sink from the record callback.
 * <p>
 * <b>Threading:</b> owned by the receiving thread, like the consumer.
 */
final class SpindleReceiver implements LoadReceiver
{
    private static final int POLL_LIMIT = 256;

    private final Consumer consumer;
    private final LatencySink sink;
    private final StageTrace trace;
    private final Consumer.RecordHandler handler = this::onRecord;

    /**
     * A receiver on an assigned consumer.
     *
     * @param consumer connected and assigned, positions resolved.
     * @param sink     where records are reported.
     * @param trace    told of each measured record's delivery ({@code --stages}), or null.
     */
    SpindleReceiver(final Consumer consumer, final LatencySink sink, final StageTrace trace)
    {
        this.trace = trace;
        this.consumer = consumer;
        this.sink = sink;
    }

    /**
     * {@inheritDoc}
     */
    public int poll()
    {
        return consumer.poll(handler, POLL_LIMIT);
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        consumer.close();
    }

    private void onRecord(final ConsumerRecord record)
    {
        final DirectBuffer buffer = record.buffer();
        final int offset = record.valueOffset();
        final long intendedNs = buffer.getLong(offset + 8);
        sink.onReceived(record.partition(), buffer.getLong(offset), intendedNs);
        if (null != trace)
        {
            trace.onDelivered(record.partition(), record.offset(), intendedNs, System.nanoTime(),
                intendedNs - sink.measureStartNs() >= 0);
        }
    }
}
