/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;

/**
 * The partition's recovery point: the offset below which every batch has been forced to the device, so recovery
 * after an unclean shutdown scans only the active segment from the last index entry at or below it.
 * <p>
 * File layout, {@code recovery-point} in the partition directory, little-endian, memory-mapped:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                   recoveryPointOffset (int64)                 |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   ~recoveryPointOffset (int64), check word    |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 * The value is written only after the data below it was forced, so the file never claims more than is durable;
 * it is itself forced only on close, because losing an update just means recovery scans a little more. A file
 * whose check word does not match (new, torn or damaged) reads as no recovery point: recovery scans the whole
 * active segment. The open log holds an exclusive lock on this file, so a second log (in this or another process)
 * cannot open the same directory. Writer thread only.
 */
final class RecoveryPointFile
{
    static final String FILE_NAME = "recovery-point";
    static final int VALUE_OFFSET = 0;
    static final int CHECK_OFFSET = 8;
    static final int LENGTH = 16;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final RandomAccessFile randomAccessFile;
    private final MappedByteBuffer mappedBuffer;
    private final UnsafeBuffer buffer;

    RecoveryPointFile(final File directory, final boolean isLocked)
    {
        final File file = new File(directory, FILE_NAME);
        RandomAccessFile raf = null;
        try
        {
            raf = new RandomAccessFile(file, "rw");
            if (isLocked && null == tryLock(raf.getChannel()))
            {
                throw new IllegalStateException("partition log directory is in use by another log: " + directory);
            }
            final long length = raf.length();
            if (length > LENGTH)
            {
                raf.setLength(LENGTH);
            }
            else if (length < LENGTH)
            {
                // Real bytes, not a sparse extension: a store into an unbacked mapped page on a full disk is a
                // SIGBUS, so a full disk must fail here instead.
                LogSegment.writeZeros(raf.getChannel(), length, LENGTH, file);
            }
            randomAccessFile = raf;
            mappedBuffer = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, LENGTH);
            buffer = new UnsafeBuffer(mappedBuffer);
        }
        catch (final IOException ex)
        {
            MappedIndex.closeQuietly(raf);
            throw new UncheckedIOException("failed to open " + file, ex);
        }
        catch (final RuntimeException ex)
        {
            MappedIndex.closeQuietly(raf);
            throw ex;
        }
    }

    private static FileLock tryLock(final FileChannel channel) throws IOException
    {
        try
        {
            return channel.tryLock();
        }
        catch (final OverlappingFileLockException ex)
        {
            return null;
        }
    }

    /**
     * The stored recovery point.
     *
     * @return the offset, or {@link PartitionLog#NULL_OFFSET} if the file holds no valid value.
     */
    long read()
    {
        final long value = buffer.getLong(VALUE_OFFSET, ORDER);
        return value >= 0 && ~value == buffer.getLong(CHECK_OFFSET, ORDER) ? value : PartitionLog.NULL_OFFSET;
    }

    /**
     * Store a recovery point; call only after the data below it has been forced.
     *
     * @param recoveryPointOffset to store.
     */
    void write(final long recoveryPointOffset)
    {
        buffer.putLong(CHECK_OFFSET, ~recoveryPointOffset, ORDER);
        buffer.putLong(VALUE_OFFSET, recoveryPointOffset, ORDER);
    }

    /**
     * Force the file to the device.
     */
    void force()
    {
        mappedBuffer.force();
    }

    /**
     * Unmap and close.
     */
    void close()
    {
        IoUtil.unmap(mappedBuffer);
        MappedIndex.closeQuietly(randomAccessFile);
    }
}
