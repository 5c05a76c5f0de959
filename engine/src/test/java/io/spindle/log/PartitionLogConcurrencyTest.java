/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static io.spindle.log.LogTestSupport.ORDER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reader threads race the appender, rolls and retention: every view they get holds whole, CRC-valid batches in
 * offset order below the high-water mark, and a reader overtaken by retention gets OFFSET_OUT_OF_RANGE.
 */
class PartitionLogConcurrencyTest
{
    private static final int BATCHES = 30_000;
    private static final long NOW_MS = 1_700_000_000_000L;

    @TempDir
    File dir;

    private final long[] offsetOfBatch = new long[BATCHES + 1];

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void readersRacingTheAppenderNeverSeeAPartialBatch() throws InterruptedException
    {
        for (int i = 0; i < BATCHES; i++)
        {
            offsetOfBatch[i + 1] = offsetOfBatch[i] + recordCount(i);
        }

        final LogConfig config = LogTestSupport.smallConfig()
            .segmentBytes(64 * 1024)
            .maxMessageBytes(16 * 1024)
            .indexIntervalBytes(1024)
            .retentionBytes(512 * 1024);
        final PartitionLog log = PartitionLog.open(dir, config, NOW_MS);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long seed = System.nanoTime();

        final long[] slowReaderOutOfRange = new long[1];
        final Thread reader = new Thread(() -> readToEnd(log, seed, 32 * 1024, 0, failure), "log-reader");
        final Thread slowReader = new Thread(
            () -> slowReaderOutOfRange[0] = readToEnd(log, seed + 2, 1, 50_000, failure), "log-slow-reader");
        final Thread timestampReader = new Thread(() -> lookUpTimestamps(log, seed, failure), "log-ts-reader");
        reader.start();
        slowReader.start();
        timestampReader.start();

        int deletedSegments = 0;
        try
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
            final RecordBatchBuilder builder = new RecordBatchBuilder();
            for (int i = 0; i < BATCHES && null == failure.get(); i++)
            {
                final int length = buildBatch(builder, buffer, i);
                final long offset = log.append(buffer, 0, length, NOW_MS);
                assertEquals(offsetOfBatch[i], offset, "append " + i);
                log.highWaterMark(log.logEndOffset());
                if (i % 100 == 0)
                {
                    deletedSegments += log.deleteExpiredSegments(NOW_MS);
                }
            }
        }
        finally
        {
            reader.join(TimeUnit.SECONDS.toMillis(30));
            slowReader.join(TimeUnit.SECONDS.toMillis(30));
            timestampReader.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(reader.isAlive() || slowReader.isAlive() || timestampReader.isAlive(),
                "readers did not finish");
            log.close();
        }

        if (null != failure.get())
        {
            throw new AssertionError("seed=" + seed, failure.get());
        }
        assertTrue(deletedSegments > 0, "retention should have raced the readers");
        assertTrue(slowReaderOutOfRange[0] > 0, "retention should have overtaken the slow reader");
    }

    private long readToEnd(
        final PartitionLog log,
        final long seed,
        final int maxBytesLimit,
        final long pauseNs,
        final AtomicReference<Throwable> failure)
    {
        final Random random = new Random(seed);
        final LogReadResult result = new LogReadResult();
        final long endOffset = offsetOfBatch[BATCHES];
        long offset = 0;
        long batchesSeen = 0;
        long outOfRange = 0;
        try
        {
            while (offset < endOffset && null == failure.get())
            {
                final int maxBytes = 1 + random.nextInt(maxBytesLimit);
                if (pauseNs > 0)
                {
                    LockSupport.parkNanos(pauseNs);
                }
                final int length = log.read(offset, maxBytes, result);
                if (PartitionLog.OFFSET_OUT_OF_RANGE == length)
                {
                    final long logStartOffset = log.logStartOffset();
                    assertTrue(logStartOffset > offset, "out of range at " + offset + " below start " +
                        logStartOffset);
                    offset = logStartOffset;
                    outOfRange++;
                    continue;
                }

                if (0 == length)
                {
                    Thread.yield();
                    continue;
                }

                assertTrue(result.highWaterMark() >= result.nextOffset(), "read beyond the high-water mark");
                final DirectBuffer buffer = result.buffer();
                int position = 0;
                long expectedBaseOffset = result.firstOffset();
                assertTrue(expectedBaseOffset <= offset, "first batch starts after the offset asked for");
                for (int b = 0; b < result.batchCount(); b++)
                {
                    final int batchLength = buffer.getInt(position + RecordBatch.BATCH_LENGTH_OFFSET, ORDER);
                    checkBatch(buffer, position, batchLength, expectedBaseOffset);
                    expectedBaseOffset += buffer.getInt(position + RecordBatch.LAST_OFFSET_DELTA_OFFSET, ORDER) + 1;
                    position += batchLength;
                    batchesSeen++;
                }
                assertEquals(length, position, "view length is whole batches");
                assertTrue(length <= maxBytes || 1 == result.batchCount(), "maxBytes exceeded by more than one batch");
                assertEquals(expectedBaseOffset, result.nextOffset());
                offset = result.nextOffset();
            }
            assertTrue(batchesSeen > 0);
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }

        return outOfRange;
    }

    private void lookUpTimestamps(final PartitionLog log, final long seed, final AtomicReference<Throwable> failure)
    {
        final Random random = new Random(seed + 1);
        try
        {
            while (log.highWaterMark() < offsetOfBatch[BATCHES] && null == failure.get())
            {
                final long highWaterMark = log.highWaterMark();
                final int committedBatches = batchIndexOf(highWaterMark);
                if (0 == committedBatches)
                {
                    Thread.yield();
                    continue;
                }

                final int batch = random.nextInt(committedBatches);
                final long found = log.offsetForTimestamp(batch);
                final long logStartOffset = log.logStartOffset();
                if (offsetOfBatch[batch] >= logStartOffset)
                {
                    assertEquals(offsetOfBatch[batch], found, "offsetForTimestamp(" + batch + ")");
                }
                else
                {
                    assertTrue(PartitionLog.NULL_OFFSET == found || found >= offsetOfBatch[batch],
                        "offsetForTimestamp(" + batch + ") = " + found);
                }
                Thread.yield();
            }
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }

    private void checkBatch(final DirectBuffer buffer, final int position, final int length, final long baseOffset)
    {
        assertEquals(baseOffset, buffer.getLong(position + RecordBatch.BASE_OFFSET_OFFSET, ORDER), "baseOffset");
        assertEquals(RecordBatch.crc32c(buffer, position, length),
            buffer.getInt(position + RecordBatch.CRC_OFFSET, ORDER), "CRC of batch at offset " + baseOffset);
        final int batch = (int)buffer.getLong(position + RecordBatch.MAX_TIMESTAMP_OFFSET, ORDER);
        assertEquals(offsetOfBatch[batch], baseOffset, "batch identity");
        assertEquals(recordCount(batch), buffer.getInt(position + RecordBatch.RECORD_COUNT_OFFSET, ORDER));
        final int valueLength = valueLength(batch);
        final int valueOffset = position + RecordBatch.HEADER_LENGTH + RecordBatch.RECORD_OVERHEAD - 4;
        for (int k = 0; k < valueLength; k++)
        {
            if (buffer.getByte(valueOffset + k) != (byte)(batch + k))
            {
                throw new AssertionError("value byte " + k + " of batch " + batch);
            }
        }
    }

    private int batchIndexOf(final long offset)
    {
        int low = 0;
        int high = BATCHES;
        while (low < high)
        {
            final int mid = (low + high + 1) >>> 1;
            if (offsetOfBatch[mid] <= offset)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }
        return low;
    }

    private static int recordCount(final int batch)
    {
        return 1 + batch % 7;
    }

    private static int valueLength(final int batch)
    {
        return (batch * 31) % 300;
    }

    private static int buildBatch(final RecordBatchBuilder builder, final UnsafeBuffer buffer, final int batch)
    {
        final byte[] value = new byte[valueLength(batch)];
        for (int k = 0; k < value.length; k++)
        {
            value[k] = (byte)(batch + k);
        }
        builder.wrap(buffer, 0, buffer.capacity());
        for (int r = 0; r < recordCount(batch); r++)
        {
            builder.append(batch, null, value);
        }
        return builder.build();
    }
}
