/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.IoUtil;

import java.io.File;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.spindle.log.PartitionLog.NULL_OFFSET;

/**
 * Recovery of a partition directory when {@link PartitionLog#open} opens it, after Kafka's {@code LogLoader}:
 * finishes or discards an interrupted compaction swap, deletes index files without a log file, opens the segments
 * oldest first and checks each (see {@link LogSegment#recover}), cuts the first invalid batch and everything after
 * it (deleting any later segment, and any segment that does not follow its predecessor), creates an empty segment
 * at offset 0 in an empty directory, and reports what it found and cut.
 * <p>
 * Used once, by the thread opening the log. {@link #load} hands the opened segments to the log; if recovery
 * fails it closes the segments it had opened and rethrows. The recovery-point file is the log's: the loader is given
 * the stored point, to know how much of the active segment to trust and whether the last close was clean, and
 * derives the point the log records at open.
 */
final class LogLoader
{
    private static final LogSegment[] NO_SEGMENTS = new LogSegment[0];

    private final File directory;
    private final LogConfig config;
    private boolean isCompacted;
    private long recoveryPoint;
    private RecoveryReport recoveryReport;

    /**
     * @param directory of the partition, which exists.
     * @param config    of the topic, concluded.
     */
    LogLoader(final File directory, final LogConfig config)
    {
        this.directory = directory;
        this.config = config;
    }

    /**
     * Recover the directory's segments; once.
     *
     * @param storedRecoveryPoint read from the recovery-point file, or {@link PartitionLog#NULL_OFFSET} if none.
     * @return the segments, oldest first, at least one; the last is the active segment, open read-write.
     * @throws UncheckedIOException if the files cannot be opened or repaired; no segment is left open.
     */
    LogSegment[] load(final long storedRecoveryPoint)
    {
        final List<RecoveryReport.SegmentRecovery> reports = new ArrayList<>();
        final ArrayList<LogSegment> opened = new ArrayList<>();
        try
        {
            isCompacted = LogCleaning.recoverSwaps(directory);
            recoverSegments(listBaseOffsets(directory), storedRecoveryPoint, opened, reports);
            if (opened.isEmpty())
            {
                opened.add(LogSegment.create(directory, 0, config.segmentBytes(), config.indexIntervalBytes()));
            }
        }
        catch (final RuntimeException ex)
        {
            for (final LogSegment segment : opened)
            {
                segment.close();
            }
            throw ex;
        }

        final LogSegment[] recovered = opened.toArray(NO_SEGMENTS);
        final long endOffset = recovered[recovered.length - 1].nextOffset();
        long recoveryPoint = NULL_OFFSET == storedRecoveryPoint ? recovered[0].baseOffset :
            Math.min(storedRecoveryPoint, endOffset);
        for (final LogSegment segment : recovered)
        {
            if (segment.nextOffset() <= recoveryPoint)
            {
                segment.markFlushed();
            }
        }
        recoveryPoint = Math.max(recoveryPoint, recovered[0].baseOffset);
        this.recoveryPoint = recoveryPoint;

        boolean isCut = false;
        for (final RecoveryReport.SegmentRecovery report : reports)
        {
            isCut |= report.bytesCut() > 0 || report.deleted();
        }
        recoveryReport = new RecoveryReport(
            storedRecoveryPoint, NULL_OFFSET != storedRecoveryPoint && storedRecoveryPoint >= endOffset && !isCut,
            reports);

        return recovered;
    }

    /**
     * Whether the log has been compacted, so its offsets may have gaps; after {@link #load}.
     *
     * @return true if the directory holds the compaction marker file.
     */
    boolean isCompacted()
    {
        return isCompacted;
    }

    /**
     * Offset below which every batch was forced before the log was opened, as far as the stored recovery point
     * says: within the log, and at least its start; segments wholly below it are marked flushed. After
     * {@link #load}.
     *
     * @return the recovery point to record for the opened log.
     */
    long recoveryPoint()
    {
        return recoveryPoint;
    }

    /**
     * What {@link #load} found and cut.
     *
     * @return the report.
     */
    RecoveryReport recoveryReport()
    {
        return recoveryReport;
    }

    private void recoverSegments(
        final long[] baseOffsets,
        final long storedRecoveryPoint,
        final ArrayList<LogSegment> opened,
        final List<RecoveryReport.SegmentRecovery> reports)
    {
        final int indexIntervalBytes = config.indexIntervalBytes();
        final int segmentBytes = config.segmentBytes();
        for (int i = 0; i < baseOffsets.length; i++)
        {
            final boolean isLast = i == baseOffsets.length - 1;
            final LogSegment segment = LogSegment.open(directory, baseOffsets[i], isLast, segmentBytes,
                indexIntervalBytes);
            allowGapsIfCompacted(segment);
            final long trustedBelowOffset = !isLast ? Long.MAX_VALUE :
                (NULL_OFFSET == storedRecoveryPoint ? Long.MIN_VALUE : storedRecoveryPoint);

            RecoveryReport.SegmentRecovery report;
            try
            {
                report = segment.recover(trustedBelowOffset, indexIntervalBytes);
            }
            catch (final RuntimeException ex)
            {
                segment.close();
                throw ex;
            }

            final LogSegment previous = opened.isEmpty() ? null : opened.get(opened.size() - 1);
            if (null != previous && (isCompacted ? previous.nextOffset() > segment.baseOffset :
                previous.nextOffset() != segment.baseOffset))
            {
                final String reason = "segment base offset " + segment.baseOffset +
                    " does not follow the previous segment's end " + previous.nextOffset();
                reports.add(new RecoveryReport.SegmentRecovery(segment.baseOffset, 0, 0,
                    report.batchesScanned(), segment.size(), false, true, reason));
                segment.delete(0);
                segment.close();
                deleteSegments(baseOffsets, i + 1, reports);
                reopenAsActive(opened, reports);
                return;
            }

            reports.add(report);
            opened.add(segment);
            if (!isLast && report.bytesCut() > 0)
            {
                deleteSegments(baseOffsets, i + 1, reports);
                reopenAsActive(opened, reports);
                return;
            }
        }
    }

    private void reopenAsActive(final ArrayList<LogSegment> opened, final List<RecoveryReport.SegmentRecovery> reports)
    {
        final int last = opened.size() - 1;
        final LogSegment sealed = opened.get(last);
        sealed.close();
        final LogSegment active = LogSegment.open(directory, sealed.baseOffset, true, config.segmentBytes(),
            config.indexIntervalBytes());
        allowGapsIfCompacted(active);
        opened.set(last, active);
        try
        {
            active.recover(Long.MAX_VALUE, config.indexIntervalBytes());
        }
        catch (final RuntimeException ex)
        {
            opened.remove(last);
            active.close();
            throw ex;
        }
    }

    private void deleteSegments(
        final long[] baseOffsets, final int from, final List<RecoveryReport.SegmentRecovery> reports)
    {
        for (int i = from; i < baseOffsets.length; i++)
        {
            final LogSegment segment = LogSegment.open(directory, baseOffsets[i], false, 0,
                config.indexIntervalBytes());
            final int frames = segment.countFrames(0, segment.capacity());
            reports.add(new RecoveryReport.SegmentRecovery(baseOffsets[i], 0, 0, frames, segment.capacity(),
                false, true, "deleted: an earlier segment was cut"));
            segment.delete(0);
            segment.close();
        }
    }

    private void allowGapsIfCompacted(final LogSegment segment)
    {
        if (isCompacted)
        {
            segment.allowOffsetGaps();
        }
    }

    private static long[] listBaseOffsets(final File directory)
    {
        final String[] names = directory.list();
        if (null == names)
        {
            throw new UncheckedIOException(new java.io.IOException("cannot list " + directory));
        }

        long[] baseOffsets = new long[names.length];
        int count = 0;
        for (final String name : names)
        {
            if (name.endsWith(LogSegment.LOG_SUFFIX))
            {
                final long baseOffset = parseBaseOffset(name, LogSegment.LOG_SUFFIX);
                if (baseOffset >= 0)
                {
                    baseOffsets[count++] = baseOffset;
                }
            }
        }

        for (final String name : names)
        {
            final String suffix = name.endsWith(LogSegment.INDEX_SUFFIX) ? LogSegment.INDEX_SUFFIX :
                (name.endsWith(LogSegment.TIME_INDEX_SUFFIX) ? LogSegment.TIME_INDEX_SUFFIX : null);
            if (null != suffix)
            {
                final long baseOffset = parseBaseOffset(name, suffix);
                boolean hasLog = false;
                for (int i = 0; i < count && !hasLog; i++)
                {
                    hasLog = baseOffsets[i] == baseOffset;
                }

                if (baseOffset >= 0 && !hasLog)
                {
                    IoUtil.deleteIfExists(new File(directory, name));
                }
            }
        }

        baseOffsets = Arrays.copyOf(baseOffsets, count);
        Arrays.sort(baseOffsets);
        return baseOffsets;
    }

    private static long parseBaseOffset(final String name, final String suffix)
    {
        final int digits = name.length() - suffix.length();
        if (20 != digits)
        {
            return -1;
        }

        long value = 0;
        for (int i = 0; i < digits; i++)
        {
            final char c = name.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            value = value * 10 + (c - '0');
            if (value < 0)
            {
                return -1;
            }
        }

        return value;
    }
}
