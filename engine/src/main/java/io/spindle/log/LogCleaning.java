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
import org.agrona.collections.LongArrayList;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

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
 * <b>What survives.</b> The log hands the task its cleanable segments from the log start and its first dirty offset:
 * the segments before it were cleaned already and hold at most one record per key. The task cleans the clean
 * segments, the first dirty one, and as many further dirty ones as surely fit in the cleaner's fixed-size
 * {@link KeyOffsetMap} (a segment holds at most as many keys as its offsets span); the next cleaning goes on from
 * there. Three passes: batch headers of every cleaned segment (validated; where each transaction ends and how; each
 * producer's batches), the records of the dirty segments into the map from key to the offset of the key's latest
 * record, then each segment written again keeping a record only if it is the latest for its key (the map's offset,
 * or a record of the clean segments whose key has none), and dropping a latest record that is a tombstone (null
 * value) once its timestamp is more than {@code delete.retention.ms} before the reference time. The passes allocate
 * nothing per record: they run in the cleaner's {@link CleanerWorkspace}.
 * <p>
 * Every survivor keeps its offset, timestamp, headers and
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
 *     committed; the next cleaning that reaches its marker decides it, and maps keys from the segment holding
 *     the transaction's first batch (the task's {@link #nextDirtyOffset()}), so that its records are in the map
 *     once they count;</li>
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

    /**
     * Marks a batch outside any transaction where a transaction's end is expected.
     */
    private static final long TRANSACTION_NONE = Long.MIN_VALUE;

    final LogSegment[] segments;
    final long endOffset;
    private final long firstDirtyOffset;
    private final File directory;
    private final long referenceTimeMs;
    private final long deleteRetentionMs;
    private final File[] cleanedFiles;
    private volatile int state = PENDING;
    private volatile boolean isCancelled;
    private Throwable failure;
    private long recordsRemoved;
    private long bytesRead;
    private int cleanedCount;
    private long cleanedEndOffset;
    private long nextDirtyOffset;
    private final LongArrayList removedAbortMarkers = new LongArrayList();

    /**
     * @param directory         of the partition.
     * @param segments          sealed segments to clean, consecutive, oldest first.
     * @param endOffset         first offset after them (the next segment's base offset).
     * @param referenceTimeMs   state-machine time tombstones are judged against.
     * @param deleteRetentionMs how long a tombstone survives after its timestamp.
     * @param firstDirtyOffset  where the segments not yet cleaned start: those before it hold one record per key.
     */
    LogCleaning(
        final File directory,
        final LogSegment[] segments,
        final long endOffset,
        final long referenceTimeMs,
        final long deleteRetentionMs,
        final long firstDirtyOffset)
    {
        this.firstDirtyOffset = firstDirtyOffset;
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
     * How many of the segments, from the first, this cleaning cleaned (as many as the key map allowed); after
     * {@link #isDone()}.
     *
     * @return count.
     */
    int cleanedSegments()
    {
        return cleanedCount;
    }

    /**
     * Where the next cleaning must start mapping keys: the end of the cleaned segments, or the segment holding the
     * first batch of a transaction still undecided at their end; after {@link #isDone()}.
     *
     * @return the offset, a segment's base offset.
     */
    long nextDirtyOffset()
    {
        return nextDirtyOffset;
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
     * @param cleaner   for the throttle.
     * @param workspace the cleaner's reusable state, which this task owns until it returns.
     */
    void run(final LogCleaner cleaner, final CleanerWorkspace workspace)
    {
        int outcome = DONE;
        try
        {
            workspace.clear();
            final long startNs = System.nanoTime();
            final KeyOffsetMap keys = workspace.keys;

            // How many segments this pass cleans: all the clean ones, the first dirty one, and as many more dirty
            // ones as surely fit in the key map (a segment holds at most as many keys as its offsets span).
            int dirtyIndex = 0;
            while (dirtyIndex < segments.length && segments[dirtyIndex].baseOffset < firstDirtyOffset)
            {
                dirtyIndex++;
            }
            int count = Math.min(segments.length, dirtyIndex + 1);
            long span = count > dirtyIndex ? endOf(count - 1) - segments[dirtyIndex].baseOffset : 0;
            while (count < segments.length && span + endOf(count) - segments[count].baseOffset <= keys.maxEntries())
            {
                span += endOf(count) - segments[count].baseOffset;
                count++;
            }
            cleanedCount = count;
            cleanedEndOffset = endOf(count - 1);

            if (!findTransactions(workspace) || !mapKeys(workspace, dirtyIndex, cleaner, startNs))
            {
                outcome = CANCELLED;
                return;
            }

            workspace.openTransactions.clear();
            for (int i = 0; i < count; i++)
            {
                if (isCancelled)
                {
                    outcome = CANCELLED;
                    return;
                }

                writeCleaned(i, workspace, cleaner, startNs);
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

    private long endOf(final int index)
    {
        return index + 1 < segments.length ? segments[index + 1].baseOffset : endOffset;
    }

    /**
     * First pass, batch headers only, over every cleaned segment: validate each batch, count each producer's
     * batches, find where each transaction ends and how, and where the next pass must start mapping keys so that a
     * transaction still undecided at the end of these segments is mapped whole once it is decided.
     */
    private boolean findTransactions(final CleanerWorkspace workspace)
    {
        final RecordBatchFlyweight batch = workspace.batch;
        final Long2LongHashMap open = workspace.openTransactions;
        for (int i = 0; i < cleanedCount; i++)
        {
            final LogSegment segment = segments[i];
            final int size = segment.sizeAcquire();
            int position = 0;
            while (position < size)
            {
                if (isCancelled)
                {
                    return false;
                }

                final int length = checkBatch(workspace.validator, segment, position, size);
                batch.wrap(segment.buffer, position);
                final long producerId = batch.producerId();
                if (batch.isControl())
                {
                    final long first = open.remove(producerId);
                    if (-1 != first)
                    {
                        final boolean isCommit = ControlRecord.COMMIT == ControlRecord.type(segment.buffer, position);
                        workspace.transactionEnds.put(first, batch.baseOffset() * 2 + (isCommit ? 1 : 0));
                    }
                }
                else
                {
                    if (RecordBatch.NO_PRODUCER_ID != producerId)
                    {
                        workspace.producerBatches.put(producerId, workspace.producerBatches.get(producerId) + 1);
                    }
                    if (batch.isTransactional() && -1 == open.get(producerId))
                    {
                        open.put(producerId, batch.baseOffset());
                    }
                }
                position += length;
            }
        }

        long nextDirty = cleanedEndOffset;
        final Long2LongHashMap.ValueIterator firsts = open.values().iterator();
        while (firsts.hasNext())
        {
            nextDirty = Math.min(nextDirty, firsts.nextValue());
        }
        for (int i = cleanedCount - 1; i >= 0 && nextDirty < cleanedEndOffset; i--)
        {
            if (segments[i].baseOffset <= nextDirty)
            {
                nextDirty = segments[i].baseOffset;
                break;
            }
        }
        nextDirtyOffset = nextDirty;
        open.clear();
        return true;
    }

    /**
     * Second pass, over the dirty segments: the latest offset per key of the records that may supersede others
     * (outside transactions, or in transactions committed within the segments), and the keys of transactions
     * undecided within them. The clean segments before them hold one record per key already, so they need no
     * entries: a record there without an entry is the latest of its key.
     */
    private boolean mapKeys(
        final CleanerWorkspace workspace, final int dirtyIndex, final LogCleaner cleaner, final long startNs)
    {
        final RecordBatchFlyweight batch = workspace.batch;
        final RecordFlyweight records = workspace.records;
        final Long2LongHashMap open = workspace.openTransactions;
        final KeyOffsetMap keys = workspace.keys;
        for (int i = 0; i < cleanedCount; i++)
        {
            final LogSegment segment = segments[i];
            final boolean isDirty = i >= dirtyIndex;
            final int size = segment.sizeAcquire();
            int position = 0;
            while (position < size)
            {
                if (isCancelled)
                {
                    return false;
                }

                batch.wrap(segment.buffer, position);
                final int length = batch.batchLength();
                final long producerId = batch.producerId();
                if (batch.isControl())
                {
                    open.remove(producerId);
                }
                else
                {
                    long end = TRANSACTION_NONE;
                    if (batch.isTransactional())
                    {
                        long first = open.get(producerId);
                        if (-1 == first)
                        {
                            first = batch.baseOffset();
                            open.put(producerId, first);
                        }
                        end = workspace.transactionEnds.get(first);
                    }

                    if (isDirty && (TRANSACTION_NONE == end || -1 == end || 1 == (end & 1)))
                    {
                        checkRecords(records.wrap(batch), segment, position);
                        while (records.next())
                        {
                            if (records.keyLength() >= 0 && !(-1 == end ?
                                keys.putUndecided(records.buffer(), records.keyOffset(), records.keyLength()) :
                                keys.putMax(records.buffer(), records.keyOffset(), records.keyLength(),
                                records.offset())))
                            {
                                throw new IllegalStateException("the cleaner's key map (" + keys.maxEntries() +
                                    " keys, " + StorageConfiguration.CLEANER_DEDUPE_BUFFER_SIZE.name() +
                                    ") cannot hold the keys of segment " + segment.baseOffset);
                            }
                        }
                    }
                }
                position += length;
                if (isDirty)
                {
                    bytesRead += length;
                    cleaner.throttle(length, startNs, bytesRead);
                }
            }
        }

        return true;
    }

    private void writeCleaned(
        final int index, final CleanerWorkspace workspace, final LogCleaner cleaner, final long startNs)
        throws IOException
    {
        final RecordBatchValidator validator = workspace.validator;
        final RecordFlyweight records = workspace.records;
        final RecordBatchFlyweight batch = workspace.batch;
        final Long2LongHashMap open = workspace.openTransactions;
        final ExpandableDirectByteBuffer out = workspace.out;
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
                    final long first = open.remove(producerId);
                    total = batch.recordCount();
                    kept = (-1 == first || 0 == workspace.batchesKept.get(first)) &&
                        batch.maxTimestamp() < expireBeforeMs ? 0 : total;
                    if (0 == kept && ControlRecord.ABORT == ControlRecord.type(segment.buffer, position))
                    {
                        removedAbortMarkers.addLong(batch.baseOffset());
                    }
                }
                else
                {
                    long first = -1;
                    long end = TRANSACTION_NONE;
                    if (batch.isTransactional())
                    {
                        first = open.get(producerId);
                        if (-1 == first)
                        {
                            first = batch.baseOffset();
                            open.put(producerId, first);
                        }
                        end = workspace.transactionEnds.get(first);
                    }

                    final long producerBatch = RecordBatch.NO_PRODUCER_ID == producerId ? 0 :
                        workspace.producerBatchesSeen.get(producerId) + 1;
                    if (RecordBatch.NO_PRODUCER_ID != producerId)
                    {
                        workspace.producerBatchesSeen.put(producerId, producerBatch);
                    }

                    checkRecords(records.wrap(batch), segment, position);
                    if (-1 == end)
                    {
                        // Not decided within these segments (its marker is beyond them): kept as it is.
                        total = batch.recordCount();
                        kept = total;
                        isWhole = true;
                    }
                    else
                    {
                        final boolean isAborted = TRANSACTION_NONE != end && 0 == (end & 1);
                        out.putBytes(0, segment.buffer, position, HEADER_LENGTH);
                        while (records.next())
                        {
                            total++;
                            if (!isAborted && isKept(records, workspace.keys, expireBeforeMs))
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
                            producerBatch > workspace.producerBatches.get(producerId) - PRODUCER_BATCHES_RETAINED;
                    }

                    if (-1 != first && (kept > 0 || isEmptyKept || isWhole))
                    {
                        workspace.batchesKept.put(first, workspace.batchesKept.get(first) + 1);
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
                    writeFully(channel, workspace.outBytes(batchLength), file);
                }
                recordsRemoved += total - kept;
                position += length;
                bytesRead += length;
                cleaner.throttle(length, startNs, bytesRead); // a batch at a time, not a segment at a time
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

    /**
     * Whether a decided record survives: it is the latest of its key (the key map's offset for it, or no offset if
     * it lies in the clean segments), and not a tombstone past {@code delete.retention.ms} unless an undecided
     * transaction wrote its key.
     */
    private static boolean isKept(final RecordFlyweight records, final KeyOffsetMap keys, final long expireBeforeMs)
    {
        if (records.keyLength() < 0)
        {
            return true;
        }

        final long word = keys.get(records.buffer(), records.keyOffset(), records.keyLength());
        final long latestOffset = KeyOffsetMap.decodeOffset(word);
        if (KeyOffsetMap.NO_OFFSET != latestOffset && latestOffset != records.offset())
        {
            return false;
        }

        return records.valueLength() >= 0 || records.timestamp() >= expireBeforeMs || KeyOffsetMap.isUndecided(word);
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
