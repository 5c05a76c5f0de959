package io.spindle.cluster;

import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.aeron.archive.ArchiveMarkFile;
import io.aeron.cluster.service.ClusterMarkFile;
import org.agrona.concurrent.SystemEpochClock;

/**
 * The mark files a member killed with SIGKILL leaves behind. The archive, the consensus module and the service
 * container each refuse to start while their mark file's activity timestamp is younger than their 10 s liveness
 * timeout ("active mark file detected"), so a member restarted at once after a crash would be refused. A member that
 * holds its directory's lock knows no live member owns those files: it waits until they are stale (at most the
 * liveness timeout after the crash) instead of failing. The files are kept, not deleted: the consensus module's holds
 * the candidate term id this member last voted in, which a Raft member must never forget.
 */
final class LeftoverMarkFiles
{
    /**
     * Aeron's liveness timeout of the archive's and the cluster's mark files (10 updates of 1 s), with a margin.
     */
    static final long STALE_AFTER_MS = TimeUnit.SECONDS.toMillis(11);

    private LeftoverMarkFiles()
    {
    }

    /**
     * Wait until no mark file in the member's directory looks alive.
     *
     * @param directory the member's directory, whose lock the caller holds.
     * @param log       told once, when there is something to wait for.
     */
    static void awaitStale(final Path directory, final Consumer<String> log)
    {
        final File archiveDir = directory.resolve("archive").toFile();
        final File clusterDir = directory.resolve("cluster").toFile();
        long youngest = Long.MIN_VALUE;
        youngest = Math.max(youngest, archiveActivity(archiveDir));
        youngest = Math.max(youngest, clusterActivity(clusterDir, ClusterMarkFile.FILENAME));
        youngest = Math.max(youngest, clusterActivity(clusterDir, ClusterMarkFile.markFilenameForService(0)));
        final long waitMs = youngest + STALE_AFTER_MS - System.currentTimeMillis();
        if (youngest != Long.MIN_VALUE && waitMs > 0)
        {
            log.accept("waiting " + waitMs + " ms for the mark files of a member that did not close cleanly to go " +
                "stale (this member holds the directory's lock, so their owner is gone)");
            try
            {
                Thread.sleep(Math.min(waitMs, STALE_AFTER_MS));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for stale mark files", ex);
            }
        }
    }

    private static long archiveActivity(final File archiveDir)
    {
        if (!new File(archiveDir, ArchiveMarkFile.FILENAME).exists())
        {
            return Long.MIN_VALUE;
        }
        try (ArchiveMarkFile markFile = new ArchiveMarkFile(
            archiveDir, ArchiveMarkFile.FILENAME, SystemEpochClock.INSTANCE, 0, (message) -> {}))
        {
            return markFile.activityTimestampVolatile();
        }
        catch (final RuntimeException ex)
        {
            // Unreadable (torn by the crash): the component's own start decides what to do with it.
            return Long.MIN_VALUE;
        }
    }

    private static long clusterActivity(final File clusterDir, final String filename)
    {
        if (!new File(clusterDir, filename).exists())
        {
            return Long.MIN_VALUE;
        }
        try (ClusterMarkFile markFile = new ClusterMarkFile(
            clusterDir, filename, SystemEpochClock.INSTANCE, 0, (message) -> {}))
        {
            return markFile.activityTimestampVolatile();
        }
        catch (final RuntimeException ex)
        {
            return Long.MIN_VALUE;
        }
    }
}
