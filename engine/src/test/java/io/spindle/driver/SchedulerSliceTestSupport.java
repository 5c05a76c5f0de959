/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

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
}
