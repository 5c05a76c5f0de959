package io.spindle.client;

/**
 * A partition of a topic.
 *
 * @param topic     the topic name.
 * @param partition the partition number, 0-based.
 */
public record TopicPartition(String topic, int partition)
{
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
