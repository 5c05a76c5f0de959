/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import io.spindle.driver.SchedulerSlice;
import io.spindle.driver.SchedulerSliceTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every agent of a member is on a record's path (its driver, the archive recording the log, the consensus module and
 * the service), so each asks for {@code spindle.scheduler.slice}; the member's background threads (latency reporter,
 * archiver, log cleaner) keep the kernel's default; 0 leaves them all at the default.
 */
@Timeout(90)
class ClusterSchedulerSliceTest
{
    private static final String SLICED = "=" + SchedulerSlice.MIN_SLICE_NS;
    private static final int MEMBER_AGENTS = 4;

    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void tearDown()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    @Test
    void theMembersAgentsRunWithTheSliceAndItsBackgroundThreadsDoNot() throws Exception
    {
        final int expected = SchedulerSliceTestSupport.kernelGivesSlices() ? MEMBER_AGENTS : 0;
        final List<String> threads = memberThreads((ctx) -> ctx, expected);
        assertEquals(expected, sliced(threads).size(), threads.toString());
        assertTrue(threads.stream().anyMatch((t) -> t.startsWith("spindle-latency") && !t.endsWith(SLICED)),
            threads.toString());
    }

    @Test
    void noSliceLeavesEveryThreadAtTheKernelsDefault() throws Exception
    {
        final List<String> threads = memberThreads((ctx) -> ctx.schedulerSliceNs(0), 0);
        assertEquals(List.of(), sliced(threads), threads.toString());
        assertTrue(threads.size() >= MEMBER_AGENTS, "the member's threads: " + threads);
    }

    private List<String> memberThreads(final UnaryOperator<ClusterNode.Context> settings, final int expectedSliced)
        throws Exception
    {
        final Map<Integer, String> before = SchedulerSliceTestSupport.slicesOfThreads();
        cluster = new TestCluster(dir, 1).customise(settings);
        cluster.start();
        return SchedulerSliceTestSupport.newThreads(before, SchedulerSlice.MIN_SLICE_NS, expectedSliced);
    }

    private static List<String> sliced(final List<String> threads)
    {
        return SchedulerSliceTestSupport.withSlice(threads, SchedulerSlice.MIN_SLICE_NS);
    }
}
