/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Producer;
import io.spindle.log.LogConfig;

/**
 * A compacted topic written beside the measured one, so that a run shows what the broker's log cleaner costs the
 * produce path: a producer thread of its own sends keyed records at a fixed rate over a small key space into small
 * segments, which the cleaner keeps rewriting while the measured stream runs.
 * <p>
 * The producer parks between sends (never spins); records it could not send at once are sent at the next due time.
 */
final class CompactionLoad implements AutoCloseable
{
    private static final int KEYS = 1_000;
    private static final int VALUE_BYTES = 100;
    private static final String SEGMENT_BYTES = "1m";

    private final String topic;
    private final Thread thread;
    private final Producer producer;
    private volatile boolean running = true;
    private volatile long sent;

    private CompactionLoad(final String topic, final Producer producer, final long ratePerSecond)
    {
        this.topic = topic;
        this.producer = producer;
        thread = new Thread(() -> run(ratePerSecond), "spindle-perf-compaction-load");
        thread.setDaemon(true);
    }

    /**
     * Create the compacted topic and start writing it.
     *
     * @param setup         the Spindle side of the run: where the broker is and how clients reach it.
     * @param ratePerSecond records per second written to the compacted topic.
     * @return the running load.
     */
    static CompactionLoad start(final SpindleSetup setup, final long ratePerSecond)
    {
        if (ratePerSecond <= 0)
        {
            throw new IllegalArgumentException("--beside-compaction needs a rate above 0: " + ratePerSecond);
        }
        final CompactionLoad load;
        try (Admin admin = Admin.connect(setup.client(new ClientContext(), "spindle-perf-admin")))
        {
            final String topic = "spindle-perf-compacted-" + UUID.randomUUID().toString().substring(0, 8);
            admin.createTopic(topic, 1, Map.of(
                LogConfig.CLEANUP_POLICY, "compact",
                LogConfig.SEGMENT_BYTES, SEGMENT_BYTES,
                LogConfig.MIN_CLEANABLE_DIRTY_RATIO, "0.1"));
            load = new CompactionLoad(
                topic,
                Producer.connect(setup.client(new Producer.Context().acks(1), "spindle-perf-compaction")),
                ratePerSecond);
        }
        load.thread.start();
        return load;
    }

    /**
     * The compacted topic.
     *
     * @return its name.
     */
    String topic()
    {
        return topic;
    }

    /**
     * Records sent to the compacted topic so far.
     *
     * @return the count.
     */
    long sent()
    {
        return sent;
    }

    private void run(final long ratePerSecond)
    {
        final byte[][] keys = new byte[KEYS][];
        for (int i = 0; i < KEYS; i++)
        {
            keys[i] = ("key-" + i).getBytes(StandardCharsets.US_ASCII);
        }
        final byte[] value = new byte[VALUE_BYTES];
        Arrays.fill(value, (byte)'v');
        final FixedRateSchedule schedule = new FixedRateSchedule(System.nanoTime(), ratePerSecond);
        long next = 0;
        try
        {
            while (running)
            {
                final long due = schedule.dueCount(System.nanoTime());
                while (next < due && running)
                {
                    value[(int)(next % VALUE_BYTES)]++;
                    if (Producer.OK != producer.send(topic, 0, keys[(int)(next % KEYS)], value, null))
                    {
                        break;
                    }
                    next++;
                }
                sent = next;
                producer.poll();
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
            }
            producer.flush();
        }
        catch (final RuntimeException ex)
        {
            if (running)
            {
                System.err.println("spindle perf: the compaction load stopped: " + ex);
            }
        }
    }

    /**
     * Stop writing and close the producer (the topic goes with the run's broker).
     */
    public void close()
    {
        running = false;
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        producer.close();
    }
}
