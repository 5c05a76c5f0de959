/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.driver;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import io.aeron.driver.MediaDriver;
import io.spindle.config.ConfigProperty;
import io.spindle.config.ConfigValues;

/**
 * A short scheduler slice for the threads a record waits on, so that on a busy machine such a thread, when it wakes,
 * takes its CPU from a thread that has run longer instead of waiting for that thread's slice to end.
 * <p>
 * Linux's EEVDF scheduler (kernel 6.12 and later) lets a thread ask for the length of its slice through
 * {@code sched_setattr(2)}: the {@code sched_runtime} of a {@code SCHED_OTHER} or {@code SCHED_BATCH} thread, from
 * 0.1 to 100 ms, with no privilege needed. A waking thread whose slice is shorter than the running thread's preempts
 * it. Otherwise, on a kernel without forced preemption, a waking thread waits until the running one blocks, yields or
 * reaches the end of its slice at a tick (the default slice is 0.75 ms times 1 + log2 of the CPUs; a tick is 4 ms at
 * HZ 250). On a 2-core machine that wait was the 1% of records that took 1–4 ms end to end: a consumer or the broker
 * woke while the driver, the publisher, a compiler thread or the log cleaner held its CPU (perf/README, "Scheduler
 * slices").
 * <p>
 * Elsewhere (another operating system or architecture, an older kernel, which ignores the field, or a thread under a
 * real-time or idle policy) nothing changes, and {@link #applyToCurrentThread(long)} says so by returning false.
 * Not on any hot path: a thread asks once, when it starts.
 */
public final class SchedulerSlice
{
    /**
     * The shortest slice the kernel accepts, and the default of {@code spindle.scheduler.slice}.
     */
    public static final long MIN_SLICE_NS = 100_000L;

    /**
     * The longest slice the kernel accepts.
     */
    public static final long MAX_SLICE_NS = 100_000_000L;

    /**
     * The slice the threads a record waits on ask for: the broker's agents on the produce and fetch paths and the
     * threads of the media drivers Spindle starts (the broker's, a UDP client's); 0 keeps the kernel's default.
     */
    public static final ConfigProperty PROPERTY = ConfigProperty.duration(
        "spindle.scheduler.slice", TimeUnit.NANOSECONDS, MIN_SLICE_NS);

    private static final int SCHED_OTHER = 0;
    private static final int SCHED_BATCH = 3;
    private static final long SCHED_FLAG_RESET_ON_FORK = 0x01L;

    // struct sched_attr, its first version (SCHED_ATTR_SIZE_VER0).
    private static final int ATTR_SIZE = 48;
    private static final int POLICY_OFFSET = 4;
    private static final int FLAGS_OFFSET = 8;
    private static final int NICE_OFFSET = 16;
    private static final int RUNTIME_OFFSET = 24;

    private static final Function SYSCALL;
    private static final long SYS_SCHED_SETATTR;
    private static final long SYS_SCHED_GETATTR;
    private static final String UNAVAILABLE;

    static
    {
        final String os = System.getProperty("os.name", "");
        final String arch = System.getProperty("os.arch", "");
        Function syscall = null;
        long setattr = -1;
        long getattr = -1;
        String unavailable = null;
        if (!os.startsWith("Linux"))
        {
            unavailable = "not Linux (" + os + ")";
        }
        else if ("amd64".equals(arch) || "x86_64".equals(arch))
        {
            setattr = 314;
            getattr = 315;
        }
        else if ("aarch64".equals(arch))
        {
            setattr = 274;
            getattr = 275;
        }
        else
        {
            unavailable = "no system call numbers for " + arch;
        }
        if (null == unavailable)
        {
            try
            {
                syscall = NativeLibrary.getInstance("c").getFunction("syscall");
            }
            catch (final LinkageError | RuntimeException ex)
            {
                unavailable = "JNA could not load libc: " + ex;
            }
        }
        SYSCALL = syscall;
        SYS_SCHED_SETATTR = setattr;
        SYS_SCHED_GETATTR = getattr;
        UNAVAILABLE = unavailable;
    }

    private SchedulerSlice()
    {
    }

    /**
     * Ask for a slice of {@code sliceNs} for the calling thread, keeping its policy and nice value.
     *
     * @param sliceNs the slice, {@link #MIN_SLICE_NS} to {@link #MAX_SLICE_NS}; 0 asks for nothing.
     * @return whether the thread now runs with that slice (false where the kernel cannot give one, see above).
     * @throws IllegalArgumentException when the slice is outside what the kernel accepts.
     */
    public static boolean applyToCurrentThread(final long sliceNs)
    {
        validate("slice", sliceNs);
        return 0 != sliceNs && setRuntime(sliceNs) && sliceNs == sliceNs(0);
    }

    /**
     * Give the calling thread back the kernel's default slice, keeping its policy and nice value: for a thread that
     * asked for a slice for a while and goes on to other work.
     *
     * @return whether the kernel took the request (false where slices cannot be asked for, see above).
     */
    public static boolean resetCurrentThread()
    {
        return setRuntime(0);
    }

    private static boolean setRuntime(final long runtimeNs)
    {
        if (null != UNAVAILABLE)
        {
            return false;
        }
        final Memory attr = new Memory(ATTR_SIZE);
        if (!read(0, attr))
        {
            return false;
        }
        final int policy = attr.getInt(POLICY_OFFSET);
        if (SCHED_OTHER != policy && SCHED_BATCH != policy)
        {
            return false;
        }
        final long flags = attr.getLong(FLAGS_OFFSET) & SCHED_FLAG_RESET_ON_FORK;
        final int nice = attr.getInt(NICE_OFFSET);
        attr.clear();
        attr.setInt(0, ATTR_SIZE);
        attr.setInt(POLICY_OFFSET, policy);
        attr.setLong(FLAGS_OFFSET, flags);
        attr.setInt(NICE_OFFSET, nice);
        // 0 gives the kernel's default slice back (Linux clears the thread's custom slice).
        attr.setLong(RUNTIME_OFFSET, runtimeNs);
        return 0 == SYSCALL.invokeInt(new Object[]{SYS_SCHED_SETATTR, 0, attr, 0});
    }

    /**
     * The slice a thread runs with, as the kernel reports it.
     *
     * @param tid the thread's id in the kernel (a task of {@code /proc/self/task}), or 0 for the calling thread.
     * @return the slice in nanoseconds (the kernel's default for a thread that asked for none; 0 from a kernel that
     * keeps no slice per thread), or -1 when it cannot be read here.
     */
    public static long sliceNs(final int tid)
    {
        if (null != UNAVAILABLE)
        {
            return -1;
        }
        final Memory attr = new Memory(ATTR_SIZE);
        return read(tid, attr) ? attr.getLong(RUNTIME_OFFSET) : -1;
    }

    /**
     * Why slices cannot be asked for in this process, or null when they can be (the kernel may still ignore them:
     * {@link #applyToCurrentThread(long)} tells).
     *
     * @return the reason, or null.
     */
    public static String unavailableReason()
    {
        return UNAVAILABLE;
    }

    /**
     * What a thread asking for {@code sliceNs} gets here, for a process's start-up output: a short-lived thread asks,
     * so that an operator on a kernel that ignores the request (older than 6.12) is told rather than left to guess.
     *
     * @param sliceNs the slice; 0 for the kernel's default.
     * @return e.g. {@code "100us"}, {@code "the kernel's default (asked for none)"} or {@code "the kernel's default
     * (100us not given: ...)"}.
     * @throws IllegalArgumentException when the slice is outside what the kernel accepts.
     */
    public static String describe(final long sliceNs)
    {
        validate("slice", sliceNs);
        if (0 == sliceNs)
        {
            return "the kernel's default (asked for none)";
        }
        final String asked = 0 == sliceNs % 1_000_000L ? sliceNs / 1_000_000L + "ms" :
            0 == sliceNs % 1_000L ? sliceNs / 1_000L + "us" : sliceNs + "ns";
        final boolean[] given = new boolean[1];
        final Thread probe = new Thread(() -> given[0] = applyToCurrentThread(sliceNs), "scheduler-slice-probe");
        probe.setDaemon(true);
        probe.start();
        try
        {
            probe.join(TimeUnit.SECONDS.toMillis(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (probe.isAlive())
        {
            return "unknown (" + asked + " asked for; the check did not finish)";
        }
        if (given[0])
        {
            return asked;
        }
        return "the kernel's default (" + asked + " not given: " + (null != UNAVAILABLE ? UNAVAILABLE :
            "this kernel keeps no slice per thread; Linux 6.12 or later does") + ")";
    }

    /**
     * Threads that ask for the slice as they start, for the agents a record waits on.
     *
     * @param sliceNs the slice; 0 makes plain threads.
     * @return a thread factory.
     * @throws IllegalArgumentException when the slice is outside what the kernel accepts.
     */
    public static ThreadFactory threadFactory(final long sliceNs)
    {
        validate("slice", sliceNs);
        if (0 == sliceNs)
        {
            return Thread::new;
        }
        return (runnable) -> new Thread(() ->
        {
            applyToCurrentThread(sliceNs);
            runnable.run();
        });
    }

    /**
     * Every thread a media driver starts (whatever its threading mode) asks for the slice: the driver's threads are
     * on the record path of every stream Spindle runs through it.
     *
     * @param ctx     the driver's context, before launch.
     * @param sliceNs the slice; 0 makes plain threads.
     * @return the context.
     * @throws IllegalArgumentException when the slice is outside what the kernel accepts.
     */
    public static MediaDriver.Context driverThreads(final MediaDriver.Context ctx, final long sliceNs)
    {
        final ThreadFactory threads = threadFactory(sliceNs);
        return ctx
            .sharedThreadFactory(threads)
            .sharedNetworkThreadFactory(threads)
            .conductorThreadFactory(threads)
            .senderThreadFactory(threads)
            .receiverThreadFactory(threads);
    }

    /**
     * The slice of {@link #PROPERTY}, checked.
     *
     * @return the slice in nanoseconds, 0 for the kernel's default.
     * @throws IllegalArgumentException naming the property when it is outside what the kernel accepts.
     */
    public static long configured()
    {
        final long sliceNs = PROPERTY.duration();
        validate(PROPERTY.name(), sliceNs);
        return sliceNs;
    }

    /**
     * Check a slice from configuration.
     *
     * @param name    the property or option it came from, for the message.
     * @param sliceNs the slice in nanoseconds.
     * @throws IllegalArgumentException unless it is 0 or from {@link #MIN_SLICE_NS} to {@link #MAX_SLICE_NS}.
     */
    public static void validate(final String name, final long sliceNs)
    {
        if (0 != sliceNs && (sliceNs < MIN_SLICE_NS || sliceNs > MAX_SLICE_NS))
        {
            throw ConfigValues.invalid(name, sliceNs + "ns", "must be 0 (the kernel's default) or from 100us to 100ms");
        }
    }

    private static boolean read(final int tid, final Memory attr)
    {
        attr.clear();
        return 0 == SYSCALL.invokeInt(new Object[]{SYS_SCHED_GETATTR, tid, attr, ATTR_SIZE, 0});
    }
}
