/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import io.aeron.CommonContext;
import io.spindle.archive.ArchiveServer;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs each perf command of a single broker briefly at a low rate and checks that what it writes is well formed (see
 * {@link PerfCliTestSupport}); the comparisons and the cluster's commands have classes of their own, so that the
 * module's two test JVMs share them out.
 */
class PerfCliSmokeTest extends PerfCliTestSupport
{
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
        final Printed printed = runPrinting("latency", "--beside-compaction", "2000");
        final Map<String, Object> json = printed.json();

        assertLatencyResult(json, "latency", true);
        final String said = printed.said();
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
            assertInstanceOf(Number.class, h.get("slow_outside_freezes_mean_us"), hop);
        }
        // The slow records not in flight during a host freeze: all of them when the host did not freeze.
        final long slow = Math.min(((Number)stages.get("slow")).longValue(), StageTrace.SLOW_KEPT);
        final long slowOutside = ((Number)stages.get("slow_outside_freezes")).longValue();
        if (0 == ((Number)map(json.get("host_freezes")).get("count")).longValue())
        {
            assertEquals(slow, slowOutside, json.toString());
        }
        assertTrue(slowOutside >= 0 && slowOutside <= slow, json.toString());
    }

    @Test
    void stagesWithoutTheEmbeddedBrokerAreRefused()
    {
        assertRefused("--stages", new String[]{ "latency", "--stages", "--cluster", "3" });
        assertRefused("--stages", new String[]{ "latency", "--stages", "--bootstrap", "127.0.0.1:7400" });
    }

    @Test
    void anArchiveWithNothingToTierIsRefused()
    {
        assertRefused("--archive names the archive tier of --beside-archiving or --from-archive",
            new String[]{ "latency", "--archive", "localhost:8010" });
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
        assertReplayedFromTheArchive(json, stdout.toString());
        assertEquals("embedded", settings(json).get("archive"));
    }

    @Test
    @Timeout(120)
    void throughputFromAStandaloneArchiveTiersToItAsABrokerWithArchiveDoes() throws Exception
    {
        final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-perf-archive-" + UUID.randomUUID();
        final Path archiveDir = out.resolve("archive");
        try (ArchiveServer archive = ArchiveServer.launch(archiveDir, aeronDir, "localhost", 0,
            Throwable::printStackTrace))
        {
            final StringWriter stdout = new StringWriter();
            final Map<String, Object> json = execute(stdout, "throughput", "--records", "4000", "--warmup-records",
                "0", "--size", "64", "--from-archive", "--archive-segment-bytes", "64k", "--archive",
                archive.controlEndpoint(), "--json");
            assertReplayedFromTheArchive(json, stdout.toString());
            assertEquals(archive.controlEndpoint(), settings(json).get("archive"));
            try (Stream<Path> files = Files.walk(archiveDir))
            {
                assertTrue(files.anyMatch((file) -> file.toString().endsWith(".rec")), "segments recorded there");
            }
        }
        finally
        {
            IoUtil.delete(new File(aeronDir), true);
        }
    }

    private static void assertReplayedFromTheArchive(final Map<String, Object> json, final String said)
    {
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
}
