/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the probe counts as a freeze, which messages were in flight during one, and that its watchers pin themselves.
 */
class FreezeProbeTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void aSleepOverrunByTheThresholdIsAFreezeFromWhenItShouldHaveEnded() throws Exception
    {
        try (FreezeProbe probe = new FreezeProbe())
        {
            final long base = -1_000_000 * MS; // long before anything the watchers saw
            probe.onSlept(base, base + MS + FreezeProbe.THRESHOLD_NS - 1);
            probe.onSlept(base + 100 * MS, base + 101 * MS + FreezeProbe.THRESHOLD_NS + 90 * MS);

            final List<long[]> ours = probe.windows().stream().filter((window) -> window[0] < 0).toList();
            assertEquals(1, ours.size());
            assertArrayEquals(new long[] {base + 101 * MS, base + 191 * MS + FreezeProbe.THRESHOLD_NS}, ours.get(0));
            assertEquals(1, probe.windowsEndingIn(base, base + 500 * MS).size());
            assertEquals(0, probe.windowsEndingIn(base + 300 * MS, base + 500 * MS).size(), "a span after it");
        }
    }

    @Test
    void aMessageWasInFlightDuringAFreezeWhenSentBeforeItsEndAndReceivedAfterItsStart()
    {
        final List<long[]> windows = List.of(new long[] {100 * MS, 200 * MS});

        assertTrue(FreezeProbe.inFlightDuringOne(windows, 50 * MS, 150 * MS), "sent before, received during");
        assertTrue(FreezeProbe.inFlightDuringOne(windows, 150 * MS, 210 * MS), "sent during");
        assertTrue(FreezeProbe.inFlightDuringOne(windows, 50 * MS, 250 * MS), "across it");
        assertFalse(FreezeProbe.inFlightDuringOne(windows, 10 * MS, 90 * MS), "before it");
        assertFalse(FreezeProbe.inFlightDuringOne(windows, 201 * MS, 400 * MS), "sent after it, however late");
    }

    @Test
    void theCpusAProcessMayRunOnAreReadAsLinuxListsThem()
    {
        assertArrayEquals(new int[] {0, 1}, FreezeProbe.parseCpuList("\t0-1\n"));
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 10, 11}, FreezeProbe.parseCpuList("0-3,8,10-11"));
        assertArrayEquals(new int[] {5}, FreezeProbe.parseCpuList(" 5"));
    }

    @Test
    void everyWatcherIsPinnedToItsCpuWhereTasksetIsInstalled() throws Exception
    {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/taskset")) || Files.isExecutable(Path.of("/bin/taskset")),
            "taskset (util-linux) is not installed");
        try (FreezeProbe probe = new FreezeProbe())
        {
            assertTrue(probe.pinned());
        }
    }
}
