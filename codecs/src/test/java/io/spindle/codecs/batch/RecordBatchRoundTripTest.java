/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import io.spindle.codecs.batch.TestBatches.Header;
import io.spindle.codecs.batch.TestBatches.TestRecord;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordBatchRoundTripTest
{
    private final RecordBatchValidator validator = new RecordBatchValidator();
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    private final RecordFlyweight records = new RecordFlyweight();
    private final RecordBatchBuilder builder = new RecordBatchBuilder();

    @BeforeAll
    static void beforeAll()
    {
        TestBatches.ensureTempDirectory();
    }

    @AfterEach
    void after()
    {
        validator.close();
        records.close();
        builder.close();
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_NONE, RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldRoundTripEveryFieldOfHandPickedRecords(final int codec)
    {
        final List<TestRecord> expected = List.of(
            new TestRecord(5_000, bytes("k1"), bytes("v1"), List.of()),
            new TestRecord(4_000, null, bytes("null key"), List.of()),
            new TestRecord(7_000, bytes("tombstone"), null, List.of()),
            new TestRecord(6_000, new byte[0], new byte[0], List.of()),
            new TestRecord(5_500, bytes("h"), bytes("with headers"), List.of(
                new Header("trace-id", bytes("abc")),
                new Header("", new byte[0]),
                new Header("nüll", null))));

        final byte[] bytes = TestBatches.build(codec, expected);
        final UnsafeBuffer buffer = TestBatches.exact(bytes);

        assertEquals(BatchError.OK, validator.validate(buffer, 0, bytes.length));
        assertEquals(BatchError.OK, validator.validateExact(buffer, 0, bytes.length));

        batch.wrap(buffer, 0);
        assertEquals(0L, batch.baseOffset());
        assertEquals(bytes.length, batch.batchLength());
        assertEquals(-1, batch.partitionLeaderEpoch());
        assertEquals(batch.computeCrc(), batch.crc());
        assertTrue(batch.isCrcValid());
        assertEquals(RecordBatch.MAGIC, batch.magic());
        assertEquals(codec, batch.compression());
        assertEquals(codec, batch.attributes());
        assertEquals(RecordBatch.TIMESTAMP_TYPE_CREATE_TIME, batch.timestampType());
        assertFalse(batch.isLogAppendTime());
        assertFalse(batch.isTransactional());
        assertFalse(batch.isControl());
        assertEquals(4, batch.lastOffsetDelta());
        assertEquals(4L, batch.lastOffset());
        assertEquals(5L, batch.nextOffset());
        assertEquals(5, batch.recordCount());
        assertEquals(5_000L, batch.baseTimestamp());
        assertEquals(7_000L, batch.maxTimestamp());
        assertEquals(RecordBatch.NO_PRODUCER_ID, batch.producerId());
        assertEquals(RecordBatch.NO_PRODUCER_EPOCH, batch.producerEpoch());
        assertEquals(RecordBatch.NO_SEQUENCE, batch.baseSequence());
        assertEquals(RecordBatch.NO_SEQUENCE, batch.lastSequence());

        assertRecords(expected, buffer, 0, 0L);
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_NONE, RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldRoundTripRandomRecords(final int codec)
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        for (int iteration = 0; iteration < 300; iteration++)
        {
            final int count = 1 + random.nextInt(random.nextInt(8) == 0 ? 200 : 10);
            final List<TestRecord> expected = new ArrayList<>();
            final long baseTimestampMs = random.nextLong() >>> 24;
            for (int i = 0; i < count; i++)
            {
                expected.add(TestBatches.randomRecord(random, baseTimestampMs));
            }

            final String context = "seed=" + seed + "L iteration=" + iteration + " codec=" + codec;
            final byte[] bytes = TestBatches.build(builder, codec, expected);

            // Place the batch at a random offset inside a larger exact-sized array to exercise offset arithmetic.
            final int offset = random.nextInt(16);
            final byte[] padded = new byte[offset + bytes.length];
            System.arraycopy(bytes, 0, padded, offset, bytes.length);
            final UnsafeBuffer buffer = TestBatches.exact(padded);

            assertEquals(BatchError.OK, validator.validateExact(buffer, offset, bytes.length), context);

            final long baseOffset = random.nextInt(1_000_000);
            RecordBatchFlyweight.baseOffset(buffer, offset, baseOffset);
            RecordBatchFlyweight.partitionLeaderEpoch(buffer, offset, 7);
            assertEquals(BatchError.OK, validator.validateExact(buffer, offset, bytes.length), context);

            batch.wrap(buffer, offset);
            assertEquals(baseOffset, batch.baseOffset(), context);
            assertEquals(7, batch.partitionLeaderEpoch(), context);
            assertEquals(count, batch.recordCount(), context);
            assertEquals(baseOffset + count - 1, batch.lastOffset(), context);
            assertEquals(expected.get(0).timestampMs(), batch.baseTimestamp(), context);
            final long maxTimestampMs = expected.stream().mapToLong(TestRecord::timestampMs).max().orElseThrow();
            assertEquals(maxTimestampMs, batch.maxTimestamp(), context);

            assertRecords(expected, buffer, offset, baseOffset);
        }
    }

    @Test
    void shouldWriteProducerAndTransactionalFields()
    {
        final byte[] array = new byte[512];
        final UnsafeBuffer buffer = new UnsafeBuffer(array);
        builder.wrap(buffer, 0, array.length)
            .producer(42L, (short)3, Integer.MAX_VALUE - 1)
            .transactional(true);
        assertTrue(builder.append(1L, bytes("a"), bytes("b")));
        assertTrue(builder.append(2L, bytes("c"), bytes("d")));
        assertTrue(builder.append(3L, bytes("e"), bytes("f")));
        final int length = builder.build();

        assertEquals(BatchError.OK, validator.validate(buffer, 0, array.length));
        batch.wrap(buffer, 0);
        assertEquals(length, batch.batchLength());
        assertEquals(42L, batch.producerId());
        assertEquals(3, batch.producerEpoch());
        assertEquals(Integer.MAX_VALUE - 1, batch.baseSequence());
        assertEquals(0, batch.lastSequence(), "sequence wraps past Integer.MAX_VALUE to 0 as in Kafka");
        assertTrue(batch.isTransactional());
        assertFalse(batch.isControl());
        assertEquals(RecordBatch.TRANSACTIONAL_MASK, batch.attributes());
    }

    @Test
    void shouldBuildControlBatch()
    {
        final byte[] array = new byte[256];
        final UnsafeBuffer buffer = new UnsafeBuffer(array);
        builder.wrap(buffer, 0, array.length).producer(9L, (short)0, RecordBatch.NO_SEQUENCE)
            .transactional(true).control(true);
        assertTrue(builder.append(10L, new byte[4], null));
        builder.build();

        assertEquals(BatchError.OK, validator.validate(buffer, 0, array.length));
        assertTrue(batch.wrap(buffer, 0).isControl());
        assertTrue(batch.isTransactional());
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_NONE, RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldStampLogAppendTimeAndKeepCrcValid(final int codec)
    {
        final List<TestRecord> expected = List.of(
            new TestRecord(100, bytes("a"), bytes("1"), List.of()),
            new TestRecord(200, bytes("b"), bytes("2"), List.of()));
        final byte[] bytes = TestBatches.build(codec, expected);
        final UnsafeBuffer buffer = TestBatches.exact(bytes);

        final long crc = RecordBatchFlyweight.logAppendTime(buffer, 0, 999L);

        batch.wrap(buffer, 0);
        assertEquals(crc, batch.crc());
        assertTrue(batch.isCrcValid());
        assertTrue(batch.isLogAppendTime());
        assertEquals(RecordBatch.TIMESTAMP_TYPE_LOG_APPEND_TIME, batch.timestampType());
        assertEquals(codec, batch.compression());
        assertEquals(999L, batch.maxTimestamp());
        assertEquals(BatchError.OK, validator.validate(buffer, 0, bytes.length), "maxTimestamp is not checked");

        assertEquals(BatchError.OK, records.wrap(batch));
        while (records.next())
        {
            assertEquals(999L, records.timestamp(), "log-append time replaces record timestamps");
        }
    }

    @Test
    void shouldNotCoverBaseOffsetOrLeaderEpochWithCrc()
    {
        final byte[] bytes = TestBatches.build(RecordBatch.COMPRESSION_NONE,
            List.of(new TestRecord(1, bytes("k"), bytes("v"), List.of())));
        final UnsafeBuffer buffer = TestBatches.exact(bytes);
        final long crc = batch.wrap(buffer, 0).crc();

        RecordBatchFlyweight.baseOffset(buffer, 0, Long.MAX_VALUE - 100);
        RecordBatchFlyweight.partitionLeaderEpoch(buffer, 0, 12345);

        assertEquals(crc, batch.computeCrc());
        assertTrue(batch.isCrcValid());
        assertEquals(Long.MAX_VALUE - 100, batch.baseOffset());
        assertEquals(12345, batch.partitionLeaderEpoch());
    }

    @Test
    void shouldValidateBatchesBackToBackByAdvancingBatchLength()
    {
        final byte[] first = TestBatches.build(RecordBatch.COMPRESSION_NONE,
            List.of(new TestRecord(1, bytes("k"), bytes("v"), List.of())));
        final byte[] second = TestBatches.build(RecordBatch.COMPRESSION_ZSTD,
            List.of(new TestRecord(2, bytes("k2"), bytes("v2"), List.of())));
        final byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        final UnsafeBuffer buffer = TestBatches.exact(both);

        int position = 0;
        int batches = 0;
        while (position < both.length)
        {
            assertEquals(BatchError.OK, validator.validate(buffer, position, both.length - position));
            position += batch.wrap(buffer, position).batchLength();
            batches++;
        }

        assertEquals(2, batches);
        assertEquals(BatchError.BATCH_LENGTH_NOT_EXACT, validator.validateExact(buffer, 0, both.length));
    }

    @Test
    void shouldIterateOffHeapBatches()
    {
        final byte[] bytes = TestBatches.build(RecordBatch.COMPRESSION_LZ4,
            List.of(new TestRecord(1, bytes("key"), bytes("value"), List.of(new Header("h", bytes("x"))))));
        final ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
        direct.put(bytes).flip();
        final UnsafeBuffer buffer = new UnsafeBuffer(direct);

        assertEquals(BatchError.OK, validator.validate(buffer, 0, bytes.length));
        assertEquals(BatchError.OK, records.wrap(batch.wrap(buffer, 0)));
        assertTrue(records.next());
        assertEquals(
            "value", records.buffer().getStringWithoutLengthUtf8(records.valueOffset(), records.valueLength()));
        assertTrue(records.nextHeader());
        assertEquals("h", records.buffer().getStringWithoutLengthUtf8(records.headerKeyOffset(), 1));
        assertFalse(records.nextHeader());
        assertFalse(records.next());
    }

    @Test
    void shouldBuildIntoExpandableBufferAtOffset()
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(16);
        builder.wrap(buffer, 100, 4096);
        assertTrue(builder.append(1L, bytes("k"), bytes("v")));
        final int length = builder.build();
        assertEquals(length, builder.sizeInBytes());
        assertEquals(BatchError.OK, validator.validateExact(buffer, 100, length));
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_NONE, RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldRefuseRecordsThatDoNotFitAndStillBuildValidBatch(final int codec)
    {
        final Random random = new Random(7);
        final byte[] value = new byte[100];
        final int capacity = 1000;
        final byte[] array = new byte[capacity];
        final UnsafeBuffer buffer = new UnsafeBuffer(array);
        builder.wrap(buffer, 0, capacity).compression(codec);

        int appended = 0;
        while (true)
        {
            random.nextBytes(value);
            if (!builder.append(appended, null, value))
            {
                break;
            }
            appended++;
        }

        assertTrue(appended > 0);
        assertEquals(appended, builder.recordCount());
        final int length = builder.build();
        assertTrue(length <= capacity, "length=" + length);
        assertEquals(BatchError.OK, validator.validateExact(buffer, 0, length));
        assertEquals(appended, batch.wrap(buffer, 0).recordCount());
    }

    @Test
    void shouldRefuseFirstRecordLargerThanRegion()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[100]);
        builder.wrap(buffer, 0, 100);
        assertFalse(builder.append(1L, null, new byte[10]));
        assertEquals(0, builder.recordCount());
        assertEquals(RecordBatch.HEADER_LENGTH, builder.sizeInBytes());
        assertThrows(IllegalStateException.class, builder::build);
    }

    @Test
    void shouldRefuseCompressedRecordsBeyondUncompressedCap()
    {
        final RecordBatchBuilder small = new RecordBatchBuilder(100);
        try
        {
            small.wrap(new UnsafeBuffer(new byte[4096]), 0, 4096).compression(RecordBatch.COMPRESSION_LZ4);
            assertTrue(small.append(1L, null, new byte[50]));
            assertFalse(small.append(1L, null, new byte[50]));
        }
        finally
        {
            small.close();
        }
    }

    @Test
    void shouldRejectMisuseOfBuilder()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        assertThrows(IllegalStateException.class, () -> builder.append(1L, null, null));
        assertThrows(IndexOutOfBoundsException.class, () -> builder.wrap(buffer, 200, 100));
        builder.wrap(buffer, 0, 256);
        assertThrows(IllegalArgumentException.class, () -> builder.compression(1));
        assertThrows(IllegalArgumentException.class, () -> builder.append(1L, null, 0, -2, null, 0, -1));
        assertTrue(builder.append(1L, null, null));
        assertThrows(IllegalStateException.class, () -> builder.compression(RecordBatch.COMPRESSION_ZSTD));
        final int length = builder.build();
        assertEquals(length, builder.build());
        assertThrows(IllegalStateException.class, () -> builder.append(1L, null, null));

        builder.wrap(buffer, 0, 256);
        assertThrows(IllegalArgumentException.class, () -> builder.producer(-1L, (short)0, -1));
        assertThrows(IllegalArgumentException.class, () -> builder.producer(-1L, (short)-1, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.producer(5L, (short)-1, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.producer(-2L, (short)0, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.producer(5L, (short)0, -2));
        builder.transactional(true);
        assertTrue(builder.append(1L, null, null));
        assertThrows(IllegalStateException.class, builder::build);
    }

    @Test
    void shouldReuseBuilderAcrossBatches()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
        for (final int codec : TestBatches.CODECS)
        {
            builder.wrap(buffer, 0, 1024).compression(codec);
            assertTrue(builder.append(1L, bytes("k" + codec), bytes("v")));
            final int length = builder.build();
            assertEquals(BatchError.OK, validator.validateExact(buffer, 0, length), "codec=" + codec);
            assertEquals(codec, batch.wrap(buffer, 0).compression());
            assertEquals(1, batch.recordCount());
        }
    }

    private void assertRecords(
        final List<TestRecord> expected, final DirectBuffer buffer, final int offset, final long baseOffset)
    {
        batch.wrap(buffer, offset);
        assertEquals(BatchError.OK, records.wrap(batch));
        assertEquals(expected.size(), records.recordCount());

        int index = 0;
        while (records.next())
        {
            final TestRecord record = expected.get(index);
            final String context = "record " + index;
            assertEquals(index, records.recordIndex(), context);
            assertEquals(index, records.offsetDelta(), context);
            assertEquals(baseOffset + index, records.offset(), context);
            assertEquals(record.timestampMs(), records.timestamp(), context);
            assertEquals(record.timestampMs() - batch.baseTimestamp(), records.timestampDelta(), context);
            assertBytes(record.key(), records.buffer(), records.keyOffset(), records.keyLength(), context);
            assertBytes(record.value(), records.buffer(), records.valueOffset(), records.valueLength(), context);
            assertEquals(record.headers().size(), records.headerCount(), context);

            int headerIndex = 0;
            while (records.nextHeader())
            {
                final Header header = record.headers().get(headerIndex);
                final byte[] key = new byte[records.headerKeyLength()];
                records.buffer().getBytes(records.headerKeyOffset(), key);
                assertEquals(header.key(), new String(key, StandardCharsets.UTF_8), context);
                assertBytes(
                    header.value(),
                    records.buffer(),
                    records.headerValueOffset(),
                    records.headerValueLength(),
                    context);
                headerIndex++;
            }
            assertEquals(record.headers().size(), headerIndex, context);
            assertEquals(records.recordOffset() + records.recordLength(),
                records.headersOffset() + records.headersLength(), context);
            index++;
        }

        assertEquals(expected.size(), index);
        assertFalse(records.next());
    }

    private static void assertBytes(
        final byte[] expected, final DirectBuffer buffer, final int offset, final int length, final String context)
    {
        if (null == expected)
        {
            assertEquals(RecordBatch.NULL_LENGTH, length, context);
            return;
        }

        final byte[] actual = new byte[length];
        buffer.getBytes(offset, actual);
        assertArrayEquals(expected, actual, context + " expected " + Arrays.toString(expected));
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
