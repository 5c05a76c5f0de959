package io.spindle.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

import io.aeron.cluster.RecordingLog;
import io.spindle.host.DirectoryLock;
import org.agrona.IoUtil;

/**
 * Rebuilds a member whose directory was lost, or a new machine taking a dead member's id, from a copy of another
 * member's directory taken while that member was stopped: its Raft log and snapshots ({@code cluster/} and
 * {@code archive/}) and its partition logs ({@code data/}). Members agree on everything these hold, so the rebuilt
 * member starts as the copied one stopped: it restores the copied snapshot, replays the copied log after it, and
 * catches up from the leader. Mark files and the directory lock, which belong to a running process, are not copied.
 * <p>
 * Needed once the Raft log is purged ({@link LogPurger}): Aeron 1.51 cannot send a snapshot to a member in an
 * election, so a member with no log of its own can no longer catch up by replaying the log from the start.
 */
public final class MemberRebuild
{
    private static final String[] PARTS = { "cluster", "archive", "data" };

    private MemberRebuild()
    {
    }

    /**
     * Whether a member directory holds a Raft log: its recording log has an entry.
     *
     * @param memberDir the member's directory.
     * @return true if the member has a log of its own to restart from.
     */
    public static boolean hasRaftLog(final Path memberDir)
    {
        final File clusterDir = memberDir.resolve("cluster").toFile();
        if (!new File(clusterDir, RecordingLog.RECORDING_LOG_FILE_NAME).exists())
        {
            return false;
        }
        try (RecordingLog recordingLog = new RecordingLog(clusterDir, false))
        {
            return !recordingLog.entries().isEmpty();
        }
    }

    /**
     * Fill a member directory that holds no Raft log from a copy of another member's directory.
     *
     * @param source a member's directory, copied while that member was stopped (or that member's own, stopped).
     * @param target the directory of the member to rebuild: empty, or holding no Raft log (what a wiped member that
     *               started since has); its {@code cluster/}, {@code archive/} and {@code data/} are replaced.
     * @return bytes copied.
     * @throws IllegalArgumentException when the source holds no Raft log or the target holds one.
     */
    public static long copy(final Path source, final Path target)
    {
        if (!hasRaftLog(source))
        {
            throw new IllegalArgumentException("--rebuild-from " + source + " holds no member's Raft log (no " +
                "cluster/" + RecordingLog.RECORDING_LOG_FILE_NAME + " with entries)");
        }
        final DirectoryLock lock = DirectoryLock.acquire(target, "member rebuild");
        try
        {
            if (hasRaftLog(target))
            {
                throw new IllegalArgumentException("the member's directory " + target + " already holds a Raft " +
                    "log: a member is rebuilt only into an empty (or wiped) directory");
            }
            long bytes = 0;
            for (final String part : PARTS)
            {
                IoUtil.delete(target.resolve(part).toFile(), true);
                final Path from = source.resolve(part);
                if (Files.isDirectory(from))
                {
                    bytes += copyTree(from, target.resolve(part));
                }
            }
            return bytes;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("rebuilding " + target + " from " + source + ": " + ex.getMessage(), ex);
        }
        finally
        {
            lock.close();
        }
    }

    private static long copyTree(final Path from, final Path to) throws IOException
    {
        final long[] bytes = { 0 };
        Files.walkFileTree(from, new SimpleFileVisitor<>()
        {
            public FileVisitResult preVisitDirectory(final Path dir, final BasicFileAttributes attrs) throws IOException
            {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
            {
                final String name = file.getFileName().toString();
                if (!isProcessFile(name))
                {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                    bytes[0] += attrs.size();
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return bytes[0];
    }

    /**
     * Files of the process that ran the member rather than of its state: Aeron's mark files and their links, and
     * the directory lock.
     */
    private static boolean isProcessFile(final String name)
    {
        return name.contains("-mark") && (name.endsWith(".dat") || name.endsWith(".lnk")) ||
            DirectoryLock.FILE_NAME.equals(name);
    }
}
