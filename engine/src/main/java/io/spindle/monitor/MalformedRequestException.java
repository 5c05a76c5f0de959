/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

/**
 * A frame a broker could not take as a request (too short, another schema, an unknown template, lengths that do not
 * add up, a response channel it cannot use). The client, if it has a session, was answered with the details; the
 * error log counts them by kind. Instances are made once per kind and reused (no stack trace), so a flood of bad
 * frames costs no allocation and adds no new entries to the log.
 */
public final class MalformedRequestException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * A kind of malformed request.
     *
     * @param message the stream and the kind.
     */
    public MalformedRequestException(final String message)
    {
        super(message, null, false, false);
    }
}
