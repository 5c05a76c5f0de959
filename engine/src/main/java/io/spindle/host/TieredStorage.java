/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.file.Path;
import java.util.function.Supplier;

import io.aeron.Aeron;
import io.spindle.broker.TopicTable;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;

/**
 * The broker's side of tiered storage (topics with {@code remote.storage.enable}): an agent that copies sealed
 * segments to an archive tier on a thread of its own, never on the produce path. The implementation lives in the
 * archive module; a {@link StandaloneBroker} runs one when its context is given a {@link Factory}.
 * <p>
 * A broker with tiered storage leaves the directories of topics deleted before its restart
 * ({@link io.spindle.broker.PartitionDirectories#DELETED_SUFFIX}) to the agent, which purges the recordings their
 * manifests list and then deletes them; and the agent reports a table version ({@link #observedTableVersion()}) past
 * a topic's deletion only once it has purged the topic's recordings, so the broker keeps the directories until then.
 */
public interface TieredStorage extends AutoCloseable
{
    /**
     * Creates the tiered storage of a broker once its client and state machine exist.
     */
    @FunctionalInterface
    interface Factory
    {
        /**
         * Create the tiered storage of a broker.
         *
         * @param aeron        the broker's client.
         * @param topics       the current topic table, readable from any thread.
         * @param dataDir      the broker's data directory.
         * @param host         the broker's listen host, an address an archive on another machine can reach.
         * @param nodeId       of the broker, part of the labels of the tier's counters.
         * @param errorHandler for failures the agent recovers from.
         * @return the tiered storage, closed by the broker after its agent stopped.
         */
        TieredStorage create(
            Aeron aeron, Supplier<TopicTable> topics, Path dataDir, String host, int nodeId, ErrorHandler errorHandler);
    }

    /**
     * The agent copying segments; the broker runs it on its own thread with a back-off idle strategy.
     *
     * @return the agent.
     */
    Agent agent();

    /**
     * The version of the topic table the agent last loaded: no log of a topic deleted before that version is in use
     * by it, so the broker may close such logs; any thread.
     *
     * @return the table version.
     */
    long observedTableVersion();

    /**
     * Release the archive client, any embedded archive and the counters; after the agent stopped.
     */
    void close();
}
