package io.spindle.client;

import java.util.Collection;

/**
 * Told when a group rebalance takes partitions from this consumer or gives it new ones; called on the
 * consumer's thread from {@link Consumer#poll}, {@link Consumer#unsubscribe()} and {@link Consumer#close()}.
 * <p>
 * With the eager protocols ({@code range}, {@code roundrobin}) every partition is revoked before each
 * rebalance and the new assignment is handed over after it. With {@code cooperative-sticky} only the
 * partitions moving to another member are revoked, and {@link #onPartitionsAssigned} receives only the
 * partitions that are new to this consumer (possibly none).
 */
public interface RebalanceListener
{
    /**
     * Partitions are being taken away in an orderly way: commit what was processed from them now (the
     * consumer's membership is still valid).
     *
     * @param partitions the partitions leaving this consumer.
     */
    void onPartitionsRevoked(Collection<TopicPartition> partitions);

    /**
     * Partitions were given to this consumer; their positions come from the group's committed offsets,
     * else from {@code auto.offset.reset}, unless the listener seeks.
     *
     * @param partitions the partitions new to this consumer.
     */
    void onPartitionsAssigned(Collection<TopicPartition> partitions);

    /**
     * Partitions were lost without an orderly revocation (the consumer was removed from the group: its
     * session expired, it stopped polling, it was fenced); they may already belong to another member,
     * so committing them is pointless. By default the same as {@link #onPartitionsRevoked}, as in Kafka.
     *
     * @param partitions the partitions this consumer no longer owns.
     */
    default void onPartitionsLost(final Collection<TopicPartition> partitions)
    {
        onPartitionsRevoked(partitions);
    }

    /**
     * A listener that does nothing.
     */
    RebalanceListener NO_OP = new RebalanceListener()
    {
        public void onPartitionsRevoked(final Collection<TopicPartition> partitions)
        {
        }

        public void onPartitionsAssigned(final Collection<TopicPartition> partitions)
        {
        }
    };
}
