package io.spindle.cluster;

import java.io.File;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.aeron.Aeron;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.ElectionState;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredServiceContainer;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.security.CredentialsSupplier;
import io.aeron.security.NullCredentialsSupplier;
import io.spindle.archive.ArchiveTier;
import io.spindle.broker.BrokerStateMachine;
import io.spindle.host.BrokerConfiguration;
import io.spindle.host.CleanerCounters;
import io.spindle.host.DirectoryLock;
import io.spindle.host.FreePorts;
import io.spindle.host.StateMachineCounters;
import io.spindle.log.LogCleaner;
import io.spindle.log.LogConfig;
import io.spindle.log.StorageConfiguration;
import io.spindle.monitor.CountedErrorLog;
import io.spindle.monitor.RecoveryWarnings;
import io.spindle.monitor.SpindleMarkFile;
import io.spindle.monitor.StageLatencies;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemEpochClock;

/**
 * One cluster member in one process: a media driver (the one running in its driver directory, or one it starts
 * there), an archive, the consensus module, the service container hosting {@link SpindleClusteredService}, the
 * {@link MemberGateway} serving fetches and telling clients who the members are, a {@link SnapshotTrigger}
 * taking snapshots as the log grows, a {@link LogPurger} purging the Raft log behind the snapshots every member
 * holds, and tiered storage: an archiver ({@link ArchiveTier}) copying the member's sealed segments of topics with
 * {@code remote.storage.enable} into its own tier (the member's archive, or a standalone one named with
 * {@link Context#archiveEndpoint}) and a {@link TierReporter} saying so through the log ({@link MemberTier}); with a
 * secret the members share ({@link Context#secretFile}), the reporter and the purger connect as members
 * ({@link MemberAuthenticator}) and only members' own reports are applied. A
 * member that starts with no Raft log of its own stops with a clear error when the others' log was purged
 * ({@link PurgedLogCheck}): it is rebuilt from a running member ({@link NetworkRebuild}, served by the gateway's
 * {@link MemberFileServer}) or from a copy of a stopped member's directory ({@link MemberRebuild}).
 * <p>
 * Every port a member needs is derived from its client endpoint {@code HOST:PORT} in the members list
 * ({@link #MEMBER_PORT_COUNT} consecutive ports): {@code PORT} the client endpoint (the cluster's ingress, and the
 * member's own control and fetch streams), {@code PORT+1} consensus,
 * {@code PORT+2} log, {@code PORT+3} archive control, {@code PORT+4} archive replication, {@code PORT+5} the
 * consensus module's log replication; the follower catch-up endpoint is ephemeral. A member's directory holds
 * {@code data/} (partition logs), {@code cluster/} (the consensus module's files) and {@code archive/} (the Raft log
 * and snapshots).
 * <p>
 * A member is observed as a broker is: its error log in {@code spindle-mark.dat}, its counters (the gateway's, the
 * state machine's, its own log cleaner's) in its driver's counters file, and its stage latencies
 * ({@link SpindleClusteredService#LATENCY_STAGES}) in {@code spindle-latency.hlog}, both in its directory, and, with
 * {@code spindle.latency.log} set, every interval's histograms appended to that interval log as a broker does.
 */
public final class ClusterNode implements AutoCloseable
{
    /**
     * Consecutive ports a member uses from its client port.
     */
    public static final int MEMBER_PORT_COUNT = 6;

    /**
     * Bytes of a produce request around its record batch: message header, fixed fields, one partition entry and
     * an empty transactional id, with room to spare.
     */
    static final int PRODUCE_REQUEST_OVERHEAD = 256;

    /**
     * How long a member restoring a snapshot waits for its tier to give back an archived segment.
     */
    static final long RESTORE_READ_TIMEOUT_MS = 30_000;

    private final Context ctx;
    private final SpindleClusteredService service;
    private final MemberDriver clusteredMediaDriver;
    private final ClusteredServiceContainer container;
    private volatile MemberGateway gateway;
    private final SnapshotTrigger snapshotTrigger;
    private final LogPurger logPurger;
    private final TierReporter tierReporter;
    private final ArchiveTier archiveTier;
    private final AgentRunner archiverRunner;
    private final DirectoryLock directoryLock;
    private final CountedErrorLog errorLog;
    private final StageLatencies latencies = new StageLatencies(SpindleClusteredService.LATENCY_STAGES);
    private final Aeron aeron;
    private final StateMachineCounters stateMachineCounters;
    private final MemberReportCounters reportCounters;
    private final CleanerCounters cleanerCounters;
    private final LogCleaner logCleaner;
    private final AgentRunner latencyReporter;
    private final AtomicBoolean isClosed = new AtomicBoolean();
    private volatile boolean hasJoined;
    private volatile Thread purgedLogCheck;
    private volatile Throwable failure;

    private ClusterNode(final Context ctx)
    {
        this.ctx = ctx;
        final Endpoint self = ctx.members.get(ctx.memberId);
        final String aeronDir = ctx.aeronDirectoryName;
        final Supplier<IdleStrategy> idle = ctx.idleStrategySupplier;

        final MediaDriver.Context driverCtx = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(idle.get())
            .asyncExecutorEnabled(false)
            .dirDeleteOnStart(false)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(true)
            .publicationTermBufferLength(ctx.termLength)
            .ipcTermBufferLength(ctx.termLength)
            .spiesSimulateConnection(true);

        final Archive.Context archiveCtx = new Archive.Context()
            .aeronDirectoryName(aeronDir)
            .archiveDir(new File(ctx.directory.toFile(), "archive"))
            .archiveId(ctx.memberId)
            .controlChannel("aeron:udp?endpoint=" + self.host + ":" + (self.port + 3))
            .localControlChannel("aeron:ipc?term-length=64k")
            .replicationChannel("aeron:udp?endpoint=" + self.host + ":" + (self.port + 4))
            .recordingEventsEnabled(false)
            .threadingMode(ArchiveThreadingMode.SHARED)
            .idleStrategySupplier(idle::get)
            .segmentFileLength(ctx.archiveSegmentLength);

        // The consensus module and the service container each give their copy their own client and error handler.
        // CHECKSTYLE.OFF: aeronClientErrorHandler
        final AeronArchive.Context archiveClient = new AeronArchive.Context()
            .controlRequestChannel("aeron:ipc?term-length=64k")
            .controlResponseChannel("aeron:ipc?term-length=64k")
            .credentialsSupplier(credentials(ctx))
            .aeronDirectoryName(aeronDir);
        // CHECKSTYLE.ON: aeronClientErrorHandler

        final ConsensusModule.Context consensusCtx = new ConsensusModule.Context()
            .clusterMemberId(ctx.memberId)
            .clusterMembers(aeronMembers(ctx.members))
            .clusterDir(new File(ctx.directory.toFile(), "cluster"))
            .aeronDirectoryName(aeronDir)
            .ingressChannel("aeron:udp?term-length=" + ctx.termLength)
            .logChannel("aeron:udp?term-length=" + ctx.termLength)
            .replicationChannel("aeron:udp?endpoint=" + self.host + ":" + (self.port + 5))
            .archiveContext(archiveClient.clone())
            .idleStrategySupplier(idle::get)
            .leaderHeartbeatTimeoutNs(ctx.leaderHeartbeatTimeoutNs)
            .leaderHeartbeatIntervalNs(ctx.leaderHeartbeatTimeoutNs / 10)
            .electionTimeoutNs(ctx.leaderHeartbeatTimeoutNs / 2)
            .electionStatusIntervalNs(ctx.leaderHeartbeatTimeoutNs / 10)
            .startupCanvassTimeoutNs(ctx.leaderHeartbeatTimeoutNs * 2)
            .terminationTimeoutNs(ctx.leaderHeartbeatTimeoutNs)
            .sessionTimeoutNs(ctx.sessionTimeoutNs)
            .terminationHook(this::onConsensusModuleTerminated);

        service = new SpindleClusteredService(
            ctx.directory.resolve("data"), ctx.memberId, self.host + ":" + self.port, ctx.logConfig,
            BrokerStateMachine.DEFAULT_MIN_SESSION_TIMEOUT_MS, BrokerStateMachine.DEFAULT_MAX_SESSION_TIMEOUT_MS)
            .roleListener(ctx.roleListener)
            .failureListener(this::onMemberFailed)
            .maxMessageBytesLimit(maxMessageBytesLimit(ctx.termLength))
            .members(clientEndpoints(ctx.members));
        directoryLock = DirectoryLock.acquire(ctx.directory, "cluster member");
        final SpindleMarkFile markFile = SpindleMarkFile.create(ctx.directory.toAbsolutePath(),
            SpindleMarkFile.COMPONENT_CLUSTER_MEMBER, ctx.memberId, SpindleMarkFile.ERROR_BUFFER_LENGTH_DEFAULT,
            SystemEpochClock.INSTANCE);
        markFile.aeronDirectory(aeronDir);
        errorLog = new CountedErrorLog(markFile, null, System.err);
        if (null != markFile.savedErrors())
        {
            ctx.messageLog.accept("member " + ctx.memberId + ": the previous run's errors are saved in " +
                markFile.savedErrors());
        }
        LeftoverMarkFiles.awaitStale(ctx.directory, ctx.messageLog);
        if (null != ctx.secret)
        {
            // Members present the secret they share and only their own reports are applied; clients present none.
            consensusCtx.authenticatorSupplier(
                () -> new MemberAuthenticator(
                    ctx.secret, ctx.members.size(), ctx.sessionTimeoutNs, this::onClientError));
            // Only members open the member's archive (its own clients over IPC and peers' archives replicating the
            // Raft log or snapshots from it); its own replication sessions, which connect to a peer's, present the
            // member's credentials, which Aeron's replicate requests do not carry.
            // The archive gives its client context its own Aeron client and error handler.
            // CHECKSTYLE.OFF: aeronClientErrorHandler
            archiveCtx
                .authenticatorSupplier(
                    () -> new MemberArchiveAuthenticator(ctx.secret, ctx.members.size(), this::onClientError))
                .archiveClientContext(new AeronArchive.Context().credentialsSupplier(credentials(ctx)));
            // CHECKSTYLE.ON: aeronClientErrorHandler
        }
        service.memberReportsAuthenticated(null != ctx.secret)
            .unauthenticatedReportLog((message) -> errorLog.onError(new SecurityException(message)));
        final boolean hasNoLog = !MemberRebuild.hasRaftLog(ctx.directory);

        MemberDriver driver = null;
        Aeron aeron = null;
        StateMachineCounters stateMachineCounters = null;
        MemberReportCounters reportCounters = null;
        CleanerCounters cleanerCounters = null;
        LogCleaner logCleaner = null;
        AgentRunner latencyReporter = null;
        ClusteredServiceContainer container = null;
        SnapshotTrigger trigger = null;
        LogPurger purger = null;
        TierReporter reporter = null;
        ArchiveTier tier = null;
        AgentRunner archiver = null;
        try
        {
            // Log timestamps in nanoseconds, for the ingress-committed latency stage, unless the directory was made
            // with milliseconds: Aeron refuses a log of another unit. The state machine sees milliseconds either way.
            final TimeUnit clockUnit = MemberClock.unit(ctx.directory, !hasNoLog);
            if (TimeUnit.NANOSECONDS != clockUnit)
            {
                ctx.messageLog.accept("member " + ctx.memberId + ": its directory was made by an earlier build, " +
                    "whose cluster clock counts milliseconds: it keeps them (ingress-committed is timed in ms)");
            }
            consensusCtx.clusterClock(MemberClock.clock(clockUnit));
            driver = MemberDriver.launch(driverCtx, archiveCtx, consensusCtx);
            // The member's own counters, on a client of its own: the state machine's (set from the service thread)
            // and its log cleaner's, whose failures reach the error log through the partition counters.
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir).errorHandler(errorLog));
            stateMachineCounters = new StateMachineCounters(aeron, ctx.memberId, ctx.maxPartitionCounters, errorLog);
            cleanerCounters = new CleanerCounters(aeron, ctx.memberId);
            logCleaner = cleanerCounters.newCleaner(
                StorageConfiguration.CLEANER_IO_MAX_BYTES_PER_SECOND.size(), ctx.memberId);
            reportCounters = new MemberReportCounters(aeron, ctx.memberId);
            service.counters(stateMachineCounters).reportCounters(reportCounters).logCleaner(logCleaner);
            latencyReporter = latencies.reporterRunner(
                ctx.directory.toAbsolutePath(), ctx.latencyIntervalMs, ctx.latencyLog, null, errorLog);
            AgentRunner.startOnThread(latencyReporter);
            // Tiered storage: this member's archiver copies its sealed segments into its own tier and reports them
            // through the log; what local retention deletes follows the log (MemberTier).
            reporter = new TierReporter(aeron, ingressEndpoints(ctx.members), self.host, credentials(ctx),
                this::onClientError).start(ctx.memberId);
            service.tier().sender(reporter::enqueue);
            service.tier().divergenceLog((message) -> errorLog.onError(new IllegalStateException(message)));
            service.tier().unservedLog((message) -> errorLog.onError(new IllegalStateException(message)));
            tier = ArchiveTier.forClusterMember(
                aeron, service::topicTable, self.host, ctx.archiveEndpoint, ctx.memberId, credentials(ctx),
                service.tier(), errorLog)
                .statusLog((line) -> ctx.messageLog.accept("member " + ctx.memberId + ": " + line));
            service.tierTableVersion(tier::observedTableVersion);
            archiver = new AgentRunner(idle.get(), errorLog, null, tier.agent());
            AgentRunner.startOnThread(archiver);
            final ArchiveTier memberTier = tier;
            service.segmentFetcher((topicId, partition, baseOffset) ->
                memberTier.readArchivedSegment(topicId, partition, baseOffset, RESTORE_READ_TIMEOUT_MS));
            container = ClusteredServiceContainer.launch(new ClusteredServiceContainer.Context()
                .aeronDirectoryName(aeronDir)
                .clusterDir(new File(ctx.directory.toFile(), "cluster"))
                .archiveContext(archiveClient.clone())
                .idleStrategySupplier(idle::get)
                .errorHandler(errorLog)
                .clusteredService(service));
            trigger = ctx.snapshotLogBytes <= 0 ? null : SnapshotTrigger.launch(aeronDir,
                consensusCtx.clusterDir(), consensusCtx.clusterId(), service::lastSnapshotLogPosition,
                ctx.snapshotLogBytes, ctx.snapshotCheckIntervalNs, errorLog);
            purger = !ctx.logPurge ? null : new LogPurger(ctx.memberId, consensusCtx.clusterDir(), aeronDir,
                ingressEndpoints(ctx.members), self.host, credentials(ctx), service, ctx.messageLog,
                this::onClientError).start(ctx.snapshotCheckIntervalNs);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(archiver, tier, reporter, purger, trigger, container);
            service.closeMachine();
            CloseHelper.quietCloseAll(latencyReporter, logCleaner, cleanerCounters, reportCounters,
                stateMachineCounters, aeron, driver);
            errorLog.onError(ex);
            CloseHelper.closeAll((AutoCloseable)errorLog, directoryLock);
            throw ex;
        }
        this.container = container;
        this.aeron = aeron;
        this.stateMachineCounters = stateMachineCounters;
        this.reportCounters = reportCounters;
        this.cleanerCounters = cleanerCounters;
        this.logCleaner = logCleaner;
        this.latencyReporter = latencyReporter;
        clusteredMediaDriver = driver;
        snapshotTrigger = trigger;
        logPurger = purger;
        tierReporter = reporter;
        archiveTier = tier;
        archiverRunner = archiver;
        final Thread starter = new Thread(() -> startGatewayOnceJoined(aeronDir, self, idle),
            "spindle-member-" + ctx.memberId + "-gateway-start");
        starter.setDaemon(true);
        starter.start();
        if (hasNoLog && ctx.members.size() > 1)
        {
            // Its Aeron client must be gone before the driver is: close() interrupts and joins it. It reads only
            // volatile state, never this monitor, which close() holds while it waits.
            final Thread checker = new Thread(() -> new PurgedLogCheck(ctx.memberId, ctx.members, aeronDir,
                consensusCtx.logStreamId(), credentials(ctx), this::isClosed, () -> hasJoined, this::onMemberFailed,
                this::onClientError).run(),
                "spindle-member-" + ctx.memberId + "-purged-log-check");
            checker.setDaemon(true);
            purgedLogCheck = checker;
            checker.start();
        }
    }

    /**
     * Errors of the Aeron clients the member's own threads create: recorded while the member runs; once it is closing
     * they are the clients noticing the driver stop, and the error log is about to close.
     */
    private void onClientError(final Throwable error)
    {
        if (!isClosed.get())
        {
            errorLog.onError(error);
        }
    }

    /**
     * Clients are served from the moment the member has joined the cluster (an election completed): by then a member
     * restarted from its own log has replayed what it applied before, so no client sees its high-water mark go back.
     */
    private void startGatewayOnceJoined(final String aeronDir, final Endpoint self, final Supplier<IdleStrategy> idle)
    {
        while (null == joinedRole())
        {
            if (isClosed.get())
            {
                return;
            }
            try
            {
                Thread.sleep(5);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
        hasJoined = true;
        synchronized (this)
        {
            if (!isClosed.get())
            {
                // Joined: the logs the member opened (from its snapshot and the log it replayed) are in the table.
                RecoveryWarnings.report(service.topicTable(), errorLog,
                    (warning) -> ctx.messageLog.accept("member " + ctx.memberId + ": warning: " + warning));
                gateway = new MemberGateway(
                    aeronDir, ctx.memberId, self.host, self.port, ingressEndpoints(ctx.members),
                    maxRequestLength(ctx.termLength), service, ctx.sessionTimeoutNs, idle.get(), errorLog, latencies,
                    ctx.directory, ctx.secret);
                // From here requests are applied as they are committed, not replayed: measure them.
                service.latencies(latencies);
            }
        }
    }

    private void stopPurgedLogCheck()
    {
        final Thread checker = purgedLogCheck;
        if (null != checker && Thread.currentThread() != checker)
        {
            checker.interrupt();
            try
            {
                checker.join(PurgedLogCheck.CLOSE_TIMEOUT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Whether the member serves clients: its gateway (control and fetch streams) runs once it has joined.
     *
     * @return true once serving, false before and after.
     */
    public boolean isServing()
    {
        return null != gateway && !isClosed.get();
    }

    /**
     * The largest record batch a request can carry through a log (and ingress) of this term length: Aeron's
     * maximum message length (term / 8, at most 16 MiB) less the cluster's session header and the produce
     * request's own fields.
     *
     * @param termLength of the log and ingress channels.
     * @return the limit in bytes.
     */
    public static int maxMessageBytesLimit(final int termLength)
    {
        return FrameDescriptor.computeMaxMessageLength(termLength) - AeronCluster.SESSION_HEADER_LENGTH -
            PRODUCE_REQUEST_OVERHEAD;
    }

    /**
     * The longest request a client may send through a log (and ingress) of this term length: Aeron's maximum message
     * length less the cluster's session header.
     *
     * @param termLength of the log and ingress channels.
     * @return the limit in bytes.
     */
    public static int maxRequestLength(final int termLength)
    {
        return FrameDescriptor.computeMaxMessageLength(termLength) - AeronCluster.SESSION_HEADER_LENGTH;
    }

    /**
     * Launch a member.
     *
     * @param ctx of the member.
     * @return the running member.
     */
    public static ClusterNode launch(final Context ctx)
    {
        return new ClusterNode(ctx.conclude());
    }

    /**
     * What this member's own cluster sessions (its tier reporter, its log purger's announcements) present at connect.
     */
    private static CredentialsSupplier credentials(final Context ctx)
    {
        return null == ctx.secret ? new NullCredentialsSupplier() :
            MemberAuthenticator.credentials(ctx.memberId, ctx.secret);
    }

    private void onMemberFailed(final Throwable failure)
    {
        this.failure = failure;
        errorLog.onError(failure);
        // Called on the service thread, which closing the container joins: close from a thread of its own.
        final Thread closer = new Thread(() ->
        {
            close();
            ctx.failureHook.accept(failure);
        }, "spindle-member-" + ctx.memberId + "-stop");
        closer.setDaemon(true);
        closer.start();
    }

    /**
     * The consensus module stopped while the member was not closing (the cluster was shut down or aborted through
     * Aeron's cluster control, or the module lost its media driver): the member no longer takes part in the cluster,
     * so it closes itself rather than go on serving fetches and answering its clients as though it did.
     */
    private void onConsensusModuleTerminated()
    {
        if (!isClosed.get())
        {
            onMemberFailed(new IllegalStateException("member " + ctx.memberId + ": its consensus module stopped " +
                "(the cluster was shut down or aborted, or its media driver went away): the member no longer takes " +
                "part in the cluster, so it stops"));
        }
    }

    /**
     * Why the member closed itself: it stopped applying the log, it cannot rejoin a cluster whose Raft log was
     * purged ({@link PurgedLogCheck}), or its consensus module stopped.
     *
     * @return the failure, or null.
     */
    public Throwable failure()
    {
        return failure;
    }

    /**
     * Whether the member was closed (by {@link #close()} or by itself after it stopped applying the log).
     *
     * @return true once closed.
     */
    public boolean isClosed()
    {
        return isClosed.get();
    }

    /**
     * The hosted service.
     *
     * @return the service.
     */
    public SpindleClusteredService service()
    {
        return service;
    }

    /**
     * The member's id.
     *
     * @return the id.
     */
    public int memberId()
    {
        return ctx.memberId;
    }

    /**
     * The media driver directory, where a co-located client connects.
     *
     * @return the directory name.
     */
    public String aeronDirectoryName()
    {
        return ctx.aeronDirectoryName;
    }

    /**
     * Whether the member started its media driver, rather than using one that was running in its driver directory.
     *
     * @return true if the member's own driver (stopped on close).
     */
    public boolean isDriverStarted()
    {
        return null != clusteredMediaDriver.mediaDriver();
    }

    /**
     * The member's role once it has joined the cluster: its consensus module has completed an election and it leads
     * or follows the log. Null before, during a later election and once closed.
     *
     * @return the role as the consensus module has it, or null while the member is not in the cluster.
     */
    public synchronized Cluster.Role joinedRole()
    {
        if (isClosed.get())
        {
            return null;
        }
        final ConsensusModule.Context consensus = clusteredMediaDriver.consensusModule().context();
        return ElectionState.CLOSED == ElectionState.get(consensus.electionStateCounter()) ?
            Cluster.Role.get(consensus.clusterNodeRoleCounter()) : null;
    }

    /**
     * Where the member's consensus module is, for a member that has not joined yet (or is in a later election): the
     * consensus module's state, the election's state and the role, as Aeron names them.
     *
     * @return e.g. {@code consensus module ACTIVE, election CANVASS, role FOLLOWER}, or {@code closed}.
     */
    public synchronized String consensusState()
    {
        if (isClosed.get())
        {
            return "closed";
        }
        final ConsensusModule.Context consensus = clusteredMediaDriver.consensusModule().context();
        return "consensus module " + ConsensusModule.State.get(consensus.moduleStateCounter()) +
            ", election " + ElectionState.get(consensus.electionStateCounter()) +
            ", role " + Cluster.Role.get(consensus.clusterNodeRoleCounter());
    }

    /**
     * The growth-triggered snapshots of this member.
     *
     * @return the trigger, or null when {@link Context#snapshotLogBytes(long)} is 0.
     */
    public SnapshotTrigger snapshotTrigger()
    {
        return snapshotTrigger;
    }

    /**
     * The purging of this member's Raft log behind the snapshots every member holds.
     *
     * @return the purger, or null when {@link Context#logPurge(boolean)} is false.
     */
    LogPurger logPurger()
    {
        return logPurger;
    }

    /**
     * Stop the service container, the consensus module, the archive and the driver, then close the logs; holds the
     * monitor {@link #joinedRole()} reads the consensus module's counters under.
     */
    public synchronized void close()
    {
        if (!isClosed.compareAndSet(false, true))
        {
            return;
        }
        try
        {
            final MemberGateway gateway = this.gateway;
            if (null != gateway)
            {
                gateway.close();
            }
            stopPurgedLogCheck();
            CloseHelper.closeAll(archiverRunner, archiveTier, tierReporter, logPurger, snapshotTrigger, container);
            service.closeMachine();
            CloseHelper.closeAll(latencyReporter, logCleaner, cleanerCounters, reportCounters, stateMachineCounters,
                aeron, clusteredMediaDriver);
        }
        finally
        {
            CloseHelper.closeAll((AutoCloseable)errorLog, directoryLock);
        }
    }

    /**
     * The member's one error handler: the distinct error log in the mark file in its directory, counted.
     *
     * @return the error handler.
     */
    public CountedErrorLog errorLog()
    {
        return errorLog;
    }

    /**
     * The client ingress endpoints of a members list, in Aeron's {@code id=host:port,...} form.
     *
     * @param members as parsed by {@link #parseMembers(String)}.
     * @return the ingress endpoints.
     */
    public static String ingressEndpoints(final List<Endpoint> members)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < members.size(); i++)
        {
            final Endpoint member = members.get(i);
            sb.append(i > 0 ? "," : "").append(i).append('=').append(member.host).append(':').append(member.port);
        }
        return sb.toString();
    }

    /**
     * Parse {@code 0=HOST:PORT,1=HOST:PORT,...}: ids from 0, in order, each with its client endpoint.
     *
     * @param members the list.
     * @return the endpoints by id.
     * @throws IllegalArgumentException naming what is wrong.
     */
    public static List<Endpoint> parseMembers(final String members)
    {
        final List<Endpoint> endpoints = new ArrayList<>();
        for (final String entry : members.split(","))
        {
            final String trimmed = entry.trim();
            final int equals = trimmed.indexOf('=');
            final int colon = trimmed.lastIndexOf(':');
            if (equals < 1 || colon < equals + 2 || colon == trimmed.length() - 1)
            {
                throw new IllegalArgumentException("member '" + trimmed + "' is not ID=HOST:PORT");
            }
            final int id;
            final int port;
            try
            {
                id = Integer.parseInt(trimmed.substring(0, equals));
                port = Integer.parseInt(trimmed.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("member '" + trimmed + "' is not ID=HOST:PORT");
            }
            if (id != endpoints.size())
            {
                throw new IllegalArgumentException("member ids must be 0, 1, 2, ... in order; found " + id +
                    " where " + endpoints.size() + " was expected");
            }
            if (port < 1 || port + MEMBER_PORT_COUNT - 1 > 65535)
            {
                throw new IllegalArgumentException("member " + id + ": port " + port + " leaves no room for its " +
                    MEMBER_PORT_COUNT + " consecutive ports");
            }
            endpoints.add(new Endpoint(trimmed.substring(equals + 1, colon), port));
        }
        return endpoints;
    }

    /**
     * A members list on loopback with {@link #MEMBER_PORT_COUNT} free consecutive UDP ports per member, for members in
     * one process (the demo, tests, benchmarks). Ports found free may be taken by someone else before they are bound.
     *
     * @param count how many members.
     * @return {@code 0=localhost:PORT,1=localhost:PORT,...}.
     * @throws IllegalStateException when no free range turns up.
     */
    public static String loopbackMembers(final int count)
    {
        final int base = freeLoopbackPorts(count * MEMBER_PORT_COUNT);
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            sb.append(i > 0 ? "," : "").append(i).append("=localhost:").append(base + i * MEMBER_PORT_COUNT);
        }
        return sb.toString();
    }

    /**
     * The first of a range of consecutive UDP ports on loopback that were free a moment ago, below the kernel's
     * ephemeral range ({@link FreePorts}).
     *
     * @param count how many ports.
     * @return the first port of the range.
     * @throws IllegalStateException when no free range turns up.
     */
    public static int freeLoopbackPorts(final int count)
    {
        return FreePorts.range(InetAddress.getLoopbackAddress(), count);
    }

    private static String[] clientEndpoints(final List<Endpoint> members)
    {
        final String[] endpoints = new String[members.size()];
        for (int i = 0; i < endpoints.length; i++)
        {
            endpoints[i] = members.get(i).host + ":" + members.get(i).port;
        }
        return endpoints;
    }

    private static String aeronMembers(final List<Endpoint> members)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < members.size(); i++)
        {
            final Endpoint m = members.get(i);
            sb.append(i > 0 ? "|" : "").append(i)
                .append(',').append(m.host).append(':').append(m.port)
                .append(',').append(m.host).append(':').append(m.port + 1)
                .append(',').append(m.host).append(':').append(m.port + 2)
                .append(',').append(m.host).append(":0")
                .append(',').append(m.host).append(':').append(m.port + 3);
        }
        return sb.toString();
    }

    /**
     * A member's client endpoint.
     *
     * @param host name or address.
     * @param port the first of the member's ports.
     */
    public record Endpoint(String host, int port)
    {
    }

    /**
     * Configuration of a member.
     */
    public static final class Context
    {
        private int memberId = -1;
        private List<Endpoint> members;
        private Path directory;
        private String aeronDirectoryName;
        private LogConfig logConfig = new LogConfig();
        private int termLength = 16 * 1024 * 1024;
        private int archiveSegmentLength = 128 * 1024 * 1024;
        private long leaderHeartbeatTimeoutNs = NodeConfiguration.LEADER_HEARTBEAT_TIMEOUT.duration();
        private long sessionTimeoutNs = NodeConfiguration.SESSION_TIMEOUT.duration();
        private Supplier<IdleStrategy> idleStrategySupplier = () -> new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
        private long snapshotLogBytes = NodeConfiguration.SNAPSHOT_LOG_BYTES.size();
        private long snapshotCheckIntervalNs = 1_000_000_000L;
        private boolean logPurge = NodeConfiguration.LOG_PURGE.bool();
        private Consumer<Cluster.Role> roleListener = (role) -> {};
        private Consumer<Throwable> failureHook = (failure) -> {};
        private Consumer<String> messageLog = System.out::println;
        private long latencyIntervalMs = BrokerConfiguration.LATENCY_INTERVAL.duration();
        private Path latencyLog = BrokerConfiguration.latencyLog();
        private int maxPartitionCounters = BrokerConfiguration.STAT_MAX_PARTITIONS.integer();
        private String archiveEndpoint;
        private Path secretFile = NodeConfiguration.secretFile();
        private byte[] secret;

        /**
         * @param file holding the secret every member shares (default {@code spindle.node.secret.file}, none): with
         *             one, members connect to the cluster's ingress with it and only members' own reports are applied
         *             (tiered segments, snapshots held); without, any client's are. Read by {@link #conclude()}.
         * @return this.
         */
        public Context secretFile(final Path file)
        {
            this.secretFile = file;
            return this;
        }

        /**
         * @param endpoint a standalone archive ({@code spindle archive}) holding the member's tier of tiered storage,
         *                 {@code HOST:PORT}; null (the default) for the archive the member runs for its Raft log.
         * @return this.
         */
        public Context archiveEndpoint(final String endpoint)
        {
            this.archiveEndpoint = endpoint;
            return this;
        }

        /**
         * @param intervalMs between publications of the stage latency histograms for {@code spindle stat --latency}
         *                   (default {@code spindle.latency.interval}, 1 s).
         * @return this.
         */
        public Context latencyIntervalMs(final long intervalMs)
        {
            this.latencyIntervalMs = intervalMs;
            return this;
        }

        /**
         * @param file an HdrHistogram interval log to append every interval's stage latency histograms to, tagged by
         *             stage, as a broker does (default {@code spindle.latency.log}, none); null for none.
         * @return this.
         */
        public Context latencyLog(final Path file)
        {
            this.latencyLog = file;
            return this;
        }

        /**
         * @param maxPartitions partitions that get log start, log end and high-water mark counters at most (default
         *                      {@code spindle.stat.max.partitions}, 1024).
         * @return this.
         */
        public Context maxPartitionCounters(final int maxPartitions)
        {
            this.maxPartitionCounters = maxPartitions;
            return this;
        }

        /**
         * @param log told what the member waits for while it starts (stale files of a crashed run), one line each.
         * @return this.
         */
        public Context messageLog(final Consumer<String> log)
        {
            this.messageLog = log;
            return this;
        }

        /**
         * @param hook told, after the member closed itself, why it stopped applying the log (a storage failure).
         * @return this.
         */
        public Context failureHook(final Consumer<Throwable> hook)
        {
            this.failureHook = hook;
            return this;
        }

        /**
         * @param listener told of every role change of the member, on its service thread.
         * @return this.
         */
        public Context roleListener(final Consumer<Cluster.Role> listener)
        {
            this.roleListener = listener;
            return this;
        }

        /**
         * Check and complete the configuration.
         *
         * @return this.
         * @throws IllegalArgumentException naming the bad value.
         */
        public Context conclude()
        {
            if (null == members || members.isEmpty())
            {
                throw new IllegalArgumentException("members must be given");
            }
            if (memberId < 0 || memberId >= members.size())
            {
                throw new IllegalArgumentException("member id " + memberId + " is not in the members list (0.." +
                    (members.size() - 1) + ")");
            }
            if (null == directory)
            {
                throw new IllegalArgumentException("the member's directory must be given");
            }
            if (null == aeronDirectoryName)
            {
                aeronDirectoryName = directory.resolve("aeron").toString();
            }
            NodeConfiguration.validate(leaderHeartbeatTimeoutNs, sessionTimeoutNs, snapshotLogBytes);
            if (latencyIntervalMs < 1)
            {
                throw new IllegalArgumentException("spindle.latency.interval must be at least 1ms, was " +
                    latencyIntervalMs + "ms");
            }
            StorageConfiguration.validate();
            logConfig = logConfig.conclude();
            final int limit = maxMessageBytesLimit(termLength);
            if (logConfig.maxMessageBytes() > limit)
            {
                throw new IllegalArgumentException("the cluster log's term length " + termLength + " carries " +
                    "requests with record batches up to " + limit + " bytes, below max.message.bytes " +
                    logConfig.maxMessageBytes() + " (the consensus module would drop larger requests silently): " +
                    "raise the term length or lower max.message.bytes");
            }
            if (null != archiveEndpoint && archiveEndpoint.lastIndexOf(':') <= 0)
            {
                throw new IllegalArgumentException("--archive must be HOST:PORT, was '" + archiveEndpoint + "'");
            }
            secret = null == secretFile ? null : MemberAuthenticator.readSecret(secretFile, messageLog);
            return this;
        }

        /**
         * @param memberId this member's id in the members list.
         * @return this.
         */
        public Context memberId(final int memberId)
        {
            this.memberId = memberId;
            return this;
        }

        /**
         * @param members {@code 0=HOST:PORT,1=HOST:PORT,...}.
         * @return this.
         */
        public Context members(final String members)
        {
            this.members = parseMembers(members);
            return this;
        }

        /**
         * @param directory the member's root directory.
         * @return this.
         */
        public Context directory(final Path directory)
        {
            this.directory = directory;
            return this;
        }

        /**
         * @param aeronDirectoryName of the member's media driver: a driver running there is used (and left running),
         *                           otherwise one is started there.
         * @return this.
         */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        /**
         * @param logConfig default log settings of topics; every member must use the same.
         * @return this.
         */
        public Context logConfig(final LogConfig logConfig)
        {
            this.logConfig = logConfig;
            return this;
        }

        /**
         * @param termLength of the driver's publications, the ingress and the log channel.
         * @return this.
         */
        public Context termLength(final int termLength)
        {
            this.termLength = termLength;
            return this;
        }

        /**
         * @param length of the archive's segment files.
         * @return this.
         */
        public Context archiveSegmentLength(final int length)
        {
            this.archiveSegmentLength = length;
            return this;
        }

        /**
         * @param timeoutNs after which followers elect a new leader; election timings are derived from it.
         * @return this.
         */
        public Context leaderHeartbeatTimeoutNs(final long timeoutNs)
        {
            this.leaderHeartbeatTimeoutNs = timeoutNs;
            return this;
        }

        /**
         * @param timeoutNs after which a silent client session is closed.
         * @return this.
         */
        public Context sessionTimeoutNs(final long timeoutNs)
        {
            this.sessionTimeoutNs = timeoutNs;
            return this;
        }

        /**
         * @param logBytes committed log bytes since the last snapshot after which the leader takes one; 0 disables
         *                 (default {@link SnapshotTrigger#LOG_BYTES_PROP_NAME}, 1 GiB).
         * @return this.
         */
        public Context snapshotLogBytes(final long logBytes)
        {
            this.snapshotLogBytes = logBytes;
            return this;
        }

        /**
         * @param logPurge whether the member purges its Raft log, whole archive segments at a time, behind the newest
         *                 snapshot every member holds (default {@code spindle.node.log.purge}, true).
         * @return this.
         */
        public Context logPurge(final boolean logPurge)
        {
            this.logPurge = logPurge;
            return this;
        }

        /**
         * @param intervalNs between checks of the log's growth since the last snapshot, and of the snapshots every
         *                   member holds (default 1 s).
         * @return this.
         */
        public Context snapshotCheckIntervalNs(final long intervalNs)
        {
            this.snapshotCheckIntervalNs = intervalNs;
            return this;
        }

        /**
         * @param supplier of the idle strategy of every agent of the member.
         * @return this.
         */
        public Context idleStrategySupplier(final Supplier<IdleStrategy> supplier)
        {
            this.idleStrategySupplier = supplier;
            return this;
        }
    }
}
