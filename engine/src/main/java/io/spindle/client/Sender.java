package io.spindle.client;

import java.util.ArrayList;
import java.util.List;

import io.aeron.Publication;
import io.spindle.client.RecordAccumulator.Slot;
import io.spindle.client.RecordAccumulator.TopicState;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import org.agrona.DirectBuffer;

/**
 * A producer's batches from the wire to their callbacks, as Kafka's {@code Sender}: it offers the batches the
 * {@link RecordAccumulator} has sealed, in their order, keeps those unanswered in flight, and sees each to its end
 * from the broker's answer: acknowledged, sent again (a retriable refusal, a lost session), split (too large) or
 * failed, or expired after the delivery timeout. It tells every record's callback how it ended, counts what it
 * sent and how it ended, gives the slots back to the accumulator, and notes a batch that failed for good with
 * sequence numbers: the gap it leaves is closed by the producer under a new epoch.
 * <p>
 * The producer owns the session: it hands the connection in to send on, dispatches the answers here, and decides
 * when batches may go at all.
 * <p>
 * <b>Threading:</b> owned by the producer's thread, as the producer is.
 */
final class Sender
{
    /**
     * How often batches are checked against the delivery timeout.
     */
    private static final long EXPIRY_CHECK_INTERVAL_NS = 1_000_000L;

    private final Producer.Context ctx;
    private final boolean isIdempotent;
    private final ProducerTransactions transactions;
    private final RecordAccumulator accumulator;
    private final ArrayList<Slot> sealed;
    private final List<Slot> inFlight = new ArrayList<>();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ProduceResponseDecoder responseDecoder = new ProduceResponseDecoder();
    private final ErrorResponseDecoder errorDecoder = new ErrorResponseDecoder();
    private boolean isResetPending;
    private boolean isCallingBack;
    private long acked;
    private long failed;
    private long retries;
    private long batchesSent;
    private long bytesSent;
    private long latencySamples;
    private long latencySumNs;
    private long latencyMaxNs;
    private long nextExpiryCheckNs;

    Sender(final Producer.Context ctx, final ProducerTransactions transactions, final RecordAccumulator accumulator)
    {
        this.ctx = ctx;
        this.isIdempotent = ctx.isIdempotent();
        this.transactions = transactions;
        this.accumulator = accumulator;
        this.sealed = accumulator.sealed();
    }

    /**
     * Whether a batch failed for good leaving a gap in its partition's sequence numbers, which every later batch
     * would be refused for: nothing is sent until the producer starts again under a new epoch.
     */
    boolean isResetPending()
    {
        return isResetPending;
    }

    void clearResetPending()
    {
        isResetPending = false;
    }

    boolean hasInFlight()
    {
        return !inFlight.isEmpty();
    }

    int inFlightCount()
    {
        return inFlight.size();
    }

    long acked()
    {
        return acked;
    }

    long failed()
    {
        return failed;
    }

    long retries()
    {
        return retries;
    }

    long batchesSent()
    {
        return batchesSent;
    }

    long bytesSent()
    {
        return bytesSent;
    }

    long latencySamples()
    {
        return latencySamples;
    }

    long latencySumNs()
    {
        return latencySumNs;
    }

    long latencyMaxNs()
    {
        return latencyMaxNs;
    }

    /**
     * Whether the callbacks of a completed batch are running: the producer's own work is then part way through
     * (an answer being taken, a batch being opened), and the producer must not be called.
     */
    boolean isCallingBack()
    {
        return isCallingBack;
    }

    /**
     * A record refused before it reached a batch, larger than {@code maxRecordSize}: it fails at once.
     */
    void refuse(final int partition, final ProducerCallback callback)
    {
        failed++;
        if (null != callback)
        {
            callback.onCompletion(partition, -1, ErrorCode.RECORD_TOO_LARGE);
        }
    }

    /**
     * Offer what is sealed, in order, while requests may be in flight; the producer calls it only while its session
     * may send.
     */
    int sendSealed(final BrokerConnection connection, final long nowNs)
    {
        final boolean awaitsAnswers = 0 != ctx.acks();
        int work = 0;
        for (int i = 0; i < sealed.size() && (!awaitsAnswers || inFlight.size() < ctx.maxInFlight()); )
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
                batchesSent++;
                bytesSent += slot.batchLength;
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
            else if (isIdempotent)
            {
                // The session is gone: doWork sees it and reconnects.
                connection.close();
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

    int expire(final long nowNs)
    {
        // Every batch held is looked at, so not on every send: at most once per EXPIRY_CHECK_INTERVAL_NS, which a
        // delivery timeout of milliseconds to minutes does not notice (doWork runs on every send: the walk over a
        // full queue of sealed batches took a fifth of a saturated producer's time).
        if (nowNs - nextExpiryCheckNs < 0)
        {
            return 0;
        }
        nextExpiryCheckNs = nowNs + EXPIRY_CHECK_INTERVAL_NS;
        final long timeoutNs = ctx.deliveryTimeoutMs() * 1_000_000L;
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
        for (int i = 0; i < sealed.size(); )
        {
            // Retried batches go back ahead of later ones: look at every one, not just the first.
            if (nowNs - sealed.get(i).openedNs > timeoutNs)
            {
                complete(sealed.remove(i), ErrorCode.REQUEST_TIMED_OUT, -1);
                work++;
            }
            else
            {
                i++;
            }
        }
        return work;
    }

    void failAll(final ErrorCode code)
    {
        for (int i = inFlight.size() - 1; i >= 0; i--)
        {
            complete(inFlight.remove(i), code, -1);
        }
        failSealed(code);
        for (int t = 0, n = accumulator.topicCount(); t < n; t++)
        {
            final TopicState state = accumulator.topic(t);
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

    /**
     * Fail every batch waiting to be sent.
     *
     * @return how many failed.
     */
    int failSealed(final ErrorCode code)
    {
        int count = 0;
        while (!sealed.isEmpty())
        {
            complete(sealed.remove(0), code, -1);
            count++;
        }
        return count;
    }

    /**
     * The session is gone: every batch in flight goes back among those waiting to be sent.
     */
    void requeueInFlight()
    {
        // Oldest first, so every partition's batches go again in their order.
        for (int i = 0, n = inFlight.size(); i < n; i++)
        {
            requeue(inFlight.get(i));
        }
        inFlight.clear();
    }

    void onProduceResponse(final DirectBuffer buffer, final int offset)
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

    void onErrorResponse(final DirectBuffer buffer, final int offset)
    {
        errorDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final Slot slot = removeInFlight(errorDecoder.correlationId());
        if (null != slot)
        {
            onAnswer(slot, errorDecoder.errorCode(), -1);
        }
    }

    private void onAnswer(final Slot slot, final ErrorCode code, final long baseOffset)
    {
        final long latencyNs = System.nanoTime() - slot.sentNs;
        latencySamples++;
        latencySumNs += latencyNs;
        latencyMaxNs = Math.max(latencyMaxNs, latencyNs);
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
        // A batch refused as out of order behind one that is being retried, or behind one that failed for good (the
        // gap it left is closed by starting again under a new producer id), was not written: it goes again.
        if (isIdempotent && ErrorCode.NONE != code &&
            (isRetriable(code) ||
            ErrorCode.OUT_OF_ORDER_SEQUENCE == code &&
            (isResetPending && !transactions.isTransactional() || hasEarlierPending(slot))) &&
            System.nanoTime() - slot.openedNs <= ctx.deliveryTimeoutMs() * 1_000_000L)
        {
            requeue(slot);
            return;
        }
        complete(slot, code, baseOffset);
    }

    /**
     * A batch the broker found too large, of more than one record: the accumulator sends its records again in
     * smaller batches ({@link RecordAccumulator#split}); one it cannot read back fails.
     */
    private void split(final Slot refused)
    {
        settle(refused);
        if (!accumulator.split(refused))
        {
            complete(refused, ErrorCode.RECORD_TOO_LARGE, -1);
        }
    }

    /**
     * Put a batch back among those waiting to be sent, ahead of its partition's later batches and behind its
     * earlier ones.
     */
    private void requeue(final Slot slot)
    {
        settle(slot);
        accumulator.requeue(slot);
        retries++;
    }

    private boolean hasEarlierPending(final Slot slot)
    {
        for (int i = 0, n = sealed.size(); i < n; i++)
        {
            final Slot other = sealed.get(i);
            if (other.topic == slot.topic && other.partition == slot.partition && other.sealOrder < slot.sealOrder)
            {
                return true;
            }
        }
        for (int i = 0, n = inFlight.size(); i < n; i++)
        {
            final Slot other = inFlight.get(i);
            if (other.topic == slot.topic && other.partition == slot.partition && other.sealOrder < slot.sealOrder)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Failures an idempotent producer sends the batch again for: the broker either did not append it, or appended
     * it and will answer the copy with its first offset. A full disk ({@link ErrorCode#KAFKA_STORAGE_ERROR}) is
     * not among them: the broker keeps refusing until an operator frees space, and the caller is told at once.
     */
    private static boolean isRetriable(final ErrorCode code)
    {
        switch (code)
        {
            case NETWORK_EXCEPTION:
            case NOT_LEADER:
            case LEADER_NOT_AVAILABLE:
            case NOT_ENOUGH_REPLICAS:
            case BROKER_SHUTTING_DOWN:
            case UNKNOWN_SESSION:
                return true;
            default:
                return false;
        }
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
        isCallingBack = true;
        try
        {
            for (int i = 0; i < count; i++)
            {
                final ProducerCallback callback = slot.callbacks[i];
                slot.callbacks[i] = null;
                if (null != callback)
                {
                    callback.onCompletion(slot.partition, ok && baseOffset >= 0 ? baseOffset + i : -1, code);
                }
            }
        }
        finally
        {
            isCallingBack = false;
        }
        if (ok)
        {
            acked += count;
        }
        else
        {
            failed += count;
            if (isIdempotent && RecordBatch.NO_SEQUENCE != slot.baseSequence)
            {
                // Its sequence numbers are now a gap the broker would refuse every later batch of the partition for.
                isResetPending = true;
            }
            transactions.abortable("a record sent to partition " + slot.partition + " failed: " + code);
        }
        accumulator.releaseSlot(slot);
    }
}
