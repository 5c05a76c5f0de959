package io.spindle.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.spindle.broker.BrokerStateMachine;
import io.spindle.broker.BrokerStats;
import io.spindle.broker.Host;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseEncoder;
import io.spindle.codecs.protocol.InitProducerIdRequestDecoder;
import io.spindle.codecs.protocol.InitProducerIdResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceRequestDecoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.log.PartitionLog;
import io.spindle.monitor.StageLatencies;
import org.agrona.DirectBuffer;
import org.agrona.DeadlineTimerWheel;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The standalone host's duty cycle around the state machine: polls the control stream, applies each
 * request with the host's time, persists the metadata before any answer that depends on it leaves,
 * and drives the state machine's periodic work. When the metadata cannot be written (e.g. the disk is full) it
 * throws an {@link AgentTerminationException}: the broker stops rather than acknowledge what it cannot persist.
 */
final class ControlAgent implements Agent, SessionServer.RequestHandler, Host
{
    static final String METADATA_FILE = "spindle.meta";
    private static final long TICK_INTERVAL_NS = 10_000_000L;
    private static final long NULL_TIME = Long.MIN_VALUE;

    private final SessionServer server;
    private final BrokerStateMachine stateMachine;
    private final BrokerCounters counters;
    private final StateMachineCounters stateMachineCounters;
    private final StageLatencies latencies;
    private long produceReceivedNs = NULL_TIME;
    private long produceAppendedNs = NULL_TIME;
    private final NanoClock nanoClock;
    private final EpochClock epochClock;
    private final Path metadataFile;
    private final LongSupplier readerTableVersion;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ExpandableArrayBuffer snapshotBuffer = new ExpandableArrayBuffer(4096);
    private final DeadlineTimerWheel timerWheel = new DeadlineTimerWheel(TimeUnit.MILLISECONDS, 0, 1, 512);
    private final Long2LongHashMap timerIdByCorrelationId = new Long2LongHashMap(DeadlineTimerWheel.NULL_DEADLINE);
    private final Long2LongHashMap correlationIdByTimerId = new Long2LongHashMap(DeadlineTimerWheel.NULL_DEADLINE);
    private final DeadlineTimerWheel.TimerHandler onTimerExpiry = this::onTimerExpiry;
    private long persistedMetadataVersion;
    private long persistedGroupsVersion;
    private long persistedProducerIdsVersion;
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

    ControlAgent(
        final SessionServerFactory serverFactory,
        final BrokerStateMachine stateMachine,
        final BrokerCounters counters,
        final StateMachineCounters stateMachineCounters,
        final StageLatencies latencies,
        final NanoClock nanoClock,
        final EpochClock epochClock,
        final Path dataDir,
        final LongSupplier readerTableVersion)
    {
        this.stateMachine = stateMachine;
        this.counters = counters;
        this.stateMachineCounters = stateMachineCounters;
        this.latencies = latencies;
        this.nanoClock = nanoClock;
        this.epochClock = epochClock;
        this.metadataFile = dataDir.resolve(METADATA_FILE);
        this.readerTableVersion = readerTableVersion;
        this.persistedMetadataVersion = stateMachine.metadataVersion();
        this.persistedGroupsVersion = stateMachine.groupsVersion();
        this.persistedProducerIdsVersion = stateMachine.producerIdsVersion();
        // A wheel left at tick 0 would walk every millisecond since the epoch to reach its first deadline.
        this.timerWheel.currentTickTime(epochClock.time());
        this.server = serverFactory.create(this);
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
    public int doWork()
    {
        final long nowNs = nanoClock.nanoTime();
        int work = server.poll(nowNs);

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
            persistMetadataIfChanged(false);
            updateCounters();
            stateMachineCounters.update(stateMachine, nowNs);
        }

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
        if (!isPersistFailed)
        {
            persistMetadataIfChanged(true);
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
     * {@inheritDoc}
     */
    public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
    {
        // An answer that acknowledges a metadata change leaves only after the change is on disk.
        headerDecoder.wrap(buffer, offset);
        final boolean handsOutProducerId = InitProducerIdResponseDecoder.TEMPLATE_ID == headerDecoder.templateId();
        final boolean isProduceResponse = ProduceResponseDecoder.TEMPLATE_ID == headerDecoder.templateId();
        if (!persistMetadataIfChanged(handsOutProducerId) && handsOutProducerId)
        {
            // The id stays used (a restarted broker may hand it out again: it never left), the broker goes on.
            errorEncoder.wrapAndApplyHeader(refusal, 0, headerEncoder)
                .correlationId(buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH, ByteOrder.LITTLE_ENDIAN))
                .errorCode(ErrorCode.KAFKA_STORAGE_ERROR)
                .requestTemplateId(InitProducerIdRequestDecoder.TEMPLATE_ID)
                .errorMessage("cannot persist the producer id handed out: " + lastPersistFailure);
            server.send(sessionId, refusal, 0, MessageHeaderEncoder.ENCODED_LENGTH + errorEncoder.encodedLength());
            return;
        }
        server.send(sessionId, buffer, offset, length);
        if (NULL_TIME != produceAppendedNs && isProduceResponse)
        {
            latencies.record(StageLatencies.APPENDED_TO_ACKNOWLEDGED, nanoClock.nanoTime() - produceAppendedNs);
        }
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

    /**
     * Topic and group changes (committed offsets, completed rebalances) and producer ids handed out alike are
     * forced to disk before the answer that depends on them leaves; heartbeats and joins in progress change nothing
     * persisted.
     */
    private boolean persistMetadataIfChanged(final boolean includeProducerIds)
    {
        final long version = stateMachine.metadataVersion();
        final long groupsVersion = stateMachine.groupsVersion();
        final long producerIdsVersion = stateMachine.producerIdsVersion();
        final boolean onlyProducerIds = version == persistedMetadataVersion && groupsVersion == persistedGroupsVersion;
        if (!onlyProducerIds || includeProducerIds && producerIdsVersion != persistedProducerIdsVersion)
        {
            final int length = stateMachine.snapshot(snapshotBuffer);
            try
            {
                writeAtomically(metadataFile, snapshotBuffer, length);
            }
            catch (final UncheckedIOException ex)
            {
                if (onlyProducerIds)
                {
                    // Only producer ids were handed out: that answer is refused instead, nothing else depends on it.
                    lastPersistFailure = null != ex.getCause() ? ex.getCause().getMessage() : ex.getMessage();
                    return false;
                }
                isPersistFailed = true;
                // A change that cannot be made durable must not be acknowledged, and the state in memory is now
                // ahead of the disk: the broker cannot go on, so it stops (the host exits non-zero).
                throw new AgentTerminationException(
                    "cannot persist the broker's metadata, stopping: " + ex.getMessage() +
                    (null != ex.getCause() ? " (" + ex.getCause().getMessage() + ")" : ""), ex);
            }
            persistedMetadataVersion = version;
            persistedGroupsVersion = groupsVersion;
            persistedProducerIdsVersion = producerIdsVersion;
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

    static void writeAtomically(final Path file, final ExpandableArrayBuffer buffer, final int length)
    {
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try
        {
            try (FileChannel channel = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))
            {
                final ByteBuffer bytes = ByteBuffer.wrap(buffer.byteArray(), 0, length);
                while (bytes.hasRemaining())
                {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ))
            {
                dir.force(true);
            }
            catch (final IOException ignore)
            {
                // Not every file system lets a directory be opened for fsync; the rename is still atomic.
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("could not write " + file, ex);
        }
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
