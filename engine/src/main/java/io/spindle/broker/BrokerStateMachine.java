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

import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.CreateTopicsRequestDecoder;
import io.spindle.codecs.protocol.CreateTopicsResponseEncoder;
import io.spindle.codecs.protocol.DeleteTopicsRequestDecoder;
import io.spindle.codecs.protocol.DeleteTopicsResponseEncoder;
import io.spindle.codecs.protocol.DescribeTopicsRequestDecoder;
import io.spindle.codecs.protocol.DescribeTopicsResponseEncoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseEncoder;
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
     * The seam to the host: where answers go.
     */
    public interface Host
    {
        /**
         * Send an encoded response to the session a request came from.
         *
         * @param sessionId of the client session.
         * @param buffer    holding the message.
         * @param offset    of the message.
         * @param length    of the message.
         */
        void sendResponse(long sessionId, DirectBuffer buffer, int offset, int length);

        /**
         * Ask for {@link BrokerStateMachine#onTimer(long, long)} at or after a deadline on the
         * host's clock; scheduling an id again replaces its deadline. The standalone host keeps a
         * timer wheel, the clustered host uses cluster timers, so timers fire in log order there.
         *
         * @param correlationId identifies the timer.
         * @param deadlineMs    when it should fire, in the time the host passes to commands.
         */
        void scheduleTimer(long correlationId, long deadlineMs);

        /**
         * Cancel a timer scheduled with {@link #scheduleTimer(long, long)}; unknown ids are ignored.
         *
         * @param correlationId identifies the timer.
         */
        void cancelTimer(long correlationId);
    }

    /**
     * Longest legal topic name, as in Kafka.
     */
    public static final int MAX_TOPIC_NAME_LENGTH = 249;

    /**
     * Most partitions a topic may have.
     */
    public static final int MAX_PARTITIONS = 10_000;

    private static final int SNAPSHOT_MAGIC = 0x53504e44;
    private static final int SNAPSHOT_VERSION = 2;
    private static final int SNAPSHOT_VERSION_TOPICS_ONLY = 1;
    private static final String DELETED_SUFFIX = ".deleted";

    /**
     * How often retention (retention.ms, retention.bytes) is applied to every partition, on the host's clock.
     */
    public static final long RETENTION_CHECK_INTERVAL_MS = 1_000;

    private final Path dataDir;
    private final int nodeId;
    private final String endpoint;
    private final LogConfig defaultLogConfig;
    private final Host host;
    private final Object2ObjectHashMap<String, Topic> topicsByName = new Object2ObjectHashMap<>();
    private final Int2ObjectHashMap<Topic> topicsById = new Int2ObjectHashMap<>();
    private final List<Retired> retired = new ArrayList<>();
    private volatile TopicTable topicTable = TopicTable.EMPTY;
    private int nextTopicId = 1;
    private long nextTimerId = 1;
    private long nextRetentionCheckMs;
    private long metadataVersion;
    private final GroupCoordinator groupCoordinator;

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ProduceRequestDecoder produceDecoder = new ProduceRequestDecoder();
    private final ProduceResponseEncoder produceEncoder = new ProduceResponseEncoder();
    private final CreateTopicsRequestDecoder createDecoder = new CreateTopicsRequestDecoder();
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
     * A state machine over a data directory, empty until {@link #restore} or commands fill it.
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
        this.dataDir = dataDir;
        this.nodeId = nodeId;
        this.endpoint = endpoint;
        this.defaultLogConfig = defaultLogConfig;
        this.host = host;
        this.groupCoordinator = new GroupCoordinator(host, responseBuffer, this::partitionCount, () -> nextTimerId++, stats);
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
     * @param nowMs      the command's time, passed in by the host.
     * @return true when the request was one this state machine handles.
     */
    public boolean onRequest(
        final long sessionId,
        final int templateId,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long nowMs)
    {
        headerDecoder.wrap(buffer, offset);
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
     * @param nowMs         the host's time.
     */
    public void onTimer(final long correlationId, final long nowMs)
    {
        groupCoordinator.onTimer(correlationId, nowMs);
    }

    /**
     * Periodic work driven by the host's clock: retention and time-based flushes and rolls.
     *
     * @param nowMs the host's time.
     * @return work done.
     */
    public int onTick(final long nowMs)
    {
        groupCoordinator.onTick();
        int work = 0;
        final boolean retentionDue = nowMs - nextRetentionCheckMs >= 0;
        if (retentionDue)
        {
            nextRetentionCheckMs = nowMs + RETENTION_CHECK_INTERVAL_MS;
        }
        for (final Topic topic : topicsById.values())
        {
            for (int p = 0, n = topic.partitionCount(); p < n; p++)
            {
                final PartitionLog log = topic.partition(p);
                work += log.doWork(nowMs);
                if (retentionDue)
                {
                    work += log.deleteExpiredSegments(nowMs);
                }
            }
        }

        return work;
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
     * Write the metadata (topics, ids, configs, consumer groups and committed offsets) into a buffer:
     * the snapshot the cluster host takes and the file the standalone host keeps. Record data is not
     * in it: it lives in the logs.
     * <pre>
     *   int32 magic 'SPND', int32 version (2), int32 nextTopicId, int32 topicCount, then per topic (by id):
     *     int32 id, int32 partitionCount, string name, int32 configCount, then (key, value) strings by key
     *   int64 nextTimerId                                             (version 2 on)
     *   the groups, as GroupCoordinator#snapshot documents            (version 2 on)
     *   string = int32 length + UTF-8; little-endian
     * </pre>
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
        }
        buffer.putLong(position, nextTimerId);
        position += 8;
        position = groupCoordinator.snapshot(buffer, position);

        return position;
    }

    /**
     * Restore metadata from a {@link #snapshot} and open (recovering) every partition log.
     *
     * @param buffer holding the snapshot.
     * @param offset of the snapshot.
     * @param length of the snapshot.
     * @param nowMs  the host's time.
     */
    public void restore(final DirectBuffer buffer, final int offset, final int length, final long nowMs)
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
        if (version != SNAPSHOT_VERSION && version != SNAPSHOT_VERSION_TOPICS_ONLY)
        {
            throw new IllegalArgumentException("unsupported snapshot version " + version + " (this broker reads " +
                SNAPSHOT_VERSION_TOPICS_ONLY + " and " + SNAPSHOT_VERSION + ")");
        }
        nextTopicId = buffer.getInt(position);
        position += 4;
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
            addTopic(id, name, partitionCount, configs, nowMs);
        }
        if (version >= SNAPSHOT_VERSION)
        {
            nextTimerId = buffer.getLong(position);
            position += 8;
            groupCoordinator.restore(buffer, position);
        }
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
            else
            {
                final long result = log.append(buffer, batchOffset, batchLength, nowMs);
                if (result >= 0)
                {
                    baseOffset = result;
                    log.highWaterMark(log.logEndOffset());
                    stats.batchesAppended++;
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
                    else if (ErrorCode.KAFKA_STORAGE_ERROR == code && null != log.lastStorageFailure())
                    {
                        appendError("storage error: " + log.lastStorageFailure().getMessage(), partition,
                            topic.name());
                    }
                    else
                    {
                        appendError("append failed: " + code, partition, topic.name());
                    }
                }
            }

            if (ErrorCode.NONE != code)
            {
                stats.requestErrors++;
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
                    logConfig(configs);
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
                    addTopic(topicId, name, partitionCount, configs, nowMs);
                    changed = true;
                }
                catch (final RuntimeException ex)
                {
                    code = ErrorCode.KAFKA_STORAGE_ERROR;
                    message = "could not create the logs of '" + name + "': " + ex.getMessage();
                    topicId = -1;
                }
            }

            if (ErrorCode.NONE != code)
            {
                stats.requestErrors++;
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
                stats.requestErrors++;
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
                stats.requestErrors++;
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
                    .leaderId(nodeId)
                    .logStartOffset(log.logStartOffset())
                    .logEndOffset(log.logEndOffset())
                    .highWatermark(log.highWaterMark());
            }
            final Map<String, String> effective = topic.partition(0).config().toMap();
            final DescribeTopicsResponseEncoder.TopicsEncoder.ConfigsEncoder configs =
                responses.configsCount(effective.size());
            for (final Map.Entry<String, String> entry : effective.entrySet())
            {
                configs.next()
                    .isDefault(topic.configs().containsKey(entry.getKey()) ? BooleanType.FALSE : BooleanType.TRUE)
                    .key(entry.getKey())
                    .value(entry.getValue());
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
            .controllerId(nodeId);
        metadataEncoder.brokersCount(1).next().nodeId(nodeId).endpoint(endpoint);
        final MetadataResponseEncoder.TopicsEncoder topics = metadataEncoder.topicsCount(names.size());
        for (final String name : names)
        {
            final Topic topic = topicsByName.get(name);
            if (null == topic)
            {
                stats.requestErrors++;
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
                partitions.next().partition(p).leaderId(nodeId).leaderEpoch(0);
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
                resultOffset = log.logStartOffset();
            }
            else if (-1 == timestamp)
            {
                resultOffset = log.highWaterMark();
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
                stats.requestErrors++;
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
        final long sessionId, final long correlationId, final int templateId, final ErrorCode code, final String message)
    {
        errorEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .requestTemplateId(templateId)
            .errorMessage(message);
        stats.requestErrors++;
        send(sessionId, errorEncoder.encodedLength());
    }

    private void addTopic(
        final int id, final String name, final int partitionCount, final Map<String, String> configs, final long nowMs)
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
                existed[p] = Files.exists(dir);
                attempted = p + 1;
                logs[p] = PartitionLog.open(dir.toFile(), config, nowMs);
                logs[p].highWaterMark(logs[p].logEndOffset());
            }
        }
        catch (final RuntimeException ex)
        {
            // Roll back: a topic that could not be created leaves no partition directories behind (only those it
            // made; a directory that was already there keeps its contents).
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
        topicTable = new TopicTable(topicTable.version() + 1, copy);
    }

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
