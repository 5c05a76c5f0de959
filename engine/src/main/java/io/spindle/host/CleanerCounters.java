/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.spindle.log.LogCleaner;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The broker's log cleaner counters, beside {@link BrokerCounters} in the driver's counters file (same type id,
 * labels {@code spindle-N: cleaner ...}): cleanings finished, bytes of segments read, records removed, and
 * cleanings that failed.
 */
public final class CleanerCounters implements AutoCloseable
{
    /**
     * Cleanings finished and ready to swap in.
     */
    public final AtomicCounter passes;

    /**
     * Bytes of segments the cleaner read.
     */
    public final AtomicCounter bytesCleaned;

    /**
     * Records and transaction markers the finished cleanings removed.
     */
    public final AtomicCounter recordsRemoved;

    /**
     * Cleanings that failed, in the cleaner or while being swapped in.
     */
    public final AtomicCounter errors;

    private final Counter[] all;

    /**
     * Allocate the counters through a client of the broker's driver.
     *
     * @param aeron  client of the broker's driver.
     * @param nodeId of the broker, part of each label.
     */
    public CleanerCounters(final Aeron aeron, final int nodeId)
    {
        final String prefix = "spindle-" + nodeId + ": cleaner ";
        all = new Counter[]{
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "passes"),
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "bytes cleaned"),
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "records removed"),
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "errors"),
        };
        passes = all[0];
        bytesCleaned = all[1];
        recordsRemoved = all[2];
        errors = all[3];
    }

    /**
     * A background cleaner that counts its work here.
     *
     * @param maxBytesPerSecond throttle on the segment bytes read per second.
     * @param nodeId            of the broker, part of the thread's name.
     * @return the started cleaner.
     */
    public LogCleaner newCleaner(final long maxBytesPerSecond, final int nodeId)
    {
        return LogCleaner.background(maxBytesPerSecond, "spindle-log-cleaner-" + nodeId)
            .counters(passes, bytesCleaned, recordsRemoved, errors);
    }

    /**
     * Free the counters.
     */
    public void close()
    {
        CloseHelper.closeAll(all);
    }
}
