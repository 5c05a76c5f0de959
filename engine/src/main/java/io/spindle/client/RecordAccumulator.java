package io.spindle.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordFlyweight;
import io.spindle.codecs.batch.RecordHeaders;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import org.agrona.DirectBuffer;
import org.agrona.collections.MutableLong;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A producer's batches until they go on the wire, as Kafka's {@code RecordAccumulator}: the slots they are built in,
 * each partition's open batch, and the sealed batches, each already encoded as its produce request and waiting in
 * the order that keeps every partition's batches in the order they were sent. The {@link Sender} takes batches from
 * that queue and gives their slots back; a batch it must send again, or one the broker found too large, comes back
 * here to be put back in its place or split.
 * <p>
 * Sealing stamps a batch with the next id of the producer's one correlation counter (an answer names exactly one
 * request, whatever its kind) and with the producer id, epoch and sequence: the id and epoch are the ones last given
 * to {@link #renumberSealed(long, short)}.
 * <p>
 * <b>Threading:</b> owned by the producer's thread, as the producer is.
 */
final class RecordAccumulator
{
    static final int PREFIX_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + ProduceRequestEncoder.BLOCK_LENGTH +
        4 + ProduceRequestEncoder.PartitionsEncoder.sbeBlockLength() + 4;

    /**
     * Room past {@code batchSize} in a batch slot: a batch is sent once it reaches the batch size, so the
     * record that takes it there may overshoot.
     */
    static final int BATCH_SLACK = 4096;

    /**
     * After the batch, the request's empty transactional id: its length field.
     */
    private static final int SUFFIX_LENGTH = 4;

    private final Producer.Context ctx;
    private final EpochClock epochClock = SystemEpochClock.INSTANCE;
    private final MutableLong nextCorrelationId;
    private final boolean isIdempotent;
    private final boolean isTransactional;
    private final Map<String, TopicState> topics = new HashMap<>();
    private final ArrayList<TopicState> topicList = new ArrayList<>();
    private final ArrayDeque<Slot> freeSlots = new ArrayDeque<>();
    private final ArrayList<Slot> sealed = new ArrayList<>();
    private final int slotCount;
    private int slotsCreated;
    private long nextSealOrder;
    private Splitter splitter;
    private long producerId = RecordBatch.NO_PRODUCER_ID;
    private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;

    RecordAccumulator(final Producer.Context ctx, final MutableLong nextCorrelationId, final boolean isTransactional)
    {
        this.ctx = ctx;
        this.nextCorrelationId = nextCorrelationId;
        this.isIdempotent = ctx.isIdempotent();
        this.isTransactional = isTransactional;
        this.slotCount = Math.max(ctx.maxInFlight() * 2, ctx.maxInFlight() + 8);
        // Every slot up front: a pool that grows when the answers come slower than before (a failover, a busy
        // cluster) would allocate on the send path long after warm-up.
        for (int i = 0; i < slotCount; i++)
        {
            freeSlots.addLast(new Slot(standardSlotCapacity(), ctx));
        }
        slotsCreated = slotCount;
    }

    TopicState topic(final String topic)
    {
        return topics.get(topic);
    }

    TopicState addTopic(final String topic, final TopicMetadata metadata)
    {
        final TopicState state = new TopicState(metadata);
        topics.put(topic, state);
        topicList.add(state);
        return state;
    }

    int topicCount()
    {
        return topicList.size();
    }

    TopicState topic(final int index)
    {
        return topicList.get(index);
    }

    /**
     * Append a record to its partition's open batch; when the partition has none, or the record does not fit it
     * (the batch is sealed), open a batch for the record in a free slot.
     *
     * @return the batch the record went into, or null when no slot is free (the partition has no open batch then).
     */
    Slot append(
        final TopicState state,
        final int partition,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final RecordHeaders headers,
        final ProducerCallback callback,
        final int recordSize,
        final long nowNs)
    {
        final Slot slot = state.open[partition];
        if (null != slot)
        {
            if (slot.builder.append(
                epochClock.time(), key, keyOffset, keyLength, value, valueOffset, valueLength, headers))
            {
                slot.callbacks[slot.builder.recordCount() - 1] = callback;
                return slot;
            }
            seal(state, partition, slot, nowNs);
        }
        return appendToNewBatch(
            state, partition, key, keyOffset, keyLength, value, valueOffset, valueLength, headers, callback, recordSize,
            nowNs);
    }

    /**
     * Open a batch for the partition in a free slot and append the record to it.
     *
     * @return the batch, or null when no slot is free.
     */
    Slot appendToNewBatch(
        final TopicState state,
        final int partition,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final RecordHeaders headers,
        final ProducerCallback callback,
        final int recordSize,
        final long nowNs)
    {
        final Slot slot = acquireSlot(recordSize);
        if (null == slot)
        {
            return null;
        }
        slot.open(state, partition, nowNs, recordSize);
        state.open[partition] = slot;
        if (!slot.builder.append(epochClock.time(), key, keyOffset, keyLength, value, valueOffset, valueLength,
            headers))
        {
            throw new IllegalStateException("record of " + recordSize + " bytes does not fit an empty batch");
        }
        slot.callbacks[slot.builder.recordCount() - 1] = callback;
        return slot;
    }

    boolean isFull(final Slot slot)
    {
        return slot.builder.sizeInBytes() >= ctx.batchSize();
    }

    boolean hasSealed()
    {
        return !sealed.isEmpty();
    }

    /**
     * The batches sealed and waiting for the wire, in the order they go: the {@link Sender} takes them from here.
     */
    ArrayList<Slot> sealed()
    {
        return sealed;
    }

    int sealDueBatches(final long nowNs)
    {
        int work = 0;
        final long lingerNs = ctx.lingerUs() * 1000L;
        for (int t = 0, n = topicList.size(); t < n; t++)
        {
            final TopicState state = topicList.get(t);
            for (int p = 0; p < state.open.length; p++)
            {
                final Slot slot = state.open[p];
                // While the partition waits for the answer to an unproven batch, its open batch keeps filling.
                if (null != slot && (nowNs - slot.openedNs >= lingerNs) && !state.unproven[p])
                {
                    seal(state, p, slot, nowNs);
                    work++;
                }
            }
        }
        return work;
    }

    void flushPartitions()
    {
        final long nowNs = System.nanoTime();
        for (int t = 0, n = topicList.size(); t < n; t++)
        {
            final TopicState state = topicList.get(t);
            for (int p = 0; p < state.open.length; p++)
            {
                if (null != state.open[p])
                {
                    seal(state, p, state.open[p], nowNs);
                }
            }
        }
    }

    boolean hasOpenBatches()
    {
        for (int t = 0, n = topicList.size(); t < n; t++)
        {
            final TopicState state = topicList.get(t);
            for (final Slot slot : state.open)
            {
                if (null != slot)
                {
                    return true;
                }
            }
        }
        return false;
    }

    void seal(final TopicState state, final int partition, final Slot slot, final long nowNs)
    {
        state.open[partition] = null;
        if (partition == state.stickyPartition && state.metadata.partitionCount() > 1)
        {
            state.stickyPartition = nextSticky(state);
        }
        slot.seal(nextCorrelationId.getAndIncrement(), (short)ctx.acks(),
            (int)Math.min(Integer.MAX_VALUE, ctx.deliveryTimeoutMs()), nowNs, producerId, producerEpoch,
            takeSequence(state, partition, slot.builder.recordCount()), isTransactional);
        // Spaced out so that the parts of a batch split later keep its place among its partition's batches.
        slot.sealOrder = (nextSealOrder++) << 16;
        sealed.add(slot);
    }

    /**
     * Put a batch back among those waiting to be sent, ahead of its partition's later batches and behind its
     * earlier ones.
     */
    void requeue(final Slot slot)
    {
        int insertAt = 0;
        for (int i = 0, n = sealed.size(); i < n; i++)
        {
            final Slot other = sealed.get(i);
            if (other.topic == slot.topic && other.partition == slot.partition)
            {
                if (other.sealOrder > slot.sealOrder)
                {
                    break;
                }
                insertAt = i + 1;
            }
        }
        sealed.add(insertAt, slot);
    }

    /**
     * Send the records of a batch the broker found too large again, in batches no longer than the topic's learned
     * limit, ahead of everything else sealed for the partition: nothing later of the partition was sent meanwhile,
     * as the refused batch was unproven and held its partition back.
     *
     * @return false when the batch cannot be read back: it is left as it is, to be failed.
     */
    boolean split(final Slot refused)
    {
        if (null == splitter)
        {
            splitter = new Splitter();
        }
        final RecordFlyweight records = splitter.records;
        if (BatchError.OK != records.wrap(splitter.batch.wrap(refused.buffer, PREFIX_LENGTH)))
        {
            return false;
        }

        final TopicState topic = refused.topic;
        final int timeoutMs = (int)Math.min(Integer.MAX_VALUE, ctx.deliveryTimeoutMs());
        final long nowNs = System.nanoTime();
        int insertAt = 0;
        int index = 0;
        int sequence = refused.baseSequence;
        Slot part = null;
        while (records.next())
        {
            final DirectBuffer buffer = records.buffer();
            RecordHeaders headers = null;
            if (records.headerCount() > 0)
            {
                headers = splitter.headers.clear();
                while (records.nextHeader())
                {
                    headers.add(buffer, records.headerKeyOffset(), records.headerKeyLength(),
                        buffer, records.headerValueOffset(), records.headerValueLength());
                }
            }
            final long timestampMs = records.timestamp();
            if (null != part && !part.builder.append(timestampMs, buffer, records.keyOffset(), records.keyLength(),
                buffer, records.valueOffset(), records.valueLength(), headers))
            {
                // The parts take the refused batch's sequence numbers: it was not appended.
                part.seal(nextCorrelationId.getAndIncrement(), (short)ctx.acks(), timeoutMs, nowNs, producerId,
                    producerEpoch, sequence, isTransactional);
                sequence = advance(sequence, part.recordCount());
                part.sealOrder = refused.sealOrder + insertAt;
                sealed.add(insertAt++, part);
                part = null;
            }
            if (null == part)
            {
                part = acquireSlot(records.recordLength());
                if (null == part)
                {
                    // Every slot is taken: a split may exceed the bound for a moment, the extra slot is dropped
                    // when it comes back.
                    slotsCreated++;
                    part = new Slot((int)Math.max(standardSlotCapacity(), slotCapacity(ctx.compression(),
                        records.recordLength())), ctx);
                }
                part.open(topic, refused.partition, refused.openedNs, records.recordLength());
                if (!part.builder.append(timestampMs, buffer, records.keyOffset(), records.keyLength(),
                    buffer, records.valueOffset(), records.valueLength(), headers))
                {
                    throw new IllegalStateException("record of " + records.recordLength() +
                        " bytes does not fit an empty batch");
                }
            }
            part.callbacks[part.builder.recordCount() - 1] = refused.callbacks[index];
            refused.callbacks[index++] = null;
        }
        if (null != part)
        {
            part.seal(nextCorrelationId.getAndIncrement(), (short)ctx.acks(), timeoutMs, nowNs, producerId,
                producerEpoch, sequence, isTransactional);
            part.sealOrder = refused.sealOrder + insertAt;
            sealed.add(insertAt, part);
        }
        releaseSlot(refused);
        return true;
    }

    /**
     * Number every partition from 0 again under a producer id and epoch, what waits to be sent first: the producer
     * gives them whenever it takes a new id or epoch, and every batch sealed from then on carries them.
     */
    void renumberSealed(final long producerId, final short producerEpoch)
    {
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        for (int t = 0, n = topicList.size(); t < n; t++)
        {
            Arrays.fill(topicList.get(t).nextSequence, 0);
        }
        for (int i = 0, n = sealed.size(); i < n; i++)
        {
            final Slot slot = sealed.get(i);
            slot.restamp(producerId, producerEpoch, takeSequence(slot.topic, slot.partition, slot.recordCount()));
        }
    }

    private int takeSequence(final TopicState state, final int partition, final int recordCount)
    {
        if (!isIdempotent || RecordBatch.NO_PRODUCER_ID == producerId)
        {
            return RecordBatch.NO_SEQUENCE;
        }
        final int sequence = state.nextSequence[partition];
        state.nextSequence[partition] = advance(sequence, recordCount);
        return sequence;
    }

    /**
     * The sequence after a batch of records: sequences wrap from {@link Integer#MAX_VALUE} to 0.
     */
    private static int advance(final int sequence, final int recordCount)
    {
        return RecordBatch.NO_SEQUENCE == sequence ? RecordBatch.NO_SEQUENCE :
            (int)(((long)sequence + recordCount) % (Integer.MAX_VALUE + 1L));
    }

    private int standardSlotCapacity()
    {
        return (int)slotCapacity(ctx.compression(), (long)ctx.batchSize() + BATCH_SLACK);
    }

    Slot acquireSlot(final int recordSize)
    {
        final int needed = (int)slotCapacity(ctx.compression(), recordSize);
        Slot slot = freeSlots.pollFirst();
        if (null == slot && slotsCreated < slotCount)
        {
            slotsCreated++;
            slot = new Slot(Math.max(needed, standardSlotCapacity()), ctx);
        }
        if (null != slot && slot.capacity() < needed)
        {
            slot.grow(needed);
        }
        return slot;
    }

    void releaseSlot(final Slot slot)
    {
        slot.topic = null;
        if (slotsCreated > slotCount)
        {
            slotsCreated--;
            slot.builder.close();
            return;
        }
        freeSlots.addLast(slot);
    }

    /**
     * Bytes a slot needs for a request around a batch of records of a total length.
     */
    static long slotCapacity(final int codec, final long recordsLength)
    {
        return PREFIX_LENGTH + RecordBatchBuilder.capacityFor(codec, recordsLength) + SUFFIX_LENGTH;
    }

    private static int nextSticky(final TopicState state)
    {
        final int count = state.metadata.partitionCount();
        final int next = ThreadLocalRandom.current().nextInt(count - 1);
        return next >= state.stickyPartition ? next + 1 : next;
    }

    void close()
    {
        if (null != splitter)
        {
            splitter.records.close();
        }
    }

    static final class TopicState
    {
        TopicMetadata metadata;
        Slot[] open;

        /**
         * By partition: a batch longer than any the topic has accepted is awaiting its answer.
         */
        boolean[] unproven;

        /**
         * By partition: the sequence number of the next batch of an idempotent producer.
         */
        int[] nextSequence;

        /**
         * The longest batch the broker accepted for the topic: a batch no longer cannot be too large.
         */
        int acceptedLength;

        /**
         * The longest batch to build for the topic, learned from batches refused as too large.
         */
        int batchLimit = Integer.MAX_VALUE;
        int stickyPartition;

        TopicState(final TopicMetadata metadata)
        {
            this.metadata = metadata;
            this.open = new Slot[metadata.partitionCount()];
            this.unproven = new boolean[metadata.partitionCount()];
            this.nextSequence = new int[metadata.partitionCount()];
            this.stickyPartition = ThreadLocalRandom.current().nextInt(metadata.partitionCount());
        }

        /**
         * Partitions were added to the topic: the arrays by partition grow, what the old partitions hold stays.
         */
        void grow(final TopicMetadata fresh)
        {
            final int count = fresh.partitionCount();
            if (count > metadata.partitionCount())
            {
                metadata = fresh;
                open = Arrays.copyOf(open, count);
                unproven = Arrays.copyOf(unproven, count);
                nextSequence = Arrays.copyOf(nextSequence, count);
            }
        }
    }

    /**
     * What splitting a refused batch reads it with, made on the first split.
     */
    private static final class Splitter
    {
        final RecordBatchFlyweight batch = new RecordBatchFlyweight();
        final RecordFlyweight records = new RecordFlyweight();
        final RecordHeaders headers = new RecordHeaders();
    }

    /**
     * One produce request in the making: the request is encoded around the batch in place, so the
     * batch is built where it will be sent from.
     */
    static final class Slot
    {
        final RecordBatchBuilder builder = new RecordBatchBuilder();
        private final ProduceRequestEncoder encoder = new ProduceRequestEncoder();
        private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        private final int compression;
        UnsafeBuffer buffer;
        ProducerCallback[] callbacks;
        TopicState topic;
        int partition;
        long correlationId;
        long openedNs;
        long sentNs;
        int batchLength;
        int requestLength;
        boolean unproven;
        int baseSequence = RecordBatch.NO_SEQUENCE;
        long sealOrder;

        Slot(final int capacity, final Producer.Context ctx)
        {
            this.buffer = new UnsafeBuffer(new byte[capacity]);
            this.callbacks = new ProducerCallback[Math.max(16, ctx.batchSize() / RecordBatch.RECORD_OVERHEAD + 1)];
            this.compression = ctx.compression();
        }

        int capacity()
        {
            return buffer.capacity();
        }

        void grow(final int capacity)
        {
            buffer = new UnsafeBuffer(new byte[capacity]);
        }

        void open(final TopicState topic, final int partition, final long nowNs, final int recordSize)
        {
            this.topic = topic;
            this.partition = partition;
            this.openedNs = nowNs;
            this.batchLength = 0;
            // No longer than the topic's learned limit, but always room for the first record.
            final int batchCapacity = (int)Math.min(buffer.capacity() - PREFIX_LENGTH - SUFFIX_LENGTH,
                Math.max(topic.batchLimit, RecordBatchBuilder.capacityFor(compression, recordSize)));
            builder.wrap(buffer, PREFIX_LENGTH, batchCapacity).compression(compression);
            final int maxRecords = batchCapacity / RecordBatch.RECORD_OVERHEAD + 1;
            if (callbacks.length < maxRecords)
            {
                callbacks = new ProducerCallback[maxRecords];
            }
        }

        int recordCount()
        {
            return builder.recordCount();
        }

        void seal(
            final long correlationId,
            final short acks,
            final int timeoutMs,
            final long nowNs,
            final long producerId,
            final short producerEpoch,
            final int baseSequence,
            final boolean isTransactional)
        {
            this.correlationId = correlationId;
            this.baseSequence = baseSequence;
            if (RecordBatch.NO_PRODUCER_ID != producerId)
            {
                builder.producer(producerId, producerEpoch, baseSequence).transactional(isTransactional);
            }
            batchLength = builder.build();
            encoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
                .correlationId(correlationId)
                .acks(acks)
                .timeoutMs(timeoutMs)
                .producerId(producerId)
                .producerEpoch(producerEpoch);
            encoder.partitionsCount(1).next()
                .topicId(topic.metadata.topicId())
                .partition(partition);
            // The batch already sits where the var-data bytes go: write its length and move past it.
            final int lengthOffset = encoder.limit();
            buffer.putInt(lengthOffset, batchLength, java.nio.ByteOrder.LITTLE_ENDIAN);
            encoder.limit(lengthOffset + 4 + batchLength);
            encoder.putTransactionalId(buffer, 0, 0);
            requestLength = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        }

        /**
         * Give a sealed batch another producer id and sequence: rewrite the header fields and the CRC over them.
         */
        void restamp(final long producerId, final short producerEpoch, final int baseSequence)
        {
            this.baseSequence = baseSequence;
            buffer.putLong(PREFIX_LENGTH + RecordBatch.PRODUCER_ID_OFFSET, producerId, RecordBatch.BYTE_ORDER);
            buffer.putShort(PREFIX_LENGTH + RecordBatch.PRODUCER_EPOCH_OFFSET, producerEpoch, RecordBatch.BYTE_ORDER);
            buffer.putInt(PREFIX_LENGTH + RecordBatch.BASE_SEQUENCE_OFFSET, baseSequence, RecordBatch.BYTE_ORDER);
            buffer.putInt(PREFIX_LENGTH + RecordBatch.CRC_OFFSET,
                RecordBatch.crc32c(buffer, PREFIX_LENGTH, batchLength), RecordBatch.BYTE_ORDER);
            encoder.wrap(buffer,
                MessageHeaderEncoder.ENCODED_LENGTH).producerId(producerId).producerEpoch(producerEpoch);
        }
    }
}
