package io.spindle.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Kafka's {@code range}: per topic, the members subscribed to it (in member id order) take contiguous
 * ranges of its partitions, the first {@code partitions % members} one more than the rest. Eager.
 */
public final class RangeAssignor implements PartitionAssignor
{
    /**
     * The protocol name.
     */
    public static final String NAME = "range";

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
        final Map<String, List<TopicPartition>> result = emptyAssignment(subscriptions);
        final TreeMap<String, List<String>> membersByTopic = membersByTopic(subscriptions);
        for (final Map.Entry<String, List<String>> entry : membersByTopic.entrySet())
        {
            final Integer count = partitionsPerTopic.get(entry.getKey());
            if (null == count)
            {
                continue;
            }
            final List<String> members = entry.getValue();
            final int perMember = count / members.size();
            final int extra = count % members.size();
            for (int i = 0; i < members.size(); i++)
            {
                final int start = perMember * i + Math.min(i, extra);
                final int length = perMember + (i < extra ? 1 : 0);
                for (int p = start; p < start + length; p++)
                {
                    result.get(members.get(i)).add(new TopicPartition(entry.getKey(), p));
                }
            }
        }
        for (final List<TopicPartition> partitions : result.values())
        {
            Collections.sort(partitions);
        }
        return result;
    }

    static Map<String, List<TopicPartition>> emptyAssignment(final SortedMap<String, GroupSubscription> subscriptions)
    {
        final Map<String, List<TopicPartition>> result = new TreeMap<>();
        for (final String memberId : subscriptions.keySet())
        {
            result.put(memberId, new ArrayList<>());
        }
        return result;
    }

    static TreeMap<String, List<String>> membersByTopic(final SortedMap<String, GroupSubscription> subscriptions)
    {
        final TreeMap<String, List<String>> membersByTopic = new TreeMap<>();
        for (final Map.Entry<String, GroupSubscription> entry : subscriptions.entrySet())
        {
            for (final String topic : new TreeSet<>(entry.getValue().topics()))
            {
                membersByTopic.computeIfAbsent(topic, (t) -> new ArrayList<>()).add(entry.getKey());
            }
        }
        return membersByTopic;
    }
}
