package io.spindle.broker;

import java.util.Arrays;
import java.util.Map;

import io.spindle.log.PartitionLog;

/**
 * A topic as the state machine holds it: name, id, configuration overrides and one log per partition.
 * <p>
 * Owned by the state machine's thread; the fetch server sees topics only through {@link TopicTable}.
 */
public final class Topic
{
    private final int id;
    private final String name;
    private final Map<String, String> configs;
    private final PartitionLog[] partitions;
    private final PartitionProducers[] producers;

    Topic(final int id, final String name, final Map<String, String> configs, final PartitionLog[] partitions)
    {
        this(id, name, configs, partitions, new PartitionProducers[0]);
    }

    private Topic(
        final int id,
        final String name,
        final Map<String, String> configs,
        final PartitionLog[] partitions,
        final PartitionProducers[] existingProducers)
    {
        this.id = id;
        this.name = name;
        this.configs = Map.copyOf(configs);
        this.partitions = partitions;
        this.producers = Arrays.copyOf(existingProducers, partitions.length);
        for (int p = existingProducers.length; p < partitions.length; p++)
        {
            producers[p] = new PartitionProducers();
        }
    }

    /**
     * The same topic, logs and producers with other configuration overrides: the state machine publishes a new
     * {@link TopicTable} with it, so readers on other threads never see a topic change under them.
     *
     * @param configs the overrides now in force.
     * @return the altered topic.
     */
    Topic withConfigs(final Map<String, String> configs)
    {
        return new Topic(id, name, configs, partitions, producers);
    }

    /**
     * The same topic with more partitions: the existing logs and producers followed by the new partitions' logs.
     *
     * @param added logs of the new partitions, numbered from the current count on.
     * @return the grown topic.
     */
    Topic withPartitions(final PartitionLog[] added)
    {
        final PartitionLog[] grown = Arrays.copyOf(partitions, partitions.length + added.length);
        System.arraycopy(added, 0, grown, partitions.length, added.length);
        return new Topic(id, name, configs, grown, producers);
    }

    /**
     * The broker-assigned topic id.
     *
     * @return the id.
     */
    public int id()
    {
        return id;
    }

    /**
     * The topic name.
     *
     * @return the name.
     */
    public String name()
    {
        return name;
    }

    /**
     * The configuration overrides given at creation or by later changes (defaults not included).
     *
     * @return an unmodifiable map.
     */
    public Map<String, String> configs()
    {
        return configs;
    }

    /**
     * Number of partitions.
     *
     * @return the partition count.
     */
    public int partitionCount()
    {
        return partitions.length;
    }

    /**
     * The log of a partition.
     *
     * @param partition number, 0-based.
     * @return the log, or null when out of range.
     */
    public PartitionLog partition(final int partition)
    {
        return partition >= 0 && partition < partitions.length ? partitions[partition] : null;
    }

    /**
     * The idempotent producers of a partition.
     *
     * @param partition number, 0-based and in range.
     * @return their state.
     */
    PartitionProducers producers(final int partition)
    {
        return producers[partition];
    }
}
