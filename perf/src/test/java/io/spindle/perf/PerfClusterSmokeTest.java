/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The perf commands' cluster forms briefly at a low rate: the raw Aeron Cluster echo, Spindle through three members
 * with acks all, and the two compared; three members in this JVM each time.
 */
class PerfClusterSmokeTest extends PerfCliTestSupport
{
    @Test
    @Timeout(90)
    void baselineClusterEchoesEveryMessageThroughThreeMembers() throws Exception
    {
        final Map<String, Object> json = run("baseline", "--cluster", "3");

        assertLatencyResult(json, "baseline", false);
        // 1 s measured at 500/s: every message of the measurement came back once, in order.
        assertEquals(500L, json.get("samples"), json.toString());
        assertEquals("cluster-echo", settings(json).get("mode"));
        assertEquals(3L, settings(json).get("cluster"));
        assertEquals("udp", settings(json).get("transport"));
        assertEquals(EnvironmentOptions.MEMBER_DEFAULT_IDLE, settings(json).get("member_idle"));
        assertTrue(((String)map(json.get("files")).get("hgrm")).endsWith("aeron-cluster3.hgrm"), json.toString());
    }

    @Test
    @Timeout(90)
    void latencyThroughThreeMembersWithAcksAll() throws Exception
    {
        final Map<String, Object> json = run("latency", "--cluster", "3", "--acks", "-1");

        assertLatencyResult(json, "latency", true);
        assertEquals(500L, json.get("samples"), json.toString());
        assertEquals(3L, settings(json).get("cluster"));
        assertTrue(((String)map(json.get("files")).get("hgrm")).endsWith("spindle-cluster3.hgrm"), json.toString());
    }

    @Test
    @Timeout(120)
    void compareClusterRatiosSpindleToTheClusterEcho() throws Exception
    {
        final Map<String, Object> json = run("compare", "--cluster", "3", "--acks", "-1", "--rounds", "1");

        assertEquals("cluster-echo", json.get("mode"));
        final Map<String, Object> spindle = map(json.get("spindle"));
        final Map<String, Object> baseline = map(json.get("baseline"));
        final Map<String, Object> ratio = map(json.get("ratio"));
        for (final String name : new String[]{ "p50", "p99", "p999", "max" })
        {
            final double baselineUs = ((Number)baseline.get(name + "_us")).doubleValue();
            assertTrue(baselineUs > 0, name + ": " + json);
            assertEquals(((Number)spindle.get(name + "_us")).doubleValue() / baselineUs,
                ((Number)ratio.get(name)).doubleValue(), 0.01, name + ": " + json);
        }
        for (final Map<String, Object> system : List.of(spindle, baseline))
        {
            assertEquals(500L, system.get("samples"), json.toString());
            assertEquals(0L, system.get("lost"));
        }
        final Map<String, Object> files = map(json.get("files"));
        assertTrue(((String)files.get("spindle_hgrm")).endsWith("spindle-cluster3.hgrm"), json.toString());
        assertTrue(((String)files.get("baseline_hgrm")).endsWith("aeron-cluster3.hgrm"), json.toString());
    }

    @Test
    void clusterFlagsThatCannotApplyAreRefusedWithExitCodeTwo()
    {
        assertRefused("--cluster", new String[]{ "baseline", "--cluster", "10" });
        assertRefused("--mode direct", new String[]{ "baseline", "--cluster", "3", "--mode", "direct" });
        assertRefused("--transport ipc", new String[]{ "latency", "--cluster", "3", "--transport", "ipc" });
        assertRefused("--threading dedicated", new String[]{ "latency", "--cluster", "3", "--threading", "dedicated" });
        assertRefused("--bootstrap", new String[]{ "latency", "--cluster", "3", "--bootstrap", "127.0.0.1:7400" });
        assertRefused("--mode", new String[]{ "compare", "--cluster", "3", "--mode", "echo" });
    }
}
