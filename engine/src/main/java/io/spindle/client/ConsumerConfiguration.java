/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.config.ConfigProperty;

/**
 * A consumer's system properties, names and defaults in one place: {@link Consumer.Context} takes its defaults
 * from them (and from {@link ClientConfiguration}'s) and {@link Consumer.Context#conclude()} validates the result.
 */
public final class ConsumerConfiguration
{
    /**
     * Where a partition without a valid position starts.
     */
    public static final ConfigProperty AUTO_OFFSET_RESET = ConfigProperty.choice(
        "spindle.consumer.auto.offset.reset", Consumer.OffsetReset.LATEST);

    /**
     * Streaming fetch, else long poll.
     */
    public static final ConfigProperty STREAMING = ConfigProperty.bool("spindle.consumer.streaming", true);

    /**
     * Most bytes in one fetch response.
     */
    public static final ConfigProperty FETCH_MAX_BYTES = ConfigProperty.size(
        "spindle.consumer.fetch.max.bytes", 1024 * 1024);

    /**
     * Most bytes of one partition in one fetch response.
     */
    public static final ConfigProperty PARTITION_MAX_BYTES = ConfigProperty.size(
        "spindle.consumer.partition.max.bytes", 1024 * 1024);

    /**
     * Long poll: how long the broker may hold a fetch.
     */
    public static final ConfigProperty FETCH_MAX_WAIT = ConfigProperty.duration(
        "spindle.consumer.fetch.max.wait.ms", TimeUnit.MILLISECONDS, 500);

    /**
     * Long poll: bytes the broker waits for before answering.
     */
    public static final ConfigProperty FETCH_MIN_BYTES = ConfigProperty.size("spindle.consumer.fetch.min.bytes", 1);

    /**
     * Streaming: bytes the broker may push ahead of the application.
     */
    public static final ConfigProperty CREDIT_BYTES = ConfigProperty.size(
        "spindle.consumer.credit.bytes", 4L * 1024 * 1024);

    /**
     * The consumer group; unset: none.
     */
    public static final ConfigProperty GROUP_ID = ConfigProperty.text("spindle.consumer.group.id", null);

    /**
     * Static membership instance id; unset: a dynamic member.
     */
    public static final ConfigProperty GROUP_INSTANCE_ID = ConfigProperty.text(
        "spindle.consumer.group.instance.id", null);

    /**
     * The coordinator removes a member silent this long.
     */
    public static final ConfigProperty SESSION_TIMEOUT = ConfigProperty.duration(
        "spindle.consumer.session.timeout.ms", TimeUnit.MILLISECONDS, 45_000);

    /**
     * Heartbeat interval, below the session timeout.
     */
    public static final ConfigProperty HEARTBEAT_INTERVAL = ConfigProperty.duration(
        "spindle.consumer.heartbeat.interval.ms", TimeUnit.MILLISECONDS, 3_000);

    /**
     * Longest gap between polls before the member leaves the group.
     */
    public static final ConfigProperty MAX_POLL_INTERVAL = ConfigProperty.duration(
        "spindle.consumer.max.poll.interval.ms", TimeUnit.MILLISECONDS, 300_000);

    /**
     * How long the coordinator waits for members to rejoin; -1: the max poll interval.
     */
    public static final ConfigProperty REBALANCE_TIMEOUT = ConfigProperty.duration(
        "spindle.consumer.rebalance.timeout.ms", TimeUnit.MILLISECONDS, -1);

    /**
     * The assignors offered, comma-separated, most preferred first.
     */
    public static final ConfigProperty PARTITION_ASSIGNMENT_STRATEGY = ConfigProperty.text(
        "spindle.consumer.partition.assignment.strategy", CooperativeStickyAssignor.NAME);

    /**
     * Whether positions are committed from poll.
     */
    public static final ConfigProperty ENABLE_AUTO_COMMIT = ConfigProperty.bool(
        "spindle.consumer.enable.auto.commit", true);

    /**
     * Interval of automatic commits.
     */
    public static final ConfigProperty AUTO_COMMIT_INTERVAL = ConfigProperty.duration(
        "spindle.consumer.auto.commit.interval.ms", TimeUnit.MILLISECONDS, 5_000);

    /**
     * How often the group leader checks subscribed topics for new partitions or topics.
     */
    public static final ConfigProperty METADATA_MAX_AGE = ConfigProperty.duration(
        "spindle.consumer.metadata.max.age.ms", TimeUnit.MILLISECONDS, 5_000);

    /**
     * Which records a consumer reads.
     */
    public static final ConfigProperty ISOLATION_LEVEL = ConfigProperty.choice(
        "spindle.consumer.isolation.level", IsolationLevel.READ_UNCOMMITTED,
        new IsolationLevel[]{ IsolationLevel.READ_UNCOMMITTED, IsolationLevel.READ_COMMITTED });

    /**
     * The assignor names a consumer offers.
     */
    static final List<String> ASSIGNORS = List.of(
        RangeAssignor.NAME, RoundRobinAssignor.NAME, CooperativeStickyAssignor.NAME);

    private ConsumerConfiguration()
    {
    }

    /**
     * The assignors from {@link #PARTITION_ASSIGNMENT_STRATEGY}, checked.
     *
     * @return the names, most preferred first.
     * @throws IllegalArgumentException naming the property if a name is not an assignor's.
     */
    static List<String> assignmentStrategy()
    {
        final List<String> names = List.of(PARTITION_ASSIGNMENT_STRATEGY.text().trim().split("\\s*,\\s*"));
        checkAssignors(names);
        return names;
    }

    /**
     * Check assignor names.
     *
     * @param names the names.
     * @throws IllegalArgumentException naming {@link #PARTITION_ASSIGNMENT_STRATEGY} if one is not an assignor's.
     */
    static void checkAssignors(final List<String> names)
    {
        if (names.isEmpty())
        {
            throw ClientConfiguration.invalid(PARTITION_ASSIGNMENT_STRATEGY, "", "expected at least one of " +
                String.join(", ", ASSIGNORS));
        }
        for (final String name : names)
        {
            if (!ASSIGNORS.contains(name))
            {
                throw ClientConfiguration.invalid(PARTITION_ASSIGNMENT_STRATEGY, String.join(",", names),
                    "unknown assignor '" + name + "', expected a comma-separated list of " +
                    String.join(", ", ASSIGNORS));
            }
        }
    }
}
