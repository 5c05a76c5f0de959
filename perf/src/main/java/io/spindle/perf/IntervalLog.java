/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * The intervals of one HdrHistogram interval log, kept in memory while a measurement runs and written afterwards.
 * <p>
 * Each interval is encoded without compression (a pass over the counts, tens of microseconds) and copied into an array
 * of its encoded size, a few kilobytes; the compressed log is written once the measured threads have stopped, so the
 * measuring process takes no CPU from them beyond that pass.
 */
final class IntervalLog
{
    private final List<Interval> intervals = new ArrayList<>();
    private ByteBuffer scratch;

    /**
     * Keep an interval.
     *
     * @param interval its counts and start and end time stamps (ms since the epoch).
     */
    void add(final Histogram interval)
    {
        final int capacity = interval.getNeededByteBufferCapacity();
        if (null == scratch || scratch.capacity() < capacity)
        {
            scratch = ByteBuffer.allocate(capacity);
        }
        scratch.clear();
        final int length = interval.encodeIntoByteBuffer(scratch);
        intervals.add(new Interval(
            interval.getStartTimeStamp(), interval.getEndTimeStamp(), Arrays.copyOf(scratch.array(), length)));
    }

    /**
     * Every interval kept, added up.
     *
     * @return a new histogram with the counts of all intervals.
     */
    Histogram total()
    {
        final Histogram total = LatencyRun.newHistogram();
        for (final Interval interval : intervals)
        {
            total.add(Histogram.decodeFromByteBuffer(ByteBuffer.wrap(interval.encoded), 0));
        }
        return total;
    }

    /**
     * The intervals of this log followed by those of a later one, in a new log.
     *
     * @param later intervals that started after these; not changed.
     * @return the joined log.
     */
    IntervalLog join(final IntervalLog later)
    {
        final IntervalLog joined = new IntervalLog();
        joined.intervals.addAll(intervals);
        joined.intervals.addAll(later.intervals);
        return joined;
    }

    /**
     * Write every interval kept, compressed, as an HdrHistogram interval log whose start and base time are those of
     * the first interval.
     *
     * @param file    where.
     * @param comment the first line's comment; "values in ns" is appended.
     * @throws IOException when the file cannot be written.
     */
    void write(final Path file, final String comment) throws IOException
    {
        final long startMs = intervals.isEmpty() ? System.currentTimeMillis() : intervals.get(0).startMs;
        final HistogramLogWriter writer = new HistogramLogWriter(file.toFile());
        try
        {
            writer.outputComment(comment + "; values in ns");
            writer.outputLogFormatVersion();
            writer.outputStartTime(startMs);
            writer.setBaseTime(startMs);
            writer.outputLegend();
            for (final Interval interval : intervals)
            {
                final Histogram histogram = Histogram.decodeFromByteBuffer(ByteBuffer.wrap(interval.encoded), 0);
                histogram.setStartTimeStamp(interval.startMs);
                histogram.setEndTimeStamp(interval.endMs);
                writer.outputIntervalHistogram(histogram);
            }
        }
        finally
        {
            writer.close();
        }
    }

    private record Interval(long startMs, long endMs, byte[] encoded)
    {
    }
}
