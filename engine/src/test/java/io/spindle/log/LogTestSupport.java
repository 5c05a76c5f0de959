/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Builds record batches for the log tests and checks stored batches against the batches appended.
 */
final class LogTestSupport
{
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4 * 1024 * 1024]);
    private final RecordBatchBuilder builder = new RecordBatchBuilder();

    /**
     * A config with small segments and a small index interval so tests roll and index often.
     *
     * @return an unconcluded config.
     */
    static LogConfig smallConfig()
    {
        return new LogConfig()
            .segmentBytes(4096)
            .maxMessageBytes(2048)
            .indexIntervalBytes(512)
            .segmentMs(LogConfig.Configuration.SEGMENT_MS_DEFAULT)
            .retentionMs(LogConfig.UNLIMITED)
            .retentionBytes(LogConfig.UNLIMITED)
            .flushPolicy(FlushPolicy.NEVER)
            .fileDeleteDelayMs(60_000);
    }

    /**
     * Build a batch whose record values are filled from a seed, so content is checkable.
     *
     * @param recordCount  records in the batch.
     * @param valueLength  bytes per value.
     * @param timestampMs  timestamp of every record, so also the batch max timestamp.
     * @param seed         filling the values.
     * @return the batch bytes.
     */
    byte[] batch(final int recordCount, final int valueLength, final long timestampMs, final long seed)
    {
        builder.wrap(buffer, 0, buffer.capacity());
        final byte[] value = new byte[valueLength];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int r = 0; r < recordCount; r++)
        {
            for (int i = 0; i < valueLength; i++)
            {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                value[i] = (byte)x;
            }
            if (!builder.append(timestampMs, null, value))
            {
                throw new IllegalStateException("batch does not fit");
            }
        }

        final int length = builder.build();
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    /**
     * Append a batch given as bytes.
     *
     * @param log   to append to.
     * @param batch bytes.
     * @param nowMs host time.
     * @return the append result.
     */
    static long append(final PartitionLog log, final byte[] batch, final long nowMs)
    {
        return log.append(new UnsafeBuffer(batch), 0, batch.length, nowMs);
    }

    static int lastOffsetDelta(final byte[] batch)
    {
        return new UnsafeBuffer(batch).getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, ORDER);
    }

    static long maxTimestamp(final byte[] batch)
    {
        return new UnsafeBuffer(batch).getLong(RecordBatch.MAX_TIMESTAMP_OFFSET, ORDER);
    }

    /**
     * Assert every segment's offset and time index entries are where the indexing rule puts them and say what
     * the batches they point at say.
     *
     * @param log     to check.
     * @param context for failure messages.
     */
    static void assertIndexesConsistent(final PartitionLog log, final String context)
    {
        final int indexIntervalBytes = log.config().indexIntervalBytes();
        for (final LogSegment segment : log.segments())
        {
            final OffsetIndex offsetIndex = segment.offsetIndex;
            final TimeIndex timeIndex = segment.timeIndex;
            final String where = context + ": segment " + segment.baseOffset;
            assertEquals(offsetIndex.entryCount(), timeIndex.entryCount(), where + " entry counts");

            int entry = 0;
            int position = 0;
            int bytesSinceEntry = 0;
            long maxTimestampMs = LogSegment.NULL_TIMESTAMP;
            while (position < segment.size())
            {
                final long baseOffset = segment.buffer.getLong(position + RecordBatch.BASE_OFFSET_OFFSET, ORDER);
                final int length = segment.buffer.getInt(position + RecordBatch.BATCH_LENGTH_OFFSET, ORDER);
                if (LogSegment.isIndexEntryDue(position, bytesSinceEntry, indexIntervalBytes) &&
                    entry < offsetIndex.capacityEntries())
                {
                    assertTrue(entry < offsetIndex.entryCount(), where + " missing entry at " + position);
                    assertEquals(position, offsetIndex.position(entry), where + " entry " + entry + " position");
                    assertEquals(baseOffset - segment.baseOffset, offsetIndex.relativeOffset(entry),
                        where + " entry " + entry + " offset");
                    assertEquals(baseOffset - segment.baseOffset, timeIndex.relativeOffset(entry),
                        where + " time entry " + entry + " offset");
                    assertEquals(maxTimestampMs, timeIndex.timestampMs(entry), where + " time entry " + entry);
                    entry++;
                    bytesSinceEntry = 0;
                }
                bytesSinceEntry += length;
                maxTimestampMs = Math.max(maxTimestampMs,
                    segment.buffer.getLong(position + RecordBatch.MAX_TIMESTAMP_OFFSET, ORDER));
                position += length;
            }
            assertEquals(entry, offsetIndex.entryCount(), where + " entry count");
            assertEquals(maxTimestampMs, segment.maxTimestampMs(), where + " max timestamp");
        }
    }

    /**
     * Assert a stored batch equals the batch appended, apart from the base offset the log assigned.
     *
     * @param message          prefix for failures.
     * @param expected         batch bytes as appended.
     * @param expectedOffset   base offset the log should have assigned.
     * @param buffer           holding the stored batch.
     * @param offset           of the stored batch.
     */
    static void assertStoredBatch(
        final String message,
        final byte[] expected,
        final long expectedOffset,
        final DirectBuffer buffer,
        final int offset)
    {
        assertEquals(expectedOffset, buffer.getLong(offset + RecordBatch.BASE_OFFSET_OFFSET, ORDER),
            message + ": baseOffset");
        final byte[] actual = new byte[expected.length];
        buffer.getBytes(offset, actual);
        assertTrue(Arrays.equals(expected, 8, expected.length, actual, 8, actual.length),
            message + ": batch bytes differ at base offset " + expectedOffset);
    }
}
