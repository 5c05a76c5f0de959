package io.spindle.client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Kafka's {@code cooperative-sticky}: balanced like round robin, but members keep the partitions they
 * own, and a partition moving from one member to another is first only taken away (KIP-429).
 * <ol>
 *   <li>Current owners come from the members' subscriptions; when two members claim a partition the
 *   claim of the higher generation wins, and a tie leaves it unowned.</li>
 *   <li>Every member keeps what it owns; unowned partitions go one by one to the eligible member with
 *   the fewest (ties in member id order).</li>
 *   <li>While some member has two or more partitions more than an eligible other, one partition moves
 *   (one it did not own before, if it has one). Each move lowers the sum of squared counts, so this
 *   ends, balanced where subscriptions allow.</li>
 *   <li>Cooperative step: a partition whose owner is still a member but which is now meant for
 *   another is left out of this generation. Its owner revokes it and rejoins, and the follow-up
 *   rebalance gives it to a member below its share.</li>
 * </ol>
 */
public final class CooperativeStickyAssignor implements PartitionAssignor
{
    /**
     * The protocol name.
     */
    public static final String NAME = "cooperative-sticky";

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
        return true;
    }

    /**
     * {@inheritDoc}
     */
    public Map<String, List<TopicPartition>> assign(
        final Map<String, Integer> partitionsPerTopic, final SortedMap<String, GroupSubscription> subscriptions)
    {
        final List<String> members = new ArrayList<>(subscriptions.keySet());
        final TreeSet<TopicPartition> all = new TreeSet<>();
        for (final GroupSubscription subscription : subscriptions.values())
        {
            for (final String topic : subscription.topics())
            {
                final Integer count = partitionsPerTopic.get(topic);
                for (int p = 0; null != count && p < count; p++)
                {
                    all.add(new TopicPartition(topic, p));
                }
            }
        }

        final Map<TopicPartition, String> previousOwner = previousOwners(subscriptions, all);
        final Map<String, TreeSet<TopicPartition>> target = new TreeMap<>();
        for (final String member : members)
        {
            target.put(member, new TreeSet<>());
        }
        for (final Map.Entry<TopicPartition, String> entry : previousOwner.entrySet())
        {
            target.get(entry.getValue()).add(entry.getKey());
        }

        for (final TopicPartition tp : all)
        {
            if (previousOwner.containsKey(tp))
            {
                continue;
            }
            String best = null;
            for (final String member : members)
            {
                if (eligible(subscriptions.get(member), tp) &&
                    (null == best || target.get(member).size() < target.get(best).size()))
                {
                    best = member;
                }
            }
            if (null != best)
            {
                target.get(best).add(tp);
            }
        }

        balance(members, subscriptions, target, previousOwner);

        for (final Map.Entry<TopicPartition, String> entry : previousOwner.entrySet())
        {
            final TopicPartition tp = entry.getKey();
            if (!target.get(entry.getValue()).contains(tp))
            {
                for (final TreeSet<TopicPartition> partitions : target.values())
                {
                    partitions.remove(tp);
                }
            }
        }

        final Map<String, List<TopicPartition>> result = new TreeMap<>();
        for (final Map.Entry<String, TreeSet<TopicPartition>> entry : target.entrySet())
        {
            result.put(entry.getKey(), new ArrayList<>(entry.getValue()));
        }
        return result;
    }

    private static Map<TopicPartition, String> previousOwners(
        final SortedMap<String, GroupSubscription> subscriptions, final TreeSet<TopicPartition> all)
    {
        final Map<TopicPartition, String> owner = new TreeMap<>();
        final Map<TopicPartition, Integer> generation = new HashMap<>();
        final TreeSet<TopicPartition> contested = new TreeSet<>();
        for (final Map.Entry<String, GroupSubscription> entry : subscriptions.entrySet())
        {
            final GroupSubscription subscription = entry.getValue();
            for (final TopicPartition tp : subscription.ownedPartitions())
            {
                if (!all.contains(tp) || !eligible(subscription, tp))
                {
                    continue;
                }
                final Integer claimed = generation.get(tp);
                if (null == claimed || subscription.generation() > claimed)
                {
                    owner.put(tp, entry.getKey());
                    generation.put(tp, subscription.generation());
                    contested.remove(tp);
                }
                else if (subscription.generation() == claimed)
                {
                    contested.add(tp);
                }
            }
        }
        for (final TopicPartition tp : contested)
        {
            owner.remove(tp);
        }
        return owner;
    }

    private static void balance(
        final List<String> members,
        final SortedMap<String, GroupSubscription> subscriptions,
        final Map<String, TreeSet<TopicPartition>> target,
        final Map<TopicPartition, String> previousOwner)
    {
        final List<String> byCount = new ArrayList<>(members);
        boolean moved = true;
        while (moved)
        {
            moved = false;
            byCount.sort((a, b) ->
            {
                final int bySize = Integer.compare(target.get(a).size(), target.get(b).size());
                return 0 != bySize ? bySize : a.compareTo(b);
            });
            search:
            for (final String to : byCount)
            {
                for (int i = byCount.size() - 1; i >= 0; i--)
                {
                    final String from = byCount.get(i);
                    if (target.get(from).size() - target.get(to).size() < 2)
                    {
                        break;
                    }
                    final TopicPartition tp = movable(target.get(from), from, subscriptions.get(to), previousOwner);
                    if (null != tp)
                    {
                        target.get(from).remove(tp);
                        target.get(to).add(tp);
                        moved = true;
                        break search;
                    }
                }
            }
        }
    }

    private static TopicPartition movable(
        final TreeSet<TopicPartition> partitions,
        final String from,
        final GroupSubscription to,
        final Map<TopicPartition, String> previousOwner)
    {
        TopicPartition owned = null;
        for (final TopicPartition tp : partitions.descendingSet())
        {
            if (eligible(to, tp))
            {
                if (!from.equals(previousOwner.get(tp)))
                {
                    return tp;
                }
                if (null == owned)
                {
                    owned = tp;
                }
            }
        }
        return owned;
    }

    private static boolean eligible(final GroupSubscription subscription, final TopicPartition tp)
    {
        return subscription.topics().contains(tp.topic());
    }
}
