package io.spindle.client;

/**
 * A partition of a topic.
 *
 * @param topic     the topic name.
 * @param partition the partition number, 0-based.
 */
public record TopicPartition(String topic, int partition) implements Comparable<TopicPartition>
{
    /**
     * Order by topic name, then partition number.
     *
     * @param other the partition to compare with.
     * @return negative, zero or positive.
     */
    public int compareTo(final TopicPartition other)
    {
        final int byTopic = topic.compareTo(other.topic);
        return 0 != byTopic ? byTopic : Integer.compare(partition, other.partition);
    }

    /**
     * {@code topic-partition}, as Kafka prints it.
     *
     * @return the string form.
     */
    public String toString()
    {
        return topic + "-" + partition;
    }
}
