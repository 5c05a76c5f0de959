/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.tools.VersionCommand;
import org.agrona.CloseHelper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code spindle perf latency}: end-to-end latency of Spindle, producer to broker to consumer callback, at a fixed
 * rate, measured from each record's intended send time; the producer's send -> ack latency alongside.
 */
@Command(name = "latency", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = VersionCommand.Provider.class,
    description = {
        "End-to-end latency of Spindle at a fixed rate: a producer thread sends every record whose intended send time " +
            "has passed, a consumer thread records intended send time -> record callback (coordinated omission " +
            "corrected) in an HdrHistogram; the producer's intended send time -> ack is recorded separately.",
        "--cluster N: against N cluster members (ClusterNode, as `spindle node` runs them) embedded on loopback, the " +
            "clients bootstrapped with every member's client endpoint.",
        "Writes <name>.hgrm, <name>.hlog, <name>-ack.hgrm, <name>-ack.hlog and <name>.png to --out." })
public final class LatencyCommand implements Callable<Integer>
{
    @Mixin
    LoadOptions load;

    @Mixin
    EnvironmentOptions env;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Run the measurement and report it.
     *
     * @return 0 when every record arrived in order and was acknowledged, 1 otherwise, 2 for bad flags.
     * @throws Exception when the broker or a client fails.
     */
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final EnvironmentOptions.Transport transport;
        try
        {
            load.validate();
            transport = env.transport();
        }
        catch (final IllegalArgumentException ex)
        {
            spec.commandLine().getErr().println("spindle perf latency: " + ex.getMessage());
            return 2;
        }

        final String transportName = transport.name().toLowerCase();
        final ResultFiles files = ResultFiles.in(load.out, null != load.name ? load.name : spindleName(env));
        final String description = String.format(
            "Spindle end to end over %s: %,d records/s of %d bytes, acks=%d, %d partition(s); %s, " +
            "%s %s/%s, driver %s/%s, clients %s; warm-up %d s, measured %d s",
            transportName, load.rate, load.size, load.acks, load.partitions, env.systemText(),
            env.serverLabel(), env.threading.name().toLowerCase(), env.serverIdle(), env.threading.name().toLowerCase(),
            env.driverIdle,
            env.clientIdle, load.warmupS, load.measureS);
        out.println(description);
        out.flush();

        final LatencyResult result = measure(load, env, out);

        final String chartTitle = String.format("Spindle %s: %,d msgs/s x %d B, acks=%d, %s %s/%s, driver %s",
            env.clustered() ? env.cluster + "-member cluster" : transportName, load.rate, load.size, load.acks,
            env.serverLabel(), env.threading.name().toLowerCase(), env.serverIdle(), env.driverIdle);
        new LatencyReport(files).report(out, "latency", description, chartTitle, result, (settings) ->
        {
            settings.field("system", "spindle");
            load.describe(settings);
            env.describe(settings);
        }, env.json);

        return result.lost() == 0 && result.outOfOrder() == 0 && result.ackFailures() == 0 ? 0 : 1;
    }

    /**
     * The result files' default prefix for Spindle: {@code spindle-<transport>}, {@code spindle-cluster<N>} with
     * {@code --cluster N}.
     *
     * @param env the environment of the run.
     * @return the prefix.
     */
    static String spindleName(final EnvironmentOptions env)
    {
        return env.clustered() ? "spindle-cluster" + env.cluster : "spindle-" + env.transport().name().toLowerCase();
    }

    /**
     * One measurement of Spindle: start (or reach) the broker (with {@code --cluster}: the members), connect a consumer
     * and a producer, run the schedule.
     *
     * @param load the load.
     * @param env  where and how to run.
     * @param out  where progress lines go.
     * @return what was measured.
     * @throws Exception when the broker or a client fails.
     */
    static LatencyResult measure(final LoadOptions load, final EnvironmentOptions env, final PrintWriter out)
        throws Exception
    {
        try (SpindleSetup setup = SpindleSetup.start(env, load.partitions))
        {
            final LatencySink sink = new LatencySink(load.partitions);
            Consumer consumer = null;
            Producer producer = null;
            try
            {
                consumer = Consumer.connect(setup.client(
                    new Consumer.Context().autoOffsetReset(Consumer.OffsetReset.EARLIEST), "spindle-perf-consumer"));
                final List<TopicPartition> assignment = new ArrayList<>();
                for (int p = 0; p < load.partitions; p++)
                {
                    assignment.add(new TopicPartition(setup.topic(), p));
                }
                consumer.assign(assignment);
                for (final TopicPartition tp : assignment)
                {
                    consumer.position(tp);
                }
                producer = Producer.connect(setup.client(
                    new Producer.Context().acks(load.acks).lingerUs(0), "spindle-perf-producer"));
                producer.partitionCount(setup.topic());
                // Looked up on this thread, used by the publisher's: a producer belongs to one thread at a time.
                producer.releaseOwnership();
            }
            catch (final RuntimeException ex)
            {
                CloseHelper.quietCloseAll(producer, consumer);
                throw ex;
            }

            final LatencyRun run = new LatencyRun(load, 0 != load.acks, env.newClientIdle(), env.newClientIdle(), out);
            return run.run(
                sink, new SpindleSender(producer, setup.topic(), load, sink), new SpindleReceiver(consumer, sink));
        }
    }
}
