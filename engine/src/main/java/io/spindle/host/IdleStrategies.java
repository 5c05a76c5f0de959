/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.util.concurrent.TimeUnit;

import io.spindle.config.ConfigValues;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Idle strategies from configuration strings, for the broker's agents, the embedded media driver and the perf
 * harness.
 * <p>
 * Accepted: Aeron's names ({@code backoff}, {@code sleep-ns}, {@code yield}, {@code spin}, {@code noop}) or a class
 * name, as {@code aeron.*.idle.strategy} accepts them, and a parameterised back-off,
 * {@code backoff:SPINS:YIELDS:MIN_PARK:MAX_PARK} with durations such as {@code 1us} or {@code 1ms}:
 * spin SPINS times, then {@code Thread.yield()} YIELDS times, then park from MIN_PARK doubling to MAX_PARK, and start
 * over after any work.
 */
public final class IdleStrategies
{
    /**
     * The broker's default: back off like Aeron's {@code backoff} (10 spins, 1 µs to 1 ms parks) but yield 200 times
     * before the first park. The first park of a thread costs it a timer wake-up — 60-90 µs on a 2-vCPU VM, where
     * {@code parkNanos(1000)} returns after the 50 µs timer slack plus the wake-up — and every produce and fetch
     * waits for the broker's. Yielding first keeps the broker awake for roughly 100-300 µs after each piece of work,
     * so at thousands of messages a second it answers without that wake-up, while an idle broker still parks and
     * costs nothing. On a busy machine a yield hands the core to whichever thread is ready.
     */
    public static final String BROKER_DEFAULT = "backoff:10:200:1us:1ms";

    private static final String BACKOFF_PREFIX = "backoff:";

    private IdleStrategies()
    {
    }

    /**
     * A new idle strategy from its configuration string.
     *
     * @param spec an Aeron name, a class name or {@code backoff:SPINS:YIELDS:MIN_PARK:MAX_PARK}.
     * @return a new instance (idle strategies have state: one per thread).
     * @throws IllegalArgumentException when the string names no strategy.
     */
    public static IdleStrategy create(final String spec)
    {
        if (null == spec || spec.isBlank())
        {
            throw new IllegalArgumentException("no idle strategy given");
        }
        final String trimmed = spec.trim();
        if (trimmed.startsWith(BACKOFF_PREFIX))
        {
            return backoff(trimmed);
        }
        try
        {
            return io.aeron.driver.Configuration.agentIdleStrategy(trimmed, null);
        }
        catch (final Exception ex)
        {
            // Aeron rethrows a missing class's ClassNotFoundException unchecked.
            throw new IllegalArgumentException("unknown idle strategy '" + trimmed + "': expected backoff, " +
                "backoff:SPINS:YIELDS:MIN_PARK:MAX_PARK, sleep-ns, yield, spin, noop or a class name", ex);
        }
    }

    private static IdleStrategy backoff(final String spec)
    {
        final String[] parts = spec.substring(BACKOFF_PREFIX.length()).split(":", -1);
        if (4 != parts.length)
        {
            throw new IllegalArgumentException(
                "idle strategy '" + spec + "': expected backoff:SPINS:YIELDS:MIN_PARK:MAX_PARK, e.g. " +
                BROKER_DEFAULT);
        }
        final long spins = count(spec, "SPINS", parts[0]);
        final long yields = count(spec, "YIELDS", parts[1]);
        final long minParkNs = duration(spec, "MIN_PARK", parts[2]);
        final long maxParkNs = duration(spec, "MAX_PARK", parts[3]);
        if (minParkNs < 1 || maxParkNs < minParkNs)
        {
            throw new IllegalArgumentException(
                "idle strategy '" + spec + "': parks must satisfy 0 < MIN_PARK <= MAX_PARK");
        }
        return new BackoffIdleStrategy(spins, yields, minParkNs, maxParkNs);
    }

    private static long count(final String spec, final String name, final String value)
    {
        try
        {
            final long count = Long.parseLong(value.trim());
            if (count < 0 || count > 1_000_000)
            {
                throw new NumberFormatException();
            }
            return count;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(
                "idle strategy '" + spec + "': " + name + " must be a count 0..1000000, was '" + value + "'");
        }
    }

    private static long duration(final String spec, final String name, final String value)
    {
        try
        {
            return ConfigValues.parseDuration(name, value, TimeUnit.NANOSECONDS);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(
                "idle strategy '" + spec + "': " + name + " must be a duration such as 1us or 1ms, was '" + value +
                "'");
        }
    }
}
