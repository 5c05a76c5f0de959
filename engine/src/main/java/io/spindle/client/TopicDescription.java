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
 * @param overrides  the keys set explicitly at creation.
 */
public record TopicDescription(
    String name, int topicId, List<PartitionDescription> partitions, Map<String, String> configs, List<String> overrides)
{
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
        int partition, int leader, long logStartOffset, long logEndOffset, long highWatermark, long localLogStartOffset)
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
