package io.spindle.client;

import java.util.ArrayList;
import java.util.List;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordFlyweight;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseDecoder;
import io.spindle.codecs.protocol.FetchCancelEncoder;
import io.spindle.codecs.protocol.FetchCreditEncoder;
import io.spindle.codecs.protocol.FetchRequestEncoder;
import io.spindle.codecs.protocol.FetchResponseDecoder;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * A {@link Consumer}'s fetch session: sends one fetch for every assigned, unpaused partition (a stream paced by the
 * credit granted back as records are handed over, or a long poll), buffers the answers' records in arrival order and
 * hands them to the application, advancing each partition's position and skipping what read_committed hides. The
 * consumer owns the assignment and the positions it resolves; this class owns the fetch connection, what is in flight
 * on it and what has arrived. Touched only by the consumer's owning thread; nothing here allocates per record.
 * <p>
 * Buffered answers are entries in one buffer: a header (the partition's index in the assignment, the fetch epoch it
 * was asked in, the records' length, the count of aborted transactions), the aborted transactions, then the records.
 * An entry whose epoch is not its partition's any more (a seek, a pause, a new assignment since) is dropped unread.
 */
final class Fetcher
{
    private static final int ENTRY_HEADER_LENGTH = 16;
    private static final int ABORTED_ENTRY_LENGTH = 16;

    private final Consumer.Context ctx;
    private final ClientTransport transport;
    private final IdleStrategy idleStrategy;
    private final List<AssignedPartition> assigned;
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final FetchRequestEncoder fetchEncoder = new FetchRequestEncoder();
    private final FetchCreditEncoder creditEncoder = new FetchCreditEncoder();
    private final FetchCancelEncoder cancelEncoder = new FetchCancelEncoder();
    private final FetchResponseDecoder fetchDecoder = new FetchResponseDecoder();
    private final ErrorResponseDecoder errorDecoder = new ErrorResponseDecoder();
    private final ExpandableArrayBuffer requestBuffer = new ExpandableArrayBuffer(4096);
    private final ExpandableDirectByteBuffer fetched = new ExpandableDirectByteBuffer(1024 * 1024);
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    private final AbortedTransactionFilter abortedFilter = new AbortedTransactionFilter();
    private final RecordFlyweight record = new RecordFlyweight();
    private final ConsumerRecord consumerRecord = new ConsumerRecord();
    private final FragmentHandler fetchHandler = this::onFetchResponse;
    private ServerConnection connection;
    private long nextCorrelationId = 1;
    private long fetchCorrelationId = -1;
    private boolean fetchOutstanding;
    private boolean restartFetch = true;
    private int fetchEpoch;
    private int writePosition;
    private int readPosition;
    private long consumedSinceCredit;
    private SpindleException pendingError;
    private boolean switchReplica;
    private int storageErrorSwitches;
    private long recordsConsumed;
    private long bytesConsumed;
    private long fetchResponses;
    private long replicaSwitches;

    Fetcher(
        final Consumer.Context ctx,
        final ClientTransport transport,
        final IdleStrategy idleStrategy,
        final List<AssignedPartition> assigned)
    {
        this.ctx = ctx;
        this.transport = transport;
        this.idleStrategy = idleStrategy;
        this.assigned = assigned;
    }

    /**
     * Open the fetch session (again, after a lost one): nothing is in flight on the new one.
     */
    void connect()
    {
        connection = transport.fetch();
        fetchCorrelationId = -1;
    }

    /**
     * The fetch session; null before {@link #connect()}.
     */
    ServerConnection connection()
    {
        return connection;
    }

    /**
     * The error the last answers left for the application (a partition that cannot be read, an undecodable batch),
     * handed over once.
     */
    SpindleException takeError()
    {
        final SpindleException error = pendingError;
        pendingError = null;
        return error;
    }

    /**
     * Move the fetch session to the next cluster member when an answer asked for it (outside the fetch handler) and
     * fetch again from every partition's position.
     */
    void switchReplicaIfAsked()
    {
        if (switchReplica)
        {
            switchReplica = false;
            connection = transport.fetchFromNextMember();
            replicaSwitches++;
            fetchCorrelationId = -1;
            restart();
        }
    }

    /**
     * Whether a fetch must be sent before more records can come: the assignment, a position or the session changed,
     * or a long poll was answered and everything it brought was handed over. The positions must be resolved first.
     */
    boolean isFetchDue()
    {
        return restartFetch || !ctx.streaming() && !fetchOutstanding && readPosition == writePosition;
    }

    /**
     * Take what has arrived on the fetch session into the buffer.
     */
    int poll()
    {
        return connection.poll(fetchHandler, 16);
    }

    /**
     * Keep the fetch session alive and give the broker back the credit for what was handed over.
     */
    void doHousekeeping(final long nowNs)
    {
        connection.doHousekeeping(nowNs);
        grantCredit();
    }

    /**
     * Say goodbye to a stream in flight, if any, as the consumer closes.
     */
    void close()
    {
        if (null != connection && connection.isConnected() && fetchCorrelationId >= 0 && ctx.streaming())
        {
            sendCancel(fetchCorrelationId);
        }
    }

    long recordsConsumed()
    {
        return recordsConsumed;
    }

    long bytesConsumed()
    {
        return bytesConsumed;
    }

    long fetchResponses()
    {
        return fetchResponses;
    }

    long replicaSwitches()
    {
        return replicaSwitches;
    }


    /**
     * Hand up to {@code limit} buffered records to the handler, in order, from where each partition's position is.
     */
    int deliver(final Consumer.RecordHandler handler, final int limit)
    {
        int delivered = 0;
        while (delivered < limit && readPosition < writePosition)
        {
            final int index = fetched.getInt(readPosition);
            final int generation = fetched.getInt(readPosition + 4);
            final int length = fetched.getInt(readPosition + 8);
            final int abortedCount = fetched.getInt(readPosition + 12);
            final int start = readPosition + ENTRY_HEADER_LENGTH + abortedCount * ABORTED_ENTRY_LENGTH;
            final int end = start + length;
            final AssignedPartition state = index < assigned.size() ? assigned.get(index) : null;
            boolean entryDone = true;

            if (null != state && state.generation == generation && !state.paused)
            {
                abortedFilter.load(fetched, readPosition + ENTRY_HEADER_LENGTH, abortedCount,
                    IsolationLevel.READ_COMMITTED == ctx.isolationLevel());
                int position = start;
                while (position < end)
                {
                    batch.wrap(fetched, position);
                    final int batchLength = batch.batchLength();
                    if (batchLength < RecordBatch.HEADER_LENGTH || position + batchLength > end)
                    {
                        break;
                    }
                    if (abortedFilter.skips(batch, fetched, position))
                    {
                        // A transaction marker, or a record of an aborted transaction for read_committed: the
                        // position moves past it, nothing is handed over.
                        if (batch.nextOffset() > state.position)
                        {
                            state.position = batch.nextOffset();
                        }
                    }
                    else if (batch.nextOffset() > state.position)
                    {
                        if (BatchError.OK != record.wrap(batch))
                        {
                            pendingError = new SpindleException(ErrorCode.CORRUPT_MESSAGE,
                                "undecodable batch in " + state.tp + " at offset " + batch.baseOffset());
                            position = end;
                            break;
                        }
                        boolean isBatchDelivered = true;
                        while (record.next())
                        {
                            final long offset = record.offset();
                            if (offset < state.position)
                            {
                                continue;
                            }
                            if (delivered == limit)
                            {
                                isBatchDelivered = false;
                                break;
                            }
                            state.position = offset + 1;
                            recordsConsumed++;
                            handler.onRecord(consumerRecord.wrap(state.tp.topic(), state.tp.partition(), record));
                            delivered++;
                            if (state.generation != generation)
                            {
                                // The handler sought or paused: nothing more from this fetch is handed over.
                                isBatchDelivered = false;
                                break;
                            }
                        }
                        if (state.generation != generation)
                        {
                            break;
                        }
                        if (isBatchDelivered && state.generation == generation &&
                            state.position < batch.nextOffset())
                        {
                            // Every record delivered (and no seek): step over offsets compaction removed.
                            state.position = batch.nextOffset();
                        }
                        if (delivered == limit && state.position < batch.nextOffset())
                        {
                            entryDone = false;
                            break;
                        }
                    }
                    position += batchLength;
                }
            }

            if (!entryDone)
            {
                break;
            }
            consumedSinceCredit += length;
            bytesConsumed += length;
            readPosition = end;
        }

        if (readPosition == writePosition)
        {
            readPosition = 0;
            writePosition = 0;
        }
        return delivered;
    }

    private void onFetchResponse(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        if (ErrorResponseDecoder.TEMPLATE_ID == templateId)
        {
            errorDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            if (errorDecoder.correlationId() == fetchCorrelationId)
            {
                fetchOutstanding = false;
                final ErrorCode code = errorDecoder.errorCode();
                errorDecoder.requestTemplateId();
                pendingError = new SpindleException(code, errorDecoder.errorMessage());
            }
            return;
        }
        if (FetchResponseDecoder.TEMPLATE_ID != templateId)
        {
            return;
        }

        fetchDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        if (fetchDecoder.correlationId() != fetchCorrelationId)
        {
            return;
        }
        if (!ctx.streaming())
        {
            fetchOutstanding = false;
        }
        fetchResponses++;
        fetchDecoder.errorCode();
        for (final FetchResponseDecoder.PartitionsDecoder partition : fetchDecoder.partitions())
        {
            final int topicId = partition.topicId();
            final int partitionNumber = partition.partition();
            final ErrorCode code = partition.errorCode();
            final long highWatermark = partition.highWatermark();
            final long lastStableOffset = partition.lastStableOffset();
            partition.logStartOffset();
            final long nextFetchOffset = partition.nextFetchOffset();
            if (null != ctx.arrivalTrace() && ErrorCode.NONE == code)
            {
                ctx.arrivalTrace().onArrived(topicId, partitionNumber, nextFetchOffset, System.nanoTime());
            }
            // Aborted transactions go in the entry, between its header and its records, for deliver to skip.
            int abortedCount = 0;
            for (final FetchResponseDecoder.PartitionsDecoder.AbortedTransactionsDecoder aborted :
                partition.abortedTransactions())
            {
                final int at = writePosition + ENTRY_HEADER_LENGTH + abortedCount * ABORTED_ENTRY_LENGTH;
                fetched.putLong(at, aborted.producerId());
                fetched.putLong(at + 8, aborted.firstOffset());
                abortedCount++;
            }
            final int recordsLength = partition.recordsLength();
            final int recordsOffset = fetchDecoder.limit() + 4;
            partition.skipRecords();

            final int index = indexOf(topicId, partitionNumber);
            if (index < 0)
            {
                continue;
            }
            final AssignedPartition state = assigned.get(index);
            if (ErrorCode.NONE != code)
            {
                onPartitionError(state, code);
                continue;
            }
            state.highWatermark = highWatermark;
            state.lastStableOffset = lastStableOffset;
            if (recordsLength > 0)
            {
                storageErrorSwitches = 0;
                final int abortedLength = abortedCount * ABORTED_ENTRY_LENGTH;
                fetched.putInt(writePosition, index);
                fetched.putInt(writePosition + 4, state.generation);
                fetched.putInt(writePosition + 8, recordsLength);
                fetched.putInt(writePosition + 12, abortedCount);
                fetched.putBytes(writePosition + ENTRY_HEADER_LENGTH + abortedLength, buffer, recordsOffset,
                    recordsLength);
                writePosition += ENTRY_HEADER_LENGTH + abortedLength + recordsLength;
            }
        }
    }

    private void onPartitionError(final AssignedPartition state, final ErrorCode code)
    {
        if (ErrorCode.OFFSET_OUT_OF_RANGE == code && ctx.autoOffsetReset() != Consumer.OffsetReset.NONE)
        {
            state.position = -1;
            restart();
        }
        else if (ErrorCode.KAFKA_STORAGE_ERROR == code && storageErrorSwitches < transport.fetchMemberCount() - 1)
        {
            // A cluster member that cannot serve an offset the cluster holds (its own tier lacks it): fetch from
            // the next member, as Kafka's consumer leaves a replica that cannot serve; once every member has
            // answered so without a record in between, the error is the application's.
            storageErrorSwitches++;
            switchReplica = true;
        }
        else
        {
            pendingError = new SpindleException(code, "fetch from " + state.tp + " at offset " + state.position +
                " failed");
        }
    }

    /**
     * Send the fetch for every unpaused partition from its position (resolved by the consumer), cancelling the stream
     * it replaces; none when every partition is paused.
     */
    void start()
    {
        if (ctx.streaming() && fetchCorrelationId >= 0)
        {
            sendCancel(fetchCorrelationId);
        }
        restartFetch = false;

        final List<AssignedPartition> active = new ArrayList<>();
        for (final AssignedPartition state : assigned)
        {
            if (!state.paused)
            {
                active.add(state);
            }
        }
        if (active.isEmpty())
        {
            fetchCorrelationId = -1;
            return;
        }

        fetchCorrelationId = nextCorrelationId++;
        fetchEncoder.wrapAndApplyHeader(requestBuffer, 0, headerEncoder)
            .correlationId(fetchCorrelationId)
            .maxWaitMs(ctx.fetchMaxWaitMs())
            .minBytes(ctx.fetchMinBytes())
            .maxBytes(ctx.fetchMaxBytes())
            .isolationLevel(ctx.isolationLevel())
            .streaming(ctx.streaming() ? BooleanType.TRUE : BooleanType.FALSE)
            .creditBytes(ctx.creditBytes());
        final FetchRequestEncoder.PartitionsEncoder partitions = fetchEncoder.partitionsCount(active.size());
        for (final AssignedPartition state : active)
        {
            partitions.next()
                .topicId(state.topicId)
                .partition(state.tp.partition())
                .fetchOffset(state.position)
                .partitionMaxBytes(ctx.partitionMaxBytes());
        }
        if (!offerFetchRequest(MessageHeaderEncoder.ENCODED_LENGTH + fetchEncoder.encodedLength()))
        {
            // The session was lost: the next poll opens it again and sends the fetch from the positions.
            fetchCorrelationId = -1;
            restartFetch = true;
            return;
        }
        fetchOutstanding = true;
        consumedSinceCredit = 0;
    }

    private void grantCredit()
    {
        if (ctx.streaming() && fetchCorrelationId >= 0 && consumedSinceCredit >= ctx.creditBytes() / 2)
        {
            final FetchCreditEncoder encoder = creditEncoder;
            encoder.wrapAndApplyHeader(requestBuffer, 0, headerEncoder)
                .correlationId(fetchCorrelationId)
                .creditBytes(consumedSinceCredit);
            if (connection.offer(requestBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength()) > 0)
            {
                consumedSinceCredit = 0;
            }
        }
    }

    private void sendCancel(final long correlationId)
    {
        final FetchCancelEncoder encoder = cancelEncoder;
        encoder.wrapAndApplyHeader(requestBuffer, 0, headerEncoder).correlationId(correlationId);
        connection.offer(requestBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    private boolean offerFetchRequest(final int length)
    {
        final long deadlineNs = System.nanoTime() + ctx.requestTimeoutMs() * 1_000_000L;
        idleStrategy.reset();
        long result;
        while ((result = connection.offer(requestBuffer, 0, length)) < 0)
        {
            final long nowNs = System.nanoTime();
            connection.doHousekeeping(nowNs);
            if (!connection.isConnected())
            {
                return false;
            }
            if (nowNs - deadlineNs > 0)
            {
                throw new SpindleException(ErrorCode.REQUEST_TIMED_OUT, "cannot send a fetch for " +
                    ctx.requestTimeoutMs() + " ms: " + ServerConnection.describe(result));
            }
            idleStrategy.idle();
        }
        return true;
    }

    /**
     * Fetch again from the positions on the next poll: what is buffered or in flight from before is dropped.
     */
    void restart()
    {
        // One epoch for all: buffered entries name partitions by index, which a new assignment reuses.
        final int epoch = ++fetchEpoch;
        for (final AssignedPartition state : assigned)
        {
            state.generation = epoch;
        }
        restartFetch = true;
        fetchOutstanding = false;
    }

    private int indexOf(final int topicId, final int partition)
    {
        for (int i = 0, n = assigned.size(); i < n; i++)
        {
            final AssignedPartition state = assigned.get(i);
            if (state.topicId == topicId && state.tp.partition() == partition)
            {
                return i;
            }
        }
        return -1;
    }
}
