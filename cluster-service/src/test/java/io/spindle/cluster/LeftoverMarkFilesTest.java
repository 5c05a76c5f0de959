package io.spindle.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.aeron.archive.ArchiveMarkFile;
import io.aeron.cluster.service.ClusterMarkFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member killed with SIGKILL leaves mark files whose heartbeats look alive for 10 s; restarted within that time it
 * must start anyway, while a member whose directory another live member holds is still refused.
 */
@Timeout(60)
class LeftoverMarkFilesTest
{
    private static final List<String> MARK_FILES = List.of(
        "archive/" + ArchiveMarkFile.FILENAME,
        "cluster/" + ClusterMarkFile.FILENAME,
        "cluster/" + ClusterMarkFile.markFilenameForService(0));

    @TempDir
    Path dir;

    @Test
    void aMemberStartsOverMarkFilesWithFreshHeartbeatsLeftInItsDirectory() throws IOException
    {
        final List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (TestCluster running = new TestCluster(dir.resolve("running"), 1);
            TestCluster restarted = new TestCluster(dir.resolve("restarted"), 1)
                .customise((ctx) -> ctx.messageLog(said::add)))
        {
            running.start();
            // What a member killed a moment ago leaves: mark files whose last heartbeat is recent.
            for (final String markFile : MARK_FILES)
            {
                final Path target = restarted.memberDir(0).resolve(markFile);
                Files.createDirectories(target.getParent());
                Files.copy(running.memberDir(0).resolve(markFile), target);
            }
            assertEquals(0, restarted.start());
            assertEquals(1, said.size(), said.toString());
            assertTrue(said.get(0).startsWith("waiting ") && said.get(0).contains("did not close cleanly"),
                said.get(0));
            // Waited for, not deleted: the consensus module's keeps the candidate term this member voted in.
            for (final String markFile : MARK_FILES)
            {
                assertTrue(Files.exists(restarted.memberDir(0).resolve(markFile)), markFile);
            }
        }
    }

    @Test
    void aDirectoryALiveMemberHoldsIsStillRefusedAndItsMarkFilesKept()
    {
        try (TestCluster running = new TestCluster(dir, 1))
        {
            running.start();
            final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> running.launch(0));
            assertTrue(refused.getMessage().contains("cluster member"), refused.getMessage());
            for (final String markFile : MARK_FILES)
            {
                assertTrue(Files.exists(running.memberDir(0).resolve(markFile)), markFile);
            }
        }
    }
}
