package io.spindle.client;

import io.aeron.Publication;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * Sends a request on a {@link BrokerConnection} and waits, bounded by a timeout, for the response with
 * the same correlation id; used by the admin calls and the clients' metadata lookups, not the hot path.
 */
final class BlockingCaller implements FragmentHandler
{
    /**
     * Decodes the awaited response while its buffer is valid.
     */
    interface ResponseDecoder
    {
        /**
         * Decode a response.
         *
         * @param templateId of the response.
         * @param buffer     holding it, at its message header.
         * @param offset     of the message header.
         * @param length     of the message.
         */
        void decode(int templateId, DirectBuffer buffer, int offset, int length);
    }

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ErrorResponseDecoder errorDecoder = new ErrorResponseDecoder();
    private final FragmentHandler otherwise;
    private long awaitedCorrelationId;
    private ResponseDecoder decoder;
    private boolean answered;
    private SpindleException error;
    private boolean sent;

    /**
     * A caller that passes responses it is not waiting for to another handler.
     *
     * @param otherwise receives every other response, or null to drop them.
     */
    BlockingCaller(final FragmentHandler otherwise)
    {
        this.otherwise = otherwise;
    }

    /**
     * Send a request and wait for its answer.
     *
     * @param connection    to send on.
     * @param buffer        holding the request.
     * @param length        of the request, from offset 0.
     * @param correlationId of the request.
     * @param decoder       decodes the answer.
     * @param timeoutMs     how long to wait.
     * @param idleStrategy  used while waiting.
     */
    void call(
        final BrokerConnection connection,
        final DirectBuffer buffer,
        final int length,
        final long correlationId,
        final ResponseDecoder decoder,
        final long timeoutMs,
        final IdleStrategy idleStrategy)
    {
        final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
        sent = false;
        this.decoder = null;
        // Session events that arrived since the last call (the broker closed the session, or went away)
        // are seen before the request goes out, so a request on a dead session is known not to be sent.
        connection.poll(this, 10);
        connection.doHousekeeping(System.nanoTime());
        if (!connection.isConnected())
        {
            throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "connection lost: " + connection.closedReason());
        }
        awaitedCorrelationId = correlationId;
        this.decoder = decoder;
        answered = false;
        error = null;
        idleStrategy.reset();

        while (true)
        {
            final long result = connection.offer(buffer, 0, length);
            if (result > 0)
            {
                sent = true;
                break;
            }
            connection.doHousekeeping(System.nanoTime());
            if (Publication.CLOSED == result || !connection.isConnected())
            {
                throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "connection lost: " +
                    connection.closedReason());
            }
            if (Publication.MAX_POSITION_EXCEEDED == result)
            {
                throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, ServerConnection.describe(result));
            }
            checkDeadline(deadlineNs, "sending the request (" + ServerConnection.describe(result) + ")");
            idleStrategy.idle();
        }

        idleStrategy.reset();
        while (!answered)
        {
            final int work = connection.poll(this, 10);
            if (!answered)
            {
                if (!connection.isConnected())
                {
                    throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "connection lost: " +
                        connection.closedReason());
                }
                connection.doHousekeeping(System.nanoTime());
                checkDeadline(deadlineNs, "waiting for the answer");
                idleStrategy.idle(work);
            }
        }
        this.decoder = null;

        if (null != error)
        {
            throw error;
        }
    }

    /**
     * Whether the request of the last {@link #call} went out: when it did not, repeating it is safe
     * whatever it asks.
     *
     * @return true once the request was offered.
     */
    boolean sent()
    {
        return sent;
    }

    /**
     * {@inheritDoc}
     */
    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        final long correlationId = buffer.getLong(
            offset + MessageHeaderDecoder.ENCODED_LENGTH, java.nio.ByteOrder.LITTLE_ENDIAN);

        if (null != decoder && correlationId == awaitedCorrelationId)
        {
            answered = true;
            if (ErrorResponseDecoder.TEMPLATE_ID == templateId)
            {
                errorDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
                final ErrorCode code = errorDecoder.errorCode();
                errorDecoder.requestTemplateId();
                error = new SpindleException(code, errorDecoder.errorMessage());
            }
            else
            {
                try
                {
                    decoder.decode(templateId, buffer, offset, length);
                }
                catch (final SpindleException ex)
                {
                    error = ex;
                }
            }
        }
        else if (null != otherwise)
        {
            otherwise.onFragment(buffer, offset, length, header);
        }
    }

    private static void checkDeadline(final long deadlineNs, final String what)
    {
        if (System.nanoTime() - deadlineNs > 0)
        {
            throw new SpindleException(ErrorCode.REQUEST_TIMED_OUT, "timed out " + what);
        }
    }
}
