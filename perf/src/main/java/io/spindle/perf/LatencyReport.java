/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.HdrHistogram.Histogram;

/**
 * Prints a latency result, writes its percentile distributions ({@code .hgrm}) and chart ({@code .png}) next to the
 * interval logs the run wrote, and ends with the JSON line. Field names are the same for Spindle and the baseline.
 */
final class LatencyReport
{
    /**
     * Percentile distribution values are written in microseconds.
     */
    private static final double OUTPUT_SCALING_RATIO = 1000.0;

    private final ResultFiles files;
    private final Measured measured;

    /**
     * A report of end to end latency into a set of result files.
     *
     * @param files names of the result files.
     */
    LatencyReport(final ResultFiles files)
    {
        this(files, Measured.END_TO_END);
    }

    /**
     * A report into a set of result files.
     *
     * @param files    names of the result files.
     * @param measured what the result's main histogram holds.
     */
    LatencyReport(final ResultFiles files, final Measured measured)
    {
        this.files = files;
        this.measured = measured;
    }

    /**
     * Print the result, write the files, print the JSON line when asked to.
     *
     * @param out         where to print.
     * @param benchmark   {@code latency} or {@code baseline}.
     * @param description what was measured, for the heading.
     * @param chartTitle  a short title for the chart.
     * @param result      the measurement.
     * @param settings    writes the settings object of the JSON line.
     * @param json        whether to end with the JSON line.
     * @throws IOException when a file cannot be written.
     */
    void report(
        final PrintWriter out,
        final String benchmark,
        final String description,
        final String chartTitle,
        final LatencyResult result,
        final java.util.function.Consumer<Json> settings,
        final boolean json) throws IOException
    {
        writeDistribution(files.endToEndHgrm(), result.endToEnd());
        result.endToEndLog().write(files.endToEndHlog(), measured.logComment());
        if (null != result.sendToAck())
        {
            writeDistribution(files.ackHgrm(), result.sendToAck());
            result.ackLog().write(
                files.ackHlog(), "send to ack: intended send time to the producer's acknowledgement");
        }
        String chartError = null;
        try
        {
            new PercentileChart(chartTitle)
                .add(measured.chartSeries(), result.endToEnd())
                .add("send -> ack", result.sendToAck())
                .add("send lateness (the harness's own delay)", result.sendLateness())
                .writePng(files.png());
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            // A machine without fonts cannot draw text; every other result is still worth having.
            chartError = ex.toString();
        }

        out.println();
        out.println(description);
        printPercentiles(out, measured.label(), result.endToEnd());
        if (null != result.sendToAck())
        {
            printPercentiles(out, "send -> ack (intended send -> ack)   ", result.sendToAck());
        }
        printPercentiles(out, "send lateness (intended -> taken)    ", result.sendLateness());
        out.printf("  achieved rate %,.1f %s/s (sent at %,.1f %s/s); measured %,d of %,d sent, lost %,d, " +
            "out of order %,d, back-pressured %,d, failed %,d%s%n",
            result.rate(), measured.unit(), result.sendRate(), measured.unit(), result.measuredReceived(),
            result.measuredSent(), result.lost(),
            result.outOfOrder(), result.backPressured(), result.ackFailures(),
            result.clipped() > 0 ? ", clipped at 60 s " + result.clipped() : "");
        out.println("  host freezes (a CPU that ran nothing for 10 ms or more; perf/README): " +
            result.hostFreezes().describe());
        if (null != result.outsideFreezes())
        {
            printPercentiles(out, "outside host freezes                 ", result.outsideFreezes());
        }
        out.println("  files: " + files.endToEndHgrm() + ", " + files.endToEndHlog() +
            (null != result.sendToAck() ? ", " + files.ackHgrm() + ", " + files.ackHlog() : "") +
            (null == chartError ? ", " + files.png() : ""));
        if (null != chartError)
        {
            out.println("  could not draw " + files.png() + ": " + chartError);
        }

        if (json)
        {
            final Json line = new Json().field("benchmark", benchmark);
            percentiles(line, result.endToEnd());
            line.field("samples", result.endToEnd().getTotalCount())
                .field("rate", result.rate())
                .field("send_rate", result.sendRate())
                .field("sent", result.measuredSent())
                .field("received", result.measuredReceived())
                .field("lost", result.lost())
                .field("out_of_order", result.outOfOrder())
                .field("back_pressured", result.backPressured())
                .field("failed", result.ackFailures());
            result.hostFreezes().describe(line, "host_freezes");
            histogramOrNull(line, "outside_freezes", result.outsideFreezes());
            histogramOrNull(line, "send_to_ack", result.sendToAck());
            line.object("send_lateness");
            percentiles(line, result.sendLateness());
            line.endObject();
            line.object("files")
                .field("hgrm", files.endToEndHgrm().toString())
                .field("hlog", files.endToEndHlog().toString())
                .field("png", null == chartError ? files.png().toString() : null);
            if (null != result.sendToAck())
            {
                line.field("ack_hgrm", files.ackHgrm().toString()).field("ack_hlog", files.ackHlog().toString());
            }
            line.endObject();
            if (null != result.stages())
            {
                result.stages().describe(line);
            }
            line.object("settings");
            settings.accept(line);
            line.endObject();
            out.println(line.end());
        }
        out.flush();
    }

    static void printPercentiles(final PrintWriter out, final String label, final Histogram histogram)
    {
        out.printf("  %s us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  p99.99 %.1f  max %.1f  (%,d samples)%n",
            label,
            histogram.getValueAtPercentile(50) / 1000.0,
            histogram.getValueAtPercentile(90) / 1000.0,
            histogram.getValueAtPercentile(99) / 1000.0,
            histogram.getValueAtPercentile(99.9) / 1000.0,
            histogram.getValueAtPercentile(99.99) / 1000.0,
            histogram.getMaxValue() / 1000.0,
            histogram.getTotalCount());
    }

    /**
     * {@code "name": {percentiles, samples}}, or {@code "name": null} for a histogram the run did not take.
     */
    private static void histogramOrNull(final Json line, final String name, final Histogram histogram)
    {
        if (null == histogram)
        {
            line.field(name, (String)null);
            return;
        }
        line.object(name);
        percentiles(line, histogram);
        line.field("samples", histogram.getTotalCount()).endObject();
    }

    private static void percentiles(final Json line, final Histogram histogram)
    {
        line.field("p50_us", histogram.getValueAtPercentile(50) / 1000.0)
            .field("p90_us", histogram.getValueAtPercentile(90) / 1000.0)
            .field("p99_us", histogram.getValueAtPercentile(99) / 1000.0)
            .field("p999_us", histogram.getValueAtPercentile(99.9) / 1000.0)
            .field("p9999_us", histogram.getValueAtPercentile(99.99) / 1000.0)
            .field("max_us", histogram.getMaxValue() / 1000.0)
            .field("mean_us", histogram.getTotalCount() > 0 ? histogram.getMean() / 1000.0 : 0.0);
    }

    private static void writeDistribution(final Path file, final Histogram histogram) throws IOException
    {
        try (OutputStream stream = Files.newOutputStream(file);
            PrintStream print = new PrintStream(stream, false, StandardCharsets.UTF_8))
        {
            histogram.outputPercentileDistribution(print, OUTPUT_SCALING_RATIO);
        }
    }
}
