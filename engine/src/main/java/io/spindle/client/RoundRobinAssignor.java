package io.spindle.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Kafka's {@code roundrobin}: every partition of every subscribed topic, in topic and partition order,
 * goes to the next member in member id order that subscribes to its topic. Eager.
 */
public final class RoundRobinAssignor implements PartitionAssignor
{
    /**
     * The protocol name.
     */
    public static final String NAME = "roundrobin";

    /**
     * {@inheritDoc}
     */
    public String name()
    {
        return NAME;
    }

    /**
     * {@inheritDoc}
     */
    public boolean cooperative()
    {
        return false;
    }

    /**
     * {@inheritDoc}
     */
    public Map<String, List<TopicPartition>> assign(
        final Map<String, Integer> partitionsPerTopic, final SortedMap<String, GroupSubscription> subscriptions)
    {
        final Map<String, List<TopicPartition>> result = RangeAssignor.emptyAssignment(subscriptions);
        final TreeMap<String, List<String>> membersByTopic = RangeAssignor.membersByTopic(subscriptions);
        final List<String> members = new ArrayList<>(subscriptions.keySet());
        int next = 0;
        for (final Map.Entry<String, List<String>> entry : membersByTopic.entrySet())
        {
            final Integer count = partitionsPerTopic.get(entry.getKey());
            if (null == count)
            {
                continue;
            }
            for (int p = 0; p < count; p++)
            {
                while (!entry.getValue().contains(members.get(next % members.size())))
                {
                    next++;
                }
                result.get(members.get(next % members.size())).add(new TopicPartition(entry.getKey(), p));
                next++;
            }
        }
        for (final List<TopicPartition> partitions : result.values())
        {
            Collections.sort(partitions);
        }
        return result;
    }
}
