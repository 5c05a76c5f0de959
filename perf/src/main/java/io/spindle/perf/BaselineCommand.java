/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import io.spindle.tools.VersionCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spindle perf baseline}: the {@code latency} measurement over raw Aeron with nothing of Spindle on top, so
 * every Spindle figure can be read as a ratio to what the transport alone does on the same machine.
 */
@Command(name = "baseline", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = VersionCommand.Provider.class,
    description = {
        "The latency measurement over raw Aeron: the same fixed schedule, message size, threads, media driver " +
            "settings and idle strategies as `latency`, with an Aeron stream per partition instead of Spindle.",
        "echo (default): publisher -> relay agent (the broker's stand-in, on the broker's idle strategy, acking each " +
            "message to the publisher) -> subscriber, Spindle's hop count; direct: publisher -> subscriber.",
        "--cluster N: N Aeron Cluster members embedded on loopback, configured as Spindle's (ClusterNode) with an " +
            "echo service instead of Spindle's; an AeronCluster client sends to the leader's ingress and records the " +
            "round trip (intended send -> echo after commit) as the end-to-end latency.",
        "Writes <name>.hgrm, <name>.hlog, <name>-ack.hgrm, <name>-ack.hlog and <name>.png to --out." })
public final class BaselineCommand implements Callable<Integer>
{
    @Option(names = "--mode", defaultValue = "echo",
        description = "echo (through a relay agent, with acks) or direct (default: ${DEFAULT-VALUE}).")
    AeronBaseline.Mode mode;

    @Mixin
    LoadOptions load;

    @Mixin
    EnvironmentOptions env;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Run the measurement and report it.
     *
     * @return 0 when every message arrived in order, 1 otherwise, 2 for bad flags.
     * @throws Exception when a media driver or a client fails.
     */
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final EnvironmentOptions.Transport transport;
        try
        {
            load.validate();
            if (!env.embedded())
            {
                throw new IllegalArgumentException(
                    "the baseline runs its own media drivers: --bootstrap does not apply");
            }
            transport = env.transport();
            if (env.clustered() && AeronBaseline.Mode.ECHO != mode)
            {
                throw new IllegalArgumentException("--cluster measures an echo through the cluster: --mode " +
                    mode.name().toLowerCase() + " does not apply");
            }
        }
        catch (final IllegalArgumentException ex)
        {
            spec.commandLine().getErr().println("spindle perf baseline: " + ex.getMessage());
            return 2;
        }
        if (env.clustered())
        {
            return callCluster(out);
        }

        final boolean echo = AeronBaseline.Mode.ECHO == mode;
        if (!echo)
        {
            load.acks = 0;
        }
        final boolean acks = 0 != load.acks;
        final String transportName = transport.name().toLowerCase();
        final String modeName = mode.name().toLowerCase();
        final ResultFiles files = ResultFiles.in(
            load.out, null != load.name ? load.name : "aeron-" + modeName + "-" + transportName);
        final String description = String.format(
            "Raw Aeron baseline (%s) over %s: %,d msgs/s of %d bytes, %s, %d stream(s); relay %s/%s, driver %s/%s, " +
            "subscriber %s; warm-up %d s, measured %d s",
            modeName, transportName, load.rate, load.size, acks ? "acked by the relay" : "no acks", load.partitions,
            echo ? "1 thread" : "none", echo ? env.brokerIdle : "-", env.threading.name().toLowerCase(), env.driverIdle,
            env.clientIdleAndSlice(), load.warmupS, load.measureS);
        out.println(description);
        out.flush();

        final LatencyResult result = measure(mode, acks, load, env, out);

        final String chartTitle = String.format("Raw Aeron %s %s: %,d msgs/s x %d B, %s, relay %s, driver %s/%s",
            modeName, transportName, load.rate, load.size, acks ? "acked" : "no acks", echo ? env.brokerIdle : "-",
            env.threading.name().toLowerCase(), env.driverIdle);
        new LatencyReport(files).report(out, "baseline", description, chartTitle, result, (settings) ->
        {
            settings.field("system", "aeron").field("mode", modeName);
            load.describe(settings);
            env.describe(settings);
        }, env.json);

        return result.lost() == 0 && result.outOfOrder() == 0 ? 0 : 1;
    }

    private Integer callCluster(final PrintWriter out) throws Exception
    {
        final ResultFiles files = ResultFiles.in(
            load.out, null != load.name ? load.name : "aeron-cluster" + env.cluster);
        final String description = String.format(
            "Raw Aeron Cluster echo baseline, %d members embedded on loopback (UDP): %,d msgs/s of %d bytes, " +
            "client -> leader -> log to followers -> commit -> echo service -> client; member agents %s, client " +
            "driver %s, receiver %s; warm-up %d s, measured %d s",
            env.cluster, load.rate, load.size, env.memberIdle, env.driverIdle, env.clientIdle, load.warmupS,
            load.measureS);
        out.println(description);
        out.flush();

        final LatencyResult result = measureCluster(load, env, out);

        final String chartTitle = String.format("Raw Aeron Cluster echo, %d members: %,d msgs/s x %d B, members %s",
            env.cluster, load.rate, load.size, env.memberIdle);
        new LatencyReport(files).report(out, "baseline", description, chartTitle, result, (settings) ->
        {
            settings.field("system", "aeron-cluster").field("mode", "cluster-echo");
            load.describe(settings);
            env.describe(settings);
        }, env.json);

        return result.lost() == 0 && result.outOfOrder() == 0 ? 0 : 1;
    }

    /**
     * One measurement of raw Aeron: start the media driver(s), the streams and (echo) the relay, run the schedule.
     * With {@code --cluster} the measurement of the cluster echo ({@link #measureCluster}), whatever the mode.
     *
     * @param mode echo or direct.
     * @param acks whether the relay acknowledges each message (echo only).
     * @param load the load; its acks setting is not read.
     * @param env  the media driver settings and idle strategies.
     * @param out  where progress lines go.
     * @return what was measured.
     * @throws Exception when a media driver or a client fails.
     */
    static LatencyResult measure(
        final AeronBaseline.Mode mode,
        final boolean acks,
        final LoadOptions load,
        final EnvironmentOptions env,
        final PrintWriter out) throws Exception
    {
        if (env.clustered())
        {
            return measureCluster(load, env, out);
        }
        try (AeronBaseline baseline = AeronBaseline.start(env, mode, load.partitions, acks))
        {
            final LatencySink sink = new LatencySink(load.partitions);
            final LatencyRun run = new LatencyRun(load, acks, env.newClientIdle(), env.newClientIdle(),
                env.schedulerSliceNs(), out);
            final LatencyResult result = run.run(sink, baseline.sender(load.size, sink), baseline.receiver(sink));
            if (baseline.droppedAcks() > 0)
            {
                out.printf("  the relay dropped %,d acks%n", baseline.droppedAcks());
            }
            return result;
        }
    }

    /**
     * One measurement of the raw Aeron Cluster echo: start the members and the client, run the schedule. Nothing is
     * acknowledged separately: the echo is the answer, and its round trip the end-to-end latency.
     *
     * @param load the load; its acks setting is not read (the echo always follows the commit).
     * @param env  the member count and idle strategies.
     * @param out  where progress lines go.
     * @return what was measured.
     * @throws Exception when a member or the client fails.
     */
    static LatencyResult measureCluster(final LoadOptions load, final EnvironmentOptions env, final PrintWriter out)
        throws Exception
    {
        final LatencySink sink = new LatencySink(load.partitions);
        try (ClusterBaseline baseline = ClusterBaseline.start(env, env.cluster, sink, load.partitions, out))
        {
            final LatencyRun run = new LatencyRun(load, false, env.newClientIdle(), env.newClientIdle(),
                env.schedulerSliceNs(), out);
            final LatencyResult result = run.run(sink, baseline.sender(load.size), baseline.receiver());
            if (baseline.droppedEchoes() > 0)
            {
                out.printf("  the echo service dropped %,d echoes%n", baseline.droppedEchoes());
            }
            return result;
        }
    }
}
