/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;

import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * The broker's own latency, per stage of a record's way through it, always on: one HdrHistogram recorder per stage,
 * written by the thread doing that stage's work (wait-free, no allocation), and an agent on a thread of its own that
 * swaps each recorder's interval histogram once an interval, adds it to the run's total, and writes both per stage
 * to {@value #FILE_NAME} in the data directory, an HdrHistogram log replaced whole each time, that
 * {@code spindle stat --latency} reads. Values are nanoseconds from {@link System#nanoTime()} stamps taken where
 * the work happens.
 * <ul>
 *     <li>{@link #RECEIVED_TO_APPENDED}: a produce request taken off the control stream to its last batch appended
 *     (control agent);</li>
 *     <li>{@link #APPENDED_TO_ACKNOWLEDGED}: from that append to its answer offered to the client's publication
 *     (control agent);</li>
 *     <li>{@link #APPENDED_TO_PUSHED}: a batch appended to its records sent to a consumer whose fetch was waiting
 *     for them (a streaming fetch, or a long poll answered by the append), measured only for the newest append of a
 *     partition (fetch agent).</li>
 * </ul>
 * Optionally the interval histograms are also appended to an HdrHistogram interval log, tagged by stage
 * ({@code spindle.latency.log}).
 */
public final class StageLatencies
{
    /**
     * Name of the latest histograms' file in the data directory.
     */
    public static final String FILE_NAME = "spindle-latency.hlog";

    /**
     * Stage: produce request received to appended.
     */
    public static final int RECEIVED_TO_APPENDED = 0;

    /**
     * Stage: appended to acknowledged.
     */
    public static final int APPENDED_TO_ACKNOWLEDGED = 1;

    /**
     * Stage: appended to pushed to a waiting consumer.
     */
    public static final int APPENDED_TO_PUSHED = 2;

    /**
     * Names of the stages, by stage, as tags in the file.
     */
    static final String[] STAGE_NAMES = { "received-appended", "appended-acknowledged", "appended-pushed" };

    /**
     * Longest latency recorded as itself: longer ones are recorded as this.
     */
    public static final long HIGHEST_TRACKABLE_NS = TimeUnit.SECONDS.toNanos(60);

    /**
     * The maximum value column of a log line is in milliseconds, as {@link HistogramLogWriter} writes it.
     */
    private static final double MAX_VALUE_UNIT_RATIO = 1_000_000.0;

    private static final String INTERVAL = ".interval";
    private static final String TOTAL = ".total";

    private final String[] stageNames;
    private final SingleWriterRecorder[] recorders;

    /**
     * Recorders for every stage of a broker, 3 significant digits, 1 ns to {@link #HIGHEST_TRACKABLE_NS}.
     */
    public StageLatencies()
    {
        this(STAGE_NAMES);
    }

    /**
     * Recorders for stages of a host's own (a cluster member's), 3 significant digits, 1 ns to
     * {@link #HIGHEST_TRACKABLE_NS}; the first three must be the broker's three when a {@code FetchServer} records
     * {@link #APPENDED_TO_PUSHED} into them.
     *
     * @param stageNames by stage, as tags in the file and in {@code spindle stat --latency}; no dots.
     */
    public StageLatencies(final String... stageNames)
    {
        this.stageNames = stageNames.clone();
        recorders = new SingleWriterRecorder[stageNames.length];
        for (int i = 0; i < recorders.length; i++)
        {
            recorders[i] = new SingleWriterRecorder(1, HIGHEST_TRACKABLE_NS, 3);
        }
    }

    /**
     * Record one latency of a stage; only ever from the one thread that does that stage's work.
     *
     * @param stage     {@link #RECEIVED_TO_APPENDED}, {@link #APPENDED_TO_ACKNOWLEDGED} or {@link #APPENDED_TO_PUSHED}.
     * @param latencyNs from the stage's start stamp to its end stamp; negative values are ignored.
     */
    public void record(final int stage, final long latencyNs)
    {
        if (latencyNs >= 0)
        {
            recorders[stage].recordValue(Math.min(latencyNs, HIGHEST_TRACKABLE_NS));
        }
    }

    /**
     * The agent that publishes the histograms, for a thread of its own.
     *
     * @param dataDir    where to write {@value #FILE_NAME}.
     * @param intervalMs between publications.
     * @param intervalLog an HdrHistogram interval log to append to as well, or null.
     * @param markFile   whose activity timestamp the agent keeps fresh, or null.
     * @return the agent.
     */
    public Agent reporter(final Path dataDir, final long intervalMs, final Path intervalLog,
        final SpindleMarkFile markFile)
    {
        return new Reporter(dataDir.resolve(FILE_NAME), intervalMs, intervalLog, markFile);
    }

    /**
     * The runner of the {@link #reporter reporter agent} every host (a standalone broker, a cluster member) starts on
     * a thread of its own: it sleeps between publications, at most 100 ms at a time so it stops promptly.
     *
     * @param dataDir      where to write {@value #FILE_NAME}.
     * @param intervalMs   between publications.
     * @param intervalLog  an HdrHistogram interval log to append every interval to as well
     *                     ({@code spindle.latency.log}), or null.
     * @param markFile     whose activity timestamp the agent keeps fresh, or null.
     * @param errorHandler told of a failure to write either file.
     * @return the runner, not started.
     */
    public AgentRunner reporterRunner(final Path dataDir, final long intervalMs, final Path intervalLog,
        final SpindleMarkFile markFile, final ErrorHandler errorHandler)
    {
        return new AgentRunner(new SleepingMillisIdleStrategy(Math.min(100, intervalMs)), errorHandler, null,
            reporter(dataDir, intervalMs, intervalLog, markFile));
    }

    /**
     * Read the latest histograms a broker wrote.
     *
     * @param dataDir the broker's data directory.
     * @return per stage name, its last interval's and its whole run's histograms, in stage order (the file's).
     * @throws IllegalStateException if there is no file yet.
     */
    public static Map<String, Histogram[]> read(final Path dataDir)
    {
        final Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file))
        {
            throw new IllegalStateException("no " + FILE_NAME + " in " + dataDir +
                " yet (a broker or node writes it every second while it runs)");
        }
        final Map<String, Histogram[]> byStage = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file); HistogramLogReader reader = new HistogramLogReader(in))
        {
            EncodableHistogram next;
            while (null != (next = reader.nextIntervalHistogram()))
            {
                final String tag = next.getTag();
                if (next instanceof Histogram && null != tag)
                {
                    final boolean isTotal = tag.endsWith(TOTAL);
                    final int dot = tag.lastIndexOf('.');
                    if (dot > 0)
                    {
                        byStage.computeIfAbsent(tag.substring(0, dot), (name) -> new Histogram[2])
                            [isTotal ? 1 : 0] = (Histogram)next;
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("could not read " + file, ex);
        }

        return byStage;
    }

    /**
     * Print stages as {@code spindle stat --latency} does: count, p50, p90, p99, p99.9 and max in microseconds, for
     * the last interval and the whole run.
     *
     * @param byStage as {@link #read(Path)} returns them.
     * @param out     where to print.
     */
    public static void print(final Map<String, Histogram[]> byStage, final PrintStream out)
    {
        out.println(String.format("%-24s %-8s %12s %10s %10s %10s %10s %10s", "stage (us)", "window", "count", "p50",
            "p90", "p99", "p99.9", "max"));
        for (final Map.Entry<String, Histogram[]> entry : byStage.entrySet())
        {
            for (int window = 0; window < 2; window++)
            {
                final Histogram histogram = entry.getValue()[window];
                if (null == histogram)
                {
                    continue;
                }
                out.println(String.format("%-24s %-8s %12d %10.3f %10.3f %10.3f %10.3f %10.3f",
                    0 == window ? entry.getKey() : "", 0 == window ? "interval" : "run",
                    histogram.getTotalCount(),
                    histogram.getValueAtPercentile(50) / 1000.0,
                    histogram.getValueAtPercentile(90) / 1000.0,
                    histogram.getValueAtPercentile(99) / 1000.0,
                    histogram.getValueAtPercentile(99.9) / 1000.0,
                    histogram.getMaxValue() / 1000.0));
            }
        }
    }

    private final class Reporter implements Agent
    {
        private final Path file;
        private final Path tmpFile;
        private final long intervalNs;
        private final Path intervalLogFile;
        private final SpindleMarkFile markFile;
        private final Histogram[] intervals = new Histogram[recorders.length];
        private final Histogram[] totals = new Histogram[recorders.length];
        private final long startMs = System.currentTimeMillis();
        private HistogramLogWriter intervalLog;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
        private ByteBuffer encodeBuffer;
        private long nextReportNs = System.nanoTime();
        private long intervalStartMs = startMs;

        Reporter(final Path file, final long intervalMs, final Path intervalLogFile, final SpindleMarkFile markFile)
        {
            this.file = file;
            this.tmpFile = file.resolveSibling(file.getFileName() + ".tmp");
            this.intervalNs = TimeUnit.MILLISECONDS.toNanos(intervalMs);
            this.intervalLogFile = intervalLogFile;
            this.markFile = markFile;
            for (int i = 0; i < recorders.length; i++)
            {
                totals[i] = new Histogram(1, HIGHEST_TRACKABLE_NS, 3);
                totals[i].setTag(stageNames[i] + TOTAL);
                totals[i].setStartTimeStamp(startMs);
            }
        }

        public void onStart()
        {
            if (null != intervalLogFile)
            {
                try
                {
                    intervalLog = new HistogramLogWriter(intervalLogFile.toFile());
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException("could not open spindle.latency.log " + intervalLogFile, ex);
                }
                intervalLog.outputLogFormatVersion();
                intervalLog.outputStartTime(startMs);
                intervalLog.setBaseTime(startMs);
                intervalLog.outputLegend();
            }
        }

        public int doWork()
        {
            final long nowNs = System.nanoTime();
            if (nowNs - nextReportNs < 0)
            {
                return 0;
            }
            nextReportNs = nowNs + intervalNs;
            final long nowMs = System.currentTimeMillis();
            if (null != markFile)
            {
                markFile.updateActivityTimestamp(nowMs);
            }
            report(nowMs);
            return 1;
        }

        public void onClose()
        {
            report(System.currentTimeMillis());
            if (null != intervalLog)
            {
                intervalLog.close();
            }
        }

        public String roleName()
        {
            return "spindle-latency-reporter";
        }

        /**
         * One histogram as a line of an HdrHistogram log (format 1.3, as {@link HistogramLogWriter} writes it, so
         * {@link HistogramLogReader} reads it), compressed at {@link Deflater#BEST_SPEED}: the writer compresses at
         * level 9, which made each report a burst of ~3 ms on the reporter's thread, and on a 2-core machine a
         * consumer woken during that burst waited for it (perf/README, "The host's freezes"). Level 1 is 2.5x
         * faster (a 1 ns..60 s histogram of a million values: 209 against 510 µs) for 0.4% more bytes.
         */
        private void outputHistogram(final PrintStream print, final Histogram histogram)
        {
            final int capacity = histogram.getNeededByteBufferCapacity();
            if (null == encodeBuffer || encodeBuffer.capacity() < capacity)
            {
                encodeBuffer = ByteBuffer.allocate(capacity);
            }
            encodeBuffer.clear();
            final int length = histogram.encodeIntoCompressedByteBuffer(encodeBuffer, Deflater.BEST_SPEED);
            print.printf(Locale.US, "Tag=%s,%.3f,%.3f,%.3f,%s\n",
                histogram.getTag(),
                (histogram.getStartTimeStamp() - startMs) / 1000.0,
                (histogram.getEndTimeStamp() - histogram.getStartTimeStamp()) / 1000.0,
                histogram.getMaxValueAsDouble() / MAX_VALUE_UNIT_RATIO,
                Base64.getEncoder().encodeToString(Arrays.copyOf(encodeBuffer.array(), length)));
        }

        private void report(final long nowMs)
        {
            bytes.reset();
            final PrintStream print = new PrintStream(bytes, false, StandardCharsets.US_ASCII);
            final HistogramLogWriter writer = new HistogramLogWriter(print);
            writer.outputLogFormatVersion();
            writer.outputStartTime(startMs);
            writer.setBaseTime(startMs);
            for (int i = 0; i < recorders.length; i++)
            {
                intervals[i] = recorders[i].getIntervalHistogram(intervals[i]);
                intervals[i].setTag(stageNames[i] + INTERVAL);
                intervals[i].setStartTimeStamp(intervalStartMs);
                intervals[i].setEndTimeStamp(nowMs);
                totals[i].add(intervals[i]);
                totals[i].setEndTimeStamp(nowMs);
                outputHistogram(print, intervals[i]);
                outputHistogram(print, totals[i]);
                if (null != intervalLog)
                {
                    final String tag = intervals[i].getTag();
                    intervals[i].setTag(stageNames[i]);
                    intervalLog.outputIntervalHistogram(intervals[i]);
                    intervals[i].setTag(tag);
                }
            }
            print.flush();
            intervalStartMs = nowMs;

            try
            {
                Files.write(tmpFile, bytes.toByteArray());
                Files.move(tmpFile, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("could not write " + file, ex);
            }
        }
    }
}
