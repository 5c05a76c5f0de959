/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.broker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import org.agrona.IoUtil;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Object2ObjectHashMap;

/**
 * The topics of a broker's state and their partition logs: which exist, under which ids, opening and closing their
 * logs in their {@link PartitionDirectories}, retiring a deleted topic's logs until no reader can be on them, and
 * publishing the {@link TopicTable} other threads read.
 * <p>
 * <b>Threading:</b> the state machine's thread only, but for {@link #table()}.
 */
final class Topics
{
    private final PartitionDirectories dirs;
    private final LogConfig defaultLogConfig;
    private final Host host;
    private final Object2ObjectHashMap<String, Topic> byName = new Object2ObjectHashMap<>();
    private final Int2ObjectHashMap<Topic> byId = new Int2ObjectHashMap<>();
    private final List<Retired> retired = new ArrayList<>();
    private volatile TopicTable table = TopicTable.EMPTY;
    private int nextId = 1;
    private long version;

    Topics(final Path dataDir, final LogConfig defaultLogConfig, final Host host)
    {
        this.dirs = new PartitionDirectories(dataDir);
        this.defaultLogConfig = defaultLogConfig;
        this.host = host;
    }

    /**
     * The topic with a name.
     *
     * @param name of the topic.
     * @return the topic, or null.
     */
    Topic byName(final String name)
    {
        return byName.get(name);
    }

    /**
     * The topic with an id.
     *
     * @param id of the topic.
     * @return the topic, or null.
     */
    Topic byId(final int id)
    {
        return byId.get(id);
    }

    /**
     * The topics by id, a live view for the coordinators that look topics up by id; not to be changed through it.
     *
     * @return the map.
     */
    Int2ObjectHashMap<Topic> byIdView()
    {
        return byId;
    }

    /**
     * Every topic, in the map's order: for work whose result does not depend on the order.
     *
     * @return the topics.
     */
    Collection<Topic> all()
    {
        return byId.values();
    }

    /**
     * Every topic by id: the order everything the state writes or answers uses, so that it is the same on every
     * member.
     *
     * @return a new list.
     */
    List<Topic> sorted()
    {
        final List<Topic> topics = new ArrayList<>(byId.values());
        topics.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return topics;
    }

    /**
     * Add every topic's name, by id, to a list of names a request gave when it gave none (describe and metadata
     * requests naming no topic mean all of them).
     *
     * @param names the requested names, filled when empty.
     */
    void allNamesWhenNoneNamed(final List<String> names)
    {
        if (names.isEmpty())
        {
            for (final Topic topic : sorted())
            {
                names.add(topic.name());
            }
        }
    }

    boolean isEmpty()
    {
        return byId.isEmpty();
    }

    int count()
    {
        return byId.size();
    }

    /**
     * A topic's partition count.
     *
     * @param id of the topic.
     * @return its partitions, or -1 when there is no such topic.
     */
    int partitionCount(final int id)
    {
        final Topic topic = byId.get(id);
        return null == topic ? -1 : topic.partitionCount();
    }

    /**
     * The id the next created topic gets.
     *
     * @return the id.
     */
    int nextId()
    {
        return nextId;
    }

    /**
     * Set the id the next created topic gets, as a restored state had it.
     *
     * @param id the id.
     */
    void nextId(final int id)
    {
        nextId = id;
    }

    /**
     * Take the id for a topic being created.
     *
     * @return the id.
     */
    int takeNextId()
    {
        return nextId++;
    }

    /**
     * Incremented whenever a topic is added, changed or deleted.
     *
     * @return the version.
     */
    long version()
    {
        return version;
    }

    /**
     * The latest published table, for readers on other threads.
     *
     * @return the table.
     */
    TopicTable table()
    {
        return table;
    }

    /**
     * Publish the topics as they are now in a new {@link TopicTable}.
     */
    void publish()
    {
        final Int2ObjectHashMap<Topic> copy = new Int2ObjectHashMap<>();
        for (final Topic topic : byId.values())
        {
            copy.put(topic.id(), topic);
        }
        table = new TopicTable(table.version() + 1, copy, nextId);
    }

    /**
     * The log configuration of a topic with overrides: the broker's defaults with the overrides set over them.
     *
     * @param configs the topic's overrides.
     * @return the concluded configuration.
     * @throws IllegalArgumentException naming a key or value that is not valid.
     */
    LogConfig logConfig(final Map<String, String> configs)
    {
        final LogConfig config = defaultLogConfig.copy();
        for (final Map.Entry<String, String> entry : configs.entrySet())
        {
            config.set(entry.getKey(), entry.getValue());
        }
        return config.conclude();
    }

    /**
     * Open a topic's partition logs and add it.
     * <p>
     * A new topic starts empty whatever is on disk: its id is new, so a directory already there is the leftover of a
     * creation that never completed (or, on a cluster member, of one being replayed) and is removed. A restored topic
     * opens what is there; a directory that names another topic id is refused rather than served under the wrong
     * topic, and one without the file (written before topic ids were recorded) is adopted.
     *
     * @param id             of the topic.
     * @param name           of the topic.
     * @param partitionCount its partitions.
     * @param configs        its configuration overrides.
     * @param nowMs          the state's time.
     * @param isNew          whether it is being created (rather than restored).
     * @return the topic.
     * @throws RuntimeException when a log cannot be opened; no partition directory made here is left behind.
     */
    Topic add(
        final int id,
        final String name,
        final int partitionCount,
        final Map<String, String> configs,
        final long nowMs,
        final boolean isNew)
    {
        final LogConfig config = logConfig(configs);
        final PartitionLog[] logs = new PartitionLog[partitionCount];
        final boolean[] existed = new boolean[partitionCount];
        int attempted = 0;
        try
        {
            for (int p = 0; p < partitionCount; p++)
            {
                final Path dir = dirs.of(name, p);
                if (isNew && Files.isDirectory(dir))
                {
                    IoUtil.delete(dir.toFile(), false);
                }
                existed[p] = Files.exists(dir);
                attempted = p + 1;
                if (!isNew)
                {
                    PartitionDirectories.checkTopicId(dir, id);
                }
                logs[p] = open(dir, id, config, nowMs);
            }
        }
        catch (final RuntimeException ex)
        {
            // Roll back: a topic that could not be created or restored leaves no partition directory it made
            // behind; a restored topic's directories that were there keep their contents.
            closeAll(logs, ex);
            for (int p = 0; p < attempted; p++)
            {
                if (!existed[p])
                {
                    IoUtil.delete(dirs.of(name, p).toFile(), true);
                }
            }
            throw ex;
        }

        final Topic topic = new Topic(id, name, configs, logs);
        byName.put(name, topic);
        byId.put(id, topic);
        nextId = Math.max(nextId, id + 1);
        version++;
        return topic;
    }

    /**
     * Open the logs of partitions added to a topic, empty whatever is on disk (a directory there is the leftover of
     * an addition that never completed, or of one a cluster member is replaying).
     *
     * @param topic    the topic as it is.
     * @param newCount its partition count after the addition.
     * @param config   its log configuration.
     * @param nowMs    the state's time.
     * @return the new partitions' logs, in partition order.
     * @throws RuntimeException when a log cannot be opened; no directory made here is left behind.
     */
    PartitionLog[] openNewPartitions(final Topic topic, final int newCount, final LogConfig config, final long nowMs)
    {
        final int from = topic.partitionCount();
        final PartitionLog[] logs = new PartitionLog[newCount - from];
        try
        {
            for (int i = 0; i < logs.length; i++)
            {
                final Path dir = dirs.of(topic.name(), from + i);
                if (Files.isDirectory(dir))
                {
                    IoUtil.delete(dir.toFile(), false);
                }
                logs[i] = open(dir, topic.id(), config, nowMs);
            }
        }
        catch (final RuntimeException ex)
        {
            closeAll(logs, ex);
            for (int i = 0; i < logs.length; i++)
            {
                IoUtil.delete(dirs.of(topic.name(), from + i).toFile(), true);
            }
            throw ex;
        }
        return logs;
    }

    /**
     * Put a changed topic (new configs, more partitions) in place of the one with its id and name.
     *
     * @param altered the topic as it is now.
     */
    void replace(final Topic altered)
    {
        byName.put(altered.name(), altered);
        byId.put(altered.id(), altered);
        version++;
    }

    /**
     * Take a topic out of the state; its logs stay open until {@link #retire} and {@link #reclaimRetired}.
     *
     * @param name of the topic.
     * @return the topic, or null when there is none of that name.
     */
    Topic remove(final String name)
    {
        final Topic topic = byName.remove(name);
        if (null != topic)
        {
            byId.remove(topic.id());
        }
        return topic;
    }

    /**
     * Move a removed topic's partition directories aside and keep its logs open until no reader holds a
     * {@link TopicTable} that has it: readers on other threads may still be on them. Call after publishing the table
     * without it.
     *
     * @param topic the removed topic.
     */
    void retire(final Topic topic)
    {
        retired.add(new Retired(topic, table.version(), dirs.moveAside(topic)));
        version++;
    }

    /**
     * Close logs of deleted topics once no reader can still be on them, and delete their files.
     *
     * @param readerTableVersion the oldest {@link TopicTable#version()} any reader may still hold.
     * @return topics reclaimed.
     */
    int reclaimRetired(final long readerTableVersion)
    {
        int work = 0;
        for (int i = retired.size() - 1; i >= 0; i--)
        {
            final Retired entry = retired.get(i);
            if (readerTableVersion >= entry.tableVersion)
            {
                retired.remove(i);
                closePartitions(entry.topic);
                for (final Path dir : entry.dirs)
                {
                    IoUtil.delete(dir.toFile(), true);
                }
                work++;
            }
        }

        return work;
    }

    /**
     * Move back the partition directories of a topic the metadata still has that were moved aside for a delete that
     * was never persisted ({@link PartitionDirectories#reviveUnpersistedDelete}).
     *
     * @param id             of the topic.
     * @param name           of the topic.
     * @param partitionCount its partitions.
     */
    void reviveUnpersistedDelete(final int id, final String name, final int partitionCount)
    {
        dirs.reviveUnpersistedDelete(id, name, partitionCount);
    }

    /**
     * Delete every partition directory of the data directory that no topic owns: the leftovers of a topic creation
     * that never completed, or of topics a cluster member's snapshot does not have. Directories of deleted topics
     * still lingering for readers ({@code .deleted}) and anything not named like a partition directory are left
     * alone.
     *
     * @return directories deleted.
     */
    int deleteUnknownPartitionDirectories()
    {
        final Set<String> known = new HashSet<>();
        for (final Topic topic : byId.values())
        {
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                known.add(dirs.of(topic.name(), p).getFileName().toString());
            }
        }
        return dirs.deleteUnknown(known);
    }

    /**
     * Close every partition log, deleted topics' included. Deleted topics' directories stay: the host may not have
     * persisted the delete (it stops when it cannot), and the next start either removes them or, if the metadata
     * still has the topic, takes them back.
     */
    void close()
    {
        for (final Topic topic : byId.values())
        {
            closePartitions(topic);
        }
        for (final Retired entry : retired)
        {
            closePartitions(entry.topic);
        }
        retired.clear();
    }

    /**
     * Open a partition's log, on the host's cleaner, its high-water mark at its log end, and record the topic id in
     * its directory.
     */
    private PartitionLog open(final Path dir, final int topicId, final LogConfig config, final long nowMs)
    {
        final PartitionLog log = PartitionLog.open(dir.toFile(), config, nowMs).cleaner(host.logCleaner());
        try
        {
            log.highWaterMark(log.logEndOffset());
            PartitionDirectories.writeTopicId(dir, topicId);
        }
        catch (final RuntimeException ex)
        {
            closeAll(new PartitionLog[]{ log }, ex);
            throw ex;
        }
        return log;
    }

    private static void closePartitions(final Topic topic)
    {
        for (int p = 0; p < topic.partitionCount(); p++)
        {
            topic.partition(p).close();
        }
    }

    private static void closeAll(final PartitionLog[] logs, final RuntimeException failure)
    {
        for (final PartitionLog log : logs)
        {
            if (null != log)
            {
                try
                {
                    log.close();
                }
                catch (final RuntimeException closeEx)
                {
                    failure.addSuppressed(closeEx);
                }
            }
        }
    }

    private static final class Retired
    {
        final Topic topic;
        final long tableVersion;
        final List<Path> dirs;

        Retired(final Topic topic, final long tableVersion, final List<Path> dirs)
        {
            this.topic = topic;
            this.tableVersion = tableVersion;
            this.dirs = dirs;
        }
    }
}
