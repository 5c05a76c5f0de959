package io.spindle.client;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordHeaders;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.MetadataRequestEncoder;
import io.spindle.codecs.protocol.MetadataResponseDecoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.client.RecordAccumulator.Slot;
import io.spindle.client.RecordAccumulator.TopicState;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.MutableLong;
import org.agrona.concurrent.IdleStrategy;
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
     * Most requests an idempotent producer keeps in flight: the broker remembers the last five batches of each
     * producer per partition, so a retried batch older than that could not be recognised.
     */
    public static final int MAX_IDEMPOTENT_IN_FLIGHT = 5;

    /**
     * Configuration of a producer.
     */
    public static final class Context extends ClientContext
    {
        private short acks = (short)ProducerConfiguration.acks();
        private long lingerUs = ProducerConfiguration.LINGER.duration();
        private int batchSize = ProducerConfiguration.BATCH_SIZE.intSize();
        private int maxInFlight = ProducerConfiguration.MAX_IN_FLIGHT.integer();
        private long deliveryTimeoutMs = ProducerConfiguration.DELIVERY_TIMEOUT.duration();
        private int maxRecordSize = ProducerConfiguration.MAX_RECORD_SIZE.intSize();
        private int compression = RecordBatch.COMPRESSION_NONE;
        private Boolean idempotence = ProducerConfiguration.enableIdempotence();
        private String transactionalId = ProducerConfiguration.TRANSACTIONAL_ID.text();
        private int transactionTimeoutMs = (int)Math.min(Integer.MAX_VALUE,
            ProducerConfiguration.TRANSACTION_TIMEOUT.duration());
        private long metadataMaxAgeMs = ProducerConfiguration.METADATA_MAX_AGE.duration();

        /**
         * Make the producer transactional (Kafka's {@code transactional.id}): its writes to any partitions, and the
         * consumer offsets sent with them, become visible to read_committed consumers all at once on
         * {@link Producer#commitTransaction()}, or never ({@link Producer#abortTransaction()}). The id names the
         * producer across restarts: {@link Producer#initTransactions()} fences an older instance with the same id
         * and aborts what it left open. Implies idempotence and acks=all.
         *
         * @param transactionalId the id, or null for a producer without transactions.
         * @return this.
         */
        public Context transactionalId(final String transactionalId)
        {
            this.transactionalId = null == transactionalId || transactionalId.isEmpty() ? null : transactionalId;
            return this;
        }

        /**
         * How long a transaction may stay open before the broker aborts it (and fences the producer): Kafka's
         * {@code transaction.timeout.ms}, default 60 s, at most 15 minutes.
         *
         * @param timeoutMs the timeout.
         * @return this.
         */
        public Context transactionTimeoutMs(final int timeoutMs)
        {
            this.transactionTimeoutMs = timeoutMs;
            return this;
        }

        /**
         * The transactional id.
         *
         * @return the id, or null.
         */
        public String transactionalId()
        {
            return transactionalId;
        }

        /**
         * The transaction timeout.
         *
         * @return the timeout in ms.
         */
        public int transactionTimeoutMs()
        {
            return transactionTimeoutMs;
        }

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
         * How often the producer asks again for the partition counts of the topics it writes to (Kafka's
         * {@code metadata.max.age.ms}, default 5 minutes), so that partitions added since are used: the request goes
         * out while the producer works and its answer is taken like a produce answer, so the send path never waits
         * for it. A record for a partition number beyond the known count asks at once.
         *
         * @param ageMs the interval.
         * @return this.
         */
        public Context metadataMaxAgeMs(final long ageMs)
        {
            this.metadataMaxAgeMs = ageMs;
            return this;
        }

        /**
         * How often the producer asks again for the partition counts of its topics.
         *
         * @return the interval in ms.
         */
        public long metadataMaxAgeMs()
        {
            return metadataMaxAgeMs;
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
         * Idempotent delivery (Kafka's {@code enable.idempotence}): the producer takes a producer id from the broker
         * and numbers every partition's batches, so a batch sent again after a lost answer, a lost broker session, a
         * restarted broker or a cluster failover is written once, at the offset of its first write; the producer
         * retries such failures by itself, in order, within the delivery timeout. On by default when acks are
         * awaited (1 or all) and at most {@value PartitionSequences#MAX_IN_FLIGHT} requests are in flight; asking
         * for it with acks 0 or more in flight is refused.
         *
         * @param enabled true to ask for it, false to turn it off.
         * @return this.
         */
        public Context enableIdempotence(final boolean enabled)
        {
            this.idempotence = enabled;
            return this;
        }

        /**
         * Whether the producer is idempotent: asked for, or by default when acks are awaited and at most
         * {@value PartitionSequences#MAX_IN_FLIGHT} requests are in flight.
         *
         * @return true when batches carry a producer id and sequence numbers.
         */
        public boolean isIdempotent()
        {
            return null != transactionalId ||
                (null != idempotence ? idempotence : 0 != acks && maxInFlight <= MAX_IDEMPOTENT_IN_FLIGHT);
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
            return (int)Math.min(Integer.MAX_VALUE, RecordAccumulator.slotCapacity(
                compression, Math.max((long)batchSize + RecordAccumulator.BATCH_SLACK, maxRecordSize)));
        }

        /**
         * Check every setting before connecting, naming the property of the first that cannot work (as a
         * {@code spindle.producer.*} name, whether it came from a system property or was set here).
         *
         * @return this.
         * @throws IllegalArgumentException {@code invalid NAME=VALUE: reason}, or naming the settings that do not go
         *                                  together.
         */
        public Context conclude()
        {
            super.conclude();
            if (batchSize < 1)
            {
                throw ClientConfiguration.invalid(ProducerConfiguration.BATCH_SIZE, batchSize, "must be at least 1");
            }
            if (maxInFlight < 1)
            {
                throw ClientConfiguration.invalid(ProducerConfiguration.MAX_IN_FLIGHT, maxInFlight,
                    "must be at least 1 (0 would never send)");
            }
            if (lingerUs < 0)
            {
                throw ClientConfiguration.invalid(ProducerConfiguration.LINGER, lingerUs, "must not be negative");
            }
            if (deliveryTimeoutMs < 1)
            {
                throw ClientConfiguration.invalid(ProducerConfiguration.DELIVERY_TIMEOUT, deliveryTimeoutMs,
                    "must be at least 1ms");
            }
            if (maxRecordSize < RecordBatch.RECORD_OVERHEAD)
            {
                throw ClientConfiguration.invalid(ProducerConfiguration.MAX_RECORD_SIZE, maxRecordSize,
                    "must be at least " + RecordBatch.RECORD_OVERHEAD + " (an empty record)");
            }
            if (transactionTimeoutMs < 1)
            {
                throw ClientConfiguration.invalid(ProducerConfiguration.TRANSACTION_TIMEOUT, transactionTimeoutMs,
                    "must be at least 1ms");
            }
            if (metadataMaxAgeMs < 1)
            {
                throw ClientConfiguration.invalid(ProducerConfiguration.METADATA_MAX_AGE, metadataMaxAgeMs,
                    "must be at least 1ms");
            }
            if (null != transactionalId && (Boolean.FALSE.equals(idempotence) || -1 != acks ||
                maxInFlight > MAX_IDEMPOTENT_IN_FLIGHT))
            {
                throw new IllegalArgumentException("transactional.id needs enable.idempotence, acks all (-1) and " +
                    "max.in.flight at most " + MAX_IDEMPOTENT_IN_FLIGHT + "; were " + idempotence + ", " + acks + ", " +
                    maxInFlight);
            }
            if (Boolean.TRUE.equals(idempotence) && 0 == acks)
            {
                throw new IllegalArgumentException("enable.idempotence needs acks 1 or all (-1), was 0");
            }
            if (Boolean.TRUE.equals(idempotence) && maxInFlight > MAX_IDEMPOTENT_IN_FLIGHT)
            {
                throw new IllegalArgumentException("enable.idempotence needs max.in.flight at most " +
                    MAX_IDEMPOTENT_IN_FLIGHT + ", was " + maxInFlight);
            }
            final int maxMessageLength = FrameDescriptor.computeMaxMessageLength(ClientContext.MAX_TERM_LENGTH);
            if (maxRequestLength() > maxMessageLength)
            {
                throw new IllegalArgumentException("max.record.size " + maxRecordSize + " and batch.size " + batchSize +
                    " make produce requests of up to " + maxRequestLength() + " bytes, more than the " +
                    maxMessageLength + " an Aeron message carries: lower them");
            }
            return this;
        }
    }

    private static final long CONNECTED = Long.MIN_VALUE;

    private final Context ctx;
    private final ClientTransport transport;
    private final IdleStrategy idleStrategy;
    private final OwnerThread owner = new OwnerThread("Producer");
    private final RecordAccumulator accumulator;
    private final Sender sender;
    private final BlockingCaller metadataCaller;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final FragmentHandler responseHandler = this::onResponse;
    private final UnsafeBuffer byteArrayKey = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer byteArrayValue = new UnsafeBuffer(0, 0);
    private BrokerConnection connection;
    // One counter for every request the producer sends, the batches the accumulator seals included: an answer names
    // exactly one request.
    private final MutableLong nextCorrelationId = new MutableLong(1);
    private boolean closed;
    private final boolean isIdempotent;
    private final ProducerTransactions transactions;
    private long producerId = RecordBatch.NO_PRODUCER_ID;
    private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
    private long disconnectedSinceNs = CONNECTED;
    private long nextReconnectNs;
    private long reconnects;
    private long metadataCorrelationId = -1;
    private long nextMetadataRefreshNs;
    private final ExpandableArrayBuffer metadataRequest = new ExpandableArrayBuffer(256);
    private final MetadataRequestEncoder metadataRequestEncoder = new MetadataRequestEncoder();
    private final MetadataResponseDecoder metadataResponseDecoder = new MetadataResponseDecoder();
    private final MessageHeaderEncoder metadataHeaderEncoder = new MessageHeaderEncoder();

    private Producer(final Context ctx)
    {
        this.ctx = ctx;
        this.idleStrategy = ctx.idleStrategy();
        this.transport = new ClientTransport(ctx);
        this.metadataCaller = new BlockingCaller((buffer, offset, length, header) ->
            onResponse(buffer, offset, length, header));
        this.isIdempotent = ctx.isIdempotent();
        this.transactions = new ProducerTransactions(ctx, metadataCaller, ctx.transactionalId,
            ctx.transactionTimeoutMs);
        this.accumulator = new RecordAccumulator(ctx, nextCorrelationId, transactions.isTransactional());
        this.sender = new Sender(ctx, transactions, accumulator);
        nextMetadataRefreshNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.metadataMaxAgeMs);
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
        ctx.conclude();
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
            if (producer.isIdempotent && !producer.transactions.isTransactional())
            {
                producer.acquireProducerId(true);
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
        ensureNotCallingBack("send");
        ensureOpen();
        if (!connection.isConnected())
        {
            onConnectionLost(System.nanoTime());
        }
        final TopicState state = topicState(topic);
        if (partition >= state.metadata.partitionCount())
        {
            refreshPartitions(topic, state);
        }
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

        if (transactions.isTransactional() && !transactions.hasPartition(state.metadata.topicId(), target))
        {
            final int topicId = state.metadata.topicId();
            acrossReconnects(() -> transactions.addPartition(
                connection, nextCorrelationId.getAndIncrement(), producerId, producerEpoch, topicId, target));
        }
        final long recordSize = (long)RecordBatch.RECORD_OVERHEAD + Math.max(0, keyLength) + Math.max(0, valueLength) +
            (null == headers ? 0 : headers.encodedLength());
        if (recordSize > ctx.maxRecordSize)
        {
            sender.refuse(target, callback);
            return REFUSED;
        }

        final long nowNs = System.nanoTime();
        Slot slot = accumulator.append(state, target, key, keyOffset, keyLength, value, valueOffset, valueLength,
            headers, callback, (int)recordSize, nowNs);
        if (null == slot)
        {
            doWork(nowNs);
            slot = accumulator.appendToNewBatch(state, target, key, keyOffset, keyLength, value, valueOffset,
                valueLength, headers, callback, (int)recordSize, nowNs);
            if (null == slot)
            {
                return BACK_PRESSURED;
            }
        }

        if (accumulator.isFull(slot) ||
            ctx.lingerUs <= 0 && sender.inFlightCount() < ctx.maxInFlight && !state.unproven[target])
        {
            accumulator.seal(state, target, slot, nowNs);
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
        ensureNotCallingBack("send");
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
        ensureNotCallingBack("sendSync");
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
        accumulator.flushPartitions();
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
     * Send a record and learn how it ended from a future, as Kafka's {@code send(record)} returning a
     * {@code Future<RecordMetadata>}. While every batch slot is in use it polls until the record is taken, for at
     * most the delivery timeout, as Kafka's {@code send} blocks for up to {@code max.block.ms}.
     * <p>
     * <b>Allocates</b> (the future, its callback, the result): it is for code ported from Kafka, off the
     * zero-allocation path, which is {@link #send} with a reused {@link ProducerCallback} and its return codes.
     * The future completes on the owning thread, during {@code send}, {@code poll}, {@code flush} or
     * {@code close}: keep polling, or {@link #flush()}, before waiting on it there; a {@code get()} on the owning
     * thread with nothing driving the producer never returns.
     *
     * @param topic     the topic name.
     * @param partition the partition, or -1 to let the partitioner choose.
     * @param key       the key, or null.
     * @param value     the value, or null for a tombstone.
     * @return a future completed with the record's partition and offset (offset -1 with {@code acks=0}), or
     * exceptionally with a {@link SpindleException} saying why it failed: a topic or partition that does not exist,
     * a record too large, a lost connection, no batch slot freed within the delivery timeout, ...
     * @throws java.util.ConcurrentModificationException when called from a thread that does not own the producer.
     */
    public java.util.concurrent.CompletableFuture<RecordMetadata> sendAsync(
        final String topic, final int partition, final byte[] key, final byte[] value)
    {
        owner.check();
        ensureNotCallingBack("sendAsync");
        final java.util.concurrent.CompletableFuture<RecordMetadata> future =
            new java.util.concurrent.CompletableFuture<>();
        final ProducerCallback callback = (sentTo, offset, code) ->
        {
            if (ErrorCode.NONE == code)
            {
                future.complete(new RecordMetadata(topic, sentTo, offset));
            }
            else
            {
                future.completeExceptionally(new SpindleException(code, "send to " + topic + "-" + sentTo + " failed"));
            }
        };
        final long deadlineNs = System.nanoTime() + ctx.deliveryTimeoutMs() * 1_000_000L;
        final IdleStrategy idle = ctx.idleStrategy();
        idle.reset();
        try
        {
            while (BACK_PRESSURED == send(topic, partition, key, value, callback))
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    future.completeExceptionally(new SpindleException(ErrorCode.REQUEST_TIMED_OUT,
                        "no batch slot came free within the delivery timeout of " + ctx.deliveryTimeoutMs() + " ms"));
                    break;
                }
                idle.idle(poll());
            }
        }
        catch (final SpindleException ex)
        {
            future.completeExceptionally(ex);
        }
        return future;
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
        ensureNotCallingBack("poll");
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
        ensureNotCallingBack("flush");
        accumulator.flushPartitions();
        final long deadlineNs = System.nanoTime() + ctx.deliveryTimeoutMs * 1_000_000L + 1_000_000_000L;
        idleStrategy.reset();
        while (accumulator.hasSealed() || sender.hasInFlight() || accumulator.hasOpenBatches())
        {
            accumulator.flushPartitions();
            awaitProgress(deadlineNs);
        }
    }

    /**
     * Take the producer id of {@code transactionalId} with its next epoch (Kafka's {@code initTransactions}): an
     * older producer with the same id is fenced from now on, and the transaction it left open is aborted. Call once,
     * before the first transaction.
     *
     * @throws IllegalStateException when the producer has no transactional id.
     * @throws SpindleException      when the broker refuses (e.g. INVALID_TRANSACTION_TIMEOUT) or cannot be reached.
     */
    public void initTransactions()
    {
        owner.check();
        ensureOpen();
        requireTransactional();
        acrossReconnects(this::initProducerId);
        sender.clearResetPending();
        accumulator.renumberSealed(producerId, producerEpoch);
    }

    /**
     * Open a transaction: what is sent until {@link #commitTransaction()} or {@link #abortTransaction()} becomes
     * visible to read_committed consumers all at once, or never.
     *
     * @throws IllegalStateException when no transaction may open now (not initialised, or one is open).
     */
    public void beginTransaction()
    {
        owner.check();
        requireTransactional();
        transactions.begin();
    }

    /**
     * Commit consumer group offsets as part of the open transaction (Kafka's {@code sendOffsetsToTransaction}):
     * they take effect when it commits and are dropped if it aborts, so a consume-transform-produce loop moves its
     * input position and writes its output together.
     *
     * @param offsets the next offsets to read, by partition.
     * @param groupId the consumer group.
     * @throws SpindleException when the broker refuses them.
     */
    public void sendOffsetsToTransaction(final Map<TopicPartition, OffsetAndMetadata> offsets, final String groupId)
    {
        owner.check();
        requireTransactional();
        acrossReconnects(() -> transactions.commitOffsets(connection, nextCorrelationId.getAndIncrement(), producerId,
            producerEpoch, groupId, offsets, (topic) -> topicState(topic).metadata.topicId()));
    }

    /**
     * Send what is open, wait for every record of the transaction, then commit it: its records and offsets become
     * visible together.
     *
     * @throws SpindleException INVALID_TXN_STATE when a record of the transaction failed (abort it), or why the
     *                          commit failed: a fenced producer (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH), a lost
     *                          broker (commit again: the broker keeps the open transaction).
     */
    public void commitTransaction()
    {
        owner.check();
        requireTransactional();
        failIfAbortable();
        transactions.requireState(ProducerTransactions.State.IN_TRANSACTION, "commit");
        flush();
        failIfAbortable();
        acrossReconnects(() -> transactions.end(
            connection, nextCorrelationId.getAndIncrement(), producerId, producerEpoch, true));
    }

    /**
     * Abort the open transaction: wait for what is in flight, then have the broker mark it aborted, so no
     * read_committed consumer ever sees its records, and drop the offsets sent with it.
     *
     * @throws SpindleException when the broker cannot be told (abort again), or the producer was fenced.
     */
    public void abortTransaction()
    {
        owner.check();
        requireTransactional();
        if (ProducerTransactions.State.ABORTABLE_ERROR != transactions.state())
        {
            transactions.requireState(ProducerTransactions.State.IN_TRANSACTION, "abort");
        }
        try
        {
            flush();
        }
        catch (final SpindleException ignore)
        {
            // Whatever did not make it is aborted anyway.
        }
        acrossReconnects(() -> transactions.end(
            connection, nextCorrelationId.getAndIncrement(), producerId, producerEpoch, false));
        if (sender.isResetPending())
        {
            // A failed record left a gap in its partition's sequence numbers: the next epoch starts them again.
            initTransactions();
        }
    }

    /**
     * Make a request the broker may be asked again: a metadata lookup, or one of the transaction requests (a
     * partition added twice, the same offsets committed twice, or a transaction ended twice change nothing, and a
     * second {@code InitProducerId} only takes the next epoch). An idempotent producer whose broker session goes
     * away before or under the request (a restarted broker) opens a new one and asks again, as it sends its batches
     * again, within the delivery timeout.
     */
    private void acrossReconnects(final Runnable request)
    {
        final long deadlineNs = System.nanoTime() + ctx.deliveryTimeoutMs * 1_000_000L;
        idleStrategy.reset();
        while (true)
        {
            final BrokerConnection used = connection;
            if (used.isConnected())
            {
                try
                {
                    request.run();
                    return;
                }
                catch (final SpindleException ex)
                {
                    // Lost with the session it went on (a lookup inside the request may have opened the next one).
                    final boolean isSessionLost = ErrorCode.NETWORK_EXCEPTION == ex.errorCode() && !used.isConnected();
                    if (!isIdempotent || !isSessionLost || System.nanoTime() - deadlineNs > 0)
                    {
                        throw ex;
                    }
                }
            }
            awaitProgress(deadlineNs);
        }
    }

    private void requireTransactional()
    {
        if (!transactions.isTransactional())
        {
            throw new IllegalStateException("the producer has no transactional id: set Context.transactionalId");
        }
    }

    private void failIfAbortable()
    {
        if (ProducerTransactions.State.ABORTABLE_ERROR == transactions.state())
        {
            throw new SpindleException(ErrorCode.INVALID_TXN_STATE, "the transaction cannot commit, abort it: " +
                transactions.abortableReason());
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
        return sender.acked();
    }

    /**
     * Records failed so far.
     *
     * @return the count.
     */
    public long failedCount()
    {
        owner.check();
        return sender.failed();
    }

    /**
     * The producer's own counters, as Kafka's {@code metrics()} but as plain numbers by name, read when called:
     * <ul>
     *     <li>{@code record-send-total}: records acknowledged (with acks 0, sent);</li>
     *     <li>{@code record-error-total}: records that failed for good (their callbacks saw an error);</li>
     *     <li>{@code record-retry-total}: batches sent again after a retriable refusal or a lost session;</li>
     *     <li>{@code batch-send-total}: record batches put on the wire, each sending of a batch counted;</li>
     *     <li>{@code byte-send-total}: bytes of those record batches, as built (compressed, without the request
     *     around them);</li>
     *     <li>{@code reconnects-total}: broker sessions opened again after they were lost;</li>
     *     <li>{@code requests-in-flight}: batches sent and not answered yet;</li>
     *     <li>{@code request-latency-avg} and {@code request-latency-max}: milliseconds (a double) from putting a
     *     batch on the wire to its answer, over every answer so far, present once there is one (acks 1 or all).</li>
     * </ul>
     * Counting costs the send path no allocation; this call allocates the map.
     *
     * @return the values by name; unmodifiable.
     */
    public Map<String, Number> metrics()
    {
        owner.check();
        final Map<String, Number> metrics = new LinkedHashMap<>();
        metrics.put("record-send-total", sender.acked());
        metrics.put("record-error-total", sender.failed());
        metrics.put("record-retry-total", sender.retries());
        metrics.put("batch-send-total", sender.batchesSent());
        metrics.put("byte-send-total", sender.bytesSent());
        metrics.put("reconnects-total", reconnects);
        metrics.put("requests-in-flight", sender.inFlightCount());
        if (sender.latencySamples() > 0)
        {
            metrics.put("request-latency-avg", sender.latencySumNs() / 1e6 / sender.latencySamples());
            metrics.put("request-latency-max", sender.latencyMaxNs() / 1e6);
        }
        return Collections.unmodifiableMap(metrics);
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
            if (connection.isConnected() || isIdempotent && !sender.isResetPending())
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
            sender.failAll(ErrorCode.NETWORK_EXCEPTION);
            transport.close();
            accumulator.close();
        }
    }

    private void awaitProgress(final long deadlineNs)
    {
        final long nowNs = System.nanoTime();
        if (nowNs - deadlineNs > 0)
        {
            sender.failAll(ErrorCode.REQUEST_TIMED_OUT);
            throw new SpindleException(ErrorCode.REQUEST_TIMED_OUT,
                "records still outstanding after the delivery timeout");
        }
        idleStrategy.idle(doWork(nowNs));
    }

    private int doWork(final long nowNs)
    {
        int work = connection.poll(responseHandler, 16);

        if (ctx.lingerUs > 0 || sender.inFlightCount() < ctx.maxInFlight)
        {
            work += accumulator.sealDueBatches(nowNs);
        }
        if (maySend())
        {
            work += sender.sendSealed(connection, nowNs);
        }
        work += sender.expire(nowNs);
        work += connection.doHousekeeping(nowNs);
        if (!connection.isConnected())
        {
            work += onConnectionLost(nowNs);
        }
        else if (sender.isResetPending() && transactions.isTransactional())
        {
            // The transaction failed: what waits to be sent fails with it, only an abort goes on from here.
            work += sender.failSealed(ErrorCode.INVALID_TXN_STATE);
        }
        else if (sender.isResetPending() && !sender.hasInFlight())
        {
            resetProducerId();
            work++;
        }
        else if (RecordBatch.NO_PRODUCER_ID == producerId && isIdempotent && !transactions.isTransactional() &&
            accumulator.hasSealed() && !sender.hasInFlight())
        {
            acquireProducerId(false);
            work++;
        }
        if (nowNs - nextMetadataRefreshNs >= 0)
        {
            work += requestMetadata(nowNs);
        }

        return work;
    }

    /**
     * Whether sealed batches may go on the wire: not while a batch that failed for good leaves a gap to close under
     * a new epoch, not without a session, and not before an idempotent producer has its id.
     */
    private boolean maySend()
    {
        return !(sender.isResetPending() || !connection.isConnected() ||
            isIdempotent && RecordBatch.NO_PRODUCER_ID == producerId);
    }

    /**
     * Ask for the partition counts of every topic written to, without waiting: {@link #onResponse} takes the answer.
     */
    private int requestMetadata(final long nowNs)
    {
        nextMetadataRefreshNs = nowNs + TimeUnit.MILLISECONDS.toNanos(Math.max(1, ctx.metadataMaxAgeMs));
        if (0 == accumulator.topicCount() || !connection.isConnected())
        {
            return 0;
        }
        metadataCorrelationId = nextCorrelationId.getAndIncrement();
        metadataRequestEncoder.wrapAndApplyHeader(metadataRequest, 0, metadataHeaderEncoder)
            .correlationId(metadataCorrelationId);
        final MetadataRequestEncoder.TopicsEncoder topics =
            metadataRequestEncoder.topicsCount(accumulator.topicCount());
        for (int t = 0, n = accumulator.topicCount(); t < n; t++)
        {
            topics.next().name(accumulator.topic(t).metadata.name());
        }
        if (connection.offer(metadataRequest, 0,
            MessageHeaderEncoder.ENCODED_LENGTH + metadataRequestEncoder.encodedLength()) < 0)
        {
            // Not taken (back pressure, a lost session): ask again soon rather than a whole period later.
            nextMetadataRefreshNs = nowNs + TimeUnit.MILLISECONDS.toNanos(Math.min(100, ctx.metadataMaxAgeMs));
            metadataCorrelationId = -1;
        }
        return 1;
    }

    private void onMetadataResponse(final DirectBuffer buffer, final int offset)
    {
        metadataResponseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        if (metadataResponseDecoder.correlationId() != metadataCorrelationId)
        {
            return;
        }
        metadataCorrelationId = -1;
        for (final MetadataResponseDecoder.BrokersDecoder broker : metadataResponseDecoder.brokers())
        {
            broker.skipEndpoint();
        }
        for (final MetadataResponseDecoder.TopicsDecoder topic : metadataResponseDecoder.topics())
        {
            final ErrorCode code = topic.errorCode();
            final int topicId = topic.topicId();
            final int partitionCount = topic.partitionCount();
            for (final MetadataResponseDecoder.TopicsDecoder.PartitionsDecoder ignored : topic.partitions())
            {
                ignored.partition();
            }
            final String name = topic.name();
            final TopicState state = accumulator.topic(name);
            if (ErrorCode.NONE == code && null != state && state.metadata.topicId() == topicId &&
                partitionCount > state.metadata.partitionCount())
            {
                state.grow(new TopicMetadata(name, topicId, partitionCount));
            }
        }
    }

    /**
     * The broker session is gone. A producer that is not idempotent fails everything outstanding and refuses to go
     * on. An idempotent one keeps every batch, in order, to send again once a session is open again (the broker
     * answers a batch it already has with its first offset), trying to open one every reconnect back-off; it gives
     * up only when the session has been gone for the delivery timeout.
     */
    private int onConnectionLost(final long nowNs)
    {
        if (!isIdempotent)
        {
            sender.failAll(ErrorCode.NETWORK_EXCEPTION);
            throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "broker connection lost: " +
                connection.closedReason());
        }
        if (CONNECTED == disconnectedSinceNs)
        {
            disconnectedSinceNs = nowNs;
            nextReconnectNs = nowNs;
            sender.requeueInFlight();
        }
        if (nowNs - nextReconnectNs < 0)
        {
            return 0;
        }
        final String reason = connection.closedReason();
        try
        {
            connection = transport.control();
            disconnectedSinceNs = CONNECTED;
            reconnects++;
            return 1;
        }
        catch (final SpindleException ex)
        {
            final long now = System.nanoTime();
            if (now - disconnectedSinceNs > ctx.deliveryTimeoutMs * 1_000_000L)
            {
                sender.failAll(ErrorCode.NETWORK_EXCEPTION);
                throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "broker connection lost (" + reason +
                    ") and not back within the delivery timeout of " + ctx.deliveryTimeoutMs + " ms: " +
                    ex.getMessage());
            }
            nextReconnectNs = now + Math.max(1, ctx.reconnectBackoffMs()) * 1_000_000L;
            return 0;
        }
    }




    /**
     * Take a producer id at connect, or before sending when the broker could not give one then: a broker that
     * cannot write (a full disk) refuses to hand one out, and what waits to be sent fails with its reason, as an
     * append would; a lost session fails the connect, or is seen and retried by {@link #doWork}.
     */
    private void acquireProducerId(final boolean atConnect)
    {
        try
        {
            initProducerId();
        }
        catch (final SpindleException ex)
        {
            if (ErrorCode.NETWORK_EXCEPTION == ex.errorCode() || !connection.isConnected())
            {
                if (atConnect)
                {
                    throw ex;
                }
                return;
            }
            sender.failSealed(ex.errorCode());
            return;
        }
        accumulator.renumberSealed(producerId, producerEpoch);
    }

    /**
     * Ask the broker for a producer id (epoch 0): at connect, and when the epoch is used up.
     */
    private void initProducerId()
    {
        final long[] result = transactions.initProducerId(connection, nextCorrelationId.getAndIncrement());
        producerId = result[0];
        producerEpoch = (short)result[1];
    }

    /**
     * A batch failed for good, leaving a gap in its partition's sequence numbers that every later batch would be
     * refused for: once nothing is in flight, start again under the next epoch, numbering what waits to be sent
     * from 0 in every partition (a partition takes a newer epoch only at sequence 0). The epoch is the producer's
     * own to bump, as Kafka's idempotent producer does: nothing is asked of the broker, which may be unable to
     * write anything (a full disk). Only when the epoch is used up does it ask for a new producer id.
     */
    private void resetProducerId()
    {
        if (producerEpoch < Short.MAX_VALUE)
        {
            producerEpoch++;
        }
        else
        {
            initProducerId();
        }
        sender.clearResetPending();
        accumulator.renumberSealed(producerId, producerEpoch);
    }




    private void onResponse(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        if (ProduceResponseDecoder.TEMPLATE_ID == templateId)
        {
            sender.onProduceResponse(buffer, offset);
        }
        else if (MetadataResponseDecoder.TEMPLATE_ID == templateId)
        {
            onMetadataResponse(buffer, offset);
        }
        else if (ErrorResponseDecoder.TEMPLATE_ID == templateId)
        {
            sender.onErrorResponse(buffer, offset);
        }
    }






    private TopicState topicState(final String topic)
    {
        TopicState state = accumulator.topic(topic);
        if (null == state)
        {
            final TopicMetadata[] metadata = new TopicMetadata[1];
            acrossReconnects(() -> metadata[0] = Admin.metadata(
                connection, metadataCaller, ctx, nextCorrelationId.getAndIncrement(), topic));
            state = accumulator.addTopic(topic, metadata[0]);
        }
        return state;
    }

    /**
     * A record for a partition beyond the topic's count as this producer knows it: partitions may have been added
     * since, so the metadata is read again (off the common path: once per such record until the count grows).
     */
    private void refreshPartitions(final String topic, final TopicState state)
    {
        final TopicMetadata[] metadata = new TopicMetadata[1];
        acrossReconnects(() -> metadata[0] = Admin.metadata(
            connection, metadataCaller, ctx, nextCorrelationId.getAndIncrement(), topic));
        if (metadata[0].topicId() == state.metadata.topicId())
        {
            state.grow(metadata[0]);
        }
    }

    /**
     * A {@link ProducerCallback} runs inside the producer's own work (an answer part way through, a send waiting for a
     * free batch); a call back into the producer from there would reuse what the interrupted call still holds (its
     * record's buffers, the partition's open batch), so it is refused.
     */
    private void ensureNotCallingBack(final String call)
    {
        if (sender.isCallingBack())
        {
            throw new IllegalStateException("Producer." + call + " called from a ProducerCallback: a callback runs " +
                "inside the producer's own work and must not call the producer; hand the record to the code that " +
                "calls send or poll");
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("producer is closed");
        }
    }
}
