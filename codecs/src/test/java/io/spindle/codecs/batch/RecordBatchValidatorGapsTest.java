/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.spindle.codecs.batch.RecordBatch.BATCH_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BYTE_ORDER;
import static io.spindle.codecs.batch.RecordBatch.HEADER_LENGTH;
import static io.spindle.codecs.batch.RecordBatch.LAST_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_COUNT_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_OFFSET_DELTA_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A batch as the log cleaner leaves it (some records removed, offsets and lastOffsetDelta kept) is accepted by
 * {@link RecordBatchValidator#validateStored} and by nothing a producer can use, and what is not such a batch is
 * still refused.
 */
class RecordBatchValidatorGapsTest
{
    private final RecordBatchValidator validator = new RecordBatchValidator();
    private final RecordBatchBuilder builder = new RecordBatchBuilder();
    private final UnsafeBuffer source = new UnsafeBuffer(new byte[4096]);
    private final UnsafeBuffer cleaned = new UnsafeBuffer(new byte[4096]);

    @AfterEach
    void after()
    {
        validator.close();
        builder.close();
    }

    @Test
    void shouldAcceptOffsetGapsOnlyInStoredBatches()
    {
        final int length = keepRecords(0, 2);
        assertEquals(BatchError.OK, validator.validateStored(cleaned, 0, length));
        assertEquals(BatchError.LAST_OFFSET_DELTA_MISMATCH, validator.validate(cleaned, 0, length));
        assertEquals(BatchError.LAST_OFFSET_DELTA_MISMATCH, validator.validateExact(cleaned, 0, length));

        final int onlyFirst = keepRecords(0);
        assertEquals(BatchError.OK, validator.validateStored(cleaned, 0, onlyFirst));
        final int onlyLast = keepRecords(3);
        assertEquals(BatchError.OK, validator.validateStored(cleaned, 0, onlyLast));
    }

    @Test
    void shouldStillRefuseWhatCompactionCannotProduce()
    {
        // Records out of order.
        int length = keepRecords(2, 0);
        assertEquals(BatchError.OFFSET_DELTA_MISMATCH, validator.validateStored(cleaned, 0, length));

        // A delta beyond lastOffsetDelta.
        length = keepRecords(1, 3);
        cleaned.putInt(LAST_OFFSET_DELTA_OFFSET, 2, BYTE_ORDER);
        RecordBatchFlyweight.updateCrc(cleaned, 0);
        assertEquals(BatchError.OFFSET_DELTA_MISMATCH, validator.validateStored(cleaned, 0, length));

        // More records than the offset range holds.
        length = keepRecords(0, 1, 2);
        cleaned.putInt(LAST_OFFSET_DELTA_OFFSET, 1, BYTE_ORDER);
        RecordBatchFlyweight.updateCrc(cleaned, 0);
        assertEquals(BatchError.LAST_OFFSET_DELTA_MISMATCH, validator.validateStored(cleaned, 0, length));

        // A flipped bit.
        length = keepRecords(0, 2);
        cleaned.putByte(length - 1, (byte)(cleaned.getByte(length - 1) ^ 1));
        assertEquals(BatchError.CRC_MISMATCH, validator.validateStored(cleaned, 0, length));
    }

    @Test
    void shouldAcceptAnEmptiedBatchOnlyAsABareStoredHeader()
    {
        final int length = keepRecords();
        assertEquals(HEADER_LENGTH, length);
        assertEquals(BatchError.OK, validator.validateStored(cleaned, 0, length));
        assertEquals(BatchError.EMPTY_BATCH, validator.validate(cleaned, 0, length));
        assertEquals(BatchError.EMPTY_BATCH, validator.validateExact(cleaned, 0, length));

        // Bytes after the header of a batch that claims no record are not what the cleaner writes.
        final int withRecord = keepRecords(1);
        cleaned.putInt(RECORD_COUNT_OFFSET, 0, BYTE_ORDER);
        RecordBatchFlyweight.updateCrc(cleaned, 0);
        assertEquals(BatchError.EMPTY_BATCH, validator.validateStored(cleaned, 0, withRecord));

        // Nor is a compressed empty batch.
        keepRecords();
        cleaned.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short)RecordBatch.COMPRESSION_LZ4, BYTE_ORDER);
        RecordBatchFlyweight.updateCrc(cleaned, 0);
        assertEquals(BatchError.EMPTY_BATCH, validator.validateStored(cleaned, 0, length));
    }

    @Test
    void shouldReportRecordsWithoutKey()
    {
        builder.wrap(source, 0, source.capacity());
        builder.append(1L, bytes("k"), bytes("v"));
        int length = builder.build();
        assertEquals(BatchError.OK, validator.validateExact(source, 0, length));
        assertFalse(validator.hasRecordWithoutKey());

        builder.wrap(source, 0, source.capacity());
        builder.append(1L, bytes("k"), null);
        builder.append(1L, null, bytes("v"));
        length = builder.build();
        assertEquals(BatchError.OK, validator.validateExact(source, 0, length));
        assertTrue(validator.hasRecordWithoutKey());
    }

    /**
     * Build a batch of 4 keyed records, then copy the header and the given records (by index) to {@link #cleaned},
     * keeping lastOffsetDelta = 3 and each record's delta, as the cleaner does.
     */
    private int keepRecords(final int... indexes)
    {
        builder.wrap(source, 0, source.capacity());
        for (int i = 0; i < 4; i++)
        {
            builder.append(100L + i, bytes("key" + i), bytes("value" + i));
        }
        builder.build();

        final int[] starts = new int[4];
        int position = HEADER_LENGTH;
        for (int i = 0; i < 4; i++)
        {
            starts[i] = position;
            assertEquals(i, source.getInt(position + RECORD_OFFSET_DELTA_OFFSET, BYTE_ORDER));
            position += source.getInt(position, BYTE_ORDER);
        }

        cleaned.putBytes(0, source, 0, HEADER_LENGTH);
        int length = HEADER_LENGTH;
        long maxTimestamp = Long.MIN_VALUE;
        for (final int index : indexes)
        {
            final int recordLength = source.getInt(starts[index], BYTE_ORDER);
            cleaned.putBytes(length, source, starts[index], recordLength);
            length += recordLength;
            maxTimestamp = Math.max(maxTimestamp, 100L + index);
        }
        cleaned.putInt(BATCH_LENGTH_OFFSET, length, BYTE_ORDER);
        cleaned.putInt(RECORD_COUNT_OFFSET, indexes.length, BYTE_ORDER);
        cleaned.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, maxTimestamp, BYTE_ORDER);
        RecordBatchFlyweight.updateCrc(cleaned, 0);
        return length;
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
