package io.spindle.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import io.aeron.Publication;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordFlyweight;
import io.spindle.codecs.batch.RecordHeaders;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sends records to topics: picks the partition, batches per partition, and tells a callback per
 * record how it ended.
 * <p>
 * Partition choice: the explicit partition when one is given; else, for a keyed record, Kafka's
 * murmur2 of the key modulo the partition count (the partition Kafka's default partitioner picks);
 * else sticky — null-key records stay on one partition until its batch is sent, then move on.
 * <p>
 * Batching: a partition's open batch is sent once it is full ({@code batchSize}), once it is older
 * than {@code linger} (microseconds; 0 means as soon as a request slot is free), or on
 * {@link #flush()}. At most {@code maxInFlight} requests are unanswered at once; records arriving
 * meanwhile keep filling their batches, which is what batches under load.
 * <p>
 * Back-pressure is surfaced, never hidden: {@link #send} returns {@link #BACK_PRESSURED} when the
 * record cannot be taken now (every batch slot in use), and the caller decides whether to
 * {@link #poll()} and retry. Nothing is dropped silently; a batch not acknowledged within the
 * delivery timeout fails its records' callbacks with {@link ErrorCode#REQUEST_TIMED_OUT}.
 * <p>
 * Sizes: a record larger than {@code maxRecordSize} is refused by {@link #send} ({@link #REFUSED}, its
 * callback told {@link ErrorCode#RECORD_TOO_LARGE}). The producer's request publication is given a term
 * length that carries its largest request (the larger of a full batch and a batch of one record of
 * {@code maxRecordSize}), so any record the producer takes fits the transport, over IPC or UDP.
 * <p>
 * A batch the broker refuses with {@link ErrorCode#RECORD_TOO_LARGE} (longer than the topic's
 * {@code max.message.bytes}) is split and its records sent again in smaller batches; only a record that
 * is too large on its own fails. The producer learns the limit: later batches for the topic are built
 * no longer than half the refused batch. <b>Order:</b> per partition, records are written and acknowledged in
 * the order they were sent, splits included, for {@code acks} 1 and all: a batch longer than any the topic
 * has accepted so far is sent alone — later batches of its partition wait for its answer — so nothing can
 * overtake a batch that may come back too large. With {@code acks=0} there is no answer: a batch too large
 * is lost without notice, as in Kafka.
 * <p>
 * <b>Threading:</b> a producer belongs to one thread, Aeron style: callbacks run on it during
 * {@code send}, {@code poll}, {@code flush} and {@code close}. The first thread to call it after
 * {@link #connect} owns it; a call from any other thread throws
 * {@link java.util.ConcurrentModificationException} at once and changes nothing. Ownership passes on
 * when the owner calls {@link #releaseOwnership()} or has terminated. With {@code linger} above 0, call
 * {@link #poll()} from the owning thread's loop so lingering batches go out on time.
 */
public final class Producer implements AutoCloseable
{
    /**
     * {@link #send} took the record.
     */
    public static final int OK = 0;

    /**
     * {@link #send} could not take the record now: poll and retry.
     */
    public static final int BACK_PRESSURED = -1;

    /**
     * {@link #send} refused the record for good: it is larger than {@code maxRecordSize}. Its callback
     * has been told {@link ErrorCode#RECORD_TOO_LARGE} and it counts as failed.
     */
    public static final int REFUSED = -2;

    /**
     * Configuration of a producer.
     */
    public static final class Context extends ClientContext
    {
        private short acks = (short)ClientProperties.parseAcks(
            "spindle.producer.acks", System.getProperty("spindle.producer.acks", "all"));
        private long lingerUs = io.spindle.config.ConfigValues.durationProperty(
            "spindle.producer.linger.us", java.util.concurrent.TimeUnit.MICROSECONDS, 0L);
        private int batchSize = io.spindle.config.ConfigValues.intSizeProperty(
            "spindle.producer.batch.size", 16 * 1024);
        private int maxInFlight = io.spindle.config.ConfigValues.intProperty("spindle.producer.max.in.flight", 5);
        private long deliveryTimeoutMs = io.spindle.config.ConfigValues.durationProperty(
            "spindle.producer.delivery.timeout.ms", java.util.concurrent.TimeUnit.MILLISECONDS, 30_000L);
        private int maxRecordSize = io.spindle.config.ConfigValues.intSizeProperty(
            "spindle.producer.max.record.size", 1024 * 1024);
        private int compression = RecordBatch.COMPRESSION_NONE;

        /**
         * Acknowledgement level: 0 (none), 1 (leader appended) or -1 / all (committed).
         *
         * @param acks the level.
         * @return this.
         */
        public Context acks(final int acks)
        {
            if (acks != 0 && acks != 1 && acks != -1)
            {
                throw new IllegalArgumentException("acks must be 0, 1 or -1 (all), was " + acks);
            }
            this.acks = (short)acks;
            return this;
        }

        /**
         * How long a batch may wait for more records, in microseconds.
         *
         * @param lingerUs the linger.
         * @return this.
         */
        public Context lingerUs(final long lingerUs)
        {
            this.lingerUs = lingerUs;
            return this;
        }

        /**
         * Size in bytes at which a batch is sent.
         *
         * @param batchSize the size.
         * @return this.
         */
        public Context batchSize(final int batchSize)
        {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Most unanswered requests at once.
         *
         * @param maxInFlight the bound.
         * @return this.
         */
        public Context maxInFlight(final int maxInFlight)
        {
            this.maxInFlight = maxInFlight;
            return this;
        }

        /**
         * How long a record may take from send to acknowledgement before it fails.
         *
         * @param timeoutMs the timeout.
         * @return this.
         */
        public Context deliveryTimeoutMs(final long timeoutMs)
        {
            this.deliveryTimeoutMs = timeoutMs;
            return this;
        }

        /**
         * Largest record accepted, in bytes (key, value, headers and the record's own fields). The request
         * publication's term length is chosen to carry a batch of one such record: Aeron carries messages of up
         * to an eighth of a term, so the default 1 MiB needs 16 MiB terms (three per publication, in the media
         * driver's directory on each side); 512 KiB less a little keeps the 4 MiB default.
         *
         * @param size the limit.
         * @return this.
         */
        public Context maxRecordSize(final int size)
        {
            this.maxRecordSize = size;
            return this;
        }

        /**
         * Compression of batches: {@link RecordBatch#COMPRESSION_NONE}, {@code LZ4} or {@code ZSTD}.
         *
         * @param codec the codec.
         * @return this.
         */
        public Context compression(final int codec)
        {
            this.compression = codec;
            return this;
        }

        /**
         * The acknowledgement level.
         *
         * @return 0, 1 or -1 (all).
         */
        public int acks()
        {
            return acks;
        }

        /**
         * How long a batch may wait for more records.
         *
         * @return the linger in microseconds.
         */
        public long lingerUs()
        {
            return lingerUs;
        }

        /**
         * Size in bytes at which a batch is sent.
         *
         * @return the size.
         */
        public int batchSize()
        {
            return batchSize;
        }

        /**
         * Most unanswered requests at once.
         *
         * @return the bound.
         */
        public int maxInFlight()
        {
            return maxInFlight;
        }

        /**
         * Compression of batches.
         *
         * @return the codec.
         */
        public int compression()
        {
            return compression;
        }

        /**
         * The delivery timeout.
         *
         * @return the timeout in ms.
         */
        public long deliveryTimeoutMs()
        {
            return deliveryTimeoutMs;
        }

        /**
         * Largest record accepted, in bytes (key, value, headers and the record's own fields).
         *
         * @return the limit.
         */
        public int maxRecordSize()
        {
            return maxRecordSize;
        }

        /**
         * The longest produce request this producer can build: a batch of one record of
         * {@code maxRecordSize}, or a full batch, whichever is longer, in its request.
         *
         * @return the length in bytes.
         */
        int maxRequestLength()
        {
            return (int)Math.min(Integer.MAX_VALUE,
                slotCapacity(compression, Math.max((long)batchSize + BATCH_SLACK, maxRecordSize)));
        }

        /**
         * Check the configuration before connecting.
         *
         * @throws IllegalArgumentException naming the setting that cannot work.
         */
        void validate()
        {
            if (batchSize < 1)
            {
                throw new IllegalArgumentException("batch.size must be at least 1, was " + batchSize);
            }
            if (maxInFlight < 1)
            {
                throw new IllegalArgumentException("max.in.flight must be at least 1, was " + maxInFlight);
            }
            if (lingerUs < 0)
            {
                throw new IllegalArgumentException("linger.us must not be negative, was " + lingerUs);
            }
            if (deliveryTimeoutMs < 1)
            {
                throw new IllegalArgumentException("delivery.timeout.ms must be at least 1, was " + deliveryTimeoutMs);
            }
            if (maxRecordSize < RecordBatch.RECORD_OVERHEAD)
            {
                throw new IllegalArgumentException("max.record.size must be at least " + RecordBatch.RECORD_OVERHEAD +
                    " (an empty record), was " + maxRecordSize);
            }
            final int maxMessageLength = FrameDescriptor.computeMaxMessageLength(ClientContext.MAX_TERM_LENGTH);
            if (maxRequestLength() > maxMessageLength)
            {
                throw new IllegalArgumentException("max.record.size " + maxRecordSize + " and batch.size " + batchSize +
                    " make produce requests of up to " + maxRequestLength() + " bytes, more than the " +
                    maxMessageLength + " an Aeron message carries: lower them");
            }
        }
    }

    private static final int PREFIX_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + ProduceRequestEncoder.BLOCK_LENGTH +
        4 + ProduceRequestEncoder.PartitionsEncoder.sbeBlockLength() + 4;

    /**
     * Room past {@code batchSize} in a batch slot: a batch is sent once it reaches the batch size, so the
     * record that takes it there may overshoot.
     */
    private static final int BATCH_SLACK = 4096;

    /**
     * After the batch, the request's empty transactional id: its length field.
     */
    private static final int SUFFIX_LENGTH = 4;

    private final Context ctx;
    private final ClientTransport transport;
    private final EpochClock epochClock = SystemEpochClock.INSTANCE;
    private final IdleStrategy idleStrategy;
    private final OwnerThread owner = new OwnerThread("Producer");
    private final Map<String, TopicState> topics = new HashMap<>();
    private final ArrayList<TopicState> topicList = new ArrayList<>();
    private final ArrayDeque<Slot> freeSlots = new ArrayDeque<>();
    private final ArrayList<Slot> sealed = new ArrayList<>();
    private final List<Slot> inFlight = new ArrayList<>();
    private final BlockingCaller metadataCaller;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ProduceResponseDecoder responseDecoder = new ProduceResponseDecoder();
    private final ErrorResponseDecoder errorDecoder = new ErrorResponseDecoder();
    private final FragmentHandler responseHandler = this::onResponse;
    private final UnsafeBuffer byteArrayKey = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer byteArrayValue = new UnsafeBuffer(0, 0);
    private final int slotCount;
    private int slotsCreated;
    private BrokerConnection connection;
    private long nextCorrelationId = 1;
    private long acked;
    private long failed;
    private boolean closed;
    private Splitter splitter;

    private Producer(final Context ctx)
    {
        this.ctx = ctx;
        this.idleStrategy = ctx.idleStrategy();
        this.transport = new ClientTransport(ctx);
        this.metadataCaller = new BlockingCaller((buffer, offset, length, header) ->
            onResponse(buffer, offset, length, header));
        this.slotCount = Math.max(ctx.maxInFlight * 2, ctx.maxInFlight + 8);
        // Every slot up front: a pool that grows when the answers come slower than before (a failover, a busy
        // cluster) would allocate on the send path long after warm-up.
        for (int i = 0; i < slotCount; i++)
        {
            freeSlots.addLast(new Slot(standardSlotCapacity(), ctx));
        }
        slotsCreated = slotCount;
    }

    /**
     * Connect a producer.
     *
     * @param ctx its configuration.
     * @return the connected producer, owned by the first thread that calls it.
     * @throws IllegalArgumentException for a configuration that cannot work, e.g. a {@code maxRecordSize}
     *                                  beyond what one Aeron message carries.
     */
    public static Producer connect(final Context ctx)
    {
        ctx.validate();
        final Producer producer = new Producer(ctx);
        try
        {
            producer.connection = producer.transport.control();
            final int serverLimit = producer.connection.maxRequestLength();
            if (serverLimit > 0 && ctx.maxRequestLength() > serverLimit)
            {
                // A cluster's log drops a longer request without a word: refuse here instead.
                throw new SpindleException(ErrorCode.RECORD_TOO_LARGE, "max.record.size " + ctx.maxRecordSize +
                    " and batch.size " + ctx.batchSize + " make produce requests of up to " + ctx.maxRequestLength() +
                    " bytes; the cluster's log carries requests of up to " + serverLimit + " bytes: lower them");
            }
        }
        catch (final RuntimeException ex)
        {
            producer.transport.close();
            throw ex;
        }
        return producer;
    }

    /**
     * Send a record.
     *
     * @param topic       the topic name.
     * @param partition   the partition, or -1 to let the partitioner choose.
     * @param key         holding the key; ignored when keyLength is -1.
     * @param keyOffset   of the key.
     * @param keyLength   of the key, -1 for a null key.
     * @param value       holding the value; ignored when valueLength is -1.
     * @param valueOffset of the value.
     * @param valueLength of the value, -1 for a null value (a tombstone).
     * @param headers     of the record, or null.
     * @param callback    told how the send ended, or null.
     * @return {@link #OK}, {@link #BACK_PRESSURED}, or {@link #REFUSED} for a record larger than
     * {@code maxRecordSize} (its callback has been told {@link ErrorCode#RECORD_TOO_LARGE}).
     * @throws SpindleException for a record that can never be sent (unknown topic or partition) or a lost
     *                          connection.
     * @throws java.util.ConcurrentModificationException when called from a thread that does not own the producer.
     */
    public int send(
        final String topic,
        final int partition,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final RecordHeaders headers,
        final ProducerCallback callback)
    {
        owner.check();
        ensureOpen();
        if (!connection.isConnected())
        {
            failAll(ErrorCode.NETWORK_EXCEPTION);
            throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "broker connection lost: " + connection.closedReason());
        }
        final TopicState state = topicState(topic);
        final int partitionCount = state.metadata.partitionCount();
        final int target;
        if (partition >= 0)
        {
            if (partition >= partitionCount)
            {
                throw new SpindleException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "topic '" + topic + "' has " + partitionCount + " partitions, no partition " + partition);
            }
            target = partition;
        }
        else if (keyLength >= 0)
        {
            target = Partitioner.partition(key, keyOffset, keyLength, partitionCount);
        }
        else
        {
            target = state.stickyPartition;
        }

        final long recordSize = (long)RecordBatch.RECORD_OVERHEAD + Math.max(0, keyLength) + Math.max(0, valueLength) +
            (null == headers ? 0 : headers.encodedLength());
        if (recordSize > ctx.maxRecordSize)
        {
            failed++;
            if (null != callback)
            {
                callback.onCompletion(target, -1, ErrorCode.RECORD_TOO_LARGE);
            }
            return REFUSED;
        }

        final long nowNs = System.nanoTime();
        Slot slot = state.open[target];
        if (null != slot && !slot.builder.append(
            epochClock.time(), key, keyOffset, keyLength, value, valueOffset, valueLength, headers))
        {
            seal(state, target, slot, nowNs);
            slot = null;
        }
        if (null == slot)
        {
            slot = acquireSlot((int)recordSize);
            if (null == slot)
            {
                doWork(nowNs);
                slot = acquireSlot((int)recordSize);
                if (null == slot)
                {
                    return BACK_PRESSURED;
                }
            }
            slot.open(state, target, nowNs, (int)recordSize);
            state.open[target] = slot;
            if (!slot.builder.append(epochClock.time(), key, keyOffset, keyLength, value, valueOffset, valueLength,
                headers))
            {
                throw new IllegalStateException("record of " + recordSize + " bytes does not fit an empty batch");
            }
        }
        slot.callbacks[slot.builder.recordCount() - 1] = callback;

        if (slot.builder.sizeInBytes() >= ctx.batchSize ||
            ctx.lingerUs <= 0 && inFlight.size() < ctx.maxInFlight && !state.unproven[target])
        {
            seal(state, target, slot, nowNs);
        }
        doWork(nowNs);

        return OK;
    }

    /**
     * Send a record of byte arrays; see {@link #send(String, int, DirectBuffer, int, int, DirectBuffer, int, int,
     * RecordHeaders, ProducerCallback)}.
     *
     * @param topic     the topic name.
     * @param partition the partition, or -1 to let the partitioner choose.
     * @param key       the key, or null.
     * @param value     the value, or null for a tombstone.
     * @param callback  told how the send ended, or null.
     * @return {@link #OK}, {@link #BACK_PRESSURED} or {@link #REFUSED}.
     */
    public int send(
        final String topic, final int partition, final byte[] key, final byte[] value, final ProducerCallback callback)
    {
        owner.check();
        if (null != key)
        {
            byteArrayKey.wrap(key);
        }
        if (null != value)
        {
            byteArrayValue.wrap(value);
        }
        return send(topic, partition, byteArrayKey, 0, null == key ? -1 : key.length,
            byteArrayValue, 0, null == value ? -1 : value.length, null, callback);
    }

    /**
     * Send a record and wait for its acknowledgement.
     *
     * @param topic     the topic name.
     * @param partition the partition, or -1 to let the partitioner choose.
     * @param key       the key, or null.
     * @param value     the value, or null.
     * @return the record's offset, or -1 with {@code acks=0}.
     * @throws SpindleException when the send fails or times out.
     */
    public long sendSync(final String topic, final int partition, final byte[] key, final byte[] value)
    {
        owner.check();
        final long[] result = {Long.MIN_VALUE};
        final ErrorCode[] error = {null};
        final ProducerCallback callback = (p, offset, code) ->
        {
            result[0] = offset;
            error[0] = code;
        };
        final long deadlineNs = System.nanoTime() + ctx.deliveryTimeoutMs * 1_000_000L;
        idleStrategy.reset();
        while (send(topic, partition, key, value, callback) == BACK_PRESSURED)
        {
            awaitProgress(deadlineNs);
        }
        flushPartitions();
        while (null == error[0])
        {
            awaitProgress(deadlineNs);
        }
        if (ErrorCode.NONE != error[0])
        {
            throw new SpindleException(error[0], "send to '" + topic + "' failed");
        }
        return result[0];
    }

    /**
     * The partition count of a topic, looked up once and cached.
     *
     * @param topic the topic name.
     * @return the number of partitions.
     */
    public int partitionCount(final String topic)
    {
        owner.check();
        return topicState(topic).metadata.partitionCount();
    }

    /**
     * Send what is due, take responses and run callbacks, expire what timed out.
     *
     * @return work done.
     */
    public int poll()
    {
        owner.check();
        return doWork(System.nanoTime());
    }

    /**
     * Send every open batch now and wait until every record sent so far is acknowledged or failed,
     * for at most the delivery timeout.
     *
     * @throws SpindleException REQUEST_TIMED_OUT when records are still outstanding at the deadline.
     */
    public void flush()
    {
        owner.check();
        flushPartitions();
        final long deadlineNs = System.nanoTime() + ctx.deliveryTimeoutMs * 1_000_000L + 1_000_000_000L;
        idleStrategy.reset();
        while (!sealed.isEmpty() || !inFlight.isEmpty() || hasOpenBatches())
        {
            flushPartitions();
            awaitProgress(deadlineNs);
        }
    }

    /**
     * Records acknowledged so far.
     *
     * @return the count.
     */
    public long ackedCount()
    {
        owner.check();
        return acked;
    }

    /**
     * Records failed so far.
     *
     * @return the count.
     */
    public long failedCount()
    {
        owner.check();
        return failed;
    }

    /**
     * Give the producer up, from its owning thread: the next thread to call it becomes its owner. Pass the
     * producer on safely (by starting the thread, a concurrent queue, ...) as for any object.
     *
     * @throws java.util.ConcurrentModificationException when called from a thread that does not own the producer.
     */
    public void releaseOwnership()
    {
        owner.release();
    }

    /**
     * Flush what is outstanding (bounded by the delivery timeout), then disconnect.
     */
    public void close()
    {
        owner.check();
        if (closed)
        {
            return;
        }
        try
        {
            if (connection.isConnected())
            {
                flush();
            }
        }
        catch (final SpindleException ignore)
        {
            // What could not be delivered has already failed through its callbacks.
        }
        finally
        {
            closed = true;
            failAll(ErrorCode.NETWORK_EXCEPTION);
            transport.close();
            if (null != splitter)
            {
                splitter.records.close();
            }
        }
    }

    private void awaitProgress(final long deadlineNs)
    {
        final long nowNs = System.nanoTime();
        if (nowNs - deadlineNs > 0)
        {
            failAll(ErrorCode.REQUEST_TIMED_OUT);
            throw new SpindleException(ErrorCode.REQUEST_TIMED_OUT, "records still outstanding after the delivery timeout");
        }
        idleStrategy.idle(doWork(nowNs));
    }

    private int doWork(final long nowNs)
    {
        int work = connection.poll(responseHandler, 16);

        if (ctx.lingerUs > 0 || inFlight.size() < ctx.maxInFlight)
        {
            work += sealDueBatches(nowNs);
        }
        work += sendSealed(nowNs);
        work += expire(nowNs);
        work += connection.doHousekeeping(nowNs);
        if (!connection.isConnected())
        {
            failAll(ErrorCode.NETWORK_EXCEPTION);
        }

        return work;
    }

    private int sealDueBatches(final long nowNs)
    {
        int work = 0;
        final long lingerNs = ctx.lingerUs * 1000L;
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

    private void flushPartitions()
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

    private boolean hasOpenBatches()
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

    private void seal(final TopicState state, final int partition, final Slot slot, final long nowNs)
    {
        state.open[partition] = null;
        if (partition == state.stickyPartition && state.metadata.partitionCount() > 1)
        {
            state.stickyPartition = nextSticky(state);
        }
        slot.seal(nextCorrelationId++, ctx.acks, (int)Math.min(Integer.MAX_VALUE, ctx.deliveryTimeoutMs), nowNs);
        sealed.add(slot);
    }

    private int sendSealed(final long nowNs)
    {
        final boolean awaitsAnswers = 0 != ctx.acks;
        int work = 0;
        for (int i = 0; i < sealed.size() && (!awaitsAnswers || inFlight.size() < ctx.maxInFlight); )
        {
            final Slot slot = sealed.get(i);
            final TopicState topic = slot.topic;
            if (topic.unproven[slot.partition])
            {
                // Nothing may overtake a batch that can still come back too large and be sent again.
                i++;
                continue;
            }
            final long result = connection.offer(slot.buffer, 0, slot.requestLength);
            if (result > 0)
            {
                sealed.remove(i);
                slot.sentNs = nowNs;
                work++;
                if (!awaitsAnswers)
                {
                    complete(slot, ErrorCode.NONE, -1);
                }
                else
                {
                    if (slot.batchLength > topic.acceptedLength)
                    {
                        slot.unproven = true;
                        topic.unproven[slot.partition] = true;
                    }
                    inFlight.add(slot);
                }
            }
            else if (Publication.BACK_PRESSURED == result || Publication.ADMIN_ACTION == result ||
                Publication.NOT_CONNECTED == result)
            {
                break;
            }
            else
            {
                failAll(ErrorCode.NETWORK_EXCEPTION);
                break;
            }
        }
        return work;
    }

    private int expire(final long nowNs)
    {
        final long timeoutNs = ctx.deliveryTimeoutMs * 1_000_000L;
        int work = 0;
        for (int i = inFlight.size() - 1; i >= 0; i--)
        {
            final Slot slot = inFlight.get(i);
            if (nowNs - slot.openedNs > timeoutNs)
            {
                inFlight.remove(i);
                complete(slot, ErrorCode.REQUEST_TIMED_OUT, -1);
                work++;
            }
        }
        while (!sealed.isEmpty() && nowNs - sealed.get(0).openedNs > timeoutNs)
        {
            complete(sealed.remove(0), ErrorCode.REQUEST_TIMED_OUT, -1);
            work++;
        }
        return work;
    }

    private void failAll(final ErrorCode code)
    {
        for (int i = inFlight.size() - 1; i >= 0; i--)
        {
            complete(inFlight.remove(i), code, -1);
        }
        while (!sealed.isEmpty())
        {
            complete(sealed.remove(0), code, -1);
        }
        for (int t = 0, n = topicList.size(); t < n; t++)
        {
            final TopicState state = topicList.get(t);
            for (int p = 0; p < state.open.length; p++)
            {
                final Slot slot = state.open[p];
                if (null != slot)
                {
                    state.open[p] = null;
                    complete(slot, code, -1);
                }
            }
        }
    }

    private void onResponse(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        if (ProduceResponseDecoder.TEMPLATE_ID == templateId)
        {
            responseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            final Slot slot = removeInFlight(responseDecoder.correlationId());
            final ErrorCode topLevel = responseDecoder.errorCode();
            ErrorCode code = topLevel;
            long baseOffset = -1;
            for (final ProduceResponseDecoder.PartitionsDecoder partition : responseDecoder.partitions())
            {
                partition.topicId();
                partition.partition();
                final ErrorCode partitionCode = partition.errorCode();
                baseOffset = partition.baseOffset();
                if (ErrorCode.NONE != partitionCode)
                {
                    code = partitionCode;
                }
            }
            if (null != slot)
            {
                onAnswer(slot, code, baseOffset);
            }
        }
        else if (ErrorResponseDecoder.TEMPLATE_ID == templateId)
        {
            errorDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            final Slot slot = removeInFlight(errorDecoder.correlationId());
            if (null != slot)
            {
                onAnswer(slot, errorDecoder.errorCode(), -1);
            }
        }
    }

    private void onAnswer(final Slot slot, final ErrorCode code, final long baseOffset)
    {
        if (ErrorCode.RECORD_TOO_LARGE == code)
        {
            final TopicState topic = slot.topic;
            final int length = slot.batchLength;
            final int count = slot.builder.recordCount();
            // The limit is below this batch's length: build later batches for the topic no longer than half of it
            // (a lone record that is too large says only that the limit is below its own length).
            topic.batchLimit = Math.min(topic.batchLimit, count > 1 ? length / 2 : length - 1);
            topic.acceptedLength = Math.min(topic.acceptedLength, length - 1);
            if (count > 1)
            {
                split(slot);
                return;
            }
        }
        complete(slot, code, baseOffset);
    }

    /**
     * Send the records of a batch the broker found too large again, in batches no longer than the topic's learned
     * limit, ahead of everything else sealed for the partition: nothing later of the partition was sent meanwhile,
     * as the refused batch was unproven and held its partition back.
     */
    private void split(final Slot refused)
    {
        settle(refused);
        if (null == splitter)
        {
            splitter = new Splitter();
        }
        final RecordFlyweight records = splitter.records;
        if (BatchError.OK != records.wrap(splitter.batch.wrap(refused.buffer, PREFIX_LENGTH)))
        {
            complete(refused, ErrorCode.RECORD_TOO_LARGE, -1);
            return;
        }

        final TopicState topic = refused.topic;
        final int timeoutMs = (int)Math.min(Integer.MAX_VALUE, ctx.deliveryTimeoutMs);
        final long nowNs = System.nanoTime();
        int insertAt = 0;
        int index = 0;
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
                part.seal(nextCorrelationId++, ctx.acks, timeoutMs, nowNs);
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
                    part = new Slot((int)Math.max(standardSlotCapacity(), slotCapacity(ctx.compression,
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
            part.seal(nextCorrelationId++, ctx.acks, timeoutMs, nowNs);
            sealed.add(insertAt, part);
        }
        releaseSlot(refused);
    }

    private Slot removeInFlight(final long correlationId)
    {
        for (int i = 0, n = inFlight.size(); i < n; i++)
        {
            final Slot slot = inFlight.get(i);
            if (slot.correlationId == correlationId)
            {
                inFlight.remove(i);
                return slot;
            }
        }
        return null;
    }

    private static void settle(final Slot slot)
    {
        if (slot.unproven)
        {
            slot.unproven = false;
            slot.topic.unproven[slot.partition] = false;
        }
    }

    private void complete(final Slot slot, final ErrorCode code, final long baseOffset)
    {
        settle(slot);
        final int count = slot.builder.recordCount();
        final boolean ok = ErrorCode.NONE == code;
        if (ok && slot.batchLength > slot.topic.acceptedLength)
        {
            slot.topic.acceptedLength = slot.batchLength;
        }
        for (int i = 0; i < count; i++)
        {
            final ProducerCallback callback = slot.callbacks[i];
            slot.callbacks[i] = null;
            if (null != callback)
            {
                callback.onCompletion(slot.partition, ok && baseOffset >= 0 ? baseOffset + i : -1, code);
            }
        }
        if (ok)
        {
            acked += count;
        }
        else
        {
            failed += count;
        }
        releaseSlot(slot);
    }

    private int standardSlotCapacity()
    {
        return (int)slotCapacity(ctx.compression, (long)ctx.batchSize + BATCH_SLACK);
    }

    private Slot acquireSlot(final int recordSize)
    {
        final int needed = (int)slotCapacity(ctx.compression, recordSize);
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

    private void releaseSlot(final Slot slot)
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
    private static long slotCapacity(final int codec, final long recordsLength)
    {
        return PREFIX_LENGTH + RecordBatchBuilder.capacityFor(codec, recordsLength) + SUFFIX_LENGTH;
    }

    private TopicState topicState(final String topic)
    {
        TopicState state = topics.get(topic);
        if (null == state)
        {
            final TopicMetadata metadata = Admin.metadata(
                connection, metadataCaller, ctx, nextCorrelationId++, topic);
            state = new TopicState(metadata);
            topics.put(topic, state);
            topicList.add(state);
        }
        return state;
    }

    private static int nextSticky(final TopicState state)
    {
        final int count = state.metadata.partitionCount();
        final int next = ThreadLocalRandom.current().nextInt(count - 1);
        return next >= state.stickyPartition ? next + 1 : next;
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("producer is closed");
        }
    }

    private static final class TopicState
    {
        final TopicMetadata metadata;
        final Slot[] open;

        /**
         * By partition: a batch longer than any the topic has accepted is awaiting its answer.
         */
        final boolean[] unproven;

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
            this.stickyPartition = ThreadLocalRandom.current().nextInt(metadata.partitionCount());
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
    private static final class Slot
    {
        private final RecordBatchBuilder builder = new RecordBatchBuilder();
        private final ProduceRequestEncoder encoder = new ProduceRequestEncoder();
        private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        private final int compression;
        private UnsafeBuffer buffer;
        private ProducerCallback[] callbacks;
        private TopicState topic;
        private int partition;
        private long correlationId;
        private long openedNs;
        private long sentNs;
        private int batchLength;
        private int requestLength;
        private boolean unproven;

        Slot(final int capacity, final Context ctx)
        {
            this.buffer = new UnsafeBuffer(new byte[capacity]);
            this.callbacks = new ProducerCallback[Math.max(16, ctx.batchSize / RecordBatch.RECORD_OVERHEAD + 1)];
            this.compression = ctx.compression;
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

        void seal(final long correlationId, final short acks, final int timeoutMs, final long nowNs)
        {
            this.correlationId = correlationId;
            batchLength = builder.build();
            encoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
                .correlationId(correlationId)
                .acks(acks)
                .timeoutMs(timeoutMs)
                .producerId(RecordBatch.NO_PRODUCER_ID)
                .producerEpoch(RecordBatch.NO_PRODUCER_EPOCH);
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
    }
}
