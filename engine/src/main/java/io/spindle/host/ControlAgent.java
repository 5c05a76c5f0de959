package io.spindle.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import io.spindle.broker.BrokerStateMachine;
import io.spindle.broker.BrokerStats;
import io.spindle.broker.Host;
import io.spindle.codecs.protocol.AddPartitionsToTxnResponseDecoder;
import io.spindle.codecs.protocol.AlterTopicResponseDecoder;
import io.spindle.codecs.protocol.CreateTopicsResponseDecoder;
import io.spindle.codecs.protocol.DeleteTopicsResponseDecoder;
import io.spindle.codecs.protocol.DescribeTopicsResponseDecoder;
import io.spindle.codecs.protocol.EndTxnRequestDecoder;
import io.spindle.codecs.protocol.EndTxnResponseDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseEncoder;
import io.spindle.codecs.protocol.InitProducerIdRequestDecoder;
import io.spindle.codecs.protocol.InitProducerIdResponseDecoder;
import io.spindle.codecs.protocol.ListOffsetsResponseDecoder;
import io.spindle.codecs.protocol.ListTopicsResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.MetadataResponseDecoder;
import io.spindle.codecs.protocol.ProduceRequestDecoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.codecs.protocol.TxnOffsetCommitResponseDecoder;
import io.spindle.log.PartitionLog;
import io.spindle.monitor.RecordTrace;
import io.spindle.monitor.StageLatencies;
import org.agrona.DirectBuffer;
import org.agrona.DeadlineTimerWheel;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The standalone host's duty cycle around the state machine: polls the control stream, applies each
 * request with the host's time, has the metadata persisted before any answer that depends on it leaves,
 * and drives the state machine's periodic work.
 * <p>
 * <b>Persisting off the produce path (group commit).</b> {@code spindle.meta} is written by a
 * {@link MetadataPersister} on its own thread, never on this one, which appends produce batches and acknowledges
 * them. When an answer depends on state that is not yet on disk (a committed offset, a completed rebalance, a
 * deleted group, a created, altered or deleted topic, a producer id handed out), this agent wants a write: after
 * each poll, when no write is in flight, it encodes the whole snapshot into its buffer and hands it over (one write
 * at a time, one writer of the file). The answer is copied into a preallocated ring of held answers, tagged with the
 * sequence number of the write that must complete first, and sent when the persister reports that write durable
 * (written, fsynced, renamed). Everything that changes while a write is in flight goes into the next one, so any
 * number of commits cost one fsync per write in flight, and the ring grows only to its high-water mark: no
 * allocation per request once warm.
 * <p>
 * <b>Who waits.</b> Answers about topics (produce, metadata, list offsets, topic admin) wait only for a topic
 * change not yet on disk (a topic created or a partition added moments before: an acknowledged record must not be
 * in a partition a restart forgets), otherwise never, commits in flight or not; fetches are served by the fetch
 * server and never wait. Every other answer (groups, offsets, transactions, errors) waits for the write holding
 * the group or topic state it could reveal. Each of the two kinds leaves in the order it was made: an answer waits
 * behind held answers of its kind (a ring each). Producer ids and transaction changes alone are written only for
 * the answers that hand out a producer id or change a transaction (AddPartitionsToTxn, TxnOffsetCommit, EndTxn;
 * and with every other write): a partition's place in a transaction, its pending offsets and its outcome are on
 * disk before its producer hears of them, as a commit's offsets are (Kafka writes them to its transaction log
 * before answering too).
 * <p>
 * <b>Bound.</b> When the disk stalls, answers pile up: once {@code spindle.metadata.max.held.answers} are held, a
 * request whose answer would be held too is refused before it is applied, with {@code REQUEST_TIMED_OUT} (retriable:
 * nothing changed), and counted ({@link MetadataCounters}); requests whose answers need no write go on.
 * <p>
 * <b>Failure.</b> When a write that holds a topic or group change fails (e.g. the disk is full) this agent throws
 * an {@link AgentTerminationException}: the broker stops, and no answer that waited for the write is sent. When the
 * write held only producer ids and transaction changes, the answers that hand out the ids or end the transactions
 * are refused with {@code KAFKA_STORAGE_ERROR} instead and the broker goes on (a transaction's end asked again is
 * answered as it was, once a write succeeds).
 */
final class ControlAgent implements Agent, SessionServer.RequestHandler, Host
{
    static final String METADATA_FILE = "spindle.meta";
    private static final long TICK_INTERVAL_NS = 10_000_000L;
    private static final long NULL_TIME = Long.MIN_VALUE;
    private static final long CLOSE_WAIT_NS = 10_000_000_000L;
    private static final int HELD_SESSION_OFFSET = 0;
    private static final int HELD_REQUIRED_OFFSET = 8;
    private static final int HELD_KIND_OFFSET = 16;
    private static final int HELD_HEADER_LENGTH = 24;
    private static final int KIND_TOPICS = 0;
    private static final int KIND_GROUPS = 1;
    private static final int KIND_PRODUCER_ID = 2;
    private static final int KIND_TRANSACTION = 3;
    private static final String REFUSED_HELD_FULL = "not applied: too many answers wait for the broker's metadata " +
        "to be written (spindle.metadata.max.held.answers); the disk is slow, try again";

    private final SessionServer server;
    private final BrokerStateMachine stateMachine;
    private final BrokerCounters counters;
    private final StateMachineCounters stateMachineCounters;
    private final StageLatencies latencies;
    private long produceReceivedNs = NULL_TIME;
    private long produceAppendedNs = NULL_TIME;
    private final NanoClock nanoClock;
    private final EpochClock epochClock;
    private final MetadataPersister persister;
    private final MetadataCounters metadataCounters;
    private int maxHeldAnswers = Integer.MAX_VALUE;
    private int heldAnswers;
    private final LongSupplier readerTableVersion;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ExpandableArrayBuffer snapshotBuffer = new ExpandableArrayBuffer(4096);
    private final DeadlineTimerWheel timerWheel = new DeadlineTimerWheel(TimeUnit.MILLISECONDS, 0, 1, 512);
    private final Long2LongHashMap timerIdByCorrelationId = new Long2LongHashMap(DeadlineTimerWheel.NULL_DEADLINE);
    private final Long2LongHashMap correlationIdByTimerId = new Long2LongHashMap(DeadlineTimerWheel.NULL_DEADLINE);
    private final DeadlineTimerWheel.TimerHandler onTimerExpiry = this::onTimerExpiry;
    private final ExpandableRingBuffer heldTopicAnswers = new ExpandableRingBuffer(
        4 * 1024, ExpandableRingBuffer.MAX_CAPACITY, false);
    private final ExpandableRingBuffer heldGroupAnswers = new ExpandableRingBuffer(
        64 * 1024, ExpandableRingBuffer.MAX_CAPACITY, false);
    private final ExpandableArrayBuffer heldScratch = new ExpandableArrayBuffer(1024);
    private final ExpandableRingBuffer.MessageConsumer onHeldAnswer = this::onHeldAnswer;
    private boolean isWriteInFlight;
    private long submittedSequence;
    private long wantedSequence;
    private long resolvedSequence;
    private long refusedSequence = -1;
    private long submittedMetadataVersion;
    private long submittedGroupsVersion;
    private long submittedProducerIdsVersion;
    private long durableMetadataVersion;
    private long durableGroupsVersion;
    private long durableProducerIdsVersion;
    private String lastPersistFailure;
    private final ExpandableArrayBuffer refusal = new ExpandableArrayBuffer(256);
    private final ErrorResponseEncoder errorEncoder = new ErrorResponseEncoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private long timerNowMs;
    private long nextTickNs;
    private long reportedBatches;
    private long reportedCorrupt;
    private long reportedErrors;
    private boolean isPersistFailed;
    private RecordTrace trace;

    ControlAgent(
        final SessionServerFactory serverFactory,
        final BrokerStateMachine stateMachine,
        final BrokerCounters counters,
        final StateMachineCounters stateMachineCounters,
        final StageLatencies latencies,
        final NanoClock nanoClock,
        final EpochClock epochClock,
        final MetadataPersister persister,
        final LongSupplier readerTableVersion)
    {
        this.stateMachine = stateMachine;
        this.counters = counters;
        this.stateMachineCounters = stateMachineCounters;
        this.latencies = latencies;
        this.nanoClock = nanoClock;
        this.epochClock = epochClock;
        this.persister = persister;
        this.metadataCounters = persister.counters();
        this.readerTableVersion = readerTableVersion;
        this.durableMetadataVersion = stateMachine.metadataVersion();
        this.durableGroupsVersion = stateMachine.groupsVersion();
        this.durableProducerIdsVersion = stateMachine.producerIdsVersion();
        this.submittedMetadataVersion = durableMetadataVersion;
        this.submittedGroupsVersion = durableGroupsVersion;
        this.submittedProducerIdsVersion = durableProducerIdsVersion;
        // A wheel left at tick 0 would walk every millisecond since the epoch to reach its first deadline.
        this.timerWheel.currentTickTime(epochClock.time());
        this.server = serverFactory.create(this);
    }

    /**
     * Bound the answers held for metadata writes: beyond it, requests whose answers would be held are refused
     * unapplied with REQUEST_TIMED_OUT.
     *
     * @param maxHeldAnswers at least 1.
     * @return this.
     */
    ControlAgent maxHeldAnswers(final int maxHeldAnswers)
    {
        this.maxHeldAnswers = maxHeldAnswers;
        return this;
    }

    /**
     * Builds the control stream's server with this agent as its handler.
     */
    public interface SessionServerFactory
    {
        /**
         * Build the server.
         *
         * @param handler receives what arrives on it.
         * @return the server.
         */
        SessionServer create(SessionServer.RequestHandler handler);
    }

    /**
     * {@inheritDoc}
     */
    public void onStart()
    {
        persister.requesterThread(Thread.currentThread());
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        final long nowNs = nanoClock.nanoTime();
        int work = pollPersister();
        work += server.poll(nowNs);

        if (nowNs - nextTickNs >= 0)
        {
            nextTickNs = nowNs + TICK_INTERVAL_NS;
            final long nowMs = epochClock.time();
            if (timerWheel.timerCount() > 0)
            {
                timerNowMs = nowMs;
                // The wheel advances one tick per poll: catch it up with the clock.
                do
                {
                    work += timerWheel.poll(nowMs, onTimerExpiry, Integer.MAX_VALUE);
                }
                while (timerWheel.timerCount() > 0 && timerWheel.currentTickTime() <= nowMs);
            }
            else
            {
                timerWheel.currentTickTime(nowMs);
            }
            work += stateMachine.onTick(nowMs);
            work += stateMachine.reclaimDeleted(readerTableVersion.getAsLong());
            if (stateMachine.metadataVersion() != submittedMetadataVersion ||
                stateMachine.groupsVersion() != submittedGroupsVersion)
            {
                // Changed by a timer or a deleted topic's reclaim: written although no answer waits for it.
                wantedSequence = submittedSequence + 1;
            }
            updateCounters();
            stateMachineCounters.update(stateMachine, nowNs);
        }
        work += submitWanted();

        return work;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-control";
    }

    /**
     * {@inheritDoc}
     */
    public void onClose()
    {
        server.close();
        if (isPersistFailed)
        {
            return;
        }
        // The persister finishes a write in flight before its thread ends; the last snapshot is then written here.
        final long deadlineNs = nanoClock.nanoTime() + CLOSE_WAIT_NS;
        // A closing runner may have interrupted this thread, and a park returns at once while the flag is set: clear
        // it for the wait (so the wait sleeps rather than spins) and set it again after.
        final boolean wasInterrupted = Thread.interrupted();
        while (isWriteInFlight && nanoClock.nanoTime() - deadlineNs < 0)
        {
            if (persister.completedSequence() == submittedSequence || persister.failedSequence() == submittedSequence)
            {
                isWriteInFlight = false;
            }
            else
            {
                LockSupport.parkNanos(100_000L);
            }
        }
        if (wasInterrupted)
        {
            Thread.currentThread().interrupt();
        }
        if (!isWriteInFlight && (stateMachine.metadataVersion() != durableMetadataVersion ||
            stateMachine.groupsVersion() != durableGroupsVersion ||
            stateMachine.producerIdsVersion() != durableProducerIdsVersion ||
            persister.completedSequence() != submittedSequence))
        {
            final int length = stateMachine.snapshot(snapshotBuffer);
            try
            {
                persister.writeNow(snapshotBuffer.byteArray(), length);
            }
            catch (final UncheckedIOException ex)
            {
                throw new AgentTerminationException("cannot persist the broker's metadata at close: " +
                    ex.getMessage(), ex);
            }
        }
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
        if (heldAnswers >= maxHeldAnswers && wouldBeHeld(kind(templateId + 1)))
        {
            refuseUnapplied(sessionId, templateId, buffer, offset, length);
            return;
        }
        if (ProduceRequestDecoder.TEMPLATE_ID == templateId)
        {
            produceReceivedNs = nanoClock.nanoTime();
            produceAppendedNs = NULL_TIME;
        }
        final boolean isHandled =
            stateMachine.onRequest(sessionId, templateId, buffer, offset, length, epochClock.time());
        if (NULL_TIME != produceAppendedNs)
        {
            latencies.record(StageLatencies.RECEIVED_TO_APPENDED, produceAppendedNs - produceReceivedNs);
            produceAppendedNs = NULL_TIME;
        }
        produceReceivedNs = NULL_TIME;
        if (!isHandled)
        {
            headerDecoder.wrap(buffer, offset);
            final long correlationId = length >= MessageHeaderDecoder.ENCODED_LENGTH + 8 ?
                buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH, java.nio.ByteOrder.LITTLE_ENDIAN) : -1;
            stateMachine.sendError(sessionId, correlationId, templateId, ErrorCode.UNSUPPORTED_MESSAGE,
                "the control stream does not serve template " + templateId);
        }
    }

    /**
     * Sends the answer now, or holds it until the write of the state it depends on is durable (see the class
     * description).
     */
    public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
    {
        headerDecoder.wrap(buffer, offset);
        final int kind = kind(headerDecoder.templateId());
        final ExpandableRingBuffer held = KIND_TOPICS == kind ? heldTopicAnswers : heldGroupAnswers;
        final long required = requiredSequence(kind);
        if (required <= resolvedSequence && held.isEmpty())
        {
            server.send(sessionId, buffer, offset, length);
            if (NULL_TIME != produceAppendedNs && ProduceResponseDecoder.TEMPLATE_ID == headerDecoder.templateId())
            {
                latencies.record(StageLatencies.APPENDED_TO_ACKNOWLEDGED, nanoClock.nanoTime() - produceAppendedNs);
            }
            return;
        }

        heldScratch.putLong(HELD_SESSION_OFFSET, sessionId);
        heldScratch.putLong(HELD_REQUIRED_OFFSET, required);
        heldScratch.putInt(HELD_KIND_OFFSET, kind);
        heldScratch.putBytes(HELD_HEADER_LENGTH, buffer, offset, length);
        if (!held.append(heldScratch, 0, HELD_HEADER_LENGTH + length))
        {
            throw new AgentTerminationException("too many answers waiting for the metadata to be written");
        }
        metadataCounters.answersHeld.setRelease(++heldAnswers);
    }

    /**
     * Whether an answer of a kind would be held if it were made now: answers of its kind are held already, or state
     * it depends on is not yet on disk.
     */
    private boolean wouldBeHeld(final int kind)
    {
        final ExpandableRingBuffer held = KIND_TOPICS == kind ? heldTopicAnswers : heldGroupAnswers;
        final boolean dependsOnGroups = KIND_TOPICS != kind;
        final boolean dependsOnProducerIds = KIND_PRODUCER_ID == kind || KIND_TRANSACTION == kind;
        return !held.isEmpty() || stateMachine.metadataVersion() != durableMetadataVersion ||
            dependsOnGroups && stateMachine.groupsVersion() != durableGroupsVersion ||
            dependsOnProducerIds && stateMachine.producerIdsVersion() != durableProducerIdsVersion;
    }

    /**
     * Answers a request, without applying it, that its answer would wait behind too many others for a write.
     */
    private void refuseUnapplied(
        final long sessionId, final int templateId, final DirectBuffer buffer, final int offset, final int length)
    {
        metadataCounters.requestsRefused.incrementRelease();
        final long correlationId = length >= MessageHeaderDecoder.ENCODED_LENGTH + 8 ?
            buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH, ByteOrder.LITTLE_ENDIAN) : -1;
        errorEncoder.wrapAndApplyHeader(refusal, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.REQUEST_TIMED_OUT)
            .requestTemplateId(templateId)
            .errorMessage(REFUSED_HELD_FULL);
        server.send(sessionId, refusal, 0, MessageHeaderEncoder.ENCODED_LENGTH + errorEncoder.encodedLength());
    }

    /**
     * What an answer may reveal or acknowledge: topics only (produce, metadata, topic admin, list offsets), or
     * group and transaction state too (everything else, errors included), or a producer id handed out, or a
     * transaction's end.
     */
    private static int kind(final int templateId)
    {
        switch (templateId)
        {
            case ProduceResponseDecoder.TEMPLATE_ID:
            case MetadataResponseDecoder.TEMPLATE_ID:
            case CreateTopicsResponseDecoder.TEMPLATE_ID:
            case DeleteTopicsResponseDecoder.TEMPLATE_ID:
            case DescribeTopicsResponseDecoder.TEMPLATE_ID:
            case ListTopicsResponseDecoder.TEMPLATE_ID:
            case AlterTopicResponseDecoder.TEMPLATE_ID:
            case ListOffsetsResponseDecoder.TEMPLATE_ID:
                return KIND_TOPICS;

            case InitProducerIdResponseDecoder.TEMPLATE_ID:
                return KIND_PRODUCER_ID;

            case AddPartitionsToTxnResponseDecoder.TEMPLATE_ID:
            case TxnOffsetCommitResponseDecoder.TEMPLATE_ID:
            case EndTxnResponseDecoder.TEMPLATE_ID:
                return KIND_TRANSACTION;

            default:
                return KIND_GROUPS;
        }
    }

    /**
     * The write an answer of a kind must wait for: the one in flight when it holds what the answer depends on, the
     * next when that is not even encoded yet (asking for it), else none ({@link #resolvedSequence} or lower).
     */
    private long requiredSequence(final int kind)
    {
        final long metadataVersion = stateMachine.metadataVersion();
        final boolean dependsOnGroups = KIND_TOPICS != kind;
        final boolean dependsOnProducerIds = KIND_PRODUCER_ID == kind || KIND_TRANSACTION == kind;
        final long groupsVersion = stateMachine.groupsVersion();
        final long producerIdsVersion = stateMachine.producerIdsVersion();
        if (metadataVersion != submittedMetadataVersion ||
            dependsOnGroups && groupsVersion != submittedGroupsVersion ||
            dependsOnProducerIds && producerIdsVersion != submittedProducerIdsVersion)
        {
            wantedSequence = submittedSequence + 1;
            return wantedSequence;
        }
        if (metadataVersion != durableMetadataVersion ||
            dependsOnGroups && groupsVersion != durableGroupsVersion ||
            dependsOnProducerIds && producerIdsVersion != durableProducerIdsVersion)
        {
            return submittedSequence;
        }
        return resolvedSequence;
    }

    /**
     * Hand the persister a snapshot when a write is wanted and none is in flight: everything changed since the last
     * one goes into this one.
     */
    private int submitWanted()
    {
        if (isWriteInFlight || wantedSequence <= submittedSequence)
        {
            return 0;
        }
        submittedMetadataVersion = stateMachine.metadataVersion();
        submittedGroupsVersion = stateMachine.groupsVersion();
        submittedProducerIdsVersion = stateMachine.producerIdsVersion();
        final int length = stateMachine.snapshot(snapshotBuffer);
        submittedSequence++;
        isWriteInFlight = true;
        persister.request(snapshotBuffer.byteArray(), length, submittedSequence);
        return 1;
    }

    /**
     * Sees the write in flight done: sends the answers that waited for it. A failed write stops the broker, unless
     * it held only producer ids: those answers are refused, the broker goes on.
     */
    private int pollPersister()
    {
        if (!isWriteInFlight)
        {
            return 0;
        }
        if (persister.completedSequence() == submittedSequence)
        {
            isWriteInFlight = false;
            durableMetadataVersion = submittedMetadataVersion;
            durableGroupsVersion = submittedGroupsVersion;
            durableProducerIdsVersion = submittedProducerIdsVersion;
            resolvedSequence = submittedSequence;
            return 1 + releaseHeld();
        }
        if (persister.failedSequence() == submittedSequence)
        {
            isWriteInFlight = false;
            final String failure = persister.failure();
            if (submittedMetadataVersion != durableMetadataVersion || submittedGroupsVersion != durableGroupsVersion)
            {
                isPersistFailed = true;
                // A change that cannot be made durable must not be acknowledged, and the state in memory is now
                // ahead of the disk: the broker cannot go on, so it stops (the host exits non-zero).
                throw new AgentTerminationException("cannot persist the broker's metadata, stopping: " + failure);
            }
            // Only producer ids were handed out or transactions changed: the answers handing out the ids or ending
            // the transactions are refused instead, nothing else depends on them. The ids stay used (a restarted
            // broker may hand them out again: they never left); the next such answer asks for a write again (an
            // EndTxn asked again is answered as it was first, after that write).
            lastPersistFailure = failure;
            submittedProducerIdsVersion = durableProducerIdsVersion;
            refusedSequence = submittedSequence;
            resolvedSequence = submittedSequence;
            return 1 + releaseHeld();
        }
        return 0;
    }

    private int releaseHeld()
    {
        final int released = heldTopicAnswers.consume(onHeldAnswer, Integer.MAX_VALUE) +
            heldGroupAnswers.consume(onHeldAnswer, Integer.MAX_VALUE);
        metadataCounters.answersHeld.setRelease(heldAnswers);
        return released;
    }

    private boolean onHeldAnswer(
        final MutableDirectBuffer buffer, final int offset, final int length, final int headOffset)
    {
        final long required = buffer.getLong(offset + HELD_REQUIRED_OFFSET);
        if (required > resolvedSequence)
        {
            return false;
        }
        final long sessionId = buffer.getLong(offset + HELD_SESSION_OFFSET);
        final int kind = buffer.getInt(offset + HELD_KIND_OFFSET);
        final int messageOffset = offset + HELD_HEADER_LENGTH;
        heldAnswers--;
        if ((KIND_PRODUCER_ID == kind || KIND_TRANSACTION == kind) && required == refusedSequence)
        {
            final boolean isProducerId = KIND_PRODUCER_ID == kind;
            errorEncoder.wrapAndApplyHeader(refusal, 0, headerEncoder)
                .correlationId(buffer.getLong(messageOffset + MessageHeaderDecoder.ENCODED_LENGTH,
                    ByteOrder.LITTLE_ENDIAN))
                .errorCode(ErrorCode.KAFKA_STORAGE_ERROR)
                .requestTemplateId(isProducerId ? InitProducerIdRequestDecoder.TEMPLATE_ID :
                    EndTxnRequestDecoder.TEMPLATE_ID)
                .errorMessage((isProducerId ? "cannot persist the producer id handed out: " :
                    "cannot persist the transaction's end (end it again): ") + lastPersistFailure);
            server.send(sessionId, refusal, 0, MessageHeaderEncoder.ENCODED_LENGTH + errorEncoder.encodedLength());
        }
        else
        {
            server.send(sessionId, buffer, messageOffset, length - HELD_HEADER_LENGTH);
        }
        return true;
    }

    /**
     * Stamps the append for the latency stages: the request's, and the partition's for a consumer it is pushed to.
     */
    public void onAppended(final PartitionLog log)
    {
        final long nowNs = nanoClock.nanoTime();
        if (NULL_TIME != produceReceivedNs)
        {
            produceAppendedNs = nowNs;
        }
        log.appendStamp().stamp(log.logEndOffset(), nowNs);
        if (null != trace)
        {
            trace.onAppended(log, log.logEndOffset(), nowNs);
        }
    }

    /**
     * Report every append to a trace ({@link RecordTrace#onAppended}), for {@code perf latency --stages}.
     *
     * @param trace where to report, or null not to.
     */
    void recordTrace(final RecordTrace trace)
    {
        this.trace = trace;
    }

    /**
     * {@inheritDoc}
     */
    public void scheduleTimer(final long correlationId, final long deadlineMs)
    {
        cancelTimer(correlationId);
        final long timerId = timerWheel.scheduleTimer(deadlineMs);
        timerIdByCorrelationId.put(correlationId, timerId);
        correlationIdByTimerId.put(timerId, correlationId);
    }

    /**
     * {@inheritDoc}
     */
    public void cancelTimer(final long correlationId)
    {
        final long timerId = timerIdByCorrelationId.remove(correlationId);
        if (DeadlineTimerWheel.NULL_DEADLINE != timerId)
        {
            timerWheel.cancelTimer(timerId);
            correlationIdByTimerId.remove(timerId);
        }
    }

    /**
     * {@inheritDoc}
     */
    public boolean timersSurviveRestore()
    {
        return false;
    }

    /**
     * Counted (the broker records it in its error log); the client gets KAFKA_STORAGE_ERROR and the broker goes on
     * serving (fetches of what is stored, and appends once the storage recovers).
     */
    public void onStorageFailure(final String what, final Throwable cause)
    {
        counters.storageFailures.incrementRelease();
    }

    private boolean onTimerExpiry(final TimeUnit timeUnit, final long nowMs, final long timerId)
    {
        final long correlationId = correlationIdByTimerId.remove(timerId);
        if (DeadlineTimerWheel.NULL_DEADLINE != correlationId)
        {
            timerIdByCorrelationId.remove(correlationId);
            stateMachine.onTimer(correlationId, timerNowMs);
        }
        return true;
    }

    private void updateCounters()
    {
        final BrokerStats stats = stateMachine.stats();
        counters.batchesAppended.getAndAddRelease(stats.batchesAppended() - reportedBatches);
        counters.corruptBatches.getAndAddRelease(stats.corruptBatches() - reportedCorrupt);
        counters.requestErrors.getAndAddRelease(stats.requestErrors() - reportedErrors);
        reportedBatches = stats.batchesAppended();
        reportedCorrupt = stats.corruptBatches();
        reportedErrors = stats.requestErrors();
    }

    static UnsafeBuffer readMetadata(final Path dataDir)
    {
        final Path file = dataDir.resolve(METADATA_FILE);
        if (!Files.exists(file))
        {
            return null;
        }
        try
        {
            return new UnsafeBuffer(Files.readAllBytes(file));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("could not read " + file, ex);
        }
    }
}
