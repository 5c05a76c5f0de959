package io.spindle.client;

import io.spindle.codecs.protocol.ErrorCode;

/**
 * A request failed: carries the protocol's {@link ErrorCode} and the broker's or client's message.
 */
public class SpindleException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;

    /**
     * An error with its code.
     *
     * @param errorCode the protocol error code.
     * @param message   what went wrong.
     */
    public SpindleException(final ErrorCode errorCode, final String message)
    {
        super(errorCode + ": " + message);
        this.errorCode = errorCode;
    }

    /**
     * The protocol error code.
     *
     * @return the code.
     */
    public ErrorCode errorCode()
    {
        return errorCode;
    }
}
