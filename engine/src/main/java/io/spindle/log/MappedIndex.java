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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A memory-mapped file of fixed-size index entries with a published entry count, the base of
 * {@link OffsetIndex} and {@link TimeIndex}.
 * <p>
 * <b>Threading:</b> one writer (the log's appender) appends, truncates, trims and closes; any number of reader
 * threads call {@link #entryCountAcquire()} and then read entries below that count. An entry's bytes are written
 * before the count that covers it is published with a release store, so a reader that acquires the count sees
 * complete entries. Entries are never changed once published, except by truncation, which the log documents as
 * not safe against concurrent readers above the truncation point.
 * <p>
 * A writable index file is preallocated (sparse) to its capacity and mapped whole; unused entries read as zero.
 * {@link #trim()} shrinks the file to the entries in use when its segment is sealed or closed, so a sealed index
 * file's length says how many entries it has. The mapping is not shrunk: nothing reads past the count.
 * <p>
 * Like the log, an index is written through its mapping only where {@link #reserveEntry()} has had the file system
 * allocate the bytes (zeros written through the channel, a page at a time), so a full disk is an
 * {@link IOException} before the entry rather than a SIGBUS at it.
 * <p>
 * In {@link AppendMode#WRITE} the writer puts each entry's bytes into a small staging buffer and writes them with a
 * positional write through the channel rather than storing into the mapping (whose hot tail page the kernel's
 * write-back write-protects, so a store can stall on the file system), and {@link #force()} forces the channel.
 * Truncation still zeroes through the mapping (the bytes are allocated, so it cannot fail) and
 * {@link #forceRange} forces those bytes through the mapping. Readers use the mapping in both modes: one page
 * cache.
 */
abstract class MappedIndex
{
    private static final int PAGE_SIZE = LogSegment.PAGE_SIZE;
    private static final VarHandle ENTRY_COUNT_VH;

    static
    {
        try
        {
            ENTRY_COUNT_VH = MethodHandles.lookup().findVarHandle(MappedIndex.class, "entryCount", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final File file;
    final int entryLength;
    final UnsafeBuffer buffer = new UnsafeBuffer();
    private final RandomAccessFile randomAccessFile;
    private final FileChannel channel;
    private final MappedByteBuffer mappedBuffer;
    private final int capacityEntries;
    private final ByteBuffer entryBytes;
    private final UnsafeBuffer entryStaging;
    private int entryCount;
    private int flushedEntryCount;
    private long reservedBytes;

    MappedIndex(
        final File file,
        final int entryLength,
        final int capacityEntries,
        final boolean preallocate,
        final AppendMode appendMode)
    {
        this.file = file;
        this.entryLength = entryLength;
        if (AppendMode.WRITE == appendMode)
        {
            entryBytes = ByteBuffer.allocateDirect(entryLength);
            entryStaging = new UnsafeBuffer(entryBytes);
        }
        else
        {
            entryBytes = null;
            entryStaging = null;
        }

        RandomAccessFile raf = null;
        try
        {
            raf = new RandomAccessFile(file, "rw");
            final long fileLength = raf.length();
            final long mappedLength;
            if (preallocate)
            {
                mappedLength = Math.max(fileLength - fileLength % entryLength, (long)capacityEntries * entryLength);
                if (fileLength < mappedLength)
                {
                    raf.setLength(mappedLength);
                }
            }
            else
            {
                mappedLength = fileLength - fileLength % entryLength;
            }

            if (mappedLength > Integer.MAX_VALUE)
            {
                throw new IOException("index file too large to map: " + file + " length=" + mappedLength);
            }

            this.randomAccessFile = raf;
            this.channel = raf.getChannel();
            this.capacityEntries = (int)(mappedLength / entryLength);
            this.mappedBuffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, mappedLength);
            this.buffer.wrap(mappedBuffer);
        }
        catch (final IOException ex)
        {
            closeQuietly(raf);
            throw new UncheckedIOException("failed to open index " + file, ex);
        }
    }

    /**
     * Entries in use, as last written by the writer thread; for the writer only.
     *
     * @return the entry count.
     */
    final int entryCount()
    {
        return entryCount;
    }

    /**
     * Entries in use, with acquire semantics; readers read only entries below this count.
     *
     * @return the published entry count.
     */
    final int entryCountAcquire()
    {
        return (int)ENTRY_COUNT_VH.getAcquire(this);
    }

    /**
     * Entries the mapping can hold.
     *
     * @return capacity in entries.
     */
    final int capacityEntries()
    {
        return capacityEntries;
    }

    /**
     * Whether no further entry fits.
     *
     * @return true when full.
     */
    final boolean isFull()
    {
        return entryCount >= capacityEntries;
    }

    /**
     * Whether the entry after the last one lies in bytes already reserved.
     *
     * @return true if an append needs no reservation first.
     */
    final boolean hasReservedEntry()
    {
        return (long)(entryCount + 1) * entryLength <= reservedBytes;
    }

    /**
     * Have the file system allocate the bytes of the next entry (and the rest of its page) by writing zeros
     * through the channel; entries from the count on are zeros, so nothing in use changes. Nothing is done if
     * the index is full.
     *
     * @throws IOException if the file system cannot allocate them, e.g. the disk is full.
     */
    final void reserveEntry() throws IOException
    {
        final long needed = (long)(entryCount + 1) * entryLength;
        if (needed <= reservedBytes || entryCount >= capacityEntries)
        {
            return;
        }

        final long capacityBytes = (long)capacityEntries * entryLength;
        final long to = Math.min(capacityBytes, (needed + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE);
        LogSegment.writeZeros(channel, Math.max(reservedBytes, (long)entryCount * entryLength), to, file);
        reservedBytes = to;
    }

    /**
     * Whether an entry may lie in a page never written and is all zeros on disk, probed through the channel so
     * that loading the entries does not fault in a hole (see {@link LogSegment}); for recovery.
     *
     * @param entry index of the entry.
     * @return true if the entry is the end of the entries and may not be read through the mapping.
     */
    final boolean isUnwrittenPage(final int entry)
    {
        final long position = (long)entry * entryLength;
        return LogSegment.mayStartPage(position, entryLength) &&
            LogSegment.isZeroOnDisk(channel, position, entryLength, file);
    }

    /**
     * Where the writer puts the fields of the next entry: the mapping, or in {@link AppendMode#WRITE} the staging
     * buffer that {@link #appendEntry()} writes; at {@link #entryOffset()}.
     *
     * @return the buffer to put the entry's fields into.
     */
    final UnsafeBuffer entryBuffer()
    {
        return null != entryStaging ? entryStaging : buffer;
    }

    /**
     * Offset in {@link #entryBuffer()} of the next entry.
     *
     * @return byte offset.
     */
    final int entryOffset()
    {
        return null != entryStaging ? 0 : entryCount * entryLength;
    }

    /**
     * Write the entry just put at {@link #entryOffset()} of {@link #entryBuffer()} to the file, not yet published:
     * in {@link AppendMode#WRITE} with a positional write (a failed one leaves the entry's bytes as they were, see
     * {@link #discardEntry()}); in {@link AppendMode#MAPPED} it is already in the mapping.
     *
     * @throws IOException if the write fails.
     */
    final void writeEntry() throws IOException
    {
        if (null != entryStaging)
        {
            LogSegment.writeFully(channel, entryBytes.clear(), (long)entryCount * entryLength);
        }
    }

    /**
     * Zero the bytes of the entry after the last published one, for a batch whose append failed after
     * {@link #writeEntry()} or during it; through the mapping, in bytes already reserved, so this cannot fail.
     */
    final void discardEntry()
    {
        buffer.setMemory(entryCount * entryLength, entryLength, (byte)0);
    }

    /**
     * Write the entry just put and publish it, for appends outside a batch's append (recovery's rebuilt entries).
     *
     * @throws UncheckedIOException if it cannot be written ({@link AppendMode#WRITE}); nothing is published then.
     */
    final void writeAndPublishEntry()
    {
        try
        {
            writeEntry();
        }
        catch (final IOException ex)
        {
            discardEntry();
            throw new UncheckedIOException("failed to write index " + file, ex);
        }
        publishEntry();
    }

    /**
     * Publish the entry written by {@link #writeEntry()}.
     */
    final void publishEntry()
    {
        publishEntryCount(entryCount + 1);
    }

    /**
     * Publish a new entry count after the entries below it have been written.
     *
     * @param count of entries now in use.
     */
    final void publishEntryCount(final int count)
    {
        entryCount = count;
        ENTRY_COUNT_VH.setRelease(this, count);
    }

    /**
     * Discard entries from {@code newCount} on and zero their bytes.
     *
     * @param newCount entries to keep.
     */
    final void truncateToEntries(final int newCount)
    {
        final int oldCount = entryCount;
        if (newCount < oldCount)
        {
            publishEntryCount(newCount);
            buffer.setMemory(newCount * entryLength, (oldCount - newCount) * entryLength, (byte)0);
            flushedEntryCount = Math.min(flushedEntryCount, newCount);
        }
    }

    /**
     * Force entries written since the last force to the device.
     */
    final void force()
    {
        final int count = entryCount;
        if (count > flushedEntryCount)
        {
            final int from = flushedEntryCount * entryLength;
            force(from, count * entryLength - from);
            flushedEntryCount = count;
        }
    }

    /**
     * Force the zeroed bytes of truncated entries, so truncation survives a power loss.
     *
     * @param fromEntry first zeroed entry.
     * @param toEntry   end of the zeroed entries, exclusive.
     */
    final void forceRange(final int fromEntry, final int toEntry)
    {
        if (toEntry > fromEntry)
        {
            force(fromEntry * entryLength, (toEntry - fromEntry) * entryLength);
        }
    }

    /**
     * Force a range: through the mapping ({@code msync}) where the entries were stored into it, through the
     * channel ({@code fdatasync}, the whole file) where they were written with positional writes.
     */
    private void force(final int from, final int length)
    {
        if (null != entryStaging)
        {
            try
            {
                channel.force(false);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("failed to force index " + file, ex);
            }
        }
        else
        {
            mappedBuffer.force(from, length);
        }
    }

    /**
     * Shrink the file to the entries in use; the mapping is kept.
     */
    final void trim()
    {
        try
        {
            channel.truncate((long)entryCount * entryLength);
            reservedBytes = Math.min(reservedBytes, (long)entryCount * entryLength);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to trim index " + file, ex);
        }
    }

    /**
     * Unmap and close; only when no reader can be on this index any more.
     */
    final void close()
    {
        IoUtil.unmap(mappedBuffer);
        buffer.wrap(0, 0);
        closeQuietly(randomAccessFile);
    }

    /**
     * Length of the index file on disk.
     *
     * @return file length in bytes.
     */
    final long fileLength()
    {
        try
        {
            return channel.size();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static void closeQuietly(final AutoCloseable closeable)
    {
        if (null != closeable)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ignore)
            {
                // nothing more to do when closing a file fails: its data is already in the page cache
            }
        }
    }
}
