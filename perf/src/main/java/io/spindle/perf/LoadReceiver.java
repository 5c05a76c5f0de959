/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

/**
 * The receiving side of a latency run: Spindle's consumer or a raw Aeron subscription. Owned by the receiving thread,
 * which reports every message to the {@link LatencySink} it was made with.
 */
interface LoadReceiver extends AutoCloseable
{
    /**
     * Deliver what has arrived.
     *
     * @return messages delivered.
     */
    int poll();

    /**
     * {@inheritDoc}
     */
    void close();
}
