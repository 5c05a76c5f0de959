/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.spindle.driver.SchedulerSlice;
import io.spindle.driver.SchedulerSliceTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker's threads on the produce and fetch paths, its metadata writer (commits and transactions wait for it) and
 * its embedded driver's run with {@code spindle.scheduler.slice}; its background threads (latency reporter, log
 * cleaner) keep the kernel's default, so a waking record-path thread can take their CPU; 0 leaves every thread at the
 * default.
 */
@Timeout(60)
class BrokerSchedulerSliceTest
{
    private static final String SLICED = "=" + SchedulerSlice.MIN_SLICE_NS;

    @TempDir
    Path dir;

    @Test
    void theRecordPathThreadsRunWithTheSliceAndTheBackgroundOnesDoNot() throws Exception
    {
        final boolean slices = SchedulerSliceTestSupport.kernelGivesSlices();
        // SHARED: the control agent's thread (it runs the fetch server too), the metadata writer's and the driver's.
        final List<String> threads = brokerThreads((ctx) -> {}, slices ? 3 : 0);
        assertEquals(slices ? 3 : 0, sliced(threads).size(), threads.toString());
        if (slices)
        {
            assertTrue(sliced(threads).stream().anyMatch((t) -> t.startsWith("[spindle-contro")), threads.toString());
            assertTrue(sliced(threads).stream().anyMatch((t) -> t.startsWith("spindle-metadat")), threads.toString());
        }
        assertTrue(threads.stream().anyMatch((t) -> t.startsWith("spindle-log-cle") && !t.endsWith(SLICED)),
            threads.toString());
        assertTrue(threads.stream().anyMatch((t) -> t.startsWith("spindle-latency") && !t.endsWith(SLICED)),
            threads.toString());
    }

    @Test
    void dedicatedThreadingSlicesTheFetchServersThreadToo() throws Exception
    {
        final int expected = SchedulerSliceTestSupport.kernelGivesSlices() ? 4 : 0;
        final List<String> threads = brokerThreads(
            (ctx) -> ctx.threadingMode(StandaloneBroker.BrokerThreadingMode.DEDICATED), expected);
        assertEquals(expected, sliced(threads).size(), threads.toString());
    }

    @Test
    void noSliceLeavesEveryThreadAtTheKernelsDefault() throws Exception
    {
        final List<String> threads = brokerThreads((ctx) -> ctx.schedulerSliceNs(0), 0);
        assertEquals(List.of(), sliced(threads), threads.toString());
        assertTrue(threads.size() >= 4, "the broker's and its driver's threads: " + threads);
    }

    @Test
    void aSliceTheKernelWouldNotTakeIsRefusedAtStart()
    {
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> new StandaloneBroker.Context().dataDir(dir).schedulerSliceNs(10_000).conclude());
        assertTrue(refused.getMessage().startsWith("invalid spindle.scheduler.slice=10000ns"), refused.getMessage());
    }

    /**
     * The threads the broker started, each "name=slice", once {@code expectedSliced} of them have their slice (a thread
     * asks for it as it starts, which may be just after the broker's launch returns).
     */
    private List<String> brokerThreads(final Consumer<StandaloneBroker.Context> settings, final int expectedSliced)
        throws Exception
    {
        final Map<Integer, String> before = SchedulerSliceTestSupport.slicesOfThreads();
        final TestBroker broker = TestBroker.start(dir.resolve("data-" + System.nanoTime()), settings);
        try
        {
            return SchedulerSliceTestSupport.newThreads(before, SchedulerSlice.MIN_SLICE_NS, expectedSliced);
        }
        finally
        {
            broker.close();
        }
    }

    private static List<String> sliced(final List<String> threads)
    {
        return SchedulerSliceTestSupport.withSlice(threads, SchedulerSlice.MIN_SLICE_NS);
    }
}
