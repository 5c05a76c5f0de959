/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

import io.spindle.tools.VersionCommand;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spindle perf compare}: Spindle and the raw-Aeron baseline measured in one run, in alternating rounds, and
 * Spindle's figures as ratios of the baseline's.
 * <p>
 * On a shared or virtual machine the noise comes in bursts that last seconds to minutes; two measurements taken one
 * after the other can disagree by several times at p99. Alternating shorter rounds (baseline first in odd rounds,
 * Spindle first in even ones) spreads the bursts over both systems, and the ratio is taken between the rounds added
 * up. Every round starts its own broker or media driver, as {@code latency} and {@code baseline} do.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = VersionCommand.Provider.class,
    description = {
        "Spindle's latency and the raw-Aeron baseline's in one run: --rounds rounds of each, alternating " +
            "(baseline first in odd rounds), each round with its own warm-up and measurement; the rounds of each " +
            "system are added up and Spindle's percentiles printed as ratios of the baseline's.",
        "--cluster N: Spindle's N-member cluster against the raw Aeron Cluster echo of `baseline --cluster N` " +
            "(--mode does not apply).",
        "--against-spindle: Spindle with its --beside-* loads against Spindle with their plain twins (the same " +
            "records at the same rate into a topic neither compacted nor archived; no commits), the same broker " +
            "and profile in alternating rounds: what the cleaner's or the archiver's work costs the measured " +
            "stream, free of the raw stream's own round-to-round spread.",
        "Writes <name>.hgrm/.hlog (and -ack) for both systems, <name>.png for each and compare-<transport>.png " +
            "(compare-cluster<N>.png) with both end-to-end curves to --out." })
public final class CompareCommand implements Callable<Integer>
{
    private static final double[] PERCENTILES = { 50.0, 90.0, 99.0, 99.9, 99.99, 100.0 };
    private static final String[] LABELS = { "p50", "p90", "p99", "p99.9", "p99.99", "max" };
    private static final String[] JSON_NAMES = { "p50", "p90", "p99", "p999", "p9999", "max" };

    @Option(names = "--mode", defaultValue = "direct",
        description = "The baseline: direct (one stream, publisher -> subscriber) or echo (through a relay agent " +
            "with acks, Spindle's hop count) (default: ${DEFAULT-VALUE}).")
    AeronBaseline.Mode mode;

    @Option(names = "--against-spindle", description = "The baseline rounds run Spindle with the --beside-* loads' " +
        "plain twins (not compacted, not archived, no commits) instead of raw Aeron (needs one of them; --mode does " +
        "not apply).")
    boolean againstSpindle;

    @Option(names = "--rounds", defaultValue = "3",
        description = "Rounds of each system, alternating (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Mixin
    LoadOptions load;

    @Mixin
    EnvironmentOptions env;

    @Mixin
    ProducerOptions producerOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Run the rounds and report them.
     *
     * @return 0 when every message of every round arrived in order, 1 otherwise, 2 for bad flags.
     * @throws Exception when a broker, a media driver or a client fails.
     */
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final EnvironmentOptions.Transport transport;
        final boolean idempotent;
        try
        {
            load.validate();
            producerOptions.validate();
            idempotent = LatencyCommand.producerContext(load, producerOptions, false).isIdempotent();
            if (!env.embedded())
            {
                throw new IllegalArgumentException(
                    "compare starts its own broker and drivers: --bootstrap does not apply");
            }
            if (rounds < 1 || rounds > 100)
            {
                throw new IllegalArgumentException("--rounds must be 1..100: " + rounds);
            }
            transport = env.transport();
            if (againstSpindle && !env.hasBesideLoad())
            {
                throw new IllegalArgumentException("--against-spindle compares Spindle with a beside load to " +
                    "Spindle without: give --beside-compaction, --beside-archiving or --beside-commits");
            }
            if (againstSpindle && spec.commandLine().getParseResult().hasMatchedOption("--mode"))
            {
                throw new IllegalArgumentException("--against-spindle: the baseline is Spindle, --mode does not apply");
            }
            if (env.clustered() && spec.commandLine().getParseResult().hasMatchedOption("--mode"))
            {
                throw new IllegalArgumentException(
                    "--cluster compares against the cluster echo: --mode does not apply");
            }
        }
        catch (final IllegalArgumentException ex)
        {
            spec.commandLine().getErr().println("spindle perf compare: " + ex.getMessage());
            return 2;
        }

        final boolean clustered = env.clustered();
        final String transportName = clustered ? "cluster" + env.cluster : transport.name().toLowerCase();
        final String modeName = againstSpindle ? "spindle" : clustered ? "cluster-echo" : mode.name().toLowerCase();
        final String baselineName = againstSpindle ? "Spindle with the beside load's plain twin" :
            clustered ? "raw Aeron Cluster echo" : "raw Aeron " + modeName;
        final boolean baselineAcks = !clustered && AeronBaseline.Mode.ECHO == mode && 0 != load.acks;
        final String prefix = null != load.name ? load.name + "-" : "";
        final ResultFiles spindleFiles = ResultFiles.in(load.out, prefix + LatencyCommand.spindleName(env));
        final ResultFiles baselineFiles = ResultFiles.in(load.out, prefix + (againstSpindle ?
            LatencyCommand.spindleName(env) + "-alone" :
            clustered ? "aeron-cluster" + env.cluster : "aeron-" + modeName + "-" + transportName));
        final String description = String.format(
            "Spindle vs %s over %s: %,d msgs/s of %d bytes, acks=%d, %d partition(s), producer %s; %s %s/%s, " +
            "driver %s/%s, clients %s; %d round(s) of each, alternating, warm-up %d s + measured %d s each",
            againstSpindle || clustered ? baselineName +
                (clustered ? " (" + env.cluster + " members embedded on loopback)" : "") :
                "raw Aeron (" + modeName + ")",
            clustered ? "udp" : transportName, load.rate, load.size, load.acks, load.partitions,
            idempotent ? "idempotent" : "not idempotent",
            env.serverLabel(), env.threading.name().toLowerCase(), env.serverIdle(), env.threading.name().toLowerCase(),
            env.driverIdle,
            env.clientIdleAndSlice(), rounds, load.warmupS, load.measureS);
        out.println(description);
        out.flush();

        LatencyResult spindle = null;
        LatencyResult baseline = null;
        final double[][] roundRatios = new double[rounds][];
        final HostFreezes[][] roundFreezes = new HostFreezes[rounds][];
        final double[][] roundRatiosOutside = new double[rounds][];
        for (int round = 1; round <= rounds; round++)
        {
            LatencyResult spindleRound = null;
            LatencyResult baselineRound = null;
            for (int turn = 0; turn < 2; turn++)
            {
                final boolean baselineTurn = (0 == turn) == (1 == round % 2);
                out.printf("round %d/%d: %s%n", round, rounds, baselineTurn ? baselineName : "Spindle");
                out.flush();
                if (baselineTurn)
                {
                    baselineRound = againstSpindle ?
                        env.withPlainBesideLoads(() -> LatencyCommand.measure(load, env, producerOptions, out)) :
                        BaselineCommand.measure(mode, baselineAcks, load, env, out);
                    printRound(out, round, baselineName, baselineRound);
                }
                else
                {
                    spindleRound = LatencyCommand.measure(load, env, producerOptions, out);
                    printRound(out, round, "Spindle", spindleRound);
                }
            }
            roundRatios[round - 1] = ratios(spindleRound.endToEnd(), baselineRound.endToEnd());
            roundFreezes[round - 1] = new HostFreezes[] {spindleRound.hostFreezes(), baselineRound.hostFreezes()};
            roundRatiosOutside[round - 1] = null == spindleRound.outsideFreezes() ||
                null == baselineRound.outsideFreezes() ? null :
                ratios(spindleRound.outsideFreezes(), baselineRound.outsideFreezes());
            spindle = null == spindle ? spindleRound : spindle.merge(spindleRound);
            baseline = null == baseline ? baselineRound : baseline.merge(baselineRound);
        }

        final String settingsText = String.format("%,d msgs/s x %d B, %d rounds, %s %s/%s, driver %s",
            load.rate, load.size, rounds, env.serverLabel(), env.threading.name().toLowerCase(), env.serverIdle(),
            env.driverIdle);
        final LatencyResult spindleTotal = spindle;
        final LatencyResult baselineTotal = baseline;
        new LatencyReport(spindleFiles).report(out, "latency",
            "Spindle, all rounds added up", "Spindle " + transportName + ": " + settingsText, spindleTotal,
            (settings) -> {}, false);
        new LatencyReport(baselineFiles).report(out, "baseline",
            baselineName + ", all rounds added up", baselineName + " " + transportName + ": " +
            settingsText, baselineTotal, (settings) -> {}, false);

        final java.nio.file.Path chart = load.out.resolve(prefix + "compare-" + transportName + ".png");
        String chartError = null;
        try
        {
            new PercentileChart("Spindle vs " + baselineName + ", " + transportName + ": " + settingsText)
                .add("Spindle end to end", spindleTotal.endToEnd())
                .add(baselineName + " end to end", baselineTotal.endToEnd())
                .writePng(chart);
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            chartError = ex.toString();
        }

        final double[] total = ratios(spindleTotal.endToEnd(), baselineTotal.endToEnd());
        out.println();
        out.println(description);
        out.printf("  %-28s", "end to end, us");
        for (final String label : LABELS)
        {
            out.printf(" %10s", label);
        }
        out.println();
        final String ratioLabel = againstSpindle ? "with / without" : clustered ? "Spindle / raw Aeron Cluster" :
            "Spindle / raw Aeron";
        printTable(out, baselineName, ratioLabel, spindleTotal.endToEnd(), baselineTotal.endToEnd(), total,
            roundRatios);
        out.print("  host freezes per round (Spindle / " + baselineName + "):");
        for (int round = 0; round < rounds; round++)
        {
            out.printf(" %d/%d", roundFreezes[round][0].count(), roundFreezes[round][1].count());
        }
        out.println();
        final boolean outside = null != spindleTotal.outsideFreezes() && null != baselineTotal.outsideFreezes();
        final double[] totalOutside = outside ?
            ratios(spindleTotal.outsideFreezes(), baselineTotal.outsideFreezes()) : null;
        if (outside)
        {
            out.println("  outside host freezes (messages not in flight during one; perf/README):");
            printTable(out, baselineName, ratioLabel, spindleTotal.outsideFreezes(), baselineTotal.outsideFreezes(),
                totalOutside, roundRatiosOutside);
        }
        out.println(null == chartError ? "  chart: " + chart : "  could not draw " + chart + ": " + chartError);

        if (env.json)
        {
            final Json line = new Json().field("benchmark", "compare").field("mode", modeName).field("rounds", rounds);
            line.object("spindle");
            describe(line, spindleTotal);
            line.endObject().object("baseline");
            describe(line, baselineTotal);
            line.endObject().object("ratio");
            for (int i = 0; i < JSON_NAMES.length; i++)
            {
                line.field(JSON_NAMES[i], total[i]);
            }
            line.endObject().object("round_ratios");
            for (int round = 0; round < rounds; round++)
            {
                line.object("r" + (round + 1));
                for (int i = 0; i < JSON_NAMES.length; i++)
                {
                    line.field(JSON_NAMES[i], roundRatios[round][i]);
                }
                line.endObject();
            }
            line.endObject();
            ratiosOutside(line, totalOutside, roundRatiosOutside);
            line.object("round_host_freezes");
            for (int round = 0; round < rounds; round++)
            {
                line.object("r" + (round + 1))
                    .field("spindle", roundFreezes[round][0].count())
                    .field("baseline", roundFreezes[round][1].count())
                    .endObject();
            }
            line.endObject().object("files")
                .field("spindle_hgrm", spindleFiles.endToEndHgrm().toString())
                .field("baseline_hgrm", baselineFiles.endToEndHgrm().toString())
                .field("png", null == chartError ? chart.toString() : null)
                .endObject();
            line.object("settings");
            line.field("mode", modeName).field("rounds", rounds);
            load.describe(line);
            env.describe(line);
            producerOptions.describe(line, idempotent);
            line.endObject();
            out.println(line.end());
        }
        out.flush();

        final boolean clean = spindleTotal.lost() == 0 && spindleTotal.outOfOrder() == 0 &&
            spindleTotal.ackFailures() == 0 && baselineTotal.lost() == 0 && baselineTotal.outOfOrder() == 0;
        return clean ? 0 : 1;
    }

    private static void ratiosOutside(final Json line, final double[] total, final double[][] rounds)
    {
        if (null == total)
        {
            line.field("ratio_outside_freezes", (String)null).field("round_ratios_outside_freezes", (String)null);
            return;
        }
        line.object("ratio_outside_freezes");
        for (int i = 0; i < JSON_NAMES.length; i++)
        {
            line.field(JSON_NAMES[i], total[i]);
        }
        line.endObject().object("round_ratios_outside_freezes");
        for (int round = 0; round < rounds.length; round++)
        {
            line.object("r" + (round + 1));
            for (int i = 0; i < JSON_NAMES.length; i++)
            {
                line.field(JSON_NAMES[i], rounds[round][i]);
            }
            line.endObject();
        }
        line.endObject();
    }

    private static void describe(final Json line, final LatencyResult result)
    {
        final double[] values = values(result.endToEnd());
        for (int i = 0; i < JSON_NAMES.length; i++)
        {
            line.field(JSON_NAMES[i] + "_us", values[i]);
        }
        line.field("samples", result.endToEnd().getTotalCount())
            .field("rate", result.rate())
            .field("lost", result.lost())
            .field("out_of_order", result.outOfOrder());
        result.hostFreezes().describe(line, "host_freezes");
    }

    private static void printRound(
        final PrintWriter out, final int round, final String name, final LatencyResult result)
    {
        final Histogram histogram = result.endToEnd();
        out.printf("round %d %s: end to end us p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f; host freezes %s%n",
            round, name,
            histogram.getValueAtPercentile(50) / 1000.0, histogram.getValueAtPercentile(99) / 1000.0,
            histogram.getValueAtPercentile(99.9) / 1000.0, histogram.getMaxValue() / 1000.0,
            result.hostFreezes().describe());
        out.flush();
    }

    private static void printTable(
        final PrintWriter out,
        final String baselineName,
        final String ratioLabel,
        final Histogram spindle,
        final Histogram baseline,
        final double[] total,
        final double[][] roundRatios)
    {
        printRow(out, "Spindle", values(spindle), "%10.1f");
        printRow(out, baselineName, values(baseline), "%10.1f");
        printRow(out, ratioLabel, total, "%10.2f");
        for (int round = 0; round < roundRatios.length; round++)
        {
            printRow(out, "  round " + (round + 1) + " ratio", roundRatios[round], "%10.2f");
        }
    }

    private static void printRow(final PrintWriter out, final String label, final double[] values, final String format)
    {
        out.printf("  %-28s", label);
        for (final double value : values)
        {
            out.printf(" " + format, value);
        }
        out.println();
    }

    private static double[] values(final Histogram histogram)
    {
        final double[] values = new double[PERCENTILES.length];
        for (int i = 0; i < PERCENTILES.length; i++)
        {
            values[i] = (PERCENTILES[i] >= 100.0 ? histogram.getMaxValue() :
                histogram.getValueAtPercentile(PERCENTILES[i])) / 1000.0;
        }
        return values;
    }

    private static double[] ratios(final Histogram spindle, final Histogram baseline)
    {
        final double[] numerator = values(spindle);
        final double[] denominator = values(baseline);
        final double[] ratios = new double[numerator.length];
        for (int i = 0; i < ratios.length; i++)
        {
            ratios[i] = denominator[i] > 0 ? numerator[i] / denominator[i] : 0.0;
        }
        return ratios;
    }
}
