/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

import io.spindle.archive.TierCoordinator;
import io.spindle.archive.TierManifest;
import io.spindle.broker.Topic;
import io.spindle.broker.TopicTable;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.SegmentArchivedDecoder;
import io.spindle.log.LogConfig;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import io.spindle.log.RemoteLogReader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Tiered storage on a cluster member: the replicated half, applied on the service thread in log order, and the
 * {@link TierCoordinator} the member's own archiver follows.
 * <p>
 * Every member copies its own sealed segments into its own tier (its own archive, or its own recordings in a shared
 * archive) and says so through the log ({@code SegmentArchived}). From those reports every member keeps, per
 * partition of a topic with {@code remote.storage.enable}, the same state: how far each member's tier reaches and the
 * segments the tier holds (offsets, bytes, CRC32C, largest timestamp). From it, alike on every member and at the same
 * point of the log:
 * <ul>
 *     <li>local retention may delete a segment once <em>every</em> member's tier holds it
 *     ({@link PartitionLog#tieredOffset(long)} is the lowest member's reach): a member's local log start, the log
 *     start the state machine answers and snapshots, is the same on every member, and no member deletes a segment its
 *     own tier does not hold;</li>
 *     <li>the tier's first offset (the log start across tiers, which ListOffsets earliest and DescribeTopics answer)
 *     is the first segment still listed, and retention across tiers ({@code retention.ms} on the cluster's time,
 *     {@code retention.bytes}) drops segments that are no longer local at each retention timer;</li>
 *     <li>each member's archiver purges its copies below that first offset.</li>
 * </ul>
 * A member serves reads below its local log start from its own copies. The state is written with the service's
 * snapshot. Nothing here depends on a member's archive progress except through reports the log carries.
 */
final class MemberTier implements TierCoordinator
{
    static final int SNAPSHOT_MAGIC = 0x53544952;
    private static final long RESEND_NS = 3_000_000_000L;

    /**
     * One segment the archive tier holds, as reported.
     */
    record Segment(long baseOffset, long nextOffset, long bytes, long maxTimestampMs, int crc)
    {
    }

    /**
     * A partition's replicated tier state, and the reader attached to its log.
     */
    static final class PartitionState implements RemoteLogReader
    {
        final int topicId;
        final int partition;
        final long[] memberEnds;
        final ArrayList<Segment> segments = new ArrayList<>();
        final AtomicLongArray publishedMemberEnds;
        long tierEnd = -1;
        long restoredActiveBase = PartitionLog.NULL_OFFSET;
        long restoredLogEnd = PartitionLog.NULL_OFFSET;
        long restoredRollStartMs = Long.MIN_VALUE;
        PartitionLog log;
        volatile long publishedStart = PartitionLog.NULL_OFFSET;
        volatile long publishedPurgeBelow = -1;
        volatile RemoteLogReader memberReader;
        final MemberTier owner;
        volatile boolean isUnservedLogged;

        PartitionState(final MemberTier owner, final int topicId, final int partition, final int memberCount)
        {
            this.owner = owner;
            this.topicId = topicId;
            this.partition = partition;
            this.memberEnds = new long[memberCount];
            java.util.Arrays.fill(memberEnds, -1);
            this.publishedMemberEnds = new AtomicLongArray(memberCount);
        }

        /**
         * {@inheritDoc}
         */
        public long logStartOffset()
        {
            return publishedStart;
        }

        /**
         * {@inheritDoc}
         */
        public int read(final long offset, final int maxBytes, final long limitOffset, final LogReadResult result)
        {
            final long start = publishedStart;
            if (PartitionLog.NULL_OFFSET == start || offset < start)
            {
                return PartitionLog.OFFSET_OUT_OF_RANGE;
            }
            final RemoteLogReader reader = memberReader;
            if (null == reader)
            {
                return 0;
            }
            final int read = reader.read(offset, maxBytes, limitOffset, result);
            if (PartitionLog.OFFSET_OUT_OF_RANGE == read)
            {
                final long startNow = publishedStart;
                if (PartitionLog.NULL_OFFSET != startNow && offset >= startNow)
                {
                    // The cluster's tier holds the offset, this member's copy of it does not (a member rebuilt
                    // without its tier): out of range would make a consumer reset past records that exist.
                    onUnserved(offset);
                    return PartitionLog.KAFKA_STORAGE_ERROR;
                }
            }
            return read;
        }

        private void onUnserved(final long offset)
        {
            owner.unservedReads.incrementAndGet();
            if (!isUnservedLogged)
            {
                isUnservedLogged = true;
                owner.unservedLog.accept("topic id " + topicId + " partition " + partition + ": offset " + offset +
                    " is in the cluster's tier (from " + publishedStart + ") but not in this member's own tier " +
                    "(rebuilt without it?): such reads are answered KAFKA_STORAGE_ERROR, to be read from another " +
                    "member, not OFFSET_OUT_OF_RANGE");
            }
        }

        long tieredOffset()
        {
            long min = Long.MAX_VALUE;
            for (final long end : memberEnds)
            {
                min = Math.min(min, end);
            }
            return min;
        }

        void publish()
        {
            for (int i = 0; i < memberEnds.length; i++)
            {
                publishedMemberEnds.set(i, memberEnds[i]);
            }
            publishedStart = segments.isEmpty() ? PartitionLog.NULL_OFFSET : segments.get(0).baseOffset();
            publishedPurgeBelow = segments.isEmpty() ? tierEnd : segments.get(0).baseOffset();
        }
    }

    private final int memberId;
    private final int memberCount;
    private final Path tierDirectory;
    private final ConcurrentSkipListMap<Long, PartitionState> partitions = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<String, Long> lastSent = new ConcurrentSkipListMap<>();
    private final SegmentArchivedDecoder decoder = new SegmentArchivedDecoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private Consumer<String> divergenceLog = (message) -> {};
    private volatile Consumer<String> unservedLog = (message) -> {};
    private final AtomicLong unservedReads = new AtomicLong();
    private volatile Consumer<SegmentArchivedReport> sender;
    private long syncedTableVersion = -1;
    private long mismatches;
    private volatile long implausibleReports;
    private long rebuiltSegments;

    /**
     * A report to send through the log.
     *
     * @param memberId  of this member.
     * @param topicId   of the partition's topic.
     * @param partition index.
     * @param entry     the archived segment.
     */
    record SegmentArchivedReport(int memberId, int topicId, int partition, TierManifest.Entry entry)
    {
    }

    MemberTier(final int memberId, final int memberCount, final Path tierDirectory)
    {
        this.memberId = memberId;
        this.memberCount = memberCount;
        this.tierDirectory = tierDirectory;
    }

    /**
     * Where reports go: the member's reporter, which offers them to the cluster's ingress.
     */
    void sender(final Consumer<SegmentArchivedReport> sender)
    {
        this.sender = sender;
    }

    /**
     * Where a report that contradicts what the tier already lists is told (members' segments differ).
     */
    void divergenceLog(final Consumer<String> log)
    {
        this.divergenceLog = log;
    }

    /**
     * Where a read this member's own tier cannot serve, though the cluster's tier holds the offset, is told (once per
     * partition): reader threads.
     */
    void unservedLog(final Consumer<String> log)
    {
        this.unservedLog = log;
    }

    /**
     * Reads at or above the cluster's tier start that this member's own tier did not hold, answered
     * {@code KAFKA_STORAGE_ERROR} rather than out of range.
     *
     * @return the count since start.
     */
    long unservedReads()
    {
        return unservedReads.get();
    }

    int memberCount()
    {
        return memberCount;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Replicated: service thread, in log order.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Apply a {@code SegmentArchived} from the log: a member's tier reaches further.
     *
     * @param buffer holding the message with its header.
     * @param offset of the header.
     */
    void onSegmentArchived(final DirectBuffer buffer, final int offset)
    {
        decoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final int member = decoder.memberId();
        final PartitionState state = partitions.get(key(decoder.topicId(), decoder.partition()));
        if (null == state || member < 0 || member >= state.memberEnds.length)
        {
            return;
        }
        final long baseOffset = decoder.baseOffset();
        final long nextOffset = decoder.nextOffset();
        if (nextOffset <= state.memberEnds[member] || nextOffset <= baseOffset)
        {
            return;
        }
        if (null == state.log || nextOffset > state.log.activeSegmentBaseOffset())
        {
            // A member archives sealed segments only, and the log applied the appends that sealed one before any
            // report of it, so no true report reaches into the active segment: this one would let local retention
            // delete what no tier holds. The same test on every member, in log order.
            implausibleReports = implausibleReports + 1;
            divergenceLog.accept("ignored a report that member " + member + " archived offsets " + baseOffset +
                " to " + nextOffset + " of topic id " + state.topicId + " partition " + state.partition +
                ": the partition's sealed segments end at " +
                (null == state.log ? "none" : Long.toString(state.log.activeSegmentBaseOffset())));
            return;
        }
        state.memberEnds[member] = nextOffset;
        final Segment segment = new Segment(baseOffset, nextOffset, decoder.bytes(), decoder.maxTimestampMs(),
            decoder.crc());
        if (baseOffset >= state.tierEnd)
        {
            state.segments.add(segment);
            state.tierEnd = nextOffset;
        }
        else
        {
            for (final Segment listed : state.segments)
            {
                if (listed.baseOffset() == baseOffset && !listed.equals(segment))
                {
                    mismatches++;
                    divergenceLog.accept("member " + member + " archived segment " + baseOffset + " of topic id " +
                        state.topicId + " partition " + state.partition + " as " + segment + ", the tier lists " +
                        listed + ": the members' segments differ");
                }
            }
        }
        applyTieredOffset(state);
        state.publish();
    }

    /**
     * Follow the topic table after a command or a restore: a partition of a topic with remote storage gets its state
     * and its log the reader; a deleted topic's state goes. Deterministic: called at the same points on every member.
     *
     * @param table the state machine's current table.
     */
    void sync(final TopicTable table)
    {
        if (table.version() == syncedTableVersion)
        {
            return;
        }
        syncedTableVersion = table.version();
        for (final Iterator<Map.Entry<Long, PartitionState>> it = partitions.entrySet().iterator(); it.hasNext(); )
        {
            final PartitionState state = it.next().getValue();
            final Topic topic = table.topic(state.topicId);
            if (null == topic || state.partition >= topic.partitionCount())
            {
                it.remove();
            }
        }
        for (int i = 0; i < table.topicCount(); i++)
        {
            final Topic topic = table.topicAt(i);
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                final PartitionLog log = topic.partition(p);
                PartitionState state = partitions.get(key(topic.id(), p));
                if (null == state)
                {
                    if (!log.config().remoteStorageEnable())
                    {
                        continue;
                    }
                    state = new PartitionState(this, topic.id(), p, memberCount);
                    partitions.put(key(topic.id(), p), state);
                    state.publish();
                }
                if (state.log != log)
                {
                    state.log = log;
                    log.remoteReader(state);
                    applyTieredOffset(state);
                }
            }
        }
    }

    /**
     * Retention across tiers, after the state machine's retention pass at the same cluster time: drop the oldest
     * segments that are no longer local and are older than {@code retention.ms} or put the partition over
     * {@code retention.bytes}; the tier's start moves, and each member's archiver purges its copies below it.
     *
     * @param nowMs the state machine's time.
     */
    void onRetention(final long nowMs)
    {
        for (final PartitionState state : partitions.values())
        {
            final PartitionLog log = state.log;
            if (null == log || state.segments.isEmpty())
            {
                continue;
            }
            final LogConfig config = log.config();
            if (!config.isDelete())
            {
                continue;
            }
            final long retentionMs = config.retentionMs();
            final long retentionBytes = config.retentionBytes();
            final long localStart = log.logStartOffset();
            long total = log.sizeInBytes();
            for (final Segment segment : state.segments)
            {
                if (segment.nextOffset() <= localStart)
                {
                    total += segment.bytes();
                }
            }
            int expired = 0;
            for (final Segment segment : state.segments)
            {
                if (segment.nextOffset() > localStart)
                {
                    break;
                }
                final boolean isExpired = LogConfig.UNLIMITED != retentionMs &&
                    segment.maxTimestampMs() < nowMs - retentionMs;
                final boolean isOverSize = LogConfig.UNLIMITED != retentionBytes &&
                    total - segment.bytes() >= retentionBytes;
                if (!isExpired && !isOverSize)
                {
                    break;
                }
                total -= segment.bytes();
                expired++;
            }
            if (expired > 0)
            {
                state.segments.subList(0, expired).clear();
                state.publish();
            }
        }
    }

    /**
     * Append the state to a snapshot, after everything else: per partition (by topic id, partition) its ids, the
     * tier's end, the log's active segment base, end and roll time (to rebuild an active segment local retention
     * deleted after the snapshot: {@link #rebuildActiveSegments}), each member's reach and the listed segments; then
     * the section's length and a magic, so a snapshot without it still restores.
     *
     * @param buffer the snapshot.
     * @param offset where to write.
     * @return the end of the snapshot.
     */
    int snapshot(final MutableDirectBuffer buffer, final int offset)
    {
        int position = offset;
        buffer.putInt(position, partitions.size());
        position += 4;
        for (final PartitionState state : partitions.values())
        {
            buffer.putInt(position, state.topicId);
            buffer.putInt(position + 4, state.partition);
            buffer.putLong(position + 8, state.tierEnd);
            buffer.putInt(position + 16, state.memberEnds.length);
            final PartitionLog log = state.log;
            buffer.putLong(position + 20, null == log ? PartitionLog.NULL_OFFSET : log.activeSegmentBaseOffset());
            buffer.putLong(position + 28, null == log ? PartitionLog.NULL_OFFSET : log.logEndOffset());
            buffer.putLong(position + 36, null == log ? Long.MIN_VALUE : log.activeSegmentRollStartMs());
            position += 44;
            for (final long end : state.memberEnds)
            {
                buffer.putLong(position, end);
                position += 8;
            }
            buffer.putInt(position, state.segments.size());
            position += 4;
            for (final Segment segment : state.segments)
            {
                buffer.putLong(position, segment.baseOffset());
                buffer.putLong(position + 8, segment.nextOffset());
                buffer.putLong(position + 16, segment.bytes());
                buffer.putLong(position + 24, segment.maxTimestampMs());
                buffer.putInt(position + 32, segment.crc());
                position += 36;
            }
        }
        buffer.putInt(position, position - offset);
        buffer.putInt(position + 4, SNAPSHOT_MAGIC);
        return position + 8;
    }

    /**
     * Take the state from the end of a restored snapshot, if it has the section.
     *
     * @param buffer the snapshot.
     * @param length of the snapshot.
     * @return the snapshot's length without the section.
     */
    int restore(final DirectBuffer buffer, final int length)
    {
        if (length < 8 || SNAPSHOT_MAGIC != buffer.getInt(length - 4))
        {
            return length;
        }
        final int start = length - 8 - buffer.getInt(length - 8);
        int position = start;
        final int count = buffer.getInt(position);
        position += 4;
        for (int i = 0; i < count; i++)
        {
            final int topicId = buffer.getInt(position);
            final int partition = buffer.getInt(position + 4);
            final long tierEnd = buffer.getLong(position + 8);
            final int members = buffer.getInt(position + 16);
            final PartitionState state = new PartitionState(this, topicId, partition, memberCount);
            state.restoredActiveBase = buffer.getLong(position + 20);
            state.restoredLogEnd = buffer.getLong(position + 28);
            state.restoredRollStartMs = buffer.getLong(position + 36);
            position += 44;
            state.tierEnd = tierEnd;
            for (int m = 0; m < members; m++)
            {
                if (m < memberCount)
                {
                    state.memberEnds[m] = buffer.getLong(position);
                }
                position += 8;
            }
            final int segments = buffer.getInt(position);
            position += 4;
            for (int s = 0; s < segments; s++)
            {
                state.segments.add(new Segment(buffer.getLong(position), buffer.getLong(position + 8),
                    buffer.getLong(position + 16), buffer.getLong(position + 24), buffer.getInt(position + 32)));
                position += 36;
            }
            state.publish();
            partitions.put(key(topicId, partition), state);
        }
        return start;
    }

    /**
     * After a restore: a partition whose data the member had deleted locally past the snapshot's log end (its active
     * segment then was sealed, archived by every member and deleted since) was emptied at that log end by the
     * reconciliation, which would start a segment where the other members have none and make this member's segments
     * roll elsewhere from then on. Its active segment as of the snapshot is rebuilt from the member's own tier instead:
     * the archived segment's batches below the snapshot's log end, appended again at the same offsets, with the
     * snapshot's roll time; the log replayed after the snapshot then continues it as the others did.
     *
     * @param fetcher reads one of this member's archived segments back.
     * @param nowMs   the cluster's time.
     * @throws IllegalStateException if the member's tier does not hold the segment any more.
     */
    void rebuildActiveSegments(final SegmentFetcher fetcher, final long nowMs)
    {
        for (final PartitionState state : partitions.values())
        {
            final PartitionLog log = state.log;
            final long activeBase = state.restoredActiveBase;
            final long logEnd = state.restoredLogEnd;
            if (null == log || PartitionLog.NULL_OFFSET == activeBase || activeBase >= logEnd ||
                log.activeSegmentBaseOffset() == activeBase || log.logStartOffset() != logEnd ||
                log.logEndOffset() != logEnd)
            {
                continue;
            }
            final byte[] bytes = null == fetcher ? null : fetcher.fetch(state.topicId, state.partition, activeBase);
            if (null == bytes)
            {
                throw new IllegalStateException("topic id " + state.topicId + " partition " + state.partition +
                    ": the snapshot's active segment " + activeBase + " was deleted locally and this member's tier " +
                    "does not hold it: the member cannot continue its segments as the others did; rebuild it");
            }
            log.truncateFullyAndStartAt(activeBase, nowMs);
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            int position = 0;
            while (position < bytes.length)
            {
                final long baseOffset = buffer.getLong(position + RecordBatch.BASE_OFFSET_OFFSET,
                    RecordBatch.BYTE_ORDER);
                final int length = buffer.getInt(position + RecordBatch.BATCH_LENGTH_OFFSET, RecordBatch.BYTE_ORDER);
                if (baseOffset >= logEnd)
                {
                    break;
                }
                final long appended = log.append(buffer, position, length, nowMs);
                if (appended != baseOffset)
                {
                    throw new IllegalStateException("topic id " + state.topicId + " partition " + state.partition +
                        ": rebuilding segment " + activeBase + " from the tier appended a batch at " + appended +
                        ", expected " + baseOffset);
                }
                position += length;
            }
            if (log.logEndOffset() != logEnd || log.activeSegmentBaseOffset() != activeBase)
            {
                throw new IllegalStateException("topic id " + state.topicId + " partition " + state.partition +
                    ": rebuilding segment " + activeBase + " from the tier ended at " + log.logEndOffset() +
                    ", the snapshot's log end is " + logEnd);
            }
            log.activeSegmentRollStartMs(state.restoredRollStartMs);
            log.highWaterMark(logEnd);
            rebuiltSegments++;
        }
    }

    /**
     * Reads one of this member's archived segments back from its tier, blocking.
     */
    @FunctionalInterface
    interface SegmentFetcher
    {
        /**
         * @param topicId    of the partition's topic.
         * @param partition  index.
         * @param baseOffset of the segment.
         * @return its batches, or null if this member's tier does not list it.
         */
        byte[] fetch(int topicId, int partition, long baseOffset);
    }

    /**
     * Active segments rebuilt from the tier at restore.
     *
     * @return the count since start.
     */
    long rebuiltSegments()
    {
        return rebuiltSegments;
    }

    private static void applyTieredOffset(final PartitionState state)
    {
        final long tiered = state.tieredOffset();
        if (null != state.log && tiered > 0)
        {
            state.log.tieredOffset(tiered);
        }
    }

    /**
     * Reports that contradicted the tier's listing since start.
     *
     * @return the count.
     */
    long mismatches()
    {
        return mismatches;
    }

    /**
     * Reports ignored because they claimed offsets beyond the partition's sealed segments.
     *
     * @return how many.
     */
    long implausibleReports()
    {
        return implausibleReports;
    }

    /**
     * The segments the tier lists for a partition, as every member agrees; service thread or after it stopped.
     *
     * @param topicId   of the topic.
     * @param partition index.
     * @return a copy, empty if the partition has no tier state.
     */
    ArrayList<Segment> segments(final int topicId, final int partition)
    {
        final PartitionState state = partitions.get(key(topicId, partition));
        return null == state ? new ArrayList<>() : new ArrayList<>(state.segments);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // TierCoordinator: the member's archiver thread.
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     */
    public Path manifestDirectory(final int topicId, final int partition)
    {
        return tierDirectory.resolve(topicId + "-" + partition);
    }

    /**
     * {@inheritDoc}
     */
    public Path manifestRoot()
    {
        return tierDirectory;
    }

    /**
     * {@inheritDoc}
     */
    public void attach(final int topicId, final int partition, final RemoteLogReader reader)
    {
        final PartitionState state = partitions.get(key(topicId, partition));
        if (null != state)
        {
            state.memberReader = reader;
        }
    }

    /**
     * {@inheritDoc}
     */
    public long reportedEndOffset(final int topicId, final int partition)
    {
        final PartitionState state = partitions.get(key(topicId, partition));
        return null == state ? Long.MAX_VALUE : state.publishedMemberEnds.get(memberId);
    }

    /**
     * How far a member's tier reaches, as the reports this member applied say; any thread.
     *
     * @param topicId   of the topic.
     * @param partition index.
     * @param member    the reporting member.
     * @return one past the member's last archived offset, -1 before it reported any, or
     *         {@link Long#MAX_VALUE} for a partition without tier state.
     */
    long memberEndOffset(final int topicId, final int partition, final int member)
    {
        final PartitionState state = partitions.get(key(topicId, partition));
        return null == state ? Long.MAX_VALUE : state.publishedMemberEnds.get(member);
    }

    /**
     * {@inheritDoc}
     */
    public void report(final int topicId, final int partition, final TierManifest.Entry entry)
    {
        final Consumer<SegmentArchivedReport> sender = this.sender;
        if (null == sender)
        {
            return;
        }
        final String id = topicId + "/" + partition + "/" + entry.baseOffset();
        final long nowNs = System.nanoTime();
        final Long sentNs = lastSent.get(id);
        if (null != sentNs && nowNs - sentNs < RESEND_NS)
        {
            return;
        }
        lastSent.put(id, nowNs);
        if (lastSent.size() > 4096)
        {
            lastSent.clear();
        }
        sender.accept(new SegmentArchivedReport(memberId, topicId, partition, entry));
    }

    /**
     * {@inheritDoc}
     */
    public long tierStartOffset(final int topicId, final int partition)
    {
        final PartitionState state = partitions.get(key(topicId, partition));
        return null == state ? -1 : state.publishedPurgeBelow;
    }

    private static long key(final int topicId, final int partition)
    {
        return ((long)topicId << 32) | (partition & 0xFFFF_FFFFL);
    }
}
