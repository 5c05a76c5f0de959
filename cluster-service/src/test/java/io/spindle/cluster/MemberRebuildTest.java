package io.spindle.cluster;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

import io.aeron.cluster.RecordingLog;
import io.spindle.host.DirectoryLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Copying a stopped member's directory into one that holds no Raft log: the state is copied, the files of the process
 * that ran it are not, and neither an empty source nor a target with a log of its own is accepted.
 */
class MemberRebuildTest
{
    @TempDir
    Path dir;

    @Test
    void copiesTheLogSnapshotsAndPartitionsButNotTheMarkFilesIntoADirectoryWithoutALog() throws Exception
    {
        final Path source = member("source");
        Files.write(source.resolve("cluster/cluster-mark.dat"), new byte[]{ 1 });
        Files.write(source.resolve("archive/archive-mark.dat"), new byte[]{ 1 });
        Files.write(source.resolve("archive/archive.catalog"), new byte[]{ 7, 8 });
        Files.createDirectories(source.resolve("data/orders-1/0"));
        Files.write(source.resolve("data/orders-1/0/00000000000000000000.log"), new byte[]{ 1, 2, 3 });
        Files.write(source.resolve(DirectoryLock.FILE_NAME), new byte[0]);

        // A wiped member that started once has an empty recording log and an archive of its own.
        final Path target = dir.resolve("target");
        Files.createDirectories(target.resolve("cluster"));
        new RecordingLog(target.resolve("cluster").toFile(), true).close();
        Files.createDirectories(target.resolve("archive"));
        Files.write(target.resolve("archive/archive.catalog"), new byte[]{ 9 });
        assertFalse(MemberRebuild.hasRaftLog(target));

        assertTrue(MemberRebuild.copy(source, target) > 0);
        assertTrue(MemberRebuild.hasRaftLog(target));
        assertArrayEquals(new byte[]{ 7, 8 }, Files.readAllBytes(target.resolve("archive/archive.catalog")));
        assertArrayEquals(new byte[]{ 1, 2, 3 },
            Files.readAllBytes(target.resolve("data/orders-1/0/00000000000000000000.log")));
        assertFalse(Files.exists(target.resolve("cluster/cluster-mark.dat")));
        assertFalse(Files.exists(target.resolve("archive/archive-mark.dat")));

        final IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
            () -> MemberRebuild.copy(source, target));
        assertTrue(again.getMessage().contains("already holds a Raft log"), again.getMessage());
        final IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
            () -> MemberRebuild.copy(dir.resolve("nothing"), dir.resolve("other")));
        assertTrue(empty.getMessage().contains("holds no member's Raft log"), empty.getMessage());
    }

    private Path member(final String name) throws Exception
    {
        final Path member = dir.resolve(name);
        final File clusterDir = member.resolve("cluster").toFile();
        Files.createDirectories(member.resolve("archive"));
        Files.createDirectories(clusterDir.toPath());
        try (RecordingLog recordingLog = new RecordingLog(clusterDir, true))
        {
            recordingLog.appendTerm(0, 0, 0, 0);
        }
        return member;
    }
}
