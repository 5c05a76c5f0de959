package io.spindle.broker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.spindle.codecs.protocol.AlterTopicRequestDecoder;
import io.spindle.codecs.protocol.AlterTopicResponseEncoder;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ConfigOperation;
import io.spindle.codecs.protocol.CreateTopicsRequestDecoder;
import io.spindle.codecs.protocol.CreateTopicsResponseEncoder;
import io.spindle.codecs.protocol.DeleteTopicsRequestDecoder;
import io.spindle.codecs.protocol.DeleteTopicsResponseEncoder;
import io.spindle.codecs.protocol.DescribeTopicsRequestDecoder;
import io.spindle.codecs.protocol.DescribeTopicsResponseEncoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseEncoder;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.codecs.protocol.ListOffsetsRequestDecoder;
import io.spindle.codecs.protocol.ListOffsetsResponseEncoder;
import io.spindle.codecs.protocol.ListTopicsRequestDecoder;
import io.spindle.codecs.protocol.ListTopicsResponseEncoder;
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
import org.agrona.IoUtil;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Object2ObjectHashMap;

/**
 * The broker's state as a deterministic command processor: topics and their partition logs, produce,
 * consumer groups and committed offsets (through {@link GroupCoordinator}), and the queries answered
 * from that state.
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
    /**
     * Longest legal topic name, as in Kafka.
     */
    public static final int MAX_TOPIC_NAME_LENGTH = 249;

    /**
     * Most partitions a topic may have.
     */
    public static final int MAX_PARTITIONS = 10_000;

    private static final int SNAPSHOT_MAGIC = 0x53504e44;
    private static final int SNAPSHOT_VERSION = 5;
    private static final int SNAPSHOT_VERSION_CLIENT_IDS = 5;
    private static final int SNAPSHOT_VERSION_PRODUCERS = 4;
    private static final int SNAPSHOT_VERSION_POSITIONS = 3;
    private static final int SNAPSHOT_VERSION_GROUPS = 2;
    private static final int SNAPSHOT_VERSION_TOPICS_ONLY = 1;
    /**
     * Suffix of a deleted topic's partition directories until they are reclaimed (and, with tiered storage, its
     * recordings purged).
     */
    public static final String DELETED_SUFFIX = ".deleted";
    private static final String PARTITION_METADATA_FILE = "partition.metadata";
    private static final String TOPIC_ID_KEY = "topic_id:";
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

    private final Path dataDir;
    private final int nodeId;
    private final String endpoint;
    private String[] memberEndpoints;
    private int leaderId;
    private int leaderEpoch;
    private final LogConfig defaultLogConfig;
    private final Host host;
    private final Object2ObjectHashMap<String, Topic> topicsByName = new Object2ObjectHashMap<>();
    private final Int2ObjectHashMap<Topic> topicsById = new Int2ObjectHashMap<>();
    private final List<Retired> retired = new ArrayList<>();
    private volatile TopicTable topicTable = TopicTable.EMPTY;
    private int nextTopicId = 1;
    private long nextTimerId = 1;
    private long retentionDeadlineMs = NOT_ARMED;
    private boolean rearmRetention;
    private long lastNowMs = Long.MIN_VALUE;
    private long metadataVersion;
    private int maxMessageBytesLimit = Integer.MAX_VALUE;
    private final GroupCoordinator groupCoordinator;
    private final ProducerStates producerStates;
    private final TransactionCoordinator transactionCoordinator;

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ProduceRequestDecoder produceDecoder = new ProduceRequestDecoder();
    private final ProduceResponseEncoder produceEncoder = new ProduceResponseEncoder();
    private final CreateTopicsRequestDecoder createDecoder = new CreateTopicsRequestDecoder();
    private final AlterTopicRequestDecoder alterDecoder = new AlterTopicRequestDecoder();
    private final AlterTopicResponseEncoder alterEncoder = new AlterTopicResponseEncoder();
    private final CreateTopicsResponseEncoder createEncoder = new CreateTopicsResponseEncoder();
    private final DeleteTopicsRequestDecoder deleteDecoder = new DeleteTopicsRequestDecoder();
    private final DeleteTopicsResponseEncoder deleteEncoder = new DeleteTopicsResponseEncoder();
    private final DescribeTopicsRequestDecoder describeDecoder = new DescribeTopicsRequestDecoder();
    private final DescribeTopicsResponseEncoder describeEncoder = new DescribeTopicsResponseEncoder();
    private final ListTopicsRequestDecoder listDecoder = new ListTopicsRequestDecoder();
    private final ListTopicsResponseEncoder listEncoder = new ListTopicsResponseEncoder();
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
        this.dataDir = dataDir;
        this.nodeId = nodeId;
        this.endpoint = endpoint;
        this.leaderId = nodeId;
        this.defaultLogConfig = defaultLogConfig;
        this.host = host;
        this.groupCoordinator = new GroupCoordinator(
            host, responseBuffer, this::partitionCount, () -> nextTimerId++, stats, minSessionTimeoutMs,
            maxSessionTimeoutMs);
        this.producerStates = new ProducerStates(stats);
        this.transactionCoordinator = new TransactionCoordinator(
            host, responseBuffer, stats, producerStates, groupCoordinator, topicsById, () -> nextTimerId++);
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
        this.maxMessageBytesLimit = limitBytes;
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
        return topicTable;
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
        return metadataVersion;
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
        return topicsByName.get(name);
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

            case CreateTopicsRequestDecoder.TEMPLATE_ID:
                onCreateTopics(sessionId, buffer, offset, nowMs);
                return true;

            case DeleteTopicsRequestDecoder.TEMPLATE_ID:
                onDeleteTopics(sessionId, buffer, offset);
                return true;

            case AlterTopicRequestDecoder.TEMPLATE_ID:
                onAlterTopic(sessionId, buffer, offset, nowMs);
                return true;

            case DescribeTopicsRequestDecoder.TEMPLATE_ID:
                onDescribeTopics(sessionId, buffer, offset);
                return true;

            case ListTopicsRequestDecoder.TEMPLATE_ID:
                onListTopics(sessionId, buffer, offset);
                return true;

            case ListOffsetsRequestDecoder.TEMPLATE_ID:
                onListOffsets(sessionId, buffer, offset);
                return true;

            default:
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
        for (final Topic topic : topicsById.values())
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
        for (final Topic topic : topicsById.values())
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
        if (topicsById.isEmpty())
        {
            return;
        }

        // Each partition's retention depends only on that partition, so the map's order (which differs between
        // hosts with different resize histories) cannot change the outcome; iterating it allocates nothing.
        for (final Topic topic : topicsById.values())
        {
            for (int p = 0, n = topic.partitionCount(); p < n; p++)
            {
                topic.partition(p).deleteExpiredSegments(nowMs);
            }
        }
        producerStates.expire(topicsById.values(), nowMs);
        armRetention(nowMs);
    }

    private void armRetention(final long nowMs)
    {
        if (NOT_ARMED == retentionDeadlineMs && !topicsById.isEmpty())
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
        int work = 0;
        for (int i = retired.size() - 1; i >= 0; i--)
        {
            final Retired entry = retired.get(i);
            if (readerTableVersion >= entry.tableVersion)
            {
                retired.remove(i);
                for (int p = 0; p < entry.topic.partitionCount(); p++)
                {
                    entry.topic.partition(p).close();
                }
                for (final Path dir : entry.dirs)
                {
                    IoUtil.delete(dir.toFile(), true);
                }
                work++;
            }
        }

        return work;
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
     *   the groups, as GroupCoordinator#snapshot documents            (version 2 on; members' client ids 5 on)
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
        buffer.putInt(position, nextTopicId);
        position += 4;
        buffer.putInt(position, topicsById.size());
        position += 4;
        for (final Topic topic : sortedTopics())
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
        position = producerStates.snapshot(buffer, position, sortedTopics());
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
        if (!topicsById.isEmpty())
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
        nextTopicId = buffer.getInt(position);
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
            reviveUnpersistedDelete(id, name, partitionCount);
            final Topic topic = addTopic(id, name, partitionCount, configs, nowMs, false);
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
        else if (!topicsById.isEmpty())
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
            final List<Topic> topics = sortedTopics();
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
        publishTopicTable();
    }

    /**
     * Close every partition log.
     */
    public void close()
    {
        for (final Topic topic : topicsById.values())
        {
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                topic.partition(p).close();
            }
        }
        // Deleted topics' logs are closed but their directories stay: the host may not have persisted the delete
        // (it stops when it cannot), and the next start either removes them or, if the metadata still has the
        // topic, takes them back.
        for (final Retired entry : retired)
        {
            for (int p = 0; p < entry.topic.partitionCount(); p++)
            {
                entry.topic.partition(p).close();
            }
        }
        retired.clear();
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

            final Topic topic = topicsById.get(topicId);
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

    private void onCreateTopics(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        createDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = createDecoder.correlationId();
        final boolean validateOnly = createDecoder.validateOnly() == BooleanType.TRUE;
        final CreateTopicsRequestDecoder.TopicsDecoder topics = createDecoder.topics();

        createEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE);
        final CreateTopicsResponseEncoder.TopicsEncoder responses = createEncoder.topicsCount(topics.count());
        boolean changed = false;

        while (topics.hasNext())
        {
            topics.next();
            final int partitionCount = topics.partitionCount();
            final short replicationFactor = topics.replicationFactor();
            final Map<String, String> configs = new LinkedHashMap<>();
            for (final CreateTopicsRequestDecoder.TopicsDecoder.ConfigsDecoder config : topics.configs())
            {
                configs.put(config.key(), config.value());
            }
            final String name = topics.name();

            ErrorCode code = ErrorCode.NONE;
            String message = "";
            int topicId = -1;
            final String invalidName = invalidTopicName(name);
            if (null != invalidName)
            {
                code = ErrorCode.INVALID_TOPIC;
                message = invalidName;
            }
            else if (topicsByName.containsKey(name))
            {
                code = ErrorCode.TOPIC_ALREADY_EXISTS;
                message = "topic '" + name + "' already exists";
            }
            else if (partitionCount < 1 || partitionCount > MAX_PARTITIONS)
            {
                code = ErrorCode.INVALID_PARTITIONS;
                message = "partitions must be between 1 and " + MAX_PARTITIONS + ", was " + partitionCount;
            }
            else if (replicationFactor != -1 && replicationFactor != 1)
            {
                code = ErrorCode.INVALID_REPLICATION_FACTOR;
                message = "replication factor of a single broker must be 1 (or -1 for the default), was " +
                    replicationFactor;
            }
            else
            {
                try
                {
                    final LogConfig config = logConfig(configs);
                    final int maxMessageBytes = config.maxMessageBytes();
                    if (maxMessageBytes > maxMessageBytesLimit)
                    {
                        code = ErrorCode.INVALID_CONFIG;
                        message = "max.message.bytes " + maxMessageBytes + " is above the " + maxMessageBytesLimit +
                            " bytes a request can carry to this broker";
                    }
                }
                catch (final IllegalArgumentException ex)
                {
                    code = ErrorCode.INVALID_CONFIG;
                    message = ex.getMessage();
                }
            }

            if (ErrorCode.NONE == code && !validateOnly)
            {
                topicId = nextTopicId++;
                try
                {
                    addTopic(topicId, name, partitionCount, configs, nowMs, true);
                    changed = true;
                }
                catch (final RuntimeException ex)
                {
                    message = "could not create the logs of '" + name + "': " + ex.getMessage();
                    host.onStorageFailure(message, ex);
                    code = ErrorCode.KAFKA_STORAGE_ERROR;
                    topicId = -1;
                }
            }

            if (ErrorCode.NONE != code)
            {
                stats.onError(code);
            }
            responses.next()
                .errorCode(code)
                .topicId(topicId)
                .partitionCount(partitionCount)
                .name(name)
                .errorMessage(message);
        }
        createEncoder.errorMessage("");

        if (changed)
        {
            publishTopicTable();
            armRetention(nowMs);
        }
        send(sessionId, createEncoder.encodedLength());
    }

    private void onDeleteTopics(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        deleteDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = deleteDecoder.correlationId();
        final DeleteTopicsRequestDecoder.TopicsDecoder topics = deleteDecoder.topics();

        deleteEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE);
        final DeleteTopicsResponseEncoder.TopicsEncoder responses = deleteEncoder.topicsCount(topics.count());
        final List<Topic> removed = new ArrayList<>();

        while (topics.hasNext())
        {
            topics.next();
            final String name = topics.name();
            final Topic topic = topicsByName.remove(name);
            if (null == topic)
            {
                stats.onError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
                responses.next().errorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                    .name(name).errorMessage("topic '" + name + "' does not exist");
            }
            else
            {
                topicsById.remove(topic.id());
                groupCoordinator.onTopicDeleted(topic.id());
                removed.add(topic);
                responses.next().errorCode(ErrorCode.NONE).name(name).errorMessage("");
            }
        }
        deleteEncoder.errorMessage("");

        if (!removed.isEmpty())
        {
            publishTopicTable();
            for (final Topic topic : removed)
            {
                retire(topic);
            }
        }
        send(sessionId, deleteEncoder.encodedLength());
    }

    /**
     * Change one topic, all or nothing: set and delete configuration overrides, which take effect on its live logs
     * at once (sizes from the next segment, retention at the next pass), and raise its partition count, the new
     * partitions starting empty. The changed topic replaces the old one in a newly published {@link TopicTable}.
     */
    private void onAlterTopic(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        alterDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = alterDecoder.correlationId();
        final boolean validateOnly = alterDecoder.validateOnly() == BooleanType.TRUE;
        final int requestedPartitions = alterDecoder.partitionCount();
        final List<String> setKeys = new ArrayList<>();
        final List<String> setValues = new ArrayList<>();
        final List<String> deleteKeys = new ArrayList<>();
        for (final AlterTopicRequestDecoder.ConfigsDecoder config : alterDecoder.configs())
        {
            final ConfigOperation operation = config.operation();
            final String key = config.key();
            final String value = config.value();
            if (ConfigOperation.DELETE == operation)
            {
                deleteKeys.add(key);
            }
            else
            {
                setKeys.add(ConfigOperation.SET == operation ? key : null);
                setValues.add(value);
            }
        }
        final String name = alterDecoder.topic();

        final Topic topic = topicsByName.get(name);
        ErrorCode code = ErrorCode.NONE;
        String message = "";
        final Map<String, String> configs = null == topic ? new TreeMap<>() : new TreeMap<>(topic.configs());
        LogConfig config = null;
        if (null == topic)
        {
            code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            message = "topic '" + name + "' does not exist";
        }
        else if (setKeys.contains(null))
        {
            code = ErrorCode.INVALID_REQUEST;
            message = "unknown config operation";
        }
        else if (setKeys.isEmpty() && deleteKeys.isEmpty() && 0 == requestedPartitions)
        {
            code = ErrorCode.INVALID_REQUEST;
            message = "nothing to change: no config to set or delete and no new partition count";
        }
        else if (0 != requestedPartitions && requestedPartitions <= topic.partitionCount())
        {
            code = ErrorCode.INVALID_PARTITIONS;
            message = "topic '" + name + "' has " + topic.partitionCount() + " partitions and asked for " +
                requestedPartitions + ": partitions can only be added, so the count must be above " +
                topic.partitionCount();
        }
        else if (requestedPartitions > MAX_PARTITIONS)
        {
            code = ErrorCode.INVALID_PARTITIONS;
            message = "partitions must be between 1 and " + MAX_PARTITIONS + ", was " + requestedPartitions;
        }
        else
        {
            final String duplicate = duplicateKey(setKeys, deleteKeys);
            if (null != duplicate)
            {
                code = ErrorCode.INVALID_CONFIG;
                message = "config '" + duplicate + "' is changed more than once in one request";
            }
            for (int i = 0; null == duplicate && i < deleteKeys.size() && ErrorCode.NONE == code; i++)
            {
                if (!LogConfig.isLogConfig(deleteKeys.get(i)))
                {
                    code = ErrorCode.INVALID_CONFIG;
                    message = "cannot delete unknown config '" + deleteKeys.get(i) + "'";
                }
                configs.remove(deleteKeys.get(i));
            }
            for (int i = 0; i < setKeys.size(); i++)
            {
                configs.put(setKeys.get(i), setValues.get(i));
            }
            if (ErrorCode.NONE == code)
            {
                try
                {
                    config = logConfig(configs);
                    if (config.maxMessageBytes() > maxMessageBytesLimit)
                    {
                        code = ErrorCode.INVALID_CONFIG;
                        message = "max.message.bytes " + config.maxMessageBytes() + " is above the " +
                            maxMessageBytesLimit + " bytes a request can carry to this broker";
                    }
                }
                catch (final IllegalArgumentException ex)
                {
                    code = ErrorCode.INVALID_CONFIG;
                    message = ex.getMessage();
                }
            }
        }

        if (ErrorCode.NONE == code && !validateOnly)
        {
            Topic altered = topic;
            if (requestedPartitions > topic.partitionCount())
            {
                try
                {
                    altered = topic.withPartitions(openNewPartitions(topic, requestedPartitions, config, nowMs));
                }
                catch (final RuntimeException ex)
                {
                    message = "could not create the new partitions of '" + name + "': " + ex.getMessage();
                    host.onStorageFailure(message, ex);
                    code = ErrorCode.KAFKA_STORAGE_ERROR;
                }
            }
            if (ErrorCode.NONE == code)
            {
                if (!configs.equals(topic.configs()))
                {
                    altered = altered.withConfigs(configs);
                    for (int p = 0; p < topic.partitionCount(); p++)
                    {
                        altered.partition(p).config(config);
                    }
                }
                topicsByName.put(name, altered);
                topicsById.put(altered.id(), altered);
                metadataVersion++;
                publishTopicTable();
            }
        }

        if (ErrorCode.NONE != code)
        {
            stats.requestErrors++;
        }
        alterEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .topicId(null == topic ? -1 : topic.id())
            .partitionCount(null == topic ? 0 : topicsByName.get(name).partitionCount())
            .errorMessage(message);
        send(sessionId, alterEncoder.encodedLength());
    }

    private static String duplicateKey(final List<String> setKeys, final List<String> deleteKeys)
    {
        final Set<String> seen = new HashSet<>();
        for (final String key : setKeys)
        {
            if (!seen.add(key))
            {
                return key;
            }
        }
        for (final String key : deleteKeys)
        {
            if (!seen.add(key))
            {
                return key;
            }
        }
        return null;
    }

    /**
     * Open the logs of partitions added to a topic, empty whatever is on disk (a directory there is the leftover of
     * an addition that never completed, or of one a cluster member is replaying); on failure no directory made here
     * is left behind.
     */
    private PartitionLog[] openNewPartitions(
        final Topic topic, final int newCount, final LogConfig config, final long nowMs)
    {
        final int from = topic.partitionCount();
        final PartitionLog[] logs = new PartitionLog[newCount - from];
        try
        {
            for (int i = 0; i < logs.length; i++)
            {
                final Path dir = partitionDir(topic.name(), from + i);
                if (Files.isDirectory(dir))
                {
                    IoUtil.delete(dir.toFile(), false);
                }
                logs[i] = PartitionLog.open(dir.toFile(), config, nowMs);
                logs[i].highWaterMark(logs[i].logEndOffset());
                writePartitionTopicId(dir, topic.id());
            }
        }
        catch (final RuntimeException ex)
        {
            for (int i = 0; i < logs.length; i++)
            {
                if (null != logs[i])
                {
                    try
                    {
                        logs[i].close();
                    }
                    catch (final RuntimeException closeEx)
                    {
                        ex.addSuppressed(closeEx);
                    }
                }
                IoUtil.delete(partitionDir(topic.name(), from + i).toFile(), true);
            }
            throw ex;
        }
        return logs;
    }

    /**
     * Where a topic's effective config value comes from, as describe reports it: {@code topic} (an override),
     * {@code broker} (the broker's default differs from the built-in one) or {@code default} (built in).
     */
    private static String configSource(final boolean isOverride, final String key, final String value)
    {
        if (isOverride)
        {
            return "topic";
        }
        return value.equals(LogConfig.Configuration.builtInValue(key)) ? "default" : "broker";
    }

    private void onDescribeTopics(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        describeDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = describeDecoder.correlationId();
        final List<String> names = new ArrayList<>();
        for (final DescribeTopicsRequestDecoder.TopicsDecoder topic : describeDecoder.topics())
        {
            names.add(topic.name());
        }
        allTopicsWhenNoneNamed(names);

        describeEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE);
        final DescribeTopicsResponseEncoder.TopicsEncoder responses = describeEncoder.topicsCount(names.size());
        for (final String name : names)
        {
            final Topic topic = topicsByName.get(name);
            if (null == topic)
            {
                stats.onError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
                responses.next().errorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).topicId(-1).partitionCount(0);
                responses.partitionsCount(0);
                responses.configsCount(0);
                responses.name(name).errorMessage("topic '" + name + "' does not exist");
                continue;
            }

            responses.next().errorCode(ErrorCode.NONE).topicId(topic.id()).partitionCount(topic.partitionCount());
            final DescribeTopicsResponseEncoder.TopicsEncoder.PartitionsEncoder partitions =
                responses.partitionsCount(topic.partitionCount());
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                final PartitionLog log = topic.partition(p);
                partitions.next()
                    .partition(p)
                    .leaderId(leaderId)
                    .logStartOffset(log.readableStartOffset())
                    .logEndOffset(log.logEndOffset())
                    .highWatermark(log.highWaterMark())
                    .localLogStartOffset(log.logStartOffset());
            }
            final Map<String, String> effective = topic.partition(0).config().toMap();
            final DescribeTopicsResponseEncoder.TopicsEncoder.ConfigsEncoder configs =
                responses.configsCount(effective.size());
            for (final Map.Entry<String, String> entry : effective.entrySet())
            {
                final boolean isOverride = topic.configs().containsKey(entry.getKey());
                configs.next()
                    .isDefault(isOverride ? BooleanType.FALSE : BooleanType.TRUE)
                    .key(entry.getKey())
                    .value(entry.getValue())
                    .source(configSource(isOverride, entry.getKey(), entry.getValue()));
            }
            responses.name(name).errorMessage("");
        }
        describeEncoder.errorMessage("");
        send(sessionId, describeEncoder.encodedLength());
    }

    private void onListTopics(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        listDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final List<Topic> topics = sortedTopics();
        listEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(listDecoder.correlationId())
            .errorCode(ErrorCode.NONE);
        final ListTopicsResponseEncoder.TopicsEncoder responses = listEncoder.topicsCount(topics.size());
        for (final Topic topic : topics)
        {
            responses.next()
                .topicId(topic.id())
                .partitionCount(topic.partitionCount())
                .isInternal(BooleanType.FALSE)
                .name(topic.name());
        }
        listEncoder.errorMessage("");
        send(sessionId, listEncoder.encodedLength());
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
        allTopicsWhenNoneNamed(names);

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
            final Topic topic = topicsByName.get(name);
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
            final Topic topic = topicsById.get(topicId);
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

    /**
     * Open a topic's partition logs and add it to the state.
     * <p>
     * A partition's directory is {@code <topic>-<partition>}, as in Kafka, and holds a {@code partition.metadata}
     * file naming the topic id it belongs to. A new topic starts empty whatever is on disk: its id is new, so a
     * directory already there is the leftover of a creation that never completed (or, on a cluster member, of one
     * being replayed) and is removed. A restored topic opens what is there; a directory that names another topic id
     * is refused rather than served under the wrong topic, and one without the file (written before topic ids were
     * recorded) is adopted.
     */
    private Topic addTopic(
        final int id,
        final String name,
        final int partitionCount,
        final Map<String, String> configs,
        final long nowMs,
        final boolean isNew)
    {
        final LogConfig config = logConfig(configs);
        final PartitionLog[] logs = new PartitionLog[partitionCount];
        final boolean[] existed = new boolean[partitionCount];
        int attempted = 0;
        try
        {
            for (int p = 0; p < partitionCount; p++)
            {
                final Path dir = partitionDir(name, p);
                if (isNew && Files.isDirectory(dir))
                {
                    IoUtil.delete(dir.toFile(), false);
                }
                existed[p] = Files.exists(dir);
                attempted = p + 1;
                if (!isNew)
                {
                    checkPartitionTopicId(dir, id);
                }
                logs[p] = PartitionLog.open(dir.toFile(), config, nowMs).cleaner(host.logCleaner());
                logs[p].highWaterMark(logs[p].logEndOffset());
                writePartitionTopicId(dir, id);
            }
        }
        catch (final RuntimeException ex)
        {
            // Roll back: a topic that could not be created or restored leaves no partition directory it made
            // behind; a restored topic's directories that were there keep their contents.
            for (int p = 0; p < attempted; p++)
            {
                if (null != logs[p])
                {
                    try
                    {
                        logs[p].close();
                    }
                    catch (final RuntimeException closeEx)
                    {
                        ex.addSuppressed(closeEx);
                    }
                }
                if (!existed[p])
                {
                    IoUtil.delete(partitionDir(name, p).toFile(), true);
                }
            }
            throw ex;
        }

        final Topic topic = new Topic(id, name, configs, logs);
        topicsByName.put(name, topic);
        topicsById.put(id, topic);
        nextTopicId = Math.max(nextTopicId, id + 1);
        metadataVersion++;
        return topic;
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

    private static void checkPartitionTopicId(final Path dir, final int id)
    {
        final Path file = dir.resolve(PARTITION_METADATA_FILE);
        if (!Files.exists(file))
        {
            return;
        }
        final int stored;
        try
        {
            stored = parsePartitionTopicId(Files.readString(file, StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
        if (stored != id)
        {
            throw new IllegalStateException(dir + " holds topic id " + stored + " but the broker's metadata has id " +
                id + " for it: the directory belongs to another incarnation of the topic; move it away to start");
        }
    }

    private static int parsePartitionTopicId(final String content)
    {
        for (final String line : content.split("\n"))
        {
            if (line.startsWith(TOPIC_ID_KEY))
            {
                return Integer.parseInt(line.substring(TOPIC_ID_KEY.length()).trim());
            }
        }
        return -1;
    }

    private static void writePartitionTopicId(final Path dir, final int id)
    {
        final Path file = dir.resolve(PARTITION_METADATA_FILE);
        final String content = "version: 0\n" + TOPIC_ID_KEY + " " + id + "\n";
        try
        {
            if (!Files.exists(file) || !content.equals(Files.readString(file, StandardCharsets.UTF_8)))
            {
                Files.writeString(file, content, StandardCharsets.UTF_8);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + file, ex);
        }
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
        final Set<String> known = new HashSet<>();
        for (final Topic topic : topicsById.values())
        {
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                known.add(partitionDir(topic.name(), p).getFileName().toString());
            }
        }
        int deleted = 0;
        final File[] entries = dataDir.toFile().listFiles();
        if (null != entries)
        {
            for (final File entry : entries)
            {
                final String fileName = entry.getName();
                if (entry.isDirectory() && isPartitionDirName(fileName) && !known.contains(fileName))
                {
                    IoUtil.delete(entry, true);
                    deleted++;
                }
            }
        }
        return deleted;
    }

    /**
     * Whether a file name has the shape of a partition directory, {@code <topic>-<partition>}.
     */
    private static boolean isPartitionDirName(final String fileName)
    {
        final int dash = fileName.lastIndexOf('-');
        return dash > 0 && isDigits(fileName, dash + 1, fileName.length());
    }

    private static boolean isDigits(final String s, final int from, final int to)
    {
        if (from >= to)
        {
            return false;
        }
        for (int i = from; i < to; i++)
        {
            if (s.charAt(i) < '0' || s.charAt(i) > '9')
            {
                return false;
            }
        }
        return true;
    }

    private LogConfig logConfig(final Map<String, String> configs)
    {
        final LogConfig config = defaultLogConfig.copy();
        for (final Map.Entry<String, String> entry : configs.entrySet())
        {
            config.set(entry.getKey(), entry.getValue());
        }
        return config.conclude();
    }

    /**
     * A topic in the metadata whose partition directories were moved aside for deletion: the delete was never
     * persisted (the broker stopped first, say on a full disk), so the topic still exists and gets its data back.
     */
    private void reviveUnpersistedDelete(final int id, final String name, final int partitionCount)
    {
        for (int p = 0; p < partitionCount; p++)
        {
            final Path dir = partitionDir(name, p);
            final Path deleted = dataDir.resolve(dir.getFileName() + "." + id + DELETED_SUFFIX);
            if (!Files.exists(dir) && Files.isDirectory(deleted))
            {
                try
                {
                    Files.move(deleted, dir);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException("cannot restore " + deleted + " to " + dir, ex);
                }
            }
        }
    }

    private void retire(final Topic topic)
    {
        final List<Path> dirs = new ArrayList<>();
        for (int p = 0; p < topic.partitionCount(); p++)
        {
            final Path dir = partitionDir(topic.name(), p);
            final Path deleted = dataDir.resolve(dir.getFileName() + "." + topic.id() + DELETED_SUFFIX);
            try
            {
                Files.move(dir, deleted);
                dirs.add(deleted);
            }
            catch (final IOException ex)
            {
                dirs.add(dir);
            }
        }
        retired.add(new Retired(topic, topicTable.version(), dirs));
        metadataVersion++;
    }

    private void publishTopicTable()
    {
        final Int2ObjectHashMap<Topic> copy = new Int2ObjectHashMap<>();
        for (final Topic topic : topicsById.values())
        {
            copy.put(topic.id(), topic);
        }
        topicTable = new TopicTable(topicTable.version() + 1, copy, nextTopicId);
    }

    /**
     * A partition's directory, {@code <topic>-<partition>} as in Kafka; the topic id it belongs to is in its
     * {@code partition.metadata} file.
     */
    private Path partitionDir(final String name, final int partition)
    {
        return dataDir.resolve(name + "-" + partition);
    }

    private int partitionCount(final int topicId)
    {
        final Topic topic = topicsById.get(topicId);
        return null == topic ? -1 : topic.partitionCount();
    }

    private void allTopicsWhenNoneNamed(final List<String> names)
    {
        if (names.isEmpty())
        {
            for (final Topic topic : sortedTopics())
            {
                names.add(topic.name());
            }
        }
    }

    private List<Topic> sortedTopics()
    {
        final List<Topic> topics = new ArrayList<>(topicsById.values());
        topics.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return topics;
    }

    /**
     * Why a topic name is not legal, or null when it is: 1 to 249 of {@code [a-zA-Z0-9._-]}, not
     * {@code .} or {@code ..} (Kafka's rule).
     *
     * @param name the candidate.
     * @return the reason, or null.
     */
    public static String invalidTopicName(final String name)
    {
        if (null == name || name.isEmpty())
        {
            return "topic name is empty";
        }
        if (name.length() > MAX_TOPIC_NAME_LENGTH)
        {
            return "topic name is longer than " + MAX_TOPIC_NAME_LENGTH + " characters";
        }
        if (".".equals(name) || "..".equals(name))
        {
            return "topic name cannot be '.' or '..'";
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' ||
                c == '-'))
            {
                return "topic name '" + name + "' has an illegal character '" + c +
                    "': only ASCII letters, digits, '.', '_' and '-' are allowed";
            }
        }

        return null;
    }

    private static final class Retired
    {
        final Topic topic;
        final long tableVersion;
        final List<Path> dirs;

        Retired(final Topic topic, final long tableVersion, final List<Path> dirs)
        {
            this.topic = topic;
            this.tableVersion = tableVersion;
            this.dirs = dirs;
        }
    }
}
