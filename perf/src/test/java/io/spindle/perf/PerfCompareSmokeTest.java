/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code perf compare} briefly at a low rate: against the raw Aeron stream, against Spindle with a beside load's plain
 * twin, and beside a topic being archived; the ratios are checked against the figures they are made of, never
 * against a value.
 */
class PerfCompareSmokeTest extends PerfCliTestSupport
{
    @Test
    @Timeout(120)
    void compareAlternatesRoundsAndReportsRatios() throws Exception
    {
        final Map<String, Object> json = run("compare", "--rounds", "2", "--mode", "direct");

        assertEquals("compare", json.get("benchmark"));
        assertEquals(2L, json.get("rounds"));
        assertEquals(Boolean.TRUE, settings(json).get("idempotent"), "the default producer is idempotent: " + json);
        final Map<String, Object> spindle = map(json.get("spindle"));
        final Map<String, Object> baseline = map(json.get("baseline"));
        final Map<String, Object> ratio = map(json.get("ratio"));
        for (final String name : new String[]{ "p50", "p90", "p99", "p999", "p9999", "max" })
        {
            final double spindleUs = ((Number)spindle.get(name + "_us")).doubleValue();
            final double baselineUs = ((Number)baseline.get(name + "_us")).doubleValue();
            assertTrue(baselineUs > 0, name + ": " + json);
            assertEquals(spindleUs / baselineUs, ((Number)ratio.get(name)).doubleValue(), 0.01, name + ": " + json);
        }
        // Each system measured 1 s at 500/s in each of two rounds, and lost nothing.
        for (final Map<String, Object> system : List.of(spindle, baseline))
        {
            assertEquals(1000L, system.get("samples"), json.toString());
            assertEquals(0L, system.get("lost"));
            assertEquals(0L, system.get("out_of_order"));
        }
        final Map<String, Object> rounds = map(json.get("round_ratios"));
        assertEquals(List.of("r1", "r2"), new ArrayList<>(rounds.keySet()));

        final Map<String, Object> files = map(json.get("files"));
        assertTrue(Files.readString(assertNonEmpty(files.get("spindle_hgrm"))).contains("#[Mean"));
        assertTrue(Files.readString(assertNonEmpty(files.get("baseline_hgrm"))).contains("#[Mean"));
        final Path png = assertNonEmpty(files.get("png"));
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(Files.readAllBytes(png), PNG_SIGNATURE.length));
        // The interval logs hold the intervals of both rounds.
        for (final String log : new String[]{ "spindle-ipc.hlog", "aeron-direct-ipc.hlog" })
        {
            final long intervals = Files.readAllLines(out.resolve(log)).stream()
                .filter((line) -> line.contains("HIST")).count();
            assertTrue(intervals >= 2, log + " has " + intervals + " intervals");
        }
    }

    @Test
    @Timeout(120)
    void compareAgainstSpindleRunsTheBaselineRoundsWithTheBesideLoadsPlainTwin() throws Exception
    {
        final Printed printed =
            runPrinting("compare", "--rounds", "2", "--against-spindle", "--beside-compaction", "1000");
        final Map<String, Object> json = printed.json();

        assertEquals("spindle", map(json.get("settings")).get("mode"), json.toString());
        for (final String system : new String[]{ "spindle", "baseline" })
        {
            assertEquals(1000L, map(json.get(system)).get("samples"), json.toString());
            assertEquals(0L, map(json.get(system)).get("lost"), json.toString());
        }
        final String baselineHgrm = (String)map(json.get("files")).get("baseline_hgrm");
        assertTrue(baselineHgrm.endsWith("spindle-ipc-alone.hgrm"), json.toString());
        // The compacted topic is written in the two rounds with it; its plain twin, the same keyed records into a
        // topic the cleaner leaves alone, in the two baseline rounds.
        final String said = printed.said();
        assertEquals(2, said.split("records written to compacted topic", -1).length - 1, said);
        assertEquals(2, said.split("records written to keyed topic", -1).length - 1, said);
    }

    @Test
    void compareAgainstSpindleNeedsABesideLoad()
    {
        assertRefused("--beside", new String[]{ "compare", "--against-spindle" });
        assertRefused("--mode",
            new String[]{ "compare", "--against-spindle", "--beside-commits", "10", "--mode", "echo" });
    }

    @Test
    @Timeout(120)
    void compareBesideATopicBeingArchivedStillMeasuresEveryRecord() throws Exception
    {
        final Printed printed =
            runPrinting("compare", "--rounds", "1", "--mode", "direct", "--beside-archiving", "5000");
        final Map<String, Object> json = printed.json();

        final Map<String, Object> ratio = map(json.get("ratio"));
        for (final String name : new String[]{ "p50", "p99", "max" })
        {
            assertTrue(((Number)ratio.get(name)).doubleValue() > 0, name + ": " + json);
        }
        assertEquals(500L, map(json.get("spindle")).get("samples"), json.toString());
        assertEquals(0L, map(json.get("spindle")).get("lost"));
        assertEquals(5000L, settings(json).get("beside_archiving"));
        final String said = printed.said();
        assertTrue(said.matches("(?s).*beside: [1-9][0-9,]* records written to tiered topic \\S+; the broker's " +
            "archiver copied [0-9,]+ segments to its archive.*"), said);
    }
}
