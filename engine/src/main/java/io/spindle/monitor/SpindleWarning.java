/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

/**
 * Something a broker or member noticed and carried on after, recorded in its error log so that an operator finds it
 * there with the errors: a torn tail cut at recovery, an index rebuilt. It has no stack trace: where it was noticed
 * is in its message.
 */
public final class SpindleWarning extends Exception
{
    private static final long serialVersionUID = 1L;

    /**
     * A warning.
     *
     * @param message what was noticed and what was done about it.
     */
    public SpindleWarning(final String message)
    {
        super(message, null, false, false);
    }
}
