package io.spindle.host;

import java.util.concurrent.locks.LockSupport;

import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.ProducerCallback;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The load of the allocation tests: one producer sending 100-byte records to partition 0 of a topic while one
 * consumer of that partition reads them, on the calling thread, with the callback and handler made once (so the
 * loop itself allocates nothing).
 */
public final class SteadyLoad
{
    private final Producer producer;
    private final Consumer consumer;
    private final String topic;
    private final UnsafeBuffer value = new UnsafeBuffer(new byte[100]);
    private final ProducerCallback callback;
    private final Consumer.RecordHandler handler;
    private long received;
    private long failed;

    /**
     * A load between a connected producer and a consumer already assigned the topic's partition 0.
     *
     * @param producer to send with.
     * @param consumer to read with.
     * @param topic    the topic.
     */
    public SteadyLoad(final Producer producer, final Consumer consumer, final String topic)
    {
        this.producer = producer;
        this.consumer = consumer;
        this.topic = topic;
        this.callback = (partition, offset, code) ->
        {
            if (ErrorCode.NONE != code)
            {
                failed++;
            }
        };
        this.handler = (record) -> received++;
    }

    /**
     * Send records and read until all have arrived, or 60 s have passed.
     *
     * @param count how many records.
     */
    public void run(final int count)
    {
        final long target = received + count;
        final long deadlineNs = System.nanoTime() + 60_000_000_000L;
        for (int i = 0; i < count; i++)
        {
            value.putInt(0, i);
            while (producer.send(topic, 0, null, 0, -1, value, 0, value.capacity(), null, callback) ==
                Producer.BACK_PRESSURED)
            {
                producer.poll();
                consumer.poll(handler, 64);
            }
            if ((i & 15) == 0)
            {
                consumer.poll(handler, 64);
            }
        }
        producer.flush();
        while (received < target && System.nanoTime() - deadlineNs < 0)
        {
            if (0 == consumer.poll(handler, 256))
            {
                LockSupport.parkNanos(50_000);
            }
        }
    }

    /**
     * Read records without sending any until {@code count} more have arrived, or 60 s have passed.
     *
     * @param count how many records.
     */
    public void read(final int count)
    {
        final long target = received + count;
        final long deadlineNs = System.nanoTime() + 60_000_000_000L;
        while (received < target && System.nanoTime() - deadlineNs < 0)
        {
            if (0 == consumer.poll(handler, 256))
            {
                LockSupport.parkNanos(50_000);
            }
        }
    }

    /**
     * Records the consumer has read.
     *
     * @return the count.
     */
    public long received()
    {
        return received;
    }

    /**
     * Records whose send failed.
     *
     * @return the count.
     */
    public long failed()
    {
        return failed;
    }
}
