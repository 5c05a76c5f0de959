package io.spindle.client;

import java.util.List;
import java.util.Map;

/**
 * A topic as {@link Admin#describeTopic(String)} reports it.
 *
 * @param name       the topic name.
 * @param topicId    the broker-assigned id.
 * @param partitions each partition's leader and offsets.
 * @param configs    the effective configuration, defaults included.
 * @param overrides  the keys the topic sets itself (at creation or by a later change).
 * @param sources    by key, where each effective value comes from: {@link #SOURCE_TOPIC}, {@link #SOURCE_BROKER}
 *                   or {@link #SOURCE_DEFAULT}.
 */
public record TopicDescription(
    String name,
    int topicId,
    List<PartitionDescription> partitions,
    Map<String, String> configs,
    List<String> overrides,
    Map<String, String> sources)
{
    /**
     * The value is the topic's own override.
     */
    public static final String SOURCE_TOPIC = "topic";

    /**
     * The value is the broker's default for topics, set in the broker's configuration.
     */
    public static final String SOURCE_BROKER = "broker";

    /**
     * The value is Spindle's built-in default.
     */
    public static final String SOURCE_DEFAULT = "default";

    /**
     * A description without sources, as from a broker that does not report them: overrides are the topic's, the
     * rest default.
     *
     * @param name       the topic name.
     * @param topicId    the broker-assigned id.
     * @param partitions each partition's leader and offsets.
     * @param configs    the effective configuration, defaults included.
     * @param overrides  the keys the topic sets itself.
     */
    public TopicDescription(
        final String name,
        final int topicId,
        final List<PartitionDescription> partitions,
        final Map<String, String> configs,
        final List<String> overrides)
    {
        this(name, topicId, partitions, configs, overrides, Map.of());
    }

    /**
     * Where an effective value comes from.
     *
     * @param key the config key.
     * @return {@link #SOURCE_TOPIC}, {@link #SOURCE_BROKER} or {@link #SOURCE_DEFAULT}.
     */
    public String source(final String key)
    {
        final String source = sources.get(key);
        if (null != source && !source.isEmpty())
        {
            return source;
        }
        return overrides.contains(key) ? SOURCE_TOPIC : SOURCE_DEFAULT;
    }

    /**
     * One partition of a described topic.
     *
     * @param partition      the partition number.
     * @param leader         node id of its leader.
     * @param logStartOffset      first offset still in the log, in the archive tier with tiered storage.
     * @param logEndOffset        offset the next record will get.
     * @param highWatermark       offset up to which consumers may read.
     * @param localLogStartOffset first offset on the broker's local disk (the log start without tiered storage).
     */
    public record PartitionDescription(
        int partition, int leader, long logStartOffset, long logEndOffset, long highWatermark,
        long localLogStartOffset)
    {
        /**
         * A partition without tiered storage: the local log start is the log start.
         *
         * @param partition      the partition number.
         * @param leader         node id of its leader.
         * @param logStartOffset first offset still in the log.
         * @param logEndOffset   offset the next record will get.
         * @param highWatermark  offset up to which consumers may read.
         */
        public PartitionDescription(
            final int partition, final int leader, final long logStartOffset, final long logEndOffset,
            final long highWatermark)
        {
            this(partition, leader, logStartOffset, logEndOffset, highWatermark, logStartOffset);
        }
    }
}
