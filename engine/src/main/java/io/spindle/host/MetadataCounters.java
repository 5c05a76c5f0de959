package io.spindle.host;

import io.aeron.Aeron;
import io.aeron.Counter;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A standalone broker's counters of its {@code spindle.meta} writes ({@link MetadataPersister}) and of the answers
 * waiting for them ({@link ControlAgent}), in the driver's counters file beside {@link BrokerCounters}, so
 * {@code spindle stat} and AeronStat show them: a disk that stalls shows as answers held and a long write.
 */
final class MetadataCounters implements AutoCloseable
{
    /**
     * Writes of {@code spindle.meta} completed (written, forced, renamed); the persister's thread.
     */
    final AtomicCounter writes;

    /**
     * Bytes of the snapshots those writes wrote; the persister's thread.
     */
    final AtomicCounter bytesWritten;

    /**
     * Writes that failed; the persister's thread.
     */
    final AtomicCounter writeFailures;

    /**
     * The longest write, in microseconds, of the last completed second in which the persister ran (0: no write);
     * the persister's thread.
     */
    final AtomicCounter longestWriteUs;

    /**
     * Answers held now, waiting for a write to complete (a gauge); the control thread.
     */
    final AtomicCounter answersHeld;

    /**
     * Requests refused unapplied with REQUEST_TIMED_OUT because the answers held had reached
     * {@code spindle.metadata.max.held.answers}; the control thread.
     */
    final AtomicCounter requestsRefused;

    private final Counter[] all;

    /**
     * Allocate the counters through a client of the broker's driver.
     *
     * @param aeron  client of the broker's driver.
     * @param nodeId of the broker, part of each label.
     */
    MetadataCounters(final Aeron aeron, final int nodeId)
    {
        final String prefix = "spindle-" + nodeId + ": metadata ";
        all = new Counter[]{
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "writes"),
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "bytes written"),
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "write failures"),
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "longest write us (last second)"),
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "answers held"),
            aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, prefix + "requests refused (held answers full)"),
        };
        writes = all[0];
        bytesWritten = all[1];
        writeFailures = all[2];
        longestWriteUs = all[3];
        answersHeld = all[4];
        requestsRefused = all[5];
    }

    /**
     * Free the counters.
     */
    public void close()
    {
        CloseHelper.closeAll(all);
    }
}
