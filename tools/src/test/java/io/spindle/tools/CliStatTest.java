/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.spindle.client.Consumer;
import io.spindle.client.TopicPartition;
import io.spindle.tools.CliEndToEndTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.CliEndToEndTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle stat --once} shows a broker's counters after a known workload: requests by type, produced and
 * fetched records, errors by code, and each partition's log start, log end and high-water mark; found from the data
 * directory or the driver directory.
 */
@Timeout(60)
class CliStatTest
{
    @TempDir
    Path dir;

    @Test
    void countersMatchAKnownWorkload() throws InterruptedException
    {
        final Path dataDir = dir.resolve("data");
        try (CliBroker broker = CliBroker.startTiered(dataDir, "cli-stat"))
        {
            final String bootstrap = broker.bootstrap();
            assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "s", "--partitions", "2")
                .code());
            assertEquals(0, run("a\nb\nc\nd\ne\n", "produce", "--bootstrap", bootstrap, "--topic", "s",
                "--partition", "0").code());
            assertEquals("a\nb\nc\nd\ne\n", run("", "consume", "--bootstrap", bootstrap, "--topic", "s",
                "--partition", "0", "--from-beginning", "--max-messages", "5", "--timeout-ms", "5000").out());
            assertEquals(1, run("", "topics", "describe", "--bootstrap", bootstrap, "--topic", "missing").code());

            final Map<String, Long> stat = awaitStat(
                (values) -> values.getOrDefault("spindle-0: partition s-0 high-water mark", -1L) == 5 &&
                values.getOrDefault("spindle-0: fetch records", 0L) >= 5,
                "--data-dir", dataDir.toString());

            assertEquals(5, stat.get("spindle-0: produce records"), stat.toString());
            assertTrue(stat.get("spindle-0: produce bytes") > 5, stat.toString());
            assertEquals(1, stat.get("spindle-0: requests CreateTopics"), stat.toString());
            assertTrue(stat.get("spindle-0: requests Produce") >= 1, stat.toString());
            assertTrue(stat.get("spindle-0: fetch requests") >= 1, stat.toString());
            assertEquals(stat.get("spindle-0: produce bytes"), stat.get("spindle-0: fetch bytes"),
                stat.toString());
            assertEquals(1, stat.get("spindle-0: errors UNKNOWN_TOPIC_OR_PARTITION"), stat.toString());
            assertFalse(stat.containsKey("spindle-0: errors CORRUPT_MESSAGE"), "error codes never seen are left out");
            assertTrue(stat.get("spindle-0: sessions opened") >= 4, stat.toString());
            assertEquals(0, stat.get("spindle-0: partition s-0 log start"), stat.toString());
            assertEquals(5, stat.get("spindle-0: partition s-0 log end"), stat.toString());
            assertEquals(0, stat.get("spindle-0: partition s-1 log end"), stat.toString());
            assertEquals(0, stat.get("spindle-0: partition s-1 high-water mark"), stat.toString());
            // The tier's counters (ArchiveTierTest drives them), with no remote-storage topic: nothing to copy.
            for (final String counter : List.of("segments copied", "bytes copied", "copy attempts failed",
                "segments purged", "copy lag segments", "copy lag bytes", "segments awaiting other members"))
            {
                assertEquals(0, stat.get("spindle-0: tier " + counter), stat.toString());
            }
            assertEquals(1, stat.get("spindle-0: tier archive reachable"), stat.toString());

            final Map<String, Long> fromDriver = awaitStat(
                (values) -> values.containsKey("spindle-0: produce records"), "--aeron-dir", broker.aeronDir());
            assertEquals(5, fromDriver.get("spindle-0: produce records"), fromDriver.toString());
            assertEquals(5, fromDriver.get("spindle-0: partition s-0 log end"), fromDriver.toString());
        }
    }

    @Test
    void latencyStagesCountEveryProduceRequestAndThePushToAWaitingConsumer() throws Exception
    {
        final Path dataDir = dir.resolve("data");
        try (CliBroker broker = CliBroker.start(dataDir, "cli-stat-latency"))
        {
            final String bootstrap = broker.bootstrap();
            assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "l").code());

            final Consumer.Context consumerContext =
                new Consumer.Context().autoOffsetReset(Consumer.OffsetReset.EARLIEST);
            consumerContext.bootstrap(bootstrap);
            final AtomicInteger consumed = new AtomicInteger();
            final Thread consumerThread = new Thread(() ->
            {
                try (Consumer consumer = Consumer.connect(consumerContext))
                {
                    consumer.assign(List.of(new TopicPartition("l", 0)));
                    final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (consumed.get() < 5 && System.nanoTime() < deadlineNs)
                    {
                        consumer.poll((record) -> consumed.incrementAndGet(), 10, 100);
                    }
                }
            }, "cli-stat-latency-consumer");
            consumerThread.start();
            // The consumer's streaming fetch waits at the broker before anything is appended: every append is pushed.
            awaitStat((values) -> values.getOrDefault("spindle-0: fetch requests", 0L) >= 1,
                "--data-dir", dataDir.toString());
            assertEquals(0, run("a\nb\nc\nd\ne\n", "produce", "--bootstrap", bootstrap, "--topic", "l").code());
            consumerThread.join(TimeUnit.SECONDS.toMillis(30));
            assertEquals(5, consumed.get(), "records consumed");

            final long produceRequests = awaitStat((values) -> values.containsKey("spindle-0: requests Produce"),
                "--data-dir", dataDir.toString()).get("spindle-0: requests Produce");
            assertTrue(produceRequests >= 1);

            Map<String, long[]> latency = Map.of();
            String out = "";
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadlineNs)
            {
                final Result result = run("", "stat", "--once", "--latency", "--data-dir", dataDir.toString());
                out = result.out();
                if (0 == result.code())
                {
                    latency = parseLatencyRuns(out);
                    if (latency.containsKey("received-appended") &&
                        latency.get("received-appended")[0] == produceRequests &&
                        latency.get("appended-pushed")[0] >= 1)
                    {
                        break;
                    }
                }
                Thread.sleep(50);
            }

            assertEquals(produceRequests, latency.get("received-appended")[0], out);
            assertEquals(produceRequests, latency.get("appended-acknowledged")[0], out);
            assertTrue(latency.get("appended-pushed")[0] >= 1, out);
            for (final Map.Entry<String, long[]> stage : latency.entrySet())
            {
                final long[] values = stage.getValue();
                assertTrue(values[5] > 0, stage.getKey() + " max is positive: " + out);
                for (int i = 2; i < values.length; i++)
                {
                    assertTrue(values[i] >= values[i - 1], stage.getKey() + " p50 <= ... <= max: " + out);
                }
            }
        }
    }

    /**
     * Per stage, the whole run's count and p50, p90, p99, p99.9 and max in nanoseconds (to 0.1 us).
     */
    static Map<String, long[]> parseLatencyRuns(final String out)
    {
        final Map<String, long[]> runs = new HashMap<>();
        String stage = null;
        for (final String line : out.split("\n"))
        {
            final String[] fields = line.trim().split("\\s+");
            if (fields.length == 8 && "interval".equals(fields[1]))
            {
                stage = fields[0];
            }
            else if (fields.length == 7 && "run".equals(fields[0]) && null != stage)
            {
                final long[] values = new long[6];
                values[0] = Long.parseLong(fields[1]);
                for (int i = 1; i < 6; i++)
                {
                    values[i] = Math.round(Double.parseDouble(fields[1 + i]) * 1000);
                }
                runs.put(stage, values);
            }
        }

        return runs;
    }

    @Test
    void refusesWithoutADirectory()
    {
        final Result result = run("", "stat", "--once");
        assertEquals(1, result.code(), result.toString());
        assertTrue(result.err().contains("name an --aeron-dir or a --data-dir"), result.toString());
    }

    /**
     * Run {@code spindle stat --once} until its values satisfy a condition (counters are copied on the broker's
     * slow tick, partition counters added without waiting for the driver), at most 10 s.
     */
    static Map<String, Long> awaitStat(final Predicate<Map<String, Long>> condition, final String... where)
        throws InterruptedException
    {
        final String[] args = new String[where.length + 2];
        args[0] = "stat";
        args[1] = "--once";
        System.arraycopy(where, 0, args, 2, where.length);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true)
        {
            final Result result = run("", args);
            assertEquals(0, result.code(), result.toString());
            final Map<String, Long> values = parse(result.out());
            if (condition.test(values) || System.nanoTime() - deadlineNs > 0)
            {
                assertTrue(condition.test(values), result.out());
                return values;
            }
            Thread.sleep(20);
        }
    }

    /**
     * Counter lines ({@code id: value - label}) by label, and partition rows as one entry per column, labelled as the
     * partition counters are.
     */
    static Map<String, Long> parse(final String out)
    {
        final Map<String, Long> values = new HashMap<>();
        final String[] columns = { "log start", "log end", "high-water mark" };
        for (final String line : out.split("\n"))
        {
            final int dash = line.indexOf(" - ");
            if (line.matches("^\\s*\\d+:\\s+-?\\d+ - .*"))
            {
                values.put(line.substring(dash + 3), Long.parseLong(line.substring(line.indexOf(':') + 1,
                    dash).trim()));
            }
            else if (line.startsWith("spindle-"))
            {
                final String[] fields = line.trim().split("\\s+");
                if (fields.length == 5)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        values.put(fields[0] + ": partition " + fields[1] + " " + columns[i],
                            Long.parseLong(fields[2 + i]));
                    }
                }
            }
        }

        return values;
    }
}
