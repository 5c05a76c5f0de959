/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.TopicPartition;

/**
 * Offset commits beside the measured stream, so that a run shows what persisting a consumer group's offsets costs
 * the produce path: a thread of its own commits a growing offset for a group of its own at a fixed rate (one commit
 * in flight at a time: a commit not answered by its due time delays the next), each one a metadata change the broker
 * persists before it answers.
 */
final class CommitLoad implements AutoCloseable
{
    private final String group;
    private final Thread thread;
    private final SpindleSetup setup;
    private final TopicPartition partition;
    private volatile boolean running = true;
    private volatile long committed;

    private CommitLoad(final SpindleSetup setup, final long ratePerSecond)
    {
        this.setup = setup;
        this.group = "spindle-perf-committer-" + UUID.randomUUID().toString().substring(0, 8);
        this.partition = new TopicPartition(setup.topic(), 0);
        thread = new Thread(() -> run(ratePerSecond), "spindle-perf-commit-load");
        thread.setDaemon(true);
    }

    /**
     * Start committing.
     *
     * @param setup         the Spindle side of the run: where the broker is and how clients reach it.
     * @param ratePerSecond commits per second.
     * @return the running load.
     */
    static CommitLoad start(final SpindleSetup setup, final long ratePerSecond)
    {
        if (ratePerSecond <= 0)
        {
            throw new IllegalArgumentException("--beside-commits needs a rate above 0: " + ratePerSecond);
        }
        final CommitLoad load = new CommitLoad(setup, ratePerSecond);
        load.thread.start();
        return load;
    }

    /**
     * Commits answered so far.
     *
     * @return the count.
     */
    long committed()
    {
        return committed;
    }

    /**
     * The committing group.
     *
     * @return its id.
     */
    String group()
    {
        return group;
    }

    private void run(final long ratePerSecond)
    {
        final FixedRateSchedule schedule = new FixedRateSchedule(System.nanoTime(), ratePerSecond);
        long next = 0;
        try (Admin admin = Admin.connect(setup.client(new ClientContext(), "spindle-perf-committer")))
        {
            while (running)
            {
                if (next < schedule.dueCount(System.nanoTime()))
                {
                    admin.alterGroupOffsets(group, Map.of(partition, new OffsetAndMetadata(next, "")));
                    next++;
                    committed = next;
                }
                else
                {
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
                }
            }
        }
        catch (final RuntimeException ex)
        {
            if (running)
            {
                System.err.println("spindle perf: the commit load stopped: " + ex);
            }
        }
    }

    /**
     * Stop committing.
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
    }
}
