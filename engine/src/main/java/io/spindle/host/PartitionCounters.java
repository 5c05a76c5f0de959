/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Map;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.aeron.exceptions.AeronException;
import io.spindle.broker.Topic;
import io.spindle.broker.TopicTable;
import io.spindle.log.PartitionLog;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Per partition, its log start offset, log end offset and high-water mark as counters in the driver's counters file
 * ({@link BrokerCounters#PARTITION_COUNTER_TYPE_ID}, keyed by topic id, partition and {@code KIND_*}). Owned by the
 * state machine's thread: it adds the counters of a new topic's partitions without waiting for the driver (the adds
 * complete on later ticks), removes a deleted topic's, and sets the values on every tick. At most
 * {@code spindle.stat.max.partitions} partitions (default 1024) get counters: the counters file is finite. A
 * compaction that failed on the cleaner's thread is reported to the error handler from here, the partitions' owner.
 */
final class PartitionCounters implements AutoCloseable
{
    private static final int KINDS = 3;
    private static final long NULL_REGISTRATION = -1;

    private final Aeron aeron;
    private final String prefix;
    private final int maxPartitions;
    private final ErrorHandler errorHandler;
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[3 * Integer.BYTES]);
    private long tableVersion = -1;
    private Entry[] entries = new Entry[0];
    private boolean isCapReported;

    PartitionCounters(final Aeron aeron, final int nodeId, final int maxPartitions, final ErrorHandler errorHandler)
    {
        this.aeron = aeron;
        this.prefix = "spindle-" + nodeId + ": partition ";
        this.maxPartitions = maxPartitions;
        this.errorHandler = errorHandler;
    }

    /**
     * Follow the topic table and set the values; state machine thread.
     *
     * @param table the current topics.
     */
    void update(final TopicTable table)
    {
        if (table.version() != tableVersion)
        {
            tableVersion = table.version();
            reconcile(table);
        }

        for (final Entry entry : entries)
        {
            entry.update();
        }
    }

    /**
     * Remove every counter.
     */
    public void close()
    {
        for (final Entry entry : entries)
        {
            entry.remove();
        }
        entries = new Entry[0];
    }

    private void reconcile(final TopicTable table)
    {
        final Map<Topic, Entry[]> previous = new IdentityHashMap<>();
        for (final Entry entry : entries)
        {
            previous.computeIfAbsent(entry.topic, (topic) -> new Entry[topic.partitionCount()])[entry.partition] =
                entry;
        }

        int count = 0;
        for (int i = 0; i < table.topicCount(); i++)
        {
            count += table.topicAt(i).partitionCount();
        }
        final Entry[] next = new Entry[Math.min(count, maxPartitions)];
        int n = 0;
        for (int i = 0; i < table.topicCount(); i++)
        {
            final Topic topic = table.topicAt(i);
            final Entry[] kept = previous.remove(topic);
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                if (null != kept && null != kept[p])
                {
                    next[n++] = kept[p];
                }
                else if (n < next.length)
                {
                    next[n++] = add(topic, p);
                }
                else if (!isCapReported)
                {
                    isCapReported = true;
                    errorHandler.onError(new IllegalStateException("partition counters stop at " + maxPartitions +
                        " partitions (spindle.stat.max.partitions): " + topic.name() + "-" + p +
                            " and later get none"));
                }
            }
        }
        for (final Entry[] gone : previous.values())
        {
            for (final Entry entry : gone)
            {
                if (null != entry)
                {
                    entry.remove();
                }
            }
        }
        entries = n == next.length ? next : java.util.Arrays.copyOf(next, n);
    }

    private Entry add(final Topic topic, final int partition)
    {
        final Entry entry = new Entry(topic, partition);
        for (int kind = 0; kind < KINDS; kind++)
        {
            keyBuffer.putInt(0, topic.id(), ByteOrder.LITTLE_ENDIAN);
            keyBuffer.putInt(Integer.BYTES, partition, ByteOrder.LITTLE_ENDIAN);
            keyBuffer.putInt(2 * Integer.BYTES, kind, ByteOrder.LITTLE_ENDIAN);
            final byte[] label = (prefix + topic.name() + "-" + partition + " " +
                BrokerCounters.partitionCounterKindName(kind))
                .getBytes(StandardCharsets.US_ASCII);
            try
            {
                entry.registrationIds[kind] = aeron.asyncAddCounter(
                    BrokerCounters.PARTITION_COUNTER_TYPE_ID, keyBuffer, 0, keyBuffer.capacity(),
                    new UnsafeBuffer(label), 0, label.length);
            }
            catch (final AeronException ex)
            {
                errorHandler.onError(ex);
            }
        }

        return entry;
    }

    private final class Entry
    {
        final Topic topic;
        final int partition;
        final PartitionLog log;
        final long[] registrationIds = { NULL_REGISTRATION, NULL_REGISTRATION, NULL_REGISTRATION };
        final Counter[] counters = new Counter[KINDS];
        Throwable reportedCleanerFailure;

        Entry(final Topic topic, final int partition)
        {
            this.topic = topic;
            this.partition = partition;
            this.log = topic.partition(partition);
        }

        void update()
        {
            // The cleaner's thread keeps its failure for the log's writer thread, which is this one: report it here.
            final Throwable cleanerFailure = null == log ? null : log.lastCleanerFailure();
            if (null != cleanerFailure && cleanerFailure != reportedCleanerFailure)
            {
                reportedCleanerFailure = cleanerFailure;
                errorHandler.onError(cleanerFailure);
            }

            for (int kind = 0; kind < KINDS; kind++)
            {
                Counter counter = counters[kind];
                if (null == counter && NULL_REGISTRATION != registrationIds[kind])
                {
                    try
                    {
                        counter = aeron.getCounter(registrationIds[kind]);
                        counters[kind] = counter;
                    }
                    catch (final AeronException ex)
                    {
                        registrationIds[kind] = NULL_REGISTRATION;
                        errorHandler.onError(ex);
                    }
                }
                if (null != counter && null != log)
                {
                    counter.setRelease(0 == kind ? log.logStartOffset() :
                        1 == kind ? log.logEndOffset() : log.highWaterMark());
                }
            }
        }

        void remove()
        {
            for (int kind = 0; kind < KINDS; kind++)
            {
                if (NULL_REGISTRATION != registrationIds[kind])
                {
                    try
                    {
                        aeron.asyncRemoveCounter(registrationIds[kind]);
                    }
                    catch (final AeronException ex)
                    {
                        errorHandler.onError(ex);
                    }
                    registrationIds[kind] = NULL_REGISTRATION;
                    counters[kind] = null;
                }
            }
        }
    }
}
