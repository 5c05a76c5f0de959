/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.spindle.client.Producer;
import io.spindle.client.ProducerCallback;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.BitUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sends the load through a Spindle {@link Producer}: one record per message, no key, the message as the value, to the
 * partition the schedule names. Each record gets a preallocated callback from a ring that carries its intended send
 * time to the acknowledgement, so nothing is allocated per record.
 * <p>
 * <b>Threading:</b> owned by the publishing thread, like the producer.
 */
final class SpindleSender implements LoadSender
{
    private static final int MIN_CALLBACKS = 4096;
    private static final int MAX_CALLBACKS = 1 << 20;

    private final Producer producer;
    private final String topic;
    private final int size;
    private final UnsafeBuffer value;
    private final AckCallback[] callbacks;
    private final int mask;
    private final IdleStrategy idle;
    private final StageTrace trace;
    private long sent;

    /**
     * A sender on a connected producer.
     *
     * @param producer connected, with the run's acks.
     * @param topic    to send to.
     * @param load     size, rate and acks of the run.
     * @param sink     where acknowledgements are recorded.
     * @param trace    stamped as each record is handed to the producer ({@code --stages}), or null.
     */
    SpindleSender(
        final Producer producer, final String topic, final LoadOptions load, final LatencySink sink,
        final StageTrace trace)
    {
        this.trace = trace;
        this.producer = producer;
        this.topic = topic;
        this.size = load.size;
        this.value = new UnsafeBuffer(new byte[load.size]);
        this.idle = new BackoffIdleStrategy();
        if (0 == load.acks)
        {
            callbacks = null;
            mask = 0;
        }
        else
        {
            // Room for several seconds of unacknowledged records before the ring itself pushes back.
            final int count = BitUtil.findNextPositivePowerOfTwo(
                (int)Math.max(MIN_CALLBACKS, Math.min(MAX_CALLBACKS, load.rate * 4)));
            callbacks = new AckCallback[count];
            for (int i = 0; i < count; i++)
            {
                callbacks[i] = new AckCallback(sink);
            }
            mask = count - 1;
        }
    }

    /**
     * {@inheritDoc}
     */
    public boolean send(final long sequence, final int partition, final long intendedNs)
    {
        AckCallback callback = null;
        if (null != callbacks)
        {
            callback = callbacks[(int)(sequence & mask)];
            if (callback.pending)
            {
                return false;
            }
            callback.intendedNs = intendedNs;
            callback.pending = true;
        }
        value.putLong(0, sequence);
        value.putLong(8, intendedNs);
        if (null != trace)
        {
            trace.onHanding(partition, System.nanoTime());
        }
        if (producer.send(topic, partition, null, 0, -1, value, 0, size, null, callback) == Producer.BACK_PRESSURED)
        {
            if (null != callback)
            {
                callback.pending = false;
            }
            return false;
        }
        if (null != trace)
        {
            trace.onHanded(partition);
        }
        sent++;
        return true;
    }

    /**
     * {@inheritDoc}
     */
    public int poll()
    {
        return producer.poll();
    }

    /**
     * {@inheritDoc}
     */
    public boolean drain(final long deadlineNs)
    {
        idle.reset();
        while (sent - producer.ackedCount() - producer.failedCount() > 0 && System.nanoTime() - deadlineNs < 0)
        {
            idle.idle(producer.poll());
        }
        return sent - producer.ackedCount() - producer.failedCount() <= 0;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        producer.close();
    }

    private static final class AckCallback implements ProducerCallback
    {
        private final LatencySink sink;
        long intendedNs;
        boolean pending;

        AckCallback(final LatencySink sink)
        {
            this.sink = sink;
        }

        public void onCompletion(final int partition, final long offset, final ErrorCode error)
        {
            pending = false;
            sink.onAcked(intendedNs, ErrorCode.NONE == error);
        }
    }
}
