/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import io.spindle.config.ConfigProperty;
import io.spindle.config.ConfigValues;

/**
 * A cluster member's system properties, names and defaults in one place: {@link ClusterNode.Context} takes its
 * defaults from them and {@link ClusterNode.Context#conclude()} validates the result.
 */
public final class NodeConfiguration
{
    /**
     * Followers elect a new leader after this long without hearing from it, in nanoseconds.
     */
    public static final ConfigProperty LEADER_HEARTBEAT_TIMEOUT = ConfigProperty.duration(
        "spindle.node.leader.heartbeat.timeout", TimeUnit.NANOSECONDS, TimeUnit.SECONDS.toNanos(10));

    /**
     * A client session silent this long is closed, in nanoseconds.
     */
    public static final ConfigProperty SESSION_TIMEOUT = ConfigProperty.duration(
        "spindle.node.session.timeout", TimeUnit.NANOSECONDS, TimeUnit.SECONDS.toNanos(10));

    /**
     * Committed log bytes since the last snapshot after which the leader takes one; 0 disables.
     */
    public static final ConfigProperty SNAPSHOT_LOG_BYTES = ConfigProperty.size(
        SnapshotTrigger.LOG_BYTES_PROP_NAME, SnapshotTrigger.LOG_BYTES_DEFAULT);

    /**
     * Whether members purge their Raft log behind the snapshots every member holds.
     */
    public static final ConfigProperty LOG_PURGE = ConfigProperty.bool(LogPurger.PURGE_PROP_NAME, true);

    /**
     * A file holding the secret the members share (surrounding whitespace ignored, 16 to 1024 bytes): members connect
     * to the cluster's ingress with it and only their reports ({@code SegmentArchived}, {@code MemberSnapshotHeld})
     * are applied; unset, any client's are. A file rather than the secret itself, so that it shows in no command line.
     */
    public static final ConfigProperty SECRET_FILE = ConfigProperty.text("spindle.node.secret.file", null);

    private NodeConfiguration()
    {
    }

    /**
     * The file {@link #SECRET_FILE} names.
     *
     * @return the file, or null when unset.
     */
    public static Path secretFile()
    {
        final String file = SECRET_FILE.text();
        return null == file ? null : Paths.get(file);
    }

    /**
     * Check the values a member's context takes from these properties, naming the property of the first bad one.
     *
     * @param leaderHeartbeatTimeoutNs {@link #LEADER_HEARTBEAT_TIMEOUT}.
     * @param sessionTimeoutNs         {@link #SESSION_TIMEOUT}.
     * @param snapshotLogBytes         {@link #SNAPSHOT_LOG_BYTES}.
     * @throws IllegalArgumentException {@code invalid NAME=VALUE: reason} for the first bad value.
     */
    static void validate(final long leaderHeartbeatTimeoutNs, final long sessionTimeoutNs, final long snapshotLogBytes)
    {
        if (leaderHeartbeatTimeoutNs < TimeUnit.MILLISECONDS.toNanos(10))
        {
            throw ConfigValues.invalid(LEADER_HEARTBEAT_TIMEOUT.name(), leaderHeartbeatTimeoutNs + "ns",
                "must be at least 10ms");
        }
        if (sessionTimeoutNs < TimeUnit.MILLISECONDS.toNanos(1))
        {
            throw ConfigValues.invalid(SESSION_TIMEOUT.name(), sessionTimeoutNs + "ns", "must be at least 1ms");
        }
        if (snapshotLogBytes < 0)
        {
            throw ConfigValues.invalid(SNAPSHOT_LOG_BYTES.name(), snapshotLogBytes, "must be 0 (off) or more");
        }
    }
}
