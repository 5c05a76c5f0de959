package io.spindle.host;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --aeron-dir D} of a broker: a driver running in D is used and left running; with none there, the broker
 * starts one in D (before, it waited for a driver that never came and failed).
 */
@Timeout(60)
class BrokerAeronDirTest
{
    @TempDir
    Path dir;

    private final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-aeron-dir-" + UUID.randomUUID();

    @AfterEach
    void deleteAeronDir()
    {
        IoUtil.delete(new File(aeronDir), true);
    }

    @Test
    void aBrokerGivenAnEmptyDirectoryStartsADriverThereAndServes() throws Exception
    {
        Files.createDirectories(Path.of(aeronDir));
        try (StandaloneBroker broker = launch())
        {
            assertTrue(broker.isDriverStarted());
            assertEquals(aeronDir, broker.aeronDirectoryName());
            assertTrue(DriverDirectory.isDriverRunning(new File(aeronDir)));
            assertEquals(ProcessHandle.current().pid(), DriverDirectory.ownerPid(new File(aeronDir)));
            assertEquals(List.of("served"), createAndList("served"));
        }
        assertFalse(DriverDirectory.isDriverActive(new File(aeronDir)), "the broker's own driver outlived it");
    }

    @Test
    void aBrokerGivenADirectoryWithARunningDriverUsesItAndLeavesItRunning() throws IOException
    {
        try (MediaDriver driver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)))
        {
            final Object cncKey = cncFileKey();
            try (StandaloneBroker broker = launch())
            {
                assertFalse(broker.isDriverStarted());
                assertEquals(aeronDir, broker.aeronDirectoryName());
                assertEquals(List.of("shared"), createAndList("shared"));
            }
            assertTrue(DriverDirectory.isDriverActive(new File(aeronDir)), "closing the broker stopped the driver");
            assertEquals(cncKey, cncFileKey(), "the driver's cnc.dat was replaced");
            try (StandaloneBroker again = launch())
            {
                assertFalse(again.isDriverStarted());
                assertEquals(List.of("shared"), createAndList("shared"));
            }
            assertTrue(driver.context().cncFile().exists());
        }
    }

    private StandaloneBroker launch()
    {
        return StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("data"))
            .aeronDirectoryName(aeronDir)
            .listen("127.0.0.1", 0)
            .brokerIdleStrategy("backoff")
            .driverIdleStrategy("backoff"));
    }

    private Object cncFileKey() throws IOException
    {
        return Files.readAttributes(Path.of(aeronDir, CncFileDescriptor.CNC_FILE), BasicFileAttributes.class)
            .fileKey();
    }

    private List<String> createAndList(final String topic)
    {
        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            if (admin.listTopics().stream().noneMatch((listing) -> listing.name().equals(topic)))
            {
                admin.createTopic(topic, 1, Map.of());
            }
            return admin.listTopics().stream().map(TopicListing::name).sorted().toList();
        }
    }
}
