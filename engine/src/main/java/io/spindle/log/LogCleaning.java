/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.ControlRecord;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.IoUtil;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;

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
 * batch header (base offset, lastOffsetDelta, producer fields), so offsets get gaps but never move; a batch with all
 * its records is copied byte for byte, and a compressed batch that lost records is written uncompressed. Records
 * without a key (never on a compacted topic) are kept and supersede nothing.
 * <p>
 * <b>Transactions</b> (after Kafka's cleaner, with one difference in how the delay is measured). The log never
 * hands the cleaner a segment at or beyond the last stable offset, so every transaction with records in the task is
 * decided; but its marker may lie beyond the task, and the task judges only by its own bytes. So:
 * <ul>
 *     <li>a transaction whose marker is in the segments is decided here: a committed one's records take part in
 *     compaction like any other (its keys counted at their own offsets when its COMMIT marker is met); an aborted
 *     one's records are all removed and supersede nothing;</li>
 *     <li>a transaction whose marker is beyond the segments is kept whole and supersedes nothing, and a tombstone
 *     of a key it wrote before the tombstone stays, so that its records cannot come back if it turns out
 *     committed; the next cleaning that reaches its marker decides it;</li>
 *     <li>a marker (COMMIT or ABORT) goes once no batch of its transaction is left (the transaction's batches all
 *     precede the marker, and a cleaning always starts at the log start, so the task sees all of them) and its
 *     own timestamp is more than {@code delete.retention.ms} before the reference time, as for tombstones. Kafka
 *     starts that delay when the transaction's last record is cleaned (it stamps a delete horizon into the
 *     marker's batch); Spindle measures it from the marker's timestamp so that the output depends on nothing but
 *     the bytes and the reference time. What Kafka's delay protects, a read_committed reader that saw the
 *     transaction's records and then meets no marker, cannot happen here: the log stops listing an aborted
 *     transaction the moment its marker is swapped out ({@link PartitionLog#abortedTransactions()}), and a reader
 *     keeps no aborted-transaction state across fetches;</li>
 *     <li>a batch left with no record is dropped, except the latest {@link #PRODUCER_BATCHES_RETAINED} batches of
 *     each producer in the segments, which are kept as a bare header (no record, same base offset,
 *     lastOffsetDelta, producer id, epoch and base sequence): a broker that rebuilds its producers from the log
 *     still knows the producer's last sequence numbers and answers a retried batch as a duplicate. Kafka keeps
 *     only the batch holding the producer's last sequence, for producers still active. A kept header counts as a
 *     batch of its transaction, so the marker stays with it, and a rebuilt producer state never sees a
 *     transaction start without its end.</li>
 * </ul>
 * A reader at read_uncommitted sees an aborted transaction's records until the cleaning that removes them;
 * committed data is never changed, only superseded records go. The output depends only on the segments' bytes,
 * {@code delete.retention.ms} and the reference time the log passes in (its state-machine time), never on a clock,
 * on the cleaner's timing or on state outside the segments: members of a cluster that clean different ranges at
 * different times may hold different sets of superseded records, never different records at one offset.
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

    /**
     * Batches per producer whose headers survive emptying: as many as the broker remembers per producer for
     * duplicate detection (PartitionProducers.CACHED_BATCHES).
     */
    static final int PRODUCER_BATCHES_RETAINED = 5;

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
    private final LongArrayList removedAbortMarkers = new LongArrayList();

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
     * Offsets of the ABORT markers this cleaning removed, ascending; after {@link #isDone()}.
     *
     * @return the offsets.
     */
    LongArrayList removedAbortMarkers()
    {
        return removedAbortMarkers;
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
            final Long2ObjectHashMap<Transaction> transactions = new Long2ObjectHashMap<>();
            final Long2LongHashMap producerBatches = new Long2LongHashMap(0);
            long bytesRead = 0;
            final RecordBatchFlyweight batch = new RecordBatchFlyweight();
            final Long2ObjectHashMap<Transaction> open = new Long2ObjectHashMap<>();

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
                    mapBatch(batch, records, segment, position, latest, transactions, open, producerBatches);
                    position += length;
                    bytesRead += length;
                    cleaner.throttle(length, startNs, bytesRead);
                }
            }

            // A transaction still undecided at the end of the segments may yet commit records of a key whose
            // tombstone comes after them: such a tombstone must stay, or the committed record would come back.
            final HashSet<ByteBuffer> undecidedKeys = new HashSet<>();
            for (final Transaction transaction : open.values())
            {
                undecidedKeys.addAll(transaction.keys);
            }

            final ExpandableDirectByteBuffer out = new ExpandableDirectByteBuffer(64 * 1024);
            final Long2LongHashMap producerBatchesSeen = new Long2LongHashMap(0);
            open.clear();
            for (int i = 0; i < segments.length; i++)
            {
                if (isCancelled)
                {
                    outcome = CANCELLED;
                    return;
                }

                writeCleaned(i, validator, records, batch, latest, undecidedKeys, transactions, open,
                    producerBatches, producerBatchesSeen, out);
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
            cleaner.onTaskEnded(DONE == outcome, FAILED == outcome, recordsRemoved);
            state = outcome;
        }
    }

    /**
     * First pass over one batch: the latest offset per key of the records that may supersede others (outside
     * transactions, or in transactions committed within the segments), the transactions and how each ended, and
     * how many batches each producer has.
     */
    private static void mapBatch(
        final RecordBatchFlyweight batch,
        final RecordFlyweight records,
        final LogSegment segment,
        final int position,
        final HashMap<ByteBuffer, Long> latest,
        final Long2ObjectHashMap<Transaction> transactions,
        final Long2ObjectHashMap<Transaction> open,
        final Long2LongHashMap producerBatches)
    {
        final long producerId = batch.producerId();
        if (batch.isControl())
        {
            final Transaction transaction = open.remove(producerId);
            if (null != transaction)
            {
                transaction.markerOffset = batch.baseOffset();
                transaction.isCommitted = ControlRecord.COMMIT == ControlRecord.type(batch.buffer(), position);
                for (int i = 0; transaction.isCommitted && i < transaction.keys.size(); i++)
                {
                    // A committed transaction's records count at their own offsets, which a later record of the
                    // same key outside the transaction may already have passed.
                    latest.merge(transaction.keys.get(i), transaction.offsets.getLong(i), Math::max);
                }
                transaction.keys = null;
                transaction.offsets = null;
            }
            return;
        }

        if (RecordBatch.NO_PRODUCER_ID != producerId)
        {
            producerBatches.put(producerId, producerBatches.get(producerId) + 1);
        }

        Transaction transaction = null;
        if (batch.isTransactional())
        {
            transaction = open.get(producerId);
            if (null == transaction)
            {
                transaction = new Transaction();
                open.put(producerId, transaction);
                transactions.put(batch.baseOffset(), transaction);
            }
        }

        checkRecords(records.wrap(batch), segment, position);
        while (records.next())
        {
            if (records.keyLength() >= 0)
            {
                if (null == transaction)
                {
                    latest.put(key(records), records.offset());
                }
                else
                {
                    transaction.keys.add(key(records));
                    transaction.offsets.addLong(records.offset());
                }
            }
        }
    }

    private void writeCleaned(
        final int index,
        final RecordBatchValidator validator,
        final RecordFlyweight records,
        final RecordBatchFlyweight batch,
        final HashMap<ByteBuffer, Long> latest,
        final HashSet<ByteBuffer> undecidedKeys,
        final Long2ObjectHashMap<Transaction> transactions,
        final Long2ObjectHashMap<Transaction> open,
        final Long2LongHashMap producerBatches,
        final Long2LongHashMap producerBatchesSeen,
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
                final long producerId = batch.producerId();
                int kept = 0;
                int total = 0;
                int recordsLength = 0;
                long maxTimestamp = Long.MIN_VALUE;
                boolean isEmptyKept = false;
                boolean isWhole = false;
                if (batch.isControl())
                {
                    // A marker goes once no batch of its transaction is left and it is older than the tombstone
                    // retention; the transaction's batches all precede it, and the segments start at the log start.
                    final Transaction transaction = open.remove(producerId);
                    total = batch.recordCount();
                    kept = (null == transaction || 0 == transaction.batchesKept) &&
                        batch.maxTimestamp() < expireBeforeMs ? 0 : total;
                    if (0 == kept && ControlRecord.ABORT == ControlRecord.type(segment.buffer, position))
                    {
                        removedAbortMarkers.addLong(batch.baseOffset());
                    }
                }
                else
                {
                    Transaction transaction = null;
                    if (batch.isTransactional())
                    {
                        transaction = open.get(producerId);
                        if (null == transaction)
                        {
                            transaction = transactions.get(batch.baseOffset());
                            open.put(producerId, transaction);
                        }
                    }

                    final long producerBatch = RecordBatch.NO_PRODUCER_ID == producerId ? 0 :
                        producerBatchesSeen.get(producerId) + 1;
                    if (RecordBatch.NO_PRODUCER_ID != producerId)
                    {
                        producerBatchesSeen.put(producerId, producerBatch);
                    }

                    checkRecords(records.wrap(batch), segment, position);
                    if (null != transaction && transaction.markerOffset < 0)
                    {
                        // Not decided within these segments (its marker is beyond them): kept as it is.
                        total = batch.recordCount();
                        kept = total;
                        isWhole = true;
                    }
                    else
                    {
                        final boolean isAborted = null != transaction && !transaction.isCommitted;
                        out.putBytes(0, segment.buffer, position, HEADER_LENGTH);
                        while (records.next())
                        {
                            total++;
                            if (!isAborted && isKept(records, latest, undecidedKeys, expireBeforeMs))
                            {
                                out.putBytes(HEADER_LENGTH + recordsLength, records.buffer(),
                                    records.recordOffset(), records.recordLength());
                                recordsLength += records.recordLength();
                                maxTimestamp = Math.max(maxTimestamp, records.timestamp());
                                kept++;
                            }
                        }

                        // A producer's latest batches keep their header when emptied, so that its sequence numbers
                        // (duplicate detection) survive a restart that rebuilds producer state from the log.
                        isEmptyKept = 0 == kept && RecordBatch.NO_PRODUCER_ID != producerId &&
                            producerBatch > producerBatches.get(producerId) - PRODUCER_BATCHES_RETAINED;
                    }

                    if (null != transaction && (kept > 0 || isEmptyKept || isWhole))
                    {
                        transaction.batchesKept++;
                    }
                }

                final boolean isDropped = 0 == kept && !isEmptyKept && !isWhole;
                if (isDropped)
                {
                    isChanged = true;
                }
                else if (kept == total)
                {
                    source.limit(position + length).position(position);
                    writeFully(channel, source, file);
                }
                else
                {
                    isChanged = true;
                    final int batchLength = HEADER_LENGTH + recordsLength;
                    out.putInt(BATCH_LENGTH_OFFSET, batchLength, BYTE_ORDER);
                    out.putInt(RECORD_COUNT_OFFSET, kept, BYTE_ORDER);
                    final int attributes = out.getShort(ATTRIBUTES_OFFSET, BYTE_ORDER) & 0xFFFF;
                    out.putShort(ATTRIBUTES_OFFSET, (short)(attributes & ~COMPRESSION_MASK), BYTE_ORDER);
                    if (!batch.isLogAppendTime() && kept > 0)
                    {
                        out.putLong(MAX_TIMESTAMP_OFFSET, maxTimestamp, BYTE_ORDER);
                    }
                    RecordBatchFlyweight.updateCrc(out, 0);
                    final ByteBuffer rebuilt = out.byteBuffer().duplicate();
                    rebuilt.limit(batchLength).position(0);
                    writeFully(channel, rebuilt, file);
                }
                recordsRemoved += total - kept;
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
        final RecordFlyweight records,
        final HashMap<ByteBuffer, Long> latest,
        final HashSet<ByteBuffer> undecidedKeys,
        final long expireBeforeMs)
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

        return records.valueLength() >= 0 || records.timestamp() >= expireBeforeMs ||
            (!undecidedKeys.isEmpty() && undecidedKeys.contains(key(records)));
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
     * A transaction met in the segments: where it starts, how and where it ended if it did within them, and, while
     * writing, how many of its batches were kept.
     */
    private static final class Transaction
    {
        long markerOffset = -1;
        boolean isCommitted;
        int batchesKept;
        ArrayList<ByteBuffer> keys = new ArrayList<>();
        LongArrayList offsets = new LongArrayList();

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
