/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import org.HdrHistogram.Histogram;

/**
 * What one latency run measured.
 *
 * @param endToEnd         intended send time to the receiving callback, ns, measured messages only.
 * @param sendToAck        intended send time to the acknowledgement, ns; null when nothing is acknowledged.
 * @param sendLateness     intended send time to the sender taking the message, ns: the harness's own delay.
 * @param endToEndLog      the end-to-end intervals, one a second.
 * @param ackLog           the send -> ack intervals; null when nothing is acknowledged.
 * @param sent             messages sent, warm-up included.
 * @param measuredSent     messages sent whose intended time fell in the measurement.
 * @param received         messages received, warm-up included.
 * @param measuredReceived messages received whose intended time fell in the measurement.
 * @param outOfOrder       messages received out of sequence on their partition (should be 0).
 * @param clipped          samples above the histograms' range, recorded as the range's top.
 * @param ackFailures      sends that failed.
 * @param backPressured    send attempts refused by back-pressure (each retried).
 * @param drained          whether every acknowledgement arrived before the drain timeout.
 * @param rate             achieved rate: measured messages received per second between the start of the
 *                         measurement and the last of them arriving.
 * @param sendRate         measured messages sent per second between the start of the measurement and the last send.
 * @param hostFreezes      stretches in which a CPU ran nothing during the measurement ({@link FreezeProbe}).
 * @param outsideFreezes   end to end of the messages no host freeze touched ({@link LatencySink#outside}); null when
 *                         the samples were too many to keep.
 * @param stages           where each measured record's time went, hop by hop ({@code --stages}); null without.
 */
record LatencyResult(
    Histogram endToEnd,
    Histogram sendToAck,
    Histogram sendLateness,
    IntervalLog endToEndLog,
    IntervalLog ackLog,
    long sent,
    long measuredSent,
    long received,
    long measuredReceived,
    long outOfOrder,
    long clipped,
    long ackFailures,
    long backPressured,
    boolean drained,
    double rate,
    double sendRate,
    HostFreezes hostFreezes,
    Histogram outsideFreezes,
    StageTrace stages)
{
    /**
     * Messages sent in the measurement that never arrived.
     *
     * @return the count.
     */
    long lost()
    {
        return Math.max(0, measuredSent - measuredReceived);
    }

    /**
     * This run and a later one of the same system as if they were one: histograms and interval logs joined, counts
     * added, rates weighted by the messages each run measured.
     *
     * @param later the later run; not changed.
     * @return the two together.
     */
    LatencyResult merge(final LatencyResult later)
    {
        // The totals are the joined interval logs added up, as a single run's are.
        final IntervalLog joinedEndToEndLog = endToEndLog.join(later.endToEndLog);
        final IntervalLog joinedAckLog = null != ackLog && null != later.ackLog ? ackLog.join(later.ackLog) : null;
        final Histogram joinedLateness = sendLateness.copy();
        joinedLateness.add(later.sendLateness);

        return new LatencyResult(
            joinedEndToEndLog.total(),
            null == joinedAckLog ? null : joinedAckLog.total(),
            joinedLateness,
            joinedEndToEndLog,
            joinedAckLog,
            sent + later.sent,
            measuredSent + later.measuredSent,
            received + later.received,
            measuredReceived + later.measuredReceived,
            outOfOrder + later.outOfOrder,
            clipped + later.clipped,
            ackFailures + later.ackFailures,
            backPressured + later.backPressured,
            drained && later.drained,
            weighted(rate, measuredReceived, later.rate, later.measuredReceived),
            weighted(sendRate, measuredSent, later.sendRate, later.measuredSent),
            hostFreezes.plus(later.hostFreezes),
            joined(outsideFreezes, later.outsideFreezes),
            null);
    }

    /**
     * This result with the hops of its records.
     *
     * @param trace the run's stage trace, or null.
     * @return the result with it.
     */
    LatencyResult withStages(final StageTrace trace)
    {
        return new LatencyResult(endToEnd, sendToAck, sendLateness, endToEndLog, ackLog, sent, measuredSent, received,
            measuredReceived, outOfOrder, clipped, ackFailures, backPressured, drained, rate, sendRate, hostFreezes,
            outsideFreezes, trace);
    }

    private static Histogram joined(final Histogram earlier, final Histogram later)
    {
        if (null == earlier || null == later)
        {
            return null;
        }
        final Histogram joined = earlier.copy();
        joined.add(later);
        return joined;
    }

    private static double weighted(final double a, final long weightA, final double b, final long weightB)
    {
        return weightA + weightB > 0 ? (a * weightA + b * weightB) / (weightA + weightB) : 0.0;
    }
}
