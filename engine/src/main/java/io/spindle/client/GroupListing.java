package io.spindle.client;

/**
 * A consumer group as {@link Admin#listGroups()} lists it.
 *
 * @param groupId      the group id.
 * @param protocolType {@code consumer}, or empty for a group that only holds committed offsets.
 * @param state        Kafka's state name: {@code Empty}, {@code PreparingRebalance},
 *                     {@code CompletingRebalance} or {@code Stable}.
 */
public record GroupListing(String groupId, String protocolType, String state)
{
}
