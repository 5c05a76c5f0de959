package io.spindle.broker;

/**
 * Counts kept by the state machine, written by its thread only; a host copies them to counters.
 */
public final class BrokerStats
{
    long batchesAppended;
    long corruptBatches;
    long requestErrors;
    long duplicateBatches;

    /**
     * Record batches appended.
     *
     * @return the count.
     */
    public long batchesAppended()
    {
        return batchesAppended;
    }

    /**
     * Record batches rejected as corrupt.
     *
     * @return the count.
     */
    public long corruptBatches()
    {
        return corruptBatches;
    }

    /**
     * Requests or partitions answered with an error.
     *
     * @return the count.
     */
    public long requestErrors()
    {
        return requestErrors;
    }

    /**
     * Batches of idempotent producers that were appended before and were answered with their first offset instead
     * of being appended again.
     *
     * @return the count.
     */
    public long duplicateBatches()
    {
        return duplicateBatches;
    }
}
