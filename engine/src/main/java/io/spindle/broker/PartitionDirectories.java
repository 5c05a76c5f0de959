/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.agrona.IoUtil;

/**
 * The partition directories of a broker's data directory and the files that say whose they are: a partition lives in
 * {@code <topic>-<partition>} as in Kafka, with a {@code partition.metadata} file naming the id of the topic it
 * belongs to, and a deleted topic's directories are moved aside to {@code <topic>-<partition>.<id>.deleted} until
 * no reader can still be on them. The state machine decides which topics exist; this class owns how that looks on
 * disk.
 */
public final class PartitionDirectories
{
    /**
     * Suffix of a deleted topic's partition directories until they are reclaimed (and, with tiered storage, its
     * recordings purged).
     */
    public static final String DELETED_SUFFIX = ".deleted";

    private static final String METADATA_FILE = "partition.metadata";
    private static final String TOPIC_ID_KEY = "topic_id:";

    private final Path dataDir;

    PartitionDirectories(final Path dataDir)
    {
        this.dataDir = dataDir;
    }

    /**
     * A partition's directory, {@code <topic>-<partition>}.
     *
     * @param topic     the topic's name.
     * @param partition the partition.
     * @return the directory, which may not exist.
     */
    Path of(final String topic, final int partition)
    {
        return dataDir.resolve(topic + "-" + partition);
    }

    /**
     * Where a partition directory of a deleted topic waits to be reclaimed.
     */
    private Path deletedOf(final Path dir, final int topicId)
    {
        return dataDir.resolve(dir.getFileName() + "." + topicId + DELETED_SUFFIX);
    }

    /**
     * Fail if a partition directory's metadata names a topic id other than the expected one: the directory belongs
     * to another incarnation of the topic. A directory without the file passes.
     *
     * @param dir     the partition directory.
     * @param topicId the id the broker's metadata gives the topic.
     * @throws IllegalStateException naming both ids when they differ.
     */
    static void checkTopicId(final Path dir, final int topicId)
    {
        final Path file = dir.resolve(METADATA_FILE);
        if (!Files.exists(file))
        {
            return;
        }
        final int stored;
        try
        {
            stored = parseTopicId(Files.readString(file, StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
        if (stored != topicId)
        {
            throw new IllegalStateException(dir + " holds topic id " + stored + " but the broker's metadata has id " +
                topicId + " for it: the directory belongs to another incarnation of the topic; move it away to start");
        }
    }

    /**
     * Write a partition directory's metadata file, unless it already says the same.
     *
     * @param dir     the partition directory.
     * @param topicId the id of its topic.
     */
    static void writeTopicId(final Path dir, final int topicId)
    {
        final Path file = dir.resolve(METADATA_FILE);
        final String content = "version: 0\n" + TOPIC_ID_KEY + " " + topicId + "\n";
        try
        {
            if (!Files.exists(file) || !content.equals(Files.readString(file, StandardCharsets.UTF_8)))
            {
                Files.writeString(file, content, StandardCharsets.UTF_8);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + file, ex);
        }
    }

    private static int parseTopicId(final String content)
    {
        for (final String line : content.split("\n"))
        {
            if (line.startsWith(TOPIC_ID_KEY))
            {
                return Integer.parseInt(line.substring(TOPIC_ID_KEY.length()).trim());
            }
        }
        return -1;
    }

    /**
     * Move a deleted topic's partition directories aside, each to its {@code .deleted} name; a directory that cannot
     * be moved stays where it is.
     *
     * @param topic the deleted topic.
     * @return where each partition's directory is now, to delete once no reader can be on it.
     */
    List<Path> moveAside(final Topic topic)
    {
        final List<Path> dirs = new ArrayList<>();
        for (int p = 0; p < topic.partitionCount(); p++)
        {
            final Path dir = of(topic.name(), p);
            final Path deleted = deletedOf(dir, topic.id());
            try
            {
                Files.move(dir, deleted);
                dirs.add(deleted);
            }
            catch (final IOException ex)
            {
                dirs.add(dir);
            }
        }
        return dirs;
    }

    /**
     * Move back the directories of a topic that the metadata still has but whose directories were moved aside for
     * deletion: the delete was never persisted (the broker stopped first, say on a full disk), so the topic still
     * exists and gets its data back.
     *
     * @param topicId        the topic's id.
     * @param topic          its name.
     * @param partitionCount its partitions.
     */
    void reviveUnpersistedDelete(final int topicId, final String topic, final int partitionCount)
    {
        for (int p = 0; p < partitionCount; p++)
        {
            final Path dir = of(topic, p);
            final Path deleted = deletedOf(dir, topicId);
            if (!Files.exists(dir) && Files.isDirectory(deleted))
            {
                try
                {
                    Files.move(deleted, dir);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException("cannot restore " + deleted + " to " + dir, ex);
                }
            }
        }
    }

    /**
     * Delete every directory named like a partition directory ({@code <topic>-<partition>}) whose name is not
     * among the known ones; {@code .deleted} directories and anything else are left alone.
     *
     * @param known the file names of the partition directories of the topics that exist.
     * @return directories deleted.
     */
    int deleteUnknown(final Set<String> known)
    {
        int deleted = 0;
        final File[] entries = dataDir.toFile().listFiles();
        if (null != entries)
        {
            for (final File entry : entries)
            {
                final String fileName = entry.getName();
                if (entry.isDirectory() && isPartitionDirName(fileName) && !known.contains(fileName))
                {
                    IoUtil.delete(entry, true);
                    deleted++;
                }
            }
        }
        return deleted;
    }

    /**
     * Whether a file name has the shape of a partition directory, {@code <topic>-<partition>}.
     */
    private static boolean isPartitionDirName(final String fileName)
    {
        final int dash = fileName.lastIndexOf('-');
        return dash > 0 && isDigits(fileName, dash + 1, fileName.length());
    }

    private static boolean isDigits(final String s, final int from, final int to)
    {
        if (from >= to)
        {
            return false;
        }
        for (int i = from; i < to; i++)
        {
            if (s.charAt(i) < '0' || s.charAt(i) > '9')
            {
                return false;
            }
        }
        return true;
    }
}
