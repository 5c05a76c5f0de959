package io.spindle.client;

/**
 * Where a sent record landed, as Kafka's {@code RecordMetadata}: what {@link Producer#sendAsync} completes with.
 *
 * @param topic     the topic name.
 * @param partition the partition it went to.
 * @param offset    its offset, or -1 when it was sent with {@code acks=0}.
 */
public record RecordMetadata(String topic, int partition, long offset)
{
    /**
     * {@code topic-partition@offset}, as Kafka prints it.
     *
     * @return the string form.
     */
    public String toString()
    {
        return topic + "-" + partition + "@" + offset;
    }
}
