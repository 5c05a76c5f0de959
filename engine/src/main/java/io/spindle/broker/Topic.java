package io.spindle.broker;

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
        this.id = id;
        this.name = name;
        this.configs = Map.copyOf(configs);
        this.partitions = partitions;
        this.producers = new PartitionProducers[partitions.length];
        for (int p = 0; p < partitions.length; p++)
        {
            producers[p] = new PartitionProducers();
        }
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
     * The configuration overrides given at creation (defaults not included).
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
