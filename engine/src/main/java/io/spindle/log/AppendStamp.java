/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * When the latest batch of a partition was appended, on the host's clock, for latency from append to a consumer: the
 * writer thread stamps the log end offset after an append with the time; a reader serving records up to an offset
 * gets the time only if that offset ends the latest stamped append. A sequence lock keeps the pair consistent
 * without a lock or an allocation: a reader racing a new stamp gets {@link #NULL_TIME} rather than a mixed pair.
 * <p>
 * <b>Threading:</b> one writer (the log's writer thread), any number of readers.
 */
public final class AppendStamp
{
    /**
     * No time for that offset: never stamped, stamped since, or a stamp in progress.
     */
    public static final long NULL_TIME = Long.MIN_VALUE;

    private static final VarHandle SEQUENCE_VH;

    static
    {
        try
        {
            SEQUENCE_VH = MethodHandles.lookup().findVarHandle(AppendStamp.class, "sequence", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused")
    private long sequence;
    private long endOffset = -1;
    private long timeNs;

    /**
     * Stamp an append; writer thread.
     *
     * @param endOffset the log end offset after the append.
     * @param timeNs    when it was appended, on the host's nano clock.
     */
    public void stamp(final long endOffset, final long timeNs)
    {
        final long sequence = (long)SEQUENCE_VH.getOpaque(this);
        SEQUENCE_VH.setOpaque(this, sequence + 1);
        VarHandle.storeStoreFence();
        this.endOffset = endOffset;
        this.timeNs = timeNs;
        SEQUENCE_VH.setRelease(this, sequence + 2);
    }

    /**
     * When the append that ended at an offset happened, if it is the latest; any thread.
     *
     * @param endOffset the offset after the last record served.
     * @return the time on the host's nano clock, or {@link #NULL_TIME}.
     */
    public long timeNs(final long endOffset)
    {
        final long before = (long)SEQUENCE_VH.getAcquire(this);
        if ((before & 1) != 0)
        {
            return NULL_TIME;
        }
        final long stampedEndOffset = this.endOffset;
        final long stampedTimeNs = this.timeNs;
        VarHandle.loadLoadFence();
        final long after = (long)SEQUENCE_VH.getOpaque(this);

        return before == after && stampedEndOffset == endOffset ? stampedTimeNs : NULL_TIME;
    }
}
