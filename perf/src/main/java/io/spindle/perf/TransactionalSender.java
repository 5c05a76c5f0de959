/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.spindle.client.Producer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sends the load as transactions through a transactional {@link Producer} ({@code spindle perf latency
 * --transactional}): each message of the schedule is one transaction of {@code records} records, begun, sent and
 * committed before {@link #send} returns, and its commit latency (intended start to {@code commitTransaction}
 * returning) is recorded in the sink. Record {@code j} of transaction {@code i} goes to partition
 * {@code (i * records + j) % partitions}, so a transaction spans several partitions when there are several.
 * <p>
 * <b>Threading:</b> owned by the publishing thread, like the producer.
 */
final class TransactionalSender implements LoadSender
{
    private final Producer producer;
    private final String topic;
    private final int size;
    private final int partitions;
    private final int records;
    private final LatencySink sink;
    private final UnsafeBuffer value;
    private final IdleStrategy idle = new BackoffIdleStrategy();

    /**
     * A sender on a connected producer whose transactions were initialised.
     *
     * @param producer connected, {@link Producer#initTransactions()} done.
     * @param topic    to send to.
     * @param load     size and partitions of the run.
     * @param records  records in each transaction.
     * @param sink     where commit latencies are recorded.
     */
    TransactionalSender(
        final Producer producer, final String topic, final LoadOptions load, final int records, final LatencySink sink)
    {
        this.producer = producer;
        this.topic = topic;
        this.size = load.size;
        this.partitions = load.partitions;
        this.records = records;
        this.sink = sink;
        this.value = new UnsafeBuffer(new byte[load.size]);
    }

    /**
     * Run one transaction: begin, send its records, commit, record the commit latency. Never back-pressured as a
     * whole: a record's back-pressure is waited out inside the transaction.
     *
     * @param sequence   the transaction's number, from 0.
     * @param partition  ignored: each record's partition follows from its number.
     * @param intendedNs the transaction's intended start.
     * @return true once the transaction committed.
     * @throws io.spindle.client.SpindleException when the transaction cannot commit.
     */
    public boolean send(final long sequence, final int partition, final long intendedNs)
    {
        producer.beginTransaction();
        final long first = sequence * records;
        for (int i = 0; i < records; i++)
        {
            final long record = first + i;
            value.putLong(0, record);
            value.putLong(8, intendedNs);
            idle.reset();
            final int toPartition = (int)(record % partitions);
            int result;
            while (Producer.BACK_PRESSURED ==
                (result = producer.send(topic, toPartition, null, 0, -1, value, 0, size, null, null)))
            {
                idle.idle(producer.poll());
            }
            if (Producer.OK != result)
            {
                throw new IllegalStateException("record " + record + " refused: " + result);
            }
        }
        producer.commitTransaction();
        sink.onCommitted(sequence, intendedNs);
        return true;
    }

    /**
     * A transaction is done when {@link #send} returns; its lateness is its start's.
     *
     * @return true.
     */
    public boolean completesInSend()
    {
        return true;
    }

    /**
     * {@inheritDoc}
     */
    public int poll()
    {
        return producer.poll();
    }

    /**
     * Nothing is outstanding between transactions: each committed before {@link #send} returned.
     *
     * @param deadlineNs unused.
     * @return true.
     */
    public boolean drain(final long deadlineNs)
    {
        return true;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        producer.close();
    }
}
