/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.Producer;
import io.spindle.client.TopicDescription;
import io.spindle.client.TopicPartition;
import io.spindle.driver.SchedulerSlice;
import io.spindle.log.LogConfig;
import io.spindle.tools.AcksConverter;
import io.spindle.tools.VersionCommand;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spindle perf throughput}: sustained records/s and MB/s of producing N records as fast as the producer takes
 * them, of a consumer tailing the topic meanwhile, and of a second consumer replaying the topic from the beginning.
 */
@Command(name = "throughput", mixinStandardHelpOptions = true, sortOptions = false,
    versionProvider = VersionCommand.Provider.class,
    description = {
        "Sustained throughput of Spindle: a producer sends --records records as fast as it takes them (send, and on " +
            "back-pressure poll and retry) while a consumer thread tails the topic; then a second consumer replays " +
            "the whole topic from the beginning.",
        "Rates count value bytes: MB/s = records x --size / 10^6 per second. Warm-up records are sent and consumed " +
            "first and not counted.",
        "With --from-archive the same records also go to a topic tiered to the archive (embedded, or --archive) " +
            "and, once archived and deleted locally, are replayed from the archive tier." })
public final class ThroughputCommand implements Callable<Integer>
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(120);
    private static final long ARCHIVE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(300);

    @Option(names = "--records", defaultValue = "2000000", description =
        "Records measured (default: ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--warmup-records", defaultValue = "200000",
        description = "Records sent and consumed before measuring (default: ${DEFAULT-VALUE}).")
    long warmupRecords;

    @Option(names = "--size", defaultValue = "100", description =
        "Value size in bytes, at least 8 (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--partitions", defaultValue = "1",
        description = "Partitions, records spread round robin (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--acks", defaultValue = "1", converter = AcksConverter.class,
        description = "0, 1, -1 or all (default: ${DEFAULT-VALUE}).")
    int acks;

    @Option(names = "--batch-size", defaultValue = "16384",
        description = "Producer batch size in bytes (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--linger-us", defaultValue = "0",
        description = "Producer linger in microseconds (default: ${DEFAULT-VALUE}).")
    long lingerUs;

    @Option(names = "--max-in-flight", defaultValue = "5",
        description = "Producer requests unanswered at once (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--from-archive", description = "Also read the records back from the archive tier: the same " +
        "--records records are produced into a second topic with remote.storage.enable and local.retention.bytes 1 " +
        "(an embedded archive, or --archive HOST:PORT), and once every segment is archived and deleted locally a " +
        "consumer replays them from the archive; printed beside the replay from the local log.")
    boolean fromArchive;

    @Option(names = "--archive-segment-bytes", defaultValue = "16m", description = "With --from-archive: " +
        "segment.bytes of the tiered topic, what one replay from the archive fetches (default: ${DEFAULT-VALUE}).")
    String archiveSegmentBytes;

    @Mixin
    EnvironmentOptions env;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Run the three phases and report them.
     *
     * @return 0 when every record was acknowledged and consumed in order, 1 otherwise, 2 for bad flags.
     * @throws Exception when the broker or a client fails.
     */
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final EnvironmentOptions.Transport transport;
        try
        {
            validate();
            env.tieredStorage = fromArchive;
            transport = env.transport();
        }
        catch (final IllegalArgumentException ex)
        {
            spec.commandLine().getErr().println("spindle perf throughput: " + ex.getMessage());
            return 2;
        }

        final String description = String.format(
            "Spindle throughput over %s: %,d records of %d bytes (+%,d warm-up), acks=%d, %d partition(s), " +
            "batch %,d bytes, linger %d us, max in flight %d; %s %s/%s, driver %s/%s, clients %s",
            transport.name().toLowerCase(), records, size, warmupRecords, acks, partitions, batchSize, lingerUs,
            maxInFlight, env.serverLabel(), env.threading.name().toLowerCase(), env.serverIdle(),
            env.threading.name().toLowerCase(), env.driverIdle, env.clientIdleAndSlice());
        out.println(description);
        out.flush();

        final long total = warmupRecords + records;
        final Phase produce = new Phase();
        final Phase tail = new Phase();
        final Phase replay = new Phase();
        final ArchiveRead archive = fromArchive ? new ArchiveRead() : null;
        long failed;
        long outOfOrder;
        try (SpindleSetup setup = SpindleSetup.start(env, partitions))
        {
            final TailingConsumer tailing = new TailingConsumer(connectConsumer(setup, "spindle-perf-tail"), total);
            final Thread tailThread = SchedulerSlice.threadFactory(env.schedulerSliceNs()).newThread(tailing);
            tailThread.setName("perf-tail");
            tailThread.start();
            // This thread produces: it asks for the slice as the tailing consumer and the broker's threads do, and
            // gives it back after (the caller may be a test's thread).
            SchedulerSlice.applyToCurrentThread(env.schedulerSliceNs());
            try (Producer producer = Producer.connect(setup.client(
                new Producer.Context().acks(acks).lingerUs(lingerUs).batchSize(batchSize).maxInFlight(maxInFlight),
                "spindle-perf-producer")))
            {
                final UnsafeBuffer value = new UnsafeBuffer(new byte[size]);
                final IdleStrategy idle = env.newClientIdle();
                sendAll(producer, setup.topic(), value, 0, warmupRecords, idle);
                producer.flush();
                final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
                while (tailing.received() < warmupRecords && System.nanoTime() - deadlineNs < 0 && tailThread.isAlive())
                {
                    Thread.sleep(1);
                }

                produce.startNs = System.nanoTime();
                sendAll(producer, setup.topic(), value, warmupRecords, total, idle);
                producer.flush();
                produce.endNs = System.nanoTime();
                produce.count = records;
                failed = producer.failedCount();
            }
            finally
            {
                SchedulerSlice.resetCurrentThread();
            }
            tailThread.join(TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NS));
            tailing.stop();
            tailThread.join();
            if (null != tailing.failure.get())
            {
                throw new IllegalStateException("tailing consumer failed", tailing.failure.get());
            }
            tail.startNs = produce.startNs;
            tail.endNs = tailing.lastNs;
            tail.count = Math.max(0, tailing.received() - warmupRecords);
            outOfOrder = tailing.outOfOrder;

            final TailingConsumer replaying = new TailingConsumer(connectConsumer(setup, "spindle-perf-replay"), total);
            replay.startNs = System.nanoTime();
            replaying.run();
            replay.endNs = replaying.lastNs;
            replay.count = replaying.received();
            outOfOrder += replaying.outOfOrder;
            if (null != replaying.failure.get())
            {
                throw new IllegalStateException("replaying consumer failed", replaying.failure.get());
            }
            if (null != archive)
            {
                readFromArchive(setup, archive);
                outOfOrder += archive.outOfOrder;
                failed += archive.failed;
            }
        }

        out.println();
        print(out, "produce (send -> all acked)          ", produce);
        print(out, "consume (tailing, while producing)   ", tail);
        print(out, "replay  (from the beginning, after)  ", replay);
        if (null != archive)
        {
            print(out, "produce (tiered topic, archived after)", archive.produce);
            print(out, "replay  (the same, from the archive) ", archive.replay);
            out.printf("  archive tier: %,d of the %,d records replayed were in the archive only (archived and " +
                "deleted locally %.3f s after the last was sent; segments of %s); archive replay / local replay = " +
                "%.2f records/s%n",
                archive.archiveOnly, archive.replay.count, archive.waitSeconds, archiveSegmentBytes,
                replay.recordsPerSecond() > 0 ? archive.replay.recordsPerSecond() / replay.recordsPerSecond() : 0.0);
        }
        out.printf("  failed %,d, consumed %,d of %,d (tail) and %,d of %,d (replay), out of order %,d%n",
            failed, tail.count, records, replay.count, total, outOfOrder);

        if (env.json)
        {
            final Json line = new Json().field("benchmark", "throughput")
                .field("records", records)
                .field("size", size)
                .field("produce_records_per_s", produce.recordsPerSecond())
                .field("produce_mb_per_s", produce.megabytesPerSecond(size))
                .field("consume_records_per_s", tail.recordsPerSecond())
                .field("consume_mb_per_s", tail.megabytesPerSecond(size))
                .field("replay_records_per_s", replay.recordsPerSecond())
                .field("replay_mb_per_s", replay.megabytesPerSecond(size))
                .field("produce_s", produce.seconds())
                .field("consume_s", tail.seconds())
                .field("replay_s", replay.seconds())
                .field("consumed", tail.count)
                .field("replayed", replay.count)
                .field("failed", failed)
                .field("out_of_order", outOfOrder);
            if (null != archive)
            {
                line.field("archive_replay_records_per_s", archive.replay.recordsPerSecond())
                    .field("archive_replay_mb_per_s", archive.replay.megabytesPerSecond(size))
                    .field("archive_replay_s", archive.replay.seconds())
                    .field("archive_replayed", archive.replay.count)
                    .field("archive_only", archive.archiveOnly)
                    .field("archive_produce_records_per_s", archive.produce.recordsPerSecond())
                    .field("archive_wait_s", archive.waitSeconds);
            }
            line.object("settings")
                .field("system", "spindle")
                .field("records", records)
                .field("warmup_records", warmupRecords)
                .field("size", size)
                .field("partitions", partitions)
                .field("acks", acks)
                .field("batch_size", batchSize)
                .field("linger_us", lingerUs)
                .field("max_in_flight", maxInFlight)
                .field("from_archive", fromArchive)
                .field("archive_segment_bytes", fromArchive ? archiveSegmentBytes : "");
            env.describe(line);
            line.endObject();
            out.println(line.end());
        }
        out.flush();

        final boolean archiveComplete = null == archive || archive.replay.count == records + partitions;
        return failed == 0 && outOfOrder == 0 && tail.count == records && replay.count == total && archiveComplete ?
            0 : 1;
    }

    /**
     * Produce the measured records into a topic tiered to the broker's embedded archive, roll every partition's
     * last segment (a record each after setting segment.ms to 1), wait until the archiver copied every sealed segment
     * and local retention deleted it, then replay the topic from the beginning: all but the last record of each
     * partition come from the archive tier.
     */
    private void readFromArchive(final SpindleSetup setup, final ArchiveRead archive) throws InterruptedException
    {
        final String topic = setup.topic() + "-tiered";
        try (Admin admin = Admin.connect(setup.client(new ClientContext(), "spindle-perf-admin")))
        {
            admin.createTopic(topic, partitions, Map.of(
                LogConfig.REMOTE_STORAGE_ENABLE, "true",
                LogConfig.SEGMENT_BYTES, archiveSegmentBytes,
                LogConfig.MAX_MESSAGE_BYTES, Integer.toString(Math.min(archiveSegmentBytes(),
                    LogConfig.Configuration.MAX_MESSAGE_BYTES_DEFAULT)),
                LogConfig.LOCAL_RETENTION_BYTES, "1"));
            try (Producer producer = Producer.connect(setup.client(
                new Producer.Context().acks(acks).lingerUs(lingerUs).batchSize(batchSize).maxInFlight(maxInFlight),
                "spindle-perf-tiered-producer")))
            {
                final UnsafeBuffer value = new UnsafeBuffer(new byte[size]);
                final IdleStrategy idle = env.newClientIdle();
                archive.produce.startNs = System.nanoTime();
                sendAll(producer, topic, value, 0, records, idle);
                producer.flush();
                archive.produce.endNs = System.nanoTime();
                archive.produce.count = records;

                // The next record of each partition rolls its segment, so every measured record is in a sealed one.
                admin.alterTopicConfigs(topic, Map.of(LogConfig.SEGMENT_MS, "1"), List.of());
                Thread.sleep(2);
                sendAll(producer, topic, value, records, records + partitions, idle);
                producer.flush();
                archive.failed = producer.failedCount();
            }

            final long sentNs = System.nanoTime();
            final long deadlineNs = sentNs + ARCHIVE_TIMEOUT_NS;
            while (!isArchivedAndDeletedLocally(admin, topic))
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("the archive tier did not take every segment of " + topic +
                        " within " + TimeUnit.NANOSECONDS.toSeconds(ARCHIVE_TIMEOUT_NS) + " s: " +
                        admin.describeTopic(topic).partitions());
                }
                Thread.sleep(10);
            }
            archive.waitSeconds = (System.nanoTime() - sentNs) / 1e9;
            for (final TopicDescription.PartitionDescription partition : admin.describeTopic(topic).partitions())
            {
                archive.archiveOnly += partition.localLogStartOffset() - partition.logStartOffset();
            }
        }

        final TailingConsumer replaying = new TailingConsumer(
            connectConsumer(setup, topic, "spindle-perf-archive-replay"), records + partitions);
        archive.replay.startNs = System.nanoTime();
        replaying.run();
        archive.replay.endNs = replaying.lastNs;
        archive.replay.count = replaying.received();
        archive.outOfOrder = replaying.outOfOrder;
        if (null != replaying.failure.get())
        {
            throw new IllegalStateException("archive replaying consumer failed", replaying.failure.get());
        }
    }

    private int archiveSegmentBytes()
    {
        try
        {
            return new LogConfig().set(LogConfig.SEGMENT_BYTES, archiveSegmentBytes).segmentBytes();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("--archive-segment-bytes: " + ex.getMessage(), ex);
        }
    }

    private static boolean isArchivedAndDeletedLocally(final Admin admin, final String topic)
    {
        for (final TopicDescription.PartitionDescription partition : admin.describeTopic(topic).partitions())
        {
            // Only the record that rolled the last segment is still local; everything below it is in the archive.
            if (partition.localLogStartOffset() < partition.logEndOffset() - 1 || partition.logStartOffset() != 0)
            {
                return false;
            }
        }
        return true;
    }

    private void validate()
    {
        if (records < 1 || warmupRecords < 0)
        {
            throw new IllegalArgumentException("--records must be >= 1 and --warmup-records >= 0");
        }
        if (size < 8)
        {
            throw new IllegalArgumentException("--size must be at least 8 (the sequence lives in the value), was " +
                size);
        }
        if (partitions < 1)
        {
            throw new IllegalArgumentException("--partitions must be at least 1, was " + partitions);
        }
        if (batchSize < 1 || lingerUs < 0 || maxInFlight < 1)
        {
            throw new IllegalArgumentException("--batch-size and --max-in-flight must be >= 1, --linger-us >= 0");
        }
        if (fromArchive)
        {
            if (env.clustered() || !env.embedded())
            {
                throw new IllegalArgumentException("--from-archive needs the embedded standalone broker and its " +
                    "archive tier: not with --cluster (members do not tier) or --bootstrap");
            }
            archiveSegmentBytes();
        }
    }

    private void sendAll(
        final Producer producer,
        final String topic,
        final UnsafeBuffer value,
        final long from,
        final long to,
        final IdleStrategy idle)
    {
        for (long i = from; i < to; i++)
        {
            value.putLong(0, i);
            idle.reset();
            while (producer.send(topic, (int)(i % partitions), null, 0, -1, value, 0, size, null, null) ==
                Producer.BACK_PRESSURED)
            {
                idle.idle(producer.poll());
            }
        }
    }

    private Consumer connectConsumer(final SpindleSetup setup, final String clientId)
    {
        return connectConsumer(setup, setup.topic(), clientId);
    }

    private Consumer connectConsumer(final SpindleSetup setup, final String topic, final String clientId)
    {
        final Consumer consumer = Consumer.connect(setup.client(
            new Consumer.Context().autoOffsetReset(Consumer.OffsetReset.EARLIEST), clientId));
        final List<TopicPartition> assignment = new ArrayList<>();
        for (int p = 0; p < partitions; p++)
        {
            assignment.add(new TopicPartition(topic, p));
        }
        consumer.assign(assignment);
        for (final TopicPartition tp : assignment)
        {
            consumer.position(tp);
        }
        return consumer;
    }

    private static void print(final PrintWriter out, final String label, final Phase phase)
    {
        out.printf("  %s %,14.0f records/s  %8.1f MB/s  (%,d records in %.3f s)%n",
            label, phase.recordsPerSecond(), phase.megabytesPerSecond(phase.size), phase.count, phase.seconds());
    }

    /**
     * The read from the archive tier: producing into the tiered topic, the wait for the archive, the replay.
     */
    private final class ArchiveRead
    {
        final Phase produce = new Phase();
        final Phase replay = new Phase();
        double waitSeconds;
        long archiveOnly;
        long failed;
        long outOfOrder;
    }

    /**
     * A timed phase.
     */
    private final class Phase
    {
        long startNs;
        long endNs;
        long count;
        final int size = ThroughputCommand.this.size;

        double seconds()
        {
            return Math.max(0, endNs - startNs) / 1e9;
        }

        double recordsPerSecond()
        {
            return seconds() > 0 ? count / seconds() : 0.0;
        }

        double megabytesPerSecond(final int recordSize)
        {
            return recordsPerSecond() * recordSize / 1e6;
        }
    }

    /**
     * Reads the topic until it has seen the expected number of records, checking the order per partition.
     */
    private final class TailingConsumer implements Runnable
    {
        private final Consumer consumer;
        private final long expected;
        private final long[] nextSequence = new long[partitions];
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Consumer.RecordHandler handler = this::onRecord;
        private volatile boolean running = true;
        private volatile long received;
        private long count;
        private long outOfOrder;
        private long lastNs;

        TailingConsumer(final Consumer consumer, final long expected)
        {
            this.consumer = consumer;
            this.expected = expected;
            for (int p = 0; p < partitions; p++)
            {
                nextSequence[p] = p;
            }
        }

        long received()
        {
            return received;
        }

        void stop()
        {
            running = false;
        }

        public void run()
        {
            final IdleStrategy idle = env.newClientIdle();
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            try
            {
                while (running && count < expected && System.nanoTime() - deadlineNs < 0)
                {
                    final int n = consumer.poll(handler, 1024);
                    if (n > 0)
                    {
                        received = count;
                        lastNs = System.nanoTime();
                    }
                    idle.idle(n);
                }
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
            finally
            {
                consumer.close();
            }
        }

        private void onRecord(final ConsumerRecord record)
        {
            final int partition = record.partition();
            final long sequence = record.buffer().getLong(record.valueOffset());
            if (sequence != nextSequence[partition])
            {
                outOfOrder++;
            }
            nextSequence[partition] = sequence + partitions;
            count++;
        }
    }
}
