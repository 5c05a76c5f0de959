/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Watches for stretches in which a CPU ran nothing: one sleeping thread per CPU, each pinned to its CPU, wakes every
 * millisecond; a sleep that overran by {@link HostFreezes#THRESHOLD_NS} or more means its CPU did not run for that
 * long. Linux wakes a sleeper within microseconds, and within a few milliseconds on a busy 2-core machine; only a
 * vCPU its host has taken away overruns by 10 ms. This project's VM loses a vCPU for ~100 ms at a time, the lost
 * stretches ending on a 100 ms grid (perf/README, "The host's freezes"); every message whose path runs on that vCPU
 * waits as long, in Spindle and in the raw Aeron baseline alike.
 * <p>
 * Each thread pins itself with {@code taskset} (util-linux) by its own thread id, read from {@code /proc/thread-self};
 * where that fails (no {@code taskset}, not Linux) it stays unpinned and sees only the freezes of the CPU it happens to
 * sleep on, and {@link #pinned()} says so. The threads cost about 1,000 short wake-ups a second each.
 */
final class FreezeProbe implements AutoCloseable
{
    private static final long SLEEP_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long PIN_TIMEOUT_MS = 5_000;

    private final List<long[]> windows = new ArrayList<>();
    private final Thread[] threads;
    private final boolean[] pinnedCpu;
    private volatile boolean running = true;

    /**
     * Start watching every CPU this JVM may use; returns once each thread is pinned or has given up.
     *
     * @throws InterruptedException when interrupted while the threads pin themselves.
     */
    FreezeProbe() throws InterruptedException
    {
        final int cpus = Runtime.getRuntime().availableProcessors();
        threads = new Thread[cpus];
        pinnedCpu = new boolean[cpus];
        final CountDownLatch ready = new CountDownLatch(cpus);
        for (int cpu = 0; cpu < cpus; cpu++)
        {
            final int index = cpu;
            threads[cpu] = new Thread(() -> watch(index, ready), "freeze-probe-" + cpu);
            threads[cpu].setDaemon(true);
            threads[cpu].start();
        }
        ready.await(PIN_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
    }

    /**
     * Whether every thread is pinned to its CPU, so every CPU's freezes are seen.
     *
     * @return true when all are pinned.
     */
    boolean pinned()
    {
        synchronized (windows)
        {
            for (final boolean pinned : pinnedCpu)
            {
                if (!pinned)
                {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The freezes seen so far, each {@code {startNs, endNs}} on {@link System#nanoTime()}, in the order they ended.
     *
     * @return a copy.
     */
    List<long[]> windows()
    {
        synchronized (windows)
        {
            return new ArrayList<>(windows);
        }
    }

    /**
     * The freezes that ended in a span.
     *
     * @param fromNs start of the span.
     * @param toNs   end of the span.
     * @return their count, longest and total.
     */
    HostFreezes freezes(final long fromNs, final long toNs)
    {
        final boolean everyCpu = pinned();
        HostFreezes freezes = new HostFreezes(0, 0, 0, everyCpu);
        for (final long[] window : windows())
        {
            if (window[1] - fromNs >= 0 && toNs - window[1] >= 0)
            {
                freezes = freezes.plus(new HostFreezes(1, window[1] - window[0], window[1] - window[0], everyCpu));
            }
        }
        return freezes;
    }

    /**
     * Stop the threads.
     */
    public void close()
    {
        running = false;
        for (final Thread thread : threads)
        {
            try
            {
                thread.join(PIN_TIMEOUT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void watch(final int cpu, final CountDownLatch ready)
    {
        final boolean pinned = pin(cpu);
        synchronized (windows)
        {
            pinnedCpu[cpu] = pinned;
        }
        ready.countDown();
        while (running)
        {
            final long beforeNs = System.nanoTime();
            try
            {
                Thread.sleep(1);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            onSlept(beforeNs, System.nanoTime());
        }
    }

    /**
     * A watcher's sleep of a millisecond ended: a freeze when it overran by the threshold or more, lasting from the
     * moment the sleep should have ended to the moment it did.
     *
     * @param beforeNs when the sleep began.
     * @param afterNs  when it ended.
     */
    void onSlept(final long beforeNs, final long afterNs)
    {
        if (afterNs - beforeNs - SLEEP_NS >= HostFreezes.THRESHOLD_NS)
        {
            synchronized (windows)
            {
                windows.add(new long[] {beforeNs + SLEEP_NS, afterNs});
            }
        }
    }

    private static boolean pin(final int cpu)
    {
        try
        {
            final Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            final String threadId = self.getFileName().toString();
            final Process taskset = new ProcessBuilder("taskset", "-p", "-c", Integer.toString(cpu), threadId)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
            if (!taskset.waitFor(PIN_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                taskset.destroyForcibly();
                return false;
            }
            return 0 == taskset.exitValue();
        }
        catch (final Exception ex)
        {
            return false;
        }
    }
}
