package io.spindle.client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

import io.spindle.codecs.protocol.AlterTopicRequestEncoder;
import io.spindle.codecs.protocol.AlterTopicResponseDecoder;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ConfigOperation;
import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.CreateTopicsResponseDecoder;
import io.spindle.codecs.protocol.DeleteGroupsRequestEncoder;
import io.spindle.codecs.protocol.DeleteGroupsResponseDecoder;
import io.spindle.codecs.protocol.DeleteTopicsRequestEncoder;
import io.spindle.codecs.protocol.DeleteTopicsResponseDecoder;
import io.spindle.codecs.protocol.DescribeGroupsRequestEncoder;
import io.spindle.codecs.protocol.DescribeGroupsResponseDecoder;
import io.spindle.codecs.protocol.DescribeTopicsRequestEncoder;
import io.spindle.codecs.protocol.DescribeTopicsResponseDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.codecs.protocol.ListGroupsRequestEncoder;
import io.spindle.codecs.protocol.ListGroupsResponseDecoder;
import io.spindle.codecs.protocol.ListOffsetsRequestEncoder;
import io.spindle.codecs.protocol.ListOffsetsResponseDecoder;
import io.spindle.codecs.protocol.ListTopicsRequestEncoder;
import io.spindle.codecs.protocol.ListTopicsResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.MetadataRequestEncoder;
import io.spindle.codecs.protocol.MetadataResponseDecoder;
import io.spindle.codecs.protocol.OffsetCommitRequestEncoder;
import io.spindle.codecs.protocol.OffsetCommitResponseDecoder;
import io.spindle.codecs.protocol.OffsetFetchRequestEncoder;
import io.spindle.codecs.protocol.OffsetFetchResponseDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * Topic and consumer group administration: create, delete, describe and list topics with their
 * configurations; list, describe and delete groups, and read and reset their committed offsets.
 * <p>
 * Every call blocks until the broker answers or the request timeout passes, and throws
 * {@link SpindleException} carrying the broker's error code when it refuses. A call that finds its
 * session lost (a broker restart, a pause past the broker's session timeout) opens it again, with
 * back-off, for up to {@link ClientContext#reconnectTimeoutMs()}, and repeats the request when that
 * is harmless (reads, setting group offsets); creating or deleting a topic or a group whose session
 * was lost after it was sent fails instead, saying it may have been applied.
 * <p>
 * <b>Threading:</b> an admin client belongs to one thread: the first thread to call it after
 * {@link #connect} owns it, and a call from any other thread throws
 * {@link java.util.ConcurrentModificationException} at once. Ownership passes on when the owner calls
 * {@link #releaseOwnership()} or has terminated.
 */
public final class Admin implements AutoCloseable
{
    private final ClientTransport transport;
    private final ClientContext ctx;
    private final BlockingCaller caller = new BlockingCaller(null);
    private final OwnerThread owner = new OwnerThread("Admin");
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private long nextCorrelationId = 1;

    private Admin(final ClientContext ctx)
    {
        this.ctx = ctx;
        this.transport = new ClientTransport(ctx);
    }

    /**
     * Connect an admin client.
     *
     * @param ctx where the broker is.
     * @return the connected client.
     */
    public static Admin connect(final ClientContext ctx)
    {
        final Admin admin = new Admin(ctx);
        try
        {
            admin.transport.control();
        }
        catch (final RuntimeException ex)
        {
            admin.close();
            throw ex;
        }
        return admin;
    }

    /**
     * Create a topic.
     *
     * @param name       of the topic.
     * @param partitions number of partitions.
     * @param configs    per-topic overrides, e.g. {@code retention.ms}; may be empty.
     * @return the new topic's id.
     */
    public int createTopic(final String name, final int partitions, final Map<String, String> configs)
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final CreateTopicsRequestEncoder encoder = new CreateTopicsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .timeoutMs((int)ctx.requestTimeoutMs())
            .validateOnly(BooleanType.FALSE);
        final CreateTopicsRequestEncoder.TopicsEncoder topics = encoder.topicsCount(1).next()
            .partitionCount(partitions)
            .replicationFactor((short)-1);
        final CreateTopicsRequestEncoder.TopicsEncoder.ConfigsEncoder configEncoder =
            topics.configsCount(configs.size());
        for (final Map.Entry<String, String> entry : configs.entrySet())
        {
            configEncoder.next().key(entry.getKey()).value(entry.getValue());
        }
        topics.name(name);

        final int[] topicId = {-1};
        callOnce(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final CreateTopicsResponseDecoder decoder = new CreateTopicsResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            for (final CreateTopicsResponseDecoder.TopicsDecoder topic : decoder.topics())
            {
                final ErrorCode code = topic.errorCode();
                topicId[0] = topic.topicId();
                topic.partitionCount();
                topic.name();
                final String message = topic.errorMessage();
                if (ErrorCode.NONE != code)
                {
                    throw new SpindleException(code, message);
                }
            }
        });
        return topicId[0];
    }

    /**
     * Delete a topic and all its data.
     *
     * @param name of the topic.
     */
    public void deleteTopic(final String name)
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final DeleteTopicsRequestEncoder encoder = new DeleteTopicsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .timeoutMs((int)ctx.requestTimeoutMs());
        encoder.topicsCount(1).next().name(name);

        callOnce(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final DeleteTopicsResponseDecoder decoder = new DeleteTopicsResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            for (final DeleteTopicsResponseDecoder.TopicsDecoder topic : decoder.topics())
            {
                final ErrorCode code = topic.errorCode();
                topic.name();
                final String message = topic.errorMessage();
                if (ErrorCode.NONE != code)
                {
                    throw new SpindleException(code, message);
                }
            }
        });
    }

    /**
     * Change a topic's configuration, all or nothing, as Kafka's {@code incrementalAlterConfigs} does: set
     * overrides and delete overrides (the broker's default applies again). Every value is checked as at creation;
     * a bad key or value refuses the whole change with INVALID_CONFIG naming the key and the reason. What is set
     * takes effect on the live logs at once: retention and cleanup at the broker's next pass, sizes from the next
     * segment. Repeating the call is harmless, so it is repeated after a lost session.
     *
     * @param topic  the topic.
     * @param set    keys and values to set; may be empty.
     * @param delete keys whose overrides to remove; may be empty.
     * @throws SpindleException INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION or INVALID_REQUEST (nothing to change).
     */
    public void alterTopicConfigs(
        final String topic, final Map<String, String> set, final java.util.Collection<String> delete)
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final AlterTopicRequestEncoder encoder = alterTopicRequest(correlationId, 0);
        final AlterTopicRequestEncoder.ConfigsEncoder configs = encoder.configsCount(set.size() + delete.size());
        for (final Map.Entry<String, String> entry : set.entrySet())
        {
            configs.next().operation(ConfigOperation.SET).key(entry.getKey()).value(entry.getValue());
        }
        for (final String key : delete)
        {
            configs.next().operation(ConfigOperation.DELETE).key(key).value("");
        }
        encoder.topic(topic);
        call(encoder.encodedLength(), correlationId, this::readAlterTopicResponse);
    }

    /**
     * Raise a topic's partition count, as Kafka's {@code createPartitions} does; the new partitions start empty
     * and take records at once. Partitions cannot be removed: a count not above the current one is refused with
     * INVALID_PARTITIONS. Keyed records map to partitions by the count, so after this a key may go to another
     * partition than its earlier records did.
     *
     * @param topic          the topic.
     * @param partitionCount the new count.
     * @throws SpindleException INVALID_PARTITIONS or UNKNOWN_TOPIC_OR_PARTITION.
     */
    public void increasePartitions(final String topic, final int partitionCount)
    {
        owner.check();
        if (partitionCount < 1)
        {
            throw new IllegalArgumentException("partition count must be at least 1, was " + partitionCount);
        }
        final long correlationId = nextCorrelationId++;
        final AlterTopicRequestEncoder encoder = alterTopicRequest(correlationId, partitionCount);
        encoder.configsCount(0);
        encoder.topic(topic);
        callOnce(encoder.encodedLength(), correlationId, this::readAlterTopicResponse);
    }

    private AlterTopicRequestEncoder alterTopicRequest(final long correlationId, final int partitionCount)
    {
        return new AlterTopicRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .timeoutMs((int)ctx.requestTimeoutMs())
            .validateOnly(BooleanType.FALSE)
            .partitionCount(partitionCount);
    }

    private void readAlterTopicResponse(
        final int templateId, final DirectBuffer buf, final int offset, final int length)
    {
        final AlterTopicResponseDecoder decoder = new AlterTopicResponseDecoder()
            .wrapAndApplyHeader(buf, offset, headerDecoder);
        final ErrorCode code = decoder.errorCode();
        final String message = decoder.errorMessage();
        if (ErrorCode.NONE != code)
        {
            throw new SpindleException(code, message);
        }
    }

    /**
     * Describe a topic: partitions, offsets and effective configuration.
     *
     * @param name of the topic.
     * @return the description.
     */
    public TopicDescription describeTopic(final String name)
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final DescribeTopicsRequestEncoder encoder = new DescribeTopicsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.topicsCount(1).next().name(name);

        final TopicDescription[] result = new TopicDescription[1];
        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final DescribeTopicsResponseDecoder decoder = new DescribeTopicsResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            for (final DescribeTopicsResponseDecoder.TopicsDecoder topic : decoder.topics())
            {
                final ErrorCode code = topic.errorCode();
                final int topicId = topic.topicId();
                topic.partitionCount();
                final List<TopicDescription.PartitionDescription> partitions = new ArrayList<>();
                for (final DescribeTopicsResponseDecoder.TopicsDecoder.PartitionsDecoder p : topic.partitions())
                {
                    final long localLogStartOffset = p.localLogStartOffset();
                    partitions.add(new TopicDescription.PartitionDescription(
                        p.partition(), p.leaderId(), p.logStartOffset(), p.logEndOffset(), p.highWatermark(),
                        DescribeTopicsResponseDecoder.TopicsDecoder.PartitionsDecoder.localLogStartOffsetNullValue() ==
                            localLogStartOffset ? p.logStartOffset() :
                            localLogStartOffset));
                }
                final Map<String, String> configs = new LinkedHashMap<>();
                final List<String> overrides = new ArrayList<>();
                final Map<String, String> sources = new LinkedHashMap<>();
                for (final DescribeTopicsResponseDecoder.TopicsDecoder.ConfigsDecoder c : topic.configs())
                {
                    final boolean isDefault = c.isDefault() == BooleanType.TRUE;
                    final String key = c.key();
                    configs.put(key, c.value());
                    sources.put(key, c.source());
                    if (!isDefault)
                    {
                        overrides.add(key);
                    }
                }
                final String topicName = topic.name();
                final String message = topic.errorMessage();
                if (ErrorCode.NONE != code)
                {
                    throw new SpindleException(code, message);
                }
                result[0] = new TopicDescription(topicName, topicId, List.copyOf(partitions),
                    Collections.unmodifiableMap(configs), List.copyOf(overrides), Collections.unmodifiableMap(sources));
            }
        });
        return result[0];
    }

    /**
     * Describe the brokers: a standalone broker, or every member of the cluster, its leader and the leader's term.
     *
     * @return the description.
     */
    public ClusterDescription describeCluster()
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final MetadataRequestEncoder encoder = new MetadataRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId);
        // Every topic: the request names none; only the brokers part of the answer is read.
        encoder.topicsCount(0);

        final ClusterDescription[] result = new ClusterDescription[1];
        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final MetadataResponseDecoder decoder = new MetadataResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            final int leaderId = decoder.controllerId();
            final int leaderEpoch = decoder.leaderEpoch();
            final List<ClusterDescription.Member> members = new ArrayList<>();
            for (final MetadataResponseDecoder.BrokersDecoder broker : decoder.brokers())
            {
                members.add(new ClusterDescription.Member(broker.nodeId(), broker.endpoint()));
            }
            result[0] = new ClusterDescription(List.copyOf(members), leaderId, leaderEpoch);
        });
        return result[0];
    }

    /**
     * List every topic.
     *
     * @return the topics, in creation order.
     */
    public List<TopicListing> listTopics()
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final ListTopicsRequestEncoder encoder = new ListTopicsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .includeInternal(BooleanType.FALSE);

        final List<TopicListing> result = new ArrayList<>();
        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final ListTopicsResponseDecoder decoder = new ListTopicsResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            for (final ListTopicsResponseDecoder.TopicsDecoder topic : decoder.topics())
            {
                final int topicId = topic.topicId();
                final int partitionCount = topic.partitionCount();
                topic.isInternal();
                result.add(new TopicListing(topic.name(), topicId, partitionCount));
            }
        });
        return result;
    }

    /**
     * The offset of a partition at a point in time.
     *
     * @param tp        the partition.
     * @param timestamp -2 for the log start, -1 for the log end (high-water mark), else a time in ms
     *                  since the epoch: the first offset whose record timestamp is at or after it.
     * @return the offset, or -1 when no record is that recent.
     */
    public long listOffset(final TopicPartition tp, final long timestamp)
    {
        return listOffset(tp, timestamp, IsolationLevel.READ_UNCOMMITTED);
    }

    /**
     * The offset of a partition at a point in time, as {@link #listOffset(TopicPartition, long)}; for
     * READ_COMMITTED the log end (-1) is the last stable offset: below the first transaction still open.
     *
     * @param tp        the partition.
     * @param timestamp -2 for the log start, -1 for the log end, else a time in ms since the epoch.
     * @param isolation whose log end.
     * @return the offset, or -1 where no record is that recent.
     */
    public long listOffset(final TopicPartition tp, final long timestamp, final IsolationLevel isolation)
    {
        owner.check();
        return withSession((connection) ->
        {
            final TopicMetadata topic = metadata(connection, caller, ctx, nextCorrelationId++, tp.topic());
            return listOffsets(connection, caller, ctx, buffer, nextCorrelationId++, List.of(tp),
                new int[]{topic.topicId()}, new long[]{timestamp}, isolation)[0];
        }, true);
    }

    /**
     * Look up offsets of partitions at points in time with one ListOffsets request over a control connection:
     * the code every client's offset lookups share.
     *
     * @param connection    the control session.
     * @param caller        to send and wait with.
     * @param ctx           for timeouts.
     * @param buffer        to encode the request in.
     * @param correlationId of the request.
     * @param partitions    the partitions, for their numbers and for error messages.
     * @param topicIds      the id of each partition's topic, in the same order.
     * @param timestamps    for each partition: -2 for the log start, -1 for the log end (high-water mark), else a
     *                      time in ms since the epoch.
     * @return the offsets, in the same order; -1 where no record is that recent.
     * @throws SpindleException naming the partition when the broker could not list its offsets.
     */
    static long[] listOffsets(
        final BrokerConnection connection,
        final BlockingCaller caller,
        final ClientContext ctx,
        final ExpandableArrayBuffer buffer,
        final long correlationId,
        final List<TopicPartition> partitions,
        final int[] topicIds,
        final long[] timestamps)
    {
        return listOffsets(connection, caller, ctx, buffer, correlationId, partitions, topicIds, timestamps,
            IsolationLevel.READ_UNCOMMITTED);
    }

    /**
     * List offsets as {@link #listOffsets(BrokerConnection, BlockingCaller, ClientContext, ExpandableArrayBuffer,
     * long, List, int[], long[])} does, where the log end of a read_committed reader is the last stable offset.
     *
     * @param connection    to send on.
     * @param caller        to send and wait with.
     * @param ctx           for timeouts.
     * @param buffer        to encode the request in.
     * @param correlationId of the request.
     * @param partitions    the partitions.
     * @param topicIds      the id of each partition's topic.
     * @param timestamps    for each partition: -2, -1 or a time.
     * @param isolation     READ_COMMITTED to take the last stable offset as the end.
     * @return the offsets, in the same order; -1 where no record is that recent.
     */
    static long[] listOffsets(
        final BrokerConnection connection,
        final BlockingCaller caller,
        final ClientContext ctx,
        final ExpandableArrayBuffer buffer,
        final long correlationId,
        final List<TopicPartition> partitions,
        final int[] topicIds,
        final long[] timestamps,
        final IsolationLevel isolation)
    {
        final int count = partitions.size();
        final ListOffsetsRequestEncoder encoder = new ListOffsetsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .isolationLevel(isolation);
        final ListOffsetsRequestEncoder.PartitionsEncoder entries = encoder.partitionsCount(count);
        for (int i = 0; i < count; i++)
        {
            entries.next().topicId(topicIds[i]).partition(partitions.get(i).partition()).timestamp(timestamps[i]);
        }
        final long[] offsets = new long[count];
        Arrays.fill(offsets, -1);
        caller.call(connection, buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(), correlationId,
            (templateId, buf, offset, length) ->
            {
                final ListOffsetsResponseDecoder decoder = new ListOffsetsResponseDecoder()
                    .wrapAndApplyHeader(buf, offset, new MessageHeaderDecoder());
                for (final ListOffsetsResponseDecoder.PartitionsDecoder entry : decoder.partitions())
                {
                    final int topicId = entry.topicId();
                    final int partition = entry.partition();
                    final ErrorCode code = entry.errorCode();
                    entry.timestamp();
                    final long resolved = entry.offset();
                    for (int i = 0; i < count; i++)
                    {
                        if (topicIds[i] == topicId && partitions.get(i).partition() == partition)
                        {
                            if (ErrorCode.NONE != code)
                            {
                                throw new SpindleException(code, "cannot list offsets of " + partitions.get(i));
                            }
                            offsets[i] = resolved;
                        }
                    }
                }
            }, ctx.requestTimeoutMs(), ctx.idleStrategy());
        return offsets;
    }

    /**
     * List consumer groups.
     *
     * @return the groups, by group id.
     */
    public List<GroupListing> listGroups()
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final ListGroupsRequestEncoder encoder = new ListGroupsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.statesFilterCount(0);
        final List<GroupListing> result = new ArrayList<>();
        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final ListGroupsResponseDecoder decoder = new ListGroupsResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            for (final ListGroupsResponseDecoder.GroupsDecoder group : decoder.groups())
            {
                final String groupId = group.groupId();
                final String protocolType = group.protocolType();
                result.add(new GroupListing(groupId, protocolType, group.groupState()));
            }
        });
        return result;
    }

    /**
     * Describe a consumer group: state, generation, members and their assignments.
     *
     * @param groupId the group.
     * @return the description.
     * @throws SpindleException GROUP_ID_NOT_FOUND when there is no such group.
     */
    public GroupDescription describeGroup(final String groupId)
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final DescribeGroupsRequestEncoder encoder = new DescribeGroupsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.groupsCount(1).next().groupId(groupId);
        final GroupDescription[] result = new GroupDescription[1];
        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final DescribeGroupsResponseDecoder decoder = new DescribeGroupsResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            for (final DescribeGroupsResponseDecoder.GroupsDecoder group : decoder.groups())
            {
                final ErrorCode code = group.errorCode();
                final int generationId = group.generationId();
                final List<GroupDescription.MemberDescription> members = new ArrayList<>();
                for (final DescribeGroupsResponseDecoder.GroupsDecoder.MembersDecoder member : group.members())
                {
                    final String memberId = member.memberId();
                    final String instanceId = member.groupInstanceId();
                    final String clientId = member.clientId();
                    final String clientHost = member.clientHost();
                    final byte[] metadata = new byte[member.memberMetadataLength()];
                    member.getMemberMetadata(metadata, 0, metadata.length);
                    final byte[] assignment = new byte[member.memberAssignmentLength()];
                    member.getMemberAssignment(assignment, 0, assignment.length);
                    List<String> topics = List.of();
                    List<TopicPartition> partitions = List.of();
                    boolean readCommitted = false;
                    try
                    {
                        topics = 0 == metadata.length ? List.of() :
                            ConsumerProtocol.decodeSubscription(metadata).topics();
                        readCommitted = 0 != metadata.length && ConsumerProtocol.isReadCommitted(metadata);
                        partitions = ConsumerProtocol.decodeAssignment(assignment);
                    }
                    catch (final IllegalArgumentException ignore)
                    {
                        // Not a consumer protocol member: shown without topics.
                    }
                    members.add(new GroupDescription.MemberDescription(memberId, instanceId, topics, partitions,
                        readCommitted, clientId, clientHost));
                }
                final String id = group.groupId();
                final String state = group.groupState();
                final String protocolType = group.protocolType();
                final String protocolName = group.protocolName();
                if (ErrorCode.NONE != code)
                {
                    throw new SpindleException(code, "group '" + id + "' does not exist");
                }
                result[0] = new GroupDescription(id, state, generationId, protocolType, protocolName,
                    List.copyOf(members));
            }
        });
        return result[0];
    }

    /**
     * The committed offsets of a group.
     *
     * @param groupId the group.
     * @return by partition, sorted; empty when the group has none (or does not exist).
     */
    public Map<TopicPartition, OffsetAndMetadata> listGroupOffsets(final String groupId)
    {
        owner.check();
        final Map<Integer, String> names = new HashMap<>();
        for (final TopicListing topic : listTopics())
        {
            names.put(topic.topicId(), topic.name());
        }
        final long correlationId = nextCorrelationId++;
        final OffsetFetchRequestEncoder encoder = new OffsetFetchRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .requireStable(BooleanType.FALSE);
        encoder.partitionsCount(0);
        encoder.groupId(groupId);
        final Map<TopicPartition, OffsetAndMetadata> result = new TreeMap<>();
        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final OffsetFetchResponseDecoder decoder = new OffsetFetchResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            final ErrorCode code = decoder.errorCode();
            for (final OffsetFetchResponseDecoder.PartitionsDecoder entry : decoder.partitions())
            {
                final int topicId = entry.topicId();
                final int partition = entry.partition();
                final long committed = entry.committedOffset();
                entry.committedLeaderEpoch();
                entry.errorCode();
                final String metadata = entry.metadata();
                final String name = names.get(topicId);
                if (null != name && committed >= 0)
                {
                    result.put(new TopicPartition(name, partition), new OffsetAndMetadata(committed, metadata));
                }
            }
            final String message = decoder.errorMessage();
            if (ErrorCode.NONE != code)
            {
                throw new SpindleException(code, message);
            }
        });
        return result;
    }

    /**
     * Set a group's committed offsets, outside any generation: refused with NON_EMPTY_GROUP while the
     * group has members. Creates the group when it does not exist.
     *
     * @param groupId the group.
     * @param offsets the next offset to read, by partition.
     */
    public void alterGroupOffsets(final String groupId, final Map<TopicPartition, OffsetAndMetadata> offsets)
    {
        owner.check();
        final Map<String, Integer> ids = new HashMap<>();
        for (final TopicPartition tp : offsets.keySet())
        {
            if (!ids.containsKey(tp.topic()))
            {
                ids.put(tp.topic(), withSession(
                    (connection) -> metadata(connection, caller, ctx, nextCorrelationId++, tp.topic()),
                        true).topicId());
            }
        }
        final long correlationId = nextCorrelationId++;
        final OffsetCommitRequestEncoder encoder = new OffsetCommitRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .generationId(-1);
        final OffsetCommitRequestEncoder.OffsetsEncoder entries = encoder.offsetsCount(offsets.size());
        for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry : offsets.entrySet())
        {
            entries.next()
                .topicId(ids.get(entry.getKey().topic()))
                .partition(entry.getKey().partition())
                .committedOffset(entry.getValue().offset())
                .committedLeaderEpoch(-1)
                .metadata(entry.getValue().metadata());
        }
        encoder.groupId(groupId).memberId("").groupInstanceId("");
        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final OffsetCommitResponseDecoder decoder = new OffsetCommitResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            decoder.correlationId();
            final ErrorCode code = decoder.errorCode();
            ErrorCode first = ErrorCode.NONE;
            for (final OffsetCommitResponseDecoder.PartitionsDecoder entry : decoder.partitions())
            {
                entry.topicId();
                entry.partition();
                final ErrorCode partitionCode = entry.errorCode();
                first = ErrorCode.NONE == first ? partitionCode : first;
            }
            final String message = decoder.errorMessage();
            if (ErrorCode.NONE != code)
            {
                throw new SpindleException(code, message);
            }
            if (ErrorCode.NONE != first)
            {
                throw new SpindleException(first, "could not set the offsets of group '" + groupId + "'");
            }
        });
    }

    /**
     * Delete a consumer group and its committed offsets: refused with NON_EMPTY_GROUP while it has
     * members, GROUP_ID_NOT_FOUND when there is no such group.
     *
     * @param groupId the group.
     */
    public void deleteGroup(final String groupId)
    {
        owner.check();
        final long correlationId = nextCorrelationId++;
        final DeleteGroupsRequestEncoder encoder = new DeleteGroupsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.groupsCount(1).next().groupId(groupId);
        callOnce(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
        {
            final DeleteGroupsResponseDecoder decoder = new DeleteGroupsResponseDecoder()
                .wrapAndApplyHeader(buf, offset, headerDecoder);
            ErrorCode code = decoder.errorCode();
            for (final DeleteGroupsResponseDecoder.GroupsDecoder group : decoder.groups())
            {
                final ErrorCode groupCode = group.errorCode();
                group.groupId();
                code = ErrorCode.NONE == code ? groupCode : code;
            }
            final String message = decoder.errorMessage();
            if (ErrorCode.NONE != code)
            {
                throw new SpindleException(code, message);
            }
        });
    }

    /**
     * Give the client up, from its owning thread: the next thread to call it becomes its owner.
     *
     * @throws java.util.ConcurrentModificationException when called from a thread that does not own the client.
     */
    public void releaseOwnership()
    {
        owner.release();
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        owner.check();
        transport.close();
    }

    private void call(final int bodyLength, final long correlationId, final BlockingCaller.ResponseDecoder decoder)
    {
        withSession((connection) ->
        {
            caller.call(connection, buffer, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, correlationId,
                decoder, ctx.requestTimeoutMs(), ctx.idleStrategy());
            return null;
        }, true);
    }

    private void callOnce(final int bodyLength, final long correlationId, final BlockingCaller.ResponseDecoder decoder)
    {
        withSession((connection) ->
        {
            caller.call(connection, buffer, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, correlationId,
                decoder, ctx.requestTimeoutMs(), ctx.idleStrategy());
            return null;
        }, false);
    }

    /**
     * Run a call on the control session, opening it again (with back-off, until the reconnect timeout)
     * when it was lost. A call the broker may have applied before the session was lost is repeated
     * only when repeating it is harmless; any other fails saying it may have been applied.
     */
    private <T> T withSession(final Function<BrokerConnection, T> call, final boolean repeatable)
    {
        final long deadlineNs = System.nanoTime() + ctx.reconnectTimeoutMs() * 1_000_000L;
        long backoffNs = Math.max(1, ctx.reconnectBackoffMs()) * 1_000_000L;
        while (true)
        {
            final BrokerConnection connection;
            try
            {
                connection = transport.control();
            }
            catch (final SpindleException ex)
            {
                if (System.nanoTime() + backoffNs - deadlineNs > 0)
                {
                    throw new SpindleException(ex.errorCode(), "could not reach the broker within " +
                        ctx.reconnectTimeoutMs() + " ms: " + ex.getMessage());
                }
                LockSupport.parkNanos(backoffNs);
                backoffNs = Math.min(backoffNs * 2, Math.max(1, ctx.reconnectBackoffMaxMs()) * 1_000_000L);
                continue;
            }

            try
            {
                return call.apply(connection);
            }
            catch (final SpindleException ex)
            {
                if (connection.isConnected() || System.nanoTime() - deadlineNs > 0)
                {
                    throw ex;
                }
                if (!repeatable && caller.sent())
                {
                    throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "the broker session was lost (" +
                        connection.closedReason() + ") after the request was sent: it may have been applied; " +
                        "check before repeating it");
                }
            }
        }
    }

    /**
     * Look up topics' ids and partition counts over a control connection.
     *
     * @param connection    the control session.
     * @param caller        to send and wait with.
     * @param ctx           for timeouts.
     * @param correlationId of the request.
     * @param name          of the topic.
     * @return the metadata.
     * @throws SpindleException UNKNOWN_TOPIC_OR_PARTITION when there is no such topic.
     */
    static TopicMetadata metadata(
        final BrokerConnection connection,
        final BlockingCaller caller,
        final ClientContext ctx,
        final long correlationId,
        final String name)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        final MetadataRequestEncoder encoder = new MetadataRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(correlationId);
        encoder.topicsCount(1).next().name(name);

        final TopicMetadata[] result = new TopicMetadata[1];
        caller.call(connection, buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(), correlationId,
            (templateId, buf, offset, length) -> result[0] = decodeMetadata(buf, offset),
            ctx.requestTimeoutMs(), ctx.idleStrategy());
        return result[0];
    }

    private static TopicMetadata decodeMetadata(final DirectBuffer buffer, final int offset)
    {
        final MetadataResponseDecoder decoder = new MetadataResponseDecoder()
            .wrapAndApplyHeader(buffer, offset, new MessageHeaderDecoder());
        for (final MetadataResponseDecoder.BrokersDecoder broker : decoder.brokers())
        {
            broker.nodeId();
            broker.endpoint();
        }
        TopicMetadata result = null;
        for (final MetadataResponseDecoder.TopicsDecoder topic : decoder.topics())
        {
            final ErrorCode code = topic.errorCode();
            final int topicId = topic.topicId();
            final int partitionCount = topic.partitionCount();
            for (final MetadataResponseDecoder.TopicsDecoder.PartitionsDecoder p : topic.partitions())
            {
                p.partition();
            }
            final String name = topic.name();
            if (ErrorCode.NONE != code)
            {
                throw new SpindleException(code, "topic '" + name + "' does not exist");
            }
            result = new TopicMetadata(name, topicId, partitionCount);
        }
        return result;
    }
}
