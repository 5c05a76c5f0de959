package io.spindle.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.spindle.broker.BrokerStateMachine;
import io.spindle.broker.Host;
import io.spindle.broker.TopicTable;
import io.spindle.codecs.ProtocolValidator;
import io.spindle.codecs.ValidationResult;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MemberSnapshotHeldDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.ProduceRequestDecoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.codecs.protocol.SegmentArchivedDecoder;
import io.spindle.host.StateMachineCounters;
import io.spindle.log.AppendStamp;
import io.spindle.log.LogCleaner;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import io.spindle.monitor.StageLatencies;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.HighResolutionClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The broker state machine hosted in an Aeron Cluster: every member applies the same committed commands in the same
 * order, so every member holds the same partition logs, and the commit position is the high-water mark.
 * <p>
 * Requests arrive as cluster ingress messages (one Spindle request each, its SBE header first), already committed by
 * a quorum; answers go back on the client's egress (followers' offers are no-ops). Timers are cluster timers: they
 * fire in log order on every member and are restored with the consensus module's snapshot. The service's own
 * snapshot is the state machine's ({@link BrokerStateMachine#snapshot}), the sessions' kept responses and the leader,
 * written in chunks; on restart each partition log is reconciled with it (truncated where it is ahead) before the log
 * after the snapshot is replayed.
 * <p>
 * A request is applied once per client session ({@link SessionResponses}): a client resends what a leader change left
 * unanswered, and a repeat is answered with the response kept for it. The leader and its term come from the log's
 * leadership events, so metadata is the same on every member. A new leader puts its settings in the log (a service
 * message); a member whose own settings differ stops before it could apply a command differently. Members say
 * through the log which snapshot each holds ({@code MemberSnapshotHeld}, sent by {@link LogPurger}); the lowest is
 * where every member may purge its Raft log, and the positions are part of the snapshot.
 * <p>
 * Tiered storage ({@link MemberTier}): members report the segments their own tiers hold through the log
 * ({@code SegmentArchived}), and local retention, the tier's start and retention across tiers follow those reports
 * at the same point of the log on every member; the tier state is part of the snapshot.
 * <p>
 * With a secret the members share ({@code spindle.node.secret.file}), members' reports are applied only from sessions
 * the leader authenticated as the member reporting ({@link MemberAuthenticator}); any other client's are ignored and
 * counted, alike on every member (the session's principal is in the log). Without one, anyone who reaches the ingress
 * can report.
 * <p>
 * A storage failure on one member cannot be answered (the other members would answer differently): it stops this
 * member ({@link MemberStoppedError}), and the cluster goes on with the others.
 * <p>
 * Observability reads no clock the state machine sees and changes no state: the member's counters
 * ({@link StateMachineCounters}) are copied from the state machine in {@link #doBackgroundWork(long)}, and the stage
 * latencies ({@link #LATENCY_STAGES}) are stamped with {@link System#nanoTime()} (and the wall clock, to compare
 * with the log's timestamps) on this thread, only into histograms.
 * <p>
 * <b>Time.</b> The log's timestamps and timers count the consensus module's clock's unit (nanoseconds on a
 * {@link ClusterNode}, milliseconds in a directory an earlier build made: {@link MemberClock}); the state machine
 * is handed every time in milliseconds ({@code cluster.timeUnit()} converts), so its behaviour and its snapshot
 * are the same with either unit.
 * <p>
 * <b>Threading:</b> the service container's agent thread calls everything; other threads read only
 * {@link #topicTable()} and {@link #role()}.
 */
public final class SpindleClusteredService implements ClusteredService, Host
{
    /**
     * Bytes per snapshot fragment: well below the smallest term's maximum message length.
     */
    static final int SNAPSHOT_CHUNK_LENGTH = 16 * 1024;
    private static final int SNAPSHOT_HEADER_LENGTH = 8;
    private static final int SNAPSHOT_MAGIC = 0x53505353;
    private static final int SNAPSHOT_TRAILER_LENGTH = 12;
    private static final int CONFIG_MAGIC = 0x53434647;
    private static final int HELD_SNAPSHOTS_MAGIC = 0x53485344;

    /**
     * A member's latency stages, for {@code spindle stat --latency}: the broker's three (a produce request taken
     * off the committed log by this service to its last batch appended, that append to its answer offered to the
     * client's egress, on the leader only, and an append to its records pushed to a waiting consumer by the member's
     * fetch server), then {@code ingress-committed}: from the cluster timestamp of the request (the leader's
     * nanosecond clock when its consensus module appended the ingress message to the log) to this service taking it
     * off the committed log, which covers replication, the quorum's commit and the service's polling (on a follower
     * the difference of the two hosts' wall clocks adds in), and {@code committed-applied}: from taking it off the log
     * to the state machine having applied it (appended, and answered on the leader).
     */
    static final String[] LATENCY_STAGES = {
        "received-appended", "appended-acknowledged", "appended-pushed", "ingress-committed", "committed-applied" };

    /**
     * Stage: the leader's log timestamp of a produce request to this member's service polling it, committed.
     */
    static final int INGRESS_TO_COMMITTED = 3;

    /**
     * Stage: a produce request polled from the committed log to applied by the state machine.
     */
    static final int COMMITTED_TO_APPLIED = 4;

    /**
     * How often the host's wall clock offset from {@link System#nanoTime()} is sampled again for
     * {@link #INGRESS_TO_COMMITTED} (an {@link java.time.Instant} each time, none per request).
     */
    private static final long EPOCH_SAMPLE_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private static final long COUNTERS_UPDATE_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Path dataDir;
    private final int memberId;
    private final String endpoint;
    private final LogConfig logConfig;
    private final int minSessionTimeoutMs;
    private final int maxSessionTimeoutMs;
    private final ProtocolValidator validator = new ProtocolValidator();
    private final SessionResponses sessionResponses = new SessionResponses();
    private final SessionResponses.Resender resender = this::offerResponse;
    private final ExpandableArrayBuffer snapshotBuffer = new ExpandableArrayBuffer(64 * 1024);
    private final ExpandableArrayBuffer restoreBuffer = new ExpandableArrayBuffer(64 * 1024);
    private final UnsafeBuffer snapshotHeader = new UnsafeBuffer(new byte[SNAPSHOT_HEADER_LENGTH]);
    private Cluster cluster;
    private IdleStrategy idleStrategy;
    private BrokerStateMachine machine;
    private volatile BrokerStateMachine publishedMachine;
    private volatile Cluster.Role role = Cluster.Role.FOLLOWER;
    private volatile byte[] lastSnapshot;
    private Consumer<Cluster.Role> roleListener = (role) -> {};
    private Consumer<Throwable> failureListener = (failure) -> {};
    private volatile Throwable failure;
    private int maxMessageBytesLimit = Integer.MAX_VALUE;
    private volatile long lastSnapshotLogPosition = -1;
    private int restoredLength = -1;
    private int restoreExpectedLength = -1;
    private String[] memberEndpoints;
    private int leaderId = -1;
    private int leaderEpoch = -1;
    private LongSupplier readerTableVersion = () -> Long.MAX_VALUE;
    private LongSupplier tierTableVersion = () -> Long.MAX_VALUE;
    private MemberTier tier;
    private MemberTier.SegmentFetcher segmentFetcher;
    private final UnsafeBuffer configMessage = new UnsafeBuffer(new byte[4096]);
    private boolean announcePending;
    private final MemberSnapshotHeldDecoder snapshotHeldDecoder = new MemberSnapshotHeldDecoder();
    private final SegmentArchivedDecoder segmentArchivedDecoder = new SegmentArchivedDecoder();
    private boolean memberReportsAuthenticated;
    private volatile long unauthenticatedReports;
    private Consumer<String> unauthenticatedReportLog = (message) -> {};
    private MemberReportCounters reportCounters;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private AtomicLongArray heldSnapshotPositions = new AtomicLongArray(0);
    private volatile long purgeableLogPosition = -1;
    private volatile StageLatencies latencies;
    private StateMachineCounters counters;
    private LogCleaner logCleaner;
    private long nextCountersUpdateNs;
    private long produceReceivedNs = AppendStamp.NULL_TIME;
    private long produceAppendedNs = AppendStamp.NULL_TIME;
    private long epochOffsetNs;
    private long nextEpochSampleNs = System.nanoTime();

    /**
     * A service over a member's data directory.
     *
     * @param dataDir             where the member's partition logs live.
     * @param memberId            of the member, for metadata.
     * @param endpoint            host:port clients reach this member on, for metadata.
     * @param logConfig           log settings of topics that do not override them; every member must pass the same.
     * @param minSessionTimeoutMs shortest group session timeout; every member must pass the same.
     * @param maxSessionTimeoutMs longest group session timeout; every member must pass the same.
     */
    public SpindleClusteredService(
        final Path dataDir,
        final int memberId,
        final String endpoint,
        final LogConfig logConfig,
        final int minSessionTimeoutMs,
        final int maxSessionTimeoutMs)
    {
        this.dataDir = dataDir;
        this.memberId = memberId;
        this.endpoint = endpoint;
        this.logConfig = logConfig;
        this.minSessionTimeoutMs = minSessionTimeoutMs;
        this.maxSessionTimeoutMs = maxSessionTimeoutMs;
        this.tier = new MemberTier(memberId, 1, dataDir.resolveSibling("tier"));
    }

    /**
     * The member's topics, for readers on other threads (a fetch server, tests).
     *
     * @return the latest published table, empty before the service started.
     */
    public TopicTable topicTable()
    {
        final BrokerStateMachine machine = publishedMachine;
        return null == machine ? TopicTable.EMPTY : machine.topicTable();
    }

    /**
     * The member's role as the consensus module last reported it.
     *
     * @return the role.
     */
    public Cluster.Role role()
    {
        return role;
    }

    /**
     * {@inheritDoc}
     */
    public void onStart(final Cluster cluster, final Image snapshotImage)
    {
        this.cluster = cluster;
        this.idleStrategy = cluster.idleStrategy();
        machine = new BrokerStateMachine(
            dataDir, memberId, endpoint, logConfig, minSessionTimeoutMs, maxSessionTimeoutMs, this)
            .maxMessageBytesLimit(maxMessageBytesLimit);
        if (null != memberEndpoints)
        {
            machine.members(memberEndpoints);
        }
        if (null != snapshotImage)
        {
            loadSnapshot(snapshotImage);
            restoredLength = tier.restore(restoreBuffer, restoredLength);
            final int trailer = heldSnapshotsOffset() - SNAPSHOT_TRAILER_LENGTH;
            final int machineLength = restoreBuffer.getInt(trailer);
            leaderId = restoreBuffer.getInt(trailer + 4);
            leaderEpoch = restoreBuffer.getInt(trailer + 8);
            machine.restore(restoreBuffer, 0, machineLength, toMillis(cluster.time()), true);
            sessionResponses.restore(restoreBuffer, machineLength, trailer);
            restoreHeldSnapshots();
            machine.leader(leaderId, leaderEpoch);
            tier.sync(machine.topicTable());
            tier.rebuildActiveSegments(segmentFetcher, toMillis(cluster.time()));
        }
        else
        {
            // No snapshot: the whole log is replayed from the start, so no partition file may survive.
            machine.deleteUnknownPartitionDirectories();
        }
        publishedMachine = machine;
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionOpen(final ClientSession session, final long timestamp)
    {
        checkNotStopped();
        announceIfPending();
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionClose(final ClientSession session, final long timestamp, final CloseReason closeReason)
    {
        checkNotStopped();
        sessionResponses.onSessionClosed(session.id());
    }

    /**
     * {@inheritDoc}
     * <p>
     * The leader and its term, in log order on every member: metadata names them.
     */
    public void onNewLeadershipTermEvent(
        final long leadershipTermId,
        final long logPosition,
        final long timestamp,
        final long termBaseLogPosition,
        final int leaderMemberId,
        final int logSessionId,
        final TimeUnit timeUnit,
        final int appVersion)
    {
        checkNotStopped();
        leaderId = leaderMemberId;
        leaderEpoch = (int)leadershipTermId;
        machine.leader(leaderId, leaderEpoch);
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionMessage(
        final ClientSession session,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header)
    {
        checkNotStopped();
        announceIfPending();
        try
        {
            applySessionMessage(session, timestamp, buffer, offset, length);
            tier.sync(machine.topicTable());
        }
        catch (final Throwable ex)
        {
            throw stop(ex);
        }
    }

    private void applySessionMessage(
        final ClientSession session, final long timestamp, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (null == session)
        {
            onServiceMessage(buffer, offset, length);
            return;
        }

        final long sessionId = session.id();
        if (ValidationResult.OK != validator.validate(buffer, offset, length))
        {
            machine.sendError(sessionId, validator.correlationId(), validator.templateId(), validator.errorCode(),
                "cluster ingress: " + validator.reason());
            return;
        }

        final int templateId = validator.templateId();
        final long correlationId = validator.correlationId();
        if (MemberSnapshotHeldDecoder.TEMPLATE_ID == templateId)
        {
            if (isFromReportingMember(session,
                snapshotHeldDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder).memberId()))
            {
                onMemberSnapshotHeld(buffer, offset);
            }
            return;
        }
        if (SegmentArchivedDecoder.TEMPLATE_ID == templateId)
        {
            if (isFromReportingMember(session,
                segmentArchivedDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder).memberId()))
            {
                tier.onSegmentArchived(buffer, offset);
            }
            return;
        }
        if (sessionResponses.isDuplicate(sessionId, correlationId, resender))
        {
            return;
        }
        sessionResponses.onApply(sessionId, correlationId);
        final StageLatencies latencies = ProduceRequestDecoder.TEMPLATE_ID == templateId ? this.latencies : null;
        if (null != latencies)
        {
            // Host side only: these readings feed histograms, the state machine never sees them.
            final long polledNs = System.nanoTime();
            latencies.record(INGRESS_TO_COMMITTED, epochNanos(polledNs) - cluster.timeUnit().toNanos(timestamp));
            produceReceivedNs = polledNs;
            produceAppendedNs = AppendStamp.NULL_TIME;
        }
        final boolean isHandled = machine.onRequest(
            sessionId, templateId, buffer, offset, length, toMillis(timestamp));
        if (null != latencies)
        {
            latencies.record(COMMITTED_TO_APPLIED, System.nanoTime() - produceReceivedNs);
            if (AppendStamp.NULL_TIME != produceAppendedNs)
            {
                latencies.record(StageLatencies.RECEIVED_TO_APPENDED, produceAppendedNs - produceReceivedNs);
            }
            produceReceivedNs = AppendStamp.NULL_TIME;
            produceAppendedNs = AppendStamp.NULL_TIME;
        }
        if (!isHandled)
        {
            machine.sendError(sessionId, validator.correlationId(), templateId, ErrorCode.UNSUPPORTED_MESSAGE,
                "the cluster does not serve template " + templateId);
        }
    }

    /**
     * Whether a member's report may be applied: always without a secret; with one, only from a session the leader
     * authenticated as the member the report is about. Decided from the session's principal, which the log carries,
     * so alike on every member; an ignored report is counted and said in the error log.
     */
    private boolean isFromReportingMember(final ClientSession session, final int reportedMemberId)
    {
        if (!memberReportsAuthenticated ||
            MemberAuthenticator.principalMemberId(session.encodedPrincipal()) == reportedMemberId)
        {
            return true;
        }
        unauthenticatedReports = unauthenticatedReports + 1;
        // The same few texts however many arrive, so that the distinct error log counts them rather than fills up.
        final boolean isMember = reportedMemberId >= 0 && reportedMemberId < heldSnapshotPositions.length();
        unauthenticatedReportLog.accept("ignored a report about member " +
            (isMember ? Integer.toString(reportedMemberId) : "(not in the cluster)") + " from a cluster session " +
            "that is not that member's (no member credentials): only members' own reports are applied");
        return false;
    }

    /**
     * Apply members' reports ({@code SegmentArchived}, {@code MemberSnapshotHeld}) only from sessions authenticated
     * as the member reporting ({@link MemberAuthenticator}), which members with {@code spindle.node.secret.file} are;
     * every member must say the same (it is part of {@link #configuration()}). Set before the service starts.
     *
     * @param isAuthenticated true when the members share a secret.
     * @return this.
     */
    SpindleClusteredService memberReportsAuthenticated(final boolean isAuthenticated)
    {
        this.memberReportsAuthenticated = isAuthenticated;
        return this;
    }

    /**
     * Where a member report that is ignored for coming from a session not authenticated as that member is told.
     *
     * @param log told once per ignored report, on the service thread.
     * @return this.
     */
    SpindleClusteredService unauthenticatedReportLog(final Consumer<String> log)
    {
        this.unauthenticatedReportLog = log;
        return this;
    }

    /**
     * Member reports ignored because their session was not authenticated as the member reporting (a client without
     * the members' secret, or a member reporting for another), with {@code spindle.node.secret.file} set.
     *
     * @return the count since this member started, replayed log included.
     */
    long unauthenticatedReports()
    {
        return unauthenticatedReports;
    }

    /**
     * {@inheritDoc}
     */
    public void onTimerEvent(final long correlationId, final long timestamp)
    {
        checkNotStopped();
        announceIfPending();
        try
        {
            machine.onTimer(correlationId, toMillis(timestamp));
            tier.sync(machine.topicTable());
            if (BrokerStateMachine.RETENTION_TIMER_ID == correlationId)
            {
                tier.onRetention(machine.timeMs());
            }
        }
        catch (final Throwable ex)
        {
            throw stop(ex);
        }
    }

    /**
     * Why this member stopped applying the log, or null while it applies it.
     *
     * @return the failure, or null.
     */
    public Throwable failure()
    {
        return failure;
    }

    /**
     * Be told, once, on the service thread, when this member stops applying the log (a storage failure, an
     * exception from the state machine); the node then closes the member. Must not block.
     *
     * @param listener given the failure.
     * @return this.
     */
    public SpindleClusteredService failureListener(final Consumer<Throwable> listener)
    {
        this.failureListener = listener;
        return this;
    }

    /**
     * A command that could not be applied leaves this member's state unlike the other members': it must apply
     * nothing more and take no snapshot. The log adapter counts and skips an {@link Exception} escaping a callback,
     * and the agent goes on after an {@link Error}, so every later callback refuses too, and the node is told to
     * close the member.
     */
    private MemberStoppedError stop(final Throwable ex)
    {
        final MemberStoppedError stopped = ex instanceof MemberStoppedError ? (MemberStoppedError)ex :
            new MemberStoppedError("member " + memberId + " stopped: a command failed: " + ex, ex);
        if (null == failure)
        {
            failure = stopped;
            failureListener.accept(stopped);
        }
        return stopped;
    }

    private void checkNotStopped()
    {
        final Throwable failure = this.failure;
        if (null != failure)
        {
            throw new MemberStoppedError("member " + memberId + " has stopped applying the log", failure);
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * Written as an 8-byte header (magic, total length) and then, in chunks: the state machine's snapshot, the
     * sessions' kept responses, and a trailer (the machine snapshot's length, the leader and its term); every
     * partition is forced to the device first: the positions the snapshot records must not be ahead of the data.
     */
    public void onTakeSnapshot(final ExclusivePublication snapshotPublication)
    {
        checkNotStopped();
        try
        {
            machine.flush(System.currentTimeMillis());
        }
        catch (final RuntimeException ex)
        {
            throw stop(ex);
        }
        final int machineLength = machine.snapshot(snapshotBuffer);
        final int trailer = sessionResponses.snapshot(snapshotBuffer, machineLength);
        snapshotBuffer.putInt(trailer, machineLength);
        snapshotBuffer.putInt(trailer + 4, leaderId);
        snapshotBuffer.putInt(trailer + 8, leaderEpoch);
        final int length = tier.snapshot(snapshotBuffer, snapshotHeldSnapshots(trailer + SNAPSHOT_TRAILER_LENGTH));
        final byte[] copy = new byte[length];
        snapshotBuffer.getBytes(0, copy);
        snapshotHeader.putInt(0, SNAPSHOT_MAGIC);
        snapshotHeader.putInt(4, length);
        offer(snapshotPublication, snapshotHeader, 0, SNAPSHOT_HEADER_LENGTH);
        for (int position = 0; position < length; position += SNAPSHOT_CHUNK_LENGTH)
        {
            offer(snapshotPublication, snapshotBuffer, position, Math.min(SNAPSHOT_CHUNK_LENGTH, length - position));
        }
        lastSnapshot = copy;
        lastSnapshotLogPosition = cluster.logPosition();
    }

    /**
     * The state this member wrote in its last snapshot, for tools and tests comparing members.
     *
     * @return a copy of the snapshot bytes, or null before the first snapshot.
     */
    public byte[] lastSnapshot()
    {
        return lastSnapshot;
    }

    /**
     * The log position of the last snapshot this member took.
     *
     * @return the position, or -1 before the first snapshot.
     */
    public long lastSnapshotLogPosition()
    {
        return lastSnapshotLogPosition;
    }

    /**
     * A member holds a complete snapshot at a log position (it says so through the log, so every member learns it at
     * the same point): positions only go up, and no snapshot can be ahead of the log that carries the message.
     */
    private void onMemberSnapshotHeld(final DirectBuffer buffer, final int offset)
    {
        snapshotHeldDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final int member = snapshotHeldDecoder.memberId();
        final long position = snapshotHeldDecoder.logPosition();
        if (member < 0 || member >= heldSnapshotPositions.length() || position < 0 ||
            position > cluster.logPosition() || position <= heldSnapshotPositions.get(member))
        {
            return;
        }
        heldSnapshotPositions.set(member, position);
        updatePurgeableLogPosition();
    }

    private void updatePurgeableLogPosition()
    {
        long min = heldSnapshotPositions.length() > 0 ? Long.MAX_VALUE : -1;
        for (int i = 0; i < heldSnapshotPositions.length(); i++)
        {
            min = Math.min(min, heldSnapshotPositions.get(i));
        }
        purgeableLogPosition = min;
    }

    /**
     * The log position of the newest snapshot a member has said, through the log, that it holds.
     *
     * @param memberId the member.
     * @return the position, or -1 before the member said so (or for a member not in the cluster).
     */
    public long heldSnapshotPosition(final int memberId)
    {
        return memberId >= 0 && memberId < heldSnapshotPositions.length() ? heldSnapshotPositions.get(memberId) : -1;
    }

    /**
     * The log position every member holds a snapshot at or beyond: below it no member needs the Raft log, neither to
     * restart from its own snapshot nor to catch up from another member's log.
     *
     * @return the lowest of the members' held snapshot positions, or -1 while some member has not said.
     */
    public long purgeableLogPosition()
    {
        return purgeableLogPosition;
    }

    /**
     * Appended after the trailer: each member's held snapshot position, their count and a magic, so that a snapshot
     * written before these existed (ending in the trailer) still restores.
     */
    private int snapshotHeldSnapshots(final int offset)
    {
        final int count = heldSnapshotPositions.length();
        for (int i = 0; i < count; i++)
        {
            snapshotBuffer.putLong(offset + i * 8, heldSnapshotPositions.get(i));
        }
        snapshotBuffer.putInt(offset + count * 8, count);
        snapshotBuffer.putInt(offset + count * 8 + 4, HELD_SNAPSHOTS_MAGIC);
        return offset + count * 8 + 8;
    }

    private boolean hasHeldSnapshots()
    {
        return restoredLength >= SNAPSHOT_TRAILER_LENGTH + 8 &&
            HELD_SNAPSHOTS_MAGIC == restoreBuffer.getInt(restoredLength - 4);
    }

    private int heldSnapshotsOffset()
    {
        return hasHeldSnapshots() ? restoredLength - 8 - restoreBuffer.getInt(restoredLength - 8) * 8 : restoredLength;
    }

    private void restoreHeldSnapshots()
    {
        if (!hasHeldSnapshots())
        {
            return;
        }
        final int offset = heldSnapshotsOffset();
        final int count = Math.min(restoreBuffer.getInt(restoredLength - 8), heldSnapshotPositions.length());
        for (int i = 0; i < count; i++)
        {
            heldSnapshotPositions.set(i, restoreBuffer.getLong(offset + i * 8));
        }
        updatePurgeableLogPosition();
    }

    /**
     * {@inheritDoc}
     */
    public void onRoleChange(final Cluster.Role newRole)
    {
        role = newRole;
        roleListener.accept(newRole);
        // Sending is allowed only while applying the log: the next command or timer on this member sends it.
        announcePending = Cluster.Role.LEADER == newRole;
    }

    /**
     * The settings that decide what a command does (log defaults from each member's {@code spindle.log.*}
     * properties, group session bounds, the largest message a topic may allow), as text every member compares.
     *
     * @return the settings, one {@code key=value} per line, in a fixed order.
     */
    public String configuration()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Map.Entry<String, String> entry : new TreeMap<>(logConfig.toMap()).entrySet())
        {
            sb.append(entry.getKey()).append('=').append(entry.getValue()).append('\n');
        }
        sb.append("group.min.session.timeout.ms=").append(minSessionTimeoutMs).append('\n');
        sb.append("group.max.session.timeout.ms=").append(maxSessionTimeoutMs).append('\n');
        sb.append("max.message.bytes.limit=").append(maxMessageBytesLimit).append('\n');
        if (memberReportsAuthenticated)
        {
            // Only when set: a cluster without a secret announces what it did before, and replays its old log.
            sb.append("member.reports=authenticated\n");
        }
        return sb.toString();
    }

    private void announceIfPending()
    {
        if (announcePending && Cluster.Role.LEADER == role)
        {
            announcePending = false;
            announceConfiguration();
        }
    }

    /**
     * A new leader puts its configuration in the log; every member applying it compares it with its own and stops
     * when they differ, before it could apply a command differently (members must agree, and nothing else checks).
     */
    private void announceConfiguration()
    {
        final byte[] text = configuration().getBytes(StandardCharsets.UTF_8);
        configMessage.putInt(0, CONFIG_MAGIC);
        configMessage.putInt(4, memberId);
        configMessage.putInt(8, text.length);
        configMessage.putBytes(12, text);
        idleStrategy.reset();
        while (true)
        {
            final long result = cluster.offer(configMessage, 0, 12 + text.length);
            if (result > 0 || (Publication.BACK_PRESSURED != result && Publication.ADMIN_ACTION != result))
            {
                return;
            }
            idleStrategy.idle();
        }
    }

    private void onServiceMessage(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < 12 || buffer.getInt(offset) != CONFIG_MAGIC)
        {
            return;
        }
        final int from = buffer.getInt(offset + 4);
        final String announced = buffer.getStringWithoutLengthUtf8(offset + 12, buffer.getInt(offset + 8));
        final String own = configuration();
        if (!own.equals(announced))
        {
            throw new IllegalStateException("member " + memberId + "'s configuration differs from leader " + from +
                "'s; every member must run with the same spindle.log.* settings, and spindle.node.secret.file set on " +
                "all or none. Leader's:\n" + announced +
                "this member's:\n" + own);
        }
    }

    /**
     * The largest {@code max.message.bytes} a topic may have: what one request can carry through the cluster's log.
     *
     * @param limitBytes the limit, the same on every member.
     * @return this.
     */
    public SpindleClusteredService maxMessageBytesLimit(final int limitBytes)
    {
        this.maxMessageBytesLimit = limitBytes;
        return this;
    }

    /**
     * Every member's client endpoint, by member id, for metadata; the same on every member.
     *
     * @param endpoints {@code HOST:PORT} of each member.
     * @return this.
     */
    public SpindleClusteredService members(final String[] endpoints)
    {
        this.memberEndpoints = endpoints.clone();
        final AtomicLongArray held = new AtomicLongArray(endpoints.length);
        for (int i = 0; i < endpoints.length; i++)
        {
            held.set(i, -1);
        }
        this.heldSnapshotPositions = held;
        this.tier = new MemberTier(memberId, endpoints.length, dataDir.resolveSibling("tier"));
        return this;
    }

    /**
     * The member's tiered storage state: replicated (applied in log order, in the snapshot) and followed by the
     * member's archiver; set the members first.
     *
     * @return the tier.
     */
    MemberTier tier()
    {
        return tier;
    }

    /**
     * How this member reads one of its archived segments back, blocking, at restore
     * ({@link MemberTier#rebuildActiveSegments}); set before the service starts.
     *
     * @param fetcher the member's tier.
     * @return this.
     */
    SpindleClusteredService segmentFetcher(final MemberTier.SegmentFetcher fetcher)
    {
        this.segmentFetcher = fetcher;
        return this;
    }

    /**
     * The oldest topic table the member's archiver may still hold, so that the files of a deleted topic are released
     * only once it no longer reads them either.
     *
     * @param version supplies the archiver's observed table version.
     * @return this.
     */
    SpindleClusteredService tierTableVersion(final LongSupplier version)
    {
        this.tierTableVersion = version;
        return this;
    }

    /**
     * The oldest topic table a reader on another thread (the member's fetch server) may still hold, so that the
     * files of a deleted topic are released only once nobody reads them.
     *
     * @param version supplies the reader's observed table version.
     * @return this.
     */
    public SpindleClusteredService readerTableVersion(final LongSupplier version)
    {
        this.readerTableVersion = version;
        return this;
    }

    /**
     * Requests applied already that arrived again (resent after a leader change) and were answered from the
     * session's kept responses.
     *
     * @return the count since this member started.
     */
    public long duplicateRequestsAnswered()
    {
        return sessionResponses.duplicatesAnswered();
    }

    /**
     * Be told of every role change, on the service thread (the node prints them).
     *
     * @param listener called with each new role; must not block.
     * @return this.
     */
    public SpindleClusteredService roleListener(final Consumer<Cluster.Role> listener)
    {
        this.roleListener = listener;
        return this;
    }

    /**
     * {@inheritDoc}
     */
    public void onTerminate(final Cluster cluster)
    {
        closeMachine();
    }

    /**
     * {@inheritDoc}
     * <p>
     * Housekeeping on the local clock that no command can observe: interval flushes, unmapping deleted segments.
     */
    public int doBackgroundWork(final long nowNs)
    {
        final BrokerStateMachine machine = this.machine;
        if (null == machine)
        {
            return 0;
        }
        int workCount = 0;
        if (null != counters && nowNs - nextCountersUpdateNs >= 0)
        {
            nextCountersUpdateNs = nowNs + COUNTERS_UPDATE_INTERVAL_NS;
            counters.update(machine, nowNs);
            if (null != reportCounters)
            {
                reportCounters.update(unauthenticatedReports, tier.implausibleReports());
            }
            workCount++;
        }
        return workCount + machine.onTick(System.currentTimeMillis()) +
            machine.reclaimDeleted(Math.min(readerTableVersion.getAsLong(), tierTableVersion.getAsLong()));
    }

    /**
     * Keep the member's state machine counters (requests by type, produced records and bytes, errors by code,
     * groups, per partition its offsets) from this service's thread, every 10 ms; set before the service starts.
     *
     * @param counters allocated on the member's driver, or null for none.
     * @return this.
     */
    public SpindleClusteredService counters(final StateMachineCounters counters)
    {
        this.counters = counters;
        return this;
    }

    /**
     * Keep the member's report counters (reports ignored as unauthenticated or implausible) from this service's
     * thread, with the state machine's; set before the service starts.
     *
     * @param counters allocated on the member's driver, or null for none.
     * @return this.
     */
    SpindleClusteredService reportCounters(final MemberReportCounters counters)
    {
        this.reportCounters = counters;
        return this;
    }

    /**
     * Record the member's stage latencies ({@link #LATENCY_STAGES}) from now on; a member starts once it has
     * joined, so that the log it replays at start is not measured.
     *
     * @param latencies where to record, or null to stop.
     * @return this.
     */
    public SpindleClusteredService latencies(final StageLatencies latencies)
    {
        this.latencies = latencies;
        return this;
    }

    /**
     * The cleaner the member's compacted partitions run their cleanings on, counted in the member's counters; set
     * before the service starts.
     *
     * @param logCleaner the member's own cleaner, or null for the process-wide one.
     * @return this.
     */
    public SpindleClusteredService logCleaner(final LogCleaner logCleaner)
    {
        this.logCleaner = logCleaner;
        return this;
    }

    /**
     * {@inheritDoc}
     */
    public LogCleaner logCleaner()
    {
        return null != logCleaner ? logCleaner : LogCleaner.shared();
    }

    /**
     * {@inheritDoc}
     * <p>
     * Stamps the append for the latency stages, on the host's clock only.
     */
    public void onAppended(final PartitionLog log)
    {
        if (null != latencies)
        {
            final long nowNs = System.nanoTime();
            if (AppendStamp.NULL_TIME != produceReceivedNs)
            {
                produceAppendedNs = nowNs;
            }
            log.appendStamp().stamp(log.logEndOffset(), nowNs);
        }
    }

    /**
     * A cluster time (the log's timestamps and timers, in the consensus module's clock's unit, nanoseconds on a
     * {@link ClusterNode}) as the state machine takes every time: milliseconds, so neither its behaviour nor its
     * snapshot depends on the clock's resolution.
     */
    private long toMillis(final long clusterTime)
    {
        return cluster.timeUnit().toMillis(clusterTime);
    }

    /**
     * The host's wall clock in nanoseconds since the epoch, as the leader's cluster clock reads it, at a
     * {@link System#nanoTime()} reading: from an offset sampled again every {@link #EPOCH_SAMPLE_INTERVAL_NS}.
     */
    private long epochNanos(final long nowNs)
    {
        if (nowNs - nextEpochSampleNs >= 0)
        {
            nextEpochSampleNs = nowNs + EPOCH_SAMPLE_INTERVAL_NS;
            epochOffsetNs = HighResolutionClock.epochNanos() - System.nanoTime();
        }
        return nowNs + epochOffsetNs;
    }

    /**
     * Close the partition logs; the container calls {@link #onTerminate} on a clean shutdown, a node closing its
     * members calls this for the rest.
     */
    public void closeMachine()
    {
        final BrokerStateMachine machine = this.machine;
        this.machine = null;
        publishedMachine = null;
        if (null != machine)
        {
            machine.close();
        }
    }

    /**
     * {@inheritDoc}
     */
    public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
    {
        sessionResponses.onResponse(sessionId, buffer, offset, length);
        offerResponse(sessionId, buffer, offset, length);
        final StageLatencies latencies = this.latencies;
        if (null != latencies && AppendStamp.NULL_TIME != produceAppendedNs && Cluster.Role.LEADER == role &&
            ProduceResponseDecoder.TEMPLATE_ID == headerDecoder.wrap(buffer, offset).templateId())
        {
            latencies.record(StageLatencies.APPENDED_TO_ACKNOWLEDGED, System.nanoTime() - produceAppendedNs);
        }
    }

    private void offerResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
    {
        final ClientSession session = cluster.getClientSession(sessionId);
        if (null == session)
        {
            return;
        }

        idleStrategy.reset();
        while (true)
        {
            final long result = session.offer(buffer, offset, length);
            if (result > 0 || Publication.NOT_CONNECTED == result || Publication.CLOSED == result ||
                Publication.MAX_POSITION_EXCEEDED == result)
            {
                return;
            }
            idleStrategy.idle();
        }
    }

    /**
     * {@inheritDoc}
     */
    public void scheduleTimer(final long correlationId, final long deadlineMs)
    {
        idleStrategy.reset();
        final long deadline = cluster.timeUnit().convert(deadlineMs, TimeUnit.MILLISECONDS);
        while (!cluster.scheduleTimer(correlationId, deadline))
        {
            idleStrategy.idle();
        }
    }

    /**
     * {@inheritDoc}
     */
    public void cancelTimer(final long correlationId)
    {
        idleStrategy.reset();
        while (!cluster.cancelTimer(correlationId))
        {
            idleStrategy.idle();
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * Cluster timers are part of the consensus module's snapshot.
     */
    public boolean timersSurviveRestore()
    {
        return true;
    }

    /**
     * {@inheritDoc}
     * <p>
     * Fail-stop: this member cannot apply the command as the others do, so it must not go on.
     */
    public void onStorageFailure(final String what, final Throwable cause)
    {
        throw new MemberStoppedError("storage failure on member " + memberId + ": " + what, cause);
    }

    private void loadSnapshot(final Image image)
    {
        restoredLength = -1;
        restoreExpectedLength = -1;
        final FragmentHandler handler = this::onSnapshotFragment;
        idleStrategy.reset();
        while (restoredLength != restoreExpectedLength || restoreExpectedLength < 0)
        {
            final int fragments = image.poll(handler, 16);
            if (0 == fragments)
            {
                if (image.isEndOfStream() || image.isClosed())
                {
                    throw new IllegalStateException("snapshot ended after " + Math.max(0, restoredLength) + " of " +
                        restoreExpectedLength + " bytes");
                }
                idleStrategy.idle();
            }
        }
    }

    private void onSnapshotFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (restoreExpectedLength < 0)
        {
            if (length != SNAPSHOT_HEADER_LENGTH || buffer.getInt(offset) != SNAPSHOT_MAGIC)
            {
                throw new IllegalStateException("not a Spindle service snapshot");
            }
            restoreExpectedLength = buffer.getInt(offset + 4);
            restoredLength = 0;
            return;
        }
        restoreBuffer.putBytes(restoredLength, buffer, offset, length);
        restoredLength += length;
    }

    private void offer(final ExclusivePublication publication, final DirectBuffer buffer, final int offset,
        final int length)
    {
        idleStrategy.reset();
        while (true)
        {
            final long result = publication.offer(buffer, offset, length);
            if (result > 0)
            {
                return;
            }
            if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result ||
                Publication.NOT_CONNECTED == result)
            {
                throw new IllegalStateException("snapshot publication failed: " + Publication.errorString(result));
            }
            idleStrategy.idle();
        }
    }
}
