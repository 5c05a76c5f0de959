/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatch;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

import static io.spindle.codecs.batch.RecordBatch.BASE_OFFSET_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BATCH_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.HEADER_LENGTH;
import static io.spindle.codecs.batch.RecordBatch.LAST_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAGIC_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAX_TIMESTAMP_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.PARTITION_LEADER_EPOCH_OFFSET;

/**
 * One segment of a partition log: a memory-mapped {@code .log} file of record batches plus its
 * {@link OffsetIndex} and {@link TimeIndex}.
 * <p>
 * File layout, {@code <20-digit base offset>.log}: record batches back to back, each in the format of
 * {@code io.spindle.codecs.batch.RecordBatchFlyweight}, with {@code baseOffset} assigned by the log:
 * <pre>
 *  0                                   size                          capacity
 *  +-----------+-----------+-----+-----------+--------------------------+
 *  | batch     | batch     | ... | batch     | zeros (sparse, unwritten) |
 *  | base = B  | base = B+n|     |           | batchLength 0 = end       |
 *  +-----------+-----------+-----+-----------+--------------------------+
 * </pre>
 * The active segment's file is preallocated (sparse) to {@code segment.bytes} and mapped read-write whole; a
 * sealed segment's file is trimmed to {@code size}, so its length is where its data ends. A segment opened sealed
 * is mapped read-only at its exact length.
 * <p>
 * <b>Space reservation.</b> A store into a sparse mapped page that the file system cannot back (disk full) raises
 * SIGBUS, which the JVM reports late and asynchronously, after the batch may have been acknowledged. So the writer
 * never stores into a page it has not reserved: {@link #reserve} writes real zeros through the file channel ahead
 * of the batches, {@link #RESERVE_CHUNK_BYTES} at a time (and a page of each index at a time), and a full disk
 * becomes an {@link IOException} there, before anything of the batch is written. Bytes below {@code size} hold
 * data and are allocated; bytes from {@code size} to the reserved mark are zeros already allocated.
 * <p>
 * <b>Threading:</b> the log's writer thread appends, seals, truncates and closes. Reader threads use
 * {@link #sizeAcquire()} and read only bytes below it: batch bytes are written before {@code size} is advanced
 * with a release store, so everything below an acquired size is complete batches. The index entries for a batch
 * are published after its bytes and before its size.
 * <p>
 * <b>Append mode</b> ({@code spindle.storage.append}, read when the segment is opened, see {@link AppendMode}): in
 * {@link AppendMode#MAPPED} the batch is copied into the mapping and patched there. In {@link AppendMode#WRITE} it
 * is copied into the log's staging buffer, patched there and written with positional writes through the channel
 * until all of it is in the file, then its index entries likewise, and only then is {@code size} published: the
 * readers, who read through the mapping, see the bytes (one page cache; a shared mapping sees {@code write(2)})
 * and never a batch part-written. A failed write publishes nothing: what it may have written is zeroed again
 * through the mapping (bytes already reserved, so that store cannot fail) and the append is refused like a
 * refused reservation. {@link #force()} and {@link #forceBatch} force through the channel in that mode; what is
 * still stored through the mapping (truncation's zeros) is forced through the mapping.
 */
final class LogSegment
{
    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";

    /**
     * Max timestamp of a segment without batches.
     */
    static final long NULL_TIMESTAMP = Long.MIN_VALUE;

    /**
     * Bytes of the log file reserved at a time ahead of the appends: system property
     * {@code spindle.storage.reserve.bytes}, default 1 MiB, rounded up to a page.
     */
    static final int RESERVE_CHUNK_BYTES = reserveChunkBytes();

    /**
     * Bytes of zeros written per reservation call into the channel.
     */
    static final int ZEROS_LENGTH = 256 * 1024;

    /**
     * Page size assumed for what a mapping faults in at a time.
     */
    static final int PAGE_SIZE = 4096;

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZEROS_LENGTH);
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle SIZE_VH;
    private static final VarHandle MAX_TIMESTAMP_VH;
    private static final VarHandle IS_DELETED_VH;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            SIZE_VH = lookup.findVarHandle(LogSegment.class, "size", int.class);
            MAX_TIMESTAMP_VH = lookup.findVarHandle(LogSegment.class, "maxTimestampMs", long.class);
            IS_DELETED_VH = lookup.findVarHandle(LogSegment.class, "isDeleted", boolean.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final long baseOffset;
    final File logFile;
    final File indexFile;
    final File timeIndexFile;
    final UnsafeBuffer buffer = new UnsafeBuffer();
    OffsetIndex offsetIndex;
    TimeIndex timeIndex;

    private final RandomAccessFile randomAccessFile;
    private final FileChannel channel;
    private final boolean isWritable;
    private final boolean isPositionalWrite;
    private final AppendMode appendMode;
    private final int indexCapacityEntries;
    private MappedByteBuffer mappedBuffer;
    private int capacity;
    private long fileLengthAtOpen;
    private boolean isIndexMissing;
    private int reservedSize;
    private IOException reserveFailure;
    private IOException injectedReserveFailure;
    private IOException writeFailure;
    private IOException injectedWriteFailure;
    private int injectedWriteFailureAfterBytes;

    private int size;
    private long maxTimestampMs = NULL_TIMESTAMP;
    private boolean isDeleted;

    private long nextOffset;
    private int bytesSinceLastIndexEntry;
    private int flushedSize;
    private long rollStartMs;
    private long unmapDeadlineMs;
    private boolean allowsOffsetGaps;

    private LogSegment(
        final File directory,
        final long baseOffset,
        final boolean isWritable,
        final int capacity,
        final int indexIntervalBytes,
        final boolean isNew)
    {
        this.baseOffset = baseOffset;
        this.logFile = new File(directory, fileName(baseOffset, LOG_SUFFIX));
        this.indexFile = new File(directory, fileName(baseOffset, INDEX_SUFFIX));
        this.timeIndexFile = new File(directory, fileName(baseOffset, TIME_INDEX_SUFFIX));
        this.isWritable = isWritable;
        this.appendMode = StorageConfiguration.appendMode();
        this.isPositionalWrite = AppendMode.WRITE == appendMode;
        this.nextOffset = baseOffset;
        this.rollStartMs = Long.MIN_VALUE;

        if (isNew)
        {
            deleteIfExists(logFile);
            deleteIfExists(indexFile);
            deleteIfExists(timeIndexFile);
        }

        RandomAccessFile raf = null;
        try
        {
            raf = new RandomAccessFile(logFile, "rw");
            fileLengthAtOpen = raf.length();
            final long mapLength = isWritable ? Math.max(capacity, fileLengthAtOpen) : fileLengthAtOpen;
            if (mapLength > Integer.MAX_VALUE)
            {
                throw new IOException("segment too large to map (max 2 GiB - 1): " + logFile + " length=" +
                    mapLength);
            }

            if (isWritable && fileLengthAtOpen < mapLength)
            {
                raf.setLength(mapLength);
            }

            this.randomAccessFile = raf;
            this.channel = raf.getChannel();
            this.capacity = (int)mapLength;
            this.indexCapacityEntries = indexCapacityEntries(this.capacity, indexIntervalBytes);
            this.isIndexMissing = !indexFile.exists() || !timeIndexFile.exists();
            map();
            this.offsetIndex = new OffsetIndex(indexFile, indexCapacityEntries, isWritable, appendMode);
            this.timeIndex = new TimeIndex(timeIndexFile, indexCapacityEntries, isWritable, appendMode);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != offsetIndex)
            {
                offsetIndex.close();
            }
            MappedIndex.closeQuietly(raf);
            if (null != mappedBuffer)
            {
                IoUtil.unmap(mappedBuffer);
            }

            if (ex instanceof IOException)
            {
                throw new UncheckedIOException("failed to open segment " + logFile, (IOException)ex);
            }
            throw (RuntimeException)ex;
        }
    }

    /**
     * Create a new, empty active segment, replacing any files left with its name.
     *
     * @param directory          of the partition.
     * @param baseOffset         of the segment.
     * @param capacity           bytes to preallocate and map.
     * @param indexIntervalBytes sizing the indexes.
     * @return the segment.
     */
    static LogSegment create(
        final File directory, final long baseOffset, final int capacity, final int indexIntervalBytes)
    {
        return new LogSegment(directory, baseOffset, true, capacity, indexIntervalBytes, true);
    }

    /**
     * Open an existing segment's files; the caller then runs {@link #recover}.
     *
     * @param directory          of the partition.
     * @param baseOffset         of the segment.
     * @param isActive           map read-write at capacity (true) or read-only at the file's length.
     * @param capacity           bytes to map an active segment at, at least its file length.
     * @param indexIntervalBytes sizing the indexes.
     * @return the segment.
     */
    static LogSegment open(
        final File directory,
        final long baseOffset,
        final boolean isActive,
        final int capacity,
        final int indexIntervalBytes)
    {
        return new LogSegment(directory, baseOffset, isActive, capacity, indexIntervalBytes, false);
    }

    /**
     * Segment file name: the base offset in 20 digits, zero-padded, then the suffix.
     *
     * @param baseOffset of the segment.
     * @param suffix     such as {@link #LOG_SUFFIX}.
     * @return the file name.
     */
    static String fileName(final long baseOffset, final String suffix)
    {
        final String digits = Long.toString(baseOffset);
        final StringBuilder sb = new StringBuilder(20 + suffix.length());
        for (int i = digits.length(); i < 20; i++)
        {
            sb.append('0');
        }

        return sb.append(digits).append(suffix).toString();
    }

    /**
     * Index entries needed for a segment of this capacity: an entry follows at least
     * {@code max(indexIntervalBytes, one batch header)} bytes of batches.
     *
     * @param capacity           of the segment in bytes.
     * @param indexIntervalBytes between entries.
     * @return capacity of the indexes in entries.
     */
    static int indexCapacityEntries(final int capacity, final int indexIntervalBytes)
    {
        return capacity / Math.max(indexIntervalBytes, HEADER_LENGTH) + 2;
    }

    /**
     * The one rule for where index entries go, shared by append and recovery so a rebuilt index equals the
     * original: a batch gets an entry when it is not at position 0 and at least {@code indexIntervalBytes} of
     * batches were appended since the previous entry (or the segment start).
     *
     * @param position                 of the batch.
     * @param bytesSinceLastIndexEntry bytes of batches since the previous entry.
     * @param indexIntervalBytes       from the config.
     * @return true if the batch gets an index entry.
     */
    static boolean isIndexEntryDue(final int position, final int bytesSinceLastIndexEntry, final int indexIntervalBytes)
    {
        return position > 0 && bytesSinceLastIndexEntry >= indexIntervalBytes;
    }

    /**
     * Accept a batch whose base offset is above the previous batch's end in {@link #recover}, as compaction leaves
     * when it drops whole batches; set only for a partition that was compacted.
     */
    void allowOffsetGaps()
    {
        allowsOffsetGaps = true;
    }

    /**
     * How this segment's appends reach its files, as {@code spindle.storage.append} said when it was opened.
     *
     * @return the mode.
     */
    AppendMode appendMode()
    {
        return appendMode;
    }

    /**
     * Bytes of complete batches, with acquire semantics; readers read only below it.
     *
     * @return published size in bytes.
     */
    int sizeAcquire()
    {
        return (int)SIZE_VH.getAcquire(this);
    }

    /**
     * Bytes of batches; writer thread.
     *
     * @return size in bytes.
     */
    int size()
    {
        return size;
    }

    /**
     * Bytes the mapping holds.
     *
     * @return capacity in bytes.
     */
    int capacity()
    {
        return capacity;
    }

    /**
     * Largest batch maxTimestamp in the segment, with acquire semantics.
     *
     * @return max timestamp in ms, or {@link #NULL_TIMESTAMP} if empty.
     */
    long maxTimestampAcquire()
    {
        return (long)MAX_TIMESTAMP_VH.getAcquire(this);
    }

    /**
     * Largest batch maxTimestamp in the segment; writer thread.
     *
     * @return max timestamp in ms, or {@link #NULL_TIMESTAMP} if empty.
     */
    long maxTimestampMs()
    {
        return maxTimestampMs;
    }

    /**
     * Offset after the last batch; writer thread.
     *
     * @return next offset, the base offset if empty.
     */
    long nextOffset()
    {
        return nextOffset;
    }

    /**
     * Whether the segment has been deleted by retention or truncation, with acquire semantics.
     *
     * @return true once deleted.
     */
    boolean isDeleted()
    {
        return (boolean)IS_DELETED_VH.getAcquire(this);
    }

    /**
     * Time of the first append counted toward segment.ms.
     *
     * @return time in ms, or {@link Long#MIN_VALUE} if nothing appended yet.
     */
    long rollStartMs()
    {
        return rollStartMs;
    }

    /**
     * Start the segment.ms clock.
     *
     * @param nowMs host time of the first append, or of the open for a non-empty segment.
     */
    void rollStartMs(final long nowMs)
    {
        rollStartMs = nowMs;
    }

    /**
     * Time after which a deleted or retired segment may be unmapped.
     *
     * @return deadline in ms.
     */
    long unmapDeadlineMs()
    {
        return unmapDeadlineMs;
    }

    /**
     * Whether a batch fits without a roll.
     *
     * @param length          of the batch.
     * @param lastOffsetDelta of the batch.
     * @param limitBytes      segment size limit from the config.
     * @return true if it fits in bytes, index entries and relative offsets.
     */
    boolean canAppend(final int length, final int lastOffsetDelta, final int limitBytes)
    {
        return (long)size + length <= Math.min(limitBytes, capacity) &&
            !offsetIndex.isFull() &&
            !timeIndex.isFull() &&
            nextOffset + lastOffsetDelta - baseOffset <= Integer.MAX_VALUE;
    }

    /**
     * Make sure the file system has allocated the bytes a batch of this length will be stored in, and one more
     * entry in each index, before anything of it is written; writer thread. The common case is three comparisons.
     *
     * @param length of the batch, which {@link #canAppend} accepted.
     * @return true if the space is reserved; false if the file system refused it (see {@link #reserveFailure()}),
     * in which case nothing was changed and a later call may succeed once space is freed.
     */
    boolean reserve(final int length)
    {
        if (size + length <= reservedSize && offsetIndex.hasReservedEntry() && timeIndex.hasReservedEntry())
        {
            return true;
        }

        try
        {
            reserveSlowly(size + length);
            reserveFailure = null;
            return true;
        }
        catch (final IOException ex)
        {
            reserveFailure = ex;
            return false;
        }
    }

    /**
     * Why the last {@link #reserve} failed.
     *
     * @return the failure, or null if the last reservation succeeded.
     */
    IOException reserveFailure()
    {
        return reserveFailure;
    }

    /**
     * Bytes of the log file reserved so far, for tests.
     *
     * @return the reserved mark in bytes.
     */
    int reservedSize()
    {
        return reservedSize;
    }

    /**
     * Make the following reservations fail as the file system would, for tests of the refusal path.
     *
     * @param failure to throw, or null to stop.
     */
    void injectReserveFailure(final IOException failure)
    {
        injectedReserveFailure = failure;
    }

    private void reserveSlowly(final int end) throws IOException
    {
        if (null != injectedReserveFailure)
        {
            throw injectedReserveFailure;
        }
        if (end > reservedSize)
        {
            final long chunkEnd = ((long)end + RESERVE_CHUNK_BYTES - 1) / RESERVE_CHUNK_BYTES * RESERVE_CHUNK_BYTES;
            final int newReserved = (int)Math.min(capacity, chunkEnd);
            writeZeros(channel, Math.max(reservedSize, size), newReserved, logFile);
            reservedSize = newReserved;
        }
        offsetIndex.reserveEntry();
        timeIndex.reserveEntry();
    }

    /**
     * Write zeros through a channel to a range of its file that holds only zeros, so the file system allocates its
     * blocks (or says it cannot) now rather than at a store into the mapping.
     *
     * @param channel of the file.
     * @param from    first byte.
     * @param to      end of the range, exclusive.
     * @param file    for the error message.
     * @throws IOException if the file system cannot allocate them, e.g. "No space left on device".
     */
    static void writeZeros(final FileChannel channel, final long from, final long to, final File file)
        throws IOException
    {
        final ByteBuffer zeros = ZEROS.duplicate();
        long position = from;
        try
        {
            while (position < to)
            {
                zeros.clear().limit((int)Math.min(ZEROS_LENGTH, to - position));
                while (zeros.hasRemaining())
                {
                    position += channel.write(zeros, position);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new IOException("cannot reserve space in " + file + " at " + position + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Write all of a buffer's remaining bytes at a position of a file with positional writes, which may each write
     * only part of them.
     *
     * @param channel  of the file.
     * @param bytes    from its position to its limit; its position is advanced.
     * @param position in the file of the first byte.
     * @throws IOException if a write fails.
     */
    static void writeFully(final FileChannel channel, final ByteBuffer bytes, final long position) throws IOException
    {
        final int start = bytes.position();
        while (bytes.hasRemaining())
        {
            channel.write(bytes, position + bytes.position() - start);
        }
    }

    /**
     * Copy a validated batch to the end of the segment, assign its base offset, index it and publish it; only after
     * {@link #reserve} returned true for it.
     *
     * @param src                  buffer holding the batch.
     * @param srcOffset            of the batch in the buffer.
     * @param length               of the batch.
     * @param lastOffsetDelta      of the batch.
     * @param batchMaxTimestampMs  of the batch.
     * @param partitionLeaderEpoch to write, or {@link RecordBatch#NO_PARTITION_LEADER_EPOCH} to keep the
     *                             producer's value.
     * @param indexIntervalBytes   between index entries.
     * @param staging              the log's buffer the batch is patched in before a positional write, in
     *                             {@link AppendMode#WRITE}; grown to the batch if needed, unused otherwise.
     * @return the position the batch was written at, or -1 if a positional write failed (see
     * {@link #writeFailure()}): then nothing was published and the segment is as it was.
     */
    int append(
        final DirectBuffer src,
        final int srcOffset,
        final int length,
        final int lastOffsetDelta,
        final long batchMaxTimestampMs,
        final int partitionLeaderEpoch,
        final int indexIntervalBytes,
        final ExpandableDirectByteBuffer staging)
    {
        final int position = size;
        final long batchBaseOffset = nextOffset;
        final boolean isIndexEntryDue = isIndexEntryDue(position, bytesSinceLastIndexEntry, indexIntervalBytes);

        if (isPositionalWrite)
        {
            if (!writeBatch(src, srcOffset, length, partitionLeaderEpoch, staging, position, batchBaseOffset,
                isIndexEntryDue))
            {
                return -1;
            }
        }
        else
        {
            buffer.putBytes(position, src, srcOffset, length);
            buffer.putLong(position + BASE_OFFSET_OFFSET, batchBaseOffset, ORDER);
            if (RecordBatch.NO_PARTITION_LEADER_EPOCH != partitionLeaderEpoch)
            {
                buffer.putInt(position + PARTITION_LEADER_EPOCH_OFFSET, partitionLeaderEpoch, ORDER);
            }
            if (isIndexEntryDue)
            {
                final int relativeOffset = (int)(batchBaseOffset - baseOffset);
                offsetIndex.put(relativeOffset, position);
                timeIndex.put(maxTimestampMs, relativeOffset);
            }
        }

        if (isIndexEntryDue)
        {
            offsetIndex.publishEntry();
            timeIndex.publishEntry();
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += length;

        nextOffset = batchBaseOffset + lastOffsetDelta + 1;
        if (batchMaxTimestampMs > maxTimestampMs)
        {
            maxTimestampMs = batchMaxTimestampMs;
            MAX_TIMESTAMP_VH.setRelease(this, batchMaxTimestampMs);
        }

        final int newSize = position + length;
        size = newSize;
        SIZE_VH.setRelease(this, newSize);

        return position;
    }

    /**
     * The log file's channel, for tests that read what is on disk.
     *
     * @return the channel.
     */
    FileChannel channelForTests()
    {
        return channel;
    }

    /**
     * Why the last {@link #append} returned -1.
     *
     * @return the failure, or null if the last append wrote its batch.
     */
    IOException writeFailure()
    {
        return writeFailure;
    }

    /**
     * Make the following positional writes of batches fail, for tests of the refusal path: the first
     * {@code afterBytes} bytes of the batch are written (zeros of the page cache overwritten), then the failure is
     * thrown, as a write that fails part way would leave them.
     *
     * @param failure    to throw, or null to stop.
     * @param afterBytes of the batch written before the failure.
     */
    void injectWriteFailure(final IOException failure, final int afterBytes)
    {
        injectedWriteFailure = failure;
        injectedWriteFailureAfterBytes = afterBytes;
    }

    private boolean writeBatch(
        final DirectBuffer src,
        final int srcOffset,
        final int length,
        final int partitionLeaderEpoch,
        final ExpandableDirectByteBuffer staging,
        final int position,
        final long batchBaseOffset,
        final boolean isIndexEntryDue)
    {
        staging.putBytes(0, src, srcOffset, length);
        staging.putLong(BASE_OFFSET_OFFSET, batchBaseOffset, ORDER);
        if (RecordBatch.NO_PARTITION_LEADER_EPOCH != partitionLeaderEpoch)
        {
            staging.putInt(PARTITION_LEADER_EPOCH_OFFSET, partitionLeaderEpoch, ORDER);
        }

        final ByteBuffer bytes = staging.byteBuffer();
        bytes.limit(length).position(0);
        boolean isOffsetEntryWritten = false;
        try
        {
            if (null != injectedWriteFailure)
            {
                bytes.limit(Math.min(length, injectedWriteFailureAfterBytes));
                writeFully(channel, bytes, position);
                throw injectedWriteFailure;
            }
            writeFully(channel, bytes, position);

            if (isIndexEntryDue)
            {
                final int relativeOffset = (int)(batchBaseOffset - baseOffset);
                offsetIndex.put(relativeOffset, position);
                offsetIndex.writeEntry();
                isOffsetEntryWritten = true;
                timeIndex.put(maxTimestampMs, relativeOffset);
                timeIndex.writeEntry();
            }
            writeFailure = null;
            return true;
        }
        catch (final IOException ex)
        {
            if (isIndexEntryDue)
            {
                if (isOffsetEntryWritten)
                {
                    timeIndex.discardEntry();
                }
                offsetIndex.discardEntry();
            }
            buffer.setMemory(position, length, (byte)0);
            writeFailure = new IOException("cannot write to " + logFile + " at " + position + ": " +
                ex.getMessage(), ex);
            return false;
        }
    }

    /**
     * Position of the first batch whose last offset is at or above {@code offset}; safe for readers.
     *
     * @param offset to look for.
     * @param limit  published size acquired by the caller.
     * @return its position, or {@code limit} if no batch below the limit reaches the offset.
     */
    int positionOf(final long offset, final int limit)
    {
        final OffsetIndex offsetIndex = this.offsetIndex;
        final int entry = offsetIndex.floorEntry(offset - baseOffset, offsetIndex.entryCountAcquire());
        int position = entry < 0 ? 0 : offsetIndex.position(entry);
        final UnsafeBuffer buffer = this.buffer;

        while (position < limit)
        {
            final long lastOffset = buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER) +
                buffer.getInt(position + LAST_OFFSET_DELTA_OFFSET, ORDER);
            if (lastOffset >= offset)
            {
                return position;
            }

            final int length = buffer.getInt(position + BATCH_LENGTH_OFFSET, ORDER);
            if (length < HEADER_LENGTH)
            {
                return limit;
            }
            position += length;
        }

        return limit;
    }

    /**
     * Base offset of the first batch below the high-water mark whose maxTimestamp is at or above a timestamp;
     * safe for readers.
     *
     * @param timestampMs   target timestamp.
     * @param highWaterMark batches at or above it are not considered.
     * @return the batch's base offset, or {@link PartitionLog#NULL_OFFSET} if there is none.
     */
    long offsetForTimestamp(final long timestampMs, final long highWaterMark)
    {
        final int limit = sizeAcquire();
        final int entry = timeIndex.lastEntryBelow(timestampMs, timeIndex.entryCountAcquire());
        int position = entry < 0 ? 0 : offsetIndex.position(entry);
        final UnsafeBuffer buffer = this.buffer;

        while (position < limit)
        {
            final long batchBaseOffset = buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER);
            if (batchBaseOffset + buffer.getInt(position + LAST_OFFSET_DELTA_OFFSET, ORDER) >= highWaterMark)
            {
                return PartitionLog.NULL_OFFSET;
            }

            if (buffer.getLong(position + MAX_TIMESTAMP_OFFSET, ORDER) >= timestampMs)
            {
                return batchBaseOffset;
            }

            final int length = buffer.getInt(position + BATCH_LENGTH_OFFSET, ORDER);
            if (length < HEADER_LENGTH)
            {
                return PartitionLog.NULL_OFFSET;
            }
            position += length;
        }

        return PartitionLog.NULL_OFFSET;
    }

    /**
     * Validate the segment's indexes and the batches from a trusted point to the end, rebuild the index entries
     * from there, cut whatever follows the last valid batch, and set the segment's state; before any reader.
     * <p>
     * Batches whose last offset is below {@code trustedBelowOffset} are trusted (they were forced to the device,
     * or the segment is sealed); the scan starts at the last index entry at or below it, or at position 0 when
     * the indexes are missing, inconsistent or point at something that is not the expected batch.
     *
     * @param trustedBelowOffset offset below which data is trusted; {@link Long#MAX_VALUE} to scan from the last
     *                           index entry, {@link Long#MIN_VALUE} to scan the whole segment.
     * @param indexIntervalBytes between index entries when rebuilding them.
     * @return what was scanned and cut.
     */
    RecoveryReport.SegmentRecovery recover(final long trustedBelowOffset, final int indexIntervalBytes)
    {
        final int dataLimit = capacity;
        boolean isIndexRebuilt = false;

        int entryCount = offsetIndex.loadEntryCount(isWritable ? fileLengthAtOpen : dataLimit);
        boolean isIndexValid = !isIndexMissing && entryCount >= 0 &&
            timeIndex.loadEntryCount(offsetIndex, entryCount);

        int startEntry = -1;
        if (isIndexValid)
        {
            final long relativeTarget = trustedBelowOffset == Long.MAX_VALUE ? Long.MAX_VALUE :
                (trustedBelowOffset == Long.MIN_VALUE ? -1 : trustedBelowOffset - baseOffset);
            startEntry = offsetIndex.floorEntry(relativeTarget, entryCount);
            if (startEntry >= 0)
            {
                final int position = offsetIndex.position(startEntry);
                final long expectedBaseOffset = baseOffset + offsetIndex.relativeOffset(startEntry);
                if (position + HEADER_LENGTH > dataLimit ||
                    buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER) != expectedBaseOffset)
                {
                    isIndexValid = false;
                }
            }
        }

        if (!isIndexValid)
        {
            rebuildIndexFiles();
            isIndexRebuilt = true;
            isIndexMissing = false;
            startEntry = -1;
            entryCount = 0;
        }
        else
        {
            offsetIndex.truncateToEntries(startEntry + 1);
            timeIndex.truncateToEntries(startEntry + 1);
        }

        final int startPosition = startEntry < 0 ? 0 : offsetIndex.position(startEntry);
        long expectedOffset = startEntry < 0 ? baseOffset : baseOffset + offsetIndex.relativeOffset(startEntry);
        long runningMaxTimestampMs = startEntry < 0 ? NULL_TIMESTAMP : timeIndex.timestampMs(startEntry);
        int bytesSinceIndexEntry = 0;
        int batchesScanned = 0;
        int position = startPosition;
        String reason = null;

        while (true)
        {
            if (position + HEADER_LENGTH > dataLimit)
            {
                if (position < dataLimit)
                {
                    reason = "batch header cut short at position " + position;
                }
                break;
            }

            if (mayStartPage(position, HEADER_LENGTH) && isZeroOnDisk(channel, position, HEADER_LENGTH, logFile))
            {
                break;
            }

            final int length = buffer.getInt(position + BATCH_LENGTH_OFFSET, ORDER);
            if (0 == length && 0L == buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER))
            {
                break;
            }

            reason = checkStoredBatch(position, length, dataLimit, expectedOffset);
            if (null != reason)
            {
                break;
            }

            final long batchBaseOffset = buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER);
            if (position != startPosition && isIndexEntryDue(position, bytesSinceIndexEntry, indexIntervalBytes) &&
                !offsetIndex.isFull() && !timeIndex.isFull())
            {
                reserveIndexEntryForRecovery();
                final int relativeOffset = (int)(batchBaseOffset - baseOffset);
                offsetIndex.append(relativeOffset, position);
                timeIndex.append(runningMaxTimestampMs, relativeOffset);
                bytesSinceIndexEntry = 0;
            }
            bytesSinceIndexEntry += length;

            runningMaxTimestampMs = Math.max(
                runningMaxTimestampMs, buffer.getLong(position + MAX_TIMESTAMP_OFFSET, ORDER));
            expectedOffset = batchBaseOffset + buffer.getInt(position + LAST_OFFSET_DELTA_OFFSET, ORDER) + 1;
            batchesScanned++;
            position += length;
        }

        final int validEnd = position;
        final int dirtyLimit = (int)Math.min(dataLimit, Math.max(fileLengthAtOpen, validEnd));
        final int dirtyEnd = lastNonZeroByte(validEnd, dirtyLimit) + 1;
        int batchesCut = 0;
        long bytesCut = 0;
        if (dirtyEnd > validEnd)
        {
            if (null == reason)
            {
                reason = "non-zero bytes after the last batch at position " + validEnd;
            }
            batchesCut = countFrames(validEnd, dirtyEnd);
            bytesCut = dirtyEnd - validEnd;
        }
        else
        {
            reason = null;
        }

        final int keptEntries = offsetIndex.ceilingEntryByPosition(validEnd, offsetIndex.entryCount());
        offsetIndex.truncateToEntries(keptEntries);
        timeIndex.truncateToEntries(keptEntries);

        size = validEnd;
        SIZE_VH.setRelease(this, validEnd);
        maxTimestampMs = runningMaxTimestampMs;
        MAX_TIMESTAMP_VH.setRelease(this, runningMaxTimestampMs);
        nextOffset = expectedOffset;
        bytesSinceLastIndexEntry = validEnd - (keptEntries > 0 ? offsetIndex.position(keptEntries - 1) : 0);

        if (dirtyEnd > validEnd || (!isWritable && fileLengthAtOpen > validEnd))
        {
            cutTail(validEnd);
        }
        reservedSize = Math.min(reservedSize, validEnd);

        if (!isWritable && isIndexRebuilt)
        {
            offsetIndex.trim();
            timeIndex.trim();
        }

        return new RecoveryReport.SegmentRecovery(
            baseOffset,
            validEnd - startPosition,
            batchesScanned,
            batchesCut,
            bytesCut,
            isIndexRebuilt,
            false,
            reason);
    }

    /**
     * Discard every batch from {@code position} on: zero their bytes and drop their index entries; writer thread.
     *
     * @param position    of the first batch to discard, a batch boundary.
     * @param forceZeroes whether to force the zeroed range so the truncation survives a power loss.
     */
    void truncateTo(final int position, final boolean forceZeroes)
    {
        final int oldSize = size;
        if (position >= oldSize)
        {
            return;
        }

        size = position;
        SIZE_VH.setRelease(this, position);

        final int oldEntries = offsetIndex.entryCount();
        final int keptEntries = offsetIndex.ceilingEntryByPosition(position, oldEntries);
        offsetIndex.truncateToEntries(keptEntries);
        timeIndex.truncateToEntries(keptEntries);
        buffer.setMemory(position, oldSize - position, (byte)0);
        flushedSize = Math.min(flushedSize, position);

        long maxTimestamp = keptEntries > 0 ? timeIndex.timestampMs(keptEntries - 1) : NULL_TIMESTAMP;
        long next = keptEntries > 0 ? baseOffset + offsetIndex.relativeOffset(keptEntries - 1) : baseOffset;
        int scan = keptEntries > 0 ? offsetIndex.position(keptEntries - 1) : 0;
        while (scan < position)
        {
            maxTimestamp = Math.max(maxTimestamp, buffer.getLong(scan + MAX_TIMESTAMP_OFFSET, ORDER));
            next = buffer.getLong(scan + BASE_OFFSET_OFFSET, ORDER) +
                buffer.getInt(scan + LAST_OFFSET_DELTA_OFFSET, ORDER) + 1;
            scan += buffer.getInt(scan + BATCH_LENGTH_OFFSET, ORDER);
        }

        maxTimestampMs = maxTimestamp;
        MAX_TIMESTAMP_VH.setRelease(this, maxTimestamp);
        nextOffset = next;
        bytesSinceLastIndexEntry = position - (keptEntries > 0 ? offsetIndex.position(keptEntries - 1) : 0);
        if (0 == position)
        {
            rollStartMs = Long.MIN_VALUE;
        }

        if (forceZeroes)
        {
            mappedBuffer.force(position, oldSize - position);
            offsetIndex.forceRange(keptEntries, oldEntries);
            timeIndex.forceRange(keptEntries, oldEntries);
        }
    }

    /**
     * Force batches and index entries written since the last force to the device.
     */
    void force()
    {
        final int size = this.size;
        if (size > flushedSize)
        {
            if (isWritable && !isPositionalWrite)
            {
                mappedBuffer.force(flushedSize, size - flushedSize);
            }
            else
            {
                forceChannel();
            }
            flushedSize = size;
        }

        offsetIndex.force();
        timeIndex.force();
    }

    /**
     * Force one just-appended batch; used by the every-batch flush policy.
     *
     * @param position of the batch.
     * @param length   of the batch.
     */
    void forceBatch(final int position, final int length)
    {
        if (isPositionalWrite)
        {
            forceChannel();
        }
        else
        {
            mappedBuffer.force(position, length);
        }
        if (flushedSize == position)
        {
            flushedSize = position + length;
        }
    }

    private void forceChannel()
    {
        try
        {
            channel.force(false);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to force " + logFile, ex);
        }
    }

    /**
     * Whether everything appended has been forced.
     *
     * @return true if there is nothing to force.
     */
    boolean isFlushed()
    {
        return flushedSize >= size;
    }

    /**
     * Mark the whole segment as already durable, for segments below the recovery point at open.
     */
    void markFlushed()
    {
        flushedSize = size;
    }

    /**
     * Trim the files to the bytes and entries in use; the mappings are kept and nothing reads past them.
     */
    void trim()
    {
        try
        {
            channel.truncate(size);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to trim " + logFile, ex);
        }
        offsetIndex.trim();
        timeIndex.trim();
    }

    /**
     * Flag the segment deleted for racing readers and unlink its files; the mappings stay valid until
     * {@link #close()}, which the log defers by {@code file.delete.delay.ms}.
     *
     * @param unmapDeadlineMs time after which the segment may be unmapped.
     */
    void delete(final long unmapDeadlineMs)
    {
        IS_DELETED_VH.setRelease(this, true);
        this.unmapDeadlineMs = unmapDeadlineMs;
        deleteIfExists(logFile);
        deleteIfExists(indexFile);
        deleteIfExists(timeIndexFile);
    }

    /**
     * Retire this view of the files without deleting them, for when the log reopens the same segment.
     *
     * @param unmapDeadlineMs time after which the old mapping may be unmapped.
     */
    void retire(final long unmapDeadlineMs)
    {
        this.unmapDeadlineMs = unmapDeadlineMs;
    }

    /**
     * Unmap and close; only when no reader can be on this segment any more.
     */
    void close()
    {
        buffer.wrap(0, 0);
        if (null != mappedBuffer)
        {
            IoUtil.unmap(mappedBuffer);
            mappedBuffer = null;
        }
        offsetIndex.close();
        timeIndex.close();
        MappedIndex.closeQuietly(randomAccessFile);
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "LogSegment{baseOffset=" + baseOffset + ", size=" + size + ", nextOffset=" + nextOffset +
            ", maxTimestampMs=" + maxTimestampMs + ", writable=" + isWritable + '}';
    }

    private String checkStoredBatch(final int position, final int length, final int dataLimit, final long expected)
    {
        if (length < HEADER_LENGTH || length > dataLimit - position)
        {
            return "batch at position " + position + " has batchLength " + length + " outside [" + HEADER_LENGTH +
                ", " + (dataLimit - position) + "]";
        }

        if (buffer.getByte(position + MAGIC_OFFSET) != RecordBatch.MAGIC)
        {
            return "batch at position " + position + " has magic " + buffer.getByte(position + MAGIC_OFFSET);
        }

        final long batchBaseOffset = buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER);
        if (allowsOffsetGaps ? batchBaseOffset < expected : batchBaseOffset != expected)
        {
            return "batch at position " + position + " has baseOffset " + batchBaseOffset + ", expected " + expected;
        }

        final int lastOffsetDelta = buffer.getInt(position + LAST_OFFSET_DELTA_OFFSET, ORDER);
        if (lastOffsetDelta < 0 || batchBaseOffset - baseOffset + lastOffsetDelta > Integer.MAX_VALUE)
        {
            return "batch at position " + position + " has lastOffsetDelta " + lastOffsetDelta;
        }

        final int storedCrc = buffer.getInt(position + RecordBatch.CRC_OFFSET, ORDER);
        final int computedCrc = RecordBatch.crc32c(buffer, position, length);
        if (storedCrc != computedCrc)
        {
            return "batch at position " + position + " (baseOffset " + batchBaseOffset + ") fails its CRC32C";
        }

        return null;
    }

    /**
     * The last non-zero byte in a range, read through the channel rather than the mapping: the range may be
     * unwritten (sparse), and on tmpfs even a read fault on a hole allocates a page, which a full file system
     * answers with SIGBUS. A read through the channel allocates nothing.
     */
    private int lastNonZeroByte(final int from, final int to)
    {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
        int end = to;
        try
        {
            while (end > from)
            {
                final int start = Math.max(from, end - chunk.capacity());
                chunk.clear().limit(end - start);
                int read = 0;
                while (chunk.hasRemaining())
                {
                    final int n = channel.read(chunk, start + read);
                    if (n < 0)
                    {
                        break;
                    }
                    read += n;
                }
                for (int i = read - 1; i >= 0; i--)
                {
                    if (0 != chunk.get(i))
                    {
                        return start + i;
                    }
                }
                end = start;
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to read " + logFile, ex);
        }

        return from - 1;
    }

    /**
     * Whether bytes of the file are all zero (or past its end), read through the channel: a probe before touching
     * a page of the mapping that may be a hole (see {@link #lastNonZeroByte}).
     *
     * @param channel  of the file.
     * @param position of the first byte.
     * @param length   of the range, small.
     * @param file     for the error message.
     * @return true if every byte is zero or beyond the end of the file.
     */
    static boolean isZeroOnDisk(final FileChannel channel, final long position, final int length, final File file)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(length);
        try
        {
            while (bytes.hasRemaining())
            {
                if (channel.read(bytes, position + bytes.position()) < 0)
                {
                    break;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to read " + file, ex);
        }

        for (int i = 0; i < bytes.position(); i++)
        {
            if (0 != bytes.get(i))
            {
                return false;
            }
        }

        return true;
    }

    /**
     * Whether a small range starts a page or reaches into the next one, so may lie in a page never written.
     *
     * @param position of the range.
     * @param length   of the range, at most a page.
     * @return true if the range may touch a page that no earlier byte shares.
     */
    static boolean mayStartPage(final long position, final int length)
    {
        final long inPage = position & (PAGE_SIZE - 1);
        return 0 == inPage || inPage + length > PAGE_SIZE;
    }

    /**
     * Count length-delimited batch frames in a byte range, stopping at the first implausible length; for
     * reporting what a cut discards.
     *
     * @param from first byte of the range.
     * @param to   end of the range, exclusive.
     * @return frames found, at least 1 if the range is not empty.
     */
    int countFrames(final int from, final int to)
    {
        int frames = 0;
        int position = from;
        while (position < to)
        {
            frames++;
            final int length = position + HEADER_LENGTH <= to ?
                buffer.getInt(position + BATCH_LENGTH_OFFSET, ORDER) : 0;
            if (length < HEADER_LENGTH || length > to - position)
            {
                break;
            }
            position += length;
        }

        return frames;
    }

    private void cutTail(final int validEnd)
    {
        try
        {
            IoUtil.unmap(mappedBuffer);
            mappedBuffer = null;
            randomAccessFile.setLength(validEnd);
            if (isWritable)
            {
                randomAccessFile.setLength(capacity);
            }
            else
            {
                capacity = validEnd;
            }
            channel.force(true);
            fileLengthAtOpen = validEnd;
            map();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to cut the tail of " + logFile, ex);
        }
    }

    private void reserveIndexEntryForRecovery()
    {
        try
        {
            offsetIndex.reserveEntry();
            timeIndex.reserveEntry();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(
                "cannot rebuild the indexes of " + logFile + " (free space and restart)", ex);
        }
    }

    private static int reserveChunkBytes()
    {
        final long bytes = StorageConfiguration.reserveBytes();
        return (int)((bytes + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE);
    }

    private void rebuildIndexFiles()
    {
        offsetIndex.close();
        timeIndex.close();
        deleteIfExists(indexFile);
        deleteIfExists(timeIndexFile);
        offsetIndex = new OffsetIndex(indexFile, indexCapacityEntries, true, appendMode);
        timeIndex = new TimeIndex(timeIndexFile, indexCapacityEntries, true, appendMode);
    }

    private void map() throws IOException
    {
        mappedBuffer = channel.map(
            isWritable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0, capacity);
        buffer.wrap(mappedBuffer);
    }

    private static void deleteIfExists(final File file)
    {
        if (file.exists() && !file.delete())
        {
            throw new UncheckedIOException(new IOException("failed to delete " + file));
        }
    }
}
