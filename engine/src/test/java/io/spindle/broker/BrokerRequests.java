package io.spindle.broker;

import java.util.Map;
import java.util.TreeMap;

import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.protocol.AlterTopicRequestEncoder;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ConfigOperation;
import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.DeleteTopicsRequestEncoder;
import io.spindle.codecs.protocol.AddPartitionsToTxnRequestEncoder;
import io.spindle.codecs.protocol.EndTxnRequestEncoder;
import io.spindle.codecs.protocol.InitProducerIdRequestEncoder;
import io.spindle.codecs.protocol.TxnOffsetCommitRequestEncoder;
import io.spindle.codecs.protocol.ListOffsetsRequestEncoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes the requests the state machine tests step a {@link BrokerStateMachine} with, into one buffer; each method
 * returns the request's length and leaves its template id in {@link #templateId()}.
 */
final class BrokerRequests
{
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(16 * 1024);
    private int templateId;

    ExpandableArrayBuffer buffer()
    {
        return buffer;
    }

    int templateId()
    {
        return templateId;
    }

    int createTopic(final String name, final int partitions, final Map<String, String> configs)
    {
        templateId = CreateTopicsRequestEncoder.TEMPLATE_ID;
        final CreateTopicsRequestEncoder encoder = new CreateTopicsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(1).timeoutMs(1000).validateOnly(BooleanType.FALSE);
        final CreateTopicsRequestEncoder.TopicsEncoder topic = encoder.topicsCount(1).next()
            .partitionCount(partitions).replicationFactor((short)-1);
        final CreateTopicsRequestEncoder.TopicsEncoder.ConfigsEncoder configEncoder =
            topic.configsCount(configs.size());
        for (final Map.Entry<String, String> entry : new TreeMap<>(configs).entrySet())
        {
            configEncoder.next().key(entry.getKey()).value(entry.getValue());
        }
        topic.name(name);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    int alterTopic(
        final String name, final int partitionCount, final Map<String, String> set, final java.util.List<String> delete)
    {
        templateId = AlterTopicRequestEncoder.TEMPLATE_ID;
        final AlterTopicRequestEncoder encoder = new AlterTopicRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(6).timeoutMs(1000).validateOnly(BooleanType.FALSE).partitionCount(partitionCount);
        final AlterTopicRequestEncoder.ConfigsEncoder configs = encoder.configsCount(set.size() + delete.size());
        for (final Map.Entry<String, String> entry : new TreeMap<>(set).entrySet())
        {
            configs.next().operation(ConfigOperation.SET).key(entry.getKey()).value(entry.getValue());
        }
        for (final String key : delete)
        {
            configs.next().operation(ConfigOperation.DELETE).key(key).value("");
        }
        encoder.topic(name);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    int deleteTopic(final String name)
    {
        templateId = DeleteTopicsRequestEncoder.TEMPLATE_ID;
        final DeleteTopicsRequestEncoder encoder = new DeleteTopicsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(2).timeoutMs(1000);
        encoder.topicsCount(1).next().name(name);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    int listOffsets(final int topicId, final int partition)
    {
        templateId = ListOffsetsRequestEncoder.TEMPLATE_ID;
        final ListOffsetsRequestEncoder encoder = new ListOffsetsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(3);
        encoder.partitionsCount(1).next().topicId(topicId).partition(partition).timestamp(-1);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * A produce request of one batch whose records have keys {@code k<r>}, values {@code v<r>} and timestamps
     * {@code timestampMs + r}.
     */
    int produce(final int topicId, final int partition, final int records, final long timestampMs)
    {
        return produce(topicId, partition, records, timestampMs, -1, (short)-1, -1, false, "v", (short)1);
    }

    int initProducerId(final String transactionalId)
    {
        templateId = InitProducerIdRequestEncoder.TEMPLATE_ID;
        final InitProducerIdRequestEncoder encoder = new InitProducerIdRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(5).transactionTimeoutMs(0).producerId(-1).producerEpoch((short)-1)
            .transactionalId(transactionalId);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * A produce request of one batch of an idempotent producer, records as {@link #produce(int, int, int, long)}.
     */
    int produce(
        final int topicId,
        final int partition,
        final int records,
        final long timestampMs,
        final long producerId,
        final short epoch,
        final int baseSequence)
    {
        return produce(topicId, partition, records, timestampMs, producerId, epoch, baseSequence, false, "v",
            (short)-1);
    }

    int initProducerId(final String transactionalId, final int transactionTimeoutMs)
    {
        templateId = InitProducerIdRequestEncoder.TEMPLATE_ID;
        final InitProducerIdRequestEncoder encoder = new InitProducerIdRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(5).transactionTimeoutMs(transactionTimeoutMs).producerId(-1).producerEpoch((short)-1)
            .transactionalId(transactionalId);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    int addPartitionsToTxn(
        final String transactionalId, final long producerId, final short epoch, final int topicId, final int partition)
    {
        templateId = AddPartitionsToTxnRequestEncoder.TEMPLATE_ID;
        final AddPartitionsToTxnRequestEncoder encoder = new AddPartitionsToTxnRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(6).producerId(producerId).producerEpoch(epoch);
        encoder.partitionsCount(1).next().topicId(topicId).partition(partition);
        encoder.transactionalId(transactionalId);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    int txnOffsetCommit(
        final String transactionalId,
        final long producerId,
        final short epoch,
        final String groupId,
        final int topicId,
        final int partition,
        final long offset)
    {
        templateId = TxnOffsetCommitRequestEncoder.TEMPLATE_ID;
        final TxnOffsetCommitRequestEncoder encoder = new TxnOffsetCommitRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(7).producerId(producerId).producerEpoch(epoch);
        encoder.offsetsCount(1).next().topicId(topicId).partition(partition).committedOffset(offset)
            .committedLeaderEpoch(-1).metadata("");
        encoder.transactionalId(transactionalId).groupId(groupId);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    int endTxn(final String transactionalId, final long producerId, final short epoch, final boolean commit)
    {
        templateId = EndTxnRequestEncoder.TEMPLATE_ID;
        final EndTxnRequestEncoder encoder = new EndTxnRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(8).producerId(producerId).producerEpoch(epoch)
            .committed(commit ? BooleanType.TRUE : BooleanType.FALSE)
            .transactionalId(transactionalId);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * A produce request of one transactional batch, records as {@link #produce(int, int, int, long)}.
     */
    int produceTransactional(
        final int topicId,
        final int partition,
        final int records,
        final long timestampMs,
        final long producerId,
        final short epoch,
        final int baseSequence)
    {
        return produce(topicId, partition, records, timestampMs, producerId, epoch, baseSequence, true, "t",
            (short)-1);
    }

    private int produce(
        final int topicId,
        final int partition,
        final int records,
        final long timestampMs,
        final long producerId,
        final short epoch,
        final int baseSequence,
        final boolean isTransactional,
        final String valuePrefix,
        final short acks)
    {
        templateId = ProduceRequestEncoder.TEMPLATE_ID;
        final UnsafeBuffer batch = new UnsafeBuffer(new byte[64 + records * 64]);
        final RecordBatchBuilder builder = new RecordBatchBuilder().wrap(batch, 0, batch.capacity());
        if (producerId >= 0)
        {
            builder.producer(producerId, epoch, baseSequence).transactional(isTransactional);
        }
        for (int r = 0; r < records; r++)
        {
            builder.append(timestampMs + r, ("k" + r).getBytes(), (valuePrefix + r).getBytes());
        }
        final int batchLength = builder.build();
        final ProduceRequestEncoder encoder = new ProduceRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(4).acks(acks).timeoutMs(1000).producerId(producerId).producerEpoch(epoch);
        encoder.partitionsCount(1).next().topicId(topicId).partition(partition).putRecordBatch(batch, 0, batchLength);
        encoder.transactionalId("");
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }
}
