/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.spindle.tools.FreezeProbe;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Where the measured threads put their samples: end to end (intended send time to the receiving callback) from the
 * receiving thread; send to ack (intended send time to the acknowledgement callback) and send lateness (intended send
 * time to the sender taking the message) from the sending thread. Each recorder has exactly one writer; the run's
 * reporting thread takes interval histograms from them.
 * <p>
 * Only messages whose intended send time is at or after the start of the measurement are recorded: warm-up messages
 * that arrive after the warm-up ended are not measured.
 * <p>
 * <b>Threading:</b> the receive-side fields are written by the receiving thread only, the ack-side fields by the
 * sending thread only; totals are read by the reporting thread after both have been joined, except
 * {@link #received()}, which may be read at any time.
 */
final class LatencySink
{
    /**
     * Largest latency the histograms hold; larger samples are recorded as this value and counted as clipped.
     */
    static final long HIGHEST_TRACKABLE_NS = TimeUnit.SECONDS.toNanos(60);

    /**
     * Significant digits of every histogram.
     */
    static final int SIGNIFICANT_DIGITS = 3;

    private final int partitions;
    private long measureStartNs;

    // Receiving thread.
    private final SingleWriterRecorder endToEnd = new SingleWriterRecorder(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
    private final long[] nextSequence;
    private final AtomicLong received = new AtomicLong();
    private long receivedCount;
    private long measuredReceived;
    private long lastMeasuredReceiveNs;
    private long outOfOrder;
    private long clipped;
    private long[] keptIntendedNs;
    private long[] keptLatencyNs;
    private int kept;
    private boolean keptAll = true;

    // Sending thread.
    private final SingleWriterRecorder sendToAck = new SingleWriterRecorder(1, HIGHEST_TRACKABLE_NS,
        SIGNIFICANT_DIGITS);
    private final SingleWriterRecorder sendLateness =
        new SingleWriterRecorder(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
    private long measuredAcked;
    private long ackFailures;
    private long ackClipped;

    /**
     * A sink for messages spread over partitions round robin (message {@code i} on partition {@code i % partitions}).
     *
     * @param partitions number of partitions or streams.
     */
    LatencySink(final int partitions)
    {
        this.partitions = partitions;
        this.nextSequence = new long[partitions];
        for (int p = 0; p < partitions; p++)
        {
            nextSequence[p] = p;
        }
    }

    /**
     * Set when the measurement starts; called before the measured threads start.
     *
     * @param measureStartNs messages intended at or after this are measured.
     */
    void measureStartNs(final long measureStartNs)
    {
        this.measureStartNs = measureStartNs;
    }

    /**
     * Messages intended at or after this are measured.
     *
     * @return {@link System#nanoTime()} of the start of the measurement.
     */
    long measureStartNs()
    {
        return measureStartNs;
    }

    /**
     * Keep every measured end-to-end sample with its intended send time, in arrays allocated now, so that
     * {@link #outside} can leave out those a host freeze touched; called before the measured threads start.
     *
     * @param capacity samples to keep room for: those the measurement will have.
     */
    void keepSamples(final int capacity)
    {
        keptIntendedNs = new long[capacity];
        keptLatencyNs = new long[capacity];
    }

    /**
     * The end-to-end samples of messages that were not in flight during any freeze: a message sent before a freeze
     * and received after it began is left out, as is one intended during it. Messages intended after a freeze ended
     * are kept, however long they waited behind it, so how a system catches up after a freeze still counts. Read
     * after the receiving thread has been joined.
     *
     * @param windows the freezes, each {@code {startNs, endNs}}.
     * @return the samples as a histogram, or null when they were not all kept.
     */
    Histogram outside(final List<long[]> windows)
    {
        if (null == keptIntendedNs || !keptAll)
        {
            return null;
        }
        final Histogram histogram = new Histogram(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
        for (int i = 0; i < kept; i++)
        {
            final long intendedNs = keptIntendedNs[i];
            if (!FreezeProbe.inFlightDuringOne(windows, intendedNs, intendedNs + keptLatencyNs[i]))
            {
                histogram.recordValue(Math.max(0, keptLatencyNs[i]));
            }
        }
        return histogram;
    }

    private void keep(final long intendedNs, final long latencyNs)
    {
        if (kept < keptIntendedNs.length)
        {
            keptIntendedNs[kept] = intendedNs;
            keptLatencyNs[kept] = latencyNs;
            kept++;
        }
        else
        {
            keptAll = false;
        }
    }

    /**
     * A message arrived at the receiving callback.
     *
     * @param partition  it arrived on.
     * @param sequence   its sequence number.
     * @param intendedNs its intended send time.
     */
    void onReceived(final int partition, final long sequence, final long intendedNs)
    {
        final long nowNs = System.nanoTime();
        if (partition < 0 || partition >= partitions)
        {
            outOfOrder++;
        }
        else
        {
            if (sequence != nextSequence[partition])
            {
                outOfOrder++;
            }
            nextSequence[partition] = sequence + partitions;
        }
        if (intendedNs - measureStartNs >= 0)
        {
            long latencyNs = nowNs - intendedNs;
            if (latencyNs > HIGHEST_TRACKABLE_NS)
            {
                latencyNs = HIGHEST_TRACKABLE_NS;
                clipped++;
            }
            endToEnd.recordValue(Math.max(0, latencyNs));
            if (null != keptIntendedNs)
            {
                keep(intendedNs, latencyNs);
            }
            measuredReceived++;
            lastMeasuredReceiveNs = nowNs;
        }
        received.lazySet(++receivedCount);
    }

    /**
     * A transaction committed ({@code spindle perf latency --transactional}): records its intended start to now, the
     * commit latency, in the end-to-end recorder, whose single writer is then the sending thread (nothing is
     * received). Transactions are numbered on one sequence, as the messages of one partition.
     *
     * @param transaction its number, from 0.
     * @param intendedNs  its intended start.
     */
    void onCommitted(final long transaction, final long intendedNs)
    {
        onReceived(0, transaction, intendedNs);
    }

    /**
     * A message was taken by the sender: records how late after its intended send time, the harness's own share of
     * every end-to-end figure.
     *
     * @param intendedNs its intended send time.
     * @param sentNs     when the sender took it.
     */
    void onSent(final long intendedNs, final long sentNs)
    {
        if (intendedNs - measureStartNs >= 0)
        {
            sendLateness.recordValue(Math.min(HIGHEST_TRACKABLE_NS, Math.max(0, sentNs - intendedNs)));
        }
    }

    /**
     * A message's acknowledgement reached the sending thread.
     *
     * @param intendedNs its intended send time.
     * @param ok         false when the send failed.
     */
    void onAcked(final long intendedNs, final boolean ok)
    {
        if (!ok)
        {
            ackFailures++;
            return;
        }
        if (intendedNs - measureStartNs >= 0)
        {
            long latencyNs = System.nanoTime() - intendedNs;
            if (latencyNs > HIGHEST_TRACKABLE_NS)
            {
                latencyNs = HIGHEST_TRACKABLE_NS;
                ackClipped++;
            }
            sendToAck.recordValue(Math.max(0, latencyNs));
            measuredAcked++;
        }
    }

    SingleWriterRecorder endToEnd()
    {
        return endToEnd;
    }

    SingleWriterRecorder sendToAck()
    {
        return sendToAck;
    }

    SingleWriterRecorder sendLateness()
    {
        return sendLateness;
    }

    long received()
    {
        return received.get();
    }

    long measuredReceived()
    {
        return measuredReceived;
    }

    long lastMeasuredReceiveNs()
    {
        return lastMeasuredReceiveNs;
    }

    long outOfOrder()
    {
        return outOfOrder;
    }

    long clipped()
    {
        return clipped + ackClipped;
    }

    long measuredAcked()
    {
        return measuredAcked;
    }

    long ackFailures()
    {
        return ackFailures;
    }
}
