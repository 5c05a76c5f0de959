/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Reusable holder for the outcome of {@link PartitionLog#read}: a zero-copy view of whole record batches in a
 * segment's mapped memory, and the offsets a fetch response needs.
 * <p>
 * Owned by one reader thread and reused for every read, so reads allocate nothing. The view points into the
 * log's memory-mapped segment: it stays valid while that segment is in the log and for
 * {@code file.delete.delay.ms} after retention or truncation removes it, so send or copy it promptly and never
 * hold it across that delay. Treat it as read-only.
 */
public final class LogReadResult
{
    private final UnsafeBuffer buffer = new UnsafeBuffer();
    private int length;
    private int batchCount;
    private long firstOffset;
    private long nextOffset;
    private long highWaterMark;
    private long logStartOffset;
    private long logEndOffset;

    /**
     * Create an empty result to pass to {@link PartitionLog#read}.
     */
    public LogReadResult()
    {
        reset(PartitionLog.NULL_OFFSET, PartitionLog.NULL_OFFSET, PartitionLog.NULL_OFFSET, PartitionLog.NULL_OFFSET);
    }

    /**
     * The batches read: bytes {@code [0, length())} of this buffer, exactly as stored.
     *
     * @return a read-only view, empty when nothing was read.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Bytes of whole batches in {@link #buffer()}.
     *
     * @return length in bytes, 0 when nothing was read.
     */
    public int length()
    {
        return length;
    }

    /**
     * Number of batches in the view.
     *
     * @return batch count.
     */
    public int batchCount()
    {
        return batchCount;
    }

    /**
     * Base offset of the first batch in the view, which may be below the offset asked for.
     *
     * @return offset, or {@link PartitionLog#NULL_OFFSET} when nothing was read.
     */
    public long firstOffset()
    {
        return firstOffset;
    }

    /**
     * Offset to read next: one past the last offset in the view, or the offset asked for when nothing was read.
     *
     * @return next offset.
     */
    public long nextOffset()
    {
        return nextOffset;
    }

    /**
     * High-water mark the read was bounded by.
     *
     * @return high-water mark offset.
     */
    public long highWaterMark()
    {
        return highWaterMark;
    }

    /**
     * Log start offset seen by the read.
     *
     * @return log start offset.
     */
    public long logStartOffset()
    {
        return logStartOffset;
    }

    /**
     * Log end offset seen by the read.
     *
     * @return log end offset.
     */
    public long logEndOffset()
    {
        return logEndOffset;
    }

    /**
     * Fill the result with batches a {@link RemoteLogReader} read from the archive tier.
     *
     * @param source      holding the batches.
     * @param position    of the first batch in the source.
     * @param length      bytes of whole batches.
     * @param batchCount  number of batches.
     * @param firstOffset base offset of the first batch.
     * @param nextOffset  one past the last offset of the last batch.
     */
    public void wrapRemote(
        final DirectBuffer source,
        final int position,
        final int length,
        final int batchCount,
        final long firstOffset,
        final long nextOffset)
    {
        set(source, position, length, batchCount, firstOffset, nextOffset);
    }

    void reset(final long nextOffset, final long highWaterMark, final long logStartOffset, final long logEndOffset)
    {
        buffer.wrap(0, 0);
        this.length = 0;
        this.batchCount = 0;
        this.firstOffset = PartitionLog.NULL_OFFSET;
        this.nextOffset = nextOffset;
        this.highWaterMark = highWaterMark;
        this.logStartOffset = logStartOffset;
        this.logEndOffset = logEndOffset;
    }

    void set(
        final DirectBuffer segmentBuffer,
        final int position,
        final int length,
        final int batchCount,
        final long firstOffset,
        final long nextOffset)
    {
        buffer.wrap(segmentBuffer, position, length);
        this.length = length;
        this.batchCount = batchCount;
        this.firstOffset = firstOffset;
        this.nextOffset = nextOffset;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "LogReadResult{length=" + length + ", batchCount=" + batchCount + ", firstOffset=" + firstOffset +
            ", nextOffset=" + nextOffset + ", highWaterMark=" + highWaterMark + ", logStartOffset=" +
            logStartOffset + ", logEndOffset=" + logEndOffset + '}';
    }
}
