package io.spindle.client;

/**
 * A blocking {@link Consumer#poll} was interrupted by {@link Consumer#wakeup()} from another thread, as Kafka's
 * {@code WakeupException}: the usual way to stop a poll loop. The consumer is unchanged and may be polled again or
 * closed (from its own thread).
 * <p>
 * Not a {@link SpindleException}: nothing failed, so a loop that retries on {@link SpindleException} still stops.
 */
public class WakeupException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * The consumer was woken up.
     */
    public WakeupException()
    {
        super("the consumer was woken up");
    }
}
