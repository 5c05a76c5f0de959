/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.concurrent.TimeUnit;

import io.aeron.driver.ThreadingMode;
import io.spindle.config.ConfigValues;
import io.spindle.driver.SchedulerSlice;
import io.spindle.host.IdleStrategies;
import io.spindle.host.StandaloneBroker;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Option;

/**
 * Where the measured system runs and how its threads wait: transport, embedded or external broker, threading mode and
 * idle strategies. Shared by every perf command so a Spindle figure and its baseline are taken the same way.
 */
final class EnvironmentOptions
{
    /**
     * The transport between clients and broker.
     */
    enum Transport
    {
        /**
         * Shared memory through one media driver.
         */
        IPC,

        /**
         * UDP over loopback between the broker's media driver and the clients' own.
         */
        UDP
    }

    /**
     * How the broker's agents and the media drivers share threads.
     */
    enum Threading
    {
        /**
         * One thread for the broker's agents, one for each media driver: the default profile.
         */
        SHARED,

        /**
         * A thread per broker agent and per media driver role: the low-latency profile, with spinning idle
         * strategies, on a machine with cores to spare.
         */
        DEDICATED,

        /**
         * Spindle only: the embedded broker's media driver has no thread and runs on the broker's one thread
         * ({@code spindle.driver.threading.mode=INVOKER}); other drivers (the baseline's, UDP clients') stay shared.
         */
        INVOKER
    }

    @Option(names = "--transport", description = "ipc or udp (default: ipc, or what --bootstrap implies).")
    Transport transport;

    @Option(names = "--bootstrap", description = "Measure an already running broker: 'ipc' (with --aeron-dir when it " +
        "is not at Aeron's default directory) or HOST:PORT. Default: start an embedded broker in a temporary " +
        "directory.")
    String bootstrap;

    @Option(names = "--aeron-dir", description = "With --bootstrap ipc: the running broker's media driver directory.")
    String aeronDir;

    /**
     * Most members {@code --cluster} starts.
     */
    static final int MAX_CLUSTER_MEMBERS = 9;

    @Option(names = "--cluster", defaultValue = "0", description = "Measure N members of an Aeron Cluster embedded " +
        "in this process on loopback instead of a standalone broker: Spindle's members (ClusterNode) for latency and " +
        "throughput, the same members with an echo service and nothing of Spindle for baseline. Members and clients " +
        "talk UDP; every agent of a member idles on --member-idle. 0 (default): a standalone broker.")
    int cluster;

    @Option(names = "--threading", defaultValue = "shared",
        description = "shared or dedicated: broker agents and media driver threads (default: ${DEFAULT-VALUE}).")
    Threading threading;

    @Option(names = "--broker-idle", defaultValue = IdleStrategies.BROKER_DEFAULT, description = "Idle strategy of " +
        "the broker's agents (the baseline's relay): backoff, backoff:SPINS:YIELDS:MIN_PARK:MAX_PARK, sleep-ns, " +
        "yield, spin, noop or a class name (default: the broker's, ${DEFAULT-VALUE}).")
    String brokerIdle;

    /**
     * What {@code io.spindle.cluster.ClusterNode} (and so {@code spindle node}) idles every agent of a member with
     * unless told otherwise, as a configuration string. Keep in step with ClusterNode's default.
     */
    static final String MEMBER_DEFAULT_IDLE = "backoff:10:20:1us:1ms";

    @Option(names = "--member-idle", defaultValue = MEMBER_DEFAULT_IDLE, description = "With --cluster: idle " +
        "strategy of every agent of every member (driver, archive, consensus module, service), Spindle's and the " +
        "echo baseline's alike (default: the member's own, ${DEFAULT-VALUE}).")
    String memberIdle;

    @Option(names = "--driver-idle", defaultValue = "backoff",
        description = "Idle strategy of the media drivers' threads (default: ${DEFAULT-VALUE}).")
    String driverIdle;

    /**
     * What {@code ClientContext} idles with unless told otherwise, as a configuration string.
     */
    static final String CLIENT_DEFAULT_IDLE = "backoff:10:20:1us:100us";

    @Option(names = "--client-idle", defaultValue = CLIENT_DEFAULT_IDLE,
        description = "Idle strategy of the consuming thread (the baseline's subscriber) and of blocking client " +
            "calls (default: the clients' own, ${DEFAULT-VALUE}).")
    String clientIdle;

    @Option(names = "--scheduler-slice", defaultValue = "${sys:spindle.scheduler.slice:-100us}",
        description = "Scheduler slice (sched_setattr, Linux 6.12 and later) the threads a record waits on ask " +
        "for, in both systems alike: the harness's publisher and receiver, the media drivers' threads, the broker's " +
        "agents and the baseline's relay; 100us to 100ms, or 0 for the kernel's default (default: the broker's, " +
        "spindle.scheduler.slice, ${DEFAULT-VALUE}).")
    String schedulerSlice;

    @Option(names = "--beside-compaction", defaultValue = "0", description = "Spindle side only: also write a " +
        "compacted topic (1,000 keys, 100 B values, 1 MiB segments) at this many records/s from a producer thread of " +
        "its own, so the broker's log cleaner runs beside the measured stream (default: 0, none).")
    long besideCompaction;

    @Option(names = "--beside-archiving", defaultValue = "0", description = "Spindle side only, embedded broker: " +
        "also write a topic with remote.storage.enable (100 B values, 256 KiB segments, local.retention.bytes 1) at " +
        "this many records/s from a producer thread of its own, so the broker's archiver copies sealed segments to " +
        "its archive tier (embedded, or --archive) and local retention deletes them beside the measured stream " +
        "(default: 0, none).")
    long besideArchiving;

    @Option(names = "--archive", description = "Spindle side, embedded broker with tiered storage " +
        "(--beside-archiving, --from-archive): the archive tier is the standalone archive at HOST:PORT (`spindle " +
        "archive`), as in production, instead of an archive embedded in the broker's process (default: embedded).")
    String archive;

    /**
     * Whether the beside loads write their plain twins: set for the baseline rounds of {@code --against-spindle}.
     */
    boolean plainBesideLoads;

    /**
     * Whether the embedded broker runs tiered storage (an embedded archive): set by the commands that need it.
     */
    boolean tieredStorage;

    @Option(names = "--beside-commits", defaultValue = "0", description = "Spindle side only: also commit a " +
        "consumer group's offset this many times a second from a thread of its own (one commit in flight), so the " +
        "broker persists its metadata beside the measured stream (default: 0, none).")
    long besideCommits;

    @Option(names = "--stages", description = "Spindle side, embedded standalone broker: stamp every record as the " +
        "publisher hands it over, the broker appends it and pushes it, and the consumer receives it, and report each " +
        "hop's percentiles and where the records slower than 1 ms spent their time (a diagnostic: it costs a few " +
        "stores per record).")
    boolean stages;

    @Option(names = "--json", description = "End with one JSON object on the last line.")
    boolean json;

    /**
     * The transport in effect: the flag, else what the bootstrap implies, else IPC.
     *
     * @return the transport.
     * @throws IllegalArgumentException when --transport contradicts --bootstrap, --stages has no embedded broker, or
     * --archive has nothing to tier.
     */
    Transport transport()
    {
        if (null != archive && !needsTieredStorage())
        {
            throw new IllegalArgumentException("--archive names the archive tier of --beside-archiving or " +
                "--from-archive: give one of them");
        }
        if (stages && (0 != cluster || null != bootstrap))
        {
            throw new IllegalArgumentException("--stages stamps records inside the embedded standalone broker: not " +
                "with --cluster or --bootstrap");
        }
        if (0 != cluster)
        {
            return clusterTransport();
        }
        if (null == bootstrap)
        {
            return null == transport ? Transport.IPC : transport;
        }
        final Transport implied = "ipc".equalsIgnoreCase(bootstrap.trim()) ? Transport.IPC : Transport.UDP;
        if (null != transport && transport != implied)
        {
            throw new IllegalArgumentException("--transport " + transport.name().toLowerCase() +
                " contradicts --bootstrap " + bootstrap);
        }
        return implied;
    }

    /**
     * Whether the measured system is an embedded cluster.
     *
     * @return true with {@code --cluster N}, N above 0.
     */
    boolean clustered()
    {
        return cluster > 0;
    }

    /**
     * What is measured, for the heading of a result: the embedded broker, the embedded cluster or the broker named.
     *
     * @return the text, e.g. {@code embedded broker} or {@code embedded 3-member cluster}.
     */
    String systemText()
    {
        if (clustered())
        {
            return "embedded " + cluster + "-member cluster";
        }
        return embedded() ? "embedded broker" : "external broker (" + bootstrap + ")";
    }

    private Transport clusterTransport()
    {
        if (cluster < 1 || cluster > MAX_CLUSTER_MEMBERS)
        {
            throw new IllegalArgumentException(
                "--cluster must be 1.." + MAX_CLUSTER_MEMBERS + " (0: standalone), was " + cluster);
        }
        if (null != bootstrap)
        {
            throw new IllegalArgumentException("--cluster starts its own members: --bootstrap does not apply");
        }
        if (Transport.IPC == transport)
        {
            throw new IllegalArgumentException(
                "--cluster: members and clients talk UDP over loopback, --transport ipc does not apply");
        }
        if (Threading.SHARED != threading)
        {
            throw new IllegalArgumentException("--cluster: members run a SHARED media driver and archive as " +
                "ClusterNode does, --threading " + threading.name().toLowerCase() + " does not apply");
        }
        return Transport.UDP;
    }

    /**
     * The slice of {@code --scheduler-slice}, checked.
     *
     * @return nanoseconds, 0 for the kernel's default.
     * @throws IllegalArgumentException when it is not a duration the kernel accepts.
     */
    long schedulerSliceNs()
    {
        final long sliceNs = ConfigValues.parseDuration("--scheduler-slice", schedulerSlice, TimeUnit.NANOSECONDS);
        SchedulerSlice.validate("--scheduler-slice", sliceNs);
        return sliceNs;
    }

    /**
     * The clients' idle strategy and the scheduler slice, for the heading of a result.
     *
     * @return e.g. {@code backoff:10:20:1us:100us, scheduler slice 100us}.
     */
    String clientIdleAndSlice()
    {
        return clientIdle + ", scheduler slice " + ("0".equals(schedulerSlice.trim()) ? "default" : schedulerSlice);
    }

    /**
     * Whether an embedded broker is started.
     *
     * @return true unless --bootstrap was given.
     */
    boolean embedded()
    {
        return null == bootstrap;
    }

    /**
     * The media driver threading mode matching {@link #threading}.
     *
     * @return SHARED or DEDICATED.
     */
    ThreadingMode driverThreadingMode()
    {
        return Threading.DEDICATED == threading ? ThreadingMode.DEDICATED :
            Threading.INVOKER == threading ? ThreadingMode.INVOKER : ThreadingMode.SHARED;
    }

    /**
     * The broker threading mode matching {@link #threading}.
     *
     * @return SHARED or DEDICATED.
     */
    StandaloneBroker.BrokerThreadingMode brokerThreadingMode()
    {
        return Threading.DEDICATED == threading ?
            StandaloneBroker.BrokerThreadingMode.DEDICATED : StandaloneBroker.BrokerThreadingMode.SHARED;
    }

    /**
     * A new idle strategy of the broker's kind (each agent needs its own instance).
     *
     * @return the strategy.
     */
    IdleStrategy newBrokerIdle()
    {
        return idleStrategy(brokerIdle);
    }

    /**
     * A new idle strategy of the cluster members' kind (each agent needs its own instance).
     *
     * @return the strategy.
     */
    IdleStrategy newMemberIdle()
    {
        return idleStrategy(memberIdle);
    }

    /**
     * The idle strategy of the measured server's agents, for headings: the members' with {@code --cluster}, else
     * the broker's.
     *
     * @return the configuration string.
     */
    String serverIdle()
    {
        return clustered() ? memberIdle : brokerIdle;
    }

    /**
     * What the measured server is called in headings.
     *
     * @return {@code members} with {@code --cluster}, else {@code broker}.
     */
    String serverLabel()
    {
        return clustered() ? "members" : "broker";
    }

    /**
     * A new idle strategy of the clients' kind.
     *
     * @return the strategy.
     */
    IdleStrategy newClientIdle()
    {
        return idleStrategy(clientIdle);
    }

    /**
     * Resolve an idle strategy name the way the broker and the media driver do.
     *
     * @param name alias or class name.
     * @return a new instance.
     */
    static IdleStrategy idleStrategy(final String name)
    {
        return IdleStrategies.create(name);
    }

    /**
     * Add the settings to a JSON object.
     *
     * @param settings the object being written.
     */
    void describe(final Json settings)
    {
        settings.field("transport", transport().name().toLowerCase())
            .field("bootstrap", embedded() ? "embedded" : bootstrap)
            .field("cluster", cluster)
            .field("threading", threading.name().toLowerCase())
            .field("broker_idle", brokerIdle)
            .field("member_idle", memberIdle)
            .field("driver_idle", driverIdle)
            .field("client_idle", clientIdle)
            .field("beside_archiving", besideArchiving)
            .field("archive", null == archive ? "embedded" : archive);
    }

    /**
     * Whether the embedded broker must run tiered storage.
     *
     * @return true for {@code --beside-archiving} or a command that reads from the archive tier.
     */
    boolean needsTieredStorage()
    {
        return tieredStorage || besideArchiving > 0;
    }

    /**
     * Whether any --beside-* load is asked for.
     *
     * @return true if one is.
     */
    boolean hasBesideLoad()
    {
        return besideCompaction > 0 || besideArchiving > 0 || besideCommits > 0;
    }

    /**
     * Run a measurement as the baseline of {@code --against-spindle}: the --beside-compaction and --beside-archiving
     * loads write their plain twins instead (the same records at the same rate, not compacted, not archived; see
     * {@link TopicLoad}), and --beside-commits commits nothing; the embedded broker keeps its tiered storage if a
     * beside load needed it, so both sides run the same broker. Then restore them.
     *
     * @param measurement what to run.
     * @param <T>         what it returns.
     * @return its result.
     * @throws Exception what it throws.
     */
    <T> T withPlainBesideLoads(final java.util.concurrent.Callable<T> measurement) throws Exception
    {
        final boolean tiered = tieredStorage;
        final long commits = besideCommits;
        tieredStorage = needsTieredStorage();
        besideCommits = 0;
        plainBesideLoads = true;
        try
        {
            return measurement.call();
        }
        finally
        {
            tieredStorage = tiered;
            besideCommits = commits;
            plainBesideLoads = false;
        }
    }
}
