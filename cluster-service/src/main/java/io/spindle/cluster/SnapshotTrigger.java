package io.spindle.cluster;

import java.io.File;
import java.util.function.LongSupplier;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.cluster.ClusterControl;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.RecordingLog;
import io.aeron.cluster.service.ClusterCounters;
import org.agrona.IoUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

/**
 * Asks for a cluster snapshot each time the commit position has grown by {@link #LOG_BYTES_PROP_NAME} bytes since the
 * last snapshot, as an operator would: by switching the consensus module's control toggle to
 * {@link ClusterControl.ToggleState#SNAPSHOT}. Only the leader's toggle is active, so only the leader's trigger
 * fires, and every member then takes the snapshot at the same log position; after a leader change the new leader's
 * trigger carries on from the snapshots its member took.
 * <p>
 * Nothing here is part of the replicated state: the check runs on a daemon thread of its own, against the driver's
 * counters mapped from {@code cnc.dat}, and the snapshot itself is a log entry like any other.
 */
public final class SnapshotTrigger implements Agent, AutoCloseable
{
    /**
     * Property: log bytes committed since the last snapshot after which the leader takes a snapshot; 0 disables.
     */
    public static final String LOG_BYTES_PROP_NAME = "spindle.node.snapshot.log.bytes";

    /**
     * Default of {@link #LOG_BYTES_PROP_NAME}: 1 GiB.
     */
    public static final long LOG_BYTES_DEFAULT = 1L << 30;

    private final CountersReader counters;
    private final int clusterId;
    private final LongSupplier lastSnapshotLogPosition;
    private final long logBytes;
    private long basePosition;
    private int commitPositionId = Aeron.NULL_VALUE;
    private AtomicCounter controlToggle;
    private volatile long triggerCount;
    private AgentRunner runner;

    /**
     * A trigger over counters the caller maps and keeps mapped while it runs.
     *
     * @param counters                of the member's media driver.
     * @param clusterId               of the member's consensus module.
     * @param basePosition            log position of the member's latest snapshot when it started, 0 if none.
     * @param lastSnapshotLogPosition log position of the latest snapshot the member took since, or -1.
     * @param logBytes                growth of the commit position that asks for a snapshot; above 0.
     */
    SnapshotTrigger(
        final CountersReader counters,
        final int clusterId,
        final long basePosition,
        final LongSupplier lastSnapshotLogPosition,
        final long logBytes)
    {
        if (logBytes <= 0)
        {
            throw new IllegalArgumentException(LOG_BYTES_PROP_NAME + " must be above 0 to trigger, was " + logBytes);
        }
        this.counters = counters;
        this.clusterId = clusterId;
        this.basePosition = basePosition;
        this.lastSnapshotLogPosition = lastSnapshotLogPosition;
        this.logBytes = logBytes;
    }

    /**
     * Start a trigger for a running member on a daemon thread that checks every {@code checkIntervalNs}.
     *
     * @param aeronDirectoryName      of the member's media driver.
     * @param clusterDir              of the member's consensus module (its recording log names the last snapshot).
     * @param clusterId               of the member's consensus module.
     * @param lastSnapshotLogPosition log position of the latest snapshot the member took, or -1.
     * @param logBytes                growth of the commit position that asks for a snapshot; above 0.
     * @param checkIntervalNs         between checks.
     * @param errorHandler            for errors on the trigger's thread.
     * @return the running trigger; close it before the consensus module.
     */
    public static SnapshotTrigger launch(
        final String aeronDirectoryName,
        final File clusterDir,
        final int clusterId,
        final LongSupplier lastSnapshotLogPosition,
        final long logBytes,
        final long checkIntervalNs,
        final org.agrona.ErrorHandler errorHandler)
    {
        long basePosition = 0;
        try (RecordingLog recordingLog = new RecordingLog(clusterDir, false))
        {
            final RecordingLog.Entry latest = recordingLog.getLatestSnapshot(ConsensusModule.Configuration.SERVICE_ID);
            if (null != latest)
            {
                basePosition = latest.logPosition;
            }
        }

        final CountersReader counters = ClusterControl.mapCounters(
            new File(aeronDirectoryName, CncFileDescriptor.CNC_FILE));
        final SnapshotTrigger trigger = new SnapshotTrigger(
            counters, clusterId, basePosition, lastSnapshotLogPosition, logBytes);
        trigger.runner = new AgentRunner(
            new SleepingIdleStrategy(checkIntervalNs), errorHandler, null, trigger);
        AgentRunner.startOnThread(trigger.runner, (runnable) ->
        {
            final Thread thread = new Thread(runnable);
            thread.setDaemon(true);
            return thread;
        });
        return trigger;
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        if (null == controlToggle)
        {
            commitPositionId = ClusterCounters.find(
                counters, ConsensusModule.Configuration.COMMIT_POSITION_TYPE_ID, clusterId);
            controlToggle = ClusterControl.findControlToggle(counters, clusterId);
            if (Aeron.NULL_VALUE == commitPositionId || null == controlToggle)
            {
                controlToggle = null;
                return 0;
            }
        }

        final long base = Math.max(basePosition, lastSnapshotLogPosition.getAsLong());
        final long commitPosition = counters.getCounterValue(commitPositionId);
        if (commitPosition - base >= logBytes && ClusterControl.ToggleState.SNAPSHOT.toggle(controlToggle))
        {
            basePosition = commitPosition;
            triggerCount++;
            return 1;
        }

        return 0;
    }

    /**
     * How many snapshots this trigger asked for.
     *
     * @return the count.
     */
    public long triggerCount()
    {
        return triggerCount;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-snapshot-trigger";
    }

    /**
     * Stop the thread and unmap the counters.
     */
    public void close()
    {
        if (null != runner)
        {
            runner.close();
            IoUtil.unmap(counters.valuesBuffer().byteBuffer());
        }
    }
}
