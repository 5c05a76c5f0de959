/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.spindle.tools.FreezeProbe;

/**
 * Stretches in which a CPU ran nothing, as a {@link FreezeProbe} saw them during a run's measurement. On a virtual
 * machine whose host takes a vCPU away (this project's 2-core VM loses one for ~100 ms at a time: perf/README, "The
 * host's freezes") every message whose path runs on that vCPU waits as long, in Spindle and in the raw Aeron baseline
 * alike, and one such freeze in a 10 s round is enough to set its p99. Each latency figure is printed with the freezes
 * of its run, so a p99 set by the host is told from one set by the system.
 *
 * @param count         freezes seen.
 * @param longestNs     the longest, ns.
 * @param totalNs       all of them added up, ns.
 * @param everyCpu      whether every CPU was watched; when not, only the freezes of the CPU a watcher happened to
 *                      sleep on were seen.
 */
record HostFreezes(long count, long longestNs, long totalNs, boolean everyCpu)
{
    /**
     * No freeze.
     */
    static final HostFreezes NONE = new HostFreezes(0, 0, 0, true);

    /**
     * The freezes a probe saw end in a span.
     *
     * @param probe  the probe.
     * @param fromNs start of the span.
     * @param toNs   end of the span.
     * @return their count, longest and total.
     */
    static HostFreezes of(final FreezeProbe probe, final long fromNs, final long toNs)
    {
        final boolean everyCpu = probe.pinned();
        HostFreezes freezes = new HostFreezes(0, 0, 0, everyCpu);
        for (final long[] window : probe.windowsEndingIn(fromNs, toNs))
        {
            freezes = freezes.plus(new HostFreezes(1, window[1] - window[0], window[1] - window[0], everyCpu));
        }
        return freezes;
    }

    /**
     * These freezes and those of another run.
     *
     * @param other the other run's freezes.
     * @return both together.
     */
    HostFreezes plus(final HostFreezes other)
    {
        return new HostFreezes(count + other.count, Math.max(longestNs, other.longestNs), totalNs + other.totalNs,
            everyCpu && other.everyCpu);
    }

    /**
     * What a report line says: the count, the longest and the total.
     *
     * @return for example {@code 3 (longest 101.2 ms, 300.5 ms in all)}, or {@code none}; either followed by a
     *         warning when not every CPU was watched.
     */
    String describe()
    {
        return (0 == count ? "none" : String.format("%,d (longest %.1f ms, %.1f ms in all)",
            count, longestNs / 1e6, totalNs / 1e6)) +
            (everyCpu ? "" :
                " [not every CPU watched: no taskset, or over " + FreezeProbe.MAX_WATCHED_CPUS + " CPUs]");
    }

    /**
     * Adds this to a JSON line as an object: {@code count}, {@code longest_ms}, {@code total_ms}.
     *
     * @param line the line.
     * @param name the object's name.
     */
    void describe(final Json line, final String name)
    {
        line.object(name)
            .field("count", count)
            .field("longest_ms", longestNs / 1e6)
            .field("total_ms", totalNs / 1e6)
            .field("every_cpu", everyCpu)
            .endObject();
    }
}
