package io.spindle.tools;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.aeron.CommonContext;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.driver.DriverDirectory;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Consume-transform-produce exactly once, end to end, across crashes of the transforming process: a
 * {@link TransformerMain} process (read_committed group consumer of {@code in}, transactional producer to
 * {@code out}, its input offsets committed with each transaction) is killed with SIGKILL while it holds a
 * transaction open, right after a transaction committed, and at an arbitrary point of its loop, and restarted each
 * time with the same transactional id and group, while input keeps arriving. A read_committed reader of {@code out} then finds
 * every input record transformed exactly once, in order, and the group's committed offsets at the input's ends.
 */
@Timeout(120)
class ExactlyOnceTransformProcessTest
{
    private static final int PARTITIONS = 3;
    private static final int BURST = 5_000;
    private static final String TRANSACTIONAL_ID = "transformer-1";
    private static final String GROUP = "transformers";
    private static final long WAIT_MS = 30_000;

    @TempDir
    Path dir;

    private final List<SpindleProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-eos-" + UUID.randomUUID();
    private final List<List<String>> input = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException
    {
        for (final SpindleProcess process : processes)
        {
            process.close();
        }
        for (final SpindleProcess process : processes)
        {
            process.process().waitFor(10, TimeUnit.SECONDS);
        }
        IoUtil.delete(new File(aeronDir), true);
        // The embedded drivers of the transformers, which SIGKILL gave no chance to remove their directories.
        DriverDirectory.sweepDeadClientDirectories(DriverDirectory.clientDirectoryParent());
    }

    @Test
    void everyInputRecordTransformedExactlyOnceAcrossKillMinusNineOfTheTransformer() throws Exception
    {
        final String bootstrap = startBroker();
        try (Producer producer = Producer.connect(ipc(new Producer.Context())))
        {
            produceBurst(producer);

            // The first instance holds its fifth transaction open, its output flushed to the log, and dies there.
            final SpindleProcess first = startTransformer(bootstrap, "open:5");
            first.awaitLine("ready", WAIT_MS);
            produceBurst(producer);
            first.awaitLine("holding open 5", WAIT_MS);
            kill(first);

            // The second dies the moment its third transaction has committed.
            final SpindleProcess second = startTransformer(bootstrap, "committed:3");
            second.awaitLine("ready", WAIT_MS);
            second.awaitLine("holding committed 3", WAIT_MS);
            kill(second);

            // The third is killed wherever it happens to be once it has committed and sent more.
            final SpindleProcess third = startTransformer(bootstrap, "none");
            third.awaitLine("ready", WAIT_MS);
            produceBurst(producer);
            third.awaitLine("committed ", WAIT_MS);
            third.awaitLine("sent ", WAIT_MS);
            kill(third);

            final SpindleProcess fourth = startTransformer(bootstrap, "none");
            fourth.awaitLine("ready", WAIT_MS);
            produceBurst(producer);
            awaitCaughtUp(fourth);
            fourth.close();
        }

        // Uncommitted reading also sees what the killed instances wrote in transactions that never committed: the
        // held transaction's output at least.
        final int aborted = assertExactlyOnce();
        assertTrue(aborted > 0, "read_uncommitted sees the aborted attempt too");
    }

    @Test
    void aStalledTransformerThatComesBackIsFencedAndWritesNothingMore() throws Exception
    {
        final String bootstrap = startBroker();
        final int inLog;
        try (Producer producer = Producer.connect(ipc(new Producer.Context())))
        {
            produceBurst(producer);

            // A transformer stalls halfway through its third transaction, and a new instance takes over from it.
            final SpindleProcess zombie = startTransformer(bootstrap, "stall:3");
            zombie.awaitLine("ready", WAIT_MS);
            final String stalled = zombie.awaitLine("stalled 3 ", WAIT_MS);
            inLog = Integer.parseInt(stalled.substring("stalled 3 ".length()));
            final SpindleProcess successor = startTransformer(bootstrap, "none");
            successor.awaitLine("ready", WAIT_MS);
            produceBurst(producer);
            successor.awaitLine("committed ", WAIT_MS);

            // It wakes up, sends the rest of its transaction and commits: fenced, it exits.
            zombie.stdin().write('\n');
            zombie.stdin().flush();
            final String failed = zombie.awaitLine("failed ", WAIT_MS);
            assertTrue(failed.startsWith("failed PRODUCER_FENCED") ||
                failed.startsWith("failed INVALID_PRODUCER_EPOCH"),
                failed);
            assertEquals(2, zombie.awaitExit(WAIT_MS));

            produceBurst(producer);
            awaitCaughtUp(successor);
            successor.close();
        }

        // The aborted records are the ones it had written before it stalled: none after it came back.
        assertEquals(inLog, assertExactlyOnce());
    }

    private String startBroker() throws Exception
    {
        final String bootstrap = "127.0.0.1:" + SpindleProcess.freeUdpPort();
        final SpindleProcess broker = start(SpindleCli.class, List.of("-Dspindle.embedded.driver.dir=" + aeronDir),
            "broker", "--data-dir", dir.resolve("data").toString(), "--listen", bootstrap);
        broker.awaitLine("listening udp", WAIT_MS);
        try (Admin admin = Admin.connect(ipc(new ClientContext())))
        {
            admin.createTopic("in", PARTITIONS, Map.of());
            admin.createTopic("out", PARTITIONS, Map.of());
        }
        for (int p = 0; p < PARTITIONS; p++)
        {
            input.add(new ArrayList<>());
        }
        return bootstrap;
    }

    /**
     * Read {@code out} both ways: read_committed must be every input record transformed once, in order, per
     * partition; read_uncommitted may add only repeats of those (the output of transactions that aborted).
     *
     * @return how many records read_uncommitted sees beyond read_committed.
     */
    private int assertExactlyOnce()
    {
        final List<List<String>> committed = readOut(IsolationLevel.READ_COMMITTED);
        int total = 0;
        for (int p = 0; p < PARTITIONS; p++)
        {
            final List<String> expected = new ArrayList<>();
            for (final String value : input.get(p))
            {
                expected.add("T(" + value + ")");
            }
            final List<String> found = committed.get(p);
            if (!expected.equals(found))
            {
                fail("out-" + p + " is not its input transformed exactly once in order: " + describe(expected, found));
            }
            total += found.size();
        }
        assertEquals(inputCount(), total);

        final List<List<String>> uncommitted = readOut(IsolationLevel.READ_UNCOMMITTED);
        final List<String> all = new ArrayList<>();
        uncommitted.forEach(all::addAll);
        final List<String> allCommitted = new ArrayList<>();
        committed.forEach(allCommitted::addAll);
        assertEquals(new HashSet<>(allCommitted), new HashSet<>(all), "nothing but repeats of committed records");
        return all.size() - total;
    }

    private void produceBurst(final Producer producer)
    {
        for (int i = 0; i < BURST; i++)
        {
            final int partition = i % PARTITIONS;
            final List<String> values = input.get(partition);
            final String value = "in-" + partition + "-" + values.size();
            while (Producer.OK != producer.send(
                "in", partition, null, value.getBytes(StandardCharsets.UTF_8), null))
            {
                producer.poll();
            }
            values.add(value);
        }
        producer.flush();
        assertEquals(0, producer.failedCount(), "input records failed");
    }

    private int inputCount()
    {
        int count = 0;
        for (final List<String> values : input)
        {
            count += values.size();
        }
        return count;
    }

    private void awaitCaughtUp(final SpindleProcess transformer) throws InterruptedException
    {
        final List<TopicPartition> partitions = partitions("in");
        final Map<TopicPartition, Long> ends = new HashMap<>();
        try (Consumer consumer = Consumer.connect(ipc(new Consumer.Context())))
        {
            ends.putAll(consumer.endOffsets(partitions));
        }
        long total = 0;
        for (final long end : ends.values())
        {
            total += end;
        }
        assertEquals(inputCount(), total, "input log ends");

        Map<TopicPartition, Long> committedOffsets = Map.of();
        try (Admin admin = Admin.connect(ipc(new ClientContext())))
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
            while (System.nanoTime() - deadlineNs < 0)
            {
                committedOffsets = new HashMap<>();
                for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry :
                    admin.listGroupOffsets(GROUP).entrySet())
                {
                    committedOffsets.put(entry.getKey(), entry.getValue().offset());
                }
                if (ends.equals(committedOffsets) || !transformer.process().isAlive())
                {
                    break;
                }
                // Wait for the transformer's next commit rather than asking the broker again at once.
                transformer.awaitLine("committed ", WAIT_MS);
            }
        }
        assertEquals(ends, committedOffsets, "the group's committed offsets are the input's log ends");
    }

    private List<List<String>> readOut(final IsolationLevel level)
    {
        final List<List<String>> found = new ArrayList<>();
        final List<TopicPartition> partitions = partitions("out");
        for (int p = 0; p < PARTITIONS; p++)
        {
            found.add(new ArrayList<>());
        }
        try (Consumer consumer = Consumer.connect(ipc(new Consumer.Context()
            .isolationLevel(level)
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
        {
            consumer.assign(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
            while (!reached(consumer, ends) && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll((record) -> found.get(record.partition()).add(record.valueAsString()), 1000, 100);
            }
            assertTrue(reached(consumer, ends), level + " reader did not reach the ends " + ends);
        }
        return found;
    }

    private static boolean reached(final Consumer consumer, final Map<TopicPartition, Long> ends)
    {
        for (final Map.Entry<TopicPartition, Long> entry : ends.entrySet())
        {
            if (consumer.position(entry.getKey()) < entry.getValue())
            {
                return false;
            }
        }
        return true;
    }

    private static String describe(final List<String> expected, final List<String> found)
    {
        final Map<String, Integer> counts = new HashMap<>();
        for (final String value : found)
        {
            counts.merge(value, 1, Integer::sum);
        }
        final List<String> duplicated = new ArrayList<>();
        counts.forEach((value, count) ->
        {
            if (count > 1)
            {
                duplicated.add(value + " x" + count);
            }
        });
        final List<String> missing = new ArrayList<>();
        for (final String value : expected)
        {
            if (!counts.containsKey(value))
            {
                missing.add(value);
            }
        }
        Collections.sort(duplicated);
        return "expected " + expected.size() + ", found " + found.size() + "; " + duplicated.size() +
            " duplicated " + head(duplicated) + "; " + missing.size() + " missing " + head(missing);
    }

    private static List<String> head(final List<String> values)
    {
        return values.subList(0, Math.min(5, values.size()));
    }

    private static List<TopicPartition> partitions(final String topic)
    {
        final List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++)
        {
            partitions.add(new TopicPartition(topic, p));
        }
        return partitions;
    }

    private SpindleProcess startTransformer(final String bootstrap, final String hold) throws IOException
    {
        return start(TransformerMain.class, List.of(), bootstrap, TRANSACTIONAL_ID, GROUP, "transformer", hold);
    }

    private SpindleProcess start(final Class<?> mainClass, final List<String> jvmOptions, final String... args)
        throws IOException
    {
        final SpindleProcess process = SpindleProcess.startMain(mainClass, jvmOptions, args);
        processes.add(process);
        return process;
    }

    private static void kill(final SpindleProcess process) throws InterruptedException
    {
        process.close();
        assertTrue(process.process().waitFor(10, TimeUnit.SECONDS), "SIGKILL did not end pid " +
            process.process().pid());
    }


    private <T extends ClientContext> T ipc(final T ctx)
    {
        ctx.bootstrap("ipc").aeronDirectoryName(aeronDir);
        return ctx;
    }
}
