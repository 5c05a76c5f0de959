/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

/**
 * The sending side of a latency run: Spindle's producer or a raw Aeron publication. Owned by the publishing thread,
 * which records acknowledgements through the {@link LatencySink} it was made with.
 */
interface LoadSender extends AutoCloseable
{
    /**
     * Send one message whose first 16 bytes are its sequence and intended send time.
     *
     * @param sequence   of the message, from 0.
     * @param partition  to send it to.
     * @param intendedNs its intended send time.
     * @return true when it was taken, false when back-pressured (call {@link #poll()} and retry).
     */
    boolean send(long sequence, int partition, long intendedNs);

    /**
     * Whether {@link #send} returns only once the message is done (a transaction committed) rather than once it is
     * taken: its send lateness is then measured to the call, not to the return.
     *
     * @return false unless the sender says otherwise.
     */
    default boolean completesInSend()
    {
        return false;
    }

    /**
     * Take acknowledgements and do housekeeping.
     *
     * @return work done.
     */
    int poll();

    /**
     * Wait until everything sent is acknowledged, or the deadline passes.
     *
     * @param deadlineNs on {@link System#nanoTime()}.
     * @return true when nothing is outstanding.
     */
    boolean drain(long deadlineNs);

    /**
     * {@inheritDoc}
     */
    void close();
}
