/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What counts as a host freeze, and which samples the figures outside freezes leave out.
 */
class HostFreezesTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void aSleepOverrunByTheThresholdIsAFreezeFromWhenItShouldHaveEnded() throws Exception
    {
        try (FreezeProbe probe = new FreezeProbe())
        {
            final long base = -1_000 * MS; // long before anything the watchers saw
            probe.onSlept(base, base + MS + HostFreezes.THRESHOLD_NS - 1);
            probe.onSlept(base + 100 * MS, base + 101 * MS + HostFreezes.THRESHOLD_NS + 90 * MS);

            final HostFreezes freezes = probe.freezes(base, base + 500 * MS);
            assertEquals(1, freezes.count(), freezes.describe());
            assertEquals(HostFreezes.THRESHOLD_NS + 90 * MS, freezes.longestNs());
            assertEquals(0, probe.freezes(base + 300 * MS, base + 500 * MS).count(), "a span after the freeze");
            assertTrue(probe.windows().stream().anyMatch((window) -> window[0] == base + 101 * MS));
        }
    }

    @Test
    void freezesAddUpAcrossRuns()
    {
        final HostFreezes both = new HostFreezes(2, 100 * MS, 150 * MS, true)
            .plus(new HostFreezes(1, 120 * MS, 120 * MS, false));

        assertEquals(new HostFreezes(3, 120 * MS, 270 * MS, false), both);
        assertTrue(both.describe().startsWith("3 (longest 120.0 ms, 270.0 ms in all)"), both.describe());
        assertTrue(both.describe().contains("not every CPU watched"), both.describe());
        assertEquals("none", HostFreezes.NONE.describe());
    }

    @Test
    void messagesIntendedDuringAFreezeOrJustBeforeItAreLeftOutAndThoseAfterItKept()
    {
        final LatencySink sink = new LatencySink(1);
        final long now = System.nanoTime();
        sink.measureStartNs(now - 1_000 * MS);
        sink.keepSamples(4);
        sink.onReceived(0, 0, now - 50 * MS); // before the freeze and its margin: kept
        sink.onReceived(0, 1, now - 40 * MS); // in the margin before it: left out
        sink.onReceived(0, 2, now - 35 * MS); // during it: left out
        sink.onReceived(0, 3, now - 30 * MS); // after it ended, however long it waited: kept

        final Histogram outside = sink.outside(List.of(new long[] {now - 39 * MS, now - 31 * MS}), MS);

        assertEquals(2, outside.getTotalCount());
        assertTrue(outside.getMinValue() >= 30 * MS && outside.getMinValue() < 40 * MS, "min " + outside.getMinValue());
        assertTrue(outside.getMaxValue() >= 50 * MS, "max " + outside.getMaxValue());
    }

    @Test
    void noFiguresOutsideFreezesWhenTheSamplesWereNotAllKept()
    {
        final LatencySink notKept = new LatencySink(1);
        notKept.onReceived(0, 0, System.nanoTime());
        assertNull(notKept.outside(List.of(), MS));

        final LatencySink overflowed = new LatencySink(1);
        overflowed.measureStartNs(System.nanoTime() - MS);
        overflowed.keepSamples(1);
        overflowed.onReceived(0, 0, System.nanoTime());
        overflowed.onReceived(0, 1, System.nanoTime());
        assertNull(overflowed.outside(List.of(), MS));
    }
}
