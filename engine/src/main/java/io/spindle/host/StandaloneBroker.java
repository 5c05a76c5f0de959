package io.spindle.host;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.ThreadFactory;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.exceptions.ConductorServiceTimeoutException;
import io.aeron.exceptions.DriverTimeoutException;
import io.spindle.broker.BrokerStateMachine;
import io.spindle.broker.Host;
import io.spindle.broker.PartitionDirectories;
import io.spindle.codecs.Transport;
import io.spindle.driver.DriverDirectory;
import io.spindle.driver.SchedulerSlice;
import io.spindle.log.LogCleaner;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import io.spindle.log.StorageConfiguration;
import io.spindle.monitor.CountedErrorLog;
import io.spindle.monitor.RecordTrace;
import io.spindle.monitor.RecoveryWarnings;
import io.spindle.monitor.SpindleMarkFile;
import io.spindle.monitor.StageLatencies;
import io.spindle.monitor.StorageFailureException;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The standalone host: an embedded single-node broker. It runs (or joins) a media driver, listens on
 * IPC and on a UDP endpoint, applies requests to a {@link BrokerStateMachine} on the control agent and
 * serves fetches on the {@link FetchServer} agent.
 * <p>
 * Acknowledgement on one node: {@code acks=1} and {@code acks=all} both mean the batch was appended to
 * the partition's memory-mapped segment (so it survives the broker process dying, kill -9 included)
 * and is below the high-water mark; whether it also survives the machine losing power depends on the
 * topic's {@code flush.policy} ({@code every-batch} forces it to disk before the ack).
 * {@code acks=0} gets no answer at all.
 */
public final class StandaloneBroker implements AutoCloseable
{
    private final Context ctx;
    private final MediaDriver driver;
    private final Aeron aeron;
    private final BrokerCounters counters;
    private final MetadataCounters metadataCounters;
    private final StateMachineCounters stateMachineCounters;
    private final StageLatencies latencies = new StageLatencies();
    private final CleanerCounters cleanerCounters;
    private final LogCleaner logCleaner;
    private final BrokerStateMachine stateMachine;
    private final ControlAgent controlAgent;
    private final DirectoryLock dataDirLock;
    private final CountedErrorLog errorLog;
    private FetchServer fetchServer;
    private TieredStorage tieredStorage;
    private volatile String failure;
    private volatile boolean isDriverLost;
    private int resolvedPort;
    private volatile AgentRunner[] runners = new AgentRunner[0];
    // Per runner, whether its thread asks for the scheduler slice (an agent a request waits on).
    private boolean[] runnersOnRecordPath = new boolean[0];
    private final ThreadFactory recordPathThreads;

    private StandaloneBroker(final Context ctx)
    {
        this.ctx = ctx;
        this.recordPathThreads = SchedulerSlice.threadFactory(ctx.schedulerSliceNs);
        DirectoryLock dataDirLock = null;
        CountedErrorLog errorLog = null;
        MediaDriver driver = null;
        Aeron aeron = null;
        BrokerCounters counters = null;
        MetadataCounters metadataCounters = null;
        StateMachineCounters stateMachineCounters = null;
        CleanerCounters cleanerCounters = null;
        LogCleaner logCleaner = null;
        BrokerStateMachine stateMachine = null;
        try
        {
            // First, so that a second broker on this directory touches nothing, its driver included.
            dataDirLock = DirectoryLock.acquire(ctx.dataDir.toAbsolutePath(), "broker");
            errorLog = openErrorLog(ctx);
            this.errorLog = errorLog;
            final String driverDir;
            if (null == ctx.aeronDirectoryName)
            {
                driverDir = ctx.embeddedDriverDirectoryName();
                final File embeddedDir = new File(driverDir);
                deleteDirectoryOfDeadDriver(embeddedDir);
                if (!ctx.driverDirDeleteOnStart && DriverDirectory.isDriverActive(embeddedDir))
                {
                    throw new IllegalStateException("a media driver is already running in " + embeddedDir +
                        " (pid " + DriverDirectory.ownerPid(embeddedDir) + ", another broker?); stop it, join it " +
                        "with --aeron-dir " + embeddedDir + ", or set spindle.embedded.driver.dir to another " +
                        "directory");
                }
            }
            else
            {
                // A driver running there is used; otherwise one is started there, over what a dead one left.
                final File dir = new File(ctx.aeronDirectoryName);
                driverDir = DriverDirectory.isDriverRunning(dir) ? null : ctx.aeronDirectoryName;
                if (null != driverDir && DriverDirectory.isDead(DriverDirectory.ownerPid(dir)))
                {
                    IoUtil.delete(dir, true);
                }
            }
            if (null != driverDir)
            {
                final MediaDriver.Context driverCtx = SchedulerSlice.driverThreads(
                    new MediaDriver.Context(), ctx.schedulerSliceNs)
                    .aeronDirectoryName(driverDir)
                    .threadingMode(ctx.driverThreadingMode)
                    .sharedIdleStrategy(ctx.idleStrategy(ctx.driverIdleStrategy))
                    .conductorIdleStrategy(ctx.idleStrategy(ctx.driverIdleStrategy))
                    .senderIdleStrategy(ctx.idleStrategy(ctx.driverIdleStrategy))
                    .receiverIdleStrategy(ctx.idleStrategy(ctx.driverIdleStrategy))
                    .asyncExecutorEnabled(false)
                    .dirDeleteOnStart(ctx.driverDirDeleteOnStart)
                    .dirDeleteOnShutdown(true)
                    .ipcTermBufferLength(ctx.ipcTermLength)
                    .ipcMtuLength(BrokerConfiguration.effectiveIpcMtuLength(ctx.ipcMtuLength, ctx.ipcTermLength))
                    .publicationTermBufferLength(ctx.udpTermLength)
                    .spiesSimulateConnection(true)
                    .performStorageChecks(true);
                driver = MediaDriver.launch(driverCtx);
            }
            final String aeronDir = null != driver ? driver.aeronDirectoryName() : ctx.aeronDirectoryName;
            final Aeron.Context aeronCtx = new Aeron.Context()
                .aeronDirectoryName(aeronDir)
                .errorHandler(this::onAeronError);
            if (null != driver && ThreadingMode.INVOKER == ctx.driverThreadingMode)
            {
                // No driver thread at all: the broker's agent runs the driver's and the client's duty cycles.
                aeronCtx.useConductorAgentInvoker(true).driverAgentInvoker(driver.sharedAgentInvoker());
            }
            aeron = Aeron.connect(aeronCtx);
            errorLog.markFile().aeronDirectory(aeronDir);
            counters = new BrokerCounters(aeron, ctx.nodeId);
            errorLog.counter(counters.errors(aeron, errorLog.markFile()));
            metadataCounters = new MetadataCounters(aeron, ctx.nodeId);
            stateMachineCounters = new StateMachineCounters(aeron, ctx.nodeId, ctx.maxPartitionCounters, errorLog);
            cleanerCounters = new CleanerCounters(aeron, ctx.nodeId);
            logCleaner = cleanerCounters.newCleaner(
                StorageConfiguration.CLEANER_IO_MAX_BYTES_PER_SECOND.size(), ctx.nodeId);
            this.logCleaner = logCleaner;

            final Path dataDir = ctx.dataDir.toAbsolutePath();
            Files.createDirectories(dataDir);
            stateMachine = new BrokerStateMachine(
                dataDir, ctx.nodeId, ctx.listenHost + ":" + ctx.listenPort, ctx.logConfig,
                ctx.groupMinSessionTimeoutMs, ctx.groupMaxSessionTimeoutMs, new StateMachineHost());
            final UnsafeBuffer metadata = ControlAgent.readMetadata(dataDir);
            final long nowMs = System.currentTimeMillis();
            if (null != metadata)
            {
                stateMachine.restore(metadata, 0, metadata.capacity(), nowMs);
            }
            // After the restore, which takes back the directories of a delete that was never persisted. With tiered
            // storage they may hold the manifests of recordings still to purge: its agent deletes them after that.
            if (null == ctx.tieredStorage)
            {
                deleteLeftoverDeletedTopics(dataDir);
            }
            RecoveryWarnings.report(stateMachine.topicTable(), errorLog, ctx.warningHandler);

            // Port 0 means any free port; both request streams must share it, so it is chosen here once, below the
            // ephemeral range where no socket bound to port 0 can take it before the driver binds it.
            final int port = 0 == ctx.listenPort && ctx.udpEnabled ?
                FreePorts.range(ctx.listenHost, 1) : ctx.listenPort;
            resolvedPort = port;
            // Any host that reaches the UDP port can send a SETUP frame naming a term length (1 GiB, say), and
            // Aeron 1.51 has no receiver-side cap: the driver creates an image log of three such terms. Sparse
            // logs (whatever aeron.term.buffer.sparse.file says) keep that to address space and apparent file
            // size until data arrives; the rest is the network's job (README: "UDP exposure").
            final String[] channels = ctx.udpEnabled ?
                new String[]{ Transport.IPC_CHANNEL,
                    Transport.udpChannel(ctx.listenHost, port) + "|" + CommonContext.SPARSE_PARAM_NAME + "=true" } :
                new String[]{ Transport.IPC_CHANNEL };
            final Aeron client = aeron;
            final BrokerCounters brokerCounters = counters;
            final BrokerStateMachine machine = stateMachine;
            final long sessionTimeoutNs = ctx.sessionTimeoutNs;
            final CountedErrorLog errors = errorLog;
            final MetadataPersister persister =
                new MetadataPersister(dataDir.resolve(ControlAgent.METADATA_FILE), ctx.metadataWriter, 0,
                    metadataCounters);
            controlAgent = new ControlAgent(
                (handler) -> new SessionServer(client, "control", channels, Transport.CONTROL_STREAM_ID, ctx.nodeId,
                    sessionTimeoutNs, brokerCounters, handler).errorHandler(errors),
                machine,
                counters,
                stateMachineCounters,
                latencies,
                SystemNanoClock.INSTANCE,
                SystemEpochClock.INSTANCE,
                persister,
                () -> null == tieredStorage ? fetchServer.observedTableVersion() :
                    Math.min(fetchServer.observedTableVersion(), tieredStorage.observedTableVersion()))
                .maxHeldAnswers(ctx.metadataMaxHeldAnswers);
            // The restored state's timers, now that the control agent can take them and before it runs a command.
            machine.armRestoredTimers();

            final String[] fetchChannels = channels;
            fetchServer = new FetchServer(
                (handler) -> new SessionServer(client, "fetch", fetchChannels, Transport.FETCH_STREAM_ID, ctx.nodeId,
                    sessionTimeoutNs, brokerCounters, handler).errorHandler(errors),
                machine::topicTable,
                counters,
                SystemNanoClock.INSTANCE)
                .latencies(latencies)
                .recordTrace(ctx.recordTrace);
            controlAgent.recordTrace(ctx.recordTrace);

            if (null != ctx.tieredStorage)
            {
                tieredStorage = ctx.tieredStorage.create(
                    aeron, machine::topicTable, dataDir, ctx.listenHost, ctx.nodeId, errors);
            }

            final ErrorHandler errorHandler = this::onAgentError;
            final AgentRunner reporter = latencies.reporterRunner(
                dataDir, ctx.latencyIntervalMs, ctx.latencyLog, errorLog.markFile(), errorHandler);
            final DriverWatchdog watchdog = new DriverWatchdog(aeron, SystemNanoClock.INSTANCE, this::driverLost);
            // The agents on the produce and fetch paths ask for the scheduler slice, as the metadata writer does
            // (offset commits, transactions and topic changes are answered once it has written); the latency reporter
            // and the archiver keep the kernel's default, so that the record path preempts them.
            if (ctx.threadingMode == BrokerThreadingMode.DEDICATED)
            {
                addRunner(new AgentRunner(ctx.idleStrategy(ctx.brokerIdleStrategy), errorHandler, null,
                    new CompositeAgent(controlAgent, watchdog)), true);
                addRunner(new AgentRunner(ctx.idleStrategy(ctx.brokerIdleStrategy), errorHandler, null, fetchServer),
                    true);
            }
            else if (null != driver && ThreadingMode.INVOKER == ctx.driverThreadingMode)
            {
                addRunner(new AgentRunner(ctx.idleStrategy(ctx.brokerIdleStrategy), errorHandler, null,
                    new CompositeAgent(
                        new InvokerAgent(driver.sharedAgentInvoker(), aeron.conductorAgentInvoker()),
                        controlAgent,
                        fetchServer,
                        watchdog)), true);
            }
            else
            {
                addRunner(new AgentRunner(ctx.idleStrategy(ctx.brokerIdleStrategy), errorHandler, null,
                    new CompositeAgent(controlAgent, fetchServer, watchdog)), true);
            }
            addRunner(reporter, false);
            if (null != tieredStorage)
            {
                addRunner(new AgentRunner(ctx.idleStrategy("backoff"), errorHandler, null, tieredStorage.agent()),
                    false);
            }
            // Its own thread in every threading mode: the point is that no fsync runs on the control agent's.
            addRunner(new AgentRunner(
                new SleepingIdleStrategy(MetadataPersister.IDLE_PARK_NS), errorHandler, null, persister), true);
        }
        catch (final IOException ex)
        {
            CloseHelper.quietCloseAll(
                tieredStorage, stateMachine, logCleaner, cleanerCounters, stateMachineCounters, metadataCounters,
                counters, aeron, driver, errorLog, dataDirLock);
            throw new UncheckedIOException(ex);
        }
        catch (final RuntimeException | Error ex)
        {
            // An Error too (say a fault in a mapped file during recovery): a half-started broker must not keep the
            // driver's threads alive in a process that serves nothing.
            if (null != errorLog)
            {
                errorLog.onError(ex);
            }
            CloseHelper.quietCloseAll(
                tieredStorage, stateMachine, logCleaner, cleanerCounters, stateMachineCounters, metadataCounters,
                counters, aeron, driver, errorLog, dataDirLock);
            throw ex;
        }

        this.dataDirLock = dataDirLock;
        this.driver = driver;
        this.aeron = aeron;
        this.counters = counters;
        this.metadataCounters = metadataCounters;
        this.stateMachineCounters = stateMachineCounters;
        this.cleanerCounters = cleanerCounters;
        this.stateMachine = stateMachine;
    }

    /**
     * Start a broker.
     *
     * @param ctx its configuration.
     * @return the running broker.
     */
    public static StandaloneBroker launch(final Context ctx)
    {
        ctx.conclude();
        final StandaloneBroker broker = new StandaloneBroker(ctx);
        final AgentRunner[] runners = broker.runners;
        for (int i = 0; i < runners.length; i++)
        {
            final ThreadFactory threads = broker.runnersOnRecordPath[i] ? broker.recordPathThreads : Thread::new;
            AgentRunner.startOnThread(runners[i], threads);
        }
        return broker;
    }

    private void addRunner(final AgentRunner runner, final boolean onRecordPath)
    {
        final int count = runners.length;
        final AgentRunner[] added = java.util.Arrays.copyOf(runners, count + 1);
        added[count] = runner;
        runnersOnRecordPath = java.util.Arrays.copyOf(runnersOnRecordPath, count + 1);
        runnersOnRecordPath[count] = onRecordPath;
        runners = added;
    }

    /**
     * The directory of the media driver clients on this machine connect to with bootstrap {@code ipc}.
     *
     * @return the Aeron directory.
     */
    public String aeronDirectoryName()
    {
        return aeron.context().aeronDirectoryName();
    }

    /**
     * Whether the broker started its media driver (and stops it on close) rather than using one that was running in
     * {@link Context#aeronDirectoryName(String)}.
     *
     * @return true if the broker's own driver.
     */
    public boolean isDriverStarted()
    {
        return null != driver;
    }

    /**
     * The UDP endpoint the broker listens on, with the real port when 0 was asked for.
     *
     * @return {@code host:port}, or null when UDP is disabled.
     */
    public String udpEndpoint()
    {
        if (!ctx.udpEnabled)
        {
            return null;
        }
        return ctx.listenHost + ":" + resolvedPort;
    }

    /**
     * Why the broker stopped serving on its own (it lost its media driver, could not persist its metadata, or an
     * agent failed with an {@link Error}), or null while it serves. The termination hook was told the same.
     *
     * @return the reason, or null.
     */
    public String failure()
    {
        return failure;
    }

    /**
     * Aeron's default handler exits the JVM when the driver times out. Instead: the client is about to close
     * and unmap the counters the agents write, so the agents are stopped first (this runs on the client's
     * conductor thread, which holds no lock the agents need), then the host is told.
     */
    private void onAeronError(final Throwable error)
    {
        errorLog.onError(error);
        if (error instanceof DriverTimeoutException || error instanceof ConductorServiceTimeoutException)
        {
            final AgentRunner[] agentRunners = runners;
            if (null != agentRunners)
            {
                CloseHelper.quietCloseAll(agentRunners);
            }
            driverLost("lost its media driver (driver timeout: it stopped or hung): " + error.getMessage());
        }
    }

    private void driverLost(final String reason)
    {
        isDriverLost = true;
        stop(reason);
    }

    private synchronized void stop(final String reason)
    {
        if (null == failure)
        {
            failure = reason;
            ctx.terminationHook.accept(reason);
        }
    }

    /**
     * The broker's log cleaner counters.
     *
     * @return the counters.
     */
    public CleanerCounters cleanerCounters()
    {
        return cleanerCounters;
    }

    /**
     * The broker's counters.
     *
     * @return the counters.
     */
    public BrokerCounters counters()
    {
        return counters;
    }

    /**
     * An agent failed: an {@link AgentTerminationException} (an agent that cannot go on, e.g. its metadata could
     * not be persisted) or an {@link Error} stops the broker; anything else is reported and serving goes on.
     */
    private void onAgentError(final Throwable throwable)
    {
        errorLog.onError(throwable);
        if (throwable instanceof AgentTerminationException || throwable instanceof Error)
        {
            stop(throwable instanceof Error ? "stopped after " + throwable :
                (null != throwable.getMessage() ? throwable.getMessage() : throwable.toString()));
        }
    }

    /**
     * The broker's one error handler: the distinct error log in its mark file, counted.
     *
     * @return the error handler every thread of the broker reports into.
     */
    public CountedErrorLog errorLog()
    {
        return errorLog;
    }

    private static CountedErrorLog openErrorLog(final Context ctx)
    {
        final SpindleMarkFile markFile = SpindleMarkFile.create(ctx.dataDir.toAbsolutePath(),
            SpindleMarkFile.COMPONENT_BROKER, ctx.nodeId, ctx.errorBufferLength, SystemEpochClock.INSTANCE);
        if (null != markFile.savedErrors())
        {
            ctx.warningHandler.accept("the previous run's errors are saved in " + markFile.savedErrors());
        }
        return new CountedErrorLog(markFile, ctx.errorHandler, System.err);
    }

    /**
     * Stop the agents, close the logs, the client and the embedded driver.
     */
    public void close()
    {
        CloseHelper.closeAll(runners);
        if (isDriverLost && null != driver)
        {
            // The directory may be another driver's by now: never delete it on the way out.
            driver.context().dirDeleteOnShutdown(false);
        }
        try
        {
            // The error counter lives in the client's mapping of the counters file: stop using it first.
            errorLog.counter(null);
            CloseHelper.closeAll(tieredStorage, stateMachine, logCleaner, cleanerCounters, stateMachineCounters,
                metadataCounters, counters, aeron, driver);
        }
        finally
        {
            CloseHelper.closeAll((AutoCloseable)errorLog, dataDirLock);
        }
    }

    /**
     * Forwards the state machine's requests of its host to the control agent, which owns them.
     */
    private final class StateMachineHost implements Host
    {
        public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
        {
            controlAgent.sendResponse(sessionId, buffer, offset, length);
        }

        public void scheduleTimer(final long correlationId, final long deadlineMs)
        {
            controlAgent.scheduleTimer(correlationId, deadlineMs);
        }

        public void cancelTimer(final long correlationId)
        {
            controlAgent.cancelTimer(correlationId);
        }

        public boolean timersSurviveRestore()
        {
            return false;
        }

        public void onAppended(final PartitionLog log)
        {
            controlAgent.onAppended(log);
        }

        public void onStorageFailure(final String what, final Throwable cause)
        {
            controlAgent.onStorageFailure(what, cause);
            errorLog.onError(new StorageFailureException(what, cause));
        }

        public LogCleaner logCleaner()
        {
            return logCleaner;
        }
    }

    /**
     * A broker killed with its embedded driver leaves the driver's directory behind with a heartbeat
     * that looks live for the driver timeout; a restart would then be refused as "active driver". The
     * directory names the driver's process id, so when that process is gone the directory is removed.
     */
    private static void deleteDirectoryOfDeadDriver(final File aeronDir)
    {
        final long pid = DriverDirectory.ownerPid(aeronDir);
        if (DriverDirectory.NULL_PID == pid)
        {
            return;
        }
        final java.util.Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (!DriverDirectory.isDead(pid) && pid != ProcessHandle.current().pid())
        {
            // A broker killed a moment ago may still be exiting (its heartbeat looks fresh): give it a
            // few seconds. A driver that is really running stays, and the caller's check names it.
            try
            {
                process.get().onExit().get(3, java.util.concurrent.TimeUnit.SECONDS);
            }
            catch (final java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException ignore)
            {
                // Still there: leave it to the liveness check, which names it.
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        if (DriverDirectory.isDead(pid))
        {
            IoUtil.delete(aeronDir, true);
        }
    }

    private static void deleteLeftoverDeletedTopics(final Path dataDir) throws IOException
    {
        try (DirectoryStream<Path> entries =
            Files.newDirectoryStream(dataDir, "*" + PartitionDirectories.DELETED_SUFFIX))
        {
            for (final Path entry : entries)
            {
                IoUtil.delete(entry.toFile(), true);
            }
        }
    }

    /**
     * Runs the embedded driver's and the Aeron client's duty cycles on the broker's thread
     * ({@code spindle.driver.threading.mode=INVOKER}).
     */
    private static final class InvokerAgent implements org.agrona.concurrent.Agent
    {
        private final org.agrona.concurrent.AgentInvoker driverInvoker;
        private final org.agrona.concurrent.AgentInvoker clientInvoker;

        InvokerAgent(
            final org.agrona.concurrent.AgentInvoker driverInvoker,
            final org.agrona.concurrent.AgentInvoker clientInvoker)
        {
            this.driverInvoker = driverInvoker;
            this.clientInvoker = clientInvoker;
        }

        public int doWork()
        {
            return driverInvoker.invoke() + clientInvoker.invoke();
        }

        public String roleName()
        {
            return "spindle-driver-invoker";
        }
    }

    /**
     * How the broker's agents share threads.
     */
    public enum BrokerThreadingMode
    {
        /**
         * Control and fetch agents on one thread: the default, kind to small machines.
         */
        SHARED,

        /**
         * Control and fetch agents each on their own thread: with busy-spin, the low-latency profile.
         */
        DEDICATED
    }

    /**
     * Configuration of a standalone broker; fluent, defaults from {@code spindle.*} system properties.
     */
    public static final class Context
    {
        private Path dataDir = Paths.get(BrokerConfiguration.DATA_DIR.text());
        private String aeronDirectoryName = BrokerConfiguration.AERON_DIR.text();
        private String embeddedDriverDirectoryName = BrokerConfiguration.EMBEDDED_DRIVER_DIR.text();
        private String listenHost = BrokerConfiguration.LISTEN_HOST.text();
        private int listenPort = BrokerConfiguration.LISTEN_PORT.integer();
        private boolean udpEnabled = BrokerConfiguration.UDP_ENABLED.bool();
        private int nodeId = BrokerConfiguration.NODE_ID.integer();
        private BrokerThreadingMode threadingMode =
            BrokerConfiguration.THREADING_MODE.choice(BrokerThreadingMode.class);
        private String brokerIdleStrategy = BrokerConfiguration.BROKER_IDLE_STRATEGY.text();
        private ThreadingMode driverThreadingMode =
            BrokerConfiguration.DRIVER_THREADING_MODE.choice(ThreadingMode.class);
        private String driverIdleStrategy = BrokerConfiguration.DRIVER_IDLE_STRATEGY.text();
        private boolean driverDirDeleteOnStart = false;
        private int ipcTermLength = BrokerConfiguration.IPC_TERM_LENGTH.intSize();
        private int ipcMtuLength = BrokerConfiguration.IPC_MTU_LENGTH.intSize();
        private long schedulerSliceNs = BrokerConfiguration.SCHEDULER_SLICE.duration();
        private int udpTermLength = BrokerConfiguration.UDP_TERM_LENGTH.intSize();
        private long sessionTimeoutNs = BrokerConfiguration.SESSION_TIMEOUT.duration();
        private int groupMinSessionTimeoutMs = BrokerConfiguration.GROUP_MIN_SESSION_TIMEOUT.intDuration();
        private int groupMaxSessionTimeoutMs = BrokerConfiguration.GROUP_MAX_SESSION_TIMEOUT.intDuration();
        private LogConfig logConfig;
        private long latencyIntervalMs = BrokerConfiguration.LATENCY_INTERVAL.duration();
        private Path latencyLog = BrokerConfiguration.latencyLog();
        private int maxPartitionCounters = BrokerConfiguration.STAT_MAX_PARTITIONS.integer();
        private int errorBufferLength = BrokerConfiguration.ERROR_BUFFER_LENGTH.intSize();
        private ErrorHandler errorHandler;
        private java.util.function.Consumer<String> warningHandler =
            (warning) -> System.err.println("spindle broker: warning: " + warning);
        private TieredStorage.Factory tieredStorage;
        private RecordTrace recordTrace;
        private MetadataPersister.Writer metadataWriter = MetadataPersister.ATOMIC_WRITER;
        private int metadataMaxHeldAnswers = BrokerConfiguration.METADATA_MAX_HELD_ANSWERS.integer();
        private java.util.function.Consumer<String> terminationHook =
            (reason) -> System.err.println("spindle broker: " + reason);

        /**
         * Validate and fill in derived values.
         *
         * @return this.
         */
        public Context conclude()
        {
            BrokerConfiguration.validate(dataDir, listenHost, listenPort, nodeId, brokerIdleStrategy,
                driverIdleStrategy, ipcTermLength, ipcMtuLength, udpTermLength, sessionTimeoutNs,
                groupMinSessionTimeoutMs, groupMaxSessionTimeoutMs);
            if (ThreadingMode.INVOKER == driverThreadingMode && BrokerThreadingMode.SHARED != threadingMode)
            {
                throw new IllegalArgumentException("spindle.driver.threading.mode=INVOKER runs the driver on the " +
                    "broker's one thread: it needs spindle.broker.threading.mode=SHARED, not " + threadingMode);
            }
            SchedulerSlice.validate(BrokerConfiguration.SCHEDULER_SLICE.name(), schedulerSliceNs);
            if (latencyIntervalMs < 1)
            {
                throw new IllegalArgumentException("spindle.latency.interval must be at least 1ms, was " +
                    latencyIntervalMs + "ms");
            }
            if (metadataMaxHeldAnswers < 1)
            {
                throw new IllegalArgumentException(
                    "spindle.metadata.max.held.answers must be at least 1, was " + metadataMaxHeldAnswers);
            }
            if (errorBufferLength < 64 * 1024)
            {
                throw new IllegalArgumentException(
                    "spindle.error.buffer.length must be at least 64k, was " + errorBufferLength);
            }
            if (null == logConfig)
            {
                logConfig = new LogConfig().conclude();
            }
            return this;
        }

        String embeddedDriverDirectoryName()
        {
            return null != embeddedDriverDirectoryName ?
                embeddedDriverDirectoryName : CommonContext.getAeronDirectoryName();
        }

        IdleStrategy idleStrategy(final String name)
        {
            return IdleStrategies.create(name);
        }

        /**
         * How {@code spindle.meta} is written: a seam for tests that block or fail the write.
         *
         * @param writer the writer, by default {@link MetadataPersister#ATOMIC_WRITER}.
         * @return this.
         */
        Context metadataWriter(final MetadataPersister.Writer writer)
        {
            this.metadataWriter = writer;
            return this;
        }

        /**
         * Most answers held waiting for a {@code spindle.meta} write (system property
         * {@code spindle.metadata.max.held.answers}, default 10000): beyond it, requests whose answers would wait too
         * are refused unapplied with REQUEST_TIMED_OUT and counted.
         *
         * @param maxHeldAnswers at least 1.
         * @return this.
         */
        public Context metadataMaxHeldAnswers(final int maxHeldAnswers)
        {
            this.metadataMaxHeldAnswers = maxHeldAnswers;
            return this;
        }

        /**
         * Run tiered storage for topics with {@code remote.storage.enable}: the archive module's factory.
         *
         * @param factory of the broker's tiered storage, or null for none (the default).
         * @return this.
         */
        public Context tieredStorage(final TieredStorage.Factory factory)
        {
            this.tieredStorage = factory;
            return this;
        }

        /**
         * Report when every record is appended and pushed to a consumer, by offset: a diagnostic for attributing
         * latency ({@code spindle perf latency --stages}), off by default.
         *
         * @param trace where the control agent and the fetch server report, on their threads; null for none.
         * @return this.
         */
        public Context recordTrace(final RecordTrace trace)
        {
            this.recordTrace = trace;
            return this;
        }

        /**
         * Where partition logs and the metadata file live.
         *
         * @param dataDir the directory.
         * @return this.
         */
        public Context dataDir(final Path dataDir)
        {
            this.dataDir = dataDir;
            return this;
        }

        /**
         * The media driver directory: a driver running there is used (and left running on close); otherwise an
         * embedded driver is started there.
         *
         * @param aeronDirectoryName the directory, or null to embed a driver at
         *                           {@link #embeddedDriverDirectoryName(String)}.
         * @return this.
         */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        /**
         * Directory of the embedded driver (default: Aeron's default directory, which is where
         * bootstrap {@code ipc} clients look).
         *
         * @param dir the directory.
         * @return this.
         */
        public Context embeddedDriverDirectoryName(final String dir)
        {
            this.embeddedDriverDirectoryName = dir;
            return this;
        }

        /**
         * Delete the embedded driver's directory on start without checking for a live driver (tests).
         *
         * @param delete true to delete.
         * @return this.
         */
        public Context driverDirDeleteOnStart(final boolean delete)
        {
            this.driverDirDeleteOnStart = delete;
            return this;
        }

        /**
         * The UDP listener.
         *
         * @param host address to bind.
         * @param port port to bind, 0 for an ephemeral one.
         * @return this.
         */
        public Context listen(final String host, final int port)
        {
            this.listenHost = host;
            this.listenPort = port;
            return this;
        }

        /**
         * Whether to listen on UDP at all.
         *
         * @param enabled false for IPC only.
         * @return this.
         */
        public Context udpEnabled(final boolean enabled)
        {
            this.udpEnabled = enabled;
            return this;
        }

        /**
         * How the control and fetch agents share threads.
         *
         * @param mode the threading mode.
         * @return this.
         */
        public Context threadingMode(final BrokerThreadingMode mode)
        {
            this.threadingMode = mode;
            return this;
        }

        /**
         * Idle strategy of the broker's agents: {@code backoff}, {@code backoff:SPINS:YIELDS:MIN_PARK:MAX_PARK},
         * {@code sleep-ns}, {@code yield}, {@code spin}, {@code noop} or a class name (see {@link IdleStrategies};
         * default {@link IdleStrategies#BROKER_DEFAULT}).
         *
         * @param name of the strategy.
         * @return this.
         */
        public Context brokerIdleStrategy(final String name)
        {
            this.brokerIdleStrategy = name;
            return this;
        }

        /**
         * Threading mode of the embedded media driver.
         *
         * @param mode the driver's threading mode.
         * @return this.
         */
        public Context driverThreadingMode(final ThreadingMode mode)
        {
            this.driverThreadingMode = mode;
            return this;
        }

        /**
         * Idle strategy of the embedded media driver's threads.
         *
         * @param name of the strategy.
         * @return this.
         */
        public Context driverIdleStrategy(final String name)
        {
            this.driverIdleStrategy = name;
            return this;
        }

        /**
         * Term length of IPC publications of the embedded driver.
         *
         * @param length a power of two, 64k to 1g.
         * @return this.
         */
        public Context ipcTermLength(final int length)
        {
            this.ipcTermLength = length;
            return this;
        }

        /**
         * Largest frame of IPC publications of the embedded driver ({@code spindle.ipc.mtu.length}); the driver uses
         * at most 1/8 of {@link #ipcTermLength(int)}.
         *
         * @param length a multiple of 32, 64 to 65504.
         * @return this.
         */
        public Context ipcMtuLength(final int length)
        {
            this.ipcMtuLength = length;
            return this;
        }

        /**
         * Scheduler slice the threads a record waits on ask for ({@code spindle.scheduler.slice}): the broker's
         * agents on the produce and fetch paths and the embedded driver's threads. See {@link SchedulerSlice}.
         *
         * @param sliceNs 0 for the kernel's default, or 100 µs to 100 ms.
         * @return this.
         */
        public Context schedulerSliceNs(final long sliceNs)
        {
            this.schedulerSliceNs = sliceNs;
            return this;
        }

        /**
         * Scheduler slice the threads a record waits on ask for.
         *
         * @return the slice in nanoseconds, 0 for the kernel's default.
         */
        public long schedulerSliceNs()
        {
            return schedulerSliceNs;
        }

        /**
         * Sessions that send nothing for this long are closed.
         *
         * @param timeoutNs the timeout.
         * @return this.
         */
        public Context sessionTimeoutNs(final long timeoutNs)
        {
            this.sessionTimeoutNs = timeoutNs;
            return this;
        }

        /**
         * Log settings of topics that do not override them.
         *
         * @param config the defaults.
         * @return this.
         */
        public Context logConfig(final LogConfig config)
        {
            this.logConfig = config;
            return this;
        }

        /**
         * Called once, from a broker agent or the Aeron client's thread, when the broker cannot go on serving:
         * it lost its media driver, could not persist its metadata (a full disk), or an agent failed with an
         * {@link Error}. The host should close the broker and exit non-zero; it must not close the broker from
         * the hook. Default: print the reason on standard error.
         *
         * @param hook given the reason.
         * @return this.
         */
        public Context terminationHook(final java.util.function.Consumer<String> hook)
        {
            this.terminationHook = hook;
            return this;
        }

        /**
         * Also told of every error the broker records in its error log ({@code spindle errors} prints them); default
         * none.
         *
         * @param handler the error handler, or null.
         * @return this.
         */
        public Context errorHandler(final ErrorHandler handler)
        {
            this.errorHandler = handler;
            return this;
        }

        /**
         * Told of what the broker carried on after but an operator should know of, at start: a torn tail cut at
         * recovery, an index rebuilt, where the previous run's errors were saved. The same warnings are in the error
         * log. Default: print them on standard error.
         *
         * @param handler given each warning.
         * @return this.
         */
        public Context warningHandler(final java.util.function.Consumer<String> handler)
        {
            this.warningHandler = handler;
            return this;
        }

        /**
         * How often the stage latency histograms are published for {@code spindle stat --latency} (system property
         * {@code spindle.latency.interval}, default 1s).
         *
         * @param intervalMs the interval.
         * @return this.
         */
        public Context latencyIntervalMs(final long intervalMs)
        {
            this.latencyIntervalMs = intervalMs;
            return this;
        }

        /**
         * Also append each interval's stage latency histograms, tagged by stage, to an HdrHistogram interval log
         * (system property {@code spindle.latency.log}, default none).
         *
         * @param file the log, or null.
         * @return this.
         */
        public Context latencyLog(final Path file)
        {
            this.latencyLog = file;
            return this;
        }

        /**
         * Length of the distinct error log in the mark file (system property {@code spindle.error.buffer.length},
         * default 1m, at least 64k).
         *
         * @param length in bytes.
         * @return this.
         */
        public Context errorBufferLength(final int length)
        {
            this.errorBufferLength = length;
            return this;
        }
    }
}
