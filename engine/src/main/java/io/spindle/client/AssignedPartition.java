package io.spindle.client;

/**
 * A partition assigned to a {@link Consumer}: where it reads next and what the broker last said of the partition's
 * ends. The consumer owns the assignment; its {@link Fetcher} advances the positions as it hands records over.
 * Touched only by the consumer's owning thread.
 */
final class AssignedPartition
{
    final TopicPartition tp;
    final int topicId;
    long position = -1;
    long highWatermark = -1;
    long lastStableOffset = -1;
    boolean paused;
    int generation;

    AssignedPartition(final TopicPartition tp, final int topicId)
    {
        this.tp = tp;
        this.topicId = topicId;
    }
}
