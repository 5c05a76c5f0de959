/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.IoUtil;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;

import static io.spindle.codecs.batch.RecordBatch.ATTRIBUTES_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BATCH_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BYTE_ORDER;
import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_MASK;
import static io.spindle.codecs.batch.RecordBatch.HEADER_LENGTH;
import static io.spindle.codecs.batch.RecordBatch.MAX_TIMESTAMP_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_COUNT_OFFSET;

/**
 * One compaction of a run of sealed segments, and the file protocol that swaps its output in.
 * <p>
 * <b>What survives.</b> The task reads every batch of its segments (oldest first) into a map from key to the offset
 * of the key's latest record in those segments, then writes each segment again keeping a record only if it is the
 * latest for its key, and dropping a latest record that is a tombstone (null value) once its timestamp is more than
 * {@code delete.retention.ms} before the reference time. Every survivor keeps its offset, timestamp, headers and
 * batch header (base offset, lastOffsetDelta, producer fields), so offsets get gaps but never move; a batch left
 * with no record is dropped, one with all its records is copied byte for byte, and a compressed batch that lost
 * records is written uncompressed. Records without a key, control batches and transactional batches are kept as
 * they are and their keys do not supersede anything (removing aborted records and markers is not done yet). The
 * output depends only on the segments' bytes, {@code delete.retention.ms} and the reference time the log passes
 * in (its state-machine time), never on a clock or on the cleaner's timing.
 * <p>
 * <b>Swap protocol.</b> For a segment with base offset {@code B} whose content changed:
 * <ol>
 *     <li>cleaner thread: write {@code B.log.cleaned} and force it;</li>
 *     <li>writer thread, after checking the segment is still in the log: rename {@code B.log.cleaned} to
 *     {@code B.log.swap} and force the directory (the commit point);</li>
 *     <li>delete {@code B.log}, {@code B.index} and {@code B.timeindex} (readers of the old mapping are unaffected:
 *     the pages live until the old segment is unmapped {@code file.delete.delay.ms} later);</li>
 *     <li>rename {@code B.log.swap} to {@code B.log}, force the directory, open it (its indexes are rebuilt) and
 *     publish the segment array with the new segment in place of the old.</li>
 * </ol>
 * On open, {@link #recoverSwaps} deletes every {@code .cleaned} file (a crash before the commit point: the old
 * segment is whole) and completes every {@code .swap} (a crash after it: the cleaned segment is whole and was
 * forced), so a crash anywhere leaves either the old or the cleaned segment. Segments are swapped oldest first, so
 * a crash between two swaps never leaves an older record of a key whose tombstone was already dropped. Before the
 * first swap the log writes the marker file {@code compacted}, which tells recovery to accept offset gaps.
 */
final class LogCleaning
{
    static final String CLEANED_SUFFIX = ".cleaned";
    static final String SWAP_SUFFIX = ".swap";
    static final String MARKER_FILE = "compacted";

    private static final int PENDING = 0;
    private static final int DONE = 1;
    private static final int FAILED = 2;
    private static final int CANCELLED = 3;

    final LogSegment[] segments;
    final long endOffset;
    private final File directory;
    private final long referenceTimeMs;
    private final long deleteRetentionMs;
    private final File[] cleanedFiles;
    private volatile int state = PENDING;
    private volatile boolean isCancelled;
    private Throwable failure;
    private long recordsRemoved;

    /**
     * @param directory         of the partition.
     * @param segments          sealed segments to clean, consecutive, oldest first.
     * @param endOffset         first offset after them (the next segment's base offset).
     * @param referenceTimeMs   state-machine time tombstones are judged against.
     * @param deleteRetentionMs how long a tombstone survives after its timestamp.
     */
    LogCleaning(
        final File directory,
        final LogSegment[] segments,
        final long endOffset,
        final long referenceTimeMs,
        final long deleteRetentionMs)
    {
        this.directory = directory;
        this.segments = segments;
        this.endOffset = endOffset;
        this.referenceTimeMs = referenceTimeMs;
        this.deleteRetentionMs = deleteRetentionMs;
        this.cleanedFiles = new File[segments.length];
    }

    boolean isFinished()
    {
        return PENDING != state;
    }

    boolean isDone()
    {
        return DONE == state;
    }

    Throwable failure()
    {
        return failure;
    }

    void cancel()
    {
        isCancelled = true;
    }

    long recordsRemoved()
    {
        return recordsRemoved;
    }

    /**
     * The cleaned file of a segment, or null if the cleaning changed nothing in it; after {@link #isDone()}.
     *
     * @param index of the segment in the task.
     * @return the file or null.
     */
    File cleanedFile(final int index)
    {
        return cleanedFiles[index];
    }

    /**
     * Delete every output file; after the task finished, when its result is discarded.
     */
    void deleteOutputs()
    {
        for (int i = 0; i < cleanedFiles.length; i++)
        {
            if (null != cleanedFiles[i])
            {
                IoUtil.deleteIfExists(cleanedFiles[i]);
                cleanedFiles[i] = null;
            }
        }
    }

    /**
     * Run the task on the cleaner's thread; reports done, failed or cancelled.
     *
     * @param cleaner for the throttle.
     */
    void run(final LogCleaner cleaner)
    {
        int outcome = DONE;
        try (RecordBatchValidator validator = new RecordBatchValidator();
            RecordFlyweight records = new RecordFlyweight())
        {
            final long startNs = System.nanoTime();
            final HashMap<ByteBuffer, Long> latest = new HashMap<>();
            long bytesRead = 0;
            final RecordBatchFlyweight batch = new RecordBatchFlyweight();

            for (final LogSegment segment : segments)
            {
                final int size = segment.sizeAcquire();
                int position = 0;
                while (position < size)
                {
                    if (isCancelled)
                    {
                        outcome = CANCELLED;
                        return;
                    }

                    final int length = checkBatch(validator, segment, position, size);
                    batch.wrap(segment.buffer, position);
                    if (!batch.isControl() && !batch.isTransactional())
                    {
                        checkRecords(records.wrap(batch), segment, position);
                        while (records.next())
                        {
                            if (records.keyLength() >= 0)
                            {
                                latest.put(key(records), records.offset());
                            }
                        }
                    }
                    position += length;
                    bytesRead += length;
                    cleaner.throttle(length, startNs, bytesRead);
                }
            }

            final ExpandableDirectByteBuffer out = new ExpandableDirectByteBuffer(64 * 1024);
            for (int i = 0; i < segments.length; i++)
            {
                if (isCancelled)
                {
                    outcome = CANCELLED;
                    return;
                }

                writeCleaned(i, validator, records, batch, latest, out);
                bytesRead += segments[i].sizeAcquire();
                cleaner.throttle(segments[i].sizeAcquire(), startNs, bytesRead);
            }
        }
        catch (final Throwable ex)
        {
            failure = ex;
            outcome = FAILED;
        }
        finally
        {
            if (DONE != outcome)
            {
                deleteOutputs();
            }
            state = outcome;
        }
    }

    private void writeCleaned(
        final int index,
        final RecordBatchValidator validator,
        final RecordFlyweight records,
        final RecordBatchFlyweight batch,
        final HashMap<ByteBuffer, Long> latest,
        final ExpandableDirectByteBuffer out) throws IOException
    {
        final LogSegment segment = segments[index];
        final File file = new File(directory, LogSegment.fileName(segment.baseOffset, LogSegment.LOG_SUFFIX) +
            CLEANED_SUFFIX);
        IoUtil.deleteIfExists(file);
        cleanedFiles[index] = file;
        boolean isChanged = false;
        final long expireBeforeMs = Long.MIN_VALUE + deleteRetentionMs > referenceTimeMs ? Long.MIN_VALUE :
            referenceTimeMs - deleteRetentionMs;

        try (FileChannel channel = FileChannel.open(
            file.toPath(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            final int size = segment.sizeAcquire();
            final ByteBuffer source = segment.buffer.byteBuffer().duplicate();
            int position = 0;
            while (position < size)
            {
                final int length = checkBatch(validator, segment, position, size);
                batch.wrap(segment.buffer, position);
                int kept = 0;
                int total = 0;
                int recordsLength = 0;
                long maxTimestamp = Long.MIN_VALUE;
                if (!batch.isControl() && !batch.isTransactional())
                {
                    checkRecords(records.wrap(batch), segment, position);
                    out.putBytes(0, segment.buffer, position, HEADER_LENGTH);
                    while (records.next())
                    {
                        total++;
                        if (isKept(records, latest, expireBeforeMs))
                        {
                            out.putBytes(HEADER_LENGTH + recordsLength, records.buffer(), records.recordOffset(),
                                records.recordLength());
                            recordsLength += records.recordLength();
                            maxTimestamp = Math.max(maxTimestamp, records.timestamp());
                            kept++;
                        }
                    }
                }

                if (kept == total)
                {
                    source.limit(position + length).position(position);
                    writeFully(channel, source, file);
                }
                else if (kept > 0)
                {
                    final int batchLength = HEADER_LENGTH + recordsLength;
                    out.putInt(BATCH_LENGTH_OFFSET, batchLength, BYTE_ORDER);
                    out.putInt(RECORD_COUNT_OFFSET, kept, BYTE_ORDER);
                    final int attributes = out.getShort(ATTRIBUTES_OFFSET, BYTE_ORDER) & 0xFFFF;
                    out.putShort(ATTRIBUTES_OFFSET, (short)(attributes & ~COMPRESSION_MASK), BYTE_ORDER);
                    if (!batch.isLogAppendTime())
                    {
                        out.putLong(MAX_TIMESTAMP_OFFSET, maxTimestamp, BYTE_ORDER);
                    }
                    RecordBatchFlyweight.updateCrc(out, 0);
                    final ByteBuffer rebuilt = out.byteBuffer().duplicate();
                    rebuilt.limit(batchLength).position(0);
                    writeFully(channel, rebuilt, file);
                }
                recordsRemoved += total - kept;
                isChanged |= kept != total;
                position += length;
            }

            if (isChanged)
            {
                channel.force(true);
            }
        }

        if (!isChanged)
        {
            IoUtil.deleteIfExists(file);
            cleanedFiles[index] = null;
        }
    }

    private static boolean isKept(
        final RecordFlyweight records, final HashMap<ByteBuffer, Long> latest, final long expireBeforeMs)
    {
        if (records.keyLength() < 0)
        {
            return true;
        }

        final Long latestOffset = latest.get(key(records));
        if (null == latestOffset || latestOffset != records.offset())
        {
            return false;
        }

        return records.valueLength() >= 0 || records.timestamp() >= expireBeforeMs;
    }

    private static ByteBuffer key(final RecordFlyweight records)
    {
        final byte[] bytes = new byte[records.keyLength()];
        records.buffer().getBytes(records.keyOffset(), bytes);
        return ByteBuffer.wrap(bytes);
    }

    private static int checkBatch(
        final RecordBatchValidator validator, final LogSegment segment, final int position, final int size)
    {
        final BatchError error = validator.validateStored(segment.buffer, position, size - position);
        if (BatchError.OK != error)
        {
            throw new IllegalStateException(
                "segment " + segment.baseOffset + " position " + position + " is not a valid batch: " + error);
        }

        return segment.buffer.getInt(position + BATCH_LENGTH_OFFSET, RecordBatch.BYTE_ORDER);
    }

    private static void checkRecords(final BatchError error, final LogSegment segment, final int position)
    {
        if (BatchError.OK != error)
        {
            throw new IllegalStateException(
                "segment " + segment.baseOffset + " position " + position + " has undecodable records: " + error);
        }
    }

    private static void writeFully(final FileChannel channel, final ByteBuffer bytes, final File file)
        throws IOException
    {
        while (bytes.hasRemaining())
        {
            if (channel.write(bytes) < 0)
            {
                throw new IOException("cannot write " + file);
            }
        }
    }

    /**
     * Steps 2 to 4 of the swap protocol for one segment; writer thread.
     *
     * @param directory   of the partition.
     * @param baseOffset  of the segment.
     * @param cleanedFile the task's output for it.
     */
    static void swap(final File directory, final long baseOffset, final File cleanedFile)
    {
        final File logFile = new File(directory, LogSegment.fileName(baseOffset, LogSegment.LOG_SUFFIX));
        final File swapFile = new File(directory, logFile.getName() + SWAP_SUFFIX);
        try
        {
            Files.move(cleanedFile.toPath(), swapFile.toPath(), StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(directory);
            completeSwap(directory, baseOffset, swapFile);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to swap in cleaned segment " + logFile, ex);
        }
    }

    /**
     * Finish or discard what a crash left of cleanings: delete {@code .cleaned} files, complete {@code .swap} files.
     *
     * @param directory of the partition.
     * @return true if the partition was ever compacted (the marker file exists).
     */
    static boolean recoverSwaps(final File directory)
    {
        final String[] names = directory.list();
        if (null == names)
        {
            throw new UncheckedIOException(new IOException("cannot list " + directory));
        }

        boolean isChanged = false;
        try
        {
            for (final String name : names)
            {
                if (name.endsWith(LogSegment.LOG_SUFFIX + CLEANED_SUFFIX))
                {
                    IoUtil.deleteIfExists(new File(directory, name));
                    isChanged = true;
                }
                else if (name.endsWith(LogSegment.LOG_SUFFIX + SWAP_SUFFIX))
                {
                    final String logName = name.substring(0, name.length() - SWAP_SUFFIX.length());
                    final String digits = logName.substring(0, logName.length() - LogSegment.LOG_SUFFIX.length());
                    if (20 == digits.length() && digits.chars().allMatch(Character::isDigit))
                    {
                        completeSwap(directory, Long.parseLong(digits), new File(directory, name));
                        isChanged = true;
                    }
                }
            }

            if (isChanged)
            {
                forceDirectory(directory);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to recover cleaned segments in " + directory, ex);
        }

        return new File(directory, MARKER_FILE).exists();
    }

    /**
     * Write the marker that tells recovery this partition has offset gaps, before the first swap.
     *
     * @param directory of the partition.
     */
    static void writeMarker(final File directory)
    {
        final File marker = new File(directory, MARKER_FILE);
        if (!marker.exists())
        {
            try
            {
                Files.write(marker.toPath(), "offsets may have gaps: this partition was compacted\n".getBytes(
                    java.nio.charset.StandardCharsets.US_ASCII));
                forceDirectory(directory);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("failed to write " + marker, ex);
            }
        }
    }

    private static void completeSwap(final File directory, final long baseOffset, final File swapFile)
        throws IOException
    {
        final File logFile = new File(directory, LogSegment.fileName(baseOffset, LogSegment.LOG_SUFFIX));
        Files.deleteIfExists(logFile.toPath());
        Files.deleteIfExists(new File(directory, LogSegment.fileName(baseOffset, LogSegment.INDEX_SUFFIX)).toPath());
        Files.deleteIfExists(
            new File(directory, LogSegment.fileName(baseOffset, LogSegment.TIME_INDEX_SUFFIX)).toPath());
        Files.move(swapFile.toPath(), logFile.toPath(), StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(directory);
    }

    static void forceDirectory(final File directory) throws IOException
    {
        try (FileChannel channel = FileChannel.open(directory.toPath(), StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "LogCleaning{segments=" + segments.length + ", endOffset=" + endOffset + ", state=" + state +
            ", recordsRemoved=" + recordsRemoved + '}';
    }
}
