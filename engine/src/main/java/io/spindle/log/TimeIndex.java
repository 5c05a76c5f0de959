/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;

/**
 * Sparse, memory-mapped index from timestamp to offset within one segment, paired entry for entry with the
 * segment's {@link OffsetIndex}.
 * <p>
 * File layout, {@code <20-digit base offset>.timeindex}, little-endian, one 12-byte entry per offset index entry:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                   timestampMs (int64)                         |  largest maxTimestamp of the batches
 *  |                                                               |  before this entry's batch
 *  +---------------------------------------------------------------+
 *  |                   relativeOffset (int32)                      |  same as offset index entry i
 *  +---------------------------------------------------------------+
 *  |                   ... next entry ...                          |
 * </pre>
 * Entry {@code i} is written together with offset index entry {@code i}, so timestamps never decrease along the
 * file. For a target {@code ts}, the last entry with {@code timestampMs < ts} proves that every batch before its
 * position has {@code maxTimestamp < ts}, so the first batch with {@code maxTimestamp >= ts} is found by a short
 * forward scan from there. Writing an entry for every offset index entry, rather than only when the timestamp
 * grows as Kafka does, costs a few bytes and lets recovery check the two files against each other.
 * <p>
 * Lookups binary-search primitives read straight from the mapped buffer and allocate nothing. Threading is
 * described in {@link MappedIndex}.
 */
final class TimeIndex extends MappedIndex
{
    /**
     * Bytes per entry.
     */
    static final int ENTRY_LENGTH = 12;
    static final int TIMESTAMP_OFFSET = 0;
    static final int RELATIVE_OFFSET_OFFSET = 8;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    TimeIndex(final File file, final int capacityEntries, final boolean preallocate)
    {
        this(file, capacityEntries, preallocate, AppendMode.MAPPED);
    }

    TimeIndex(final File file, final int capacityEntries, final boolean preallocate, final AppendMode appendMode)
    {
        super(file, ENTRY_LENGTH, capacityEntries, preallocate, appendMode);
    }

    /**
     * Timestamp of an entry.
     *
     * @param entry index of the entry.
     * @return largest batch maxTimestamp before the entry's batch, in ms.
     */
    long timestampMs(final int entry)
    {
        return buffer.getLong(entry * ENTRY_LENGTH + TIMESTAMP_OFFSET, ORDER);
    }

    /**
     * Relative offset of an entry.
     *
     * @param entry index of the entry.
     * @return offset of the entry's batch minus the segment base offset.
     */
    int relativeOffset(final int entry)
    {
        return buffer.getInt(entry * ENTRY_LENGTH + RELATIVE_OFFSET_OFFSET, ORDER);
    }

    /**
     * Append an entry and publish it; the writer thread only, after the matching offset index entry.
     *
     * @param timestampMs    largest maxTimestamp before the batch.
     * @param relativeOffset of the batch.
     * @throws UncheckedIOException if the entry cannot be written ({@link AppendMode#WRITE}).
     */
    void append(final long timestampMs, final int relativeOffset)
    {
        put(timestampMs, relativeOffset);
        writeAndPublishEntry();
    }

    /**
     * Put the next entry's fields where {@link #writeEntry()} writes them from; nothing is published.
     *
     * @param timestampMs    largest maxTimestamp before the batch.
     * @param relativeOffset of the batch.
     */
    void put(final long timestampMs, final int relativeOffset)
    {
        final UnsafeBuffer entry = entryBuffer();
        final int index = entryOffset();
        entry.putLong(index + TIMESTAMP_OFFSET, timestampMs, ORDER);
        entry.putInt(index + RELATIVE_OFFSET_OFFSET, relativeOffset, ORDER);
    }

    /**
     * The last entry whose timestamp is below the target.
     *
     * @param timestampMs target timestamp.
     * @param entryCount  entries to search, as acquired by the caller.
     * @return the entry index, or -1 if none is below the target (scan from position 0).
     */
    int lastEntryBelow(final long timestampMs, final int entryCount)
    {
        int low = 0;
        int high = entryCount - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (timestampMs(mid) < timestampMs)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return high;
    }

    /**
     * Check the first entries pair with the offset index and never decrease, and publish their count; used when
     * opening a segment, before any reader exists.
     *
     * @param offsetIndex already loaded.
     * @param count       entries of the offset index.
     * @return true if the time index is consistent with the offset index.
     */
    boolean loadEntryCount(final OffsetIndex offsetIndex, final int count)
    {
        if (count > capacityEntries())
        {
            return false;
        }

        long previousTimestampMs = Long.MIN_VALUE;
        for (int i = 0; i < count; i++)
        {
            final long timestampMs = timestampMs(i);
            if (relativeOffset(i) != offsetIndex.relativeOffset(i) || timestampMs < previousTimestampMs)
            {
                return false;
            }
            previousTimestampMs = timestampMs;
        }

        publishEntryCount(count);
        return true;
    }
}
