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

import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the perf commands' smoke tests share: each command runs briefly at a low rate and what it writes must be well
 * formed: the JSON line parses and has its fields, the result files exist and are not empty. The figures themselves
 * are never checked: they belong to the machine, not to the code.
 */
abstract class PerfCliTestSupport
{
    static final String[] LATENCY_FIELDS = {
        "p50_us", "p90_us", "p99_us", "p999_us", "p9999_us", "max_us", "rate" };
    static final byte[] PNG_SIGNATURE = { (byte)0x89, 'P', 'N', 'G' };

    @TempDir
    Path out;

    /**
     * A command's JSON line and what it printed to {@code System.out} meanwhile (the beside loads say there what they
     * wrote).
     *
     * @param json the JSON line.
     * @param said everything printed to {@code System.out}.
     */
    record Printed(Map<String, Object> json, String said)
    {
    }

    Printed runPrinting(final String command, final String... flags) throws Exception
    {
        final java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        final java.io.PrintStream original = System.out;
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try
        {
            final Map<String, Object> json = run(command, flags);
            return new Printed(json, printed.toString(java.nio.charset.StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(original);
        }
    }

    void assertRefused(final String expected, final String[] args)
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

    Map<String, Object> run(final String command, final String... flags) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of(command,
            "--rate", "500", "--size", "64", "--warmup-s", "1", "--measure-s", "1", "--out", out.toString(), "--json"));
        args.addAll(Arrays.asList(flags));
        return execute(args.toArray(new String[0]));
    }

    static Map<String, Object> execute(final String... args) throws Exception
    {
        return execute(new StringWriter(), args);
    }

    static Map<String, Object> execute(final StringWriter stdout, final String... args) throws Exception
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

    static void assertLatencyResult(final Map<String, Object> json, final String benchmark, final boolean acks)
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

        // Host freezes watched for; without one every sample is outside them, with some any number may be (a run that
        // fell behind by more than the gaps between freezes on a loaded machine has every sample in flight during one).
        final Map<String, Object> freezes = map(json.get("host_freezes"));
        assertInstanceOf(Number.class, freezes.get("count"), "host_freezes.count");
        assertInstanceOf(Boolean.class, freezes.get("every_cpu"), "host_freezes.every_cpu");
        final long outside = ((Number)map(json.get("outside_freezes")).get("samples")).longValue();
        final long samples = ((Number)json.get("samples")).longValue();
        if (0 == ((Number)freezes.get("count")).longValue())
        {
            assertEquals(samples, outside, "no freeze, so every sample is outside one: " + json);
        }
        else
        {
            assertTrue(outside >= 0 && outside <= samples, "outside_freezes: " + json);
        }

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

    static Path assertNonEmpty(final Object name) throws Exception
    {
        assertInstanceOf(String.class, name);
        final Path file = Path.of((String)name);
        assertTrue(Files.isRegularFile(file), file + " missing");
        assertTrue(Files.size(file) > 0, file + " empty");
        return file;
    }

    static Map<String, Object> settings(final Map<String, Object> json)
    {
        return map(json.get("settings"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(final Object value)
    {
        assertInstanceOf(Map.class, value);
        return (Map<String, Object>)value;
    }
}
