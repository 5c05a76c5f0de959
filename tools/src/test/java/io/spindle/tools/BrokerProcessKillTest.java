package io.spindle.tools;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;


import io.aeron.CommonContext;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle broker} as its own process, killed with SIGKILL while a producer sends with
 * {@code acks=all}, then restarted on the same data directory: every acknowledged record is there.
 */
@Timeout(180)
class BrokerProcessKillTest
{
    @TempDir
    Path dir;

    private final List<Process> processes = java.util.Collections.synchronizedList(new ArrayList<>());
    private final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-kill-" + UUID.randomUUID();

    @AfterEach
    void cleanUp()
    {
        for (final Process process : processes)
        {
            process.destroyForcibly();
        }
        IoUtil.delete(new File(aeronDir), true);
    }

    @Test
    void everyAcknowledgedRecordSurvivesKillMinusNine() throws Exception
    {
        final Path data = dir.resolve("data");
        final int port = SpindleProcess.freeUdpPort();
        final String bootstrap = "127.0.0.1:" + port;

        Process broker = startBroker(data, port);
        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            admin.createTopic("payments", 3, Map.of());
        }

        final Map<String, Long> ackedOffsets = new ConcurrentHashMap<>();
        final Producer.Context producerCtx = new Producer.Context().acks(-1).deliveryTimeoutMs(5_000);
        producerCtx.bootstrap(bootstrap).connectTimeoutMs(10_000).requestTimeoutMs(10_000);
        int sent = 0;
        try (Producer producer = Producer.connect(producerCtx))
        {
            final long killAfterNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            boolean killed = false;
            final long stopNs = killAfterNs + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < stopNs)
            {
                final String value = "payment-" + sent;
                final byte[] key = ("k" + (sent % 11)).getBytes(StandardCharsets.UTF_8);
                try
                {
                    final int result = producer.send("payments", -1, key, value.getBytes(StandardCharsets.UTF_8),
                        (partition, offset, code) ->
                        {
                            if (ErrorCode.NONE == code)
                            {
                                ackedOffsets.put(value, offset);
                            }
                        });
                    if (result == Producer.OK)
                    {
                        sent++;
                    }
                    producer.poll();
                }
                catch (final SpindleException ex)
                {
                    break;
                }
                if (!killed && System.nanoTime() > killAfterNs && ackedOffsets.size() > 100)
                {
                    broker.destroyForcibly();
                    assertTrue(broker.waitFor(10, TimeUnit.SECONDS));
                    killed = true;
                }
            }
            assertTrue(killed, "the broker was never killed; acked " + ackedOffsets.size());
        }
        catch (final SpindleException ignore)
        {
            // Closing a producer whose broker is gone fails what is outstanding: expected here.
        }
        assertTrue(ackedOffsets.size() > 100, "too few records acknowledged before the kill: " + ackedOffsets.size());

        broker = startBroker(data, port);
        final Map<String, Long> found = new ConcurrentHashMap<>();
        try (Consumer consumer = Consumer.connect((Consumer.Context)new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST).bootstrap(bootstrap).connectTimeoutMs(10_000)))
        {
            consumer.assign(List.of(
                new TopicPartition("payments", 0), new TopicPartition("payments", 1), new TopicPartition("payments",
                    2)));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int idlePolls = 0;
            while (System.nanoTime() < deadlineNs && idlePolls < 20)
            {
                final int n = consumer.poll((record) -> found.put(record.valueAsString(), record.offset()), 1000, 100);
                idlePolls = n == 0 ? idlePolls + 1 : 0;
            }
        }
        broker.destroy();
        assertTrue(broker.waitFor(20, TimeUnit.SECONDS), "broker did not stop on SIGTERM");

        final List<String> missing = new ArrayList<>();
        for (final Map.Entry<String, Long> entry : ackedOffsets.entrySet())
        {
            final Long offset = found.get(entry.getKey());
            if (null == offset)
            {
                missing.add(entry.getKey());
            }
        }
        assertEquals(List.of(), missing, "acknowledged records missing after restart (acked " +
            ackedOffsets.size() + ", found " + found.size() + ", sent " + sent + ")");
    }

    @Test
    void consumeProcessCarriesOnAcrossBrokerRestarts() throws Exception
    {
        final Path data = dir.resolve("data");
        final int port = SpindleProcess.freeUdpPort();
        final String bootstrap = "127.0.0.1:" + port;
        Process broker = startBroker(data, port);
        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            admin.createTopic("ticks", 1, Map.of());
        }
        final List<String> sent = new ArrayList<>();
        produceTicks(bootstrap, sent, 50);

        final Process consume = startCli("consume", "--bootstrap", bootstrap, "--topic", "ticks", "--from-beginning",
            "--max-messages", "150");
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Thread reader = new Thread(() ->
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(consume.getInputStream(),
                StandardCharsets.UTF_8));
            try
            {
                String line;
                while (null != (line = out.readLine()))
                {
                    lines.add(line);
                }
            }
            catch (final IOException ignore)
            {
                // The process ended.
            }
        }, "consume-output");
        reader.setDaemon(true);
        reader.start();
        final List<String> printed = new ArrayList<>();
        readLines(lines, reader, printed, 50);

        // SIGKILL: no goodbye from the broker; the consumer finds out from the transport.
        broker.destroyForcibly();
        assertTrue(broker.waitFor(10, TimeUnit.SECONDS));
        broker = startBroker(data, port);
        produceTicks(bootstrap, sent, 50);
        readLines(lines, reader, printed, 100);

        // SIGTERM: the broker closes the sessions as it goes.
        broker.destroy();
        assertTrue(broker.waitFor(20, TimeUnit.SECONDS), "broker did not stop on SIGTERM");
        broker = startBroker(data, port);
        produceTicks(bootstrap, sent, 50);
        readLines(lines, reader, printed, 150);

        assertTrue(consume.waitFor(30, TimeUnit.SECONDS), "consume did not exit after --max-messages");
        assertEquals(0, consume.exitValue());
        assertEquals(sent, printed);
    }

    @Test
    void idempotentProducerWritesEveryRecordOnceInOrderAcrossKillMinusNine() throws Exception
    {
        final Path data = dir.resolve("data");
        final int port = SpindleProcess.freeUdpPort();
        final String bootstrap = "127.0.0.1:" + port;
        final Process[] broker = {startBroker(data, port)};
        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            admin.createTopic("orders", 3, Map.of());
        }

        // The default producer: idempotent, acks=all. Its broker is killed and restarted under it.
        final Producer.Context ctx = new Producer.Context().deliveryTimeoutMs(60_000);
        ctx.bootstrap(bootstrap).connectTimeoutMs(10_000).requestTimeoutMs(10_000);
        final int total = 30_000;
        final Map<String, Long> ackedOffsets = new ConcurrentHashMap<>();
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        final Thread killer = new Thread(() ->
        {
            try
            {
                while (ackedOffsets.size() < total / 3)
                {
                    Thread.sleep(5);
                }
                broker[0].destroyForcibly();
                broker[0].waitFor(10, TimeUnit.SECONDS);
                broker[0] = startBroker(data, port);
            }
            catch (final Exception ex)
            {
                failures.add("restart failed: " + ex);
            }
        }, "killer");
        killer.start();
        try (Producer producer = Producer.connect(ctx))
        {
            for (int i = 0; i < total; i++)
            {
                final String value = "order-" + i;
                final byte[] key = ("k" + (i % 11)).getBytes(StandardCharsets.UTF_8);
                while (producer.send("orders", -1, key, value.getBytes(StandardCharsets.UTF_8),
                    (partition, offset, code) ->
                    {
                        if (ErrorCode.NONE == code)
                        {
                            ackedOffsets.put(value, offset);
                        }
                        else
                        {
                            failures.add(value + ": " + code);
                        }
                    }) == Producer.BACK_PRESSURED)
                {
                    producer.poll();
                    Thread.yield();
                }
                if (0 == i % 100)
                {
                    // A paced sender, so the kill lands while requests are in flight.
                    Thread.sleep(1);
                }
            }
            producer.flush();
        }
        killer.join(60_000);
        assertEquals(List.of(), failures);
        assertEquals(total, ackedOffsets.size(), "every record acknowledged");

        final Map<Integer, List<String>> byPartition = new ConcurrentHashMap<>();
        final Map<String, Long> found = new ConcurrentHashMap<>();
        final List<String> duplicates = new ArrayList<>();
        try (Consumer consumer = Consumer.connect((Consumer.Context)new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST).bootstrap(bootstrap).connectTimeoutMs(10_000)))
        {
            consumer.assign(List.of(
                new TopicPartition("orders", 0), new TopicPartition("orders", 1), new TopicPartition("orders", 2)));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (found.size() + duplicates.size() < total && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll((record) ->
                {
                    final String value = record.valueAsString();
                    if (null != found.put(value, record.offset()))
                    {
                        duplicates.add(value);
                    }
                    byPartition.computeIfAbsent(record.partition(), (p) -> new ArrayList<>()).add(value);
                }, 1000, 100);
            }
            // Anything beyond the acknowledged records would be a duplicate: look a little longer for one.
            for (int i = 0; i < 5; i++)
            {
                consumer.poll((record) -> duplicates.add(record.valueAsString()), 1000, 100);
            }
        }
        assertEquals(List.of(), duplicates, "records written twice");
        assertEquals(ackedOffsets, found, "every record once, at the offset it was acknowledged at");
        for (final List<String> values : byPartition.values())
        {
            // Per key (and so per partition) in the order sent.
            final Map<String, Integer> lastByKey = new java.util.HashMap<>();
            for (final String value : values)
            {
                final int index = Integer.parseInt(value.substring("order-".length()));
                final String key = "k" + (index % 11);
                final Integer last = lastByKey.put(key, index);
                assertTrue(null == last || last < index, "order broken at " + value + " after order-" + last);
            }
        }
    }

    @Test
    void produceCommandCarriesOnAcrossKillMinusNineWritingEachLineOnce() throws Exception
    {
        final Path data = dir.resolve("data");
        final int port = SpindleProcess.freeUdpPort();
        final String bootstrap = "127.0.0.1:" + port;
        Process broker = startBroker(data, port);
        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            admin.createTopic("lines", 1, Map.of());
        }
        final File stderr = dir.resolve("produce.err").toFile();
        final Process produce = startCli(stderr, "produce", "--bootstrap", bootstrap, "--topic", "lines");
        final int total = 6_000;
        try (java.io.Writer in = new java.io.OutputStreamWriter(produce.getOutputStream(), StandardCharsets.UTF_8))
        {
            for (int i = 0; i < total; i++)
            {
                in.write("line-" + i + "\n");
                if (0 == i % 50)
                {
                    in.flush();
                    Thread.sleep(2);
                }
                if (i == total / 2)
                {
                    broker.destroyForcibly();
                    assertTrue(broker.waitFor(10, TimeUnit.SECONDS));
                    broker = startBroker(data, port);
                }
            }
        }
        assertTrue(produce.waitFor(90, TimeUnit.SECONDS), "spindle produce did not finish");
        final String err = java.nio.file.Files.readString(stderr.toPath());
        assertEquals(0, produce.exitValue(), err);
        assertTrue(err.contains("acked " + total), err);

        final List<String> found = new ArrayList<>();
        try (Consumer consumer = Consumer.connect((Consumer.Context)new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST).bootstrap(bootstrap).connectTimeoutMs(10_000)))
        {
            consumer.assign(List.of(new TopicPartition("lines", 0)));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int idlePolls = 0;
            while (System.nanoTime() - deadlineNs < 0 && (found.size() < total || idlePolls < 5))
            {
                final int n = consumer.poll((record) -> found.add(record.valueAsString()), 1000, 100);
                idlePolls = 0 == n ? idlePolls + 1 : 0;
            }
        }
        final List<String> expected = new ArrayList<>();
        for (int i = 0; i < total; i++)
        {
            expected.add("line-" + i);
        }
        assertEquals(expected, found, "each line once, in order");
    }

    @Test
    void sigtermAbortsTheOpenTransactionOfATransactionalProduce() throws Exception
    {
        final Path data = dir.resolve("data");
        final int port = SpindleProcess.freeUdpPort();
        final String bootstrap = "127.0.0.1:" + port;
        final Process broker = startBroker(data, port);
        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            admin.createTopic("journal", 1, Map.of());
        }
        final File stderr = dir.resolve("produce.err").toFile();
        final Process produce = startCli(stderr, "produce", "--bootstrap", bootstrap, "--topic", "journal",
            "--transactional-id", "journal-writer", "--transaction-records", "1000");
        final java.io.Writer in = new java.io.OutputStreamWriter(produce.getOutputStream(), StandardCharsets.UTF_8);
        for (int i = 0; i < 10; i++)
        {
            in.write("entry-" + i + "\n");
        }
        in.flush();
        // The ten records are sent (read_uncommitted sees them) in a transaction left open: then SIGTERM.
        assertEquals(10, readAll(bootstrap, "journal", io.spindle.codecs.protocol.IsolationLevel.READ_UNCOMMITTED,
            10).size());
        // SIGTERM with standard input still open (Process.destroy would also close it: an end of input, which
        // commits).
        assertEquals(0, new ProcessBuilder("kill", "-TERM", String.valueOf(produce.pid())).start().waitFor());
        assertTrue(produce.waitFor(30, TimeUnit.SECONDS), "spindle produce did not stop on SIGTERM");
        final String err = java.nio.file.Files.readString(stderr.toPath());
        assertTrue(err.contains("committed 0 transactions, acked 0"), err);

        // Aborted, not left open: a record written after it is readable by read_committed, the ten never are.
        final Producer.Context ctx = new Producer.Context();
        ctx.bootstrap(bootstrap).connectTimeoutMs(10_000);
        try (Producer producer = Producer.connect(ctx))
        {
            producer.sendSync("journal", 0, null, "after".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("after"), readAll(bootstrap, "journal",
            io.spindle.codecs.protocol.IsolationLevel.READ_COMMITTED, 1), err);
        broker.destroy();
        assertTrue(broker.waitFor(20, TimeUnit.SECONDS), "broker did not stop on SIGTERM");
    }

    private static List<String> readAll(
        final String bootstrap, final String topic, final io.spindle.codecs.protocol.IsolationLevel level,
        final int expected)
    {
        final List<String> values = new ArrayList<>();
        try (Consumer consumer = Consumer.connect((Consumer.Context)new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST).isolationLevel(level).bootstrap(bootstrap)
            .connectTimeoutMs(10_000)))
        {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.size() < expected && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll((record) -> values.add(record.valueAsString()), 100, 100);
            }
            // A moment longer: more than expected would be records that must not be read.
            final long untilNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            while (System.nanoTime() - untilNs < 0)
            {
                consumer.poll((record) -> values.add(record.valueAsString()), 100, 50);
            }
        }
        return values;
    }

    private void produceTicks(final String bootstrap, final List<String> sent, final int count)
    {
        final Producer.Context ctx = new Producer.Context().acks(-1);
        ctx.bootstrap(bootstrap).connectTimeoutMs(10_000).requestTimeoutMs(10_000);
        try (Producer producer = Producer.connect(ctx))
        {
            for (int i = 0; i < count; i++)
            {
                final String value = "tick-" + sent.size();
                producer.sendSync("ticks", 0, null, value.getBytes(StandardCharsets.UTF_8));
                sent.add(value);
            }
        }
    }

    private static void readLines(
        final BlockingQueue<String> lines, final Thread reader, final List<String> printed, final int total)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (printed.size() < total && System.nanoTime() - deadlineNs < 0)
        {
            final String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (null != line)
            {
                printed.add(line);
            }
            else if (!reader.isAlive() && lines.isEmpty())
            {
                break;
            }
        }
        assertEquals(total, printed.size(), "lines printed by spindle consume: " + printed);
    }

    private Process startCli(final String... args) throws IOException
    {
        return startCli(null, args);
    }

    private Process startCli(final File stderr, final String... args) throws IOException
    {
        final String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx256m",
            "-cp", classpath,
            SpindleCli.class.getName()));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectError(null == stderr ?
            ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.to(stderr)).start();
        processes.add(process);
        return process;
    }

    private Process startBroker(final Path data, final int port) throws Exception
    {
        final SpindleProcess broker = SpindleProcess.startBroker(aeronDir, data, port);
        processes.add(broker.process());
        return broker.process();
    }

}
