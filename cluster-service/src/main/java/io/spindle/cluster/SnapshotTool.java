package io.spindle.cluster;

import java.io.File;
import java.util.concurrent.locks.LockSupport;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.cluster.ClusterControl;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.RecordingLog;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusterCounters;
import io.aeron.cluster.service.ClusterMarkFile;
import io.spindle.driver.DriverDirectory;
import org.agrona.IoUtil;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

/**
 * Asks a running member, from another process, to take a cluster snapshot the way Aeron's {@code ClusterTool} does:
 * the consensus module's control toggle is switched to {@link ClusterControl.ToggleState#SNAPSHOT}, then the
 * member's snapshot counter and recording log show the snapshot. Only the leader's toggle is active: asked on a
 * follower, the tool says so. Every member takes the snapshot at the same log position.
 */
public final class SnapshotTool
{
    private static final long POLL_INTERVAL_NS = 1_000_000L;

    private SnapshotTool()
    {
    }

    /**
     * A snapshot the member took.
     *
     * @param memberId         of the member asked.
     * @param logPosition      of the snapshot in the Raft log.
     * @param leadershipTermId in which it was taken.
     * @param snapshotCount    snapshots the member has taken since it started.
     */
    public record Snapshot(int memberId, long logPosition, long leadershipTermId, long snapshotCount)
    {
    }

    /**
     * Ask the member whose consensus module files are in {@code clusterDir} for a snapshot and wait for it.
     *
     * @param clusterDir         the member's {@code cluster/} directory.
     * @param aeronDirectoryName of the member's media driver, or null for the one its mark file names.
     * @param timeoutNs          how long to wait for the snapshot.
     * @return the snapshot taken.
     * @throws IllegalStateException saying why no snapshot was taken.
     */
    public static Snapshot takeSnapshot(final File clusterDir, final String aeronDirectoryName, final long timeoutNs)
    {
        if (!new File(clusterDir, ClusterMarkFile.FILENAME).exists())
        {
            throw new IllegalStateException("no cluster member in " + clusterDir.getParentFile() + " (no " +
                clusterDir + File.separator + ClusterMarkFile.FILENAME + "): give the member's --data-dir");
        }
        final int clusterId;
        final int memberId;
        final String aeronDir;
        try (ClusterMarkFile markFile = new ClusterMarkFile(
            clusterDir, ClusterMarkFile.FILENAME, SystemEpochClock.INSTANCE, 1_000, (message) -> {}))
        {
            clusterId = markFile.clusterId();
            memberId = markFile.memberId();
            aeronDir = null != aeronDirectoryName ? aeronDirectoryName :
                markFile.loadControlProperties().aeronDirectoryName;
        }

        final File cncFile = new File(aeronDir, CncFileDescriptor.CNC_FILE);
        if (!cncFile.exists() || !DriverDirectory.isDriverRunning(new File(aeronDir)))
        {
            throw new IllegalStateException("member " + memberId + ": no media driver runs in " + aeronDir +
                ": is the member running?");
        }

        final CountersReader counters = ClusterControl.mapCounters(cncFile);
        try
        {
            final int snapshotCountId = ClusterCounters.find(
                counters, ConsensusModule.Configuration.SNAPSHOT_COUNTER_TYPE_ID, clusterId);
            final AtomicCounter toggle = ClusterControl.findControlToggle(counters, clusterId);
            if (Aeron.NULL_VALUE == snapshotCountId || null == toggle)
            {
                throw new IllegalStateException("member " + memberId + ": no consensus module runs on the media " +
                    "driver in " + aeronDir + ": is the member running?");
            }
            final long before = counters.getCounterValue(snapshotCountId);
            final long deadlineNs = System.nanoTime() + timeoutNs;
            while (!ClusterControl.ToggleState.SNAPSHOT.toggle(toggle))
            {
                // A snapshot or another action in progress leaves the toggle busy until it completes.
                if (ClusterControl.ToggleState.INACTIVE == ClusterControl.ToggleState.get(toggle))
                {
                    throw new IllegalStateException("member " + memberId + " is not the leader (" +
                        roleName(counters, clusterId) + "): the leader takes a snapshot and every member takes it " +
                        "with it; ask the leader's --data-dir");
                }
                awaitUntil(deadlineNs, memberId, "its control toggle to be free");
            }

            while (counters.getCounterValue(snapshotCountId) == before)
            {
                if (ClusterControl.ToggleState.SNAPSHOT != ClusterControl.ToggleState.get(toggle) &&
                    counters.getCounterValue(snapshotCountId) == before &&
                    ConsensusModule.State.SNAPSHOT != ConsensusModule.State.find(counters, clusterId))
                {
                    throw new IllegalStateException("member " + memberId + " took no snapshot (it lost leadership, " +
                        "or the snapshot failed: see the errors in " + clusterDir + File.separator +
                        ClusterMarkFile.FILENAME + ")");
                }
                awaitUntil(deadlineNs, memberId, "the snapshot");
            }
            final long count = counters.getCounterValue(snapshotCountId);

            try (RecordingLog recordingLog = new RecordingLog(clusterDir, false))
            {
                final RecordingLog.Entry latest =
                    recordingLog.getLatestSnapshot(ConsensusModule.Configuration.SERVICE_ID);
                if (null == latest)
                {
                    throw new IllegalStateException("member " + memberId + " counted a snapshot that its " +
                        "recording log does not list");
                }
                return new Snapshot(memberId, latest.logPosition, latest.leadershipTermId, count);
            }
        }
        finally
        {
            IoUtil.unmap(counters.valuesBuffer().byteBuffer());
        }
    }

    private static String roleName(final CountersReader counters, final int clusterId)
    {
        final int roleId = ClusterCounters.find(
            counters, ConsensusModule.Configuration.CLUSTER_NODE_ROLE_TYPE_ID, clusterId);
        if (Aeron.NULL_VALUE == roleId)
        {
            return "role unknown";
        }
        final Cluster.Role role = Cluster.Role.get(counters.getCounterValue(roleId));
        return null == role ? "role unknown" : "role " + role.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void awaitUntil(final long deadlineNs, final int memberId, final String what)
    {
        if (System.nanoTime() - deadlineNs > 0)
        {
            throw new IllegalStateException("member " + memberId + ": timed out waiting for " + what);
        }
        LockSupport.parkNanos(POLL_INTERVAL_NS);
    }
}
