/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.spindle.driver.SchedulerSlice;
import io.spindle.tools.FreezeProbe;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;

/**
 * One fixed-rate latency measurement, the same for Spindle and for the raw-Aeron baseline: a publishing thread sends
 * every message whose intended send time has passed, a receiving thread records intended send time to receipt, and
 * this (the calling) thread cuts the recorders into one-second intervals, writes them to the interval logs and adds
 * them up.
 * <p>
 * The publishing thread does not spin while it waits for the schedule: on a 2-core machine a spinning load generator
 * steals the core the measured system needs. It parks until the next intended send time, but at most
 * {@link #MAX_PARK_NS} so acknowledgements are taken promptly at low rates, and on waking sends everything that became
 * due, so a late wake-up produces a burst, never a missing sample. Linux parks for at least the timer slack (50 µs by
 * default), so at rates above about 10 000/s messages go out in small bursts; each is still stamped with its own
 * intended time. How late each message is taken is recorded as the send lateness: the harness's own share of every
 * end-to-end figure. {@code --publisher-wait yield|spin} replaces the park for machines with a core to spare.
 * <p>
 * A {@link FreezeProbe} watches every CPU for the run: the result carries the host's freezes and the end-to-end
 * figures of the messages that were not in flight during one (perf/README, "Host freezes").
 */
final class LatencyRun
{
    /**
     * Length of an interval in the interval log.
     */
    static final long INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    /**
     * Longest park of the publishing thread between two looks at the schedule and the acknowledgements.
     */
    static final long MAX_PARK_NS = TimeUnit.MICROSECONDS.toNanos(100);

    private static final long START_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long DRAIN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final long CHECK_NS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final int WARM_UP_INTERVALS = 200;

    /**
     * Most end-to-end samples kept one by one for the figures outside host freezes (two longs each: 64 MiB).
     */
    private static final long MAX_KEPT_SAMPLES = 4_000_000;

    private final LoadOptions load;
    private final boolean recordAcks;
    private final IdleStrategy senderIdle;
    private final IdleStrategy receiverIdle;
    private final ThreadFactory measuredThreads;
    private final PrintWriter out;
    private final Measured measured;

    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong sent = new AtomicLong();
    private volatile boolean publishing = true;
    private volatile boolean receiving = true;
    private volatile boolean published;
    private volatile long publishedNs;
    private FreezeProbe probe;
    private List<long[]> freezeWindows = List.of();
    private long backPressured;
    private boolean drained;

    /**
     * A run of the given load.
     *
     * @param load         rate, size, partitions, durations.
     * @param recordAcks   whether send -> ack latency is measured.
     * @param senderIdle   how the publishing thread waits while back-pressured.
     * @param receiverIdle how the receiving thread waits when nothing arrived.
     * @param sliceNs      the scheduler slice the publishing and receiving threads ask for, 0 for none.
     * @param out          where progress lines go.
     */
    LatencyRun(
        final LoadOptions load,
        final boolean recordAcks,
        final IdleStrategy senderIdle,
        final IdleStrategy receiverIdle,
        final long sliceNs,
        final PrintWriter out)
    {
        this(load, recordAcks, senderIdle, receiverIdle, sliceNs, out, Measured.END_TO_END);
    }

    /**
     * A run of the given load whose main histogram holds something other than the end to end latency of messages.
     *
     * @param load         rate, size, partitions, durations.
     * @param recordAcks   whether send -> ack latency is measured.
     * @param senderIdle   how the publishing thread waits while back-pressured.
     * @param receiverIdle how the receiving thread waits when nothing arrived.
     * @param sliceNs      the scheduler slice the publishing and receiving threads ask for, 0 for none.
     * @param out          where progress lines go.
     * @param measured     what the main histogram holds, for the progress lines.
     */
    LatencyRun(
        final LoadOptions load,
        final boolean recordAcks,
        final IdleStrategy senderIdle,
        final IdleStrategy receiverIdle,
        final long sliceNs,
        final PrintWriter out,
        final Measured measured)
    {
        this.load = load;
        this.recordAcks = recordAcks;
        this.senderIdle = senderIdle;
        this.receiverIdle = receiverIdle;
        this.measuredThreads = SchedulerSlice.threadFactory(sliceNs);
        this.out = out;
        this.measured = measured;
    }

    /**
     * Run the load and collect the histograms.
     *
     * @param sink     the sink the sender and receiver were made with.
     * @param sender   the sending side; used by the publishing thread only from now on.
     * @param receiver the receiving side; used by the receiving thread only from now on.
     * @return what was measured.
     * @throws Exception when a measured thread failed or a log cannot be written.
     */
    LatencyResult run(final LatencySink sink, final LoadSender sender, final LoadReceiver receiver) throws Exception
    {
        freezeWindows = List.of();
        try (FreezeProbe freezeProbe = new FreezeProbe())
        {
            probe = freezeProbe;
            return runWatched(sink, sender, receiver);
        }
        finally
        {
            probe = null;
        }
    }

    /**
     * The host's freezes the last {@link #run} saw, each {@code {startNs, endNs}}.
     *
     * @return them, empty before a run has ended.
     */
    List<long[]> freezeWindows()
    {
        return freezeWindows;
    }

    private LatencyResult runWatched(final LatencySink sink, final LoadSender sender, final LoadReceiver receiver)
        throws Exception
    {
        warmUpIntervals();
        final FixedRateSchedule schedule = new FixedRateSchedule(System.nanoTime() + START_DELAY_NS, load.rate);
        final long measureStartNs = schedule.startNs() + TimeUnit.SECONDS.toNanos(load.warmupS);
        final long total = schedule.count((long)load.warmupS + load.measureS);
        final long warmupCount = schedule.count(load.warmupS);
        sink.measureStartNs(measureStartNs);
        if (total - warmupCount <= MAX_KEPT_SAMPLES)
        {
            sink.keepSamples((int)(total - warmupCount));
        }

        final Thread publisher = measuredThreads.newThread(() -> publish(schedule, total, sender, sink));
        publisher.setName("perf-publisher");
        final Thread subscriber = measuredThreads.newThread(() -> receive(receiver));
        subscriber.setName("perf-receiver");
        subscriber.start();
        publisher.start();

        // This thread does as little as it can while the others are measured: on 2 cores every millisecond it runs is
        // taken from them. Intervals are kept encoded, not compressed, and neither added up nor written to the logs
        // until the end; the progress line needs no percentile. Compressing and writing the logs, adding the totals
        // and three percentiles for the progress line took it 2-10 ms of CPU a second.
        final long startMs = System.currentTimeMillis() +
            TimeUnit.NANOSECONDS.toMillis(measureStartNs - System.nanoTime());
        final Intervals intervals = new Intervals(sink, startMs, measureStartNs);
        try
        {
            // Warm-up messages are never recorded: the sink filters them by intended send time, which loses no
            // sample at the boundary as emptying the recorders at a sleeping thread's wake-up would. The first
            // interval is dated from the start of the measurement.
            long nextIntervalNs = measureStartNs + INTERVAL_NS;
            int second = 0;
            while (!awaitIntervalOrEnd(nextIntervalNs, sink))
            {
                intervals.take(++second, false);
                nextIntervalNs += INTERVAL_NS;
            }

            receiving = false;
            publishing = false;
            publisher.join();
            subscriber.join();
            intervals.take(++second, true);
        }
        finally
        {
            receiving = false;
            publishing = false;
            publisher.join(TimeUnit.SECONDS.toMillis(30));
            subscriber.join(TimeUnit.SECONDS.toMillis(30));
            CloseHelper.quietCloseAll(sender, receiver);
        }

        if (null != failure.get())
        {
            final Throwable cause = failure.get();
            if (cause instanceof Exception)
            {
                throw (Exception)cause;
            }
            throw new IllegalStateException(cause);
        }

        final long endNs = System.nanoTime();
        final long sentCount = sent.get();
        freezeWindows = probe.windows();
        final Histogram sendLateness = newHistogram();
        sendLateness.add(sink.sendLateness().getIntervalHistogram());
        return new LatencyResult(
            intervals.endToEnd.total(),
            recordAcks ? intervals.ack.total() : null,
            sendLateness,
            intervals.endToEnd,
            recordAcks ? intervals.ack : null,
            sentCount,
            Math.max(0, sentCount - warmupCount),
            sink.received(),
            sink.measuredReceived(),
            sink.outOfOrder(),
            sink.clipped(),
            sink.ackFailures(),
            backPressured,
            drained,
            ratePerSecond(sink.measuredReceived(), sink.lastMeasuredReceiveNs() - measureStartNs),
            ratePerSecond(Math.max(0, sentCount - warmupCount), publishedNs - measureStartNs),
            HostFreezes.of(probe, measureStartNs, endNs),
            sink.outside(freezeWindows),
            null);
    }

    private void publish(
        final FixedRateSchedule schedule, final long total, final LoadSender sender, final LatencySink sink)
    {
        try
        {
            final int partitions = load.partitions;
            final LoadOptions.PublisherWait wait = load.publisherWait;
            final IdleStrategy idle = senderIdle;
            // A message is taken when send returns, unless send returns only once the message is done (a
            // transaction committed): then when it was handed to the sender.
            final boolean completesInSend = sender.completesInSend();
            long index = 0;
            long backPressured = 0;
            while (index < total && publishing)
            {
                final long dueCount = Math.min(total, schedule.dueCount(System.nanoTime()));
                while (index < dueCount && publishing)
                {
                    final long intendedNs = schedule.intendedNs(index);
                    final long handedNs = completesInSend ? System.nanoTime() : 0;
                    if (sender.send(index, (int)(index % partitions), intendedNs))
                    {
                        sink.onSent(intendedNs, completesInSend ? handedNs : System.nanoTime());
                        index++;
                        sent.lazySet(index);
                        idle.reset();
                    }
                    else
                    {
                        backPressured++;
                        idle.idle(sender.poll());
                    }
                }
                sender.poll();

                if (index < total)
                {
                    final long waitNs = schedule.intendedNs(index) - System.nanoTime();
                    if (waitNs > 0)
                    {
                        switch (wait)
                        {
                            case SPIN:
                                Thread.onSpinWait();
                                break;
                            case YIELD:
                                Thread.yield();
                                break;
                            default:
                                LockSupport.parkNanos(Math.min(waitNs, MAX_PARK_NS));
                                break;
                        }
                    }
                }
            }
            publishedNs = System.nanoTime();
            this.backPressured = backPressured;
            published = true;
            drained = sender.drain(System.nanoTime() + DRAIN_TIMEOUT_NS);
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
            publishedNs = System.nanoTime();
            published = true;
        }
    }

    private void receive(final LoadReceiver receiver)
    {
        try
        {
            final IdleStrategy idle = receiverIdle;
            while (receiving)
            {
                idle.idle(receiver.poll());
            }
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }

    /**
     * Sleep until the interval ends, or return early once the run is over: everything published has been received,
     * or the drain timeout passed, or a measured thread failed.
     */
    private boolean awaitIntervalOrEnd(final long intervalEndNs, final LatencySink sink) throws InterruptedException
    {
        while (true)
        {
            final long nowNs = System.nanoTime();
            if (null != failure.get())
            {
                return true;
            }
            if (published && (sink.received() >= sent.get() || nowNs - publishedNs > DRAIN_TIMEOUT_NS))
            {
                return true;
            }
            if (nowNs - intervalEndNs >= 0)
            {
                return false;
            }
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(Math.min(CHECK_NS, intervalEndNs - nowNs)) + 1);
        }
    }

    /**
     * Run the once-a-second interval code enough times for the JIT to compile it (the first cut of a fresh JVM took
     * this thread 20 ms, interpreted, in the first second of the measurement), then collect the garbage of the set-up
     * so a young collection is less likely to fall in the measurement. Both before the schedule starts.
     */
    private static void warmUpIntervals()
    {
        final SingleWriterRecorder recorder = new SingleWriterRecorder(
            1, LatencySink.HIGHEST_TRACKABLE_NS, LatencySink.SIGNIFICANT_DIGITS);
        final PrintWriter discard = new PrintWriter(Writer.nullWriter());
        final IntervalLog log = new IntervalLog();
        Histogram interval = null;
        for (int i = 0; i < WARM_UP_INTERVALS; i++)
        {
            for (long value = 100; value < 50_000_000; value = value * 3 / 2 + 1)
            {
                recorder.recordValue(value + i);
            }
            interval = recorder.getIntervalHistogram(interval);
            log.add(interval);
            printProgress(discard, Measured.END_TO_END, i, interval, interval, i); // i > 0: the "host froze" part too
        }
        System.gc();
    }

    /**
     * One progress line: O(1) figures only, no percentile (see {@link #run}).
     */
    private static void printProgress(
        final PrintWriter out,
        final Measured measured,
        final int second,
        final Histogram endToEnd,
        final Histogram ack,
        final long frozenNs)
    {
        out.printf("  %3d s  %s %,d  %s max %.1f us%s%s%n",
            second,
            measured.progressCount(),
            endToEnd.getTotalCount(),
            measured.progressMax(),
            endToEnd.getMaxValue() / 1000.0,
            null != ack ? String.format("  ack max %.1f us", ack.getMaxValue() / 1000.0) : "",
            frozenNs > 0 ? String.format("  host froze %.1f ms", frozenNs / 1e6) : "");
        out.flush();
    }

    static Histogram newHistogram()
    {
        return new Histogram(1, LatencySink.HIGHEST_TRACKABLE_NS, LatencySink.SIGNIFICANT_DIGITS);
    }

    private static double ratePerSecond(final long count, final long elapsedNs)
    {
        return count <= 0 || elapsedNs <= 0 ? 0.0 : count * 1e9 / elapsedNs;
    }

    /**
     * Cuts the recorders into intervals, keeps each for its log and prints a progress line.
     */
    private final class Intervals
    {
        private final LatencySink sink;
        private final long startMs;
        final IntervalLog endToEnd = new IntervalLog();
        final IntervalLog ack = new IntervalLog();
        private Histogram endToEndInterval;
        private Histogram ackInterval;
        private long lastTakeNs;

        Intervals(final LatencySink sink, final long startMs, final long measureStartNs)
        {
            this.lastTakeNs = measureStartNs;
            this.startMs = startMs;
            this.sink = sink;
        }

        void take(final int second, final boolean last)
        {
            endToEndInterval = sink.endToEnd().getIntervalHistogram(endToEndInterval);
            if (1 == second)
            {
                endToEndInterval.setStartTimeStamp(startMs);
            }
            if (endToEndInterval.getTotalCount() > 0 || !last)
            {
                endToEnd.add(endToEndInterval);
            }
            if (recordAcks)
            {
                ackInterval = sink.sendToAck().getIntervalHistogram(ackInterval);
                if (1 == second)
                {
                    ackInterval.setStartTimeStamp(startMs);
                }
                if (ackInterval.getTotalCount() > 0 || !last)
                {
                    ack.add(ackInterval);
                }
            }
            final long nowNs = System.nanoTime();
            final long frozenNs = HostFreezes.of(probe, lastTakeNs, nowNs).totalNs();
            lastTakeNs = nowNs;
            if (endToEndInterval.getTotalCount() > 0)
            {
                printProgress(out, measured, second, endToEndInterval, recordAcks ? ackInterval : null, frozenNs);
            }
        }
    }
}
