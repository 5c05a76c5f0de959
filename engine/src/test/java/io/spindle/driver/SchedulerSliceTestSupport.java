/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What the scheduler slice tests read: whether the kernel keeps a slice per thread, and the slices of this process's
 * threads.
 */
public final class SchedulerSliceTestSupport
{
    private SchedulerSliceTestSupport()
    {
    }

    /**
     * Whether this machine's kernel keeps a slice per thread: Linux 6.12 or later, on an architecture whose system
     * call numbers Spindle knows.
     *
     * @return true where {@link SchedulerSlice#applyToCurrentThread(long)} should succeed.
     */
    public static boolean kernelGivesSlices()
    {
        if (null != SchedulerSlice.unavailableReason())
        {
            return false;
        }
        final String[] version = System.getProperty("os.version").split("[.-]");
        final int major = Integer.parseInt(version[0]);
        final int minor = Integer.parseInt(version[1]);
        return major > 6 || (6 == major && minor >= 12);
    }

    /**
     * Every thread of this process with its slice.
     *
     * @return by the kernel's thread id, "name=slice" (the kernel's name of the thread: its first 15 characters).
     * @throws IOException when /proc cannot be listed.
     */
    public static Map<Integer, String> slicesOfThreads() throws IOException
    {
        final Map<Integer, String> slices = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task")))
        {
            for (final Path task : (Iterable<Path>)tasks::iterator)
            {
                final int tid = Integer.parseInt(task.getFileName().toString());
                try
                {
                    final String comm = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).trim();
                    slices.put(tid, comm + "=" + SchedulerSlice.sliceNs(tid));
                }
                catch (final IOException ex)
                {
                    // The thread ended.
                }
            }
        }
        return slices;
    }

    /**
     * The threads started since {@code before} was read, once {@code expectedSliced} of them run with the given slice
     * (a thread asks for it as it starts, which may be just after what started it returned), or after 10 s.
     *
     * @param before         {@link #slicesOfThreads()} before the threads were started.
     * @param sliceNs        the slice looked for.
     * @param expectedSliced how many of the new threads should have it.
     * @return "name=slice" of each new thread, sorted.
     * @throws Exception when /proc cannot be listed or the wait is interrupted.
     */
    public static List<String> newThreads(final Map<Integer, String> before, final long sliceNs,
        final int expectedSliced) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> threads;
        do
        {
            final Map<Integer, String> now = slicesOfThreads();
            now.keySet().removeAll(before.keySet());
            threads = now.values().stream().sorted().collect(Collectors.toList());
            if (withSlice(threads, sliceNs).size() >= expectedSliced)
            {
                break;
            }
            Thread.sleep(10);
        }
        while (System.nanoTime() < deadlineNs);
        return threads;
    }

    /**
     * The threads of a list from {@link #newThreads} that run with a slice.
     *
     * @param threads "name=slice" entries.
     * @param sliceNs the slice.
     * @return those with it.
     */
    public static List<String> withSlice(final List<String> threads, final long sliceNs)
    {
        return threads.stream().filter((t) -> t.endsWith("=" + sliceNs)).collect(Collectors.toList());
    }
}
