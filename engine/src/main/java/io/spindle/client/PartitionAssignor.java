package io.spindle.client;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Computes a group's assignment on the leader: a pure function from the members' subscriptions and
 * the partition counts of their topics to the partitions of each member. Every member id must appear
 * in the result; every partition of a subscribed topic at most once.
 */
public interface PartitionAssignor
{
    /**
     * The protocol name members announce in JoinGroup ({@code partition.assignment.strategy}).
     *
     * @return the name.
     */
    String name();

    /**
     * Whether the assignor is safe for the cooperative protocol: it never gives a partition to a member
     * while another member of the new generation still owns it.
     *
     * @return true for cooperative assignors.
     */
    boolean cooperative();

    /**
     * Compute an assignment.
     *
     * @param partitionsPerTopic partition count of every existing subscribed topic.
     * @param subscriptions      by member id, in member id order.
     * @return the partitions of each member, each list sorted.
     */
    Map<String, List<TopicPartition>> assign(
        Map<String, Integer> partitionsPerTopic, SortedMap<String, GroupSubscription> subscriptions);

    /**
     * The built-in assignor with a name.
     *
     * @param name {@code range}, {@code roundrobin} or {@code cooperative-sticky}.
     * @return the assignor.
     * @throws IllegalArgumentException for any other name.
     */
    static PartitionAssignor named(final String name)
    {
        switch (name.trim().toLowerCase())
        {
            case RangeAssignor.NAME:
                return new RangeAssignor();
            case RoundRobinAssignor.NAME:
                return new RoundRobinAssignor();
            case CooperativeStickyAssignor.NAME:
                return new CooperativeStickyAssignor();
            default:
                throw new IllegalArgumentException("unknown partition.assignment.strategy '" + name +
                    "': use range, roundrobin or cooperative-sticky");
        }
    }
}
