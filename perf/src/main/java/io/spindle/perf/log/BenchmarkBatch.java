/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.log;

import io.spindle.codecs.batch.RecordBatchBuilder;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Builds the record batch the benchmarks use: {@code n} records of a 100-byte value and no key, in a direct buffer as
 * an Aeron fragment would hold it. Shared by the log, codec, batch and fetch benchmarks.
 */
public final class BenchmarkBatch
{
    /**
     * Bytes of each record value.
     */
    public static final int VALUE_LENGTH = 100;

    private BenchmarkBatch()
    {
    }

    /**
     * Build a batch into a new direct buffer.
     *
     * @param recordsPerBatch records in the batch.
     * @param timestampMs     of every record.
     * @return a buffer whose capacity is exactly the batch.
     */
    public static UnsafeBuffer build(final int recordsPerBatch, final long timestampMs)
    {
        final UnsafeBuffer scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(1024 * 1024, 64));
        final byte[] value = new byte[VALUE_LENGTH];
        for (int i = 0; i < value.length; i++)
        {
            value[i] = (byte)('a' + i % 26);
        }

        try (RecordBatchBuilder builder = new RecordBatchBuilder())
        {
            builder.wrap(scratch, 0, scratch.capacity());
            for (int i = 0; i < recordsPerBatch; i++)
            {
                builder.append(timestampMs, null, value);
            }
            final int length = builder.build();
            final UnsafeBuffer batch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                BitUtil.align(length, 64), 64), 0, length);
            batch.putBytes(0, scratch, 0, length);
            return batch;
        }
    }
}
