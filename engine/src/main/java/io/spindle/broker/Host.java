package io.spindle.broker;

import io.spindle.log.PartitionLog;
import io.spindle.log.LogCleaner;
import org.agrona.DirectBuffer;

/**
 * The seam between {@link BrokerStateMachine} and whatever hosts it: where answers go, the timers the state
 * machine asks for, and the host's policies where the two hosts differ.
 * <p>
 * The standalone host answers on its own sessions and keeps a timer wheel; the clustered host answers on
 * cluster client sessions and uses cluster timers, which fire in log order on every member and survive a
 * snapshot. The state machine calls the host from its own thread only.
 */
public interface Host
{
    /**
     * Send an encoded response to the session a request came from.
     *
     * @param sessionId of the client session.
     * @param buffer    holding the message.
     * @param offset    of the message.
     * @param length    of the message.
     */
    void sendResponse(long sessionId, DirectBuffer buffer, int offset, int length);

    /**
     * Ask for {@link BrokerStateMachine#onTimer(long, long)} at or after a deadline on the host's clock;
     * scheduling an id again replaces its deadline.
     *
     * @param correlationId identifies the timer.
     * @param deadlineMs    when it should fire, in the time the host passes to commands.
     */
    void scheduleTimer(long correlationId, long deadlineMs);

    /**
     * Cancel a timer scheduled with {@link #scheduleTimer(long, long)}; unknown ids are ignored.
     *
     * @param correlationId identifies the timer.
     */
    void cancelTimer(long correlationId);

    /**
     * Whether the host's timers outlive a restart, as cluster timers do (the consensus module snapshots and
     * restores them). When false the host calls {@link BrokerStateMachine#armRestoredTimers()} after
     * {@link BrokerStateMachine#restore}, once it can take timers and before the first command; the state machine
     * then arms its timers again from the deadlines in its state.
     *
     * @return true when scheduled timers survive a restore.
     */
    boolean timersSurviveRestore();

    /**
     * A partition log failed on storage (no space, an I/O error). The standalone host records it and returns, and
     * the state machine answers {@code KAFKA_STORAGE_ERROR}; a replicated host must not answer differently from
     * the other members, so it throws to stop this member (fail-stop) instead.
     *
     * @param what  the partition and the operation that failed.
     * @param cause the failure.
     */
    void onStorageFailure(String what, Throwable cause);

    /**
     * The cleaner the host's compacted partitions run their cleanings on.
     *
     * @return the process-wide {@link LogCleaner#shared()} unless the host owns one.
     */
    default LogCleaner logCleaner()
    {
        return LogCleaner.shared();
    }

    /**
     * A produce request's batch was appended, before the high-water mark covers it and before its answer leaves: a
     * host that measures latency stamps the time here, and no reader can have seen the batch yet. Called on the state
     * machine's thread; the default does nothing.
     *
     * @param log the partition's log, just appended to.
     */
    default void onAppended(final PartitionLog log)
    {
    }
}
