/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

/**
 * The intended send times of a fixed-rate load: message {@code i} is due at {@code startNs + i / rate}, whatever
 * happened to the messages before it, so a stall shows up in every message it delays (no coordinated omission).
 */
final class FixedRateSchedule
{
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long startNs;
    private final long rate;

    /**
     * A schedule from a start time.
     *
     * @param startNs intended send time of message 0, on {@link System#nanoTime()}.
     * @param rate    messages per second.
     */
    FixedRateSchedule(final long startNs, final long rate)
    {
        if (rate <= 0)
        {
            throw new IllegalArgumentException("rate must be positive, was " + rate);
        }
        this.startNs = startNs;
        this.rate = rate;
    }

    /**
     * Intended send time of message 0.
     *
     * @return the start on {@link System#nanoTime()}.
     */
    long startNs()
    {
        return startNs;
    }

    /**
     * Intended send time of a message.
     *
     * @param index of the message, from 0.
     * @return the time on {@link System#nanoTime()}.
     */
    long intendedNs(final long index)
    {
        return startNs + index * NANOS_PER_SECOND / rate;
    }

    /**
     * Number of messages due by a time: every message whose intended send time is at or before it.
     *
     * @param nowNs on {@link System#nanoTime()}.
     * @return how many messages should have been sent by now.
     */
    long dueCount(final long nowNs)
    {
        final long elapsedNs = nowNs - startNs;
        return elapsedNs < 0 ? 0 : elapsedNs * rate / NANOS_PER_SECOND + 1;
    }

    /**
     * Number of messages in a span from the start.
     *
     * @param seconds the span.
     * @return messages whose intended send time falls in {@code [start, start + seconds)}.
     */
    long count(final long seconds)
    {
        return seconds * rate;
    }
}
