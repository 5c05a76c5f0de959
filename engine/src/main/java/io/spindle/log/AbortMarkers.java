/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;

/**
 * The ABORT markers compaction removed from a partition log, so that the aborted transactions the log serves to
 * read_committed readers leave out those whose marker is gone (see {@link PartitionLog#abortedTransactions()}).
 * <p>
 * A cleaning reports the markers it removed when it is swapped in. On a log that was compacted when it was opened,
 * an earlier run's cleaning may have removed markers below the log end at open: each is looked up in the log once,
 * the first time a published transaction ends at it. A truncation forgets the markers it discards. Owned by one
 * {@link PartitionLog} and used on its writer thread only.
 */
final class AbortMarkers
{
    private final LongHashSet removedAbortMarkers = new LongHashSet();
    private final LongHashSet presentAbortMarkers = new LongHashSet();
    private long abortMarkersUncheckedBelow;

    /**
     * @param uncheckedBelow the log end offset at open if the log was compacted then, else 0: markers below it may
     *                       have been removed before the log was opened.
     */
    AbortMarkers(final long uncheckedBelow)
    {
        abortMarkersUncheckedBelow = uncheckedBelow;
    }

    /**
     * Record the markers a cleaning removed, once it is swapped in.
     *
     * @param removedMarkers offsets of the ABORT markers the cleaning removed.
     */
    void removed(final LongArrayList removedMarkers)
    {
        for (int i = 0; i < removedMarkers.size(); i++)
        {
            removedAbortMarkers.add(removedMarkers.getLong(i));
            presentAbortMarkers.remove(removedMarkers.getLong(i));
        }
    }

    /**
     * The aborted transactions a log serves: those published, less those whose marker is known to be removed.
     *
     * @param triples (producerId, firstOffset, lastOffset) triples as published.
     * @param log     to look a marker up in, if it may have been removed before the log was opened.
     * @return the triples themselves if none is left out, else a new array.
     */
    long[] withoutRemovedMarkers(final long[] triples, final PartitionLog log)
    {
        if (removedAbortMarkers.isEmpty() && 0 == abortMarkersUncheckedBelow)
        {
            return triples;
        }

        int kept = 0;
        for (int i = 0; i < triples.length; i += 3)
        {
            kept += isAbortMarkerRemoved(triples[i + 2], log) ? 0 : 3;
        }
        if (kept == triples.length)
        {
            return triples;
        }

        final long[] served = new long[kept];
        int n = 0;
        for (int i = 0; i < triples.length; i += 3)
        {
            if (!removedAbortMarkers.contains(triples[i + 2]))
            {
                System.arraycopy(triples, i, served, n, 3);
                n += 3;
            }
        }
        return served;
    }

    private boolean isAbortMarkerRemoved(final long markerOffset, final PartitionLog log)
    {
        if (removedAbortMarkers.contains(markerOffset))
        {
            return true;
        }
        if (markerOffset >= abortMarkersUncheckedBelow || presentAbortMarkers.contains(markerOffset))
        {
            return false;
        }

        // Written before this log was opened on a compacted partition: an earlier run's cleaning may have removed
        // it. Looked up once.
        if (log.hasBatchAt(markerOffset))
        {
            presentAbortMarkers.add(markerOffset);
            return false;
        }
        removedAbortMarkers.add(markerOffset);
        return true;
    }

    /**
     * Forget the markers at and above an offset, as a truncation to it discards them; the offsets are used again.
     *
     * @param offset the new log end offset.
     */
    void forgetAbortMarkersFrom(final long offset)
    {
        removedAbortMarkers.removeIf(markerOffset -> markerOffset >= offset);
        presentAbortMarkers.removeIf(markerOffset -> markerOffset >= offset);
        abortMarkersUncheckedBelow = Math.min(abortMarkersUncheckedBelow, offset);
    }
}
