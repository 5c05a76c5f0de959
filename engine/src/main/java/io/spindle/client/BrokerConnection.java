package io.spindle.client;

import io.aeron.logbuffer.FragmentHandler;
import org.agrona.DirectBuffer;

/**
 * How a client sends requests and receives their responses, whatever serves them: a standalone broker's session
 * ({@link ServerConnection}) or a cluster's ingress and egress ({@link ClusterConnection}).
 * <p>
 * <b>Threading:</b> owned by the thread of the client that made it.
 */
interface BrokerConnection extends AutoCloseable
{
    /**
     * Offer a request.
     *
     * @param buffer holding the message.
     * @param offset of the message.
     * @param length of the message.
     * @return the new position, or a negative {@link io.aeron.Publication} code.
     */
    long offer(DirectBuffer buffer, int offset, int length);

    /**
     * Poll for responses; each goes to the handler once, starting at its SBE message header.
     *
     * @param handler for responses.
     * @param limit   fragments to poll at most.
     * @return work done.
     */
    int poll(FragmentHandler handler, int limit);

    /**
     * Keep the session alive and notice when it is lost.
     *
     * @param nowNs {@link System#nanoTime()}.
     * @return work done.
     */
    int doHousekeeping(long nowNs);

    /**
     * Whether requests can still be answered on this connection.
     *
     * @return false once the session ended.
     */
    boolean isConnected();

    /**
     * Why the session ended, or null while it is open.
     *
     * @return the reason.
     */
    String closedReason();

    /**
     * The longest request the server can take, or 0 when only the client's own publication limits it.
     *
     * @return the length in bytes, or 0.
     */
    int maxRequestLength();

    /**
     * End the session and release its resources.
     */
    void close();
}
