/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.spindle.tools.FreezeProbe;
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
    void aRunCountsTheFreezesThatEndedInItsMeasurement() throws Exception
    {
        try (FreezeProbe probe = new FreezeProbe())
        {
            final long base = -1_000_000 * MS; // long before anything the watchers saw
            probe.onSlept(base, base + 101 * MS + FreezeProbe.THRESHOLD_NS);
            probe.onSlept(base + 200 * MS, base + 201 * MS + FreezeProbe.THRESHOLD_NS + 40 * MS);

            final HostFreezes freezes = HostFreezes.of(probe, base + 150 * MS, base + 500 * MS);
            assertEquals(1, freezes.count(), freezes.describe());
            assertEquals(FreezeProbe.THRESHOLD_NS + 40 * MS, freezes.longestNs());
            assertEquals(2, HostFreezes.of(probe, base, base + 500 * MS).count());
            assertEquals(probe.pinned(), freezes.everyCpu());
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
    void messagesInFlightDuringAFreezeAreLeftOutAndThoseSentAfterItKept()
    {
        final LatencySink sink = new LatencySink(1);
        final long now = System.nanoTime();
        sink.measureStartNs(now - 1_000 * MS);
        sink.keepSamples(3);
        // Received now: in flight during a freeze that ended 31 ms ago only if sent before its end.
        sink.onReceived(0, 0, now - 50 * MS); // sent before the freeze, received after it began: left out
        sink.onReceived(0, 1, now - 35 * MS); // sent during it: left out
        sink.onReceived(0, 2, now - 30 * MS); // sent after it ended, however long it waited: kept

        final Histogram outside = sink.outside(List.of(new long[] {now - 39 * MS, now - 31 * MS}));
        assertEquals(1, outside.getTotalCount());
        assertTrue(outside.getMinValue() >= 30 * MS && outside.getMinValue() < 35 * MS, "min " + outside.getMinValue());

        // A message sent and received before a freeze began was not in flight during it.
        final LatencySink before = new LatencySink(1);
        final long then = System.nanoTime();
        before.measureStartNs(then - 1_000 * MS);
        before.keepSamples(1);
        before.onReceived(0, 0, then - 5 * MS);
        assertEquals(1, before.outside(List.<long[]>of(new long[] {then + 10 * MS, then + 110 * MS})).getTotalCount());
    }

    @Test
    void noFiguresOutsideFreezesWhenTheSamplesWereNotAllKept()
    {
        final LatencySink notKept = new LatencySink(1);
        notKept.onReceived(0, 0, System.nanoTime());
        assertNull(notKept.outside(List.of()));

        final LatencySink overflowed = new LatencySink(1);
        overflowed.measureStartNs(System.nanoTime() - MS);
        overflowed.keepSamples(1);
        overflowed.onReceived(0, 0, System.nanoTime());
        overflowed.onReceived(0, 1, System.nanoTime());
        assertNull(overflowed.outside(List.of()));
    }
}
