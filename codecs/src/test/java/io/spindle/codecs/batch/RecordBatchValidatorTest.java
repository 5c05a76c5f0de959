/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import io.spindle.codecs.batch.TestBatches.Bytes;
import io.spindle.codecs.batch.TestBatches.RawBatch;
import io.spindle.codecs.batch.TestBatches.TestRecord;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.spindle.codecs.batch.TestBatches.record;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per {@link BatchError}: each builds the bad shape deliberately, with a correct CRC unless the CRC is the
 * point, so that the check under test is the one that fires.
 */
class RecordBatchValidatorTest
{
    private static final byte[] KEY = "key".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = "value-of-twenty-byte".getBytes(StandardCharsets.UTF_8);

    private final RecordBatchValidator validator = new RecordBatchValidator();

    @BeforeAll
    static void beforeAll()
    {
        TestBatches.ensureTempDirectory();
    }

    @AfterEach
    void after()
    {
        validator.close();
    }

    @Test
    void shouldAcceptHandMadeBatchIdenticalToBuilderOutput()
    {
        final byte[] built = TestBatches.build(RecordBatch.COMPRESSION_NONE, List.of(
            new TestRecord(1_000, KEY, VALUE, List.of()),
            new TestRecord(1_005, KEY, VALUE, List.of())));

        assertArrayEquals(built, valid().toBytes(), "the layout in the tests and in the builder agree byte for byte");
        assertEquals(BatchError.OK, validate(valid().toBytes()));
    }

    @Test
    void shouldDescribeEveryError()
    {
        for (final BatchError error : BatchError.values())
        {
            assertFalse(error.message().isBlank(), error.name());
        }
    }

    @Test
    void shouldRejectRegionOutsideBuffer()
    {
        final byte[] bytes = valid().toBytes();
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);

        assertEquals(BatchError.REGION_OUT_OF_BOUNDS, validator.validate(buffer, -1, bytes.length));
        assertEquals(BatchError.REGION_OUT_OF_BOUNDS, validator.validate(buffer, 0, -1));
        assertEquals(BatchError.REGION_OUT_OF_BOUNDS, validator.validate(buffer, 0, bytes.length + 1));
        assertEquals(BatchError.REGION_OUT_OF_BOUNDS, validator.validate(buffer, 1, bytes.length));
        assertEquals(BatchError.REGION_OUT_OF_BOUNDS, validator.validate(buffer, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals(BatchError.REGION_OUT_OF_BOUNDS, validator.validate(null, 0, 0));
    }

    @Test
    void shouldRejectTooShortForHeader()
    {
        final byte[] bytes = valid().toBytes();
        assertEquals(BatchError.TOO_SHORT_FOR_HEADER, validator.validate(new UnsafeBuffer(bytes), 0, 63));
        assertEquals(BatchError.TOO_SHORT_FOR_HEADER, validate(new byte[0]));
    }

    @Test
    void shouldRejectNegativeBatchLength()
    {
        final RawBatch batch = valid();
        batch.batchLength = -1;
        assertEquals(BatchError.BATCH_LENGTH_NEGATIVE, validate(batch.toBytes()));
        batch.batchLength = Integer.MIN_VALUE;
        assertEquals(BatchError.BATCH_LENGTH_NEGATIVE, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectBatchLengthSmallerThanHeader()
    {
        final RawBatch batch = valid();
        batch.batchLength = RecordBatch.HEADER_LENGTH - 1;
        assertEquals(BatchError.BATCH_LENGTH_TOO_SMALL, validate(batch.toBytes()));
        batch.batchLength = 0;
        assertEquals(BatchError.BATCH_LENGTH_TOO_SMALL, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectBatchLengthPastBuffer()
    {
        final RawBatch batch = valid();
        final int length = batch.toBytes().length;
        batch.batchLength = length + 1;
        assertEquals(BatchError.BATCH_LENGTH_OVERRUNS_BUFFER, validate(batch.toBytes()));
        batch.batchLength = Integer.MAX_VALUE;
        assertEquals(BatchError.BATCH_LENGTH_OVERRUNS_BUFFER, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectBatchShorterThanExactLength()
    {
        final byte[] bytes = Arrays.copyOf(valid().toBytes(), valid().toBytes().length + 10);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        assertEquals(BatchError.OK, validator.validate(buffer, 0, bytes.length));
        assertEquals(BatchError.BATCH_LENGTH_NOT_EXACT, validator.validateExact(buffer, 0, bytes.length));
    }

    @Test
    void shouldRejectUnsupportedMagic()
    {
        final RawBatch batch = valid();
        batch.magic = 1;
        assertEquals(BatchError.UNSUPPORTED_MAGIC, validate(batch.toBytes()));
        batch.magic = 3;
        assertEquals(BatchError.UNSUPPORTED_MAGIC, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectCrcMismatch()
    {
        final byte[] bytes = valid().toBytes();
        bytes[bytes.length - 5] ^= 0x01;
        assertEquals(BatchError.CRC_MISMATCH, validate(bytes));

        final RawBatch batch = valid();
        final byte[] good = batch.toBytes();
        batch.crc = TestBatches.le(good).getInt(RecordBatch.CRC_OFFSET) ^ 0x8000_0000;
        assertEquals(BatchError.CRC_MISMATCH, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectNonZeroReservedFields()
    {
        final RawBatch batch = valid();
        batch.reservedByte = 1;
        assertEquals(BatchError.RESERVED_NOT_ZERO, validate(batch.toBytes()));

        final RawBatch other = valid();
        other.reservedShort = 0x100;
        assertEquals(BatchError.RESERVED_NOT_ZERO, validate(other.toBytes()));
    }

    @Test
    void shouldRejectUnknownAttributeBits()
    {
        final RawBatch batch = valid();
        batch.attributes = 0x40;
        assertEquals(BatchError.UNKNOWN_ATTRIBUTES, validate(batch.toBytes()));
        batch.attributes = 0x8000;
        assertEquals(BatchError.UNKNOWN_ATTRIBUTES, validate(batch.toBytes()));
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2, 5, 6, 7 })
    void shouldRejectUnknownCompression(final int codec)
    {
        final RawBatch batch = valid();
        batch.attributes = codec;
        assertEquals(BatchError.UNKNOWN_COMPRESSION, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectInvalidProducerFields()
    {
        final RawBatch belowNone = valid();
        belowNone.producerId = -2;
        assertEquals(BatchError.PRODUCER_FIELDS_INVALID, validate(belowNone.toBytes()));

        final RawBatch epochBelowNone = valid();
        epochBelowNone.producerId = 1;
        epochBelowNone.producerEpoch = -2;
        assertEquals(BatchError.PRODUCER_FIELDS_INVALID, validate(epochBelowNone.toBytes()));

        final RawBatch sequenceBelowNone = valid();
        sequenceBelowNone.producerId = 1;
        sequenceBelowNone.producerEpoch = 0;
        sequenceBelowNone.baseSequence = -2;
        assertEquals(BatchError.PRODUCER_FIELDS_INVALID, validate(sequenceBelowNone.toBytes()));

        final RawBatch transactionalWithoutProducer = valid();
        transactionalWithoutProducer.attributes = RecordBatch.TRANSACTIONAL_MASK;
        assertEquals(BatchError.PRODUCER_FIELDS_INVALID, validate(transactionalWithoutProducer.toBytes()));

        final RawBatch controlWithoutProducer = valid();
        controlWithoutProducer.attributes = RecordBatch.CONTROL_MASK;
        assertEquals(BatchError.PRODUCER_FIELDS_INVALID, validate(controlWithoutProducer.toBytes()));

        final RawBatch sequenceWithoutProducer = valid();
        sequenceWithoutProducer.baseSequence = 0;
        assertEquals(BatchError.PRODUCER_FIELDS_INVALID, validate(sequenceWithoutProducer.toBytes()));

        final RawBatch producerWithoutEpoch = valid();
        producerWithoutEpoch.producerId = 5;
        assertEquals(BatchError.PRODUCER_FIELDS_INVALID, validate(producerWithoutEpoch.toBytes()));

        final RawBatch idempotent = valid();
        idempotent.producerId = 5;
        idempotent.producerEpoch = 0;
        idempotent.baseSequence = 0;
        idempotent.attributes = RecordBatch.TRANSACTIONAL_MASK;
        assertEquals(BatchError.OK, validate(idempotent.toBytes()));
    }

    @Test
    void shouldRejectNegativeRecordCount()
    {
        final RawBatch batch = valid();
        batch.recordCount = -1;
        assertEquals(BatchError.RECORD_COUNT_NEGATIVE, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectEmptyBatch()
    {
        final RawBatch batch = valid();
        batch.recordCount = 0;
        batch.records = new byte[0];
        assertEquals(BatchError.EMPTY_BATCH, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectLastOffsetDeltaMismatch()
    {
        final RawBatch batch = valid();
        batch.lastOffsetDelta = 5;
        assertEquals(BatchError.LAST_OFFSET_DELTA_MISMATCH, validate(batch.toBytes()));
        batch.lastOffsetDelta = Integer.MIN_VALUE;
        assertEquals(BatchError.LAST_OFFSET_DELTA_MISMATCH, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectRecordCountMismatch()
    {
        final RawBatch moreThanPresent = valid();
        moreThanPresent.recordCount = 3;
        assertEquals(BatchError.RECORD_COUNT_MISMATCH, validate(moreThanPresent.toBytes()));

        final RawBatch moreThanCouldFit = valid();
        moreThanCouldFit.recordCount = Integer.MAX_VALUE;
        assertEquals(BatchError.RECORD_COUNT_MISMATCH, validate(moreThanCouldFit.toBytes()));
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldRejectMissingOrNegativeUncompressedLength(final int codec)
    {
        final RawBatch missing = valid();
        missing.attributes = codec;
        missing.records = new byte[3];
        assertEquals(BatchError.UNCOMPRESSED_LENGTH_INVALID, validate(missing.toBytes()));

        final RawBatch negative = valid();
        negative.attributes = codec;
        negative.records = new Bytes().i32(-1).bytes(new byte[16]).toBytes();
        assertEquals(BatchError.UNCOMPRESSED_LENGTH_INVALID, validate(negative.toBytes()));
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldRejectUncompressedLengthAboveCap(final int codec)
    {
        final RawBatch batch = compressed(codec, valid());
        final RecordBatchValidator small = new RecordBatchValidator(50);
        try
        {
            final byte[] bytes = batch.toBytes();
            assertEquals(
                BatchError.UNCOMPRESSED_LENGTH_TOO_LARGE, small.validate(new UnsafeBuffer(bytes), 0, bytes.length));
            assertEquals(BatchError.OK, validate(bytes));

            final RawBatch huge = valid();
            huge.attributes = codec;
            huge.records = new Bytes().i32(Integer.MAX_VALUE).bytes(new byte[16]).toBytes();
            assertEquals(BatchError.UNCOMPRESSED_LENGTH_TOO_LARGE, validate(huge.toBytes()));
        }
        finally
        {
            small.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldRejectCorruptCompressedRecords(final int codec)
    {
        final byte[] section = valid().records;

        final RawBatch garbage = valid();
        garbage.attributes = codec;
        final byte[] noise = new byte[40];
        new Random(1).nextBytes(noise);
        garbage.records = new Bytes().i32(section.length).bytes(noise).toBytes();
        assertEquals(BatchError.DECOMPRESSION_FAILED, validate(garbage.toBytes()));

        final byte[] good = TestBatches.compressSection(codec, section);

        final RawBatch declaredLonger = valid();
        declaredLonger.attributes = codec;
        declaredLonger.records = good.clone();
        TestBatches.le(declaredLonger.records).putInt(0, section.length + 1);
        assertEquals(BatchError.DECOMPRESSION_FAILED, validate(declaredLonger.toBytes()));

        final RawBatch declaredShorter = valid();
        declaredShorter.attributes = codec;
        declaredShorter.records = good.clone();
        TestBatches.le(declaredShorter.records).putInt(0, section.length - 1);
        assertEquals(BatchError.DECOMPRESSION_FAILED, validate(declaredShorter.toBytes()));

        final RawBatch truncated = valid();
        truncated.attributes = codec;
        truncated.records = Arrays.copyOf(good, good.length - 1);
        assertEquals(BatchError.DECOMPRESSION_FAILED, validate(truncated.toBytes()));

        final RawBatch empty = valid();
        empty.attributes = codec;
        empty.records = new Bytes().i32(section.length).toBytes();
        assertEquals(BatchError.DECOMPRESSION_FAILED, validate(empty.toBytes()));
    }

    @Test
    void shouldRejectNegativeRecordLength()
    {
        final RawBatch batch = valid();
        TestBatches.le(batch.records).putInt(0, -1);
        assertEquals(BatchError.RECORD_LENGTH_NEGATIVE, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectRecordLengthBelowFixedFields()
    {
        final RawBatch batch = valid();
        TestBatches.le(batch.records).putInt(0, RecordBatch.RECORD_OVERHEAD - 1);
        assertEquals(BatchError.RECORD_LENGTH_TOO_SMALL, validate(batch.toBytes()));
        TestBatches.le(batch.records).putInt(0, 0);
        assertEquals(BatchError.RECORD_LENGTH_TOO_SMALL, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectRecordRunningPastBatch()
    {
        final RawBatch batch = valid();
        final int secondRecord = record(0, 0, KEY, VALUE).length;
        TestBatches.le(batch.records).putInt(secondRecord, record(1, 5, KEY, VALUE).length + 1);
        assertEquals(BatchError.RECORD_OVERRUNS_BATCH, validate(batch.toBytes()));

        final RawBatch cutLengthField = valid();
        cutLengthField.recordCount = 2;
        cutLengthField.records = new Bytes().bytes(record(0, 0, KEY, new byte[40])).bytes(new byte[3]).toBytes();
        assertEquals(BatchError.RECORD_OVERRUNS_BATCH, validate(cutLengthField.toBytes()));
    }

    @Test
    void shouldRejectOffsetDeltaOutOfOrder()
    {
        final RawBatch batch = valid();
        batch.records = new Bytes().bytes(record(0, 0, KEY, VALUE)).bytes(record(2, 5, KEY, VALUE)).toBytes();
        assertEquals(BatchError.OFFSET_DELTA_MISMATCH, validate(batch.toBytes()));

        batch.records = new Bytes().bytes(record(1, 0, KEY, VALUE)).bytes(record(0, 5, KEY, VALUE)).toBytes();
        assertEquals(BatchError.OFFSET_DELTA_MISMATCH, validate(batch.toBytes()));
    }

    @Test
    void shouldRejectInvalidKeyLength()
    {
        final int keyLengthIndex = RecordBatch.RECORD_KEY_LENGTH_OFFSET;
        final RawBatch belowNull = valid();
        TestBatches.le(belowNull.records).putInt(keyLengthIndex, -2);
        assertEquals(BatchError.KEY_LENGTH_INVALID, validate(belowNull.toBytes()));

        final RawBatch pastRecord = valid();
        TestBatches.le(pastRecord.records).putInt(keyLengthIndex, KEY.length + VALUE.length + 1);
        assertEquals(BatchError.KEY_LENGTH_INVALID, validate(pastRecord.toBytes()));

        final RawBatch huge = valid();
        TestBatches.le(huge.records).putInt(keyLengthIndex, Integer.MAX_VALUE);
        assertEquals(BatchError.KEY_LENGTH_INVALID, validate(huge.toBytes()));
    }

    @Test
    void shouldRejectInvalidValueLength()
    {
        final int valueLengthIndex = RecordBatch.RECORD_KEY_LENGTH_OFFSET + 4 + KEY.length;
        final RawBatch belowNull = valid();
        TestBatches.le(belowNull.records).putInt(valueLengthIndex, -2);
        assertEquals(BatchError.VALUE_LENGTH_INVALID, validate(belowNull.toBytes()));

        final RawBatch pastRecord = valid();
        TestBatches.le(pastRecord.records).putInt(valueLengthIndex, VALUE.length + 1);
        assertEquals(BatchError.VALUE_LENGTH_INVALID, validate(pastRecord.toBytes()));

        final RawBatch huge = valid();
        TestBatches.le(huge.records).putInt(valueLengthIndex, Integer.MAX_VALUE);
        assertEquals(BatchError.VALUE_LENGTH_INVALID, validate(huge.toBytes()));
    }

    @Test
    void shouldRejectInvalidHeaderCount()
    {
        assertEquals(BatchError.HEADER_COUNT_INVALID, validate(withHeader(-1, 1, "k", 1, "v", 0)));
        assertEquals(BatchError.HEADER_COUNT_INVALID, validate(withHeader(1000, 1, "k", 1, "v", 0)));
        assertEquals(BatchError.HEADER_COUNT_INVALID, validate(withHeader(2, 1, "k", 1, "v", 0)));
        assertEquals(BatchError.OK, validate(withHeader(1, 1, "k", 1, "v", 0)));
    }

    @Test
    void shouldRejectInvalidHeaderKeyLength()
    {
        assertEquals(BatchError.HEADER_KEY_LENGTH_INVALID, validate(withHeader(1, -1, "k", 1, "v", 0)));
        assertEquals(BatchError.HEADER_KEY_LENGTH_INVALID, validate(withHeader(1, 5, "k", 1, "v", 0)));
        assertEquals(BatchError.HEADER_KEY_LENGTH_INVALID, validate(withHeader(1, Integer.MAX_VALUE, "k", 1, "v", 0)));
    }

    @Test
    void shouldRejectInvalidHeaderValueLength()
    {
        assertEquals(BatchError.HEADER_VALUE_LENGTH_INVALID, validate(withHeader(1, 1, "k", -2, "v", 0)));
        assertEquals(BatchError.HEADER_VALUE_LENGTH_INVALID, validate(withHeader(1, 1, "k", 2, "v", 0)));
        assertEquals(
            BatchError.HEADER_VALUE_LENGTH_INVALID, validate(withHeader(1, 1, "k", Integer.MAX_VALUE, "v", 0)));
    }

    @Test
    void shouldRejectRecordLongerThanItsFields()
    {
        assertEquals(BatchError.RECORD_LENGTH_MISMATCH, validate(withHeader(1, 1, "k", 1, "v", 3)));

        final RawBatch padded = valid();
        final byte[] first = record(0, 0, KEY, VALUE);
        TestBatches.le(first).putInt(0, first.length + 2);
        padded.records = new Bytes().bytes(first).i16(0).bytes(record(1, 5, KEY, VALUE)).toBytes();
        assertEquals(BatchError.RECORD_LENGTH_MISMATCH, validate(padded.toBytes()));
    }

    @Test
    void shouldRejectTrailingBytes()
    {
        final RawBatch padded = valid();
        padded.records = new Bytes().bytes(padded.records).i32(0).toBytes();
        assertEquals(BatchError.TRAILING_BYTES, validate(padded.toBytes()));

        final RawBatch countTooSmall = valid();
        countTooSmall.recordCount = 1;
        assertEquals(BatchError.TRAILING_BYTES, validate(countTooSmall.toBytes()));
    }

    @Test
    void shouldRejectMaxTimestampMismatchForCreateTimeOnly()
    {
        final RawBatch batch = valid();
        batch.maxTimestamp = 1_004;
        assertEquals(BatchError.MAX_TIMESTAMP_MISMATCH, validate(batch.toBytes()));

        batch.attributes = RecordBatch.TIMESTAMP_TYPE_MASK;
        assertEquals(BatchError.OK, validate(batch.toBytes()));
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldRejectStructuralErrorsInsideCompressedRecords(final int codec)
    {
        assertEquals(BatchError.OK, validate(compressed(codec, valid()).toBytes()));

        final RawBatch outOfOrder = valid();
        outOfOrder.records = new Bytes().bytes(record(0, 0, KEY, VALUE)).bytes(record(7, 5, KEY, VALUE)).toBytes();
        assertEquals(BatchError.OFFSET_DELTA_MISMATCH, validate(compressed(codec, outOfOrder).toBytes()));

        final RawBatch trailing = valid();
        trailing.records = new Bytes().bytes(trailing.records).i8(0).toBytes();
        assertEquals(BatchError.TRAILING_BYTES, validate(compressed(codec, trailing).toBytes()));

        final RawBatch badKey = valid();
        TestBatches.le(badKey.records).putInt(RecordBatch.RECORD_KEY_LENGTH_OFFSET, 10_000);
        assertEquals(BatchError.KEY_LENGTH_INVALID, validate(compressed(codec, badKey).toBytes()));

        final RawBatch countMismatch = valid();
        countMismatch.recordCount = 3;
        assertEquals(BatchError.RECORD_COUNT_MISMATCH, validate(compressed(codec, countMismatch).toBytes()));

        final RawBatch wrongMax = valid();
        wrongMax.maxTimestamp = 0;
        assertEquals(BatchError.MAX_TIMESTAMP_MISMATCH, validate(compressed(codec, wrongMax).toBytes()));
    }

    @Test
    void shouldReportDecompressionFailureFromRecordCursor()
    {
        final RawBatch garbage = valid();
        garbage.attributes = RecordBatch.COMPRESSION_ZSTD;
        garbage.records = new Bytes().i32(100).bytes(new byte[20]).toBytes();
        final RecordBatchFlyweight batch = new RecordBatchFlyweight().wrap(new UnsafeBuffer(garbage.toBytes()), 0);
        final RecordFlyweight records = new RecordFlyweight();
        try
        {
            assertEquals(BatchError.DECOMPRESSION_FAILED, records.wrap(batch));
            assertFalse(records.next());
        }
        finally
        {
            records.close();
        }
    }

    @Test
    void shouldSeeCrcAsValidOnlyWhenLengthIsInRange()
    {
        final byte[] bytes = valid().toBytes();
        final RecordBatchFlyweight batch = new RecordBatchFlyweight().wrap(new UnsafeBuffer(bytes), 0);
        assertTrue(batch.isCrcValid());

        TestBatches.le(bytes).putInt(RecordBatch.BATCH_LENGTH_OFFSET, bytes.length + 1);
        assertFalse(batch.isCrcValid());
        TestBatches.le(bytes).putInt(RecordBatch.BATCH_LENGTH_OFFSET, -1);
        assertFalse(batch.isCrcValid());
        assertFalse(new RecordBatchFlyweight().wrap(new UnsafeBuffer(new byte[10]), 0).isCrcValid());
    }

    private BatchError validate(final byte[] bytes)
    {
        return validator.validate(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    /**
     * Two records with a 3-byte key and a 20-byte value, timestamps 1000 and 1005, and a correct CRC.
     */
    private static RawBatch valid()
    {
        final RawBatch batch = new RawBatch();
        batch.recordCount = 2;
        batch.baseTimestamp = 1_000;
        batch.maxTimestamp = 1_005;
        batch.records = new Bytes().bytes(record(0, 0, KEY, VALUE)).bytes(record(1, 5, KEY, VALUE)).toBytes();
        return batch;
    }

    private static RawBatch compressed(final int codec, final RawBatch batch)
    {
        batch.attributes |= codec;
        batch.records = TestBatches.compressSection(codec, batch.records);
        return batch;
    }

    /**
     * One record with a null key and value whose header fields are given, with {@code padding} bytes inside the
     * record after the header; recordLength is the real byte count.
     */
    private static byte[] withHeader(
        final int headerCount,
        final int headerKeyLength,
        final String headerKey,
        final int headerValueLength,
        final String headerValue,
        final int padding)
    {
        final Bytes body = new Bytes()
            .i32(0)
            .i64(0)
            .i32(-1)
            .i32(-1)
            .i32(headerCount)
            .i32(headerKeyLength)
            .bytes(headerKey)
            .i32(headerValueLength)
            .bytes(headerValue)
            .bytes(new byte[padding]);
        final RawBatch batch = new RawBatch();
        batch.recordCount = 1;
        batch.baseTimestamp = 1_000;
        batch.maxTimestamp = 1_000;
        batch.records = new Bytes().i32(body.length() + 4).bytes(body.toBytes()).toBytes();
        return batch.toBytes();
    }
}
