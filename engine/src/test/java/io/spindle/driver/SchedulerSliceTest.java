/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.driver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.sun.jna.NativeLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A thread that asks for a slice runs with it where the kernel gives slices per thread (Linux 6.12 and later), other
 * threads keep the kernel's default, and a slice the kernel would not take is refused with the property's name.
 */
@Timeout(30)
class SchedulerSliceTest
{
    @Test
    void aThreadFromTheFactoryRunsWithTheSliceAndOthersKeepTheDefault() throws Exception
    {
        final long sliced = sliceOfAThreadFrom(SchedulerSlice.threadFactory(SchedulerSlice.MIN_SLICE_NS));
        final long plain = sliceOfAThreadFrom(SchedulerSlice.threadFactory(0));
        if (SchedulerSliceTestSupport.kernelGivesSlices())
        {
            assertEquals(SchedulerSlice.MIN_SLICE_NS, sliced);
            assertNotEquals(SchedulerSlice.MIN_SLICE_NS, plain, "a thread that asked for nothing has the default");
            assertTrue(plain > 0, "the kernel's default slice: " + plain);
        }
        else
        {
            assertNotEquals(SchedulerSlice.MIN_SLICE_NS, sliced);
        }
    }

    @Test
    void applyingSaysWhetherTheKernelTookItAndLeavesTheNiceValue() throws Exception
    {
        final long[] seen = new long[5];
        final Thread thread = new Thread(() ->
        {
            // setpriority(PRIO_PROCESS, 0, 5): on Linux the calling thread's nice value; raising it needs no privilege.
            NativeLibrary.getInstance("c").getFunction("setpriority").invokeInt(new Object[]{0, 0, 5});
            seen[0] = SchedulerSlice.applyToCurrentThread(2 * SchedulerSlice.MIN_SLICE_NS) ? 1 : 0;
            seen[1] = SchedulerSlice.sliceNs(0);
            seen[2] = niceOfThisThread();
            seen[3] = SchedulerSlice.resetCurrentThread() ? 1 : 0;
            seen[4] = SchedulerSlice.sliceNs(0);
        });
        thread.start();
        thread.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(SchedulerSliceTestSupport.kernelGivesSlices() ? 1 : 0, seen[0]);
        if (SchedulerSliceTestSupport.kernelGivesSlices())
        {
            assertEquals(2 * SchedulerSlice.MIN_SLICE_NS, seen[1]);
            assertEquals(1, seen[3]);
            assertEquals(sliceOfAThreadFrom(SchedulerSlice.threadFactory(0)), seen[4], "the default slice is back");
        }
        assertEquals(5, seen[2], "the nice value is kept");
    }

    @Test
    void aSliceTheKernelWouldNotTakeIsRefusedByName()
    {
        final IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
            () -> SchedulerSlice.validate("spindle.scheduler.slice", 50_000));
        assertEquals("invalid spindle.scheduler.slice=50000ns: must be 0 (the kernel's default) or from 100us to 100ms",
            tooShort.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SchedulerSlice.threadFactory(200_000_000L));
        assertThrows(IllegalArgumentException.class, () -> SchedulerSlice.applyToCurrentThread(-1));
        SchedulerSlice.validate("spindle.scheduler.slice", 0);
        SchedulerSlice.validate("spindle.scheduler.slice", SchedulerSlice.MAX_SLICE_NS);
        assertFalse(SchedulerSlice.applyToCurrentThread(0), "0 asks for nothing");
    }

    @Test
    void describingSaysWhatAThreadAskingGetsHereAndLeavesTheCallerAlone()
    {
        final long before = SchedulerSlice.sliceNs(0);
        assertEquals("the kernel's default (asked for none)", SchedulerSlice.describe(0));
        if (SchedulerSliceTestSupport.kernelGivesSlices())
        {
            assertEquals("100us", SchedulerSlice.describe(SchedulerSlice.MIN_SLICE_NS));
            assertEquals("2500us", SchedulerSlice.describe(2_500_000L));
            assertEquals("3ms", SchedulerSlice.describe(3_000_000L));
        }
        else
        {
            final String described = SchedulerSlice.describe(SchedulerSlice.MIN_SLICE_NS);
            assertTrue(described.startsWith("the kernel's default (100us not given: "), described);
        }
        assertEquals(before, SchedulerSlice.sliceNs(0), "the calling thread's slice is untouched");
        assertThrows(IllegalArgumentException.class, () -> SchedulerSlice.describe(1));
    }

    private static long sliceOfAThreadFrom(final java.util.concurrent.ThreadFactory factory) throws Exception
    {
        final CompletableFuture<Long> slice = new CompletableFuture<>();
        final Thread thread = factory.newThread(() -> slice.complete(SchedulerSlice.sliceNs(0)));
        thread.start();
        return slice.get(10, TimeUnit.SECONDS);
    }

    private static long niceOfThisThread()
    {
        try
        {
            // Field 19 of /proc/thread-self/stat, counted after the command's closing parenthesis.
            final String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.UTF_8);
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
        }
        catch (final IOException ex)
        {
            return Long.MIN_VALUE;
        }
    }
}
