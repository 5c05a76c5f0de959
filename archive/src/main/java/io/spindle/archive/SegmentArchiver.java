/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.client.ArchiveException;
import io.aeron.logbuffer.FragmentHandler;
import io.spindle.broker.PartitionDirectories;
import io.spindle.broker.Topic;
import io.spindle.broker.TopicTable;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.log.LogConfig;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * The agent that copies sealed segments of topics with {@code remote.storage.enable} into the archive tier and
 * applies the total retention there; it runs on a thread of its own, never on the produce path.
 * <p>
 * <b>Copying a segment</b> (one at a time, oldest first per partition): purge any recording left by an earlier
 * attempt at the same segment (found by the segment's alias tag, see {@link TierManifest#recordingTag}); publish a new
 * exclusive publication and have the archive record it (auto-stop); once connected, send the segment's bytes as read
 * through {@link PartitionLog#read}, in frames of at most the publication's payload length, throttled to
 * {@code spindle.tier.copy.rate} bytes a second; wait until the archive recorded the publication's final position,
 * close it and check the recording's stop position equals it; replay the recording and check its bytes' CRC32C equals
 * the one computed while sending; only then append the segment to the partition's {@link TierManifest} (atomically,
 * durably) and raise {@link PartitionLog#tieredOffset(long)}, which lets local retention delete it. Any failure
 * abandons the attempt (its recording is purged now or on the next attempt) and retries after a back-off; a restart of
 * the broker or the archive mid-copy therefore redoes the segment, never duplicates it, never loses it.
 * <p>
 * <b>Retention across tiers:</b> archived segments whose largest timestamp is older than {@code retention.ms}, or
 * that put the partition (archive-only segments plus the local log) over {@code retention.bytes}, are dropped from
 * the manifest and then purged from the archive. Recordings of a partition not in its manifest (a crash between the
 * two, or mid-copy) are purged the first time the archiver sees the partition, and again after a purge failed. The
 * recordings of a deleted topic are purged when the archiver notices it is gone.
 * <p>
 * <b>On a cluster member</b> (with a {@link TierCoordinator}) the copying is the same, into the member's own tier, but
 * what a command can see is decided through the cluster's log: a verified copy is reported to the coordinator instead
 * of raising {@link PartitionLog#tieredOffset(long)}, copies below the coordinator's tier start are purged instead of
 * applying retention here, manifests live where the coordinator says, and readers are handed to it.
 * <p>
 * <b>Counters</b> ({@link TierCounters}, set from this thread only): each verified copy, failed attempt and purged
 * segment as it happens, and after each scan the copy lag, the sealed segments still to copy.
 */
final class SegmentArchiver implements Agent
{
    static final long SCAN_INTERVAL_MS = TierConfiguration.SCAN_INTERVAL.duration();
    static final long RETRY_BACKOFF_MS = TierConfiguration.RETRY_BACKOFF.duration();
    static final long STEP_TIMEOUT_MS = TierConfiguration.STEP_TIMEOUT.duration();
    static final long COPY_RATE = TierConfiguration.COPY_RATE.size();
    static final boolean VERIFY_CRC = TierConfiguration.VERIFY_CRC.bool();

    private static final int READ_BYTES = 256 * 1024;
    private static final long LEFTOVER_SCAN_EVERY = 20;

    private final ArchiveTier tier;
    private final Aeron aeron;
    private final Supplier<TopicTable> topics;
    private final ErrorHandler errorHandler;
    private final TierCoordinator coordinator;
    private final TierCounters counters;
    private final Long2ObjectHashMap<PartitionTier> partitions = new Long2ObjectHashMap<>();
    private final ArrayList<String> pendingPurges = new ArrayList<>();
    private final ArrayList<Path> pendingManifestDeletes = new ArrayList<>();
    private final LogReadResult readResult = new LogReadResult();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[64 * 1024]);
    private final CRC32C crc = new CRC32C();
    private final CRC32C verifyCrc = new CRC32C();
    private final byte[] verifyFrame = new byte[64 * 1024];
    private final FragmentHandler verifyHandler = this::onVerifyFragment;
    private final FragmentHandler loadHandler = this::onLoadFragment;
    private final ManyToOneConcurrentArrayQueue<TierReader> loadRequests = new ManyToOneConcurrentArrayQueue<>(1024);
    private final CRC32C loadCrc = new CRC32C();
    private Load load;
    private volatile long observedTableVersion;
    private long nextScanMs;
    private long scanGeneration;
    private Copy copy;
    private long copiedSegments;
    private volatile long completedScans;
    private long loadedSegments;
    private long rateWindowStartMs;
    private long rateWindowBytes;
    private long verifyBytes;

    SegmentArchiver(
        final ArchiveTier tier,
        final Aeron aeron,
        final Supplier<TopicTable> topics,
        final ErrorHandler errorHandler,
        final TierCoordinator coordinator,
        final TierCounters counters)
    {
        this.tier = tier;
        this.aeron = aeron;
        this.topics = topics;
        this.errorHandler = errorHandler;
        this.coordinator = coordinator;
        this.counters = counters;
    }

    /**
     * One partition as the archiver tracks it.
     */
    static final class PartitionTier
    {
        final int topicId;
        final int partition;
        final PartitionLog log;
        final TierManifest manifest;
        final TierReader reader;
        boolean isReconciled;
        long retryAtMs;
        long seenGeneration;

        PartitionTier(
            final int topicId,
            final int partition,
            final PartitionLog log,
            final TierManifest manifest,
            final TierReader reader)
        {
            this.topicId = topicId;
            this.partition = partition;
            this.log = log;
            this.manifest = manifest;
            this.reader = reader;
        }
    }

    /**
     * An archived segment being fetched into a {@link TierReader}'s cache.
     */
    static final class Load
    {
        final TierReader reader;
        final TierManifest.Entry entry;
        final byte[] bytes;
        Subscription subscription;
        int received;
        long deadlineMs;

        Load(final TierReader reader, final TierManifest.Entry entry)
        {
            this.reader = reader;
            this.entry = entry;
            this.bytes = new byte[(int)entry.bytes()];
        }
    }

    /**
     * A segment being copied.
     */
    final class Copy
    {
        final PartitionTier partitionTier;
        final long baseOffset;
        final long nextOffset;
        final String tag;
        final int sessionId = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
        ExclusivePublication publication;
        long subscriptionId = Long.MIN_VALUE;
        long recordingId = Aeron.NULL_VALUE;
        long startPosition;
        long expectedStopPosition = Aeron.NULL_VALUE;
        long readOffset;
        int sentInRead;
        long bytes;
        long maxTimestampMs = -1;
        Subscription verifySubscription;
        int step;
        long stepDeadlineMs;

        Copy(final PartitionTier partitionTier, final long baseOffset, final long nextOffset)
        {
            this.partitionTier = partitionTier;
            this.baseOffset = baseOffset;
            this.nextOffset = nextOffset;
            this.tag = partitionTier.manifest.recordingTag(baseOffset);
            this.readOffset = baseOffset;
        }
    }

    private static final int STEP_RECORD = 0;
    private static final int STEP_CONNECT = 1;
    private static final int STEP_SEND = 2;
    private static final int STEP_DRAIN = 3;
    private static final int STEP_STOP = 4;
    private static final int STEP_VERIFY = 5;

    long observedTableVersion()
    {
        return observedTableVersion;
    }

    long copiedSegments()
    {
        return copiedSegments;
    }

    long completedScans()
    {
        return completedScans;
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        final long nowMs = System.currentTimeMillis();
        final int loadWork = serviceLoad(nowMs);
        if (null != copy)
        {
            try
            {
                return loadWork + stepCopy(copy, nowMs);
            }
            catch (final RuntimeException ex)
            {
                failCopy(ex, nowMs);
                return 1;
            }
        }

        if (nowMs < nextScanMs)
        {
            return loadWork;
        }
        nextScanMs = nowMs + SCAN_INTERVAL_MS;
        int work = loadWork;
        try
        {
            work += scan(nowMs);
        }
        catch (final RuntimeException ex)
        {
            tier.onArchiveFailure(ex);
            errorHandler.onError(ex);
            nextScanMs = nowMs + RETRY_BACKOFF_MS;
            work++;
        }
        measureCopyLag();
        completedScans = completedScans + 1;
        return work;
    }

    /**
     * {@inheritDoc}
     */
    public void onClose()
    {
        if (null != copy)
        {
            CloseHelper.quietCloseAll(copy.publication, copy.verifySubscription);
            copy = null;
        }
        if (null != load)
        {
            CloseHelper.quietClose(load.subscription);
            load = null;
        }
        for (final PartitionTier partitionTier : partitions.values())
        {
            detach(partitionTier);
        }
        observedTableVersion = Long.MAX_VALUE;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-archiver";
    }

    private int scan(final long nowMs)
    {
        final TopicTable table = topics.get();
        final long generation = ++scanGeneration;
        int work = 0;
        if (null == coordinator && 1 == generation)
        {
            findLeftoverDeletedPartitions();
        }
        for (int topicId = 0; !table.isNotCreatedYet(topicId); topicId++)
        {
            final Topic topic = table.topic(topicId);
            if (null == topic)
            {
                continue;
            }
            for (int p = 0, n = topic.partitionCount(); p < n; p++)
            {
                final PartitionLog log = topic.partition(p);
                final long key = ((long)topicId << 32) | p;
                PartitionTier partitionTier = partitions.get(key);
                if (null == partitionTier || partitionTier.log != log)
                {
                    if (!log.config().remoteStorageEnable())
                    {
                        continue;
                    }
                    final TierManifest manifest = TierManifest.load(manifestDirectory(topicId, p, log));
                    partitionTier = new PartitionTier(topicId, p, log, manifest, new TierReader(loadRequests));
                    partitionTier.reader.entries(manifest);
                    if (null == coordinator)
                    {
                        log.tieredOffset(manifest.endOffset());
                        log.remoteReader(partitionTier.reader);
                    }
                    else
                    {
                        coordinator.attach(topicId, p, partitionTier.reader);
                    }
                    partitions.put(key, partitionTier);
                }
                partitionTier.seenGeneration = generation;
                if (null == copy && nowMs >= partitionTier.retryAtMs)
                {
                    work += tend(partitionTier, nowMs);
                }
            }
        }

        for (final Long2ObjectHashMap<PartitionTier>.ValueIterator it = partitions.values().iterator(); it.hasNext(); )
        {
            final PartitionTier partitionTier = it.next();
            if (partitionTier.seenGeneration != generation)
            {
                pendingPurges.add(partitionTier.manifest.tierPrefix());
                if (null != coordinator)
                {
                    pendingManifestDeletes.add(partitionTier.manifest.directory());
                }
                detach(partitionTier);
                it.remove();
            }
        }
        if (null != coordinator && 1 == generation % LEFTOVER_SCAN_EVERY)
        {
            findLeftoverManifests(table);
        }
        work += purgeDeleted();
        // A standalone broker deletes a deleted topic's directories, its manifests with them, once every reader has
        // seen the delete: this archiver says it has only once the topic's recordings are purged, so that a restart
        // before then (the archive unreachable, say) finds the manifests and purges them (see below).
        if (null != coordinator || pendingPurges.isEmpty())
        {
            observedTableVersion = table.version();
        }
        return work;
    }

    /**
     * A standalone broker keeps manifests in the partition directories. Those of topics deleted before a restart
     * whose recordings were not purged yet are in the {@code .deleted} directories the broker left for this archiver
     * ({@link io.spindle.host.TieredStorage}): their recordings are purged like any deleted topic's, then the
     * directories go; directories without a manifest go at once.
     */
    private void findLeftoverDeletedPartitions()
    {
        final String[] names = tier.dataDir().toFile().list();
        if (null == names)
        {
            return;
        }
        for (final String name : names)
        {
            final Path directory = tier.dataDir().resolve(name);
            if (!name.endsWith(PartitionDirectories.DELETED_SUFFIX) || !Files.isDirectory(directory))
            {
                continue;
            }
            if (TierManifest.exists(directory))
            {
                pendingPurges.add(TierManifest.load(directory).tierPrefix());
                pendingManifestDeletes.add(directory);
            }
            else
            {
                IoUtil.delete(directory.toFile(), true);
            }
        }
    }

    /**
     * Publish the copy lag: the sealed local segments of remote-storage partitions that this tier does not hold yet
     * and that the archiver is to copy (wholly below the high-water mark, as {@link #tend} picks them), summed over
     * partitions. While they wait, local retention keeps them.
     */
    private void measureCopyLag()
    {
        long segments = 0;
        long bytes = 0;
        long awaitingOthers = 0;
        for (final PartitionTier partitionTier : partitions.values())
        {
            final PartitionLog log = partitionTier.log;
            if (!log.config().remoteStorageEnable())
            {
                continue;
            }
            final long[] bases = log.segmentBaseOffsets();
            final long archivedEnd = partitionTier.manifest.endOffset();
            final long highWaterMark = log.highWaterMark();
            // Below the tiered offset local retention may delete; on a cluster it is the lowest member's reach.
            final long deletableBelow = log.tieredOffset();
            for (int i = 0; i < bases.length - 1; i++)
            {
                if (bases[i] >= archivedEnd && bases[i + 1] <= highWaterMark)
                {
                    segments++;
                    bytes += log.segmentBytes(bases[i]);
                }
                else if (null != coordinator && bases[i + 1] <= archivedEnd && bases[i + 1] > deletableBelow)
                {
                    awaitingOthers++;
                }
            }
        }
        counters.copyLag(segments, bytes);
        counters.awaitingOthers(awaitingOthers);
    }

    /**
     * A replicated host keeps manifests outside the partition directories: those of a topic deleted while this
     * member was down or restarting (its recordings not purged yet) are found here and purged like any deleted
     * topic's. Topic ids are never reused, so an id already handed out whose topic is gone is a deleted topic's.
     */
    private void findLeftoverManifests(final TopicTable table)
    {
        final String[] names = coordinator.manifestRoot().toFile().list();
        if (null == names)
        {
            return;
        }
        for (final String name : names)
        {
            final int dash = name.indexOf('-');
            final int topicId;
            try
            {
                topicId = Integer.parseInt(name.substring(0, Math.max(0, dash)));
            }
            catch (final NumberFormatException ex)
            {
                continue;
            }
            final Path directory = coordinator.manifestRoot().resolve(name);
            if (table.isNotCreatedYet(topicId) || null != table.topic(topicId) ||
                pendingManifestDeletes.contains(directory) || !TierManifest.exists(directory))
            {
                continue;
            }
            pendingPurges.add(TierManifest.load(directory).tierPrefix());
            pendingManifestDeletes.add(directory);
        }
    }

    private int tend(final PartitionTier partitionTier, final long nowMs)
    {
        final AeronArchive archive = tier.archive();
        if (null == archive)
        {
            return 0;
        }

        int work = 0;
        if (!partitionTier.isReconciled)
        {
            purgeUnlisted(archive, partitionTier.manifest, partitionTier.manifest.tierPrefix());
            partitionTier.isReconciled = true;
            work++;
        }

        if (null == coordinator)
        {
            work += applyRetention(archive, partitionTier, nowMs);
        }
        else
        {
            work += followTierStart(archive, partitionTier);
            work += reportUnreported(partitionTier);
        }
        if (partitionTier.log.config().remoteStorageEnable())
        {
            final long[] bases = partitionTier.log.segmentBaseOffsets();
            final long archivedEnd = partitionTier.manifest.endOffset();
            final long highWaterMark = partitionTier.log.highWaterMark();
            for (int i = 0; i < bases.length - 1; i++)
            {
                if (bases[i] >= archivedEnd && bases[i + 1] <= highWaterMark)
                {
                    copy = new Copy(partitionTier, bases[i], bases[i + 1]);
                    copy.stepDeadlineMs = nowMs + STEP_TIMEOUT_MS;
                    return work + 1;
                }
            }
        }
        return work;
    }

    private int applyRetention(final AeronArchive archive, final PartitionTier partitionTier, final long nowMs)
    {
        final TierManifest manifest = partitionTier.manifest;
        final LogConfig config = partitionTier.log.config();
        final long retentionMs = config.retentionMs();
        final long retentionBytes = config.retentionBytes();
        final long localStart = partitionTier.log.logStartOffset();
        long total = partitionTier.log.sizeInBytes();
        for (final TierManifest.Entry entry : manifest.entries())
        {
            if (entry.nextOffset() <= localStart)
            {
                total += entry.bytes();
            }
        }

        int expired = 0;
        for (final TierManifest.Entry entry : manifest.entries())
        {
            final boolean isExpired = LogConfig.UNLIMITED != retentionMs &&
                entry.maxTimestampMs() < nowMs - retentionMs;
            final boolean isOverSize = LogConfig.UNLIMITED != retentionBytes && entry.nextOffset() <= localStart &&
                total - entry.bytes() >= retentionBytes;
            if (!isExpired && !isOverSize || !config.isDelete())
            {
                break;
            }
            if (entry.nextOffset() <= localStart)
            {
                total -= entry.bytes();
            }
            expired++;
        }

        if (0 == expired)
        {
            return 0;
        }
        dropOldest(archive, partitionTier, expired);
        return expired;
    }

    /**
     * A replicated host: drop from the manifest and purge this member's copies the replicated state no longer keeps
     * (retention across tiers, decided through the cluster's log).
     */
    private int followTierStart(final AeronArchive archive, final PartitionTier partitionTier)
    {
        final long tierStart = coordinator.tierStartOffset(partitionTier.topicId, partitionTier.partition);
        final TierManifest manifest = partitionTier.manifest;
        int expired = 0;
        for (final TierManifest.Entry entry : manifest.entries())
        {
            if (entry.nextOffset() > tierStart)
            {
                break;
            }
            expired++;
        }
        if (0 == expired)
        {
            return 0;
        }
        dropOldest(archive, partitionTier, expired);
        return expired;
    }

    /**
     * Drop a partition's oldest archived segments from its manifest (durably, first), then purge their recordings.
     * The manifest no longer lists them: if a purge fails (say the archive restarts meanwhile), the next tend
     * reconciles the partition, purging every recording of it the manifest does not list; a recording purged already
     * (before a restart) is skipped.
     */
    private void dropOldest(final AeronArchive archive, final PartitionTier partitionTier, final int count)
    {
        final TierManifest manifest = partitionTier.manifest;
        final ArrayList<TierManifest.Entry> dropped = new ArrayList<>(manifest.entries().subList(0, count));
        manifest.removeOldest(count);
        partitionTier.reader.entries(manifest);
        partitionTier.isReconciled = false;
        for (final TierManifest.Entry entry : dropped)
        {
            try
            {
                archive.purgeRecording(entry.recordingId());
            }
            catch (final ArchiveException ex)
            {
                if (ArchiveException.UNKNOWN_RECORDING != ex.errorCode())
                {
                    throw ex;
                }
            }
            counters.purged(1);
        }
        partitionTier.isReconciled = true;
    }

    /**
     * A replicated host: report every copy this member's manifest holds that the replicated state does not know of
     * yet (a report lost with a restart or a leader change is sent again; the coordinator drops repeats).
     */
    private int reportUnreported(final PartitionTier partitionTier)
    {
        final long reportedEnd = coordinator.reportedEndOffset(partitionTier.topicId, partitionTier.partition);
        int work = 0;
        for (final TierManifest.Entry entry : partitionTier.manifest.entries())
        {
            if (entry.nextOffset() > reportedEnd)
            {
                coordinator.report(partitionTier.topicId, partitionTier.partition, entry);
                work++;
            }
        }
        return work;
    }

    private Path manifestDirectory(final int topicId, final int partition, final PartitionLog log)
    {
        if (null == coordinator)
        {
            return log.directory().toPath();
        }
        final Path directory = coordinator.manifestDirectory(topicId, partition);
        try
        {
            Files.createDirectories(directory);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create " + directory, ex);
        }
        return directory;
    }

    private void detach(final PartitionTier partitionTier)
    {
        if (null == coordinator)
        {
            partitionTier.log.remoteReader(null);
        }
        else
        {
            coordinator.attach(partitionTier.topicId, partitionTier.partition, null);
        }
    }

    private int purgeDeleted()
    {
        if (pendingPurges.isEmpty())
        {
            return 0;
        }
        final AeronArchive archive = tier.archive();
        if (null == archive)
        {
            return 0;
        }
        int work = 0;
        for (int i = pendingPurges.size() - 1; i >= 0; i--)
        {
            counters.purged(purgeUnlisted(archive, null, pendingPurges.get(i)));
            pendingPurges.remove(i);
            work++;
        }
        // Manifests of deleted topics kept outside the partition directories (a replicated host's) or left in a
        // standalone broker's deleted partition directories at its restart go once their recordings are gone.
        for (int i = pendingManifestDeletes.size() - 1; i >= 0; i--)
        {
            IoUtil.delete(pendingManifestDeletes.remove(i).toFile(), true);
        }
        return work;
    }

    /**
     * Stop recording subscriptions and purge recordings whose channel carries a tag, except the manifest's.
     *
     * @return how many recordings were purged.
     */
    private int purgeUnlisted(final AeronArchive archive, final TierManifest manifest, final String tag)
    {
        final ArrayList<Long> subscriptionIds = new ArrayList<>();
        archive.listRecordingSubscriptions(0, Integer.MAX_VALUE, tag, TierChannels.RECORD_STREAM_ID, true,
            (controlSessionId, correlationId, subscriptionId, streamId, strippedChannel) ->
                subscriptionIds.add(subscriptionId));
        for (final long subscriptionId : subscriptionIds)
        {
            archive.tryStopRecording(subscriptionId);
        }

        final ArrayList<Long> recordingIds = new ArrayList<>();
        archive.listRecordingsForUri(0, Integer.MAX_VALUE, tag, TierChannels.RECORD_STREAM_ID,
            (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
                stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId,
                strippedChannel, originalChannel, sourceIdentity) -> recordingIds.add(recordingId));
        int purged = 0;
        for (final long recordingId : recordingIds)
        {
            if (null != manifest && isListed(manifest, recordingId))
            {
                continue;
            }
            if (AeronArchive.NULL_POSITION != archive.getRecordingPosition(recordingId))
            {
                archive.tryStopRecordingByIdentity(recordingId);
            }
            archive.purgeRecording(recordingId);
            purged++;
        }
        return purged;
    }

    private static boolean isListed(final TierManifest manifest, final long recordingId)
    {
        for (final TierManifest.Entry entry : manifest.entries())
        {
            if (entry.recordingId() == recordingId)
            {
                return true;
            }
        }
        return false;
    }

    private int stepCopy(final Copy copy, final long nowMs)
    {
        if (nowMs > copy.stepDeadlineMs)
        {
            throw new IllegalStateException("segment " + copy.baseOffset + " of " + copy.partitionTier.log.directory() +
                ": archiving step " + copy.step + " timed out");
        }

        final AeronArchive archive = tier.archive();
        if (null == archive)
        {
            throw new IllegalStateException("archive unavailable");
        }

        switch (copy.step)
        {
            case STEP_RECORD:
            {
                if (null == copy.publication)
                {
                    purgeUnlisted(archive, copy.partitionTier.manifest, copy.tag);
                    copy.publication = tier.channels().addPublication(aeron, copy.sessionId);
                }
                final String channel = tier.channels().recordingChannel(copy.publication, copy.tag, copy.sessionId);
                if (null == channel)
                {
                    return 0;
                }
                copy.subscriptionId = archive.startRecording(
                    channel, TierChannels.RECORD_STREAM_ID, tier.channels().sourceLocation(), true);
                nextStep(copy, STEP_CONNECT, nowMs);
                return 1;
            }

            case STEP_CONNECT:
            {
                if (!copy.publication.isConnected())
                {
                    return 0;
                }
                final long[] found = { Aeron.NULL_VALUE, 0 };
                archive.listRecordingsForUri(0, Integer.MAX_VALUE, copy.tag, TierChannels.RECORD_STREAM_ID,
                    (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
                        stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId,
                        streamId, strippedChannel, originalChannel, sourceIdentity) ->
                    {
                        found[0] = recordingId;
                        found[1] = startPosition;
                    });
                if (Aeron.NULL_VALUE == found[0])
                {
                    return 0;
                }
                copy.recordingId = found[0];
                copy.startPosition = found[1];
                crc.reset();
                nextStep(copy, STEP_SEND, nowMs);
                return 1;
            }

            case STEP_SEND:
                return send(copy, nowMs);

            case STEP_DRAIN:
            {
                if (archive.getRecordingPosition(copy.recordingId) < copy.expectedStopPosition)
                {
                    return 0;
                }
                copy.publication.close();
                nextStep(copy, STEP_STOP, nowMs);
                return 1;
            }

            case STEP_STOP:
            {
                final long stopPosition = archive.getStopPosition(copy.recordingId);
                if (AeronArchive.NULL_POSITION == stopPosition)
                {
                    return 0;
                }
                if (stopPosition != copy.expectedStopPosition)
                {
                    throw new IllegalStateException("recording " + copy.recordingId + " stopped at " + stopPosition +
                        ", expected " + copy.expectedStopPosition);
                }
                if (!VERIFY_CRC)
                {
                    commit(copy, nowMs);
                    return 1;
                }
                verifyCrc.reset();
                verifyBytes = 0;
                copy.verifySubscription = tier.channels().replay(
                    aeron, archive, copy.recordingId, copy.startPosition, stopPosition - copy.startPosition);
                nextStep(copy, STEP_VERIFY, nowMs);
                return 1;
            }

            case STEP_VERIFY:
            {
                final int fragments = copy.verifySubscription.poll(verifyHandler, 64);
                if (verifyBytes < copy.bytes)
                {
                    final Image image = copy.verifySubscription.imageCount() > 0 ?
                        copy.verifySubscription.imageAtIndex(0) : null;
                    if (null != image && image.isEndOfStream() && 0 == fragments)
                    {
                        throw new IllegalStateException("replay of recording " + copy.recordingId + " ended after " +
                            verifyBytes + " of " + copy.bytes + " bytes");
                    }
                    return fragments;
                }
                final int expected = (int)crc.getValue();
                final int actual = (int)verifyCrc.getValue();
                if (verifyBytes != copy.bytes || expected != actual)
                {
                    throw new IllegalStateException("recording " + copy.recordingId + " read back " + verifyBytes +
                        " bytes with CRC32C " + Integer.toHexString(actual) + ", expected " + copy.bytes + " with " +
                        Integer.toHexString(expected));
                }
                copy.verifySubscription.close();
                copy.verifySubscription = null;
                commit(copy, nowMs);
                return 1;
            }

            default:
                throw new IllegalStateException("step " + copy.step);
        }
    }

    private int serviceLoad(final long nowMs)
    {
        if (null == load)
        {
            final TierReader reader = loadRequests.poll();
            if (null == reader)
            {
                return 0;
            }
            final long wanted = reader.wantedBaseOffset();
            if (PartitionLog.NULL_OFFSET == wanted || reader.isCached(wanted))
            {
                return 1;
            }
            for (final TierManifest.Entry entry : reader.entries())
            {
                if (entry.baseOffset() == wanted)
                {
                    startLoad(reader, entry, nowMs);
                    return 1;
                }
            }
            reader.loadFailed(wanted);
            return 1;
        }

        final Load current = load;
        try
        {
            if (nowMs > current.deadlineMs)
            {
                throw new IllegalStateException("fetching archived segment " + current.entry.baseOffset() +
                    " (recording " + current.entry.recordingId() + ") timed out");
            }
            final int fragments = current.subscription.poll(loadHandler, 64);
            if (current.received < current.bytes.length)
            {
                return fragments;
            }
            loadCrc.reset();
            loadCrc.update(current.bytes, 0, current.received);
            if (current.received != current.entry.bytes() || (int)loadCrc.getValue() != current.entry.crc())
            {
                throw new IllegalStateException("archived segment " + current.entry.baseOffset() + " (recording " +
                    current.entry.recordingId() + ") read back " + current.received + " bytes with CRC32C " +
                    Long.toHexString(loadCrc.getValue()) + ", manifest says " + current.entry.bytes() + " with " +
                    Integer.toHexString(current.entry.crc()));
            }
            current.subscription.close();
            load = null;
            current.reader.cache(new TierReader.Cached(
                current.entry.baseOffset(), current.entry.nextOffset(), current.bytes, current.received));
            loadedSegments++;

            // Fetch the next segment ahead: a consumer reading from the archive reads on in order.
            final TierManifest.Entry[] entries = current.reader.entries();
            for (int i = 0; i < entries.length - 1; i++)
            {
                if (entries[i].baseOffset() == current.entry.baseOffset() &&
                    !current.reader.isCached(entries[i + 1].baseOffset()))
                {
                    startLoad(current.reader, entries[i + 1], nowMs);
                    break;
                }
            }
            return 1;
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(current.subscription);
            load = null;
            current.reader.loadFailed(current.entry.baseOffset());
            errorHandler.onError(ex);
            tier.onArchiveFailure(ex);
            return 1;
        }
    }

    private void startLoad(final TierReader reader, final TierManifest.Entry entry, final long nowMs)
    {
        final AeronArchive archive = tier.archive();
        if (null == archive)
        {
            reader.loadFailed(entry.baseOffset());
            return;
        }
        final Load next = new Load(reader, entry);
        next.deadlineMs = nowMs + STEP_TIMEOUT_MS;
        try
        {
            next.subscription = tier.channels().replay(
                aeron, archive, entry.recordingId(), entry.startPosition(),
                    entry.stopPosition() - entry.startPosition());
            load = next;
        }
        catch (final RuntimeException ex)
        {
            reader.loadFailed(entry.baseOffset());
            errorHandler.onError(ex);
            tier.onArchiveFailure(ex);
        }
    }

    private void onLoadFragment(
        final DirectBuffer buffer, final int offset, final int length, final io.aeron.logbuffer.Header header)
    {
        final Load current = load;
        if (current.received + length > current.bytes.length)
        {
            throw new IllegalStateException("archived segment " + current.entry.baseOffset() + " longer than " +
                current.bytes.length + " bytes");
        }
        buffer.getBytes(offset, current.bytes, current.received, length);
        current.received += length;
        current.deadlineMs = System.currentTimeMillis() + STEP_TIMEOUT_MS;
    }

    long loadedSegments()
    {
        return loadedSegments;
    }

    private void onVerifyFragment(
        final DirectBuffer buffer, final int offset, final int length, final io.aeron.logbuffer.Header header)
    {
        final byte[] bytes = verifyFrame;
        for (int i = 0; i < length; i += bytes.length)
        {
            final int chunk = Math.min(bytes.length, length - i);
            buffer.getBytes(offset + i, bytes, 0, chunk);
            verifyCrc.update(bytes, 0, chunk);
        }
        verifyBytes += length;
    }

    private int send(final Copy copy, final long nowMs)
    {
        if (nowMs - rateWindowStartMs >= 1000)
        {
            rateWindowStartMs = nowMs;
            rateWindowBytes = 0;
        }
        if (rateWindowBytes >= COPY_RATE)
        {
            return 0;
        }

        final ExclusivePublication publication = copy.publication;
        final PartitionLog log = copy.partitionTier.log;
        final int maxPayload = Math.min(publication.maxPayloadLength(), frame.capacity());
        int work = 0;
        while (copy.readOffset < copy.nextOffset && rateWindowBytes < COPY_RATE && work < 16)
        {
            final int length = log.read(copy.readOffset, READ_BYTES, readResult);
            if (length <= 0)
            {
                throw new IllegalStateException("segment " + copy.baseOffset + " of " + log.directory() +
                    " unreadable at offset " + copy.readOffset + " (" + length + ")");
            }
            final long readNext = Math.min(readResult.nextOffset(), copy.nextOffset);
            if (readResult.firstOffset() >= copy.nextOffset)
            {
                throw new IllegalStateException("segment " + copy.baseOffset + " ends before " + copy.nextOffset);
            }
            final DirectBuffer view = readResult.buffer();

            // Whole batches of this segment only: a read stays within one segment, but check the offsets anyway.
            int end = 0;
            while (end < length)
            {
                final long batchBase = view.getLong(end + RecordBatch.BASE_OFFSET_OFFSET, LITTLE_ENDIAN);
                if (batchBase >= copy.nextOffset)
                {
                    break;
                }
                copy.maxTimestampMs = Math.max(
                    copy.maxTimestampMs, view.getLong(end + RecordBatch.MAX_TIMESTAMP_OFFSET, LITTLE_ENDIAN));
                end += view.getInt(end + RecordBatch.BATCH_LENGTH_OFFSET, LITTLE_ENDIAN);
            }

            for (int position = copy.sentInRead; position < end; )
            {
                final int frameLength = Math.min(maxPayload, end - position);
                frame.putBytes(0, view, position, frameLength);
                final long result = publication.offer(frame, 0, frameLength);
                if (result < 0)
                {
                    if (ExclusivePublication.BACK_PRESSURED == result || ExclusivePublication.ADMIN_ACTION == result)
                    {
                        // The segment is sealed: the same read next time gives the same bytes, continue there.
                        copy.sentInRead = position;
                        return work;
                    }
                    throw new IllegalStateException("offer failed: " + result);
                }
                crc.update(frame.byteArray(), 0, frameLength);
                position += frameLength;
                copy.bytes += frameLength;
                rateWindowBytes += frameLength;
            }
            copy.readOffset = readNext;
            copy.sentInRead = 0;
            copy.stepDeadlineMs = nowMs + STEP_TIMEOUT_MS;
            work++;
        }

        if (copy.readOffset >= copy.nextOffset)
        {
            copy.expectedStopPosition = publication.position();
            nextStep(copy, STEP_DRAIN, nowMs);
        }
        return work;
    }

    private void commit(final Copy copy, final long nowMs)
    {
        final PartitionTier partitionTier = copy.partitionTier;
        partitionTier.manifest.append(new TierManifest.Entry(
            copy.baseOffset, copy.nextOffset, copy.bytes, (int)crc.getValue(), copy.recordingId, copy.startPosition,
            copy.expectedStopPosition, copy.maxTimestampMs));
        partitionTier.reader.entries(partitionTier.manifest);
        if (null == coordinator)
        {
            partitionTier.log.tieredOffset(copy.nextOffset);
        }
        else
        {
            coordinator.report(partitionTier.topicId, partitionTier.partition,
                partitionTier.manifest.entries().get(partitionTier.manifest.entries().size() - 1));
        }
        copiedSegments++;
        counters.copied(copy.bytes);
        this.copy = null;
        nextScanMs = nowMs;
    }

    private void nextStep(final Copy copy, final int step, final long nowMs)
    {
        copy.step = step;
        copy.stepDeadlineMs = nowMs + STEP_TIMEOUT_MS;
    }

    private void failCopy(final RuntimeException ex, final long nowMs)
    {
        final Copy failed = copy;
        copy = null;
        counters.copyFailed();
        failed.partitionTier.retryAtMs = nowMs + RETRY_BACKOFF_MS;
        CloseHelper.quietCloseAll(failed.publication, failed.verifySubscription);
        errorHandler.onError(ex);
        // The recording, if any, is purged by the next attempt at this segment (found by its tag).
        tier.onArchiveFailure(ex);
    }
}
