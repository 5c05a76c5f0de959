/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

/**
 * A partition log failed on storage (no space, an I/O error): the client was answered {@code KAFKA_STORAGE_ERROR}
 * and the broker carried on. Recorded in the error log with the partition and operation in its message and the I/O
 * failure as its cause.
 */
public final class StorageFailureException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * A storage failure.
     *
     * @param what  the partition and the operation that failed.
     * @param cause the I/O failure, or null.
     */
    public StorageFailureException(final String what, final Throwable cause)
    {
        super(what, cause, false, false);
    }
}
