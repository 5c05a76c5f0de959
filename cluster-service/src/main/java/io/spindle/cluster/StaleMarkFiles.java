package io.spindle.cluster;

import java.io.File;
import java.nio.file.Path;

import io.aeron.archive.ArchiveMarkFile;
import io.aeron.cluster.service.ClusterMarkFile;

/**
 * The Aeron mark files a member killed with SIGKILL leaves behind. The archive, the consensus module and the service
 * container each refuse to start for 10 s after their last heartbeat in a mark file ("active mark file detected"), so
 * a member restarted within 10 s of a kill would fail. The member's {@code DirectoryLock} (an operating system file
 * lock, released when its holder dies) proves that no live member uses the directory: its mark files are stale and
 * are removed before the member starts. Their error logs go with them; a member killed with SIGKILL wrote none.
 */
final class StaleMarkFiles
{
    private StaleMarkFiles()
    {
    }

    /**
     * Remove the mark files of a member's archive, consensus module and service containers.
     *
     * @param memberDir the member's directory, locked by the caller.
     * @return how many files were removed.
     */
    static int remove(final Path memberDir)
    {
        int removed = 0;
        removed += delete(memberDir.resolve("archive").resolve(ArchiveMarkFile.FILENAME).toFile());
        final File clusterDir = memberDir.resolve("cluster").toFile();
        final File[] markFiles = clusterDir.listFiles((dir, name) -> ClusterMarkFile.FILENAME.equals(name) ||
            (name.startsWith(ClusterMarkFile.SERVICE_FILENAME_PREFIX) &&
            name.endsWith(ClusterMarkFile.FILE_EXTENSION)));
        if (null != markFiles)
        {
            for (final File file : markFiles)
            {
                removed += delete(file);
            }
        }
        return removed;
    }

    private static int delete(final File file)
    {
        return file.isFile() && file.delete() ? 1 : 0;
    }
}
