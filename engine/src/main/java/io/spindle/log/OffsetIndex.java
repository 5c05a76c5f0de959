/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;

/**
 * Sparse, memory-mapped index from offset to byte position within one segment's {@code .log} file.
 * <p>
 * File layout, {@code <20-digit base offset>.index}, little-endian, one 8-byte entry per indexed batch, in
 * increasing order of both fields:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                   relativeOffset (int32)                      |  batch baseOffset - segment baseOffset
 *  +---------------------------------------------------------------+
 *  |                   position (int32)                            |  byte position of the batch in the .log
 *  +---------------------------------------------------------------+
 *  |                   ... next entry ...                          |
 * </pre>
 * An entry is added for a batch when at least {@code index.interval.bytes} of batches were appended since the
 * previous entry (or the segment start); the batch at position 0 is never indexed, so every real entry has a
 * position above 0 and an all-zero entry marks the end of the entries in a preallocated file.
 * <p>
 * Lookups binary-search primitives read straight from the mapped buffer and allocate nothing. Threading is
 * described in {@link MappedIndex}.
 */
final class OffsetIndex extends MappedIndex
{
    /**
     * Bytes per entry.
     */
    static final int ENTRY_LENGTH = 8;
    static final int RELATIVE_OFFSET_OFFSET = 0;
    static final int POSITION_OFFSET = 4;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    OffsetIndex(final File file, final int capacityEntries, final boolean preallocate)
    {
        this(file, capacityEntries, preallocate, AppendMode.MAPPED);
    }

    OffsetIndex(final File file, final int capacityEntries, final boolean preallocate, final AppendMode appendMode)
    {
        super(file, ENTRY_LENGTH, capacityEntries, preallocate, appendMode);
    }

    /**
     * Relative offset of an entry.
     *
     * @param entry index of the entry.
     * @return offset of the indexed batch minus the segment base offset.
     */
    int relativeOffset(final int entry)
    {
        return buffer.getInt(entry * ENTRY_LENGTH + RELATIVE_OFFSET_OFFSET, ORDER);
    }

    /**
     * Byte position of an entry's batch.
     *
     * @param entry index of the entry.
     * @return position in the segment's log file.
     */
    int position(final int entry)
    {
        return buffer.getInt(entry * ENTRY_LENGTH + POSITION_OFFSET, ORDER);
    }

    /**
     * Append an entry and publish it; the writer thread only, after the batch bytes it points at are written.
     *
     * @param relativeOffset of the batch.
     * @param position       of the batch.
     * @throws UncheckedIOException if the entry cannot be written ({@link AppendMode#WRITE}).
     */
    void append(final int relativeOffset, final int position)
    {
        put(relativeOffset, position);
        writeAndPublishEntry();
    }

    /**
     * Put the next entry's fields where {@link #writeEntry()} writes them from; nothing is published.
     *
     * @param relativeOffset of the batch.
     * @param position       of the batch.
     */
    void put(final int relativeOffset, final int position)
    {
        final UnsafeBuffer entry = entryBuffer();
        final int index = entryOffset();
        entry.putInt(index + RELATIVE_OFFSET_OFFSET, relativeOffset, ORDER);
        entry.putInt(index + POSITION_OFFSET, position, ORDER);
    }

    /**
     * The last entry whose relative offset is at or below the target.
     *
     * @param relativeOffset to look up.
     * @param entryCount     entries to search, as acquired by the caller.
     * @return the entry index, or -1 if every entry is above the target (start at position 0).
     */
    int floorEntry(final long relativeOffset, final int entryCount)
    {
        int low = 0;
        int high = entryCount - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (relativeOffset(mid) <= relativeOffset)
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
     * The first entry whose position is at or above a byte position.
     *
     * @param position   to look up.
     * @param entryCount entries to search.
     * @return the entry index, or {@code entryCount} if every entry is below the position.
     */
    int ceilingEntryByPosition(final int position, final int entryCount)
    {
        int low = 0;
        int high = entryCount - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (position(mid) < position)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return low;
    }

    /**
     * Count entries up to the first all-zero one, and check they increase in both fields and stay below a limit;
     * used when opening a segment, before any reader exists.
     *
     * @param dataLength bytes of data in the segment file: every position must be below it.
     * @return the entry count, or -1 if the entries are not a valid index.
     */
    int loadEntryCount(final long dataLength)
    {
        final int capacity = capacityEntries();
        int previousRelativeOffset = 0;
        int previousPosition = 0;
        int count = 0;
        while (count < capacity)
        {
            if (isUnwrittenPage(count))
            {
                break;
            }

            final int relativeOffset = relativeOffset(count);
            final int position = position(count);
            if (0 == relativeOffset && 0 == position)
            {
                break;
            }

            if (relativeOffset <= previousRelativeOffset || position <= previousPosition || position >= dataLength)
            {
                return -1;
            }

            previousRelativeOffset = relativeOffset;
            previousPosition = position;
            count++;
        }

        publishEntryCount(count);
        return count;
    }
}
