package io.spindle.client;

import java.util.List;

/**
 * What a member of a consumer group told the leader when it joined: the topics it wants and, for the
 * cooperative protocol, the partitions it owns and the generation it owned them in.
 *
 * @param topics          subscribed topic names, sorted.
 * @param ownedPartitions partitions the member owns, sorted (empty under the eager protocols).
 * @param generation      the generation the member last joined (its owned partitions are from it), or -1.
 */
public record GroupSubscription(List<String> topics, List<TopicPartition> ownedPartitions, int generation)
{
}
