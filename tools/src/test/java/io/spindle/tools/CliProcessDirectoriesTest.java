package io.spindle.tools;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.aeron.CommonContext;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.TopicPartition;
import io.spindle.driver.DriverDirectory;
import io.spindle.driver.SchedulerSliceTestSupport;
import io.spindle.host.StandaloneBroker;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle} commands as processes sharing directories by mistake, and killed: a second broker on a
 * data directory in use, a broker whose driver directory is deleted, UDP clients ended with SIGINT,
 * SIGTERM and SIGKILL and the driver directories they leave.
 */
@Timeout(180)
class CliProcessDirectoriesTest
{
    @TempDir
    Path dir;

    private final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-proc-" + UUID.randomUUID();
    private final String otherAeronDir = aeronDir + "-other";
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
        IoUtil.delete(new File(aeronDir), true);
        IoUtil.delete(new File(otherAeronDir), true);
    }

    @Test
    void aSecondBrokerOnTheSameDataDirectoryExitsNamingTheFirstWhichServesOn() throws Exception
    {
        final SpindleProcess first = broker(aeronDir, dir.resolve("data"));
        // Start-up says whether the kernel gave the record path's threads their scheduler slice.
        final String slice = first.awaitLine("scheduler slice ", 30_000);
        assertEquals(SchedulerSliceTestSupport.kernelGivesSlices(), "scheduler slice 100us".equals(slice), slice);
        first.awaitLine("listening udp", 30_000);

        final SpindleProcess second = broker(otherAeronDir, dir.resolve("data"));
        assertEquals(1, second.awaitExit(30_000), String.join("\n", second.output()));
        final List<String> output = second.output();
        assertEquals(1, output.size(), "one line, no stack trace: " + output);
        assertTrue(output.get(0).startsWith("spindle broker: data directory ") &&
            output.get(0).contains("in use by another broker (another process, pid " + first.process().pid() + ")"),
            output.get(0));
        assertFalse(new File(otherAeronDir).exists(), "the refused broker started a media driver");

        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            admin.createTopic("served", 1, Map.of());
            assertEquals("served", admin.listTopics().get(0).name());
        }
    }

    @Test
    void aBrokerWhoseDriverDirectoryIsDeletedSaysSoAndExitsNonZero() throws Exception
    {
        final SpindleProcess broker = broker(aeronDir, dir.resolve("data"));
        broker.awaitLine("listening udp", 30_000);

        IoUtil.delete(new File(aeronDir), false);

        assertEquals(1, broker.awaitExit(20_000), String.join("\n", broker.output()));
        final List<String> output = broker.output();
        assertTrue(output.stream().anyMatch((line) -> line.startsWith("spindle broker: lost its media driver")),
            String.join("\n", output));
        assertTrue(output.stream().noneMatch((line) -> line.startsWith("\tat ")), String.join("\n", output));
    }

    @Test
    void udpClientsEndedBySignalsLeaveNoDriverDirectoryForLong() throws Exception
    {
        final StandaloneBroker broker = StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("data"))
            .embeddedDriverDirectoryName(aeronDir)
            .listen("127.0.0.1", 0)
            .brokerIdleStrategy("backoff")
            .driverIdleStrategy("backoff"));
        closeables.add(broker);
        final String bootstrap = broker.udpEndpoint();
        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            admin.createTopic("t", 1, Map.of());
        }

        // SIGINT to a producer waiting on its standard input. A process started in the background of a shell without
        // job control inherits SIGINT ignored, and a JVM keeps it ignored: then the producer is sent SIGTERM instead.
        final String interrupt = isSigintIgnored() ? "-TERM" : "-INT";
        final SpindleProcess producer = client("produce", "--bootstrap", bootstrap, "--topic", "t");
        producer.stdin().write("first\n".getBytes(StandardCharsets.UTF_8));
        producer.stdin().flush();
        awaitRecord("first", 0);
        assertEquals(1, driverDirectoriesOf(producer).size());
        new ProcessBuilder("kill", interrupt, Long.toString(producer.process().pid())).start().waitFor();
        producer.awaitExit(20_000);
        assertEquals(List.of(), driverDirectoriesOf(producer), interrupt + " left the producer's driver directory");

        // SIGTERM to a consumer.
        final SpindleProcess terminated = client("consume", "--bootstrap", bootstrap, "--topic", "t",
            "--from-beginning");
        terminated.awaitLine("first", 30_000);
        assertEquals(1, driverDirectoriesOf(terminated).size());
        terminated.process().destroy();
        terminated.awaitExit(20_000);
        assertEquals(List.of(), driverDirectoriesOf(terminated), "SIGTERM left the consumer's driver directory");

        // SIGKILL cannot be caught: the directory stays until the next client starts and sweeps it.
        final SpindleProcess killed = client("consume", "--bootstrap", bootstrap, "--topic", "t",
            "--from-beginning");
        killed.awaitLine("first", 30_000);
        final List<File> left = driverDirectoriesOf(killed);
        assertEquals(1, left.size());
        killed.process().destroyForcibly();
        killed.awaitExit(20_000);
        assertTrue(left.get(0).exists());

        try (Admin admin = Admin.connect(new ClientContext().bootstrap(bootstrap)))
        {
            assertEquals(1, admin.listTopics().size());
            assertFalse(left.get(0).exists(), "the killed consumer's driver directory was not swept");
        }
    }

    private void awaitRecord(final String value, final long offset)
    {
        try (Consumer consumer = Consumer.connect((Consumer.Context)new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST).bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            consumer.assign(List.of(new TopicPartition("t", 0)));
            final String[] found = new String[1];
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (null == found[0] && System.nanoTime() < deadlineNs)
            {
                consumer.poll((record) -> found[0] = record.offset() == offset ? record.valueAsString() : found[0],
                    10, 200);
            }
            assertEquals(value, found[0]);
        }
    }

    private static List<File> driverDirectoriesOf(final SpindleProcess process)
    {
        final File[] dirs = DriverDirectory.clientDirectoryParent().listFiles((d, name) ->
            name.startsWith(DriverDirectory.CLIENT_PREFIX + process.process().pid() + "-"));
        return null == dirs ? List.of() : List.of(dirs);
    }

    private SpindleProcess broker(final String aeronDir, final Path dataDir) throws Exception
    {
        final SpindleProcess process = SpindleProcess.start(List.of("-Dspindle.embedded.driver.dir=" + aeronDir),
            "broker", "--data-dir", dataDir.toString(), "--listen", "127.0.0.1:0");
        closeables.add(process);
        return process;
    }

    private SpindleProcess client(final String... args) throws Exception
    {
        final SpindleProcess process = SpindleProcess.start(List.of(), args);
        closeables.add(process);
        return process;
    }

    /**
     * Whether this JVM, and so every process it starts, has SIGINT ignored (inherited from a shell that started the
     * build in the background without job control); such a process never sees a SIGINT.
     */
    private static boolean isSigintIgnored() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("SigIgn:"))
            {
                final boolean ignored = (Long.parseLong(line.substring("SigIgn:".length()).trim(), 16) & 2L) != 0;
                if (ignored)
                {
                    System.out.println("SIGINT is ignored in this environment (inherited): SIGTERM instead");
                }
                return ignored;
            }
        }
        return false;
    }
}
