package io.spindle.client;

import java.util.Map;

/**
 * Told the outcome of {@link Consumer#commitAsync}; called on the consumer's thread from a later
 * {@link Consumer#poll}, commit or {@link Consumer#close()}.
 */
@FunctionalInterface
public interface OffsetCommitCallback
{
    /**
     * A commit completed.
     *
     * @param offsets the offsets that were to be committed.
     * @param error   null on success, else why the commit (or part of it) failed.
     */
    void onComplete(Map<TopicPartition, OffsetAndMetadata> offsets, SpindleException error);
}
