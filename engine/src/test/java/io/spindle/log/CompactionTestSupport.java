/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Keyed batches in, records out: what the compaction tests write to a log and read back.
 */
final class CompactionTestSupport implements AutoCloseable
{
    /**
     * One record as a reader sees it.
     *
     * @param offset      of the record.
     * @param key         as text, never null here.
     * @param value       as text, or null for a tombstone.
     * @param timestampMs of the record.
     */
    record Rec(long offset, String key, String value, long timestampMs)
    {
    }

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
    private final RecordBatchBuilder builder = new RecordBatchBuilder();
    private final RecordBatchValidator validator = new RecordBatchValidator();
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    private final RecordFlyweight records = new RecordFlyweight();
    private final LogReadResult result = new LogReadResult();

    /**
     * Append keyed records as one batch.
     *
     * @param log         to append to.
     * @param codec       compression of the batch.
     * @param timestampMs of every record and the append.
     * @param kv          key, value pairs; a null value is a tombstone.
     * @return the base offset.
     */
    long append(final PartitionLog log, final int codec, final long timestampMs, final String... kv)
    {
        builder.wrap(buffer, 0, buffer.capacity()).compression(codec);
        for (int i = 0; i < kv.length; i += 2)
        {
            assertTrue(builder.append(timestampMs, bytes(kv[i]), bytes(kv[i + 1])));
        }
        final int length = builder.build();
        final long offset = log.append(buffer, 0, length, timestampMs);
        assertTrue(offset >= 0, "append failed: " + offset);
        log.highWaterMark(log.logEndOffset());
        return offset;
    }

    /**
     * Read every record from an offset to the high-water mark, as a consumer would: whole batches from the log,
     * records below the offset skipped, never stuck and never out of range.
     *
     * @param log    to read.
     * @param offset to start at.
     * @return the records in the order read.
     */
    List<Rec> readFrom(final PartitionLog log, final long offset)
    {
        final List<Rec> out = new ArrayList<>();
        long position = offset;
        final long highWaterMark = log.highWaterMark();
        int reads = 0;
        while (position < highWaterMark)
        {
            final int length = log.read(position, 1024, result);
            if (length < 0)
            {
                fail("read at " + position + " below the high-water mark " + highWaterMark + " returned " + length);
            }
            if (0 == length)
            {
                break; // only offsets compaction removed are left below the high-water mark
            }
            assertTrue(++reads < 1_000_000, "reader does not progress");

            int at = 0;
            final int end = at + length;
            while (at < end)
            {
                final BatchError error = validator.validateStored(result.buffer(), at, end - at);
                assertEquals(BatchError.OK, error, "batch at " + at + " from read at " + position);
                batch.wrap(result.buffer(), at);
                assertEquals(BatchError.OK, records.wrap(batch));
                while (records.next())
                {
                    if (records.offset() >= position)
                    {
                        out.add(new Rec(records.offset(), text(records, records.keyOffset(), records.keyLength()),
                            text(records, records.valueOffset(), records.valueLength()), records.timestamp()));
                    }
                }
                at += batch.batchLength();
            }
            assertTrue(result.nextOffset() > position, "no progress at " + position);
            position = result.nextOffset();
        }

        return out;
    }

    /**
     * The records of the log's segments that are sealed, from the log start.
     *
     * @param log to read.
     * @return records below the active segment.
     */
    List<Rec> sealedRecords(final PartitionLog log)
    {
        final List<Rec> out = new ArrayList<>();
        for (final Rec rec : readFrom(log, log.logStartOffset()))
        {
            if (rec.offset() < log.activeSegmentBaseOffset())
            {
                out.add(rec);
            }
        }
        return out;
    }

    static byte[] bytes(final String s)
    {
        return null == s ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(final RecordFlyweight records, final int offset, final int length)
    {
        if (length < 0)
        {
            return null;
        }
        final byte[] bytes = new byte[length];
        records.buffer().getBytes(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * No-compression codec, for readability at call sites.
     */
    static final int NONE = RecordBatch.COMPRESSION_NONE;

    public void close()
    {
        builder.close();
        validator.close();
        records.close();
    }
}
