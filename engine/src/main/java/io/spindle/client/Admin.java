package io.spindle.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.CreateTopicsResponseDecoder;
import io.spindle.codecs.protocol.DeleteTopicsRequestEncoder;
import io.spindle.codecs.protocol.DeleteTopicsResponseDecoder;
import io.spindle.codecs.protocol.DescribeTopicsRequestEncoder;
import io.spindle.codecs.protocol.DescribeTopicsResponseDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ListTopicsRequestEncoder;
import io.spindle.codecs.protocol.ListTopicsResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.MetadataRequestEncoder;
import io.spindle.codecs.protocol.MetadataResponseDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * Topic administration: create, delete, describe and list topics with their configurations.
 * <p>
 * Every call blocks until the broker answers or the request timeout passes, and throws
 * {@link SpindleException} carrying the broker's error code when it refuses.
 * <p>
 * <b>Threading:</b> not thread-safe; use from one thread at a time.
 */
public final class Admin implements AutoCloseable
{
    private final ClientTransport transport;
    private final ClientContext ctx;
    private final BlockingCaller caller = new BlockingCaller(null);
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
        final long correlationId = nextCorrelationId++;
        final CreateTopicsRequestEncoder encoder = new CreateTopicsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .timeoutMs((int)ctx.requestTimeoutMs())
            .validateOnly(BooleanType.FALSE);
        final CreateTopicsRequestEncoder.TopicsEncoder topics = encoder.topicsCount(1).next()
            .partitionCount(partitions)
            .replicationFactor((short)-1);
        final CreateTopicsRequestEncoder.TopicsEncoder.ConfigsEncoder configEncoder = topics.configsCount(configs.size());
        for (final Map.Entry<String, String> entry : configs.entrySet())
        {
            configEncoder.next().key(entry.getKey()).value(entry.getValue());
        }
        topics.name(name);

        final int[] topicId = {-1};
        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
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
        final long correlationId = nextCorrelationId++;
        final DeleteTopicsRequestEncoder encoder = new DeleteTopicsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .timeoutMs((int)ctx.requestTimeoutMs());
        encoder.topicsCount(1).next().name(name);

        call(encoder.encodedLength(), correlationId, (templateId, buf, offset, length) ->
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
     * Describe a topic: partitions, offsets and effective configuration.
     *
     * @param name of the topic.
     * @return the description.
     */
    public TopicDescription describeTopic(final String name)
    {
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
                    partitions.add(new TopicDescription.PartitionDescription(
                        p.partition(), p.leaderId(), p.logStartOffset(), p.logEndOffset(), p.highWatermark()));
                }
                final Map<String, String> configs = new LinkedHashMap<>();
                final List<String> overrides = new ArrayList<>();
                for (final DescribeTopicsResponseDecoder.TopicsDecoder.ConfigsDecoder c : topic.configs())
                {
                    final boolean isDefault = c.isDefault() == BooleanType.TRUE;
                    final String key = c.key();
                    configs.put(key, c.value());
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
                    Collections.unmodifiableMap(configs), List.copyOf(overrides));
            }
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
     * {@inheritDoc}
     */
    public void close()
    {
        transport.close();
    }

    private void call(final int bodyLength, final long correlationId, final BlockingCaller.ResponseDecoder decoder)
    {
        caller.call(transport.control(), buffer, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength, correlationId,
            decoder, ctx.requestTimeoutMs(), ctx.idleStrategy());
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
        final ServerConnection connection,
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
