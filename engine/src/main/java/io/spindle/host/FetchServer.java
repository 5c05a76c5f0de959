package io.spindle.host;

import java.util.ArrayList;
import java.util.List;

import io.aeron.Publication;
import io.spindle.broker.Topic;
import io.spindle.broker.TopicTable;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.FetchCancelDecoder;
import io.spindle.codecs.protocol.FetchCreditDecoder;
import io.spindle.codecs.protocol.FetchRequestDecoder;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.codecs.protocol.FetchResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.log.AppendStamp;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import io.spindle.monitor.RecordTrace;
import io.spindle.monitor.StageLatencies;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

/**
 * Serves fetches from the partition logs up to their high-water marks, on its own agent, so that
 * reads never wait behind produce.
 * <p>
 * Two modes, chosen per request:
 * <ul>
 *     <li><b>Long poll</b>: answered as soon as at least {@code minBytes} are available across the
 *     requested partitions, or when {@code maxWait} expires (possibly empty).</li>
 *     <li><b>Streaming</b>: the server keeps pushing batches of each partition as they land, one
 *     response per partition per push, while the stream has credit ({@code creditBytes}, topped up
 *     by {@code FetchCredit}); Aeron back-pressure on the session pauses it, a {@code FetchCancel}
 *     ends it.</li>
 * </ul>
 * Batches are sent exactly as stored. Topics are looked up in the {@link TopicTable} the state
 * machine publishes, loaded once per duty cycle; {@link #observedTableVersion()} tells the state
 * machine when a deleted topic's logs can no longer be in use here.
 * <p>
 * <b>Threading:</b> one agent thread; {@link #observedTableVersion()} may be read from any thread.
 */
public final class FetchServer implements Agent, SessionServer.RequestHandler
{
    /**
     * Supplies the current topic table.
     */
    public interface TopicTableSupplier
    {
        /**
         * The latest published table.
         *
         * @return the table.
         */
        TopicTable topicTable();
    }

    private static final int RESPONSE_OVERHEAD = 256;

    /**
     * Most bytes of one streaming push. A catching-up stream sends many pushes rather than a few
     * huge ones: a push far larger than the receiver's flow-control window (UDP's is 128 KiB by
     * default) stalls on it frame by frame; 64 KiB pushes replayed 9x faster over UDP.
     */
    static final int MAX_PUSH_BYTES = BrokerConfiguration.fetchMaxPushBytes();

    private final SessionServer server;
    private final TopicTableSupplier tables;
    private final BrokerCounters counters;
    private final NanoClock nanoClock;
    private final List<Fetch> longPolls = new ArrayList<>();
    private final List<Fetch> streams = new ArrayList<>();
    private final List<Fetch> freeFetches = new ArrayList<>();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private static final long[] NONE_ABORTED = new long[0];

    private final FetchRequestDecoder fetchDecoder = new FetchRequestDecoder();
    private final FetchCreditDecoder creditDecoder = new FetchCreditDecoder();
    private final FetchCancelDecoder cancelDecoder = new FetchCancelDecoder();
    private final FetchResponseEncoder responseEncoder = new FetchResponseEncoder();
    private final ExpandableDirectByteBuffer responseBuffer = new ExpandableDirectByteBuffer(1024 * 1024);
    private final LogReadResult readView = new LogReadResult();
    private volatile long observedTableVersion;
    private TopicTable table = TopicTable.EMPTY;
    private boolean waitAboveHighWaterMark;
    private long responseRecords;
    private long responseBytes;
    private StageLatencies latencies;
    private RecordTrace trace;

    /**
     * A fetch server on a session server for the fetch stream.
     *
     * @param serverFactory builds the fetch stream's session server with this as its handler.
     * @param tables        the state machine's published topics.
     * @param counters      where responses are counted.
     * @param nanoClock     the agent's clock.
     */
    public FetchServer(
        final ControlAgent.SessionServerFactory serverFactory,
        final TopicTableSupplier tables,
        final BrokerCounters counters,
        final NanoClock nanoClock)
    {
        this.tables = tables;
        this.counters = counters;
        this.nanoClock = nanoClock;
        this.server = serverFactory.create(this);
    }

    /**
     * Answer a fetch above the high-water mark as "nothing yet" (empty, with the mark) instead of
     * {@link ErrorCode#OFFSET_OUT_OF_RANGE}, and one of a topic created after what this member has applied as
     * empty instead of {@link ErrorCode#UNKNOWN_TOPIC_ID}: a cluster member lags the leader, so an offset or a topic
     * a consumer learnt of elsewhere may be beyond this member for a while.
     *
     * @param wait true on a cluster member.
     * @return this.
     */
    public FetchServer waitAboveHighWaterMark(final boolean wait)
    {
        this.waitAboveHighWaterMark = wait;
        return this;
    }

    /**
     * Record the latency from append to push ({@link StageLatencies#APPENDED_TO_PUSHED}) of the records this server
     * sends to a fetch that waited for them.
     *
     * @param latencies where to record, or null not to.
     * @return this.
     */
    public FetchServer latencies(final StageLatencies latencies)
    {
        this.latencies = latencies;
        return this;
    }

    /**
     * Report every response's records as pushed ({@link RecordTrace#onPushed}) as it is encoded, just before its
     * offer (again if the offer is back-pressured), for {@code perf latency --stages}.
     *
     * @param trace where to report, or null not to.
     * @return this.
     */
    public FetchServer recordTrace(final RecordTrace trace)
    {
        this.trace = trace;
        return this;
    }

    /**
     * The version of the topic table this server last loaded: no log of a topic deleted before that
     * version is in use here.
     *
     * @return the table version.
     */
    public long observedTableVersion()
    {
        return observedTableVersion;
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        final long nowNs = nanoClock.nanoTime();
        table = tables.topicTable();
        observedTableVersion = table.version();

        int work = server.poll(nowNs);
        work += serviceLongPolls(nowNs);
        work += serviceStreams();

        return work;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-fetch";
    }

    /**
     * {@inheritDoc}
     */
    public void onClose()
    {
        server.close();
        longPolls.clear();
        streams.clear();
        freeFetches.clear();
        observedTableVersion = Long.MAX_VALUE;
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionOpened(final long sessionId, final long nowNs)
    {
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionClosed(final long sessionId, final long nowNs)
    {
        removeSession(longPolls, sessionId);
        removeSession(streams, sessionId);
    }

    /**
     * {@inheritDoc}
     */
    public void onRequest(
        final long sessionId,
        final int templateId,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long nowNs)
    {
        headerDecoder.wrap(buffer, offset);
        switch (templateId)
        {
            case FetchRequestDecoder.TEMPLATE_ID:
                onFetch(sessionId, buffer, offset, nowNs);
                break;

            case FetchCreditDecoder.TEMPLATE_ID:
            {
                creditDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
                final Fetch stream = find(streams, sessionId, creditDecoder.correlationId());
                if (null != stream)
                {
                    stream.creditBytes += Math.max(0, creditDecoder.creditBytes());
                }
                break;
            }

            case FetchCancelDecoder.TEMPLATE_ID:
            {
                cancelDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
                final long correlationId = cancelDecoder.correlationId();
                remove(streams, sessionId, correlationId);
                remove(longPolls, sessionId, correlationId);
                break;
            }

            default:
            {
                final long correlationId = buffer.getLong(
                    offset + MessageHeaderDecoder.ENCODED_LENGTH, java.nio.ByteOrder.LITTLE_ENDIAN);
                server.sendError(sessionId, correlationId, templateId, ErrorCode.UNSUPPORTED_MESSAGE,
                    "the fetch stream serves fetches only, not template " + templateId);
                break;
            }
        }
    }

    private void onFetch(final long sessionId, final DirectBuffer buffer, final int offset, final long nowNs)
    {
        fetchDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        counters.fetchRequests.incrementRelease();
        final Fetch fetch = newFetch();
        fetch.sessionId = sessionId;
        fetch.correlationId = fetchDecoder.correlationId();
        final int maxWaitMs = fetchDecoder.maxWaitMs();
        fetch.minBytes = Math.max(0, fetchDecoder.minBytes());
        fetch.maxBytes = fetchDecoder.maxBytes();
        fetch.committedOnly = IsolationLevel.READ_COMMITTED == fetchDecoder.isolationLevel();
        fetch.streaming = fetchDecoder.streaming() == BooleanType.TRUE;
        fetch.creditBytes = fetchDecoder.creditBytes();
        fetch.deadlineNs = nowNs + Math.max(0, maxWaitMs) * 1_000_000L;
        fetch.receivedNs = nowNs;

        final FetchRequestDecoder.PartitionsDecoder partitions = fetchDecoder.partitions();
        fetch.partitionCount(partitions.count());
        int i = 0;
        while (partitions.hasNext())
        {
            partitions.next();
            final FetchPartition partition = fetch.partitions[i++];
            partition.topicId = partitions.topicId();
            partition.partition = partitions.partition();
            partition.fetchOffset = partitions.fetchOffset();
            partition.maxBytes = partitions.partitionMaxBytes();
            partition.failed = false;
        }

        if (fetch.maxBytes <= 0 || fetch.partitionCount == 0)
        {
            freeFetches.add(fetch);
            server.sendError(sessionId, fetch.correlationId, FetchRequestDecoder.TEMPLATE_ID,
                ErrorCode.INVALID_FETCH_SIZE,
                "a fetch needs maxBytes > 0 and at least one partition");
            return;
        }

        if (fetch.streaming)
        {
            remove(streams, sessionId, fetch.correlationId);
            streams.add(fetch);
        }
        else if (answerLongPoll(fetch, nowNs))
        {
            freeFetches.add(fetch);
        }
        else
        {
            longPolls.add(fetch);
        }
    }

    private int serviceLongPolls(final long nowNs)
    {
        int work = 0;
        for (int i = longPolls.size() - 1; i >= 0; i--)
        {
            if (answerLongPoll(longPolls.get(i), nowNs))
            {
                freeFetches.add(longPolls.remove(i));
                work++;
            }
        }

        return work;
    }

    private boolean answerLongPoll(final Fetch fetch, final long nowNs)
    {
        final boolean expired = nowNs - fetch.deadlineNs >= 0;
        if (!expired)
        {
            long available = 0;
            boolean anyError = false;
            for (int i = 0; i < fetch.partitionCount; i++)
            {
                final FetchPartition partition = fetch.partitions[i];
                final PartitionLog log = log(partition);
                if (null == log)
                {
                    if (isNotCreatedYet(partition))
                    {
                        continue;
                    }
                    anyError = true;
                    break;
                }
                final long hwm = log.highWaterMark();
                if (partition.fetchOffset < log.readableStartOffset() ||
                    (partition.fetchOffset > hwm && !waitAboveHighWaterMark))
                {
                    anyError = true;
                    break;
                }
                final long readable = fetch.committedOnly ? log.lastStableOffset() : hwm;
                if (readable > partition.fetchOffset &&
                    log.read(partition.fetchOffset, fetch.maxBytes, readView, fetch.committedOnly) >= 0)
                {
                    available += readView.length();
                }
            }
            if (!anyError && (available == 0 || available < fetch.minBytes))
            {
                return false;
            }
        }

        final int maxLength = server.maxMessageLength(fetch.sessionId);
        if (0 == maxLength)
        {
            return true;
        }
        int remaining = Math.min(fetch.maxBytes, maxLength - RESPONSE_OVERHEAD * (fetch.partitionCount + 1));
        responseRecords = 0;
        responseBytes = 0;
        responseEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(fetch.correlationId)
            .errorCode(ErrorCode.NONE);
        final FetchResponseEncoder.PartitionsEncoder entries = responseEncoder.partitionsCount(fetch.partitionCount);
        for (int i = 0; i < fetch.partitionCount; i++)
        {
            final FetchPartition partition = fetch.partitions[i];
            final int limit = Math.max(0, Math.min(remaining, partition.maxBytes > 0 ? partition.maxBytes : remaining));
            final int written = encodePartition(entries.next(), partition, limit, fetch.committedOnly);
            remaining -= written;
        }

        final long result = server.offer(
            fetch.sessionId, responseBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + responseEncoder.encodedLength());
        if (result > 0)
        {
            counters.fetchResponses.increment();
            countServed();
            for (int i = 0; i < fetch.partitionCount; i++)
            {
                recordPush(fetch, fetch.partitions[i]);
            }
            return true;
        }

        return Publication.NOT_CONNECTED == result || Publication.CLOSED == result;
    }

    private int serviceStreams()
    {
        int work = 0;
        for (int i = streams.size() - 1; i >= 0; i--)
        {
            final Fetch stream = streams.get(i);
            for (int p = 0; p < stream.partitionCount; p++)
            {
                final FetchPartition partition = stream.partitions[p];
                if (stream.creditBytes <= 0)
                {
                    break;
                }
                if (partition.failed)
                {
                    continue;
                }

                final PartitionLog log = log(partition);
                if (null == log && isNotCreatedYet(partition))
                {
                    continue;
                }
                if (null != log && partition.fetchOffset >= log.readableStartOffset() &&
                    (partition.fetchOffset == (stream.committedOnly ? log.lastStableOffset() : log.highWaterMark()) ||
                    (waitAboveHighWaterMark && partition.fetchOffset > log.highWaterMark())))
                {
                    continue;
                }

                final int maxLength = server.maxMessageLength(stream.sessionId);
                if (0 == maxLength)
                {
                    freeFetches.add(streams.remove(i));
                    break;
                }
                final int limit = (int)Math.min(
                    Math.min(stream.creditBytes, partition.maxBytes > 0 ? partition.maxBytes : stream.maxBytes),
                    Math.min(maxLength - 2 * RESPONSE_OVERHEAD, MAX_PUSH_BYTES));

                final long fetchOffset = partition.fetchOffset;
                responseRecords = 0;
                responseBytes = 0;
                responseEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
                    .correlationId(stream.correlationId)
                    .errorCode(ErrorCode.NONE);
                final int written = encodePartition(
                    responseEncoder.partitionsCount(1).next(), partition, limit, stream.committedOnly);
                if (0 == written && !partition.failed && null != log && fetchOffset < log.logStartOffset())
                {
                    continue; // being fetched from the archive tier: push nothing until it is there
                }
                final long result = server.offer(
                    stream.sessionId, responseBuffer, 0,
                    MessageHeaderEncoder.ENCODED_LENGTH + responseEncoder.encodedLength());
                if (result > 0)
                {
                    counters.fetchResponses.increment();
                    countServed();
                    recordPush(stream, partition);
                    stream.creditBytes -= written;
                    work++;
                }
                else
                {
                    // Back-pressured or gone: resend from the same offset on a later cycle.
                    partition.fetchOffset = fetchOffset;
                    partition.failed = false;
                    if (Publication.NOT_CONNECTED == result || Publication.CLOSED == result)
                    {
                        freeFetches.add(streams.remove(i));
                    }
                    break;
                }
            }
        }

        return work;
    }

    private int encodePartition(
        final FetchResponseEncoder.PartitionsEncoder entry,
        final FetchPartition partition,
        final int maxBytes,
        final boolean committedOnly)
    {
        entry.topicId(partition.topicId).partition(partition.partition);
        partition.appendedNs = AppendStamp.NULL_TIME;
        final Topic topic = table.topic(partition.topicId);
        final PartitionLog log = null == topic ? null : topic.partition(partition.partition);
        if (null == log && isNotCreatedYet(partition))
        {
            // A member that has not applied the topic's creation yet: nothing to serve so far, not an error.
            entry.errorCode(ErrorCode.NONE)
                .highWatermark(0).lastStableOffset(0).logStartOffset(0).nextFetchOffset(partition.fetchOffset)
                .abortedTransactionsCount(0);
            entry.putRecords(responseBuffer, 0, 0);
            return 0;
        }
        if (null == log)
        {
            partition.failed = true;
            entry.errorCode(null == topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                .highWatermark(-1).lastStableOffset(-1).logStartOffset(-1).nextFetchOffset(partition.fetchOffset)
                .abortedTransactionsCount(0);
            entry.putRecords(responseBuffer, 0, 0);
            return 0;
        }

        final long hwm = log.highWaterMark();
        final long lastStableOffset = log.lastStableOffset();
        final long logStartOffset = log.readableStartOffset();
        if (waitAboveHighWaterMark && partition.fetchOffset > hwm)
        {
            entry.errorCode(ErrorCode.NONE)
                .highWatermark(hwm).lastStableOffset(lastStableOffset).logStartOffset(logStartOffset)
                .nextFetchOffset(partition.fetchOffset)
                .abortedTransactionsCount(0);
            entry.putRecords(responseBuffer, 0, 0);
            return 0;
        }
        final int status = log.read(partition.fetchOffset, maxBytes, readView, committedOnly);
        if (status < 0)
        {
            partition.failed = true;
            entry.errorCode(PartitionLog.errorCode(status))
                .highWatermark(hwm).lastStableOffset(lastStableOffset).logStartOffset(logStartOffset)
                .nextFetchOffset(partition.fetchOffset)
                .abortedTransactionsCount(0);
            entry.putRecords(responseBuffer, 0, 0);
            return 0;
        }

        final int length = readView.length();
        final long nextOffset = length > 0 ? readView.nextOffset() : partition.fetchOffset;
        entry.errorCode(ErrorCode.NONE)
            .highWatermark(hwm).lastStableOffset(lastStableOffset).logStartOffset(logStartOffset)
            .nextFetchOffset(nextOffset);
        encodeAbortedTransactions(entry, committedOnly && length > 0 ? log.abortedTransactions() : NONE_ABORTED,
            partition.fetchOffset, nextOffset);
        entry.putRecords(readView.buffer(), 0, length);
        partition.appendedNs = null == latencies || 0 == length ?
            AppendStamp.NULL_TIME : log.appendStamp().timeNs(nextOffset);
        if (null != trace && length > 0)
        {
            // Before the offer: the consumer may hand the records over before this thread runs again.
            trace.onPushed(log, partition.fetchOffset, nextOffset, nanoClock.nanoTime());
        }
        responseRecords += nextOffset - partition.fetchOffset;
        responseBytes += length;
        partition.fetchOffset = nextOffset;

        return length;
    }

    /**
     * A response holding the partition's records was sent: time the stage. Only a fetch that was waiting when the
     * batch was appended is a push: one that came later measures the consumer.
     */
    private void recordPush(final Fetch fetch, final FetchPartition partition)
    {
        if (AppendStamp.NULL_TIME != partition.appendedNs && partition.appendedNs - fetch.receivedNs >= 0)
        {
            latencies.record(StageLatencies.APPENDED_TO_PUSHED, nanoClock.nanoTime() - partition.appendedNs);
            partition.appendedNs = AppendStamp.NULL_TIME;
        }
    }

    /**
     * Count what the response just sent served; only sent responses count, a back-pressured push is sent again.
     */
    private void countServed()
    {
        counters.fetchRecords.getAndAddRelease(responseRecords);
        counters.fetchBytes.getAndAddRelease(responseBytes);
    }

    /**
     * For a read_committed fetch, the aborted transactions whose records may be among those served (they end at or
     * after the fetch offset and begin before the next one), so the consumer can skip them, as Kafka's does.
     */
    private static void encodeAbortedTransactions(
        final FetchResponseEncoder.PartitionsEncoder entry,
        final long[] aborted,
        final long fetchOffset,
        final long nextOffset)
    {
        int count = 0;
        for (int i = 0; i < aborted.length; i += 3)
        {
            if (aborted[i + 2] >= fetchOffset && aborted[i + 1] < nextOffset)
            {
                count++;
            }
        }
        final FetchResponseEncoder.PartitionsEncoder.AbortedTransactionsEncoder encoder =
            entry.abortedTransactionsCount(count);
        for (int i = 0; i < aborted.length && count > 0; i += 3)
        {
            if (aborted[i + 2] >= fetchOffset && aborted[i + 1] < nextOffset)
            {
                encoder.next().producerId(aborted[i]).firstOffset(aborted[i + 1]);
                count--;
            }
        }
    }

    private boolean isNotCreatedYet(final FetchPartition partition)
    {
        return waitAboveHighWaterMark && table.isNotCreatedYet(partition.topicId);
    }

    private PartitionLog log(final FetchPartition partition)
    {
        final Topic topic = table.topic(partition.topicId);
        return null == topic ? null : topic.partition(partition.partition);
    }

    /**
     * A fetch from the pool, or a new one while the pool has not yet grown to the most fetches ever held at once:
     * a fetch server answering long polls would otherwise allocate one per request.
     */
    private Fetch newFetch()
    {
        final int last = freeFetches.size() - 1;
        return last >= 0 ? freeFetches.remove(last) : new Fetch();
    }

    private void remove(final List<Fetch> fetches, final long sessionId, final long correlationId)
    {
        for (int i = fetches.size() - 1; i >= 0; i--)
        {
            final Fetch fetch = fetches.get(i);
            if (fetch.sessionId == sessionId && fetch.correlationId == correlationId)
            {
                freeFetches.add(fetches.remove(i));
            }
        }
    }

    private void removeSession(final List<Fetch> fetches, final long sessionId)
    {
        for (int i = fetches.size() - 1; i >= 0; i--)
        {
            if (fetches.get(i).sessionId == sessionId)
            {
                freeFetches.add(fetches.remove(i));
            }
        }
    }

    private static Fetch find(final List<Fetch> fetches, final long sessionId, final long correlationId)
    {
        for (int i = 0, n = fetches.size(); i < n; i++)
        {
            final Fetch fetch = fetches.get(i);
            if (fetch.sessionId == sessionId && fetch.correlationId == correlationId)
            {
                return fetch;
            }
        }

        return null;
    }

    private static final class Fetch
    {
        long sessionId;
        long correlationId;
        int minBytes;
        int maxBytes;
        boolean streaming;
        boolean committedOnly;
        long creditBytes;
        long deadlineNs;
        long receivedNs;
        int partitionCount;
        FetchPartition[] partitions = new FetchPartition[0];

        /**
         * Hold this many partitions, growing the array only past the most this fetch has held before.
         */
        void partitionCount(final int count)
        {
            if (count > partitions.length)
            {
                final FetchPartition[] grown = java.util.Arrays.copyOf(partitions, count);
                for (int i = partitions.length; i < count; i++)
                {
                    grown[i] = new FetchPartition();
                }
                partitions = grown;
            }
            partitionCount = count;
        }
    }

    private static final class FetchPartition
    {
        int topicId;
        int partition;
        long fetchOffset;
        int maxBytes;
        boolean failed;
        long appendedNs = AppendStamp.NULL_TIME;
    }
}
