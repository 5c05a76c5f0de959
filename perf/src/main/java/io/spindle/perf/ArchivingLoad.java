/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

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
 * A topic being archived beside the measured one, so that a run shows what tiered storage costs the produce path: a
 * producer thread of its own sends records at a fixed rate into a {@code remote.storage.enable} topic with small
 * segments and a local retention of one byte, so the broker's archiver keeps copying (and reading back to verify)
 * sealed segments and local retention keeps deleting them while the measured stream runs.
 * <p>
 * The producer parks between sends (never spins); records it could not send at once are sent at the next due time.
 */
final class ArchivingLoad implements AutoCloseable
{
    private static final int VALUE_BYTES = 100;
    private static final String SEGMENT_BYTES = "256k";
    private static final String MAX_MESSAGE_BYTES = "64k";

    private final String topic;
    private final Thread thread;
    private final Producer producer;
    private volatile boolean running = true;
    private volatile long sent;

    private ArchivingLoad(final String topic, final Producer producer, final long ratePerSecond)
    {
        this.topic = topic;
        this.producer = producer;
        thread = new Thread(() -> run(ratePerSecond), "spindle-perf-archiving-load");
        thread.setDaemon(true);
    }

    /**
     * Create the tiered topic and start writing it.
     *
     * @param setup         the Spindle side of the run: an embedded broker running tiered storage.
     * @param ratePerSecond records per second written to the tiered topic.
     * @return the running load.
     */
    static ArchivingLoad start(final SpindleSetup setup, final long ratePerSecond)
    {
        if (ratePerSecond <= 0)
        {
            throw new IllegalArgumentException("--beside-archiving needs a rate above 0: " + ratePerSecond);
        }
        final ArchivingLoad load;
        try (Admin admin = Admin.connect(setup.client(new ClientContext(), "spindle-perf-admin")))
        {
            final String topic = "spindle-perf-tiered-" + UUID.randomUUID().toString().substring(0, 8);
            admin.createTopic(topic, 1, Map.of(
                LogConfig.REMOTE_STORAGE_ENABLE, "true",
                LogConfig.SEGMENT_BYTES, SEGMENT_BYTES,
                LogConfig.MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES,
                LogConfig.LOCAL_RETENTION_BYTES, "1"));
            load = new ArchivingLoad(
                topic,
                Producer.connect(setup.client(new Producer.Context().acks(1), "spindle-perf-archiving")),
                ratePerSecond);
        }
        load.thread.start();
        return load;
    }

    /**
     * The tiered topic.
     *
     * @return its name.
     */
    String topic()
    {
        return topic;
    }

    /**
     * Records sent to the tiered topic so far.
     *
     * @return the count.
     */
    long sent()
    {
        return sent;
    }

    private void run(final long ratePerSecond)
    {
        final byte[] value = new byte[VALUE_BYTES];
        Arrays.fill(value, (byte)'a');
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
                    if (Producer.OK != producer.send(topic, 0, null, value, null))
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
                System.err.println("spindle perf: the archiving load stopped: " + ex);
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
