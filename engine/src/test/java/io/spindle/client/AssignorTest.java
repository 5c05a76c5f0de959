package io.spindle.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The assignors as the pure functions they are, and the consumer protocol bytes they travel in.
 */
class AssignorTest
{
    @Test
    void rangeGivesContiguousRangesPerTopicAsKafkaDoes()
    {
        final Map<String, List<TopicPartition>> result = new RangeAssignor().assign(
            Map.of("t0", 3, "t1", 3),
            members(Map.of("c0", sub(List.of("t0", "t1")), "c1", sub(List.of("t0", "t1")))));
        assertEquals(List.of(tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)), result.get("c0"));
        assertEquals(List.of(tp("t0", 2), tp("t1", 2)), result.get("c1"));
    }

    @Test
    void roundRobinDealsPartitionsInTurnSkippingMembersNotSubscribed()
    {
        final Map<String, List<TopicPartition>> result = new RoundRobinAssignor().assign(
            Map.of("t0", 3, "t1", 2),
            members(Map.of("c0", sub(List.of("t0", "t1")), "c1", sub(List.of("t0")), "c2", sub(List.of("t1")))));
        assertEquals(List.of(tp("t0", 0), tp("t0", 2), tp("t1", 1)), result.get("c0"));
        assertEquals(List.of(tp("t0", 1)), result.get("c1"));
        assertEquals(List.of(tp("t1", 0)), result.get("c2"));
    }

    @Test
    void cooperativeStickyKeepsOwnedPartitionsAndOnlyTakesAwayWhatMoves()
    {
        final CooperativeStickyAssignor assignor = new CooperativeStickyAssignor();
        final Map<String, Integer> topics = Map.of("t", 6);
        final Map<String, List<TopicPartition>> first = assignor.assign(topics,
            members(Map.of("a", sub(List.of("t")), "b", sub(List.of("t")))));
        assertEquals(3, first.get("a").size());
        assertEquals(3, first.get("b").size());

        final Map<String, List<TopicPartition>> second = assignor.assign(topics, members(Map.of(
            "a", new GroupSubscription(List.of("t"), first.get("a"), 1),
            "b", new GroupSubscription(List.of("t"), first.get("b"), 1),
            "c", sub(List.of("t")))));
        assertTrue(first.get("a").containsAll(second.get("a")), "a keeps only what it had");
        assertTrue(first.get("b").containsAll(second.get("b")), "b keeps only what it had");
        assertEquals(List.of(), second.get("c"), "moved partitions are first only revoked");
        assertEquals(4, second.get("a").size() + second.get("b").size());

        final Map<String, List<TopicPartition>> third = assignor.assign(topics, members(Map.of(
            "a", new GroupSubscription(List.of("t"), second.get("a"), 2),
            "b", new GroupSubscription(List.of("t"), second.get("b"), 2),
            "c", new GroupSubscription(List.of("t"), List.of(), 2))));
        assertEquals(second.get("a"), third.get("a"));
        assertEquals(second.get("b"), third.get("b"));
        assertEquals(2, third.get("c").size(), "the follow-up rebalance hands them over");
        assertAllOnce(third, 6);
    }

    @Test
    void cooperativeStickyResolvesClaimsByGenerationAndBalancesUnevenSubscriptions()
    {
        final CooperativeStickyAssignor assignor = new CooperativeStickyAssignor();
        final Map<String, List<TopicPartition>> result = assignor.assign(Map.of("x", 2, "y", 4), members(Map.of(
            "a", new GroupSubscription(List.of("x", "y"), List.of(tp("y", 0), tp("y", 1)), 4),
            "b", new GroupSubscription(List.of("x", "y"), List.of(tp("y", 0)), 3),
            "c", new GroupSubscription(List.of("y"), List.of(), -1))));
        assertTrue(!result.get("b").contains(tp("y", 0)), "the newer generation's claim wins");
        for (final TopicPartition tp : result.get("c"))
        {
            assertEquals("y", tp.topic(), "c only gets topics it subscribes to");
        }
        final List<TopicPartition> all = new ArrayList<>();
        for (final List<TopicPartition> partitions : result.values())
        {
            all.addAll(partitions);
        }
        assertEquals(all.size(), new java.util.HashSet<>(all).size(), "no partition twice");
        assertTrue(result.get("a").containsAll(List.of(tp("y", 0), tp("y", 1))) ||
            result.get("a").size() >= 1, "a keeps what it validly owns unless it must give some up");
    }

    @Test
    void subscriptionAndAssignmentBytesRoundTripAndTolerateNewerFields()
    {
        final byte[] subscription = ConsumerProtocol.encodeSubscription(
            List.of("b", "a"), List.of(tp("a", 3), tp("a", 1), tp("b", 0)), 7);
        final GroupSubscription decoded = ConsumerProtocol.decodeSubscription(subscription);
        assertEquals(List.of("a", "b"), decoded.topics());
        assertEquals(List.of(tp("a", 1), tp("a", 3), tp("b", 0)), decoded.ownedPartitions());
        assertEquals(7, decoded.generation());

        final byte[] longer = java.util.Arrays.copyOf(subscription, subscription.length + 9);
        assertEquals(decoded, ConsumerProtocol.decodeSubscription(longer),
            "a newer version's extra fields are ignored");

        final byte[] assignment = ConsumerProtocol.encodeAssignment(List.of(tp("z", 2), tp("y", 0)));
        assertEquals(List.of(tp("y", 0), tp("z", 2)), ConsumerProtocol.decodeAssignment(assignment));
        assertEquals(List.of(), ConsumerProtocol.decodeAssignment(new byte[0]));
        assertThrows(IllegalArgumentException.class,
            () -> ConsumerProtocol.decodeAssignment(java.util.Arrays.copyOf(assignment, assignment.length - 3)));
        assertThrows(IllegalArgumentException.class, () -> PartitionAssignor.named("sticky"));
    }

    private static void assertAllOnce(final Map<String, List<TopicPartition>> assignment, final int partitions)
    {
        final List<TopicPartition> all = new ArrayList<>();
        for (final List<TopicPartition> owned : assignment.values())
        {
            all.addAll(owned);
        }
        assertEquals(partitions, all.size());
        assertEquals(partitions, new java.util.HashSet<>(all).size());
    }

    private static SortedMap<String, GroupSubscription> members(final Map<String, GroupSubscription> members)
    {
        return new TreeMap<>(members);
    }

    private static GroupSubscription sub(final List<String> topics)
    {
        return new GroupSubscription(topics, List.of(), -1);
    }

    private static TopicPartition tp(final String topic, final int partition)
    {
        return new TopicPartition(topic, partition);
    }
}
