/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.util.Queue;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import io.spindle.log.RemoteLogReader;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

/**
 * Reads of one partition's archived segments, below its local log start, for the fetch server: a read cache of whole
 * segments fetched from the archive by replay.
 * <p>
 * A read of an offset in a cached segment is served from it at once, batch for batch as the local log would serve it.
 * A read of an offset in a segment not cached yet asks the {@link SegmentArchiver}'s thread to fetch that segment
 * (replay its recording, check length and CRC32C against the manifest) and answers 0 bytes meanwhile, which a
 * long-poll fetch waits on and a streaming fetch skips, so the fetch server never blocks on the archive. The cache
 * holds the last {@value #CACHED_SEGMENTS} segments fetched for this partition (the one asked for and the next one,
 * fetched ahead for a consumer reading in order), on the heap: at most two segment.bytes per partition being read
 * below its local log start.
 */
final class TierReader implements RemoteLogReader
{
    static final int CACHED_SEGMENTS = 2;
    private static final TierManifest.Entry[] NO_ENTRIES = new TierManifest.Entry[0];
    private static final Cached[] NO_CACHE = new Cached[0];

    /**
     * A segment's bytes and where each batch starts.
     */
    static final class Cached
    {
        final long baseOffset;
        final long nextOffset;
        final UnsafeBuffer buffer;
        final long[] lastOffsets;
        final int[] positions;

        Cached(final long baseOffset, final long nextOffset, final byte[] bytes, final int length)
        {
            this.baseOffset = baseOffset;
            this.nextOffset = nextOffset;
            this.buffer = new UnsafeBuffer(bytes, 0, length);
            int count = 0;
            for (int position = 0; position < length; count++)
            {
                position += batchLength(buffer, position);
            }
            lastOffsets = new long[count];
            positions = new int[count + 1];
            int position = 0;
            for (int i = 0; i < count; i++)
            {
                positions[i] = position;
                lastOffsets[i] = buffer.getLong(position + RecordBatch.BASE_OFFSET_OFFSET, LITTLE_ENDIAN) +
                    buffer.getInt(position + RecordBatch.LAST_OFFSET_DELTA_OFFSET, LITTLE_ENDIAN);
                position += batchLength(buffer, position);
            }
            positions[count] = position;
        }

        int read(final long offset, final int maxBytes, final long limitOffset, final LogReadResult result)
        {
            int low = 0;
            int high = lastOffsets.length - 1;
            while (low < high)
            {
                final int mid = (low + high) >>> 1;
                if (lastOffsets[mid] < offset)
                {
                    low = mid + 1;
                }
                else
                {
                    high = mid;
                }
            }
            if (low >= lastOffsets.length || lastOffsets[low] < offset)
            {
                return 0;
            }

            final int start = low;
            int end = start;
            while (end < lastOffsets.length && lastOffsets[end] < limitOffset &&
                (end == start || positions[end + 1] - positions[start] <= maxBytes))
            {
                end++;
            }
            if (end == start)
            {
                return 0;
            }
            final int length = positions[end] - positions[start];
            result.wrapRemote(buffer, positions[start], length, end - start,
                buffer.getLong(positions[start] + RecordBatch.BASE_OFFSET_OFFSET, LITTLE_ENDIAN),
                lastOffsets[end - 1] + 1);
            return length;
        }

        private static int batchLength(final UnsafeBuffer buffer, final int position)
        {
            final int length = buffer.getInt(position + RecordBatch.BATCH_LENGTH_OFFSET, LITTLE_ENDIAN);
            if (length < RecordBatch.HEADER_LENGTH || position + length > buffer.capacity())
            {
                throw new IllegalStateException("bad batch length " + length + " at " + position);
            }
            return length;
        }
    }

    private final Queue<TierReader> requests;
    private volatile TierManifest.Entry[] entries = NO_ENTRIES;
    private volatile Cached[] cache = NO_CACHE;
    private volatile long wantedBaseOffset = PartitionLog.NULL_OFFSET;

    TierReader(final Queue<TierReader> requests)
    {
        this.requests = requests;
    }

    /**
     * {@inheritDoc}
     */
    public long logStartOffset()
    {
        final TierManifest.Entry[] entries = this.entries;
        return entries.length > 0 ? entries[0].baseOffset() : PartitionLog.NULL_OFFSET;
    }

    /**
     * {@inheritDoc}
     */
    public int read(final long offset, final int maxBytes, final long limitOffset, final LogReadResult result)
    {
        final TierManifest.Entry[] entries = this.entries;
        if (0 == entries.length || offset < entries[0].baseOffset())
        {
            return PartitionLog.OFFSET_OUT_OF_RANGE;
        }

        for (final Cached cached : cache)
        {
            if (offset >= cached.baseOffset && offset < cached.nextOffset)
            {
                return cached.read(offset, maxBytes, limitOffset, result);
            }
        }

        for (final TierManifest.Entry entry : entries)
        {
            if (offset < entry.nextOffset())
            {
                if (wantedBaseOffset != entry.baseOffset())
                {
                    wantedBaseOffset = entry.baseOffset();
                    requests.offer(this);
                }
                return 0;
            }
        }
        return PartitionLog.OFFSET_OUT_OF_RANGE;
    }

    /**
     * Publish the manifest's entries after a change; archiver thread.
     */
    void entries(final TierManifest manifest)
    {
        entries = manifest.entries().toArray(NO_ENTRIES);
    }

    TierManifest.Entry[] entries()
    {
        return entries;
    }

    long wantedBaseOffset()
    {
        return wantedBaseOffset;
    }

    boolean isCached(final long baseOffset)
    {
        for (final Cached cached : cache)
        {
            if (cached.baseOffset == baseOffset)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * A fetched segment joins the cache, replacing the oldest; archiver thread.
     */
    void cache(final Cached cached)
    {
        final Cached[] current = cache;
        final int keep = Math.min(current.length, CACHED_SEGMENTS - 1);
        final Cached[] next = new Cached[keep + 1];
        System.arraycopy(current, current.length - keep, next, 0, keep);
        next[keep] = cached;
        cache = next;
        if (wantedBaseOffset == cached.baseOffset)
        {
            wantedBaseOffset = PartitionLog.NULL_OFFSET;
        }
    }

    /**
     * A fetch failed: forget the request so the next read asks again; archiver thread.
     */
    void loadFailed(final long baseOffset)
    {
        if (wantedBaseOffset == baseOffset)
        {
            wantedBaseOffset = PartitionLog.NULL_OFFSET;
        }
    }
}
