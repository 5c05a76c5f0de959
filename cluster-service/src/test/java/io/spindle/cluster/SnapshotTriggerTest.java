package io.spindle.cluster;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.cluster.ClusterControl;
import io.aeron.cluster.ConsensusModule;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The growth trigger's decisions against real counters laid out as the consensus module allocates them: a snapshot
 * is asked for once the commit position is the threshold past the last snapshot, never while one is pending, never
 * on a member whose toggle is inactive (a follower), and counted from the snapshot the member started from.
 */
class SnapshotTriggerTest
{
    private static final int CLUSTER_ID = 3;
    private static final long LOG_BYTES = 1_000;

    private final CountersManager counters = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(16 * CountersManager.METADATA_LENGTH)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(16 * CountersManager.COUNTER_LENGTH)));
    private final AtomicLong lastSnapshotLogPosition = new AtomicLong(-1);

    @Test
    void asksOnceTheCommitPositionIsTheThresholdPastTheLastSnapshot()
    {
        final SnapshotTrigger trigger = new SnapshotTrigger(
            counters, CLUSTER_ID, 0, lastSnapshotLogPosition::get, LOG_BYTES);
        assertEquals(0, trigger.doWork(), "no consensus module counters yet");

        // Another cluster's counters on the same driver come first: they must not be the ones read.
        counter(ConsensusModule.Configuration.COMMIT_POSITION_TYPE_ID, CLUSTER_ID + 1).set(1_000_000);
        final AtomicCounter otherToggle = counter(ClusterControl.CONTROL_TOGGLE_TYPE_ID, CLUSTER_ID + 1);
        ClusterControl.ToggleState.activate(otherToggle);
        final AtomicCounter commit = counter(ConsensusModule.Configuration.COMMIT_POSITION_TYPE_ID, CLUSTER_ID);
        final AtomicCounter toggle = counter(ClusterControl.CONTROL_TOGGLE_TYPE_ID, CLUSTER_ID);
        ClusterControl.ToggleState.activate(toggle);

        commit.set(LOG_BYTES - 1);
        assertEquals(0, trigger.doWork());
        assertEquals(ClusterControl.ToggleState.NEUTRAL, ClusterControl.ToggleState.get(toggle));

        commit.set(LOG_BYTES);
        assertEquals(1, trigger.doWork());
        assertEquals(ClusterControl.ToggleState.SNAPSHOT, ClusterControl.ToggleState.get(toggle));
        assertEquals(ClusterControl.ToggleState.NEUTRAL, ClusterControl.ToggleState.get(otherToggle));
        assertEquals(1, trigger.triggerCount());

        commit.set(5 * LOG_BYTES);
        assertEquals(0, trigger.doWork(), "asked again while the snapshot is pending");

        // The snapshot is taken just after the action entry, and the consensus module frees the toggle.
        lastSnapshotLogPosition.set(LOG_BYTES + 64);
        ClusterControl.ToggleState.reset(toggle);
        commit.set(2 * LOG_BYTES + 63);
        assertEquals(0, trigger.doWork());
        commit.set(2 * LOG_BYTES + 64);
        assertEquals(1, trigger.doWork());
        assertEquals(2, trigger.triggerCount());
    }

    @Test
    void aFollowersTriggerNeverAsks()
    {
        final AtomicCounter commit = counter(ConsensusModule.Configuration.COMMIT_POSITION_TYPE_ID, CLUSTER_ID);
        final AtomicCounter toggle = counter(ClusterControl.CONTROL_TOGGLE_TYPE_ID, CLUSTER_ID);
        ClusterControl.ToggleState.deactivate(toggle);
        final SnapshotTrigger trigger = new SnapshotTrigger(
            counters, CLUSTER_ID, 0, lastSnapshotLogPosition::get, LOG_BYTES);

        commit.set(100 * LOG_BYTES);
        assertEquals(0, trigger.doWork());
        assertEquals(ClusterControl.ToggleState.INACTIVE, ClusterControl.ToggleState.get(toggle));
        assertEquals(0, trigger.triggerCount());
    }

    @Test
    void countsFromTheSnapshotTheMemberStartedFrom()
    {
        final AtomicCounter commit = counter(ConsensusModule.Configuration.COMMIT_POSITION_TYPE_ID, CLUSTER_ID);
        final AtomicCounter toggle = counter(ClusterControl.CONTROL_TOGGLE_TYPE_ID, CLUSTER_ID);
        ClusterControl.ToggleState.activate(toggle);
        final SnapshotTrigger trigger = new SnapshotTrigger(
            counters, CLUSTER_ID, 10 * LOG_BYTES, lastSnapshotLogPosition::get, LOG_BYTES);

        commit.set(11 * LOG_BYTES - 1);
        assertEquals(0, trigger.doWork());
        commit.set(11 * LOG_BYTES);
        assertEquals(1, trigger.doWork());
    }

    @Test
    void aThresholdOfZeroIsRefused()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new SnapshotTrigger(counters, CLUSTER_ID, 0, lastSnapshotLogPosition::get, 0));
    }

    private AtomicCounter counter(final int typeId, final int clusterId)
    {
        return counters.newCounter("type " + typeId, typeId, (key) -> key.putInt(0, clusterId));
    }
}
