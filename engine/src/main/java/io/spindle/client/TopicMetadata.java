package io.spindle.client;

/**
 * What a producer or consumer needs to address a topic on the hot path.
 *
 * @param name           the topic name.
 * @param topicId        the broker-assigned id carried by produce and fetch requests.
 * @param partitionCount number of partitions.
 */
public record TopicMetadata(String name, int topicId, int partitionCount)
{
}
