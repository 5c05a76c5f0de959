/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Watches for stretches in which a CPU ran nothing: one sleeping thread per CPU, each pinned to its CPU, wakes every
 * millisecond; a sleep that overran by {@link #THRESHOLD_NS} or more means its CPU did not run for that
 * long. Linux wakes a sleeper within microseconds, and within a few milliseconds on a busy 2-core machine; only a
 * vCPU its host has taken away overruns by 10 ms. This project's VM loses a vCPU for ~100 ms at a time, the lost
 * stretches ending on a 100 ms grid (perf/README, "The host's freezes"); every message whose path runs on that vCPU
 * waits as long, in Spindle and in the raw Aeron baseline alike. {@code spindle demo} and the perf harness report them
 * beside their latency figures.
 * <p>
 * Each thread pins itself with {@code taskset} (util-linux) by its own thread id, read from {@code /proc/thread-self};
 * where that fails (no {@code taskset}, not Linux) it stays unpinned and sees only the freezes of the CPU it happens to
 * sleep on, and {@link #pinned()} says so, as it does for a machine of more than {@link #MAX_WATCHED_CPUS} CPUs. The threads cost about 1,000 short wake-ups a second each.
 */
public final class FreezeProbe implements AutoCloseable
{
    /**
     * Shortest overrun of a sleep counted as a freeze: far above a sleeper's wake-up delay on a busy 2-core machine
     * (a few ms at most when other threads want both cores), far below the host's ~100 ms freezes.
     */
    public static final long THRESHOLD_NS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * Most CPUs watched: a larger machine has more watchers than this would be worth, and is seldom a small VM.
     */
    public static final int MAX_WATCHED_CPUS = 16;

    private static final long SLEEP_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long PIN_TIMEOUT_MS = 5_000;

    private final List<long[]> windows = new ArrayList<>();
    private final Thread[] threads;
    private final boolean[] pinnedCpu;
    private volatile boolean running = true;

    /**
     * Start watching every CPU this process may run on (its {@code Cpus_allowed_list}, or as many as the JVM has
     * processors where that cannot be read), at most {@link #MAX_WATCHED_CPUS}; returns once each thread is pinned or
     * has given up.
     *
     * @throws InterruptedException when interrupted while the threads pin themselves.
     */
    public FreezeProbe() throws InterruptedException
    {
        final int[] cpus = allowedCpus();
        final int watched = Math.min(cpus.length, MAX_WATCHED_CPUS);
        threads = new Thread[watched];
        pinnedCpu = new boolean[cpus.length];
        final CountDownLatch ready = new CountDownLatch(watched);
        for (int i = 0; i < watched; i++)
        {
            final int index = i;
            final int cpu = cpus[i];
            threads[i] = new Thread(() -> watch(index, cpu, ready), "freeze-probe-" + cpu);
            threads[i].setDaemon(true);
            threads[i].start();
        }
        ready.await(PIN_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
    }

    /**
     * The CPUs a {@code Cpus_allowed_list} line names, e.g. {@code 0-3,8,10-11}.
     *
     * @param list the list.
     * @return the CPU numbers, in the order listed.
     */
    static int[] parseCpuList(final String list)
    {
        final List<Integer> cpus = new ArrayList<>();
        for (final String part : list.trim().split(","))
        {
            final int dash = part.indexOf('-');
            final int first = Integer.parseInt((dash < 0 ? part : part.substring(0, dash)).trim());
            final int last = dash < 0 ? first : Integer.parseInt(part.substring(dash + 1).trim());
            for (int cpu = first; cpu <= last; cpu++)
            {
                cpus.add(cpu);
            }
        }
        return cpus.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] allowedCpus()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("Cpus_allowed_list:"))
                {
                    return parseCpuList(line.substring("Cpus_allowed_list:".length()));
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // Not Linux, or a format this does not know: fall back to the JVM's count.
        }
        final int[] cpus = new int[Runtime.getRuntime().availableProcessors()];
        for (int i = 0; i < cpus.length; i++)
        {
            cpus[i] = i;
        }
        return cpus;
    }

    /**
     * Whether every CPU has a watcher pinned to it, so every CPU's freezes are seen.
     *
     * @return true when all are watched.
     */
    public boolean pinned()
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
    public List<long[]> windows()
    {
        synchronized (windows)
        {
            return new ArrayList<>(windows);
        }
    }

    /**
     * The freezes that ended in a span, each {@code {startNs, endNs}}.
     *
     * @param fromNs start of the span, on {@link System#nanoTime()}.
     * @param toNs   end of the span.
     * @return a copy, in the order they ended.
     */
    public List<long[]> windowsEndingIn(final long fromNs, final long toNs)
    {
        final List<long[]> ending = new ArrayList<>();
        for (final long[] window : windows())
        {
            if (window[1] - fromNs >= 0 && toNs - window[1] >= 0)
            {
                ending.add(window);
            }
        }
        return ending;
    }

    /**
     * Whether a message sent at one time and received at another was in flight during a freeze.
     *
     * @param windows    the freezes, as {@link #windows()} gives them.
     * @param sentNs     when it was sent (or intended to be).
     * @param receivedNs when it arrived.
     * @return true when a freeze began before it arrived and ended after it was sent.
     */
    public static boolean inFlightDuringOne(final List<long[]> windows, final long sentNs, final long receivedNs)
    {
        for (final long[] window : windows)
        {
            if (receivedNs - window[0] >= 0 && window[1] - sentNs >= 0)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Stop the threads.
     */
    @Override
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

    private void watch(final int index, final int cpu, final CountDownLatch ready)
    {
        final boolean pinned = pin(cpu);
        synchronized (windows)
        {
            pinnedCpu[index] = pinned;
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
    public void onSlept(final long beforeNs, final long afterNs)
    {
        if (afterNs - beforeNs - SLEEP_NS >= THRESHOLD_NS)
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
