/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.spindle.client.Consumer;
import io.spindle.log.PartitionLog;
import io.spindle.monitor.RecordTrace;
import io.spindle.tools.FreezeProbe;
import org.HdrHistogram.Histogram;

/**
 * Where each measured record's end-to-end latency went, hop by hop ({@code --stages}): the publisher stamps a
 * record as it hands it to the producer, the embedded broker as it appends it and as it pushes it to the consumer
 * ({@link RecordTrace}), the consumer as the response carrying it arrives ({@link Consumer.ArrivalTrace}), and the
 * receiving thread as the record is handed to it. Stamps are kept by partition and offset in rings (the measured
 * topic is new, so a record's offset is the count of records sent to its partition before it), read back when the
 * record is delivered and turned into one histogram per hop, plus the mean of each hop over the records slower end
 * to end than {@link #SLOW_NS}: where the slow ones spent their time.
 * <p>
 * <b>Threading:</b> each ring has one writer (publisher, the broker's control agent, its fetch server, the consumer)
 * and is read by the receiving thread, which owns the histograms; a stamp is written before the record moves on
 * through Aeron (a release), so the receiving thread, which got the record through Aeron (an acquire), sees it. The
 * report is read after the threads have stopped.
 */
final class StageTrace implements RecordTrace, Consumer.ArrivalTrace
{
    /**
     * A record slower than this end to end counts as slow.
     */
    static final long SLOW_NS = 1_000_000L;

    /**
     * Hops, in the order a record takes them.
     */
    static final String[] HOPS = {
        "lateness (intended -> handed over)",
        "handed -> appended (producer, in, broker)",
        "appended -> pushed (fetch server)",
        "pushed -> arrived (out, consumer wake-up)",
        "arrived -> delivered (consumer)",
    };

    /**
     * The hops' names in the JSON line.
     */
    static final String[] HOP_KEYS = {
        "lateness", "handed_appended", "appended_pushed", "pushed_arrived", "arrived_delivered"
    };

    /**
     * Slow records kept with their times, so that those in flight during a host freeze can be told apart afterwards.
     */
    static final int SLOW_KEPT = 1 << 15;

    private static final int RING = 1 << 18;
    private static final int MASK = RING - 1;
    private static final int HANDED = 0;
    private static final int APPENDED = 1;
    private static final int PUSHED = 2;
    private static final int ARRIVED = 3;

    private final String topic;
    private final long[][][] stamps;
    private final long[] sentCount;
    private final long[] appendedEnd;
    private final long[] arrivedEnd;
    private final Histogram[] hops = new Histogram[HOPS.length];
    private final Histogram allAppendedToPushed = LatencyRun.newHistogram();
    private final long[] slowSumNs = new long[HOPS.length];
    private final long[] hop = new long[HOPS.length];
    private final Map<PartitionLog, Integer> appendedLogs = new IdentityHashMap<>();
    private final Map<PartitionLog, Integer> pushedLogs = new IdentityHashMap<>();
    private final long[] slowKept = new long[SLOW_KEPT * (2 + HOPS.length)];
    private final long[] slowOutsideSumNs = new long[HOPS.length];
    private long slowOutsideCount = -1;
    private long slowCount;
    private long traced;
    private long untraced;

    /**
     * A trace of the measured topic.
     *
     * @param topic      the measured topic: other topics' appends and pushes are ignored.
     * @param partitions its partitions.
     */
    StageTrace(final String topic, final int partitions)
    {
        this.topic = topic;
        stamps = new long[4][partitions][RING];
        sentCount = new long[partitions];
        appendedEnd = new long[partitions];
        arrivedEnd = new long[partitions];
        for (int i = 0; i < hops.length; i++)
        {
            hops[i] = LatencyRun.newHistogram();
        }
    }

    /**
     * The publishing thread is about to hand the next record of a partition to the producer.
     *
     * @param partition the record's partition.
     * @param timeNs    {@link System#nanoTime()} now.
     */
    void onHanding(final int partition, final long timeNs)
    {
        stamps[HANDED][partition][(int)(sentCount[partition] & MASK)] = timeNs;
    }

    /**
     * The producer took the record stamped by {@link #onHanding}: the next one of the partition has the next offset.
     *
     * @param partition the record's partition.
     */
    void onHanded(final int partition)
    {
        sentCount[partition]++;
    }

    /**
     * {@inheritDoc}
     */
    public void onAppended(final PartitionLog log, final long endOffset, final long timeNs)
    {
        final int partition = partitionOf(appendedLogs, log);
        if (partition >= 0)
        {
            appendedEnd[partition] = fill(stamps[APPENDED][partition], appendedEnd[partition], endOffset, timeNs);
        }
    }

    /**
     * {@inheritDoc}
     */
    public void onPushed(final PartitionLog log, final long fromOffset, final long toOffset, final long timeNs)
    {
        final int partition = partitionOf(pushedLogs, log);
        if (partition >= 0)
        {
            fill(stamps[PUSHED][partition], fromOffset, toOffset, timeNs);
        }
    }

    /**
     * {@inheritDoc}
     */
    public void onArrived(final int topicId, final int partition, final long nextOffset, final long timeNs)
    {
        if (partition >= 0 && partition < arrivedEnd.length)
        {
            arrivedEnd[partition] = fill(stamps[ARRIVED][partition], arrivedEnd[partition], nextOffset, timeNs);
        }
    }

    /**
     * A record was handed to the receiving thread: a measured one's hops go into the histograms; every record's
     * append to push also goes into one of the whole run, to hold against the broker's own.
     *
     * @param partition  its partition.
     * @param offset     its offset.
     * @param intendedNs its intended send time.
     * @param timeNs     {@link System#nanoTime()} of the delivery.
     * @param measured   whether its intended time is in the measurement (else warm-up).
     */
    void onDelivered(
        final int partition, final long offset, final long intendedNs, final long timeNs, final boolean measured)
    {
        if (partition < 0 || partition >= sentCount.length)
        {
            untraced += measured ? 1 : 0;
            return;
        }
        if (!measured)
        {
            final int index = (int)(offset & MASK);
            final long appendedToPushed = stamps[PUSHED][partition][index] - stamps[APPENDED][partition][index];
            if (appendedToPushed >= 0 && appendedToPushed <= LatencySink.HIGHEST_TRACKABLE_NS)
            {
                allAppendedToPushed.recordValue(appendedToPushed);
            }
            return;
        }
        final int index = (int)(offset & MASK);
        final long handed = stamps[HANDED][partition][index];
        final long appended = stamps[APPENDED][partition][index];
        final long pushed = stamps[PUSHED][partition][index];
        final long arrived = stamps[ARRIVED][partition][index];
        hop[0] = handed - intendedNs;
        hop[1] = appended - handed;
        hop[2] = pushed - appended;
        hop[3] = arrived - pushed;
        hop[4] = timeNs - arrived;
        for (final long ns : hop)
        {
            // A stamp missing or from another lap of the ring: not a record this trace can attribute.
            if (ns < 0 || ns > LatencySink.HIGHEST_TRACKABLE_NS)
            {
                untraced++;
                return;
            }
        }
        traced++;
        allAppendedToPushed.recordValue(hop[2]);
        final boolean slow = timeNs - intendedNs > SLOW_NS;
        for (int i = 0; i < hop.length; i++)
        {
            hops[i].recordValue(hop[i]);
            if (slow)
            {
                slowSumNs[i] += hop[i];
            }
        }
        if (slow)
        {
            if (slowCount < SLOW_KEPT)
            {
                final int at = (int)slowCount * (2 + HOPS.length);
                slowKept[at] = intendedNs;
                slowKept[at + 1] = timeNs;
                System.arraycopy(hop, 0, slowKept, at + 2, HOPS.length);
            }
            slowCount++;
        }
    }

    /**
     * Split the slow records kept into those in flight during a host freeze and the others, whose hops
     * {@link #print} and {@link #describe} then show apart: what the tail is when the host lets the path run.
     *
     * @param freezes the run's freezes, each {@code {startNs, endNs}} ({@link FreezeProbe#windows()}).
     */
    void freezes(final List<long[]> freezes)
    {
        Arrays.fill(slowOutsideSumNs, 0);
        slowOutsideCount = 0;
        final int kept = (int)Math.min(slowCount, SLOW_KEPT);
        for (int r = 0; r < kept; r++)
        {
            final int at = r * (2 + HOPS.length);
            if (!FreezeProbe.inFlightDuringOne(freezes, slowKept[at], slowKept[at + 1]))
            {
                slowOutsideCount++;
                for (int i = 0; i < HOPS.length; i++)
                {
                    slowOutsideSumNs[i] += slowKept[at + 2 + i];
                }
            }
        }
    }

    /**
     * Records whose every hop was stamped.
     *
     * @return the count.
     */
    long traced()
    {
        return traced;
    }

    /**
     * Records delivered without a complete set of stamps.
     *
     * @return the count.
     */
    long untraced()
    {
        return untraced;
    }

    /**
     * What a broker's run histograms gained between two readings.
     *
     * @param after  the later reading, per stage.
     * @param before the earlier one, per stage (a stage missing counts as empty).
     * @return per stage, the difference.
     */
    static Map<String, Histogram> since(final Map<String, Histogram> after, final Map<String, Histogram> before)
    {
        final Map<String, Histogram> gained = new LinkedHashMap<>();
        after.forEach((stage, histogram) ->
        {
            final Histogram difference = histogram.copy();
            final Histogram earlier = before.get(stage);
            if (null != earlier)
            {
                difference.subtract(earlier);
            }
            gained.put(stage, difference);
        });
        return gained;
    }

    /**
     * Print the hops' percentiles, where the slow records' time went, and the broker's own stage histograms over the
     * same run beside this trace's (the check that the harness and the broker agree where they overlap).
     *
     * @param out          where to print.
     * @param brokerStages the broker's own stage histograms over the run ({@link #since}); empty if none.
     */
    void print(final PrintWriter out, final Map<String, Histogram> brokerStages)
    {
        out.printf("stages of %,d measured records (%,d not traced), us: p50, p90, p99, p99.9, max%n",
            traced, untraced);
        for (int i = 0; i < HOPS.length; i++)
        {
            final Histogram h = hops[i];
            out.printf("  %-42s %9.1f %9.1f %9.1f %9.1f %9.1f%n", HOPS[i],
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
        }
        out.printf("  the %,d records slower than %,d us end to end spent on average, us:", slowCount, SLOW_NS / 1000);
        printSplit(out, slowSumNs, slowCount);
        if (slowOutsideCount >= 0)
        {
            out.printf("  of them, the %,d not in flight during a host freeze%s:", slowOutsideCount,
                slowCount > SLOW_KEPT ? String.format(" (of the first %,d)", SLOW_KEPT) : "");
            printSplit(out, slowOutsideSumNs, slowOutsideCount);
        }
        final Histogram brokerPushed = brokerStages.get("appended-pushed");
        if (null != brokerPushed)
        {
            out.println("  appended -> pushed over the whole run, warm-up included, us:");
            printRow(out, "    every record (this trace)", allAppendedToPushed);
            printRow(out, "    the broker's own appended-pushed", brokerPushed);
        }
    }

    private static void printSplit(final PrintWriter out, final long[] sumNs, final long count)
    {
        long total = 0;
        for (final long sum : sumNs)
        {
            total += sum;
        }
        for (int i = 0; i < HOPS.length; i++)
        {
            out.printf(" %s %.1f (%.0f%%)%s", HOP_KEYS[i], count == 0 ? 0.0 : sumNs[i] / 1e3 / count,
                total == 0 ? 0.0 : 100.0 * sumNs[i] / total, i == HOPS.length - 1 ? "" : ",");
        }
        out.println();
    }

    private static void printRow(final PrintWriter out, final String label, final Histogram h)
    {
        out.printf("  %-42s %9.1f %9.1f %9.1f %9.1f %9.1f  (%,d)%n", label,
            h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
            h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, h.getTotalCount());
    }

    /**
     * Write the hops into the JSON line.
     *
     * @param json the line, an object open.
     */
    void describe(final Json json)
    {
        json.object("stages").field("traced", traced).field("untraced", untraced)
            .field("slow_threshold_us", SLOW_NS / 1000).field("slow", slowCount);
        if (slowOutsideCount >= 0)
        {
            json.field("slow_outside_freezes", slowOutsideCount);
        }
        for (int i = 0; i < HOPS.length; i++)
        {
            final Histogram h = hops[i];
            json.object(HOP_KEYS[i])
                .field("p50_us", h.getValueAtPercentile(50) / 1e3)
                .field("p99_us", h.getValueAtPercentile(99) / 1e3)
                .field("p999_us", h.getValueAtPercentile(99.9) / 1e3)
                .field("max_us", h.getMaxValue() / 1e3)
                .field("count", h.getTotalCount())
                .field("slow_mean_us", slowCount == 0 ? 0.0 : slowSumNs[i] / 1e3 / slowCount);
            if (slowOutsideCount >= 0)
            {
                json.field("slow_outside_freezes_mean_us",
                    slowOutsideCount == 0 ? 0.0 : slowOutsideSumNs[i] / 1e3 / slowOutsideCount);
            }
            json.endObject();
        }
        json.endObject();
    }

    private static long fill(final long[] ring, final long from, final long to, final long timeNs)
    {
        for (long offset = Math.max(from, to - RING); offset < to; offset++)
        {
            ring[(int)(offset & MASK)] = timeNs;
        }
        return Math.max(from, to);
    }

    /**
     * The partition of a log of the measured topic, or -1: a partition's directory is {@code <topic>-<partition>}.
     * Each writing thread keeps its own map, so a log's name is parsed once per thread.
     */
    private int partitionOf(final Map<PartitionLog, Integer> known, final PartitionLog log)
    {
        final Integer cached = known.get(log);
        if (null != cached)
        {
            return cached;
        }
        final String name = log.directory().getName();
        int partition = -1;
        if (name.length() > topic.length() + 1 && name.startsWith(topic) && name.charAt(topic.length()) == '-')
        {
            try
            {
                partition = Integer.parseInt(name.substring(topic.length() + 1));
            }
            catch (final NumberFormatException ignore)
            {
                partition = -1;
            }
        }
        partition = partition < sentCount.length ? partition : -1;
        known.put(log, partition);
        return partition;
    }
}
