/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import io.aeron.driver.MediaDriver;
import io.spindle.archive.ArchiveTier;
import io.spindle.broker.TopicTable;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.config.ConfigValues;
import io.spindle.host.StandaloneBroker;
import io.spindle.host.TieredStorage;
import io.spindle.monitor.StageLatencies;
import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;

/**
 * The Spindle side of a perf run: an embedded broker in a temporary directory (or a running one named by
 * {@code --bootstrap}), for UDP a media driver the clients share, and a fresh topic; all removed on close.
 * <p>
 * The embedded broker runs with the default profile unless the flags say otherwise; it listens on IPC and, for UDP
 * runs, on 127.0.0.1 with an ephemeral port. Its media driver lives in a unique directory deleted on start and close.
 * With {@code --cluster N} the broker is {@code N} cluster members instead ({@link SpindleCluster}), reached over UDP
 * with every member's client endpoint as the bootstrap.
 */
final class SpindleSetup implements AutoCloseable
{
    private final EnvironmentOptions env;
    private Path tempDir;
    private StandaloneBroker broker;
    private SpindleCluster cluster;
    private MediaDriver clientDriver;
    private String bootstrap;
    private String clientAeronDir;
    private io.aeron.Aeron sharedAeron;
    private String topic;
    private StageTrace trace;
    private boolean topicCreated;
    private TopicLoad compactionLoad;
    private TopicLoad archivingLoad;
    private ArchiveTier archiveTier;
    private CommitLoad commitLoad;

    private SpindleSetup(final EnvironmentOptions env)
    {
        this.env = env;
    }

    /**
     * Start (or reach) the broker and create a topic.
     *
     * @param env        where and how to run.
     * @param partitions of the topic.
     * @return the running setup.
     * @throws IOException when the temporary directory cannot be created.
     */
    static SpindleSetup start(final EnvironmentOptions env, final int partitions) throws IOException
    {
        final SpindleSetup setup = new SpindleSetup(env);
        try
        {
            setup.launch(partitions);
        }
        catch (final IOException | RuntimeException ex)
        {
            setup.close();
            throw ex;
        }
        return setup;
    }

    private void launch(final int partitions) throws IOException
    {
        final EnvironmentOptions.Transport transport = env.transport();
        if (env.needsTieredStorage() && (env.clustered() || !env.embedded()))
        {
            throw new IllegalArgumentException("--beside-archiving and --from-archive need the embedded standalone " +
                "broker and its archive tier: not with --cluster (members do not tier) or --bootstrap");
        }
        topic = "spindle-perf-" + UUID.randomUUID().toString().substring(0, 8);
        trace = env.stages ? new StageTrace(topic, partitions) : null;
        if (env.clustered())
        {
            tempDir = Files.createTempDirectory("spindle-perf-cluster-");
            cluster = SpindleCluster.start(env, tempDir);
            bootstrap = cluster.bootstrap();
        }
        else if (env.embedded())
        {
            final TieredStorage.Factory tier = env.needsTieredStorage() ? this::newArchiveTier : null;
            tempDir = Files.createTempDirectory("spindle-perf-");
            broker = StandaloneBroker.launch(new StandaloneBroker.Context()
                .dataDir(tempDir.resolve("data"))
                .embeddedDriverDirectoryName(MediaDrivers.uniqueDirectory("broker"))
                .driverDirDeleteOnStart(true)
                .listen("127.0.0.1", 0)
                .udpEnabled(EnvironmentOptions.Transport.UDP == transport)
                .threadingMode(env.brokerThreadingMode())
                .brokerIdleStrategy(env.brokerIdle)
                .driverThreadingMode(env.driverThreadingMode())
                .driverIdleStrategy(env.driverIdle)
                .schedulerSliceNs(env.schedulerSliceNs())
                .tieredStorage(tier)
                .recordTrace(trace));
            bootstrap = EnvironmentOptions.Transport.IPC == transport ? "ipc" : broker.udpEndpoint();
            clientAeronDir = broker.aeronDirectoryName();
        }
        else
        {
            bootstrap = env.bootstrap.trim();
            clientAeronDir = env.aeronDir;
        }

        if (EnvironmentOptions.Transport.UDP == transport)
        {
            // One driver for both clients, configured like the broker's, as the baseline's client side is.
            clientDriver = MediaDrivers.launch(MediaDrivers.uniqueDirectory("client"), env);
            clientAeronDir = clientDriver.aeronDirectoryName();
        }

        if (ConfigValues.booleanProperty("spindle.perf.shared.aeron", false))
        {
            // One Aeron client (one conductor thread) for every Spindle client of the run, as an
            // application would share one per process.
            final io.aeron.Aeron.Context aeronCtx = new io.aeron.Aeron.Context()
                .errorHandler(Throwable::printStackTrace);
            if (null != clientAeronDir)
            {
                aeronCtx.aeronDirectoryName(clientAeronDir);
            }
            sharedAeron = io.aeron.Aeron.connect(aeronCtx);
        }

        try (Admin admin = Admin.connect(client(new ClientContext(), "spindle-perf-admin")))
        {
            admin.createTopic(topic, partitions, Map.of());
            topicCreated = true;
        }
        if (env.besideCompaction > 0)
        {
            compactionLoad = TopicLoad.compacted(this, env.besideCompaction, env.plainBesideLoads);
        }
        if (env.besideArchiving > 0)
        {
            archivingLoad = TopicLoad.tiered(this, env.besideArchiving, env.plainBesideLoads);
        }
        if (env.besideCommits > 0)
        {
            commitLoad = CommitLoad.start(this, env.besideCommits);
        }
    }

    private TieredStorage newArchiveTier(
        final io.aeron.Aeron aeron,
        final Supplier<TopicTable> topics,
        final Path dataDir,
        final String host,
        final int nodeId,
        final ErrorHandler errorHandler)
    {
        archiveTier =
            (ArchiveTier)ArchiveTier.factory(env.archive).create(aeron, topics, dataDir, host, nodeId, errorHandler);
        return archiveTier;
    }

    /**
     * Point a client's configuration at the broker.
     *
     * @param ctx      the client's configuration.
     * @param clientId the client's name in the broker's logs.
     * @param <T>      the configuration's type.
     * @return the configuration.
     */
    <T extends ClientContext> T client(final T ctx, final String clientId)
    {
        ctx.bootstrap(bootstrap).aeronDirectoryName(clientAeronDir).clientId(clientId)
            .idleStrategy(env.newClientIdle())
            .aeron(sharedAeron);
        return ctx;
    }

    /**
     * The topic made for this run.
     *
     * @return its name.
     */
    String topic()
    {
        return topic;
    }

    /**
     * The run's stage trace, which the embedded broker reports to ({@code --stages}).
     *
     * @return the trace, or null without {@code --stages}.
     */
    StageTrace trace()
    {
        return trace;
    }

    /**
     * The embedded broker's own stage histograms as it last wrote them (once a second), whole run so far.
     *
     * @return per stage name, its run's histogram; empty without an embedded standalone broker or before its first
     * write.
     * @throws IOException          when the file cannot be read.
     * @throws InterruptedException never: it does not wait.
     */
    Map<String, Histogram> brokerStages() throws IOException, InterruptedException
    {
        return brokerStagesWrittenAfter(Long.MIN_VALUE, 0);
    }

    /**
     * The embedded broker's own stage histograms from its first write after an instant, waiting for it at most a
     * while (the broker replaces its file once an interval).
     *
     * @param afterNs   {@link System#nanoTime()} the write must follow; {@link Long#MIN_VALUE} for any.
     * @param timeoutMs how long to wait for such a write.
     * @return per stage name, its run's histogram; empty without an embedded standalone broker, or with no such write
     * in time.
     * @throws IOException          when the file's time cannot be read.
     * @throws InterruptedException when interrupted while waiting.
     */
    Map<String, Histogram> brokerStagesWrittenAfter(final long afterNs, final long timeoutMs)
        throws IOException, InterruptedException
    {
        final Map<String, Histogram> byStage = new java.util.LinkedHashMap<>();
        if (null != broker && Long.MIN_VALUE != afterNs)
        {
            final Path file = tempDir.resolve("data").resolve(StageLatencies.FILE_NAME);
            final long afterMs = System.currentTimeMillis() - (System.nanoTime() - afterNs) / 1_000_000L;
            final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
            while (!Files.exists(file) || Files.getLastModifiedTime(file).toMillis() <= afterMs)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    return byStage;
                }
                Thread.sleep(50);
            }
        }
        if (null != broker)
        {
            try
            {
                StageLatencies.read(tempDir.resolve("data"))
                    .forEach((stage, windows) -> byStage.put(stage, windows[1]));
            }
            catch (final IllegalStateException ignore)
            {
                // Not written yet: nothing to subtract.
            }
        }
        return byStage;
    }

    /**
     * Where the clients connect.
     *
     * @return {@code ipc} or {@code host:port}.
     */
    String bootstrap()
    {
        return bootstrap;
    }

    /**
     * Delete the topic from an external broker, stop what was started, delete the temporary directory.
     */
    public void close()
    {
        if (null != commitLoad)
        {
            commitLoad.close();
            System.out.printf("beside: %,d offset commits answered for group %s%n",
                commitLoad.committed(), commitLoad.group());
        }
        if (null != compactionLoad)
        {
            compactionLoad.close();
            final String cleaner = null == broker ? "" : String.format(
                "; the broker's cleaner: %,d passes, %,d bytes cleaned, %,d records removed",
                broker.cleanerCounters().passes.get(), broker.cleanerCounters().bytesCleaned.get(),
                broker.cleanerCounters().recordsRemoved.get());
            System.out.printf("beside: %,d records written to %s topic %s%s%n",
                compactionLoad.sent(), compactionLoad.topicKind(), compactionLoad.topic(), cleaner);
        }
        if (topicCreated && !env.embedded())
        {
            try (Admin admin = Admin.connect(client(new ClientContext(), "spindle-perf-admin")))
            {
                admin.deleteTopic(topic);
            }
            catch (final RuntimeException ex)
            {
                System.err.println("spindle perf: could not delete topic " + topic + ": " + ex.getMessage());
            }
        }
        if (null != archivingLoad)
        {
            archivingLoad.close();
        }
        CloseHelper.quietCloseAll(sharedAeron, broker, clientDriver, cluster);
        if (null != archivingLoad)
        {
            // Read once the broker (and so its archiver thread) has stopped.
            System.out.printf("beside: %,d records written to %s topic %s; the broker's archiver copied %,d " +
                "segments to its archive%n", archivingLoad.sent(), archivingLoad.topicKind(), archivingLoad.topic(),
                null == archiveTier ? 0 : archiveTier.copiedSegments());
        }
        if (null != tempDir)
        {
            IoUtil.delete(tempDir.toFile(), true);
        }
    }
}
