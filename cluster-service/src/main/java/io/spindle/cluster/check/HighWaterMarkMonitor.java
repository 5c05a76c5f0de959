/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Watches each member's high-water mark per partition over time and counts every time one moved backwards: a
 * record acknowledged (committed) must never become unreadable again on any member.
 * <p>
 * Feed it with {@link #observe} (from the test's own loop), or have it call a {@link Sampler} every interval on a
 * thread of its own with {@link #startPolling}, stopped by {@link #close()}. It keeps only the last mark per
 * member and partition and the first few regressions, so a long run uses bounded memory.
 * <p>
 * The marks of one member's partition must be observed in the order they were read: from one thread, or from
 * several that serialise their reads and observations. A member whose data was wiped on purpose starts over:
 * {@link #forget(int)} it. Thread-safe.
 */
public final class HighWaterMarkMonitor implements AutoCloseable
{
    /**
     * Examples of regressions kept by default.
     */
    public static final int MAX_EXAMPLES_DEFAULT = 10;

    private static final long CLOSE_TIMEOUT_MS = 10_000;

    /**
     * Reads the marks of the members it can reach and reports each with {@link HighWaterMarkMonitor#observe}.
     */
    @FunctionalInterface
    public interface Sampler
    {
        /**
         * Observe the current marks.
         *
         * @param monitor to report each mark to.
         */
        void sample(HighWaterMarkMonitor monitor);
    }

    private record Key(int memberId, String topic, int partition)
    {
    }

    private final int maxExamples;
    private final Map<Key, Long> lastMarks = new HashMap<>();
    private final List<String> regressionExamples = new ArrayList<>();
    private long sampleCount;
    private long regressionCount;
    private long samplerFailureCount;
    private RuntimeException firstSamplerFailure;
    private Thread poller;
    private volatile boolean isRunning;

    /**
     * A monitor keeping the first {@link #MAX_EXAMPLES_DEFAULT} regressions as examples.
     */
    public HighWaterMarkMonitor()
    {
        this(MAX_EXAMPLES_DEFAULT);
    }

    /**
     * A monitor keeping the first regressions as examples.
     *
     * @param maxExamples regressions described in full; all are counted.
     */
    public HighWaterMarkMonitor(final int maxExamples)
    {
        if (maxExamples < 0)
        {
            throw new IllegalArgumentException("maxExamples=" + maxExamples);
        }

        this.maxExamples = maxExamples;
    }

    /**
     * Observe one member's high-water mark of one partition.
     *
     * @param memberId      of the member.
     * @param topic         of the partition.
     * @param partition     index.
     * @param highWaterMark the member's current mark.
     */
    public synchronized void observe(
        final int memberId, final String topic, final int partition, final long highWaterMark)
    {
        sampleCount++;
        final Long last = lastMarks.put(new Key(memberId, topic, partition), highWaterMark);
        if (null != last && highWaterMark < last)
        {
            regressionCount++;
            if (regressionExamples.size() < maxExamples)
            {
                regressionExamples.add("member " + memberId + " " + topic + "-" + partition +
                    ": high-water mark " + last + " then " + highWaterMark);
            }
        }
    }

    /**
     * Forget a member's marks, as for a member whose data directory was wiped on purpose: its next marks are not
     * compared with the ones before.
     *
     * @param memberId of the member.
     */
    public synchronized void forget(final int memberId)
    {
        lastMarks.keySet().removeIf((key) -> key.memberId == memberId);
    }

    /**
     * Call a sampler every interval on a new daemon thread until {@link #close()}. A sampler that throws (a member
     * being down, say) is counted in {@link #samplerFailures()} and called again at the next interval.
     *
     * @param sampler    to call.
     * @param intervalMs between the end of one call and the start of the next.
     * @return this for a fluent API.
     * @throws IllegalStateException if already polling.
     */
    public synchronized HighWaterMarkMonitor startPolling(final Sampler sampler, final long intervalMs)
    {
        if (null != poller)
        {
            throw new IllegalStateException("already polling");
        }

        if (intervalMs <= 0)
        {
            throw new IllegalArgumentException("intervalMs=" + intervalMs);
        }

        isRunning = true;
        poller = new Thread(() -> poll(sampler, intervalMs), "hwm-monitor");
        poller.setDaemon(true);
        poller.start();
        return this;
    }

    /**
     * Stop polling, waiting for the current sample to finish; a monitor fed only with {@link #observe} needs no
     * closing.
     *
     * @throws IllegalStateException if the polling thread did not stop within 10 s.
     */
    public void close()
    {
        final Thread poller;
        synchronized (this)
        {
            poller = this.poller;
            isRunning = false;
        }

        if (null != poller)
        {
            poller.interrupt();
            try
            {
                poller.join(CLOSE_TIMEOUT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }

            if (poller.isAlive())
            {
                throw new IllegalStateException("high-water mark poller did not stop within " + CLOSE_TIMEOUT_MS +
                    " ms: " + Arrays.toString(poller.getStackTrace()));
            }
        }
    }

    /**
     * Marks observed so far.
     *
     * @return the number of observations.
     */
    public synchronized long samples()
    {
        return sampleCount;
    }

    /**
     * Times a member's mark of a partition was lower than the one observed before it.
     *
     * @return the number of regressions.
     */
    public synchronized long regressions()
    {
        return regressionCount;
    }

    /**
     * The first regressions, described.
     *
     * @return a new list of descriptions.
     */
    public synchronized List<String> regressionExamples()
    {
        return new ArrayList<>(regressionExamples);
    }

    /**
     * Sampler calls that threw.
     *
     * @return the number of failed samples.
     */
    public synchronized long samplerFailures()
    {
        return samplerFailureCount;
    }

    /**
     * The first exception a sampler threw, to diagnose a sampler that always fails.
     *
     * @return the exception, or null if none.
     */
    public synchronized RuntimeException firstSamplerFailure()
    {
        return firstSamplerFailure;
    }

    /**
     * {@inheritDoc}
     */
    public synchronized String toString()
    {
        return "HighWaterMarkMonitor{samples=" + sampleCount + ", regressions=" + regressionCount +
            ", samplerFailures=" + samplerFailureCount + '}';
    }

    private void poll(final Sampler sampler, final long intervalMs)
    {
        while (isRunning)
        {
            try
            {
                sampler.sample(this);
            }
            catch (final RuntimeException ex)
            {
                synchronized (this)
                {
                    samplerFailureCount++;
                    if (null == firstSamplerFailure)
                    {
                        firstSamplerFailure = ex;
                    }
                }
            }

            try
            {
                TimeUnit.MILLISECONDS.sleep(intervalMs);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
    }
}
