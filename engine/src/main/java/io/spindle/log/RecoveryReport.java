/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import java.util.List;

/**
 * What opening a partition log found and changed: per segment, the bytes it validated and the batches and bytes
 * it cut, for the host to log as a warning and count.
 * <p>
 * Immutable; built once by {@link PartitionLog#open}.
 */
public final class RecoveryReport
{
    /**
     * Recovery of one segment.
     *
     * @param baseOffset     of the segment.
     * @param bytesScanned   bytes validated by length and CRC, from the scan start to the last valid batch.
     * @param batchesScanned valid batches in the scanned range.
     * @param batchesCut     length-delimited batch frames in the cut range (the damaged one and any after it).
     * @param bytesCut       bytes from the end of the last valid batch to the last non-zero byte, all cut.
     * @param indexRebuilt   whether the indexes were missing or inconsistent and rebuilt from a full scan.
     * @param deleted        whether the whole segment was deleted because an earlier segment was cut.
     * @param reason         why bytes were cut, or null if nothing was.
     */
    public record SegmentRecovery(
        long baseOffset,
        long bytesScanned,
        int batchesScanned,
        int batchesCut,
        long bytesCut,
        boolean indexRebuilt,
        boolean deleted,
        String reason)
    {
    }

    private final long recoveryPointOffset;
    private final boolean isCleanShutdown;
    private final List<SegmentRecovery> segments;

    RecoveryReport(final long recoveryPointOffset, final boolean isCleanShutdown, final List<SegmentRecovery> segments)
    {
        this.recoveryPointOffset = recoveryPointOffset;
        this.isCleanShutdown = isCleanShutdown;
        this.segments = List.copyOf(segments);
    }

    /**
     * Recovery point read at open: every batch below it had been forced to the device.
     *
     * @return the offset, or {@link PartitionLog#NULL_OFFSET} if there was no valid checkpoint.
     */
    public long recoveryPointOffset()
    {
        return recoveryPointOffset;
    }

    /**
     * Whether the log had been closed cleanly, so only the tail after the last index entry was scanned.
     *
     * @return true after a clean close.
     */
    public boolean isCleanShutdown()
    {
        return isCleanShutdown;
    }

    /**
     * Per-segment results, oldest first, including segments deleted because an earlier one was cut.
     *
     * @return the segments.
     */
    public List<SegmentRecovery> segments()
    {
        return segments;
    }

    /**
     * Total batch frames cut.
     *
     * @return batches cut over all segments.
     */
    public int batchesCut()
    {
        int total = 0;
        for (final SegmentRecovery segment : segments)
        {
            total += segment.batchesCut();
        }

        return total;
    }

    /**
     * Total bytes cut.
     *
     * @return bytes cut over all segments.
     */
    public long bytesCut()
    {
        long total = 0;
        for (final SegmentRecovery segment : segments)
        {
            total += segment.bytesCut();
        }

        return total;
    }

    /**
     * Total bytes validated.
     *
     * @return bytes scanned over all segments.
     */
    public long bytesScanned()
    {
        long total = 0;
        for (final SegmentRecovery segment : segments)
        {
            total += segment.bytesScanned();
        }

        return total;
    }

    /**
     * Whether recovery changed anything on disk worth a warning: bytes cut or segments deleted.
     *
     * @return true if data was cut.
     */
    public boolean hasCut()
    {
        for (final SegmentRecovery segment : segments)
        {
            if (segment.bytesCut() > 0 || segment.deleted())
            {
                return true;
            }
        }

        return false;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("RecoveryReport{recoveryPoint=").append(recoveryPointOffset)
            .append(", cleanShutdown=").append(isCleanShutdown)
            .append(", bytesScanned=").append(bytesScanned())
            .append(", batchesCut=").append(batchesCut())
            .append(", bytesCut=").append(bytesCut());
        for (final SegmentRecovery segment : segments)
        {
            if (segment.bytesCut() > 0 || segment.deleted() || segment.indexRebuilt())
            {
                sb.append(", ").append(segment);
            }
        }

        return sb.append('}').toString();
    }
}
