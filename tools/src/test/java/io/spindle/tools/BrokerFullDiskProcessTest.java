package io.spindle.tools;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.aeron.CommonContext;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.SmallFileSystem;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle broker} as its own process with its data directory on a full disk (a real small tmpfs; skipped
 * where one cannot be mounted): a change it cannot persist makes it exit non-zero with one clear line, never
 * linger; a restart on the still-full disk serves (refusing produce), or, when recovery has to write, refuses to
 * start with one clear line; once space is freed everything acknowledged is there.
 */
@Timeout(120)
class BrokerFullDiskProcessTest
{
    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-full-" + UUID.randomUUID();
    private SmallFileSystem fs;
    private Thread drain;

    @AfterEach
    void cleanUp() throws Exception
    {
        for (final Process process : processes)
        {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        IoUtil.delete(new File(aeronDir), true);
        if (null != fs)
        {
            fs.close();
        }
    }

    @Test
    void aBrokerOutOfDiskExitsWithOneLineAndRestartsWithoutLosingAcknowledgedRecords() throws Exception
    {
        fs = SmallFileSystem.mount(dir.resolve("mnt"), "4m");
        final Path data = fs.root().resolve("data");

        final List<String> output = new CopyOnWriteArrayList<>();
        Process broker = startBroker(data, output);
        final List<Long> acked = new ArrayList<>();
        try (Admin admin = Admin.connect(ipc(new ClientContext()).requestTimeoutMs(3_000)))
        {
            admin.createTopic("t", 1, Map.of());
            try (Producer producer = Producer.connect(ipc(new Producer.Context().acks(-1))))
            {
                for (int i = 0; i < 200; i++)
                {
                    acked.add(producer.sendSync("t", 0, null, new byte[100]));
                }
            }
            final Path filler = fs.fill("filler");
            // Deleting the topic is a metadata change the full disk cannot take: the broker must stop, not linger.
            assertThrows(SpindleException.class, () -> admin.deleteTopic("t"));
            assertTrue(broker.waitFor(20, TimeUnit.SECONDS), "broker still running: " + output);
            drain.join(10_000);
            assertEquals(1, broker.exitValue(), String.join("\n", output));
            assertOneLine(output, "spindle broker: cannot persist the broker's metadata, stopping:");

            // Restart on the still-full disk (closing trimmed the segment's unused reservation: fill that too):
            // recovery only reads, so it serves and refuses produce.
            fs.fill("filler-2");
            output.clear();
            broker = startBroker(data, output);
            try (Producer producer = Producer.connect(ipc(new Producer.Context().acks(-1))))
            {
                final SpindleException full = assertThrows(SpindleException.class,
                    () -> producer.sendSync("t", 0, null, new byte[100]));
                assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, full.errorCode());
            }
            broker.destroy();
            assertTrue(broker.waitFor(20, TimeUnit.SECONDS), "broker did not stop on SIGTERM");

            // Without its indexes recovery must write, and cannot: it refuses to start, in one line.
            try (Stream<Path> files = Files.list(data.resolve("t-0")))
            {
                for (final Path file : files.filter((f) -> f.toString().endsWith("index")).toList())
                {
                    Files.delete(file);
                }
            }
            fs.fill("filler-3");
            output.clear();
            final Process refused = start(data);
            assertTrue(refused.waitFor(30, TimeUnit.SECONDS), "broker did not exit");
            output.addAll(
                new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList());
            assertEquals(1, refused.exitValue(), String.join("\n", output));
            assertOneLine(output, "spindle broker: cannot start: cannot rebuild the indexes of");

            Files.delete(filler);
            Files.delete(fs.root().resolve("filler-2"));
            Files.delete(fs.root().resolve("filler-3"));
            output.clear();
            broker = startBroker(data, output);
            try (Producer producer = Producer.connect(ipc(new Producer.Context().acks(-1))))
            {
                assertEquals(acked.size(), producer.sendSync("t", 0, null, new byte[100]));
            }
        }
    }

    private static void assertOneLine(final List<String> output, final String prefix)
    {
        final String all = String.join("\n", output);
        assertTrue(output.stream().anyMatch((line) -> line.startsWith(prefix) &&
            line.contains("No space left on device")), all);
        assertFalse(output.stream().anyMatch((line) -> line.startsWith("\tat ")), "a stack trace: " + all);
    }

    private <T extends ClientContext> T ipc(final T ctx)
    {
        ctx.bootstrap("ipc").aeronDirectoryName(aeronDir).connectTimeoutMs(10_000).requestTimeoutMs(5_000);
        return ctx;
    }

    private Process start(final Path data) throws IOException
    {
        final String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
            "-Xmx256m",
            "-Dspindle.embedded.driver.dir=" + aeronDir,
            "-Dspindle.log.segment.bytes=1m",
            "-cp", classpath,
            SpindleCli.class.getName(),
            "broker", "--data-dir", data.toString(), "--listen", "127.0.0.1:0"));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        processes.add(process);
        return process;
    }

    private Process startBroker(final Path data, final List<String> output) throws IOException
    {
        final Process process = start(data);
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        String line;
        while (null != (line = out.readLine()))
        {
            output.add(line);
            if (line.startsWith("listening udp"))
            {
                drain = new Thread(() -> drain(out, output), "broker-output");
                drain.setDaemon(true);
                drain.start();
                return process;
            }
        }
        throw new AssertionError("broker did not start: " + String.join("\n", output));
    }

    private static void drain(final BufferedReader out, final List<String> output)
    {
        try
        {
            String line;
            while (null != (line = out.readLine()))
            {
                output.add(line);
            }
        }
        catch (final IOException ignore)
        {
            // The process ended.
        }
    }
}
