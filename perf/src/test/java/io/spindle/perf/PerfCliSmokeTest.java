/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs each perf command briefly at a low rate and checks that what it writes is well formed: the JSON line parses and
 * has its fields, the result files exist and are not empty. The figures themselves are never checked: they belong to
 * the machine, not to the code.
 */
class PerfCliSmokeTest
{
    private static final String[] LATENCY_FIELDS = {
        "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us", "rate" };
    private static final byte[] PNG_SIGNATURE = { (byte)0x89, 'P', 'N', 'G' };

    @TempDir
    Path out;

    @Test
    @Timeout(60)
    void latencyOverIpcWritesEveryResult() throws Exception
    {
        final Map<String, Object> json = run("latency", "--transport", "ipc", "--acks", "1");

        assertLatencyResult(json, "latency", true);
        assertEquals("ipc", settings(json).get("transport"));
        assertEquals(500L, settings(json).get("rate"));
        assertEquals(Boolean.TRUE, settings(json).get("idempotent"), "the default producer is idempotent: " + json);
        assertEquals(Boolean.FALSE, settings(json).get("transactional"));
    }

    @Test
    @Timeout(60)
    void latencyBesideACompactedTopicStillMeasuresEveryRecord() throws Exception
    {
        final StringWriter stdout = new StringWriter();
        final java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        final java.io.PrintStream original = System.out;
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        final Map<String, Object> json;
        try
        {
            json = execute(stdout, "latency", "--rate", "500", "--size", "64", "--warmup-s", "1", "--measure-s", "1",
                "--out", out.toString(), "--json", "--beside-compaction", "2000");
        }
        finally
        {
            System.setOut(original);
        }

        assertLatencyResult(json, "latency", true);
        final String said = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(said.matches("(?s).*beside: [1-9][0-9,]* records written to compacted topic .*"), said);
    }

    @Test
    @Timeout(60)
    void latencyWithAProducerPropertyTurnsIdempotenceOff() throws Exception
    {
        final Map<String, Object> json = run("latency", "--producer-property", "enable.idempotence=false");

        assertLatencyResult(json, "latency", true);
        assertEquals(Boolean.FALSE, settings(json).get("idempotent"), json.toString());
        assertEquals("enable.idempotence=false", settings(json).get("producer_properties"));
    }

    @Test
    @Timeout(60)
    void transactionalLatencyReportsCommitLatencyOfEveryTransaction() throws Exception
    {
        final StringWriter stdout = new StringWriter();
        final Map<String, Object> json = execute(stdout, "latency", "--transactional", "--transaction-records", "5",
            "--partitions", "2", "--rate", "200", "--size", "64", "--warmup-s", "1", "--measure-s", "1",
            "--out", out.toString(), "--json");

        assertLatencyResult(json, "latency", false);
        // 1 s measured at 200 transactions/s: every transaction of the measurement committed and was recorded once.
        assertEquals(200L, json.get("samples"), json.toString());
        assertEquals(200L, json.get("sent"), json.toString());
        final Map<String, Object> settings = settings(json);
        assertEquals(Boolean.TRUE, settings.get("transactional"));
        assertEquals(5L, settings.get("transaction_records"));
        assertEquals(-1L, settings.get("acks"), "transactions run with acks all");
        assertEquals(200L, settings.get("rate"));
        assertTrue(((String)map(json.get("files")).get("hgrm")).endsWith("spindle-ipc-txn5.hgrm"), json.toString());

        final String text = stdout.toString();
        assertTrue(text.contains("Spindle transaction commit over ipc: 200 transactions/s of 5 records of 64 bytes"),
            text);
        assertTrue(text.matches("(?s).*commit \\(intended start -> committed\\) +us: p50 [0-9.]+ +p90 [0-9.]+ +" +
            "p99 [0-9.]+ +p99\\.9 [0-9.]+ +p99\\.99 [0-9.]+ +max [0-9.]+ +\\(200 samples\\).*"), text);
        assertTrue(Files.readString(out.resolve("spindle-ipc-txn5.hlog")).contains("commitTransaction"),
            "the interval log says what it holds");
    }

    @Test
    void transactionalFlagsThatCannotApplyAreRefusedWithExitCodeTwo()
    {
        assertRefused("--acks", new String[]{ "latency", "--transactional", "--acks", "1" });
        assertRefused("--transaction-records", new String[]{ "latency", "--transactional", "--transaction-records",
            "0" });
        assertRefused("--transactional", new String[]{ "latency", "--transaction-records", "5" });
        assertRefused("enable.idempotence",
            new String[]{ "latency", "--producer-property", "enable.idempotence=maybe" });
        assertRefused("no.such.setting", new String[]{ "compare", "--producer-property", "no.such.setting=1" });
    }

    @Test
    @Timeout(60)
    void latencyOverUdpWithTwoPartitions() throws Exception
    {
        final Map<String, Object> json = run("latency", "--transport", "udp", "--partitions", "2", "--acks", "-1");

        assertLatencyResult(json, "latency", true);
        assertEquals("udp", settings(json).get("transport"));
        assertEquals(2L, settings(json).get("partitions"));
    }

    @Test
    @Timeout(60)
    void baselineEchoHasTheLatencyFields() throws Exception
    {
        final Map<String, Object> json = run("baseline", "--transport", "ipc");

        assertLatencyResult(json, "baseline", true);
        assertEquals("echo", settings(json).get("mode"));
    }

    @Test
    @Timeout(60)
    void baselineDirectOverUdpHasNoAcks() throws Exception
    {
        final Map<String, Object> json = run("baseline", "--mode", "direct", "--transport", "udp");

        assertLatencyResult(json, "baseline", false);
        assertEquals("direct", settings(json).get("mode"));
    }

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
    @Timeout(60)
    void latencyWithStagesAttributesEveryMeasuredRecordToItsHops() throws Exception
    {
        final Map<String, Object> json = run("latency", "--stages", "--partitions", "2");

        assertLatencyResult(json, "latency", true);
        final Map<String, Object> stages = map(json.get("stages"));
        final long received = ((Number)json.get("received")).longValue();
        final long traced = ((Number)stages.get("traced")).longValue();
        // Every hop of every measured record of both partitions was stamped: the broker's append and push hooks, the
        // consumer's arrival hook and the offsets the publisher assigned all name the same records.
        assertEquals(received, traced, json.toString());
        assertEquals(0L, ((Number)stages.get("untraced")).longValue(), json.toString());
        for (final String hop : StageTrace.HOP_KEYS)
        {
            final Map<String, Object> h = map(stages.get(hop));
            assertEquals(traced, ((Number)h.get("count")).longValue(), hop + ": " + json);
            assertTrue(((Number)h.get("max_us")).doubleValue() >= ((Number)h.get("p50_us")).doubleValue(), hop);
        }
    }

    @Test
    void stagesWithoutTheEmbeddedBrokerAreRefused()
    {
        assertRefused("--stages", new String[]{ "latency", "--stages", "--cluster", "3" });
        assertRefused("--stages", new String[]{ "latency", "--stages", "--bootstrap", "127.0.0.1:7400" });
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
        final java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        final java.io.PrintStream original = System.out;
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        final Map<String, Object> json;
        try
        {
            json = run("compare", "--rounds", "2", "--against-spindle", "--beside-compaction", "1000");
        }
        finally
        {
            System.setOut(original);
        }

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
        final String said = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
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
    @Timeout(60)
    void throughputReportsRates() throws Exception
    {
        final Map<String, Object> json = execute(
            "throughput", "--records", "20000", "--warmup-records", "2000", "--size", "64", "--json");

        assertEquals("throughput", json.get("benchmark"));
        for (final String field : new String[]{ "produce_records_per_s", "produce_mb_per_s", "consume_records_per_s",
            "consume_mb_per_s", "replay_records_per_s", "replay_mb_per_s" })
        {
            assertInstanceOf(Number.class, json.get(field), field);
        }
        assertEquals(20000L, json.get("consumed"));
        assertEquals(22000L, json.get("replayed"));
        assertEquals(64L, settings(json).get("size"));
    }

    @Test
    @Timeout(120)
    void throughputFromTheArchiveReplaysTheRecordsFromTheArchiveTierBesideTheLocalReplay() throws Exception
    {
        final StringWriter stdout = new StringWriter();
        final Map<String, Object> json = execute(stdout, "throughput", "--records", "4000", "--warmup-records", "0",
            "--size", "64", "--from-archive", "--archive-segment-bytes", "64k", "--json");

        for (final String field : new String[]{ "replay_records_per_s", "replay_mb_per_s",
            "archive_replay_records_per_s", "archive_replay_mb_per_s", "archive_replay_s", "archive_wait_s" })
        {
            assertTrue(((Number)json.get(field)).doubleValue() > 0, field + ": " + json);
        }
        // Every measured record came back, from the archive tier: when the replay started, only the record that
        // rolled the partition's last segment was still local, the 4,000 before it in the archive alone.
        assertEquals(4001L, json.get("archive_replayed"), json.toString());
        assertEquals(4000L, json.get("archive_only"), json.toString());
        assertEquals(0L, json.get("out_of_order"));
        assertEquals(Boolean.TRUE, settings(json).get("from_archive"));
        final String said = stdout.toString();
        assertTrue(said.contains("replay  (the same, from the archive)"), said);
        assertTrue(said.contains("archive tier: 4,000 of the 4,001 records replayed were in the archive only"), said);
    }

    @Test
    void throughputFromTheArchiveIsRefusedWithoutTheEmbeddedBroker()
    {
        for (final String[] flags : List.of(new String[]{ "--bootstrap", "ipc" }, new String[]{ "--cluster", "3" }))
        {
            final StringWriter err = new StringWriter();
            final List<String> args = new ArrayList<>(List.of("throughput", "--from-archive"));
            args.addAll(Arrays.asList(flags));
            final int exitCode = PerfCli.commandLine()
                .setOut(new PrintWriter(new StringWriter()))
                .setErr(new PrintWriter(err))
                .execute(args.toArray(new String[0]));
            assertEquals(2, exitCode, args + ": " + err);
            assertTrue(err.toString().contains("--from-archive needs the embedded standalone broker"),
                args + ": " + err);
        }
    }

    @Test
    @Timeout(120)
    void compareBesideATopicBeingArchivedStillMeasuresEveryRecord() throws Exception
    {
        final java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        final java.io.PrintStream original = System.out;
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        final Map<String, Object> json;
        try
        {
            json = run("compare", "--rounds", "1", "--mode", "direct", "--beside-archiving", "5000");
        }
        finally
        {
            System.setOut(original);
        }

        final Map<String, Object> ratio = map(json.get("ratio"));
        for (final String name : new String[]{ "p50", "p99", "max" })
        {
            assertTrue(((Number)ratio.get(name)).doubleValue() > 0, name + ": " + json);
        }
        assertEquals(500L, map(json.get("spindle")).get("samples"), json.toString());
        assertEquals(0L, map(json.get("spindle")).get("lost"));
        assertEquals(5000L, settings(json).get("beside_archiving"));
        final String said = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(said.matches("(?s).*beside: [1-9][0-9,]* records written to tiered topic \\S+; the broker's " +
            "archiver copied [0-9,]+ segments to its archive.*"), said);
    }

    @Test
    void badFlagIsRefusedWithExitCodeTwo()
    {
        final StringWriter err = new StringWriter();
        final int exitCode = PerfCli.commandLine()
            .setOut(new PrintWriter(new StringWriter()))
            .setErr(new PrintWriter(err))
            .execute("latency", "--size", "8", "--out", out.toString());

        assertEquals(2, exitCode);
        assertTrue(err.toString().contains("--size"), err.toString());
    }

    private void assertRefused(final String expected, final String[] args)
    {
        final StringWriter err = new StringWriter();
        final List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--out", out.toString()));
        final int exitCode = PerfCli.commandLine()
            .setOut(new PrintWriter(new StringWriter()))
            .setErr(new PrintWriter(err))
            .execute(all.toArray(new String[0]));

        assertEquals(2, exitCode, String.join(" ", args) + ": " + err);
        assertTrue(err.toString().contains(expected), String.join(" ", args) + ": " + err);
    }

    private Map<String, Object> run(final String command, final String... flags) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of(command,
            "--rate", "500", "--size", "64", "--warmup-s", "1", "--measure-s", "1", "--out", out.toString(), "--json"));
        args.addAll(Arrays.asList(flags));
        return execute(args.toArray(new String[0]));
    }

    private static Map<String, Object> execute(final String... args) throws Exception
    {
        return execute(new StringWriter(), args);
    }

    private static Map<String, Object> execute(final StringWriter stdout, final String... args) throws Exception
    {
        final StringWriter stderr = new StringWriter();
        final int exitCode = PerfCli.commandLine()
            .setOut(new PrintWriter(stdout))
            .setErr(new PrintWriter(stderr))
            .execute(args);
        final String text = stdout.toString();
        assertEquals(0, exitCode, () -> String.join(" ", args) + " failed:\n" + text + "\n" + stderr);

        final String[] lines = text.strip().split("\\R");
        final String last = lines[lines.length - 1];
        return MiniJson.parseObject(last);
    }

    private static void assertLatencyResult(final Map<String, Object> json, final String benchmark, final boolean acks)
        throws Exception
    {
        assertEquals(benchmark, json.get("benchmark"));
        double previous = 0.0;
        for (final String field : LATENCY_FIELDS)
        {
            assertInstanceOf(Number.class, json.get(field), field);
        }
        for (final String field : new String[]{ "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us" })
        {
            final double value = ((Number)json.get(field)).doubleValue();
            assertTrue(value >= previous, field + " below the percentile before it: " + json);
            previous = value;
        }
        assertTrue(((Number)json.get("samples")).longValue() > 0, "no samples: " + json);
        assertEquals(0L, json.get("lost"));
        assertEquals(0L, json.get("out_of_order"));

        final Map<String, Object> settings = settings(json);
        for (final String field : new String[]{ "rate", "size", "partitions", "acks", "warmup_s", "measure_s",
            "transport", "threading", "broker_idle", "driver_idle", "client_idle" })
        {
            assertNotNull(settings.get(field), "settings." + field + " missing: " + json);
        }

        final Map<String, Object> files = map(json.get("files"));
        assertNonEmpty(files.get("hgrm"));
        assertNonEmpty(files.get("hlog"));
        final Path png = assertNonEmpty(files.get("png"));
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(Files.readAllBytes(png), PNG_SIGNATURE.length));
        assertTrue(Files.readString(Path.of((String)files.get("hgrm"))).contains("#[Mean"), "not an .hgrm");
        assertTrue(Files.readString(Path.of((String)files.get("hlog"))).contains("HIST"), "no interval in the .hlog");

        assertInstanceOf(Number.class, map(json.get("send_lateness")).get("p50_us"), "send_lateness.p50_us");

        if (acks)
        {
            final Map<String, Object> ack = map(json.get("send_to_ack"));
            for (final String field : new String[]{ "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us" })
            {
                assertInstanceOf(Number.class, ack.get(field), "send_to_ack." + field);
            }
            assertNonEmpty(files.get("ack_hgrm"));
            assertNonEmpty(files.get("ack_hlog"));
        }
        else
        {
            assertTrue(json.containsKey("send_to_ack") && null == json.get("send_to_ack"), json.toString());
        }
    }

    private static Path assertNonEmpty(final Object name) throws Exception
    {
        assertInstanceOf(String.class, name);
        final Path file = Path.of((String)name);
        assertTrue(Files.isRegularFile(file), file + " missing");
        assertTrue(Files.size(file) > 0, file + " empty");
        return file;
    }

    private static Map<String, Object> settings(final Map<String, Object> json)
    {
        return map(json.get("settings"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object value)
    {
        assertInstanceOf(Map.class, value);
        return (Map<String, Object>)value;
    }
}
