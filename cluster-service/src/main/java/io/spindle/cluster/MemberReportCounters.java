/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.spindle.host.BrokerCounters;
import org.agrona.CloseHelper;

/**
 * Members' reports through the log ({@code SegmentArchived}, {@code MemberSnapshotHeld}) that a member ignored, as
 * counters in its driver's counters file ({@code spindle stat}, AeronStat): {@code member reports unauthenticated}
 * (not from the reporting member's own authenticated session, with {@code spindle.node.secret.file} set) and
 * {@code member reports implausible} (a segment reaching past the partition's sealed segments). Both count the log
 * this member applied since it started, a replayed log included, so members that applied the same log agree.
 * Allocated at start; set from the service thread.
 */
final class MemberReportCounters implements AutoCloseable
{
    private final Counter unauthenticated;
    private final Counter implausible;

    /**
     * Allocate the counters (blocking calls to the driver: at start only).
     *
     * @param aeron    client of the member's driver.
     * @param memberId part of each label.
     */
    MemberReportCounters(final Aeron aeron, final int memberId)
    {
        final String prefix = "spindle-" + memberId + ": ";
        unauthenticated = aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID,
            prefix + "member reports unauthenticated");
        Counter second = null;
        try
        {
            second = aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "member reports implausible");
        }
        finally
        {
            if (null == second)
            {
                CloseHelper.quietClose(unauthenticated);
            }
        }
        implausible = second;
    }

    /**
     * Copy the counts; the service thread.
     *
     * @param unauthenticatedReports {@link SpindleClusteredService#unauthenticatedReports()}.
     * @param implausibleReports     {@link MemberTier#implausibleReports()}.
     */
    void update(final long unauthenticatedReports, final long implausibleReports)
    {
        unauthenticated.setRelease(unauthenticatedReports);
        implausible.setRelease(implausibleReports);
    }

    /**
     * Free the counters.
     */
    public void close()
    {
        CloseHelper.closeAll(unauthenticated, implausible);
    }
}
