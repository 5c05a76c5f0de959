package io.spindle.tools;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramSocket;
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

    private final List<Process> processes = new ArrayList<>();
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
        final int port = freeUdpPort();
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
                new TopicPartition("payments", 0), new TopicPartition("payments", 1), new TopicPartition("payments", 2)));
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
        final int port = freeUdpPort();
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
        final String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx256m",
            "-cp", classpath,
            SpindleCli.class.getName()));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(process);
        return process;
    }

    private Process startBroker(final Path data, final int port) throws Exception
    {
        final SpindleProcess broker = SpindleProcess.start(List.of("-Dspindle.embedded.driver.dir=" + aeronDir),
            "broker", "--data-dir", data.toString(), "--listen", "127.0.0.1:" + port);
        processes.add(broker.process());
        broker.awaitLine("listening udp", 30_000);
        return broker.process();
    }

    private static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0))
        {
            return socket.getLocalPort();
        }
    }
}
