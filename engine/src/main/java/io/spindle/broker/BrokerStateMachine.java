package io.spindle.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseEncoder;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.codecs.protocol.ListOffsetsRequestDecoder;
import io.spindle.codecs.protocol.ListOffsetsResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.MetadataRequestDecoder;
import io.spindle.codecs.protocol.MetadataResponseEncoder;
import io.spindle.codecs.protocol.ProduceRequestDecoder;
import io.spindle.codecs.protocol.ProduceResponseEncoder;
import io.spindle.log.LogConfig;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * The broker's state as a deterministic command processor: topics and their partition logs (kept in {@link Topics},
 * administered through {@link TopicAdmin}), produce, consumer groups and committed offsets (through
 * {@link GroupCoordinator}), transactions (through {@link TransactionCoordinator}), retention on its timer, the
 * snapshot of it all, and the queries answered from that state.
 * <p>
 * A command's effect depends only on the state, the command and the time the host passes in — never
 * the wall clock, randomness or thread timing — so the standalone host and the Aeron Cluster host
 * apply the same commands to the same code and reach the same state. The host hands each request to
 * {@link #onRequest}; answers go back through {@link Host#sendResponse}.
 * <p>
 * <b>Threading:</b> one thread (the host's) calls everything here. Other threads read topics only
 * through {@link #topicTable()}, republished after every topic change, and the partition logs'
 * published high-water marks.
 */
public final class BrokerStateMachine implements AutoCloseable
{
    private static final int SNAPSHOT_MAGIC = 0x53504e44;
    private static final int SNAPSHOT_VERSION = 5;
    private static final int SNAPSHOT_VERSION_CLIENT_IDS = 5;
    private static final int SNAPSHOT_VERSION_PRODUCERS = 4;
    private static final int SNAPSHOT_VERSION_POSITIONS = 3;
    private static final int SNAPSHOT_VERSION_GROUPS = 2;
    private static final int SNAPSHOT_VERSION_TOPICS_ONLY = 1;
    private static final long NOT_ARMED = Long.MIN_VALUE;

    /**
     * How often retention (retention.ms, retention.bytes) is applied to every partition, on the host's clock.
     */
    public static final long RETENTION_CHECK_INTERVAL_MS = 1_000;

    /**
     * Correlation id of the retention timer; the group coordinator's timer ids count up from 1.
     */
    public static final long RETENTION_TIMER_ID = 0;

    /**
     * Default shortest session timeout a group member may ask for.
     */
    public static final int DEFAULT_MIN_SESSION_TIMEOUT_MS = 500;

    /**
     * Default longest session timeout a group member may ask for.
     */
    public static final int DEFAULT_MAX_SESSION_TIMEOUT_MS = 1_800_000;

    private final int nodeId;
    private final String endpoint;
    private String[] memberEndpoints;
    private int leaderId;
    private int leaderEpoch;
    private final Host host;
    private long nextTimerId = 1;
    private long retentionDeadlineMs = NOT_ARMED;
    private boolean rearmRetention;
    private long lastNowMs = Long.MIN_VALUE;
    private final Topics registry;
    private final TopicAdmin topicAdmin;
    private final GroupCoordinator groupCoordinator;
    private final ProducerStates producerStates;
    private final TransactionCoordinator transactionCoordinator;

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ProduceRequestDecoder produceDecoder = new ProduceRequestDecoder();
    private final ProduceResponseEncoder produceEncoder = new ProduceResponseEncoder();
    private final MetadataRequestDecoder metadataDecoder = new MetadataRequestDecoder();
    private final MetadataResponseEncoder metadataEncoder = new MetadataResponseEncoder();
    private final ListOffsetsRequestDecoder listOffsetsDecoder = new ListOffsetsRequestDecoder();
    private final ListOffsetsResponseEncoder listOffsetsEncoder = new ListOffsetsResponseEncoder();
    private final ErrorResponseEncoder errorEncoder = new ErrorResponseEncoder();
    private final ExpandableDirectByteBuffer responseBuffer = new ExpandableDirectByteBuffer(64 * 1024);
    private final StringBuilder errorMessage = new StringBuilder();
    private final BrokerStats stats = new BrokerStats();

    /**
     * A state machine over a data directory with the default group session timeout bounds.
     *
     * @param dataDir          where partition logs live, one directory per partition.
     * @param nodeId           this broker's node id.
     * @param endpoint         host:port clients reach this broker on, for metadata.
     * @param defaultLogConfig log settings of topics that do not override them.
     * @param host             where answers go.
     */
    public BrokerStateMachine(
        final Path dataDir, final int nodeId, final String endpoint, final LogConfig defaultLogConfig, final Host host)
    {
        this(dataDir, nodeId, endpoint, defaultLogConfig, DEFAULT_MIN_SESSION_TIMEOUT_MS,
            DEFAULT_MAX_SESSION_TIMEOUT_MS, host);
    }

    /**
     * A state machine over a data directory, empty until {@link #restore} or commands fill it.
     * <p>
     * Everything that decides a command's result is passed in here, never read from the environment, so that
     * every host that passes the same values computes the same results.
     *
     * @param dataDir              where partition logs live, one directory per partition.
     * @param nodeId               this broker's node id.
     * @param endpoint             host:port clients reach this broker on, for metadata.
     * @param defaultLogConfig     log settings of topics that do not override them.
     * @param minSessionTimeoutMs  shortest session timeout a group member may ask for.
     * @param maxSessionTimeoutMs  longest session timeout a group member may ask for.
     * @param host                 where answers go.
     */
    public BrokerStateMachine(
        final Path dataDir,
        final int nodeId,
        final String endpoint,
        final LogConfig defaultLogConfig,
        final int minSessionTimeoutMs,
        final int maxSessionTimeoutMs,
        final Host host)
    {
        if (minSessionTimeoutMs < 1 || maxSessionTimeoutMs < minSessionTimeoutMs)
        {
            throw new IllegalArgumentException("group session timeout bounds must satisfy 1 <= min <= max, were [" +
                minSessionTimeoutMs + ", " + maxSessionTimeoutMs + "]");
        }
        this.registry = new Topics(dataDir, defaultLogConfig, host);
        this.nodeId = nodeId;
        this.endpoint = endpoint;
        this.leaderId = nodeId;
        this.host = host;
        this.groupCoordinator = new GroupCoordinator(
            host, responseBuffer, registry::partitionCount, () -> nextTimerId++, stats, minSessionTimeoutMs,
            maxSessionTimeoutMs);
        this.producerStates = new ProducerStates(stats);
        this.transactionCoordinator = new TransactionCoordinator(
            host, responseBuffer, stats, producerStates, groupCoordinator, registry.byIdView(), () -> nextTimerId++);
        this.topicAdmin = new TopicAdmin(
            registry, groupCoordinator, host, responseBuffer, stats, () -> leaderId, this::armRetention);
        producerStates.transactions(transactionCoordinator);
        try
        {
            Files.createDirectories(dataDir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The members of the cluster hosting this state machine, for metadata: every member's client endpoint by member
     * id. Without it, metadata lists this broker alone. Every member must pass the same list.
     *
     * @param endpoints {@code HOST:PORT} of each member, indexed by member id.
     * @return this.
     */
    public BrokerStateMachine members(final String[] endpoints)
    {
        this.memberEndpoints = endpoints.clone();
        return this;
    }

    /**
     * The member that leads the cluster and its leadership term, as the log announced them (so the same on every
     * member): metadata names it as every partition's leader, with the term as the leader epoch.
     *
     * @param leaderId    the leading member.
     * @param leaderEpoch its leadership term.
     */
    public void leader(final int leaderId, final int leaderEpoch)
    {
        this.leaderId = leaderId;
        this.leaderEpoch = leaderEpoch;
    }

    /**
     * The largest {@code max.message.bytes} a topic may be created with: what the host's transport can carry in one
     * request (a cluster's log term / 8, less the request's own headers). A host that replicates must give every
     * member the same limit.
     *
     * @param limitBytes the limit.
     * @return this.
     */
    public BrokerStateMachine maxMessageBytesLimit(final int limitBytes)
    {
        topicAdmin.maxMessageBytesLimit(limitBytes);
        return this;
    }

    /**
     * How long a partition remembers an idempotent producer that has not written to it (Kafka's
     * {@code producer.id.expiration.ms}, default a day): after that the producer's next batch is refused with
     * UNKNOWN_PRODUCER_ID and the producer starts again under a new id. A host that replicates must give every
     * member the same value.
     *
     * @param expirationMs the idle time.
     * @return this.
     */
    public BrokerStateMachine producerIdExpirationMs(final long expirationMs)
    {
        producerStates.expirationMs(expirationMs);
        return this;
    }

    /**
     * The current topics, for readers on other threads.
     *
     * @return the latest published table.
     */
    public TopicTable topicTable()
    {
        return registry.table();
    }

    /**
     * Counts of what the state machine did and refused.
     *
     * @return the stats, written by the state machine's thread only.
     */
    public BrokerStats stats()
    {
        return stats;
    }

    /**
     * Incremented whenever the metadata that {@link #snapshot} captures changes, so a host knows
     * when to persist it.
     *
     * @return the metadata version.
     */
    public long metadataVersion()
    {
        return registry.version();
    }

    /**
     * Incremented whenever group state that {@link #snapshot} captures changes (committed offsets, a
     * completed rebalance, a deleted group), so a host knows when to persist it. Unlike
     * {@link #metadataVersion()} these changes may be persisted without forcing them to disk.
     *
     * @return the group state version.
     */
    public long groupsVersion()
    {
        return groupCoordinator.version();
    }

    /**
     * Incremented whenever producer ids are handed out or transactions change, so a host knows to persist the state
     * before the answer leaves: a restarted broker must never hand out an id twice, nor forget a transaction's
     * partitions, offsets or outcome.
     *
     * @return the producer id version.
     */
    public long producerIdsVersion()
    {
        return transactionCoordinator.version();
    }

    /**
     * The topic with a name.
     *
     * @param name of the topic.
     * @return the topic or null.
     */
    public Topic topic(final String name)
    {
        return registry.byName(name);
    }

    /**
     * Apply one request from a client session.
     *
     * @param sessionId  the session it came from.
     * @param templateId of the request.
     * @param buffer     holding the request, starting with its message header.
     * @param offset     of the message header.
     * @param length     of the message.
     * @param hostNowMs  the command's time, passed in by the host; a time earlier than one seen before is taken
     *                   as that one (cluster time can step back on a leader change).
     * @return true when the request was one this state machine handles.
     */
    public boolean onRequest(
        final long sessionId,
        final int templateId,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long hostNowMs)
    {
        final long nowMs = advanceTime(hostNowMs);
        rearmRetentionIfRestored();
        headerDecoder.wrap(buffer, offset);
        stats.onRequest(templateId);
        switch (templateId)
        {
            case ProduceRequestDecoder.TEMPLATE_ID:
                onProduce(sessionId, buffer, offset, nowMs);
                return true;

            case MetadataRequestDecoder.TEMPLATE_ID:
                onMetadata(sessionId, buffer, offset);
                return true;

            case ListOffsetsRequestDecoder.TEMPLATE_ID:
                onListOffsets(sessionId, buffer, offset);
                return true;

            default:
                if (TopicAdmin.handles(templateId))
                {
                    topicAdmin.onRequest(sessionId, templateId, buffer, offset, nowMs);
                    return true;
                }
                if (TransactionCoordinator.handles(templateId))
                {
                    transactionCoordinator.onRequest(sessionId, templateId, buffer, offset, nowMs);
                    return true;
                }
                if (GroupCoordinator.handles(templateId))
                {
                    groupCoordinator.onRequest(sessionId, templateId, buffer, offset, nowMs);
                    return true;
                }
                return false;
        }
    }

    /**
     * Arm the timers of a restored state (groups' sessions and rebalances, open transactions, retention) from the
     * deadlines in it, on a host whose timers did not survive the restart ({@link Host#timersSurviveRestore()}
     * false). Such a host calls this once it can take timers and before it passes the first command, so that a timer
     * already due then fires before that command, as it did on a machine that never restarted. Without the call they
     * are armed at the first command or {@link #onTick}, after a command that may see what they would have changed.
     * Does nothing for a host whose timers survive, or called again.
     */
    public void armRestoredTimers()
    {
        groupCoordinator.rearmTimersIfRestored();
        transactionCoordinator.rearmTimersIfRestored();
        rearmRetentionIfRestored();
    }

    /**
     * A timer scheduled through {@link Host#scheduleTimer(long, long)} fired.
     *
     * @param correlationId of the timer.
     * @param hostNowMs     the host's time (never taken as earlier than a time seen before).
     */
    public void onTimer(final long correlationId, final long hostNowMs)
    {
        final long nowMs = advanceTime(hostNowMs);
        rearmRetentionIfRestored();
        if (RETENTION_TIMER_ID == correlationId)
        {
            onRetentionTimer(nowMs);
        }
        else if (!transactionCoordinator.onTimer(correlationId, nowMs))
        {
            groupCoordinator.onTimer(correlationId, nowMs);
        }
    }

    /**
     * Housekeeping on the host's own clock that changes nothing a command can observe: interval flushes,
     * unmapping deleted segments once their delay has passed, and arming the timers of a restored state on a
     * host whose timers do not survive a restart. Retention, which moves log start offsets, is a timer command
     * ({@link #RETENTION_TIMER_ID}) so that it happens at the same point of the command sequence on every host.
     *
     * @param nowMs the host's local time.
     * @return work done.
     */
    public int onTick(final long nowMs)
    {
        groupCoordinator.onTick();
        transactionCoordinator.rearmTimersIfRestored();
        rearmRetentionIfRestored();
        int work = 0;
        for (final Topic topic : registry.all())
        {
            for (int p = 0, n = topic.partitionCount(); p < n; p++)
            {
                work += topic.partition(p).doWork(nowMs);
            }
        }

        return work;
    }

    /**
     * Force every partition's segments and indexes to the device, whatever its flush policy, and advance each
     * recovery point to its log end: a snapshot that records partition positions must not get ahead of the data.
     * Changes nothing a command can observe.
     *
     * @param nowMs the host's local time, restarting the interval flush clocks.
     * @throws java.io.UncheckedIOException if forcing a partition fails.
     */
    public void flush(final long nowMs)
    {
        for (final Topic topic : registry.all())
        {
            for (int p = 0, n = topic.partitionCount(); p < n; p++)
            {
                topic.partition(p).flush(nowMs);
            }
        }
    }

    /**
     * The state machine's time: the latest time a command or timer carried.
     *
     * @return time in ms, {@link Long#MIN_VALUE} before the first command.
     */
    public long timeMs()
    {
        return lastNowMs;
    }

    private long advanceTime(final long hostNowMs)
    {
        if (hostNowMs > lastNowMs)
        {
            lastNowMs = hostNowMs;
        }
        return lastNowMs;
    }

    private void onRetentionTimer(final long nowMs)
    {
        retentionDeadlineMs = NOT_ARMED;
        if (registry.isEmpty())
        {
            return;
        }

        // Each partition's retention depends only on that partition, so the map's order (which differs between
        // hosts with different resize histories) cannot change the outcome; iterating it allocates nothing.
        for (final Topic topic : registry.all())
        {
            for (int p = 0, n = topic.partitionCount(); p < n; p++)
            {
                topic.partition(p).deleteExpiredSegments(nowMs);
            }
        }
        producerStates.expire(registry.all(), nowMs);
        armRetention(nowMs);
    }

    private void armRetention(final long nowMs)
    {
        if (NOT_ARMED == retentionDeadlineMs && !registry.isEmpty())
        {
            retentionDeadlineMs = nowMs + RETENTION_CHECK_INTERVAL_MS;
            host.scheduleTimer(RETENTION_TIMER_ID, retentionDeadlineMs);
        }
    }

    private void rearmRetentionIfRestored()
    {
        if (rearmRetention)
        {
            rearmRetention = false;
            if (NOT_ARMED != retentionDeadlineMs)
            {
                host.scheduleTimer(RETENTION_TIMER_ID, retentionDeadlineMs);
            }
        }
    }

    /**
     * Close logs of deleted topics once no reader can still be on them, and delete their files.
     *
     * @param readerTableVersion the oldest {@link TopicTable#version()} any reader may still hold.
     * @return logs reclaimed.
     */
    public int reclaimDeleted(final long readerTableVersion)
    {
        return registry.reclaimRetired(readerTableVersion);
    }

    /**
     * Write the state (topics, ids, configs, per-partition positions, timers, consumer groups and committed
     * offsets) into a buffer: the snapshot the cluster host takes and the file the standalone host keeps. Record
     * data is not in it: it lives in the logs. The same state always gives the same bytes: everything is written
     * in a fixed order (topics by id, configs by key, groups by id).
     * <pre>
     *   int32 magic 'SPND', int32 version (5), int32 nextTopicId, int32 topicCount, then per topic (by id):
     *     int32 id, int32 partitionCount, string name, int32 configCount, then (key, value) strings by key,
     *     then per partition (version 3 on): int64 logStartOffset, int64 logEndOffset,
     *     int64 activeSegmentBaseOffset, int64 activeSegmentRollStartMs (Long.MIN_VALUE: not started)
     *   int64 nextTimerId                                             (version 2 on)
     *   int64 timeMs, int64 retentionDeadlineMs (Long.MIN_VALUE: not armed)   (version 3 on)
     *   the groups, as GroupSnapshot documents                        (version 2 on; members' client ids 5 on)
     *   int64 nextProducerId, then per partition (topics by id) its idempotent producers by id: int32 count, then
     *     int64 producerId, int16 epoch, int64 lastAppendMs, int64 openTransactionFirstOffset (-1: none),
     *     int32 batchCount, then per batch (oldest first) int32 firstSequence, int32 lastSequence,
     *     int64 baseOffset, int64 lastOffset; then int32 n, n int64s: the aborted transactions'
     *     (producerId, firstOffset, markerOffset) triples                            (version 4 on)
     *   the transactional ids, as TransactionCoordinator#snapshot writes them       (version 4 on)
     *   string = int32 length + UTF-8; little-endian
     * </pre>
     * The positions change with every append and retention pass without moving {@link #metadataVersion()}: the
     * standalone host's copy of them is informational, a cluster member reconciles its logs with them.
     *
     * @param buffer to write into, growing as needed.
     * @return bytes written.
     */
    public int snapshot(final ExpandableArrayBuffer buffer)
    {
        int position = 0;
        buffer.putInt(position, SNAPSHOT_MAGIC);
        position += 4;
        buffer.putInt(position, SNAPSHOT_VERSION);
        position += 4;
        buffer.putInt(position, registry.nextId());
        position += 4;
        buffer.putInt(position, registry.count());
        position += 4;
        for (final Topic topic : registry.sorted())
        {
            buffer.putInt(position, topic.id());
            position += 4;
            buffer.putInt(position, topic.partitionCount());
            position += 4;
            position += buffer.putStringUtf8(position, topic.name());
            buffer.putInt(position, topic.configs().size());
            position += 4;
            for (final Map.Entry<String, String> entry : new TreeMap<>(topic.configs()).entrySet())
            {
                position += buffer.putStringUtf8(position, entry.getKey());
                position += buffer.putStringUtf8(position, entry.getValue());
            }
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                final PartitionLog log = topic.partition(p);
                buffer.putLong(position, log.logStartOffset());
                buffer.putLong(position + 8, log.logEndOffset());
                buffer.putLong(position + 16, log.activeSegmentBaseOffset());
                buffer.putLong(position + 24, log.activeSegmentRollStartMs());
                position += 32;
            }
        }
        buffer.putLong(position, nextTimerId);
        position += 8;
        buffer.putLong(position, lastNowMs);
        buffer.putLong(position + 8, retentionDeadlineMs);
        position += 16;
        position = groupCoordinator.snapshot(buffer, position);
        position = producerStates.snapshot(buffer, position, registry.sorted());
        position = transactionCoordinator.snapshot(buffer, position);

        return position;
    }

    /**
     * Restore the state from a {@link #snapshot} and open (recovering) every partition log.
     * <p>
     * Each partition's files are the truth for its data: a log that is ahead of the snapshot's positions stays
     * ahead (a cluster member reconciles it before replaying); the active segment's roll clock is the snapshot's
     * when the snapshot names the same active segment, so a restored log rolls where it would have. Directories of
     * partitions the state does not know (a topic whose creation never completed) are deleted. On a host whose
     * timers do not survive a restart, the state's timers are armed again at the first command or tick.
     *
     * @param buffer holding the snapshot.
     * @param offset of the snapshot.
     * @param length of the snapshot.
     * @param nowMs  the host's time, starting the roll clock of active segments the snapshot does not describe.
     */
    public void restore(final DirectBuffer buffer, final int offset, final int length, final long nowMs)
    {
        restore(buffer, offset, length, nowMs, false);
    }

    /**
     * Restore the state from a {@link #snapshot}, optionally reconciling every partition log with the snapshot's
     * positions as a replicated host must before it replays the log that follows the snapshot: a log that holds
     * more than the snapshot had is truncated to the snapshot's log end (the replay appends it again), and a log
     * that holds less cannot be repaired here and is refused.
     *
     * @param buffer      holding the snapshot.
     * @param offset      of the snapshot.
     * @param length      of the snapshot.
     * @param nowMs       the host's time, starting the roll clock of active segments the snapshot does not describe.
     * @param isReconcile truncate logs that are ahead of the snapshot and refuse logs that are behind it.
     * @throws IllegalStateException when reconciling and a partition's data is behind the snapshot.
     */
    public void restore(
        final DirectBuffer buffer, final int offset, final int length, final long nowMs, final boolean isReconcile)
    {
        if (!registry.isEmpty())
        {
            throw new IllegalStateException("restore into a state machine that already has topics");
        }
        int position = offset;
        if (length < 16 || buffer.getInt(position) != SNAPSHOT_MAGIC)
        {
            throw new IllegalArgumentException("not a Spindle metadata snapshot");
        }
        position += 4;
        final int version = buffer.getInt(position);
        position += 4;
        if (version < SNAPSHOT_VERSION_TOPICS_ONLY || version > SNAPSHOT_VERSION)
        {
            throw new IllegalArgumentException("unsupported snapshot version " + version + " (this broker reads " +
                SNAPSHOT_VERSION_TOPICS_ONLY + " to " + SNAPSHOT_VERSION + ")");
        }
        registry.nextId(buffer.getInt(position));
        position += 4;
        final Int2ObjectHashMap<long[]> snapshotLogEnds = new Int2ObjectHashMap<>();
        final int topicCount = buffer.getInt(position);
        position += 4;
        for (int t = 0; t < topicCount; t++)
        {
            final int id = buffer.getInt(position);
            position += 4;
            final int partitionCount = buffer.getInt(position);
            position += 4;
            final String name = buffer.getStringUtf8(position);
            position += 4 + buffer.getInt(position);
            final int configCount = buffer.getInt(position);
            position += 4;
            final Map<String, String> configs = new LinkedHashMap<>();
            for (int c = 0; c < configCount; c++)
            {
                final String key = buffer.getStringUtf8(position);
                position += 4 + buffer.getInt(position);
                final String value = buffer.getStringUtf8(position);
                position += 4 + buffer.getInt(position);
                configs.put(key, value);
            }
            registry.reviveUnpersistedDelete(id, name, partitionCount);
            final Topic topic = registry.add(id, name, partitionCount, configs, nowMs, false);
            if (version >= SNAPSHOT_VERSION_POSITIONS)
            {
                final long[] logEnds = new long[partitionCount];
                snapshotLogEnds.put(id, logEnds);
                for (int p = 0; p < partitionCount; p++)
                {
                    final long logEndOffset = buffer.getLong(position + 8);
                    logEnds[p] = logEndOffset;
                    final long activeSegmentBaseOffset = buffer.getLong(position + 16);
                    final long rollStartMs = buffer.getLong(position + 24);
                    position += 32;
                    final PartitionLog log = topic.partition(p);
                    if (isReconcile)
                    {
                        reconcile(topic, p, log, logEndOffset, nowMs);
                    }
                    if (log.activeSegmentBaseOffset() == activeSegmentBaseOffset)
                    {
                        log.activeSegmentRollStartMs(rollStartMs);
                    }
                }
            }
        }
        if (version >= SNAPSHOT_VERSION_GROUPS)
        {
            nextTimerId = buffer.getLong(position);
            position += 8;
        }
        if (version >= SNAPSHOT_VERSION_POSITIONS)
        {
            lastNowMs = buffer.getLong(position);
            retentionDeadlineMs = buffer.getLong(position + 8);
            position += 16;
        }
        else if (!registry.isEmpty())
        {
            retentionDeadlineMs = nowMs + RETENTION_CHECK_INTERVAL_MS;
        }
        rearmRetention = NOT_ARMED != retentionDeadlineMs &&
            (version < SNAPSHOT_VERSION_POSITIONS || !host.timersSurviveRestore());
        if (version >= SNAPSHOT_VERSION_GROUPS)
        {
            position = groupCoordinator.restore(buffer, position, version >= SNAPSHOT_VERSION_CLIENT_IDS);
        }
        if (version >= SNAPSHOT_VERSION_PRODUCERS)
        {
            final List<Topic> topics = registry.sorted();
            position = producerStates.restore(buffer, position, topics);
            transactionCoordinator.restore(buffer, position);
            if (!isReconcile)
            {
                // A standalone log keeps what it appended after the state was last written: the producers catch up
                // with it (a replicated host truncated it to the snapshot instead, and replays the batches).
                final LogReadResult scratch = new LogReadResult();
                for (final Topic topic : topics)
                {
                    final long[] logEnds = snapshotLogEnds.get(topic.id());
                    for (int p = 0; p < topic.partitionCount(); p++)
                    {
                        producerStates.catchUp(topic, p, logEnds[p], nowMs, scratch);
                    }
                }
            }
        }
        deleteUnknownPartitionDirectories();
        registry.publish();
    }

    /**
     * Close every partition log.
     */
    public void close()
    {
        registry.close();
    }

    private void onProduce(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        produceDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = produceDecoder.correlationId();
        final short acks = produceDecoder.acks();
        final ProduceRequestDecoder.PartitionsDecoder partitions = produceDecoder.partitions();
        final boolean validAcks = acks == 0 || acks == 1 || acks == -1;

        produceEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(validAcks ? ErrorCode.NONE : ErrorCode.INVALID_REQUIRED_ACKS);
        final ProduceResponseEncoder.PartitionsEncoder responses = produceEncoder.partitionsCount(partitions.count());
        errorMessage.setLength(0);

        while (partitions.hasNext())
        {
            partitions.next();
            final int topicId = partitions.topicId();
            final int partition = partitions.partition();
            final int batchLength = partitions.recordBatchLength();
            final int batchOffset = produceDecoder.limit() + 4;
            partitions.skipRecordBatch();

            final Topic topic = registry.byId(topicId);
            final PartitionLog log = null == topic ? null : topic.partition(partition);
            ErrorCode code = ErrorCode.NONE;
            long baseOffset = -1;
            if (!validAcks)
            {
                code = ErrorCode.INVALID_REQUIRED_ACKS;
            }
            else if (null == topic)
            {
                code = ErrorCode.UNKNOWN_TOPIC_ID;
                appendError("unknown topic id ", topicId, null);
            }
            else if (null == log)
            {
                code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                appendError("no partition ", partition, topic.name());
            }
            else if (ErrorCode.NONE != (code = producerStates.check(topic, partition, buffer, batchOffset,
                batchLength)))
            {
                if (ErrorCode.DUPLICATE_SEQUENCE == code)
                {
                    // Appended before (a retry whose first answer was lost): answered as it was then.
                    code = ErrorCode.NONE;
                    baseOffset = producerStates.duplicateOffset();
                }
                else
                {
                    appendError(producerError(code), partition, topic.name());
                }
            }
            else
            {
                final long result = log.append(buffer, batchOffset, batchLength, nowMs);
                if (result >= 0)
                {
                    baseOffset = result;
                    // Stamped before the high-water mark covers the batch, so no reader sees it unstamped.
                    host.onAppended(log);
                    log.highWaterMark(log.logEndOffset());
                    producerStates.onAppend(topic, partition, buffer, batchOffset, result, nowMs);
                    stats.onAppend(log.logEndOffset() - result, batchLength);
                }
                else
                {
                    code = PartitionLog.errorCode(result);
                    if (ErrorCode.CORRUPT_MESSAGE == code)
                    {
                        stats.corruptBatches++;
                        appendError(log.lastAppendError().message(), partition, topic.name());
                    }
                    else if (ErrorCode.RECORD_TOO_LARGE == code)
                    {
                        appendError("batch of " + batchLength + " bytes is larger than max.message.bytes " +
                            log.config().maxMessageBytes(), partition, topic.name());
                    }
                    else if (ErrorCode.INVALID_RECORD == code)
                    {
                        appendError("a record without a key on a compacted topic (cleanup.policy=" +
                            log.config().cleanupPolicy() + ")", partition, topic.name());
                    }
                    else
                    {
                        final Throwable cause = null != log.lastStorageFailure() ?
                            log.lastStorageFailure() : log.storageError();
                        final String reason = ErrorCode.KAFKA_STORAGE_ERROR == code && null != cause ?
                            "storage error: " + cause.getMessage() : "append failed: " + code;
                        host.onStorageFailure(topic.name() + "-" + partition + ": " + reason, cause);
                        appendError(reason, partition, topic.name());
                    }
                }
            }

            if (ErrorCode.NONE != code)
            {
                stats.onError(code);
            }

            responses.next()
                .topicId(topicId)
                .partition(partition)
                .errorCode(code)
                .baseOffset(baseOffset)
                .logAppendTimeMs(-1)
                .logStartOffset(null == log ? -1 : log.logStartOffset());
        }
        produceDecoder.skipTransactionalId();

        if (0 != acks)
        {
            if (errorMessage.length() == 0)
            {
                produceEncoder.putErrorMessage(responseBuffer, 0, 0);
            }
            else
            {
                produceEncoder.errorMessage(errorMessage.toString());
            }
            send(sessionId, produceEncoder.encodedLength());
        }
    }

    private static String producerError(final ErrorCode code)
    {
        switch (code)
        {
            case OUT_OF_ORDER_SEQUENCE:
                return "batch sequence does not follow the producer's last batch";
            case INVALID_PRODUCER_EPOCH:
                return "producer epoch is older than the partition's: a newer instance fenced this producer";
            case UNKNOWN_PRODUCER_ID:
                return "the partition does not know this producer id (expired or never issued): start again";
            case INVALID_TXN_STATE:
                return "transactional batch outside its producer's open transaction, or for a partition not added " +
                    "to it";
            case INVALID_PRODUCER_ID_MAPPING:
                return "transactional batch of a producer id no transactional id has";
            case INVALID_REQUEST:
                return "a client may not write control batches, nor negative producer fields";
            default:
                return "producer fields invalid: " + code;
        }
    }

    private void appendError(final String message, final int value, final String topicName)
    {
        if (errorMessage.length() > 0)
        {
            errorMessage.append("; ");
        }
        if (null != topicName)
        {
            errorMessage.append(topicName).append('-').append(value).append(": ").append(message);
        }
        else
        {
            errorMessage.append(message).append(value);
        }
    }

    private void onMetadata(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        metadataDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = metadataDecoder.correlationId();
        final List<String> names = new ArrayList<>();
        for (final MetadataRequestDecoder.TopicsDecoder topic : metadataDecoder.topics())
        {
            names.add(topic.name());
        }
        registry.allNamesWhenNoneNamed(names);

        metadataEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE)
            .controllerId(leaderId)
            .leaderEpoch(leaderEpoch);
        if (null == memberEndpoints)
        {
            metadataEncoder.brokersCount(1).next().nodeId(nodeId).endpoint(endpoint);
        }
        else
        {
            final MetadataResponseEncoder.BrokersEncoder brokers = metadataEncoder.brokersCount(memberEndpoints.length);
            for (int id = 0; id < memberEndpoints.length; id++)
            {
                brokers.next().nodeId(id).endpoint(memberEndpoints[id]);
            }
        }
        final MetadataResponseEncoder.TopicsEncoder topics = metadataEncoder.topicsCount(names.size());
        for (final String name : names)
        {
            final Topic topic = registry.byName(name);
            if (null == topic)
            {
                stats.onError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
                topics.next().errorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).topicId(-1).partitionCount(0);
                topics.partitionsCount(0);
                topics.name(name);
                continue;
            }
            topics.next().errorCode(ErrorCode.NONE).topicId(topic.id()).partitionCount(topic.partitionCount());
            final MetadataResponseEncoder.TopicsEncoder.PartitionsEncoder partitions =
                topics.partitionsCount(topic.partitionCount());
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                partitions.next().partition(p).leaderId(leaderId).leaderEpoch(leaderEpoch);
            }
            topics.name(name);
        }
        metadataEncoder.errorMessage("");
        send(sessionId, metadataEncoder.encodedLength());
    }

    private void onListOffsets(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        listOffsetsDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = listOffsetsDecoder.correlationId();
        // read_committed's latest offset is the last stable offset: no open transaction's records below it.
        final boolean committedOnly = IsolationLevel.READ_COMMITTED == listOffsetsDecoder.isolationLevel();
        final ListOffsetsRequestDecoder.PartitionsDecoder partitions = listOffsetsDecoder.partitions();
        listOffsetsEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE);
        final ListOffsetsResponseEncoder.PartitionsEncoder responses =
            listOffsetsEncoder.partitionsCount(partitions.count());

        while (partitions.hasNext())
        {
            partitions.next();
            final int topicId = partitions.topicId();
            final int partition = partitions.partition();
            final long timestamp = partitions.timestamp();
            final Topic topic = registry.byId(topicId);
            final PartitionLog log = null == topic ? null : topic.partition(partition);

            ErrorCode code = ErrorCode.NONE;
            long resultOffset = -1;
            if (null == topic)
            {
                code = ErrorCode.UNKNOWN_TOPIC_ID;
            }
            else if (null == log)
            {
                code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            }
            else if (-2 == timestamp)
            {
                resultOffset = log.readableStartOffset();
            }
            else if (-1 == timestamp)
            {
                resultOffset = committedOnly ? log.lastStableOffset() : log.highWaterMark();
            }
            else if (timestamp < 0)
            {
                code = ErrorCode.INVALID_REQUEST;
            }
            else
            {
                resultOffset = log.offsetForTimestamp(timestamp);
                if (resultOffset < 0 || resultOffset >= log.highWaterMark())
                {
                    resultOffset = -1;
                }
            }

            if (ErrorCode.NONE != code)
            {
                stats.onError(code);
            }
            responses.next()
                .topicId(topicId)
                .partition(partition)
                .errorCode(code)
                .timestamp(timestamp)
                .offset(resultOffset);
        }
        listOffsetsEncoder.putErrorMessage(responseBuffer, 0, 0);
        send(sessionId, listOffsetsEncoder.encodedLength());
    }

    private void send(final long sessionId, final int bodyLength)
    {
        host.sendResponse(sessionId, responseBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength);
    }

    /**
     * Answer a request this state machine does not handle.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request.
     * @param templateId    of the request.
     * @param code          the error.
     * @param message       the reason.
     */
    public void sendError(
        final long sessionId, final long correlationId, final int templateId, final ErrorCode code,
        final String message)
    {
        errorEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .requestTemplateId(templateId)
            .errorMessage(message);
        stats.onError(code);
        send(sessionId, errorEncoder.encodedLength());
    }

    /**
     * Consumer groups the coordinator holds, empty ones included; state machine thread.
     *
     * @return the count.
     */
    public int groupCount()
    {
        return groupCoordinator.groupCount();
    }

    /**
     * Members of all consumer groups; state machine thread.
     *
     * @return the count.
     */
    public int groupMemberCount()
    {
        return groupCoordinator.memberCount();
    }

    private static void reconcile(
        final Topic topic, final int partition, final PartitionLog log, final long logEndOffset, final long nowMs)
    {
        if (log.logEndOffset() < logEndOffset)
        {
            throw new IllegalStateException("partition " + topic.name() + "-" + partition + " holds offsets up to " +
                log.logEndOffset() + " but the snapshot has " + logEndOffset + ": this member's data is behind its " +
                "snapshot (lost or replaced files); wipe the member's data and cluster directories to rebuild it");
        }
        if (log.logEndOffset() > logEndOffset)
        {
            log.truncateTo(logEndOffset, nowMs);
        }
        log.highWaterMark(log.logEndOffset());
    }

    /**
     * Delete every partition directory of the data directory that no topic of the state owns: the leftovers of a
     * topic creation that never completed, or of topics a cluster member's snapshot does not have. Directories of
     * deleted topics still lingering for readers ({@code .deleted}) and anything not named like a partition
     * directory are left alone.
     *
     * @return directories deleted.
     */
    public int deleteUnknownPartitionDirectories()
    {
        return registry.deleteUnknownPartitionDirectories();
    }
}
