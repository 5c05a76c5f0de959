/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What producers attempted and what they were told, recorded from their callbacks, for the
 * {@link ReplicationChecker}: one {@link Attempt} per record, with its producer, the producer's sequence number,
 * its partition, its value and its {@link Outcome}.
 * <p>
 * A record's value identifies it, so values must be unique within a partition (e.g. {@code "p1-000042"}: producer
 * and sequence); recording a second outcome for the same value in the same partition is refused. A producer sends
 * its records in sequence order; the sequence numbers of one producer need not be contiguous.
 * <p>
 * Thread-safe: any number of producer callback threads may record concurrently.
 */
public final class History
{
    /**
     * No offset: the offset of an attempt that was not acknowledged.
     */
    public static final long NULL_OFFSET = -1;

    /**
     * What a producer was told about a record.
     */
    public enum Outcome
    {
        /**
         * Acknowledged at an offset: it must be at that offset on every member, once.
         */
        ACKNOWLEDGED,

        /**
         * Definitely not written, e.g. refused with a non-retriable error before it was sent: it must be on no
         * member.
         */
        FAILED,

        /**
         * Timed out or the connection was lost: it may or may not be in the log, but at most once.
         */
        IN_DOUBT
    }

    /**
     * One produce attempt of one record and its outcome.
     */
    public static final class Attempt
    {
        private final String producer;
        private final long sequence;
        private final String topic;
        private final int partition;
        private final byte[] value;
        private final Outcome outcome;
        private final long offset;

        Attempt(
            final String producer,
            final long sequence,
            final String topic,
            final int partition,
            final byte[] value,
            final Outcome outcome,
            final long offset)
        {
            this.producer = producer;
            this.sequence = sequence;
            this.topic = topic;
            this.partition = partition;
            this.value = value;
            this.outcome = outcome;
            this.offset = offset;
        }

        /**
         * The producer that sent the record.
         *
         * @return the producer's name.
         */
        public String producer()
        {
            return producer;
        }

        /**
         * The producer's own sequence number of the record; a producer sends in increasing sequence order.
         *
         * @return the sequence number.
         */
        public long sequence()
        {
            return sequence;
        }

        /**
         * Topic of the record.
         *
         * @return the topic name.
         */
        public String topic()
        {
            return topic;
        }

        /**
         * Partition of the record.
         *
         * @return the partition index.
         */
        public int partition()
        {
            return partition;
        }

        /**
         * The record's value, which identifies it within its partition.
         *
         * @return a copy of the value bytes.
         */
        public byte[] value()
        {
            return value.clone();
        }

        /**
         * What the producer was told.
         *
         * @return the outcome.
         */
        public Outcome outcome()
        {
            return outcome;
        }

        /**
         * The offset the record was acknowledged at.
         *
         * @return the offset, or {@link #NULL_OFFSET} unless {@link Outcome#ACKNOWLEDGED}.
         */
        public long offset()
        {
            return offset;
        }

        ValueKey valueKey()
        {
            return new ValueKey(value);
        }

        /**
         * {@inheritDoc}
         */
        public String toString()
        {
            return topic + "-" + partition + " " + ValueKey.display(value) + " (" + producer + " seq " + sequence +
                ", " + outcome + (Outcome.ACKNOWLEDGED == outcome ? " at " + offset : "") + ")";
        }
    }

    private final ArrayList<Attempt> attempts = new ArrayList<>();
    private final Set<PartitionValue> recorded = new HashSet<>();

    /**
     * Record a record acknowledged at an offset.
     *
     * @param producer  that sent it.
     * @param sequence  the producer's sequence number of the record.
     * @param topic     of the record.
     * @param partition of the record.
     * @param offset    the acknowledged offset.
     * @param value     of the record, unique within the partition; copied.
     * @throws IllegalArgumentException if the value was already recorded in that partition, or the offset is
     *                                  negative.
     */
    public void acknowledged(
        final String producer,
        final long sequence,
        final String topic,
        final int partition,
        final long offset,
        final byte[] value)
    {
        if (offset < 0)
        {
            throw new IllegalArgumentException("acknowledged offset=" + offset);
        }

        add(producer, sequence, topic, partition, value, Outcome.ACKNOWLEDGED, offset);
    }

    /**
     * Record a record whose outcome is unknown: timed out, or the connection was lost before the answer.
     *
     * @param producer  that sent it.
     * @param sequence  the producer's sequence number of the record.
     * @param topic     of the record.
     * @param partition of the record.
     * @param value     of the record, unique within the partition; copied.
     * @throws IllegalArgumentException if the value was already recorded in that partition.
     */
    public void inDoubt(
        final String producer, final long sequence, final String topic, final int partition, final byte[] value)
    {
        add(producer, sequence, topic, partition, value, Outcome.IN_DOUBT, NULL_OFFSET);
    }

    /**
     * Record a record that was definitely not written, e.g. refused with a non-retriable error before it was sent.
     *
     * @param producer  that sent it.
     * @param sequence  the producer's sequence number of the record.
     * @param topic     of the record.
     * @param partition of the record.
     * @param value     of the record, unique within the partition; copied.
     * @throws IllegalArgumentException if the value was already recorded in that partition.
     */
    public void failed(
        final String producer, final long sequence, final String topic, final int partition, final byte[] value)
    {
        add(producer, sequence, topic, partition, value, Outcome.FAILED, NULL_OFFSET);
    }

    /**
     * The attempts recorded so far, in the order they were recorded.
     *
     * @return a new list.
     */
    public synchronized List<Attempt> attempts()
    {
        return new ArrayList<>(attempts);
    }

    /**
     * Number of attempts recorded so far.
     *
     * @return the count.
     */
    public synchronized int size()
    {
        return attempts.size();
    }

    /**
     * {@inheritDoc}
     */
    public synchronized String toString()
    {
        return "History{attempts=" + attempts.size() + '}';
    }

    private synchronized void add(
        final String producer,
        final long sequence,
        final String topic,
        final int partition,
        final byte[] value,
        final Outcome outcome,
        final long offset)
    {
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(value, "value");
        final byte[] copy = value.clone();
        if (!recorded.add(new PartitionValue(topic, partition, new ValueKey(copy))))
        {
            throw new IllegalArgumentException(
                "value " + ValueKey.display(copy) + " already recorded in " + topic + "-" + partition);
        }

        attempts.add(new Attempt(producer, sequence, topic, partition, copy, outcome, offset));
    }

    private record PartitionValue(String topic, int partition, ValueKey value)
    {
    }
}
