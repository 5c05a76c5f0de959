package io.spindle.host;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.TopicListing;
import io.spindle.driver.DriverDirectory;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Directories shared by mistake: a client pointed at a live broker's driver directory, a second broker on
 * a data directory or driver directory in use, a broker whose driver directory is deleted under it, and
 * the driver directories that clients killed with SIGKILL leave behind.
 */
@Timeout(120)
class SharedDirectoriesTest
{
    @TempDir
    Path dir;

    private final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-shared-" + UUID.randomUUID();

    @AfterEach
    void deleteAeronDir()
    {
        IoUtil.delete(new File(aeronDir), true);
    }

    @Test
    void aUdpClientGivenTheBrokersDriverDirectoryLeavesTheBrokerServing() throws IOException
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            final Object cncKey = cncFileKey(broker.aeronDir());
            final String before = System.getProperty(CommonContext.AERON_DIR_PROP_NAME);
            System.setProperty(CommonContext.AERON_DIR_PROP_NAME, broker.aeronDir());
            try (Admin admin = Admin.connect(broker.udp(new ClientContext())))
            {
                admin.createTopic("by-property", 1, Map.of());
            }
            finally
            {
                restoreProperty(CommonContext.AERON_DIR_PROP_NAME, before);
            }
            try (Admin admin = Admin.connect(broker.udp(new ClientContext()).aeronDirectoryName(broker.aeronDir())))
            {
                admin.createTopic("by-context", 1, Map.of());
            }

            assertEquals(cncKey, cncFileKey(broker.aeronDir()), "the broker's cnc.dat was deleted or replaced");
            try (Admin admin = Admin.connect(broker.udp(new ClientContext())))
            {
                assertEquals(List.of("by-context", "by-property"), names(admin.listTopics()));
            }
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                assertEquals(2, admin.listTopics().size());
            }
            assertNull(broker.broker().failure());
        }
    }

    @Test
    void aBrokerWhoseDriverDirectoryIsDeletedSaysSoAndStops() throws Exception
    {
        final CompletableFuture<String> reason = new CompletableFuture<>();
        try (StandaloneBroker broker = StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("data"))
            .embeddedDriverDirectoryName(aeronDir)
            .listen("127.0.0.1", 0)
            .brokerIdleStrategy("backoff")
            .driverIdleStrategy("backoff")
            .terminationHook(reason::complete)))
        {
            IoUtil.delete(new File(aeronDir), false);

            final String said = reason.get(10, TimeUnit.SECONDS);
            assertTrue(said.contains("lost its media driver") && said.contains(aeronDir), said);
            assertEquals(said, broker.failure());
        }
    }

    @Test
    void aBrokerWhoseExternalDriverStopsSaysSo() throws Exception
    {
        final CompletableFuture<String> reason = new CompletableFuture<>();
        final MediaDriver driver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(false));
        final String before = System.getProperty(CommonContext.DRIVER_TIMEOUT_PROP_NAME);
        final StandaloneBroker broker;
        System.setProperty(CommonContext.DRIVER_TIMEOUT_PROP_NAME, "1000");
        try
        {
            broker = StandaloneBroker.launch(new StandaloneBroker.Context()
                .dataDir(dir.resolve("data"))
                .aeronDirectoryName(aeronDir)
                .listen("127.0.0.1", 0)
                .brokerIdleStrategy("backoff")
                .terminationHook(reason::complete));
        }
        finally
        {
            restoreProperty(CommonContext.DRIVER_TIMEOUT_PROP_NAME, before);
        }
        try (broker)
        {
            driver.close();

            final String said = reason.get(20, TimeUnit.SECONDS);
            assertTrue(said.contains("lost its media driver") && said.contains("driver timeout"), said);
        }
    }

    @Test
    void aSecondBrokerOnTheSameDataDirectoryIsRefusedAndTheFirstServesOn()
    {
        try (TestBroker first = TestBroker.start(dir.resolve("data")))
        {
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> StandaloneBroker.launch(new StandaloneBroker.Context()
                    .dataDir(dir.resolve("data"))
                    .embeddedDriverDirectoryName(aeronDir)
                    .listen("127.0.0.1", 0)));
            assertTrue(refused.getMessage().contains("is in use by another broker") &&
                refused.getMessage().contains("pid " + ProcessHandle.current().pid()), refused.getMessage());
            assertFalse(new File(aeronDir).exists(), "the refused broker started a driver");

            try (Admin admin = Admin.connect(first.ipc(new ClientContext())))
            {
                admin.createTopic("still-served", 1, Map.of());
            }
        }

        // Released on close: the directory can be opened again, and the topic is there.
        try (TestBroker again = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(again.ipc(new ClientContext())))
        {
            assertEquals(List.of("still-served"), names(admin.listTopics()));
        }
    }

    @Test
    void aSecondBrokerOnADriverDirectoryInUseIsRefusedClearly()
    {
        try (StandaloneBroker first = StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("first"))
            .embeddedDriverDirectoryName(aeronDir)
            .listen("127.0.0.1", 0)
            .brokerIdleStrategy("backoff")
            .driverIdleStrategy("backoff")))
        {
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> StandaloneBroker.launch(new StandaloneBroker.Context()
                    .dataDir(dir.resolve("second"))
                    .embeddedDriverDirectoryName(aeronDir)
                    .listen("127.0.0.1", 0)));
            assertTrue(refused.getMessage().contains("a media driver is already running in " + aeronDir),
                refused.getMessage());

            try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
            {
                admin.createTopic("still-served", 1, Map.of());
            }
            assertNull(first.failure());
        }
    }

    @Test
    void clientDriverDirectoriesOfDeadProcessesAreSweptWhenAClientStarts() throws Exception
    {
        final Process exited = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(exited.waitFor(30, TimeUnit.SECONDS));
        final File parent = DriverDirectory.clientDirectoryParent();
        final File deadOwner = new File(parent, DriverDirectory.CLIENT_PREFIX + exited.pid() + "-1");
        final File liveOwner = new File(parent, DriverDirectory.CLIENT_PREFIX + ProcessHandle.current().pid() +
            "-" + Integer.MAX_VALUE);
        try
        {
            assertTrue(new File(deadOwner, "images").mkdirs() && liveOwner.mkdirs());
            Files.write(deadOwner.toPath().resolve("images").resolve("1.logbuffer"), new byte[4096]);

            try (TestBroker broker = TestBroker.start(dir.resolve("data"));
                Admin admin = Admin.connect(broker.udp(new ClientContext())))
            {
                assertEquals(List.of(), admin.listTopics());
                assertFalse(deadOwner.exists(), "a dead client's driver directory was not swept");
                assertTrue(liveOwner.exists(), "a live process's directory was swept");
                assertEquals(1, clientDirectoriesOf(parent, ProcessHandle.current().pid()) - 1,
                    "the client's own driver directory");
            }
            assertEquals(0, clientDirectoriesOf(parent, ProcessHandle.current().pid()) - 1,
                "a closed client left its driver directory");
        }
        finally
        {
            IoUtil.delete(deadOwner, true);
            IoUtil.delete(liveOwner, true);
        }
    }

    private static int clientDirectoriesOf(final File parent, final long pid)
    {
        final String[] names = parent.list((d, name) -> name.startsWith(DriverDirectory.CLIENT_PREFIX + pid + "-"));
        return null == names ? 0 : names.length;
    }

    private static Object cncFileKey(final String aeronDir) throws IOException
    {
        return Files.readAttributes(Path.of(aeronDir, CncFileDescriptor.CNC_FILE), BasicFileAttributes.class)
            .fileKey();
    }

    private static List<String> names(final List<TopicListing> topics)
    {
        return topics.stream().map(TopicListing::name).sorted().toList();
    }

    private static void restoreProperty(final String name, final String before)
    {
        if (null == before)
        {
            System.clearProperty(name);
        }
        else
        {
            System.setProperty(name, before);
        }
    }
}
