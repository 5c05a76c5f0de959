/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.IoUtil;
import org.agrona.collections.LongArrayList;

import java.io.File;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;

import static io.spindle.codecs.batch.RecordBatch.ATTRIBUTES_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_OFFSET_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BATCH_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.HEADER_LENGTH;
import static io.spindle.codecs.batch.RecordBatch.LAST_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAX_TIMESTAMP_OFFSET;

/**
 * The log of one partition: an ordered, append-only sequence of record batches with offsets, stored as
 * memory-mapped segment files with sparse offset and time indexes, recovered on open and trimmed by retention.
 * <p>
 * Directory layout, one directory per partition:
 * <pre>
 *   partition-dir/
 *     00000000000000000000.log        batches with offsets from 0          (sealed: trimmed to its data)
 *     00000000000000000000.index      offset -> position, sparse           (see OffsetIndex)
 *     00000000000000000000.timeindex  timestamp -> offset, sparse          (see TimeIndex)
 *     00000000000000001234.log        active segment, base offset 1234     (preallocated, mapped read-write)
 *     00000000000000001234.index
 *     00000000000000001234.timeindex
 *     recovery-point                  offset below which data was forced   (see RecoveryPointFile)
 * </pre>
 * <b>Appending.</b> {@link #append} validates a batch in the codecs format (CRC32C, lengths, counts, records),
 * rejects it with {@link #CORRUPT_MESSAGE} or {@link #RECORD_TOO_LARGE} leaving the log unchanged, rolls to a new
 * segment at {@code segment.bytes} or {@code segment.ms}, copies the batch to the end of the active segment's
 * mapped memory, writes its base offset (and optionally partition leader epoch) in place, adds an index entry every
 * {@code index.interval.bytes}, and returns the base offset. Nothing is allocated per append. Before copying, the
 * segment has the file system allocate the bytes the batch goes to (see {@link LogSegment}), so a full disk is
 * answered {@link #KAFKA_STORAGE_ERROR} with the log unchanged, never a fault after the batch was acknowledged.
 * <p>
 * <b>Threading and memory ordering.</b> Exactly one thread, the writer, calls every method that changes the log:
 * {@link #append}, {@link #highWaterMark(long)}, {@link #roll}, {@link #flush}, {@link #doWork},
 * {@link #deleteExpiredSegments}, {@link #truncateTo}, {@link #truncateFullyAndStartAt}, {@link #config(LogConfig)},
 * {@link #startCleaning}, {@link #completeCleaning} and {@link #close()}. Any number of reader threads (the fetch server) may concurrently call {@link #read},
 * {@link #offsetForTimestamp}, {@link #logStartOffset()}, {@link #logEndOffset()}, {@link #highWaterMark()},
 * {@link #sizeInBytes()} and {@link #segmentCount()}, without locks:
 * <ul>
 *     <li>the writer copies a batch's bytes into the segment, then publishes, each with a release store: index
 *     entries (entry count), the segment's size, the log end offset; the host later publishes the high-water mark
 *     the same way;</li>
 *     <li>a reader acquire-loads the high-water mark, then the segment's size, and reads only whole batches below
 *     both, so it never sees a partial batch or one beyond the high-water mark;</li>
 *     <li>the segment list is a copy-on-write array published through a volatile field on roll, retention and
 *     truncation; the log start offset is raised before the array drops segments.</li>
 * </ul>
 * <b>Unmapping.</b> A reader may still be inside a segment that retention or truncation just removed, and Java
 * crashes (SIGSEGV) on access to an explicitly unmapped buffer. So a removed segment is flagged deleted (a reader
 * that notices answers {@link #OFFSET_OUT_OF_RANGE}), its files are unlinked at once (POSIX keeps the mapped pages
 * alive), and it is unmapped only {@code file.delete.delay.ms} later (60 s by default), on the writer thread in
 * {@link #doWork} or {@link #deleteExpiredSegments} - the linger Aeron gives log buffers. A reader must therefore
 * finish with a {@link LogReadResult} view within that delay. {@link #close()} unmaps everything at once: stop
 * readers first.
 * <p>
 * <b>Truncation</b> ({@link #truncateTo}) lowers the high-water mark and log end first, then zeroes the discarded
 * bytes in place; a reader concurrently reading the discarded range may see them change, so the host truncates
 * only when no fetch above the target offset is in flight (replicas truncate on leader change or restart, before
 * they serve).
 * <p>
 * <b>Durability and recovery.</b> See {@link FlushPolicy}. On {@link #open}, sealed segments are trusted (they were
 * forced when they rolled, or survived a process crash in the page cache) and only their tail after the last index
 * entry is checked; the active segment is scanned from the last index entry at or below the recovery point (the
 * whole segment if there is no recovery point, or the index is missing or inconsistent), validating every batch by
 * length, offset sequence and CRC32C; the first invalid batch and everything after it is cut, the indexes are
 * rebuilt, and {@link #recoveryReport()} says how many batches and bytes were cut. A clean {@link #close()} forces
 * everything and records the recovery point at the log end, so the next open scans only from the last index entry.
 * {@link LogLoader} does the recovery at open.
 * <p>
 * <b>Compaction.</b> With {@code cleanup.policy} {@code compact} (or {@code compact,delete}) records need keys
 * ({@link #INVALID_RECORD} otherwise), retention deletes segments only under {@code delete}, and {@link #doWork}
 * starts a cleaning of the sealed segments when one is due ({@link #startCleaning}) and swaps its result in once
 * the {@link LogCleaner}'s thread has written it ({@link #completeCleaning}): see {@link LogCleaning} for what
 * survives and for the crash-safe swap. A swapped-out segment lingers, mapped, for {@code file.delete.delay.ms}
 * like a deleted one, but is not flagged deleted: a reader already on it keeps reading the records it held, at
 * the same offsets. Offsets in a compacted range have gaps; {@link #read} of an offset in a gap returns the batch
 * holding the next surviving offset. {@link LogCompaction} does this for the log.
 * <p>
 * <b>Time</b> is always passed in by the host ({@code nowMs}); the log never reads a clock, so the clustered host
 * makes the same roll and retention decisions on every member.
 */
public final class PartitionLog implements AutoCloseable
{
    /**
     * No offset: returned by {@link #offsetForTimestamp} when no batch qualifies.
     */
    public static final long NULL_OFFSET = -1;

    /**
     * Append rejected: the batch failed validation ({@link ErrorCode#CORRUPT_MESSAGE}); see
     * {@link #lastAppendError()}.
     */
    public static final int CORRUPT_MESSAGE = -2;

    /**
     * Append rejected: the batch is larger than {@code max.message.bytes} ({@link ErrorCode#RECORD_TOO_LARGE}).
     */
    public static final int RECORD_TOO_LARGE = -3;

    /**
     * Read refused: the offset is below the log start or above the log end ({@link ErrorCode#OFFSET_OUT_OF_RANGE}).
     */
    public static final int OFFSET_OUT_OF_RANGE = -4;

    /**
     * Append failed on storage ({@link ErrorCode#KAFKA_STORAGE_ERROR}): either the file system refused space for
     * the batch (disk full; nothing was written and a later append may succeed once space is freed) or an I/O
     * failure hit the log, which then refuses further appends; see {@link #lastStorageFailure()}.
     */
    public static final int KAFKA_STORAGE_ERROR = -5;

    /**
     * Append rejected: a record has no key and the topic is compacted ({@link ErrorCode#INVALID_RECORD}).
     */
    public static final int INVALID_RECORD = -6;

    /**
     * How often, in the host time passed to {@link #doWork}, a compacted log checks whether a cleaning is due:
     * system property {@code spindle.log.cleaner.backoff.ms}, default 1s.
     */
    public static final long CLEANER_BACKOFF_MS = StorageConfiguration.cleanerBackoffMs();

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle HIGH_WATER_MARK_VH;
    private static final long[] NO_ABORTED_TRANSACTIONS = new long[0];
    private static final VarHandle LOG_END_OFFSET_VH;
    private static final VarHandle LOG_START_OFFSET_VH;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            HIGH_WATER_MARK_VH = lookup.findVarHandle(PartitionLog.class, "highWaterMark", long.class);
            LOG_END_OFFSET_VH = lookup.findVarHandle(PartitionLog.class, "logEndOffset", long.class);
            LOG_START_OFFSET_VH = lookup.findVarHandle(PartitionLog.class, "logStartOffset", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final File directory;
    private final RecordBatchValidator validator;
    private final RecoveryPointFile recoveryPointFile;
    private final ArrayDeque<LogSegment> lingeringSegments = new ArrayDeque<>();
    private final RecoveryReport recoveryReport;
    private final AppendStamp appendStamp = new AppendStamp();

    private volatile LogSegment[] segments;
    private long logStartOffset;
    private long logEndOffset;
    private long highWaterMark;
    private volatile long firstUnstableOffset = Long.MAX_VALUE;
    private volatile long[] abortedTransactions = NO_ABORTED_TRANSACTIONS;
    private long[] publishedAbortedTransactions = NO_ABORTED_TRANSACTIONS;
    private final AbortMarkers abortMarkers;

    private volatile LogConfig config;
    private volatile long tieredOffset;
    private volatile RemoteLogReader remoteReader;
    private LogSegment activeSegment;
    private long recoveryPointOffset;
    private long lastFlushMs;
    private BatchError lastAppendError = BatchError.OK;
    private Throwable storageError;
    private Throwable lastStorageFailure;
    private boolean isClosed;
    /**
     * Where a batch is patched before a positional write in {@link AppendMode#WRITE}: empty until the first such
     * append, then grown to the largest batch appended (so at most {@code max.message.bytes}), never shrunk.
     */
    private final ExpandableDirectByteBuffer appendStaging = new ExpandableDirectByteBuffer(0);

    private final LogCompaction compaction;
    private long stateTimeMs;
    private long nextCleaningCheckMs;

    private PartitionLog(final File directory, final LogConfig config, final long nowMs)
    {
        this.directory = directory;
        this.config = config;
        IoUtil.ensureDirectoryExists(directory, "partition log");
        this.recoveryPointFile = new RecoveryPointFile(directory, true);
        this.validator = new RecordBatchValidator();

        final long storedRecoveryPoint = recoveryPointFile.read();
        final LogLoader loader = new LogLoader(directory, config);
        final LogSegment[] recovered;
        try
        {
            recovered = loader.load(storedRecoveryPoint);
        }
        catch (final RuntimeException ex)
        {
            recoveryPointFile.close();
            validator.close();
            throw ex;
        }

        recoveryReport = loader.recoveryReport();
        activeSegment = recovered[recovered.length - 1];
        if (activeSegment.size() > 0)
        {
            activeSegment.rollStartMs(nowMs);
        }

        final long endOffset = activeSegment.nextOffset();
        recoveryPointOffset = loader.recoveryPoint();
        recoveryPointFile.write(recoveryPointOffset);

        lastFlushMs = nowMs;
        stateTimeMs = nowMs;
        compaction = new LogCompaction(directory, loader.isCompacted(), recovered[0].baseOffset);
        logStartOffset = recovered[0].baseOffset;
        logEndOffset = endOffset;
        abortMarkers = new AbortMarkers(compaction.isCompacted() ? endOffset : 0);
        highWaterMark = endOffset;
        segments = recovered;
    }

    /**
     * Open the log in a directory, creating it if needed, and recover what is there.
     *
     * @param directory of the partition; created if missing.
     * @param config    of the topic; concluded here.
     * @param nowMs     host time, starting the segment.ms clock of a non-empty active segment.
     * @return the open log; the high-water mark starts at the log end offset.
     * @throws UncheckedIOException     if the files cannot be opened or repaired.
     * @throws IllegalArgumentException if the config is invalid.
     * @throws IllegalStateException    if another open log holds the directory.
     */
    public static PartitionLog open(final File directory, final LogConfig config, final long nowMs)
    {
        return new PartitionLog(directory, config.conclude(), nowMs);
    }

    /**
     * Map a result of {@link #append} or {@link #read} to the protocol's error code.
     *
     * @param result an offset or length (non-negative, or {@link #NULL_OFFSET}), or a negative error constant.
     * @return {@link ErrorCode#NONE} for a non-error result, else the matching code.
     */
    public static ErrorCode errorCode(final long result)
    {
        if (result >= NULL_OFFSET)
        {
            return ErrorCode.NONE;
        }

        switch ((int)result)
        {
            case CORRUPT_MESSAGE: return ErrorCode.CORRUPT_MESSAGE;
            case RECORD_TOO_LARGE: return ErrorCode.RECORD_TOO_LARGE;
            case OFFSET_OUT_OF_RANGE: return ErrorCode.OFFSET_OUT_OF_RANGE;
            case KAFKA_STORAGE_ERROR: return ErrorCode.KAFKA_STORAGE_ERROR;
            case INVALID_RECORD: return ErrorCode.INVALID_RECORD;
            default: return ErrorCode.UNKNOWN_SERVER_ERROR;
        }
    }

    /**
     * What {@link #open} found and cut.
     *
     * @return the recovery report.
     */
    public RecoveryReport recoveryReport()
    {
        return recoveryReport;
    }

    /**
     * When the latest append happened, as the host stamped it, for latency from append to a consumer.
     *
     * @return the stamp; written by the writer thread, read by any.
     */
    public AppendStamp appendStamp()
    {
        return appendStamp;
    }

    /**
     * Directory the log lives in.
     *
     * @return the partition directory.
     */
    public File directory()
    {
        return directory;
    }

    /**
     * Current config.
     *
     * @return the concluded config.
     */
    public LogConfig config()
    {
        return config;
    }

    /**
     * Replace the config, as after a topic config change; writer thread. Retention and flush settings apply from the
     * next pass. A change of {@code segment.bytes} or {@code index.interval.bytes} starts a new segment here, at the
     * new sizes (an empty active segment is made again): the active segment is then always as large as the config
     * says, as one reopened from its files is. Otherwise where the log rolls next would depend on whether, and how
     * cleanly, its files were reopened since a change, and members of a cluster would cut their segments (which
     * retention deletes whole) at different offsets.
     *
     * @param config new config; concluded here.
     * @param nowMs  host time.
     * @return false when the new segment could not be made: {@link #lastStorageFailure()} says why, and the config
     * is replaced anyway.
     */
    public boolean config(final LogConfig config, final long nowMs)
    {
        checkOpen();
        final LogConfig previous = this.config;
        this.config = config.conclude();
        if (previous.segmentBytes() == this.config.segmentBytes() &&
            previous.indexIntervalBytes() == this.config.indexIntervalBytes())
        {
            return true;
        }
        try
        {
            return null != rollForAppend(nowMs);
        }
        catch (final UncheckedIOException ex)
        {
            lastStorageFailure = ex;
            return false;
        }
    }

    /**
     * Append a record batch, keeping the partition leader epoch the producer wrote; writer thread.
     *
     * @param buffer holding the batch.
     * @param offset of the batch in the buffer.
     * @param length of the batch, which must equal its batchLength field.
     * @param nowMs  host time, for segment.ms rolls and the interval flush policy.
     * @return the base offset assigned, or {@link #CORRUPT_MESSAGE}, {@link #RECORD_TOO_LARGE} or
     * {@link #KAFKA_STORAGE_ERROR}.
     */
    public long append(final DirectBuffer buffer, final int offset, final int length, final long nowMs)
    {
        return append(buffer, offset, length, RecordBatch.NO_PARTITION_LEADER_EPOCH, nowMs);
    }

    /**
     * Append a record batch; writer thread.
     * <p>
     * The source buffer is not modified: the base offset and epoch are written into the log's copy.
     *
     * @param buffer               holding the batch.
     * @param offset               of the batch in the buffer.
     * @param length               of the batch, which must equal its batchLength field.
     * @param partitionLeaderEpoch to write into the stored batch, or {@link RecordBatch#NO_PARTITION_LEADER_EPOCH}
     *                             to keep the producer's value.
     * @param nowMs                host time, for segment.ms rolls and the interval flush policy.
     * @return the base offset assigned, or {@link #CORRUPT_MESSAGE}, {@link #RECORD_TOO_LARGE} or
     * {@link #KAFKA_STORAGE_ERROR}.
     */
    public long append(
        final DirectBuffer buffer, final int offset, final int length, final int partitionLeaderEpoch, final long nowMs)
    {
        if (null != storageError || isClosed)
        {
            return KAFKA_STORAGE_ERROR;
        }

        if (length > config.maxMessageBytes())
        {
            lastAppendError = BatchError.OK;
            return RECORD_TOO_LARGE;
        }

        final BatchError error = validator.validateExact(buffer, offset, length);
        lastAppendError = error;
        if (BatchError.OK != error)
        {
            return CORRUPT_MESSAGE;
        }

        if (config.isCompact() && validator.hasRecordWithoutKey() &&
            0 == (buffer.getShort(offset + ATTRIBUTES_OFFSET, ORDER) & RecordBatch.CONTROL_MASK))
        {
            return INVALID_RECORD;
        }
        stateTimeMs = Math.max(stateTimeMs, nowMs);

        final int lastOffsetDelta = buffer.getInt(offset + LAST_OFFSET_DELTA_OFFSET, ORDER);
        final long maxTimestampMs = buffer.getLong(offset + MAX_TIMESTAMP_OFFSET, ORDER);
        int position = -1;
        LogSegment segment = activeSegment;
        try
        {
            if (!segment.canAppend(length, lastOffsetDelta, config.segmentBytes()) || isRollDue(segment, nowMs))
            {
                segment = rollForAppend(nowMs);
                if (null == segment)
                {
                    return KAFKA_STORAGE_ERROR;
                }
            }

            if (!segment.reserve(length))
            {
                // No space for the batch: refused before any of it is written, so the log is unchanged and the
                // next append tries again.
                lastStorageFailure = segment.reserveFailure();
                return KAFKA_STORAGE_ERROR;
            }

            final long baseOffset = segment.nextOffset();
            final FlushPolicy flushPolicy = config.flushPolicy();
            position = segment.append(
                buffer, offset, length, lastOffsetDelta, maxTimestampMs, partitionLeaderEpoch,
                config.indexIntervalBytes(), appendStaging);
            if (position < 0)
            {
                // A positional write failed (AppendMode.WRITE): nothing of the batch was published, so the log is
                // unchanged and the next append tries again, as after a refused reservation.
                lastStorageFailure = segment.writeFailure();
                return KAFKA_STORAGE_ERROR;
            }
            if (Long.MIN_VALUE == segment.rollStartMs())
            {
                segment.rollStartMs(nowMs);
            }

            final long nextOffset = segment.nextOffset();
            if (FlushPolicy.EVERY_BATCH == flushPolicy)
            {
                segment.forceBatch(position, length);
                recoveryPointOffset = nextOffset;
                recoveryPointFile.write(nextOffset);
            }

            logEndOffset(nextOffset);

            if (FlushPolicy.INTERVAL == flushPolicy && nowMs - lastFlushMs >= config.flushMs())
            {
                flush(nowMs);
            }

            return baseOffset;
        }
        catch (final UncheckedIOException | InternalError ex)
        {
            // InternalError: the JVM's report of a fault on a mapped page, which reservation should make impossible.
            storageError = ex;
            lastStorageFailure = ex;
            if (position >= 0 && segment.size() > position && segment.nextOffset() > logEndOffset)
            {
                segment.truncateTo(position, false);
            }
            return KAFKA_STORAGE_ERROR;
        }
    }

    /**
     * Why the last append returned {@link #CORRUPT_MESSAGE}; writer thread.
     *
     * @return the validation error of the last append, {@link BatchError#OK} if it was valid.
     */
    public BatchError lastAppendError()
    {
        return lastAppendError;
    }

    /**
     * The I/O failure that stopped appends, if any; writer thread.
     *
     * @return the failure, or null while the log is healthy.
     */
    public Throwable storageError()
    {
        return storageError;
    }

    /**
     * Why the last append that returned {@link #KAFKA_STORAGE_ERROR} failed: the failure that stopped appends, or
     * a refused space reservation (disk full) or segment roll that left the log unchanged and appendable; writer
     * thread.
     *
     * @return the failure, or null if no append has failed on storage.
     */
    public Throwable lastStorageFailure()
    {
        return null != storageError ? storageError : lastStorageFailure;
    }

    /**
     * Read whole batches starting with the one that holds {@code offset}, up to the high-water mark; any thread.
     * <p>
     * At most {@code maxBytes} are returned, except that the first batch is always returned whole however large,
     * so a consumer is never stuck behind a large batch. Reads stay within one segment; continue from
     * {@link LogReadResult#nextOffset()}.
     *
     * @param offset   to read from.
     * @param maxBytes soft limit on the bytes returned.
     * @param result   reusable holder owned by the calling thread, filled with a view of the batches.
     * @return bytes in the view (0 if the offset is at or beyond the high-water mark, or its batch is not yet
     * below it, or it is being fetched from the archive tier), or {@link #OFFSET_OUT_OF_RANGE} if the offset is below
     * the {@link #readableStartOffset()} or above the log end.
     */
    public int read(final long offset, final int maxBytes, final LogReadResult result)
    {
        return read(offset, maxBytes, result, false);
    }

    /**
     * Read whole batches as {@link #read(long, int, LogReadResult)} does, up to the high-water mark or, for a
     * read_committed reader, up to the {@link #lastStableOffset()}; any thread.
     *
     * @param offset        to read from.
     * @param maxBytes      soft limit on the bytes returned.
     * @param result        reusable holder owned by the calling thread, filled with a view of the batches.
     * @param committedOnly stop at the last stable offset: no batch of a transaction still open.
     * @return bytes in the view, 0 or {@link #OFFSET_OUT_OF_RANGE}, as {@link #read(long, int, LogReadResult)}.
     */
    public int read(final long offset, final int maxBytes, final LogReadResult result, final boolean committedOnly)
    {
        final long committedHighWaterMark = (long)HIGH_WATER_MARK_VH.getAcquire(this);
        final long highWaterMark = committedOnly ?
            Math.min(committedHighWaterMark, firstUnstableOffset) : committedHighWaterMark;
        final long logStartOffset = (long)LOG_START_OFFSET_VH.getAcquire(this);
        final long logEndOffset = (long)LOG_END_OFFSET_VH.getAcquire(this);
        result.reset(offset, committedHighWaterMark, logStartOffset, logEndOffset);

        if (offset < logStartOffset || offset > logEndOffset)
        {
            final RemoteLogReader remoteReader = this.remoteReader;
            if (null != remoteReader && offset < logStartOffset)
            {
                final long remoteStartOffset = remoteReader.logStartOffset();
                if (NULL_OFFSET != remoteStartOffset && offset >= remoteStartOffset && offset < highWaterMark)
                {
                    result.reset(offset, committedHighWaterMark, remoteStartOffset, logEndOffset);
                    return remoteReader.read(offset, maxBytes, highWaterMark, result);
                }
            }
            return OFFSET_OUT_OF_RANGE;
        }

        if (offset >= highWaterMark)
        {
            return 0;
        }

        final LogSegment[] segments = this.segments;
        int index = floorSegment(segments, offset);
        if (index < 0)
        {
            return OFFSET_OUT_OF_RANGE;
        }

        LogSegment segment = null;
        int limit = 0;
        int position = 0;
        for (; index < segments.length; index++)
        {
            segment = segments[index];
            limit = segment.sizeAcquire();
            position = segment.positionOf(offset, limit);
            if (position < limit)
            {
                break;
            }
        }

        if (index == segments.length)
        {
            return 0;
        }

        final DirectBuffer buffer = segment.buffer;
        int end = position;
        int batchCount = 0;
        long nextOffset = offset;
        while (end < limit)
        {
            final int length = buffer.getInt(end + BATCH_LENGTH_OFFSET, ORDER);
            final long lastOffset = buffer.getLong(end + BASE_OFFSET_OFFSET, ORDER) +
                buffer.getInt(end + LAST_OFFSET_DELTA_OFFSET, ORDER);
            if (lastOffset >= highWaterMark || length < HEADER_LENGTH ||
                (batchCount > 0 && (long)(end - position) + length > maxBytes))
            {
                break;
            }

            nextOffset = lastOffset + 1;
            end += length;
            batchCount++;
        }

        if (segment.isDeleted())
        {
            return OFFSET_OUT_OF_RANGE;
        }

        if (0 == batchCount)
        {
            return 0;
        }

        final long firstOffset = buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER);
        result.set(buffer, position, end - position, batchCount, firstOffset, nextOffset);
        return end - position;
    }

    /**
     * The base offset of the first batch below the high-water mark whose maxTimestamp is at or above a timestamp,
     * as Kafka's ListOffsets by timestamp (at batch granularity); any thread.
     *
     * @param timestampMs target timestamp.
     * @return the offset, or {@link #NULL_OFFSET} if no committed batch is that recent.
     */
    public long offsetForTimestamp(final long timestampMs)
    {
        final long highWaterMark = (long)HIGH_WATER_MARK_VH.getAcquire(this);
        final LogSegment[] segments = this.segments;
        for (final LogSegment segment : segments)
        {
            if (segment.baseOffset >= highWaterMark)
            {
                break;
            }

            if (segment.maxTimestampAcquire() >= timestampMs)
            {
                return segment.offsetForTimestamp(timestampMs, highWaterMark);
            }
        }

        return NULL_OFFSET;
    }

    /**
     * First offset still in the log; any thread.
     *
     * @return the log start offset.
     */
    public long logStartOffset()
    {
        return (long)LOG_START_OFFSET_VH.getAcquire(this);
    }

    /**
     * First offset a {@link #read} can return: the archive tier's log start when tiered storage holds offsets below
     * the local log start, else {@link #logStartOffset()} (which is always the local one); any thread.
     *
     * @return the offset.
     */
    public long readableStartOffset()
    {
        final long localStartOffset = (long)LOG_START_OFFSET_VH.getAcquire(this);
        final RemoteLogReader remoteReader = this.remoteReader;
        if (null != remoteReader)
        {
            final long remoteStartOffset = remoteReader.logStartOffset();
            if (NULL_OFFSET != remoteStartOffset && remoteStartOffset < localStartOffset)
            {
                return remoteStartOffset;
            }
        }
        return localStartOffset;
    }

    /**
     * Offset below which no reader can need an aborted transaction's range any more, so the list behind
     * {@link #abortedTransactions()} may forget transactions ending below it; any thread. With remote storage that is
     * the archive tier's start ({@link #readableStartOffset()}): records of an archived transaction are still served,
     * and a read_committed reader must still skip the aborted ones. A remote-storage log whose archive tier is not
     * attached yet (a broker starting) answers {@link #NULL_OFFSET}: what the archive holds is not known, so nothing
     * may be forgotten.
     *
     * @return the offset, or {@link #NULL_OFFSET} when it is not known yet.
     */
    public long abortedTransactionsStartOffset()
    {
        if (null == remoteReader && config.remoteStorageEnable())
        {
            return NULL_OFFSET;
        }
        return readableStartOffset();
    }

    /**
     * Serve reads below the local log start from the archive tier; any thread.
     *
     * @param reader of the partition's archived segments, or null to stop.
     */
    public void remoteReader(final RemoteLogReader reader)
    {
        this.remoteReader = reader;
    }

    /**
     * Offset the next appended batch gets; any thread.
     *
     * @return the log end offset.
     */
    public long logEndOffset()
    {
        return (long)LOG_END_OFFSET_VH.getAcquire(this);
    }

    /**
     * Offset below which batches are committed and readable; any thread.
     *
     * @return the high-water mark.
     */
    public long highWaterMark()
    {
        return (long)HIGH_WATER_MARK_VH.getAcquire(this);
    }

    /**
     * The last stable offset: below it every transaction is decided (committed or aborted), so a read_committed
     * reader may read up to it; the high-water mark when no transaction is open; any thread.
     *
     * @return the last stable offset.
     */
    public long lastStableOffset()
    {
        return Math.min((long)HIGH_WATER_MARK_VH.getAcquire(this), firstUnstableOffset);
    }

    /**
     * Publish the first offset of the earliest transaction still open in this partition; writer thread.
     *
     * @param offset the offset, or {@link Long#MAX_VALUE} when no transaction is open.
     */
    public void firstUnstableOffset(final long offset)
    {
        firstUnstableOffset = offset;
    }

    /**
     * The aborted transactions of this partition still in the log, for read_committed readers to skip; any thread.
     * Those whose ABORT marker the cleaner removed (with every record of the transaction) are left out: a reader
     * told of an aborted transaction skips its producer's batches until the marker, so a listed transaction
     * without its marker would hide the producer's later transactions.
     *
     * @return (producerId, firstOffset, lastOffset) triples in the order they were aborted; do not modify.
     */
    public long[] abortedTransactions()
    {
        return abortedTransactions;
    }

    /**
     * Publish the aborted transactions; writer thread. The array is handed over: never modify it afterwards.
     *
     * @param triples (producerId, firstOffset, lastOffset) triples in the order they were aborted.
     */
    public void abortedTransactions(final long[] triples)
    {
        publishedAbortedTransactions = triples;
        abortedTransactions = abortMarkers.withoutRemovedMarkers(triples, this);
    }

    /**
     * Whether a batch starts at an offset: a transaction's first batch or marker the cleaner may have removed;
     * writer thread.
     *
     * @param offset to look at.
     * @return true if the log holds a batch whose base offset is {@code offset}.
     */
    public boolean hasBatchAt(final long offset)
    {
        final LogSegment[] segments = this.segments;
        final int index = floorSegment(segments, offset);
        if (offset < logStartOffset || index < 0)
        {
            return false;
        }

        final LogSegment segment = segments[index];
        final int limit = segment.sizeAcquire();
        final int position = segment.positionOf(offset, limit);
        return position < limit && segment.buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER) == offset;
    }

    /**
     * Publish the high-water mark, as the host learns what is committed; writer thread.
     * <p>
     * A batch is readable once its last offset is below the mark, so set it at batch boundaries (the log end
     * after an append, or a committed position); it may move down only through truncation in practice.
     *
     * @param offset new high-water mark, at most the log end offset.
     * @throws IllegalArgumentException if negative or above the log end offset.
     */
    public void highWaterMark(final long offset)
    {
        if (offset < 0 || offset > logEndOffset)
        {
            throw new IllegalArgumentException(
                "highWaterMark=" + offset + " outside [0, logEndOffset=" + logEndOffset + "]");
        }

        HIGH_WATER_MARK_VH.setRelease(this, offset);
    }

    /**
     * Bytes of batches in all segments; any thread.
     *
     * @return total size in bytes.
     */
    public long sizeInBytes()
    {
        long total = 0;
        for (final LogSegment segment : segments)
        {
            total += segment.sizeAcquire();
        }

        return total;
    }

    /**
     * Number of segments, the active one included; any thread.
     *
     * @return segment count.
     */
    public int segmentCount()
    {
        return segments.length;
    }

    /**
     * Base offsets of the segments, oldest first; any thread, allocates.
     *
     * @return a new array of base offsets.
     */
    public long[] segmentBaseOffsets()
    {
        final LogSegment[] segments = this.segments;
        final long[] baseOffsets = new long[segments.length];
        for (int i = 0; i < segments.length; i++)
        {
            baseOffsets[i] = segments[i].baseOffset;
        }

        return baseOffsets;
    }

    /**
     * Bytes of batches in the segment starting at a base offset, as {@link #segmentBaseOffsets()} lists them; any
     * thread.
     *
     * @param baseOffset of the segment.
     * @return its size in bytes, or 0 if no segment starts there (any longer).
     */
    public long segmentBytes(final long baseOffset)
    {
        final LogSegment[] segments = this.segments;
        final int index = floorSegment(segments, baseOffset);
        return index < 0 || segments[index].baseOffset != baseOffset ? 0 : segments[index].sizeAcquire();
    }

    /**
     * Base offset of the active segment; writer thread.
     *
     * @return the offset.
     */
    public long activeSegmentBaseOffset()
    {
        return activeSegment.baseOffset;
    }

    /**
     * When the active segment's segment.ms clock started; writer thread.
     *
     * @return time in ms, or {@link Long#MIN_VALUE} while the segment is empty.
     */
    public long activeSegmentRollStartMs()
    {
        return activeSegment.rollStartMs();
    }

    /**
     * Set the active segment's segment.ms clock, as a restored snapshot recorded it, so the log rolls where it
     * would have without the restart (open starts the clock of a non-empty active segment at the open time);
     * writer thread.
     *
     * @param rollStartMs time in ms; {@link Long#MIN_VALUE} ("not started") leaves the clock as it is.
     */
    public void activeSegmentRollStartMs(final long rollStartMs)
    {
        if (activeSegment.size() > 0 && Long.MIN_VALUE != rollStartMs)
        {
            activeSegment.rollStartMs(rollStartMs);
        }
    }

    /**
     * Seal the active segment and start a new one at the log end, if the active segment has any batch; writer
     * thread.
     *
     * @param nowMs host time.
     * @return true if a new segment was started.
     * @throws UncheckedIOException if the new segment cannot be created; the log is unchanged.
     */
    public boolean roll(final long nowMs)
    {
        checkOpen();
        if (activeSegment.size() == 0)
        {
            return false;
        }

        rollSegment(nowMs);
        return true;
    }

    /**
     * Force every batch and index entry not yet forced to the device and advance the recovery point to the log
     * end; writer thread.
     *
     * @param nowMs host time, restarting the interval flush clock.
     * @throws UncheckedIOException if forcing fails.
     */
    public void flush(final long nowMs)
    {
        checkOpen();
        forceAll();
        lastFlushMs = nowMs;
    }

    /**
     * Housekeeping for the host's duty cycle: the interval flush when due, and unmapping removed segments whose
     * delay has passed; writer thread.
     *
     * @param nowMs host time.
     * @return amount of work done, 0 if none.
     */
    public int doWork(final long nowMs)
    {
        if (isClosed)
        {
            return 0;
        }

        int workCount = 0;
        if (FlushPolicy.INTERVAL == config.flushPolicy() && nowMs - lastFlushMs >= config.flushMs() &&
            null == storageError)
        {
            try
            {
                flush(nowMs);
                workCount++;
            }
            catch (final UncheckedIOException ex)
            {
                storageError = ex;
            }
        }

        if (config.isCompact() || compaction.isCleaning())
        {
            workCount += completeCleaning(nowMs);
            if (nowMs >= nextCleaningCheckMs && null == storageError && config.isCompact())
            {
                nextCleaningCheckMs = nowMs + CLEANER_BACKOFF_MS;
                workCount += startCleaning(false) ? 1 : 0;
            }
        }

        return workCount + closeLingeringSegments(nowMs, false);
    }

    /**
     * Run this log's compactions on a given cleaner instead of {@link LogCleaner#shared()}; writer thread, before
     * the first cleaning.
     *
     * @param cleaner to submit cleanings to.
     * @return this.
     */
    public PartitionLog cleaner(final LogCleaner cleaner)
    {
        compaction.cleaner(cleaner);
        return this;
    }

    /**
     * Start compacting the cleanable sealed segments if the log is compacted and a cleaning is due; writer thread.
     * {@link #doWork} calls it every {@link #CLEANER_BACKOFF_MS}.
     * <p>
     * Cleanable are the sealed segments, oldest first, up to the first one that is not yet below the last stable
     * offset (the high-water mark, or the first offset of a transaction still open) or whose largest timestamp is within {@code min.compaction.lag.ms} of the state-machine time (the
     * latest time {@link #append} or {@link #deleteExpiredSegments} was given). A cleaning is due when the bytes
     * appended since the last cleaning are at least {@code min.cleanable.dirty.ratio} of the cleanable bytes, or
     * the oldest of them is older than {@code max.compaction.lag.ms}. A cleaning maps the keys of the dirty segments
     * only (from the first dirty offset, which a truncation moves back) and may clean fewer segments than it is
     * given, as many as fit in the cleaner's key map; the next one goes on. The cleaner does the work on its own
     * thread;
     * {@link #doWork} (or {@link #completeCleaning}) swaps the result in once it is finished.
     *
     * @param force clean even if no cleaning is due, as when tombstones may have expired.
     * @return true if a cleaning was started.
     */
    public boolean startCleaning(final boolean force)
    {
        checkOpen();
        if (!config.isCompact() || compaction.isCleaning() || null != storageError)
        {
            return false;
        }

        return compaction.start(segments, Math.min(highWaterMark, firstUnstableOffset), stateTimeMs, config, force);
    }

    /**
     * Swap in the result of a finished cleaning, or discard it if the log changed under it (retention, truncation)
     * or it failed; writer thread. See {@link LogCleaning} for the swap protocol.
     *
     * @param nowMs host time, for the unmap delay of replaced segments.
     * @return 1 if a finished cleaning was handled, else 0.
     */
    public int completeCleaning(final long nowMs)
    {
        return isClosed ? 0 : compaction.complete(this, nowMs);
    }

    /**
     * Whether a cleaning was started and not yet completed; writer thread.
     *
     * @return true while a cleaning is in flight.
     */
    public boolean isCleaning()
    {
        return compaction.isCleaning();
    }

    /**
     * Cleanings swapped in since the log was opened; writer thread.
     *
     * @return count of completed cleanings.
     */
    public int cleaningsCompleted()
    {
        return compaction.cleaningsCompleted();
    }

    /**
     * Why the last cleaning failed, if one did; writer thread.
     *
     * @return the failure, or null.
     */
    public Throwable lastCleanerFailure()
    {
        return compaction.lastCleanerFailure();
    }

    /**
     * Retention pass: delete the oldest sealed segments whose largest timestamp is older than {@code retention.ms},
     * or while the log without them stays at least {@code retention.bytes}; writer thread.
     * <p>
     * With {@code remote.storage.enable} the limits are {@code local.retention.ms} and {@code local.retention.bytes}
     * (see {@link LogConfig#effectiveLocalRetentionMs()}) and only segments wholly below {@link #tieredOffset()},
     * which the archive is known to hold, are deleted.
     * <p>
     * Only whole segments are deleted, oldest first, never the active segment and never one holding offsets at or
     * above the high-water mark; the log start offset moves to the first remaining segment. Also unmaps removed
     * segments whose delay has passed.
     *
     * @param nowMs host time.
     * @return number of segments deleted.
     */
    public int deleteExpiredSegments(final long nowMs)
    {
        checkOpen();
        stateTimeMs = Math.max(stateTimeMs, nowMs);
        if (!config.isDelete())
        {
            closeLingeringSegments(nowMs, false);
            return 0;
        }

        final LogSegment[] segments = this.segments;
        final LogConfig config = this.config;
        final long retentionMs = config.effectiveLocalRetentionMs();
        final long retentionBytes = config.effectiveLocalRetentionBytes();
        final long deletableBelow = config.remoteStorageEnable() ? tieredOffset : Long.MAX_VALUE;
        final long highWaterMark = this.highWaterMark;
        long remainingBytes = 0;
        for (final LogSegment segment : segments)
        {
            remainingBytes += segment.size();
        }

        int deleteCount = 0;
        for (int i = 0; i < segments.length - 1; i++)
        {
            final LogSegment segment = segments[i];
            if (segments[i + 1].baseOffset > highWaterMark || segments[i + 1].baseOffset > deletableBelow)
            {
                break;
            }

            final boolean isExpired = LogConfig.UNLIMITED != retentionMs &&
                segment.maxTimestampMs() < nowMs - retentionMs;
            final boolean isOverSize = LogConfig.UNLIMITED != retentionBytes &&
                remainingBytes - segment.size() >= retentionBytes;
            if (!isExpired && !isOverSize)
            {
                break;
            }

            remainingBytes -= segment.size();
            deleteCount++;
        }

        if (deleteCount > 0)
        {
            LOG_START_OFFSET_VH.setRelease(this, segments[deleteCount].baseOffset);
            this.segments = Arrays.copyOfRange(segments, deleteCount, segments.length);
            final long deadlineMs = nowMs + config.fileDeleteDelayMs();
            for (int i = 0; i < deleteCount; i++)
            {
                segments[i].delete(deadlineMs);
                lingeringSegments.add(segments[i]);
            }
        }

        closeLingeringSegments(nowMs, false);
        return deleteCount;
    }

    /**
     * Offset below which every batch of this log is held by the archive tier, so that with
     * {@code remote.storage.enable} retention may delete local segments below it; any thread.
     *
     * @return the offset, 0 until the archiver says otherwise.
     */
    public long tieredOffset()
    {
        return tieredOffset;
    }

    /**
     * Record that the archive tier holds every batch below an offset (verified and durably recorded by the archiver);
     * any thread. Until then, a log with {@code remote.storage.enable} deletes no local segment, whatever its age.
     *
     * @param offset exclusive end of the archived prefix; never lowered.
     */
    public void tieredOffset(final long offset)
    {
        if (offset > tieredOffset)
        {
            tieredOffset = offset;
        }
    }

    /**
     * Discard every batch holding an offset at or above {@code offset}, as a replica does to follow its leader;
     * writer thread.
     * <p>
     * A batch that straddles the offset is discarded whole, so the log end becomes that batch's base offset.
     * Segments after the one holding the offset are deleted. The high-water mark is lowered to the new log end if
     * above it. An offset at or below the log start empties the log via {@link #truncateFullyAndStartAt}. Readers
     * must not be reading at or above the offset (see the class docs).
     *
     * @param offset first offset to discard.
     * @param nowMs  host time, for the unmap delay of deleted segments.
     * @return the new log end offset.
     * @throws IllegalArgumentException if the offset is negative.
     * @throws UncheckedIOException     if a segment cannot be reopened; the log then refuses appends.
     */
    public long truncateTo(final long offset, final long nowMs)
    {
        checkOpen();
        if (offset < 0)
        {
            throw new IllegalArgumentException("offset=" + offset);
        }

        if (offset >= logEndOffset)
        {
            return logEndOffset;
        }

        if (offset <= logStartOffset)
        {
            truncateFullyAndStartAt(offset, nowMs);
            return offset;
        }

        final LogSegment[] segments = this.segments;
        final int index = floorSegment(segments, offset);
        LogSegment target = segments[index];
        final int position = target.positionOf(offset, target.size());
        final long newEndOffset = position < target.size() ?
            target.buffer.getLong(position + BASE_OFFSET_OFFSET, ORDER) : target.nextOffset();

        if (highWaterMark > newEndOffset)
        {
            HIGH_WATER_MARK_VH.setRelease(this, newEndOffset);
        }
        logEndOffset(newEndOffset);
        abortMarkers.forgetAbortMarkersFrom(newEndOffset);
        // The cleaner maps keys only from the first dirty offset on: the segment appended to again is dirty.
        compaction.dirtyFrom(target.baseOffset);

        final long deadlineMs = nowMs + config.fileDeleteDelayMs();
        if (index < segments.length - 1)
        {
            final LogSegment[] remaining = Arrays.copyOf(segments, index + 1);
            target.retire(deadlineMs);
            lingeringSegments.add(target);
            try
            {
                target = LogSegment.open(directory, target.baseOffset, true, config.segmentBytes(),
                    config.indexIntervalBytes());
                if (compaction.isCompacted())
                {
                    target.allowOffsetGaps();
                }
                target.recover(Long.MAX_VALUE, config.indexIntervalBytes());
            }
            catch (final UncheckedIOException ex)
            {
                storageError = ex;
                throw ex;
            }
            remaining[index] = target;
            this.segments = remaining;

            for (int i = index + 1; i < segments.length; i++)
            {
                segments[i].delete(deadlineMs);
                lingeringSegments.add(segments[i]);
            }
            activeSegment = target;
        }

        target.truncateTo(position, FlushPolicy.NEVER != config.flushPolicy());
        if (target.size() > 0 && Long.MIN_VALUE == target.rollStartMs())
        {
            target.rollStartMs(nowMs);
        }

        if (recoveryPointOffset > newEndOffset)
        {
            recoveryPointOffset = newEndOffset;
            recoveryPointFile.write(newEndOffset);
        }

        return newEndOffset;
    }

    /**
     * Delete every segment and restart the log empty at an offset, log start, log end and high-water mark alike;
     * writer thread.
     *
     * @param offset new log start and end offset.
     * @param nowMs  host time, for the unmap delay of deleted segments.
     * @throws IllegalArgumentException if the offset is negative.
     * @throws UncheckedIOException     if the new segment cannot be created; the log then refuses appends.
     */
    public void truncateFullyAndStartAt(final long offset, final long nowMs)
    {
        checkOpen();
        if (offset < 0)
        {
            throw new IllegalArgumentException("offset=" + offset);
        }

        final LogSegment[] segments = this.segments;
        final long deadlineMs = nowMs + config.fileDeleteDelayMs();
        HIGH_WATER_MARK_VH.setRelease(this, Math.min(highWaterMark, offset));
        for (final LogSegment segment : segments)
        {
            segment.delete(deadlineMs);
            lingeringSegments.add(segment);
        }

        final LogSegment segment;
        try
        {
            segment = LogSegment.create(directory, offset, config.segmentBytes(), config.indexIntervalBytes());
        }
        catch (final UncheckedIOException ex)
        {
            storageError = ex;
            throw ex;
        }
        LOG_START_OFFSET_VH.setRelease(this, offset);
        logEndOffset(offset);
        abortMarkers.forgetAbortMarkersFrom(offset);
        this.segments = new LogSegment[]{ segment };
        activeSegment = segment;
        compaction.firstDirtyOffset(offset);
        HIGH_WATER_MARK_VH.setRelease(this, offset);
        recoveryPointOffset = offset;
        recoveryPointFile.write(offset);
    }

    /**
     * Force everything, record the recovery point, trim the active segment, and unmap and close all files;
     * writer thread, after every reader has stopped.
     */
    public void close()
    {
        if (isClosed)
        {
            return;
        }

        compaction.stop(true);
        try
        {
            if (null == storageError)
            {
                forceAll();
                recoveryPointFile.force();
                activeSegment.trim();
            }
        }
        finally
        {
            closeFiles();
        }
    }

    /**
     * Close without forcing, recording a recovery point or trimming, leaving the files as a crash would; tests.
     */
    void closeUnclean()
    {
        if (!isClosed)
        {
            compaction.stop(false);
            closeFiles();
        }
    }

    /**
     * The segments, oldest first; tests and tools in this package.
     *
     * @return the published segment array, not to be modified.
     */
    LogSegment[] segments()
    {
        return segments;
    }

    /**
     * The active segment; tests and tools in this package.
     *
     * @return the active segment.
     */
    LogSegment activeSegment()
    {
        return activeSegment;
    }

    /**
     * Publish a segment in place of another, as a cleaning's swap does, keeping the old one mapped for readers until
     * a deadline; writer thread.
     *
     * @param index           of the replaced segment in the segment array.
     * @param fresh           segment to publish.
     * @param old             segment replaced, retired without deleting its files.
     * @param unmapDeadlineMs time after which the old segment may be unmapped.
     */
    void replaceSegment(final int index, final LogSegment fresh, final LogSegment old, final long unmapDeadlineMs)
    {
        final LogSegment[] swapped = this.segments.clone();
        swapped[index] = fresh;
        this.segments = swapped;
        old.retire(unmapDeadlineMs);
        lingeringSegments.add(old);
    }

    /**
     * Refuse further appends after an I/O failure outside an append, as a cleaning's failed swap; writer thread.
     *
     * @param error the failure, then reported by {@link #storageError()}.
     */
    void storageError(final Throwable error)
    {
        storageError = error;
    }

    /**
     * Leave out of {@link #abortedTransactions()} the transactions whose ABORT marker a swapped-in cleaning removed;
     * writer thread.
     *
     * @param removedMarkers offsets of the markers the cleaning removed.
     */
    void abortMarkersRemoved(final LongArrayList removedMarkers)
    {
        if (!removedMarkers.isEmpty())
        {
            abortMarkers.removed(removedMarkers);
            abortedTransactions = abortMarkers.withoutRemovedMarkers(publishedAbortedTransactions, this);
        }
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "PartitionLog{directory=" + directory + ", logStartOffset=" + logStartOffset() +
            ", logEndOffset=" + logEndOffset() + ", highWaterMark=" + highWaterMark() +
            ", segments=" + segmentCount() + '}';
    }

    private void closeFiles()
    {
        isClosed = true;
        closeLingeringSegments(Long.MAX_VALUE, true);
        for (final LogSegment segment : segments)
        {
            segment.close();
        }
        recoveryPointFile.close();
        validator.close();
    }

    private void forceAll()
    {
        for (final LogSegment segment : segments)
        {
            if (segment == activeSegment || segment.nextOffset() > recoveryPointOffset || !segment.isFlushed())
            {
                segment.force();
            }
        }

        recoveryPointOffset = logEndOffset;
        recoveryPointFile.write(logEndOffset);
    }

    private boolean isRollDue(final LogSegment segment, final long nowMs)
    {
        final long rollStartMs = segment.rollStartMs();
        return segment.size() > 0 && Long.MIN_VALUE != rollStartMs && nowMs - rollStartMs >= config.segmentMs();
    }

    /**
     * Roll so that a batch can be appended.
     *
     * @param nowMs host time.
     * @return the new active segment, or null if its files could not be created (the log is unchanged).
     */
    private LogSegment rollForAppend(final long nowMs)
    {
        final LogSegment segment = activeSegment;
        final long baseOffset = segment.size() > 0 ? segment.nextOffset() : segment.baseOffset;
        final LogSegment next;
        try
        {
            next = LogSegment.create(directory, baseOffset, config.segmentBytes(), config.indexIntervalBytes());
        }
        catch (final UncheckedIOException ex)
        {
            lastStorageFailure = ex;
            return null;
        }

        if (segment.size() > 0)
        {
            sealAndAdvance(next, nowMs);
        }
        else
        {
            // An empty segment that cannot take the batch was sized by an older config: replace it.
            final LogSegment replacement = next;
            final LogSegment[] segments = this.segments.clone();
            segments[segments.length - 1] = replacement;
            segment.retire(nowMs + config.fileDeleteDelayMs());
            lingeringSegments.add(segment);
            this.segments = segments;
            activeSegment = replacement;
        }

        return activeSegment;
    }

    private void rollSegment(final long nowMs)
    {
        final LogSegment next = LogSegment.create(
            directory, activeSegment.nextOffset(), config.segmentBytes(), config.indexIntervalBytes());
        sealAndAdvance(next, nowMs);
    }

    private void sealAndAdvance(final LogSegment next, final long nowMs)
    {
        final LogSegment sealed = activeSegment;
        final boolean isForced = FlushPolicy.NEVER != config.flushPolicy();
        try
        {
            if (isForced)
            {
                sealed.force();
            }
            sealed.trim();
        }
        catch (final UncheckedIOException ex)
        {
            next.delete(nowMs);
            next.close();
            throw ex;
        }

        final LogSegment[] segments = this.segments;
        final LogSegment[] rolled = Arrays.copyOf(segments, segments.length + 1);
        rolled[segments.length] = next;
        this.segments = rolled;
        activeSegment = next;

        if (isForced && recoveryPointOffset >= sealed.baseOffset)
        {
            recoveryPointOffset = next.baseOffset;
            recoveryPointFile.write(next.baseOffset);
        }
    }

    private int closeLingeringSegments(final long nowMs, final boolean isAll)
    {
        if (compaction.isCleaning() && !isAll)
        {
            // The cleaner may be reading a removed segment: keep every mapping until its task is finished.
            return 0;
        }

        int closed = 0;
        while (!lingeringSegments.isEmpty() && (isAll || lingeringSegments.peek().unmapDeadlineMs() <= nowMs))
        {
            lingeringSegments.poll().close();
            closed++;
        }

        return closed;
    }

    private void logEndOffset(final long offset)
    {
        LOG_END_OFFSET_VH.setRelease(this, offset);
    }

    private void checkOpen()
    {
        if (isClosed)
        {
            throw new IllegalStateException("log is closed: " + directory);
        }
    }

    private static int floorSegment(final LogSegment[] segments, final long offset)
    {
        int low = 0;
        int high = segments.length - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (segments[mid].baseOffset <= offset)
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
}
