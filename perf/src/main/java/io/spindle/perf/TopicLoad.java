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
 * A topic written beside the measured one, so that a run shows what a broker's background work on it costs the
 * produce path: a producer thread of its own sends 100-byte records at a fixed rate into a topic with small segments.
 * <ul>
 *     <li>{@link #compacted(SpindleSetup, long)}: keyed records over a small key space into a compacted topic, which
 *     the broker's log cleaner keeps rewriting ({@code --beside-compaction});</li>
 *     <li>{@link #tiered(SpindleSetup, long)}: records into a {@code remote.storage.enable} topic with a local
 *     retention of one byte, so the broker's archiver keeps copying (and reading back to verify) sealed segments and
 *     local retention keeps deleting them ({@code --beside-archiving}).</li>
 * </ul>
 * Each has a plain twin, the baseline of {@code perf compare --against-spindle}: the same records at the same rate into
 * a topic with the same segments that is neither compacted nor archived (the tiered one's twin deletes its sealed
 * segments by {@code retention.bytes} 1, as local retention deletes the archived ones), so that the comparison prices
 * the cleaner's or the archiver's work and not the extra records the broker takes in.
 * The producer parks between sends (never spins); records it could not send at once are sent at the next due time.
 */
final class TopicLoad implements AutoCloseable
{
    private static final int KEYS = 1_000;
    private static final int VALUE_BYTES = 100;

    private final String kind;
    private final String topicKind;
    private final String topic;
    private final byte[][] keys;
    private final Thread thread;
    private final Producer producer;
    private volatile boolean running = true;
    private volatile long sent;

    private TopicLoad(
        final String kind,
        final String topicKind,
        final String topic,
        final byte[][] keys,
        final Producer producer,
        final long ratePerSecond)
    {
        this.kind = kind;
        this.topicKind = topicKind;
        this.topic = topic;
        this.keys = keys;
        this.producer = producer;
        thread = new Thread(() -> run(ratePerSecond), "spindle-perf-" + kind + "-load");
        thread.setDaemon(true);
    }

    /**
     * Create a compacted topic (or its plain twin) and start writing it, 1,000 keys over 1 MiB segments.
     *
     * @param setup         the Spindle side of the run: where the broker is and how clients reach it.
     * @param ratePerSecond records per second written to the compacted topic.
     * @param plain         true for the twin with {@code cleanup.policy=delete}, which the cleaner leaves alone.
     * @return the running load.
     */
    static TopicLoad compacted(final SpindleSetup setup, final long ratePerSecond, final boolean plain)
    {
        final byte[][] keys = new byte[KEYS][];
        for (int i = 0; i < KEYS; i++)
        {
            keys[i] = ("key-" + i).getBytes(StandardCharsets.US_ASCII);
        }
        return start(setup, ratePerSecond, "compaction", plain ? "keyed" : "compacted", keys, Map.of(
            LogConfig.CLEANUP_POLICY, plain ? "delete" : "compact",
            LogConfig.SEGMENT_BYTES, "1m",
            LogConfig.MIN_CLEANABLE_DIRTY_RATIO, "0.1"));
    }

    /**
     * Create a tiered topic (or its plain twin) and start writing it, 256 KiB segments kept locally only until
     * archived (the twin: only until sealed).
     *
     * @param setup         the Spindle side of the run: an embedded broker running tiered storage.
     * @param ratePerSecond records per second written to the tiered topic.
     * @param plain         true for the twin without {@code remote.storage.enable}, deleting sealed segments by
     *                      {@code retention.bytes} 1 instead.
     * @return the running load.
     */
    static TopicLoad tiered(final SpindleSetup setup, final long ratePerSecond, final boolean plain)
    {
        if (plain)
        {
            return start(setup, ratePerSecond, "archiving", "untiered", null, Map.of(
                LogConfig.SEGMENT_BYTES, "256k",
                LogConfig.MAX_MESSAGE_BYTES, "64k",
                LogConfig.RETENTION_BYTES, "1"));
        }
        return start(setup, ratePerSecond, "archiving", "tiered", null, Map.of(
            LogConfig.REMOTE_STORAGE_ENABLE, "true",
            LogConfig.SEGMENT_BYTES, "256k",
            LogConfig.MAX_MESSAGE_BYTES, "64k",
            LogConfig.LOCAL_RETENTION_BYTES, "1"));
    }

    private static TopicLoad start(
        final SpindleSetup setup,
        final long ratePerSecond,
        final String kind,
        final String topicKind,
        final byte[][] keys,
        final Map<String, String> configs)
    {
        if (ratePerSecond <= 0)
        {
            throw new IllegalArgumentException("--beside-" + kind + " needs a rate above 0: " + ratePerSecond);
        }
        final TopicLoad load;
        try (Admin admin = Admin.connect(setup.client(new ClientContext(), "spindle-perf-admin")))
        {
            final String topic = "spindle-perf-" + topicKind + "-" + UUID.randomUUID().toString().substring(0, 8);
            admin.createTopic(topic, 1, configs);
            load = new TopicLoad(
                kind,
                topicKind,
                topic,
                keys,
                Producer.connect(setup.client(new Producer.Context().acks(1), "spindle-perf-" + kind)),
                ratePerSecond);
        }
        load.thread.start();
        return load;
    }

    /**
     * The topic written.
     *
     * @return its name.
     */
    String topic()
    {
        return topic;
    }

    /**
     * What kind of topic is written.
     *
     * @return "compacted", "keyed" (the compacted one's plain twin), "tiered" or "untiered".
     */
    String topicKind()
    {
        return topicKind;
    }

    /**
     * Records sent to the topic so far.
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
                    final byte[] key = null == keys ? null : keys[(int)(next % keys.length)];
                    if (Producer.OK != producer.send(topic, 0, key, value, null))
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
                System.err.println("spindle perf: the " + kind + " load stopped: " + ex);
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
