package io.spindle.codecs;

import io.spindle.codecs.protocol.ErrorCode;

/**
 * Outcome of {@link ProtocolValidator#validate(org.agrona.DirectBuffer, int, int)}, with the protocol error code a
 * broker answers it with.
 */
public enum ValidationResult
{
    /**
     * The frame holds one whole message of a known template and version; decoding it reads only bytes of the frame.
     */
    OK(ErrorCode.NONE),

    /**
     * The frame is shorter than the message header.
     */
    TOO_SHORT(ErrorCode.INVALID_REQUEST),

    /**
     * The header names another schema than the Spindle protocol's.
     */
    WRONG_SCHEMA(ErrorCode.INVALID_REQUEST),

    /**
     * The header's version is newer than this build's schema version.
     */
    UNSUPPORTED_VERSION(ErrorCode.UNSUPPORTED_VERSION),

    /**
     * The header's template id is not a message of the schema.
     */
    UNKNOWN_TEMPLATE(ErrorCode.UNSUPPORTED_MESSAGE),

    /**
     * A block, group or var-data length runs past the end of the frame (or the frame past the end of its buffer).
     */
    TRUNCATED(ErrorCode.INVALID_REQUEST),

    /**
     * A length or count is impossible whatever the frame's length: a block shorter than its version's fixed fields,
     * a group count or var-data length above the schema's maximum.
     */
    MALFORMED(ErrorCode.INVALID_REQUEST);

    private final ErrorCode errorCode;

    ValidationResult(final ErrorCode errorCode)
    {
        this.errorCode = errorCode;
    }

    /**
     * The error code to answer a request rejected with this result, {@link ErrorCode#NONE} for {@link #OK}.
     *
     * @return the protocol error code.
     */
    public ErrorCode errorCode()
    {
        return errorCode;
    }
}
