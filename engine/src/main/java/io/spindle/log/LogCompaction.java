/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import java.io.File;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * One partition log's compaction over time: whether the log has been compacted (its offsets may have gaps), when a
 * cleaning of its sealed segments is due, the cleaning in flight on the {@link LogCleaner}, and swapping the
 * finished result in or discarding it. See {@link LogCleaning} for what a cleaning keeps and for the crash-safe
 * swap, and {@link PartitionLog#startCleaning} for when a cleaning is due.
 * <p>
 * Owned by one {@link PartitionLog} and used on its writer thread only. The log keeps its segment array: a swap
 * asks it to publish each cleaned segment in place of the old one ({@link PartitionLog#replaceSegment}) and to
 * forget the aborted transactions whose markers the cleaning removed.
 */
final class LogCompaction
{
    private final File directory;
    private boolean isCompacted;
    private LogCleaner cleaner;
    private LogCleaning cleaning;
    private long firstDirtyOffset;
    private int cleaningsCompleted;
    private Throwable lastCleanerFailure;

    /**
     * @param directory        of the partition.
     * @param isCompacted      whether recovery found the log compacted.
     * @param firstDirtyOffset where the segments not yet cleaned start: the log start offset at open.
     */
    LogCompaction(final File directory, final boolean isCompacted, final long firstDirtyOffset)
    {
        this.directory = directory;
        this.isCompacted = isCompacted;
        this.firstDirtyOffset = firstDirtyOffset;
    }

    /**
     * Run the cleanings on a given cleaner instead of {@link LogCleaner#shared()}; before the first cleaning.
     *
     * @param cleaner to submit cleanings to.
     */
    void cleaner(final LogCleaner cleaner)
    {
        this.cleaner = cleaner;
    }

    /**
     * Whether a cleaning was ever swapped into this log's directory, so its offsets may have gaps.
     *
     * @return true once the directory holds the compaction marker file.
     */
    boolean isCompacted()
    {
        return isCompacted;
    }

    /**
     * Whether a cleaning was started and not yet completed.
     *
     * @return true while a cleaning is in flight.
     */
    boolean isCleaning()
    {
        return null != cleaning;
    }

    /**
     * Cleanings swapped in since the log was opened.
     *
     * @return count of completed cleanings.
     */
    int cleaningsCompleted()
    {
        return cleaningsCompleted;
    }

    /**
     * Why the last cleaning failed, if one did.
     *
     * @return the failure, or null.
     */
    Throwable lastCleanerFailure()
    {
        return lastCleanerFailure;
    }

    /**
     * Make the segment starting at an offset dirty again, as a truncation into it does: the next cleaning maps its
     * keys.
     *
     * @param baseOffset of the segment appended to again.
     */
    void dirtyFrom(final long baseOffset)
    {
        firstDirtyOffset = Math.min(firstDirtyOffset, baseOffset);
    }

    /**
     * Restart the dirty range at an offset, as when the log is emptied and starts again there.
     *
     * @param offset the new log start offset.
     */
    void firstDirtyOffset(final long offset)
    {
        firstDirtyOffset = offset;
    }

    /**
     * Submit a cleaning of the cleanable sealed segments if one is due or forced; see
     * {@link PartitionLog#startCleaning}. The log has checked it is compacted, healthy and not cleaning already.
     *
     * @param segments     the log's segments, oldest first.
     * @param stableOffset the last stable offset: no segment reaching it is cleanable.
     * @param stateTimeMs  state-machine time, for the compaction lags and tombstone expiry.
     * @param config       the log's current config.
     * @param force        clean even if no cleaning is due.
     * @return true if a cleaning was started.
     */
    boolean start(
        final LogSegment[] segments,
        final long stableOffset,
        final long stateTimeMs,
        final LogConfig config,
        final boolean force)
    {
        final long minLagMs = config.minCompactionLagMs();
        int count = 0;
        for (int i = 0; i < segments.length - 1; i++)
        {
            final LogSegment segment = segments[i];
            if (segments[i + 1].baseOffset > stableOffset ||
                (minLagMs > 0 && segment.maxTimestampMs() > stateTimeMs - minLagMs))
            {
                break;
            }
            count = i + 1;
        }

        if (0 == count)
        {
            return false;
        }

        long totalBytes = 0;
        long dirtyBytes = 0;
        long oldestDirtyTimestampMs = Long.MAX_VALUE;
        for (int i = 0; i < count; i++)
        {
            final LogSegment segment = segments[i];
            totalBytes += segment.size();
            if (segment.baseOffset >= firstDirtyOffset)
            {
                dirtyBytes += segment.size();
                oldestDirtyTimestampMs = Math.min(oldestDirtyTimestampMs, segment.maxTimestampMs());
            }
        }

        final long maxLagMs = config.maxCompactionLagMs();
        final boolean isDue = dirtyBytes > 0 && (dirtyBytes >= config.minCleanableDirtyRatio() * totalBytes ||
            (Long.MAX_VALUE != maxLagMs && oldestDirtyTimestampMs <= stateTimeMs - maxLagMs));
        if (!force && !isDue)
        {
            return false;
        }

        if (null == cleaner)
        {
            cleaner = LogCleaner.shared();
        }

        final LogCleaning task = new LogCleaning(
            directory, Arrays.copyOf(segments, count), segments[count].baseOffset, stateTimeMs,
            config.deleteRetentionMs(), firstDirtyOffset);
        cleaning = task;
        cleaner.submit(task);
        return true;
    }

    /**
     * Swap in the result of a finished cleaning, or discard it if the log changed under it (retention, truncation)
     * or it failed; see {@link PartitionLog#completeCleaning}. A failed swap stops the log's appends.
     *
     * @param log   whose cleaning this is.
     * @param nowMs host time, for the unmap delay of replaced segments.
     * @return 1 if a finished cleaning was handled, else 0.
     */
    int complete(final PartitionLog log, final long nowMs)
    {
        final LogCleaning task = cleaning;
        if (null == task || !task.isFinished())
        {
            return 0;
        }

        cleaning = null;
        if (!task.isDone())
        {
            lastCleanerFailure = task.failure();
            task.deleteOutputs();
            return 1;
        }

        final LogSegment[] segments = log.segments();
        int first = -1;
        for (int i = 0; i < segments.length && first < 0; i++)
        {
            first = segments[i] == task.segments[0] ? i : -1;
        }

        boolean isIntact = first >= 0 && first + task.segments.length < segments.length;
        for (int i = 0; isIntact && i < task.segments.length; i++)
        {
            isIntact = segments[first + i] == task.segments[i] && !task.segments[i].isDeleted();
        }

        if (!isIntact)
        {
            task.deleteOutputs();
            return 1;
        }

        final LogConfig config = log.config();
        try
        {
            final long deadlineMs = nowMs + config.fileDeleteDelayMs();
            for (int i = 0, cleaned = task.cleanedSegments(); i < cleaned; i++)
            {
                final File cleanedFile = task.cleanedFile(i);
                if (null == cleanedFile)
                {
                    continue;
                }

                if (!isCompacted)
                {
                    LogCleaning.writeMarker(directory);
                    isCompacted = true;
                }

                final LogSegment old = task.segments[i];
                LogCleaning.swap(directory, old.baseOffset, cleanedFile);
                final LogSegment fresh = LogSegment.open(
                    directory, old.baseOffset, false, config.segmentBytes(), config.indexIntervalBytes());
                fresh.allowOffsetGaps();
                fresh.recover(Long.MAX_VALUE, config.indexIntervalBytes());
                fresh.markFlushed();

                log.replaceSegment(first + i, fresh, old, deadlineMs);
            }
        }
        catch (final UncheckedIOException ex)
        {
            task.deleteOutputs();
            log.storageError(ex);
            lastCleanerFailure = ex;
            cleaner.onError();
            return 1;
        }

        log.abortMarkersRemoved(task.removedAbortMarkers());
        firstDirtyOffset = task.nextDirtyOffset();
        cleaningsCompleted++;
        return 1;
    }

    /**
     * Cancel the cleaning in flight, if any, and wait (up to 30s) for the cleaner to let go of it, as the log
     * closes.
     *
     * @param isDiscarded delete the cleaning's output files; false leaves them as a crash would.
     */
    void stop(final boolean isDiscarded)
    {
        final LogCleaning task = cleaning;
        if (null == task)
        {
            return;
        }

        task.cancel();
        final long deadlineNs = System.nanoTime() + 30_000_000_000L;
        while (!task.isFinished() && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(1_000_000L);
        }

        if (isDiscarded)
        {
            task.deleteOutputs();
        }
        cleaning = null;
    }
}
