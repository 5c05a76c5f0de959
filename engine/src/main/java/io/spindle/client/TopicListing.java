package io.spindle.client;

/**
 * A topic as {@link Admin#listTopics()} reports it.
 *
 * @param name           the topic name.
 * @param topicId        the broker-assigned id.
 * @param partitionCount number of partitions.
 */
public record TopicListing(String name, int topicId, int partitionCount)
{
}
