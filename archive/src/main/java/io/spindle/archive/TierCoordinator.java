/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.nio.file.Path;

import io.spindle.log.RemoteLogReader;

/**
 * What a replicated host (a cluster member) decides in place of its archiver, so that everything a command can see
 * stays the same on every member: the archiver copies this member's sealed segments into its own tier and keeps its
 * own manifest, as on a standalone broker, but it does not let local retention delete a segment, applies no
 * retention across tiers of its own and attaches no reader to a log. Instead it reports each verified copy
 * ({@link #report}) for the replicated state to record through the cluster's log, and follows that state: it purges
 * its copies below {@link #tierStartOffset}, and hands its readers to the host ({@link #attach}), which serves reads
 * below the local log start through them from the point the log says.
 * <p>
 * Called on the archiver's thread; implementations read state the host's thread publishes.
 */
public interface TierCoordinator
{
    /**
     * Where this member keeps a partition's {@link TierManifest}: outside the partition's directory, which a member
     * replaying its log from the start deletes and recreates, so that its copies are still known afterwards.
     *
     * @param topicId   of the partition's topic (never reused in a cluster).
     * @param partition index.
     * @return the directory, created by the caller if missing.
     */
    Path manifestDirectory(int topicId, int partition);

    /**
     * The directory holding every {@link #manifestDirectory}, named {@code <topicId>-<partition>}: the archiver looks
     * there for manifests of topics deleted while it was not running (a member restarted before it purged them).
     *
     * @return the directory.
     */
    Path manifestRoot();

    /**
     * The archiver's reader of a partition's archived segments, from now on (or null: no more).
     *
     * @param topicId   of the partition's topic.
     * @param partition index.
     * @param reader    serving this member's copies, or null.
     */
    void attach(int topicId, int partition, RemoteLogReader reader);

    /**
     * One past the last offset the replicated state knows this member's tier to hold for a partition.
     *
     * @param topicId   of the partition's topic.
     * @param partition index.
     * @return the offset, or -1 if none yet.
     */
    long reportedEndOffset(int topicId, int partition);

    /**
     * Tell the other members, through the log, that this member's tier holds a segment (its manifest says so,
     * durably); called again for an entry until {@link #reportedEndOffset} passes it, so implementations may drop
     * repeats.
     *
     * @param topicId   of the partition's topic.
     * @param partition index.
     * @param entry     the archived segment.
     */
    void report(int topicId, int partition, TierManifest.Entry entry);

    /**
     * The first offset the replicated state keeps in the archive tier for a partition: this member's copies wholly
     * below it are no longer served and are purged.
     *
     * @param topicId   of the partition's topic.
     * @param partition index.
     * @return the offset, or -1 while nothing below it may be purged.
     */
    long tierStartOffset(int topicId, int partition);
}
