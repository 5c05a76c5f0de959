/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.host.BrokerConfiguration;
import io.spindle.tools.VersionCommand;
import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spindle perf latency}: end-to-end latency of Spindle, producer to broker to consumer callback, at a fixed
 * rate, measured from each record's intended send time; the producer's send -> ack latency alongside. With
 * {@code --transactional}: the commit latency of transactions of {@code --transaction-records} records at a fixed
 * rate of transactions, measured from each transaction's intended start to {@code commitTransaction} returning.
 */
@Command(name = "latency", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = VersionCommand.Provider.class,
    description = {
        "End-to-end latency of Spindle at a fixed rate: a producer thread sends every record whose intended " +
        "send time " +
            "has passed, a consumer thread records intended send time -> record callback (coordinated omission " +
            "corrected) in an HdrHistogram; the producer's intended send time -> ack is recorded separately.",
        "--cluster N: against N cluster members (ClusterNode, as `spindle node` runs them) embedded on loopback, the " +
            "clients bootstrapped with every member's client endpoint.",
        "--transactional: commit latency instead. --rate counts transactions per second (default 100 with " +
            "--transactional); each transaction of --transaction-records records is begun, sent and committed by the " +
            "producer thread, and its intended start -> commitTransaction returning is recorded (no consumer).",
        "Writes <name>.hgrm, <name>.hlog, <name>-ack.hgrm, <name>-ack.hlog and <name>.png to --out." })
public final class LatencyCommand implements Callable<Integer>
{
    /**
     * Transactions per second of {@code --transactional} when {@code --rate} is not given.
     */
    static final long DEFAULT_TRANSACTION_RATE = 100;

    /**
     * How long the receiving thread of a commit latency run sleeps between looks at nothing.
     */
    private static final long NOTHING_RECEIVED_SLEEP_MS = 10;

    @Mixin
    LoadOptions load;

    @Mixin
    EnvironmentOptions env;

    @Mixin
    ProducerOptions producerOptions;

    @Option(names = "--transactional", description = "Measure transactions' commit latency: intended start -> " +
        "commitTransaction returning, at --rate transactions/s (default " + DEFAULT_TRANSACTION_RATE + "); acks all.")
    boolean transactional;

    @Option(names = "--transaction-records", defaultValue = "10", description = "With --transactional: records in " +
        "each transaction, spread round robin over --partitions (default: ${DEFAULT-VALUE}).")
    int transactionRecords;

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
        final boolean idempotent;
        try
        {
            validateTransactional();
            load.validate();
            transport = env.transport();
            producerOptions.validate();
            idempotent = producerContext(load, producerOptions, transactional).isIdempotent();
        }
        catch (final IllegalArgumentException ex)
        {
            spec.commandLine().getErr().println("spindle perf latency: " + ex.getMessage());
            return 2;
        }

        final String transportName = transport.name().toLowerCase();
        final String defaultName = spindleName(env) + (transactional ? "-txn" + transactionRecords : "");
        final ResultFiles files = ResultFiles.in(load.out, null != load.name ? load.name : defaultName);
        final String what = transactional ?
            String.format("Spindle transaction commit over %s: %,d transactions/s of %d records of %d bytes",
                transportName, load.rate, transactionRecords, load.size) :
            String.format("Spindle end to end over %s: %,d records/s of %d bytes", transportName, load.rate, load.size);
        final String description = String.format(
            "%s, acks=%d, %d partition(s), producer %s; %s, " +
            "%s %s/%s, driver %s/%s, clients %s; warm-up %d s, measured %d s",
            what, load.acks, load.partitions,
            transactional ? "transactional" : idempotent ? "idempotent" : "not idempotent", env.systemText(),
            env.serverLabel(), env.threading.name().toLowerCase(), env.serverIdle(), env.threading.name().toLowerCase(),
            env.driverIdle,
            env.clientIdleAndSlice(), load.warmupS, load.measureS);
        out.println(description);
        out.flush();

        final LatencyResult result = transactional ?
            measureTransactions(load, env, producerOptions, transactionRecords, out) :
            measure(load, env, producerOptions, out);

        final String chartTitle = String.format("Spindle %s: %,d %s x %d B, acks=%d, %s %s/%s, driver %s",
            env.clustered() ? env.cluster + "-member cluster" : transportName, load.rate,
            transactional ? "txn/s of " + transactionRecords : "msgs/s", load.size, load.acks,
            env.serverLabel(), env.threading.name().toLowerCase(), env.serverIdle(), env.driverIdle);
        final Measured measured = transactional ? Measured.COMMIT : Measured.END_TO_END;
        new LatencyReport(files, measured).report(out, "latency", description, chartTitle, result, (settings) ->
        {
            settings.field("system", "spindle");
            load.describe(settings);
            env.describe(settings);
            producerOptions.describe(settings, idempotent);
            settings.field("transactional", transactional);
            if (transactional)
            {
                settings.field("transaction_records", transactionRecords);
            }
        }, env.json);

        return result.lost() == 0 && result.outOfOrder() == 0 && result.ackFailures() == 0 ? 0 : 1;
    }

    private void validateTransactional()
    {
        final CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (!transactional)
        {
            if (parsed.hasMatchedOption("--transaction-records"))
            {
                throw new IllegalArgumentException("--transaction-records needs --transactional");
            }
            return;
        }
        if (transactionRecords < 1)
        {
            throw new IllegalArgumentException("--transaction-records must be at least 1, was " + transactionRecords);
        }
        if (parsed.hasMatchedOption("--acks") && -1 != load.acks)
        {
            throw new IllegalArgumentException("--transactional needs --acks all (-1), was " + load.acks);
        }
        load.acks = -1;
        if (!parsed.hasMatchedOption("--rate"))
        {
            load.rate = DEFAULT_TRANSACTION_RATE;
        }
    }

    /**
     * The producer's configuration of a run: the load's acks, no linger (one record a batch at these rates), then
     * {@code --producer-property}; a transactional id when measuring transactions.
     *
     * @param load          the load.
     * @param options       the producer properties.
     * @param transactional whether the producer runs transactions.
     * @return the configuration, not yet pointed at the broker.
     */
    static Producer.Context producerContext(
        final LoadOptions load, final ProducerOptions options, final boolean transactional)
    {
        final Producer.Context ctx = options.apply(new Producer.Context().acks(load.acks).lingerUs(0));
        if (transactional)
        {
            ctx.transactionalId("spindle-perf-" + UUID.randomUUID().toString().substring(0, 8));
        }
        return ctx;
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
     * @param load            the load.
     * @param env             where and how to run.
     * @param producerOptions the producer's properties.
     * @param out             where progress lines go.
     * @return what was measured.
     * @throws Exception when the broker or a client fails.
     */
    static LatencyResult measure(
        final LoadOptions load, final EnvironmentOptions env, final ProducerOptions producerOptions,
        final PrintWriter out) throws Exception
    {
        try (SpindleSetup setup = SpindleSetup.start(env, load.partitions))
        {
            final LatencySink sink = new LatencySink(load.partitions);
            Consumer consumer = null;
            Producer producer = null;
            try
            {
                consumer = Consumer.connect(setup.client(
                    new Consumer.Context().autoOffsetReset(Consumer.OffsetReset.EARLIEST).arrivalTrace(setup.trace()),
                    "spindle-perf-consumer"));
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
                    producerContext(load, producerOptions, false), "spindle-perf-producer"));
                producer.partitionCount(setup.topic());
                // Looked up on this thread, used by the publisher's: a producer belongs to one thread at a time.
                producer.releaseOwnership();
            }
            catch (final RuntimeException ex)
            {
                CloseHelper.quietCloseAll(producer, consumer);
                throw ex;
            }

            final LatencyRun run = new LatencyRun(load, 0 != load.acks, env.newClientIdle(), env.newClientIdle(),
                env.schedulerSliceNs(), out);
            final StageTrace trace = setup.trace();
            final Map<String, Histogram> brokerBefore = null != trace ? setup.brokerStages() : Map.of();
            final LatencyResult result = run.run(sink, new SpindleSender(producer, setup.topic(), load, sink, trace),
                new SpindleReceiver(consumer, sink, trace));
            if (null != trace)
            {
                // The broker writes its histograms once an interval: wait, bounded, for a write after the run.
                final long runEndNs = System.nanoTime();
                trace.freezes(run.freezeWindows());
                trace.print(out, StageTrace.since(
                    setup.brokerStagesWrittenAfter(runEndNs, 3 * BrokerConfiguration.LATENCY_INTERVAL.duration()),
                    brokerBefore));
                out.flush();
            }
            return result.withStages(trace);
        }
    }

    /**
     * One measurement of transactions' commit latency: start (or reach) the broker, connect a transactional producer
     * and initialise its transactions, run the schedule with a transaction for each of its messages. Nothing is
     * consumed; the receiving thread only sleeps.
     *
     * @param load               the load: rate in transactions per second, size and partitions of the records.
     * @param env                where and how to run.
     * @param producerOptions    the producer's properties.
     * @param transactionRecords records in each transaction.
     * @param out                where progress lines go.
     * @return what was measured: commit latency in the main histogram, no send -> ack.
     * @throws Exception when the broker or the producer fails, or a transaction cannot commit.
     */
    static LatencyResult measureTransactions(
        final LoadOptions load,
        final EnvironmentOptions env,
        final ProducerOptions producerOptions,
        final int transactionRecords,
        final PrintWriter out) throws Exception
    {
        try (SpindleSetup setup = SpindleSetup.start(env, load.partitions))
        {
            // Transactions are numbered on one sequence, whatever the records' partitions.
            final LatencySink sink = new LatencySink(1);
            Producer producer = null;
            try
            {
                producer = Producer.connect(setup.client(
                    producerContext(load, producerOptions, true), "spindle-perf-producer"));
                producer.partitionCount(setup.topic());
                producer.initTransactions();
                producer.releaseOwnership();
            }
            catch (final RuntimeException ex)
            {
                CloseHelper.quietClose(producer);
                throw ex;
            }

            final LatencyRun run = new LatencyRun(load, false, env.newClientIdle(),
                new SleepingMillisIdleStrategy(NOTHING_RECEIVED_SLEEP_MS), env.schedulerSliceNs(), out,
                Measured.COMMIT);
            return run.run(sink, new TransactionalSender(producer, setup.topic(), load, transactionRecords, sink),
                new NothingReceived());
        }
    }

    /**
     * The receiving side of a commit latency run: nothing to receive, the commits are recorded by the sender.
     */
    private static final class NothingReceived implements LoadReceiver
    {
        public int poll()
        {
            return 0;
        }

        public void close()
        {
        }
    }
}
