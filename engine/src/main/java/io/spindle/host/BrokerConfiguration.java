/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import io.aeron.driver.Configuration;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.LogBufferDescriptor;
import io.aeron.protocol.DataHeaderFlyweight;
import io.spindle.broker.BrokerStateMachine;
import io.spindle.codecs.Transport;
import io.spindle.config.ConfigProperty;
import io.spindle.config.ConfigValues;
import io.spindle.driver.SchedulerSlice;
import io.spindle.log.StorageConfiguration;
import io.spindle.monitor.SpindleMarkFile;

/**
 * The standalone broker's system properties, names and defaults in one place: {@link StandaloneBroker.Context}
 * takes its defaults from them and {@link StandaloneBroker.Context#conclude()} validates the result. Topic defaults
 * ({@code spindle.log.*}) are {@link io.spindle.log.LogConfig}'s, storage-wide ones
 * {@link io.spindle.log.StorageConfiguration}'s.
 */
public final class BrokerConfiguration
{
    /**
     * Where partition logs and the metadata file live.
     */
    public static final ConfigProperty DATA_DIR = ConfigProperty.text("spindle.data.dir", "data");

    /**
     * Directory of an external media driver; unset starts an embedded one.
     */
    public static final ConfigProperty AERON_DIR = ConfigProperty.text("spindle.aeron.dir", null);

    /**
     * Directory of the embedded media driver; unset is Aeron's default directory.
     */
    public static final ConfigProperty EMBEDDED_DRIVER_DIR = ConfigProperty.text("spindle.embedded.driver.dir", null)
        .derivedDefault();

    /**
     * Address the UDP listener binds.
     */
    public static final ConfigProperty LISTEN_HOST = ConfigProperty.text("spindle.listen.host", Transport.DEFAULT_HOST);

    /**
     * Port the UDP listener binds, 0 for a free one.
     */
    public static final ConfigProperty LISTEN_PORT = ConfigProperty.integer(
        "spindle.listen.port", Transport.DEFAULT_PORT);

    /**
     * Whether the broker listens on UDP at all.
     */
    public static final ConfigProperty UDP_ENABLED = ConfigProperty.bool("spindle.udp.enabled", true);

    /**
     * The broker's node id.
     */
    public static final ConfigProperty NODE_ID = ConfigProperty.integer("spindle.node.id", 0);

    /**
     * How the broker's agents share threads.
     */
    public static final ConfigProperty THREADING_MODE = ConfigProperty.choice(
        "spindle.broker.threading.mode", StandaloneBroker.BrokerThreadingMode.SHARED);

    /**
     * Idle strategy of the broker's agents, in {@link IdleStrategies}' forms.
     */
    public static final ConfigProperty BROKER_IDLE_STRATEGY = ConfigProperty.text(
        "spindle.broker.idle.strategy", IdleStrategies.BROKER_DEFAULT);

    /**
     * Threading mode of the embedded media driver.
     */
    public static final ConfigProperty DRIVER_THREADING_MODE = ConfigProperty.choice(
        "spindle.driver.threading.mode", ThreadingMode.SHARED);

    /**
     * Idle strategy of the embedded media driver's threads.
     */
    public static final ConfigProperty DRIVER_IDLE_STRATEGY = ConfigProperty.text(
        "spindle.driver.idle.strategy", "backoff");

    /**
     * Scheduler slice asked for by the threads a record waits on (the broker's agents, the embedded driver's
     * threads): 0 keeps the kernel's default; see {@link SchedulerSlice}.
     */
    public static final ConfigProperty SCHEDULER_SLICE = SchedulerSlice.PROPERTY;

    /**
     * Term length of the embedded driver's IPC publications.
     */
    public static final ConfigProperty IPC_TERM_LENGTH = ConfigProperty.size(
        "spindle.ipc.term.length", 16 * 1024 * 1024);

    /**
     * Largest frame of the embedded driver's IPC publications, at most 1/8 of {@link #IPC_TERM_LENGTH} (the largest
     * message of a term; a larger value is lowered to it): a message up to it is written, read and handed to its
     * handler whole, a longer one split into frames of it and copied together again by the reader. Aeron's default
     * (1408, a network packet) splits a producer's 16 KiB batch into twelve frames that the broker copies together,
     * and the broker's pushes to consumers the same way; IPC has no packets, so the default is the largest Aeron
     * accepts.
     */
    public static final ConfigProperty IPC_MTU_LENGTH = ConfigProperty.size(
        "spindle.ipc.mtu.length", Configuration.MAX_UDP_PAYLOAD_LENGTH);

    /**
     * Term length of the embedded driver's UDP publications.
     */
    public static final ConfigProperty UDP_TERM_LENGTH = ConfigProperty.size(
        "spindle.udp.term.length", 16 * 1024 * 1024);

    /**
     * A client session silent this long is closed, in nanoseconds.
     */
    public static final ConfigProperty SESSION_TIMEOUT = ConfigProperty.duration(
        "spindle.session.timeout", TimeUnit.NANOSECONDS, TimeUnit.SECONDS.toNanos(10));

    /**
     * Shortest session timeout a group member may ask for.
     */
    public static final ConfigProperty GROUP_MIN_SESSION_TIMEOUT = ConfigProperty.duration(
        "spindle.group.min.session.timeout.ms", TimeUnit.MILLISECONDS,
        BrokerStateMachine.DEFAULT_MIN_SESSION_TIMEOUT_MS);

    /**
     * Longest session timeout a group member may ask for.
     */
    public static final ConfigProperty GROUP_MAX_SESSION_TIMEOUT = ConfigProperty.duration(
        "spindle.group.max.session.timeout.ms", TimeUnit.MILLISECONDS,
        BrokerStateMachine.DEFAULT_MAX_SESSION_TIMEOUT_MS);

    /**
     * Most bytes in one streaming push.
     */
    public static final ConfigProperty FETCH_MAX_PUSH_BYTES = ConfigProperty.size(
        "spindle.fetch.max.push.bytes", 64 * 1024);

    /**
     * How often the stage latency histograms are published, in milliseconds.
     */
    public static final ConfigProperty LATENCY_INTERVAL = ConfigProperty.duration(
        "spindle.latency.interval", TimeUnit.MILLISECONDS, 1000);

    /**
     * An HdrHistogram interval log every latency interval is appended to (none by default).
     */
    public static final ConfigProperty LATENCY_LOG = ConfigProperty.text("spindle.latency.log", null);

    /**
     * The HdrHistogram interval log a broker or a cluster member appends every latency interval to.
     *
     * @return {@link #LATENCY_LOG}'s file, or null when unset.
     */
    public static Path latencyLog()
    {
        final String file = LATENCY_LOG.text();
        return null == file ? null : Paths.get(file);
    }

    /**
     * Most answers a standalone broker holds waiting for a {@code spindle.meta} write: beyond it, requests whose answers
     * would wait too are refused unapplied with REQUEST_TIMED_OUT (a stalled disk must not grow the broker's memory).
     */
    public static final ConfigProperty METADATA_MAX_HELD_ANSWERS = ConfigProperty.integer(
        "spindle.metadata.max.held.answers", 10_000);

    /**
     * How many partitions get live counters.
     */
    public static final ConfigProperty STAT_MAX_PARTITIONS = ConfigProperty.integer(
        "spindle.stat.max.partitions", 1024);

    /**
     * Size of the error log in the mark file.
     */
    public static final ConfigProperty ERROR_BUFFER_LENGTH = ConfigProperty.size(
        "spindle.error.buffer.length", SpindleMarkFile.ERROR_BUFFER_LENGTH_DEFAULT);

    private BrokerConfiguration()
    {
    }

    /**
     * Check every value of a broker's context, and the storage properties its logs will read, naming the property
     * of the first bad one and why. Values set through the context are named by their property too.
     *
     * @param dataDir                  {@link #DATA_DIR}.
     * @param listenHost               {@link #LISTEN_HOST}.
     * @param listenPort               {@link #LISTEN_PORT}.
     * @param nodeId                   {@link #NODE_ID}.
     * @param brokerIdleStrategy       {@link #BROKER_IDLE_STRATEGY}.
     * @param driverIdleStrategy       {@link #DRIVER_IDLE_STRATEGY}.
     * @param ipcTermLength            {@link #IPC_TERM_LENGTH}.
     * @param ipcMtuLength             {@link #IPC_MTU_LENGTH}.
     * @param udpTermLength            {@link #UDP_TERM_LENGTH}.
     * @param sessionTimeoutNs         {@link #SESSION_TIMEOUT}.
     * @param groupMinSessionTimeoutMs {@link #GROUP_MIN_SESSION_TIMEOUT}.
     * @param groupMaxSessionTimeoutMs {@link #GROUP_MAX_SESSION_TIMEOUT}.
     * @throws IllegalArgumentException {@code invalid NAME=VALUE: reason} for the first bad value.
     */
    static void validate(
        final Path dataDir,
        final String listenHost,
        final int listenPort,
        final int nodeId,
        final String brokerIdleStrategy,
        final String driverIdleStrategy,
        final int ipcTermLength,
        final int ipcMtuLength,
        final int udpTermLength,
        final long sessionTimeoutNs,
        final int groupMinSessionTimeoutMs,
        final int groupMaxSessionTimeoutMs)
    {
        if (null == dataDir || dataDir.toString().isEmpty())
        {
            throw ConfigValues.invalid(DATA_DIR.name(), dataDir, "a data directory must be given");
        }
        if (null == listenHost || listenHost.isBlank())
        {
            throw ConfigValues.invalid(LISTEN_HOST.name(), listenHost, "an address or host name must be given");
        }
        if (listenPort < 0 || listenPort > 65535)
        {
            throw ConfigValues.invalid(LISTEN_PORT.name(), listenPort, "must be 0 (a free port) to 65535");
        }
        if (nodeId < 0)
        {
            throw ConfigValues.invalid(NODE_ID.name(), nodeId, "must be 0 or more");
        }
        idleStrategy(BROKER_IDLE_STRATEGY, brokerIdleStrategy);
        idleStrategy(DRIVER_IDLE_STRATEGY, driverIdleStrategy);
        termLength(IPC_TERM_LENGTH, ipcTermLength);
        if (ipcMtuLength <= DataHeaderFlyweight.HEADER_LENGTH || ipcMtuLength > Configuration.MAX_UDP_PAYLOAD_LENGTH ||
            0 != (ipcMtuLength & (FrameDescriptor.FRAME_ALIGNMENT - 1)))
        {
            throw ConfigValues.invalid(IPC_MTU_LENGTH.name(), ipcMtuLength, "an MTU must be a multiple of " +
                FrameDescriptor.FRAME_ALIGNMENT + " from " +
                (DataHeaderFlyweight.HEADER_LENGTH + FrameDescriptor.FRAME_ALIGNMENT) + " to " +
                Configuration.MAX_UDP_PAYLOAD_LENGTH);
        }
        termLength(UDP_TERM_LENGTH, udpTermLength);
        if (sessionTimeoutNs < TimeUnit.MILLISECONDS.toNanos(1))
        {
            throw ConfigValues.invalid(SESSION_TIMEOUT.name(), sessionTimeoutNs + "ns", "must be at least 1ms");
        }
        if (groupMinSessionTimeoutMs < 1)
        {
            throw ConfigValues.invalid(GROUP_MIN_SESSION_TIMEOUT.name(), groupMinSessionTimeoutMs,
                "must be at least 1ms");
        }
        if (groupMaxSessionTimeoutMs < groupMinSessionTimeoutMs)
        {
            throw ConfigValues.invalid(GROUP_MAX_SESSION_TIMEOUT.name(), groupMaxSessionTimeoutMs,
                "must be at least " + GROUP_MIN_SESSION_TIMEOUT.name() + "=" + groupMinSessionTimeoutMs);
        }
        fetchMaxPushBytes();
        StorageConfiguration.validate();
    }

    /**
     * The IPC MTU a driver runs with: the one asked for ({@link #IPC_MTU_LENGTH}), at most the largest message of an
     * IPC term of the given length, which Aeron requires.
     *
     * @param mtuLength  the MTU asked for, validated.
     * @param termLength the driver's IPC term length, validated.
     * @return the MTU.
     */
    public static int effectiveIpcMtuLength(final int mtuLength, final int termLength)
    {
        return Math.min(mtuLength, FrameDescriptor.computeMaxMessageLength(termLength));
    }

    /**
     * The most bytes of one streaming push, validated.
     *
     * @return the bytes, 1 to 2g - 1.
     * @throws IllegalArgumentException naming the property if it is not such a size.
     */
    static int fetchMaxPushBytes()
    {
        final int bytes = FETCH_MAX_PUSH_BYTES.intSize();
        if (bytes < 1)
        {
            throw ConfigValues.invalid(FETCH_MAX_PUSH_BYTES.name(), bytes, "must be at least 1");
        }
        return bytes;
    }

    private static void idleStrategy(final ConfigProperty property, final String name)
    {
        try
        {
            // A misspelt strategy fails here, with the reason, rather than on the agent's thread.
            IdleStrategies.create(name);
        }
        catch (final RuntimeException ex)
        {
            throw ConfigValues.invalid(property.name(), name, null != ex.getMessage() ? ex.getMessage() :
                "expected backoff, backoff:SPINS:YIELDS:MIN_PARK:MAX_PARK, sleep-ns, yield, spin, noop or a class");
        }
    }

    private static void termLength(final ConfigProperty property, final int length)
    {
        if (length < LogBufferDescriptor.TERM_MIN_LENGTH || length > LogBufferDescriptor.TERM_MAX_LENGTH ||
            Integer.bitCount(length) != 1)
        {
            throw ConfigValues.invalid(property.name(), length, "a term length must be a power of two from 64k to 1g");
        }
    }
}
