package io.spindle.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.Producer;
import io.spindle.client.ProducerCallback;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.driver.SchedulerSlice;
import io.spindle.host.StandaloneBroker;
import org.HdrHistogram.Histogram;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle demo}: the main job on the embedded default — a broker in a temporary directory, a
 * producer and a consumer over IPC, every record checked, throughput and latency printed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start an embedded broker in a temporary directory, produce and consume " +
    "over IPC, check every record arrived in order, print records/s and end-to-end latency percentiles.")
public final class DemoCommand implements Callable<Integer>
{
    @Option(names = "--records", defaultValue = "-1",
        description = "Records per phase (default: 200000; with --cluster 30000).")
    int records;

    @Option(names = "--cluster", description = "Three cluster members in this process instead of one broker: " +
        "produce with acks=all, consume from a follower, stop the leader halfway, check every acknowledged record.")
    boolean cluster;

    @Option(names = "--size", defaultValue = "100", description = "Value size in bytes (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--rate", defaultValue = "-1",
        description = "Latency phase: records/s on a fixed schedule (default: 10000; with --cluster 5000).")
    int rate;

    @Option(names = "--partitions", defaultValue = "1", description = "Partitions of the demo topic (default: 1).")
    int partitions;

    private static final String TOPIC = "demo";

    /**
     * Run both phases and print what happened.
     *
     * @return 0 when every record arrived, in order.
     */
    public Integer call() throws Exception
    {
        if (size < 16)
        {
            System.err.println("spindle demo: --size must be at least 16 (sequence and send time live in the value)");
            return 2;
        }
        if (cluster)
        {
            return new ClusterDemo(System.out, records > 0 ? records : 30_000, size, rate > 0 ? rate : 5_000,
                partitions).run();
        }
        records = records > 0 ? records : 200_000;
        rate = rate > 0 ? rate : 10_000;
        final Path dir = Files.createTempDirectory("spindle-demo-");
        final String aeronDir = dir.resolve("aeron").toString();
        System.out.println("spindle demo: embedded broker in " + dir + ", clients over aeron:ipc");
        final StandaloneBroker.Context brokerCtx = new StandaloneBroker.Context()
            .dataDir(dir.resolve("data"))
            .embeddedDriverDirectoryName(aeronDir)
            .driverDirDeleteOnStart(true)
            .udpEnabled(false);

        try (StandaloneBroker broker = StandaloneBroker.launch(brokerCtx))
        {
            try (Admin admin = Admin.connect(
                new ClientContext().bootstrap("ipc").aeronDirectoryName(broker.aeronDirectoryName())))
            {
                admin.createTopic(TOPIC, partitions, Map.of());
            }
            System.out.printf("created topic '%s' with %d partition(s)%n", TOPIC, partitions);

            final boolean throughputOk = runPhase("throughput", aeronDir, 0);
            final boolean latencyOk = runPhase("latency", aeronDir, rate);
            return throughputOk && latencyOk ? 0 : 1;
        }
        finally
        {
            IoUtil.delete(dir.toFile(), true);
        }
    }

    private boolean runPhase(final String phase, final String aeronDir, final int ratePerSecond) throws Exception
    {
        final Consumer.Context consumerCtx = new Consumer.Context().autoOffsetReset(Consumer.OffsetReset.LATEST);
        consumerCtx.bootstrap("ipc").aeronDirectoryName(aeronDir).clientId("demo-consumer");
        final Producer.Context producerCtx = new Producer.Context().acks(1).lingerUs(0);
        producerCtx.bootstrap("ipc").aeronDirectoryName(aeronDir).clientId("demo-producer");

        final Histogram endToEnd = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final Histogram sendToAck = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final AtomicLong received = new AtomicLong();
        final AtomicReference<String> orderError = new AtomicReference<>();

        try (Consumer consumer = Consumer.connect(consumerCtx);
            Producer producer = Producer.connect(producerCtx);
            FreezeProbe freezeProbe = new FreezeProbe())
        {
            final List<TopicPartition> assignment = new ArrayList<>();
            for (int p = 0; p < partitions; p++)
            {
                assignment.add(new TopicPartition(TOPIC, p));
            }
            consumer.assign(assignment);
            for (final TopicPartition tp : assignment)
            {
                consumer.position(tp);
            }

            final long[] nextSequence = new long[partitions];
            final long[] receivedNs = new long[records];
            // The two threads a record waits on ask for a short scheduler slice, as the broker's do.
            final ThreadFactory threads = SchedulerSlice.threadFactory(SchedulerSlice.configured());
            final Thread consumerThread = threads.newThread(() ->
            {
                final BackoffIdleStrategy idle = new BackoffIdleStrategy(100, 100, 1_000, 50_000);
                final Consumer.RecordHandler handler = (ConsumerRecord record) ->
                {
                    final long nowNs = System.nanoTime();
                    final long sequence = record.buffer().getLong(record.valueOffset());
                    final long intendedNs = record.buffer().getLong(record.valueOffset() + 8);
                    if (sequence != nextSequence[record.partition()])
                    {
                        orderError.compareAndSet(null, "partition " + record.partition() + ": expected sequence " +
                            nextSequence[record.partition()] + " got " + sequence + " at offset " + record.offset());
                    }
                    nextSequence[record.partition()] = sequence + partitions;
                    if (sequence >= 0 && sequence < records)
                    {
                        receivedNs[(int)sequence] = nowNs;
                    }
                    endToEnd.recordValue(Math.max(0, nowNs - intendedNs));
                    received.incrementAndGet();
                };
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (received.get() < records && System.nanoTime() - deadlineNs < 0)
                {
                    idle.idle(consumer.poll(handler, 256));
                }
            });
            consumerThread.setName("demo-consumer");
            for (int p = 0; p < partitions; p++)
            {
                nextSequence[p] = p;
            }
            consumerThread.start();

            final UnsafeBuffer value = new UnsafeBuffer(new byte[size]);
            final long[] sendTimes = new long[records];
            final AtomicLong failures = new AtomicLong();
            final ProducerCallback[] callbacks = new ProducerCallback[records];
            final long intervalNs = ratePerSecond > 0 ? 1_000_000_000L / ratePerSecond : 0;
            final long startNs = System.nanoTime();
            for (int i = 0; i < records; i++)
            {
                final int index = i;
                callbacks[i] = (partition, offset, code) ->
                {
                    if (ErrorCode.NONE == code)
                    {
                        sendToAck.recordValue(Math.max(0, System.nanoTime() - sendTimes[index]));
                    }
                    else
                    {
                        failures.incrementAndGet();
                    }
                };
            }

            final AtomicReference<RuntimeException> producerFailure = new AtomicReference<>();
            final Thread producerThread = threads.newThread(() ->
            {
                try
                {
                    final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    for (int i = 0; i < records; i++)
                    {
                        final long intendedNs = intervalNs > 0 ? startNs + i * intervalNs : System.nanoTime();
                        if (intervalNs > 0)
                        {
                            waitUntil(intendedNs, producer);
                        }
                        sendTimes[i] = intendedNs;
                        value.putLong(0, i);
                        value.putLong(8, intendedNs);
                        final int partition = i % partitions;
                        while (producer.send(TOPIC, partition, null, 0, -1, value, 0, size, null, callbacks[i]) ==
                            Producer.BACK_PRESSURED)
                        {
                            producer.poll();
                            if (System.nanoTime() - deadlineNs > 0)
                            {
                                throw new IllegalStateException("still back-pressured 120 s into the phase, " +
                                    (records - i) + " records unsent");
                            }
                        }
                    }
                    producer.flush();
                }
                catch (final RuntimeException ex)
                {
                    producerFailure.set(ex);
                }
            });
            producerThread.setName("demo-producer");
            producerThread.start();
            producerThread.join(TimeUnit.SECONDS.toMillis(130));
            if (producerThread.isAlive())
            {
                throw new IllegalStateException("the producer did not finish within 130 s");
            }
            if (null != producerFailure.get())
            {
                throw producerFailure.get();
            }
            final long producedNs = System.nanoTime() - startNs;
            consumerThread.join(TimeUnit.SECONDS.toMillis(130));
            final long totalNs = System.nanoTime() - startNs;

            final long got = received.get();
            System.out.printf("%n%s phase: %,d records of %d bytes, acks=1%s%n", phase, records, size,
                ratePerSecond > 0 ? String.format(" at a fixed %,d records/s", ratePerSecond) :
                    ", as fast as possible");
            System.out.printf(
                "  produced in %.3f s (%,.0f records/s, %.1f MB/s); consumed %,d in %.3f s (%,.0f records/s)%n",
                producedNs / 1e9, records / (producedNs / 1e9), records * (double)size / (producedNs / 1e9) / 1e6,
                got, totalNs / 1e9, got / (totalNs / 1e9));
            if (ratePerSecond > 0)
            {
                printPercentiles("  end-to-end (intended send -> consumer)", endToEnd);
                printPercentiles("  send -> ack                           ", sendToAck);
                printHostFreezes(freezeProbe, sendTimes, receivedNs);
            }

            boolean ok = true;
            if (got != records)
            {
                System.out.printf("  FAILED: %,d of %,d records arrived%n", got, records);
                ok = false;
            }
            if (null != orderError.get())
            {
                System.out.println("  FAILED: out of order: " + orderError.get());
                ok = false;
            }
            if (failures.get() > 0)
            {
                System.out.printf("  FAILED: %,d sends failed%n", failures.get());
                ok = false;
            }
            if (ok)
            {
                System.out.println("  every record arrived, in order");
            }
            return ok;
        }
    }

    /**
     * The stretches in which a CPU of this machine ran nothing for 10 ms or more during the phase (a virtual
     * machine's host taking a vCPU away: every thread on it waits, whatever it is), and the end-to-end figures of the
     * records that were not in flight during one, so a p99 set by the host is told from Spindle's own.
     */
    private static void printHostFreezes(final FreezeProbe probe, final long[] sendTimes, final long[] receivedNs)
    {
        final List<long[]> windows = probe.windows();
        final List<long[]> frozen = probe.windowsEndingIn(sendTimes[0], System.nanoTime());
        final int count = frozen.size();
        long longestNs = 0;
        for (final long[] window : frozen)
        {
            longestNs = Math.max(longestNs, window[1] - window[0]);
        }
        final String watched = probe.pinned() ? "" : " [not every CPU watched: no taskset]";
        if (0 == count)
        {
            System.out.println(
                "  host freezes: none (no CPU stood still for 10 ms or more during the phase)" + watched);
            return;
        }
        final Histogram outside = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        for (int i = 0; i < sendTimes.length; i++)
        {
            if (0 != receivedNs[i] && !FreezeProbe.inFlightDuringOne(windows, sendTimes[i], receivedNs[i]))
            {
                outside.recordValue(Math.min(outside.getHighestTrackableValue(), receivedNs[i] - sendTimes[i]));
            }
        }
        System.out.printf("  host freezes: %d, longest %.1f ms (a CPU stood still; on a virtual machine, its host " +
            "took it: perf/README)%s%n  %,d records were not in flight during one:%n", count, longestNs / 1e6,
            watched, outside.getTotalCount());
        printPercentiles("  outside host freezes                  ", outside);
    }

    private static void waitUntil(final long deadlineNs, final Producer producer)
    {
        // Park rather than spin: on a small machine a spinning producer steals the core the broker needs.
        long remainingNs;
        while ((remainingNs = deadlineNs - System.nanoTime()) > 0)
        {
            producer.poll();
            LockSupport.parkNanos(remainingNs);
        }
    }

    static void printPercentiles(final String label, final Histogram histogram)
    {
        System.out.printf("%s us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  p99.99 %.1f  max %.1f%n",
            label,
            histogram.getValueAtPercentile(50) / 1000.0,
            histogram.getValueAtPercentile(90) / 1000.0,
            histogram.getValueAtPercentile(99) / 1000.0,
            histogram.getValueAtPercentile(99.9) / 1000.0,
            histogram.getValueAtPercentile(99.99) / 1000.0,
            histogram.getMaxValue() / 1000.0);
    }
}
