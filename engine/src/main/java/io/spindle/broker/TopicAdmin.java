/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntSupplier;
import java.util.function.LongConsumer;

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
import io.spindle.codecs.protocol.ListTopicsRequestDecoder;
import io.spindle.codecs.protocol.ListTopicsResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The topic administration requests of the broker's state: create, delete and alter topics, describe them and list
 * them, validated and answered as Kafka's admin API would (Kafka's topic name rule, partition bounds, configuration
 * checked whole before anything changes). What exists is kept in {@link Topics}; a delete also drops the topic's
 * committed offsets through the {@link GroupCoordinator}.
 * <p>
 * <b>Threading:</b> the state machine's thread; deterministic like the rest of the state.
 */
final class TopicAdmin
{
    /**
     * Longest legal topic name, as in Kafka.
     */
    static final int MAX_TOPIC_NAME_LENGTH = 249;

    /**
     * Most partitions a topic may have.
     */
    static final int MAX_PARTITIONS = 10_000;

    private final Topics registry;
    private final GroupCoordinator groups;
    private final Host host;
    private final MutableDirectBuffer responseBuffer;
    private final BrokerStats stats;
    private final IntSupplier leaderId;
    private final LongConsumer onTopicsCreated;
    private int maxMessageBytesLimit = Integer.MAX_VALUE;

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final CreateTopicsRequestDecoder createDecoder = new CreateTopicsRequestDecoder();
    private final CreateTopicsResponseEncoder createEncoder = new CreateTopicsResponseEncoder();
    private final DeleteTopicsRequestDecoder deleteDecoder = new DeleteTopicsRequestDecoder();
    private final DeleteTopicsResponseEncoder deleteEncoder = new DeleteTopicsResponseEncoder();
    private final AlterTopicRequestDecoder alterDecoder = new AlterTopicRequestDecoder();
    private final AlterTopicResponseEncoder alterEncoder = new AlterTopicResponseEncoder();
    private final DescribeTopicsRequestDecoder describeDecoder = new DescribeTopicsRequestDecoder();
    private final DescribeTopicsResponseEncoder describeEncoder = new DescribeTopicsResponseEncoder();
    private final ListTopicsRequestDecoder listDecoder = new ListTopicsRequestDecoder();
    private final ListTopicsResponseEncoder listEncoder = new ListTopicsResponseEncoder();

    /**
     * @param registry        the topics.
     * @param groups          the group coordinator, told of deleted topics.
     * @param host            answers go to, and storage failures.
     * @param responseBuffer  the state machine's response buffer.
     * @param stats           counts errors.
     * @param leaderId        the member that leads now, named as every partition's leader.
     * @param onTopicsCreated called with the time after topics were created (to arm retention).
     */
    TopicAdmin(
        final Topics registry,
        final GroupCoordinator groups,
        final Host host,
        final MutableDirectBuffer responseBuffer,
        final BrokerStats stats,
        final IntSupplier leaderId,
        final LongConsumer onTopicsCreated)
    {
        this.registry = registry;
        this.groups = groups;
        this.host = host;
        this.responseBuffer = responseBuffer;
        this.stats = stats;
        this.leaderId = leaderId;
        this.onTopicsCreated = onTopicsCreated;
    }

    /**
     * Whether a request is one of the topic administration requests.
     *
     * @param templateId of the request.
     * @return true for create, delete, alter, describe and list topics.
     */
    static boolean handles(final int templateId)
    {
        switch (templateId)
        {
            case CreateTopicsRequestDecoder.TEMPLATE_ID:
            case DeleteTopicsRequestDecoder.TEMPLATE_ID:
            case AlterTopicRequestDecoder.TEMPLATE_ID:
            case DescribeTopicsRequestDecoder.TEMPLATE_ID:
            case ListTopicsRequestDecoder.TEMPLATE_ID:
                return true;

            default:
                return false;
        }
    }

    /**
     * Apply a topic administration request and answer it.
     *
     * @param sessionId  the session it came from.
     * @param templateId of the request, one {@link #handles} accepts.
     * @param buffer     holding the request, starting with its message header.
     * @param offset     of the message header.
     * @param nowMs      the state's time.
     */
    void onRequest(
        final long sessionId, final int templateId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        switch (templateId)
        {
            case CreateTopicsRequestDecoder.TEMPLATE_ID:
                onCreateTopics(sessionId, buffer, offset, nowMs);
                break;

            case DeleteTopicsRequestDecoder.TEMPLATE_ID:
                onDeleteTopics(sessionId, buffer, offset);
                break;

            case AlterTopicRequestDecoder.TEMPLATE_ID:
                onAlterTopic(sessionId, buffer, offset, nowMs);
                break;

            case DescribeTopicsRequestDecoder.TEMPLATE_ID:
                onDescribeTopics(sessionId, buffer, offset);
                break;

            case ListTopicsRequestDecoder.TEMPLATE_ID:
                onListTopics(sessionId, buffer, offset);
                break;

            default:
                throw new IllegalArgumentException("not a topic administration request: template " + templateId);
        }
    }

    /**
     * The largest {@code max.message.bytes} a topic may be created or altered with (see
     * {@link BrokerStateMachine#maxMessageBytesLimit}).
     *
     * @param limitBytes the limit.
     */
    void maxMessageBytesLimit(final int limitBytes)
    {
        this.maxMessageBytesLimit = limitBytes;
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
            else if (null != registry.byName(name))
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
                    final LogConfig config = registry.logConfig(configs);
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
                topicId = registry.takeNextId();
                try
                {
                    registry.add(topicId, name, partitionCount, configs, nowMs, true);
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
            registry.publish();
            onTopicsCreated.accept(nowMs);
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
            final Topic topic = registry.remove(name);
            if (null == topic)
            {
                stats.onError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
                responses.next().errorCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                    .name(name).errorMessage("topic '" + name + "' does not exist");
            }
            else
            {
                groups.onTopicDeleted(topic.id());
                removed.add(topic);
                responses.next().errorCode(ErrorCode.NONE).name(name).errorMessage("");
            }
        }
        deleteEncoder.errorMessage("");

        if (!removed.isEmpty())
        {
            registry.publish();
            for (final Topic topic : removed)
            {
                registry.retire(topic);
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

        final Topic topic = registry.byName(name);
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
                    config = registry.logConfig(configs);
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
                    altered =
                        topic.withPartitions(registry.openNewPartitions(topic, requestedPartitions, config, nowMs));
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
                        final PartitionLog log = altered.partition(p);
                        if (!log.config(config, nowMs))
                        {
                            // The config stands; only the segment the new sizes asked for is missing.
                            host.onStorageFailure(name + "-" + p + ": no new segment for the altered config",
                                log.lastStorageFailure());
                        }
                    }
                }
                registry.replace(altered);
                registry.publish();
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
            .partitionCount(null == topic ? 0 : registry.byName(name).partitionCount())
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
        registry.allNamesWhenNoneNamed(names);

        describeEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE);
        final DescribeTopicsResponseEncoder.TopicsEncoder responses = describeEncoder.topicsCount(names.size());
        for (final String name : names)
        {
            final Topic topic = registry.byName(name);
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
                    .leaderId(leaderId.getAsInt())
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
        final List<Topic> sorted = registry.sorted();
        listEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(listDecoder.correlationId())
            .errorCode(ErrorCode.NONE);
        final ListTopicsResponseEncoder.TopicsEncoder responses = listEncoder.topicsCount(sorted.size());
        for (final Topic topic : sorted)
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

    /**
     * Why a topic name is not legal, or null when it is: 1 to 249 of {@code [a-zA-Z0-9._-]}, not
     * {@code .} or {@code ..} (Kafka's rule).
     *
     * @param name the candidate.
     * @return the reason, or null.
     */
    static String invalidTopicName(final String name)
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

    private void send(final long sessionId, final int bodyLength)
    {
        host.sendResponse(sessionId, responseBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength);
    }
}
