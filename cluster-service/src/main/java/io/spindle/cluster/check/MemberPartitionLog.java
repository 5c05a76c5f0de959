/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One member's log of one partition as its files hold it, read without changing anything.
 * <p>
 * {@code PartitionLog.open} is not a reader: it records a recovery point, deletes stray index files, cuts an
 * invalid tail (hiding what the checker is looking for) and trims the active segment on close. This maps each
 * {@code <20-digit base offset>.log} file of the partition directory read-only and walks it as
 * {@code PartitionLog} wrote it: batches back to back, each validated by {@link RecordBatchValidator} (lengths,
 * CRC32C, records), each batch's base offset continuing the previous one, ending at the file's end or at a zero
 * batch length (the unwritten tail of an active segment that was not closed cleanly); each segment's base offset
 * continuing the previous segment's end (for a compacted partition, one with the engine's {@code compacted}
 * marker file, at or after it, and batches as the cleaner leaves them). Reading stops at the first thing that
 * breaks these rules, which
 * {@link #unreadable()} describes. Index files are not read.
 * <p>
 * The mappings stay open, for byte comparisons across members, until {@link #close()}. The member must not be
 * running. Not thread-safe.
 */
final class MemberPartitionLog implements AutoCloseable
{
    static final String LOG_SUFFIX = ".log";
    private static final int BASE_OFFSET_DIGITS = 20;

    /**
     * A batch as stored: where its bytes are and which offsets it holds.
     */
    record Batch(DirectBuffer buffer, int position, int length, long baseOffset, long lastOffset)
    {
    }

    final int memberId;
    final File directory;
    final boolean exists;
    long logStartOffset;
    long localStartOffset;
    long logEndOffset;
    final LongArrayList tierBaseOffsets = new LongArrayList();
    final LongArrayList segmentBaseOffsets = new LongArrayList();
    final ArrayList<Batch> batches = new ArrayList<>();
    final LongArrayList recordOffsets = new LongArrayList();
    private final boolean isCompacted;
    final ArrayList<ValueKey> recordValues = new ArrayList<>();

    private final ArrayList<MappedByteBuffer> mappings = new ArrayList<>();
    private String unreadable;

    private MemberPartitionLog(final int memberId, final File directory)
    {
        this.memberId = memberId;
        this.directory = directory;
        this.exists = directory.isDirectory();
        // The marker the engine's cleaner writes before its first swap (LogCleaning.MARKER_FILE): offsets may
        // have gaps, and batches may have lost records, as compaction leaves them.
        this.isCompacted = new File(directory, "compacted").exists();
    }

    /**
     * Read a partition directory.
     *
     * @param memberId  whose directory it is, for reports.
     * @param directory of the partition; a missing directory reads as an empty log at offset 0.
     * @param tier      the member's archived segments below its local log start (tiered storage), oldest first:
     *                  read first, as the log's first segments.
     * @param validator scratch for batch validation.
     * @param batch     scratch flyweight.
     * @param records   scratch record cursor.
     * @return the log, to be closed.
     */
    static MemberPartitionLog read(
        final int memberId,
        final File directory,
        final List<MemberTierSegments.Segment> tier,
        final RecordBatchValidator validator,
        final RecordBatchFlyweight batch,
        final RecordFlyweight records)
    {
        final MemberPartitionLog log = new MemberPartitionLog(memberId, directory);
        try
        {
            if (log.exists)
            {
                if (log.readTier(tier, validator, batch, records))
                {
                    log.readSegments(validator, batch, records);
                }
            }
        }
        catch (final UncheckedIOException ex)
        {
            log.unreadable = ex.getMessage();
        }
        catch (final RuntimeException ex)
        {
            log.close();
            throw ex;
        }

        return log;
    }

    /**
     * Why reading stopped before the end of the files.
     *
     * @return the reason, or null if everything was read.
     */
    String unreadable()
    {
        return unreadable;
    }

    /**
     * Unmap the segment files.
     */
    public void close()
    {
        for (final MappedByteBuffer mapping : mappings)
        {
            IoUtil.unmap(mapping);
        }
        mappings.clear();
    }

    private void readSegments(
        final RecordBatchValidator validator, final RecordBatchFlyweight batch, final RecordFlyweight records)
    {
        final long[] baseOffsets = listBaseOffsets(directory);
        if (0 == baseOffsets.length)
        {
            localStartOffset = logEndOffset;
            return;
        }

        if (tierBaseOffsets.isEmpty())
        {
            logStartOffset = baseOffsets[0];
            logEndOffset = baseOffsets[0];
        }
        localStartOffset = baseOffsets[0];
        for (final long baseOffset : baseOffsets)
        {
            final String name = fileName(baseOffset);
            if (isCompacted ? baseOffset < logEndOffset : baseOffset != logEndOffset)
            {
                unreadable = "segment " + name + " does not start at the previous segment's end " + logEndOffset;
                return;
            }
            logEndOffset = baseOffset;

            segmentBaseOffsets.addLong(baseOffset);
            final DirectBuffer buffer = map(new File(directory, name));
            if (!readSegment(name, buffer, validator, batch, records))
            {
                return;
            }
        }
    }

    /**
     * The archived segments first: each must continue the previous one, as local segments do.
     */
    private boolean readTier(
        final List<MemberTierSegments.Segment> tier,
        final RecordBatchValidator validator,
        final RecordBatchFlyweight batch,
        final RecordFlyweight records)
    {
        for (final MemberTierSegments.Segment segment : tier)
        {
            final String name = "archived segment " + segment.baseOffset();
            if (tierBaseOffsets.isEmpty())
            {
                logStartOffset = segment.baseOffset();
                logEndOffset = segment.baseOffset();
            }
            else if (segment.baseOffset() != logEndOffset)
            {
                unreadable = name + " does not start at the previous segment's end " + logEndOffset;
                return false;
            }
            tierBaseOffsets.addLong(segment.baseOffset());
            if (!readSegment(name, segment.buffer(), validator, batch, records))
            {
                return false;
            }
            if (logEndOffset != segment.nextOffset())
            {
                unreadable = name + " ends at " + logEndOffset + ", its manifest says " + segment.nextOffset();
                return false;
            }
        }
        return true;
    }

    private boolean readSegment(
        final String name,
        final DirectBuffer buffer,
        final RecordBatchValidator validator,
        final RecordBatchFlyweight batch,
        final RecordFlyweight records)
    {
        final int capacity = buffer.capacity();
        int position = 0;
        while (position < capacity)
        {
            final int remaining = capacity - position;
            if (remaining < RecordBatch.BATCH_LENGTH_OFFSET + 4 ||
                0 == buffer.getInt(position + RecordBatch.BATCH_LENGTH_OFFSET, RecordBatch.BYTE_ORDER))
            {
                if (isZero(buffer, position, capacity))
                {
                    break;
                }

                unreadable = name + " position " + position + ": a zero batch length followed by data";
                return false;
            }

            final BatchError error = isCompacted ?
                validator.validateStored(buffer, position, remaining) : validator.validate(buffer, position, remaining);
            if (BatchError.OK != error)
            {
                unreadable = name + " position " + position + ": " + error;
                return false;
            }

            batch.wrap(buffer, position);
            if (isCompacted ? batch.baseOffset() < logEndOffset : batch.baseOffset() != logEndOffset)
            {
                unreadable = name + " position " + position + ": batch base offset " + batch.baseOffset() +
                    " where " + logEndOffset + " was expected";
                return false;
            }

            final BatchError recordsError = records.wrap(batch);
            if (BatchError.OK != recordsError)
            {
                unreadable = name + " position " + position + ": " + recordsError;
                return false;
            }

            while (records.next())
            {
                recordOffsets.addLong(records.offset());
                final int valueLength = records.valueLength();
                if (valueLength < 0)
                {
                    recordValues.add(ValueKey.NULL_VALUE);
                }
                else
                {
                    final byte[] value = new byte[valueLength];
                    records.buffer().getBytes(records.valueOffset(), value);
                    recordValues.add(new ValueKey(value));
                }
            }

            final int length = batch.batchLength();
            batches.add(new Batch(buffer, position, length, batch.baseOffset(), batch.lastOffset()));
            logEndOffset = batch.nextOffset();
            position += length;
        }

        return true;
    }

    private DirectBuffer map(final File file)
    {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size > Integer.MAX_VALUE)
            {
                throw new UncheckedIOException(new IOException("segment too large to map: " + file));
            }

            final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            mappings.add(mapping);
            return new UnsafeBuffer(mapping);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file + ": " + ex, ex);
        }
    }

    private static boolean isZero(final DirectBuffer buffer, final int from, final int to)
    {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES)
        {
            if (0 != buffer.getLong(i))
            {
                return false;
            }
        }

        for (; i < to; i++)
        {
            if (0 != buffer.getByte(i))
            {
                return false;
            }
        }

        return true;
    }

    static String fileName(final long baseOffset)
    {
        final String digits = Long.toString(baseOffset);
        return "0".repeat(BASE_OFFSET_DIGITS - digits.length()) + digits + LOG_SUFFIX;
    }

    private static long[] listBaseOffsets(final File directory)
    {
        final String[] names = directory.list();
        if (null == names)
        {
            throw new UncheckedIOException(new IOException("cannot list " + directory));
        }

        final List<Long> baseOffsets = new ArrayList<>();
        for (final String name : names)
        {
            if (name.length() == BASE_OFFSET_DIGITS + LOG_SUFFIX.length() && name.endsWith(LOG_SUFFIX))
            {
                final String digits = name.substring(0, BASE_OFFSET_DIGITS);
                if (digits.chars().allMatch(c -> c >= '0' && c <= '9'))
                {
                    try
                    {
                        baseOffsets.add(Long.parseLong(digits));
                    }
                    catch (final NumberFormatException ignore)
                    {
                        // Not a segment: twenty digits beyond a long.
                    }
                }
            }
        }

        final long[] sorted = new long[baseOffsets.size()];
        for (int i = 0; i < sorted.length; i++)
        {
            sorted[i] = baseOffsets.get(i);
        }
        Arrays.sort(sorted);
        return sorted;
    }
}
