/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

import java.io.PrintStream;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The one error handler of a broker or cluster member: every error of any of its threads is counted (in the mark
 * file and, once there is one, in an Aeron counter AeronStat shows) and recorded in the mark file's distinct error
 * log, which {@code spindle errors} prints. An error the log has no room for, or one after the log closed, is
 * printed on the fallback stream instead of being lost.
 * <p>
 * <b>Threading:</b> {@link #onError(Throwable)} may be called from any thread.
 */
public final class CountedErrorLog implements ErrorHandler, AutoCloseable
{
    private final SpindleMarkFile markFile;
    private final ErrorHandler next;
    private final PrintStream fallback;
    private volatile AtomicCounter counter;
    private volatile boolean isClosed;

    /**
     * An error handler into a mark file's error log.
     *
     * @param markFile whose log records the errors.
     * @param next     also told of each error (an application's handler), or null.
     * @param fallback where errors go that the log cannot take.
     */
    public CountedErrorLog(final SpindleMarkFile markFile, final ErrorHandler next, final PrintStream fallback)
    {
        this.markFile = markFile;
        this.next = next;
        this.fallback = fallback;
    }

    /**
     * Also count errors in this counter, from now on.
     *
     * @param counter in the driver's counters file, or null to stop.
     * @return this.
     */
    public CountedErrorLog counter(final AtomicCounter counter)
    {
        this.counter = counter;
        return this;
    }

    /**
     * {@inheritDoc}
     */
    public void onError(final Throwable throwable)
    {
        final AtomicCounter counter = this.counter;
        if (null != counter && !counter.isClosed())
        {
            counter.increment();
        }

        boolean isRecorded = false;
        synchronized (this)
        {
            // Under the lock so that close() never unmaps the file under a writer.
            if (!isClosed)
            {
                markFile.countError();
                isRecorded = markFile.errorLog().record(throwable);
            }
        }
        if (!isRecorded)
        {
            fallback.println("spindle: error not recorded in the error log (" + (isClosed ? "closed" : "full") + "):");
            throwable.printStackTrace(fallback);
        }

        if (null != next)
        {
            next.onError(throwable);
        }
    }

    /**
     * Errors observed since the start.
     *
     * @return the count.
     */
    public long errorCount()
    {
        return markFile.errorCount();
    }

    /**
     * The mark file the errors go to.
     *
     * @return the mark file.
     */
    public SpindleMarkFile markFile()
    {
        return markFile;
    }

    /**
     * Stop recording (later errors go to the fallback stream) and close the mark file.
     */
    public void close()
    {
        synchronized (this)
        {
            isClosed = true;
            counter = null;
        }
        markFile.close();
    }
}
