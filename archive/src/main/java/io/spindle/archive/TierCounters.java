/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.spindle.host.BrokerCounters;
import org.agrona.CloseHelper;

/**
 * A broker's or cluster member's tiered storage counters, in its driver's counters file beside
 * {@link BrokerCounters} (same type id, labels {@code spindle-N: tier ...}), so {@code spindle stat} and AeronStat
 * show them: segments and bytes copied (verified), copy attempts failed, segments purged from the archive, the copy
 * lag (sealed local segments of remote-storage topics not yet in this tier, which hold local deletion back), whether
 * the archive answered, and on a cluster member the segments its tier holds that wait for other members' tiers.
 * Allocated where the tier is made (blocking calls to the driver), set only from the archiver's thread, freed when
 * the tier closes.
 */
final class TierCounters implements AutoCloseable
{
    private final Counter[] all;
    private final Counter segmentsCopied;
    private final Counter bytesCopied;
    private final Counter copyFailures;
    private final Counter segmentsPurged;
    private final Counter lagSegments;
    private final Counter lagBytes;
    private final Counter archiveReachable;
    private final Counter awaitingOthers;

    /**
     * Allocate the counters through a client of the broker's or member's driver.
     *
     * @param aeron  client of the driver.
     * @param nodeId of the broker or member, part of each label.
     */
    TierCounters(final Aeron aeron, final int nodeId)
    {
        final String prefix = "spindle-" + nodeId + ": tier ";
        final String[] names = {
            "segments copied", "bytes copied", "copy attempts failed", "segments purged", "copy lag segments",
            "copy lag bytes", "archive reachable", "segments awaiting other members" };
        all = new Counter[names.length];
        try
        {
            for (int i = 0; i < names.length; i++)
            {
                all[i] = aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + names[i]);
            }
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(all);
            throw ex;
        }
        segmentsCopied = all[0];
        bytesCopied = all[1];
        copyFailures = all[2];
        segmentsPurged = all[3];
        lagSegments = all[4];
        lagBytes = all[5];
        archiveReachable = all[6];
        awaitingOthers = all[7];
        // Reachable until an attempt to reach it fails: a tier without remote-storage topics never tries.
        archiveReachable.setRelease(1);
    }

    /**
     * A segment's copy was verified and recorded in its manifest.
     *
     * @param bytes of the segment.
     */
    void copied(final long bytes)
    {
        segmentsCopied.incrementRelease();
        bytesCopied.getAndAddRelease(bytes);
    }

    /**
     * An attempt at copying a segment was abandoned, to be retried.
     */
    void copyFailed()
    {
        copyFailures.incrementRelease();
    }

    /**
     * Archived segments were purged from the archive: dropped by retention across tiers (on a cluster, below the
     * tier's start) or of a deleted topic.
     *
     * @param segments purged.
     */
    void purged(final long segments)
    {
        segmentsPurged.getAndAddRelease(segments);
    }

    /**
     * The copy lag found by a scan.
     *
     * @param segments sealed local segments not yet in the tier, summed over partitions.
     * @param bytes    of those segments.
     */
    void copyLag(final long segments, final long bytes)
    {
        lagSegments.setRelease(segments);
        lagBytes.setRelease(bytes);
    }

    /**
     * On a cluster member, the sealed local segments its own tier holds whole that local deletion still keeps because
     * another member's tier does not hold them yet (a stopped member, say); always 0 on a standalone broker.
     *
     * @param segments summed over partitions.
     */
    void awaitingOthers(final long segments)
    {
        awaitingOthers.setRelease(segments);
    }

    /**
     * Whether the last attempt to reach the archive succeeded.
     *
     * @param isReachable true if it did.
     */
    void archiveReachable(final boolean isReachable)
    {
        archiveReachable.setRelease(isReachable ? 1 : 0);
    }

    /**
     * Free the counters.
     */
    public void close()
    {
        CloseHelper.closeAll(all);
    }
}
