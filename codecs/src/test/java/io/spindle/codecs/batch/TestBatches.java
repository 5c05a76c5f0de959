/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Test-only model records, a byte-level writer for hand-made (possibly malformed) batches, and builder shortcuts.
 */
final class TestBatches
{
    static final int[] CODECS =
    {
        RecordBatch.COMPRESSION_NONE, RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD
    };

    private TestBatches()
    {
    }

    /**
     * The root surefire config points java.io.tmpdir at target/tmp without creating it, and zstd-jni unpacks its
     * native library there on first use; create it so zstd can load.
     */
    static void ensureTempDirectory()
    {
        try
        {
            Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * One header of a model record.
     */
    record Header(String key, byte[] value)
    {
    }

    /**
     * A model record, compared field by field with what the cursor reads back.
     */
    record TestRecord(long timestampMs, byte[] key, byte[] value, List<Header> headers)
    {
    }

    static TestRecord randomRecord(final Random random, final long baseTimestampMs)
    {
        final byte[] key = randomBytesOrNull(random, 40);
        final byte[] value = randomBytesOrNull(random, random.nextInt(10) == 0 ? 2000 : 100);
        final List<Header> headers = new ArrayList<>();
        final int headerCount = random.nextInt(4) == 0 ? random.nextInt(5) : 0;
        for (int i = 0; i < headerCount; i++)
        {
            final StringBuilder key2 = new StringBuilder();
            final int keyLength = random.nextInt(12);
            for (int c = 0; c < keyLength; c++)
            {
                key2.append(random.nextInt(8) == 0 ? 'é' : (char)('a' + random.nextInt(26)));
            }
            headers.add(new Header(key2.toString(), randomBytesOrNull(random, 30)));
        }

        final long timestampMs = baseTimestampMs + random.nextInt(20_000) - 10_000;
        return new TestRecord(timestampMs, key, value, headers);
    }

    static byte[] randomBytesOrNull(final Random random, final int maxLength)
    {
        final int choice = random.nextInt(10);
        if (0 == choice)
        {
            return null;
        }
        if (1 == choice)
        {
            return new byte[0];
        }

        final byte[] bytes = new byte[random.nextInt(maxLength + 1)];
        if (random.nextBoolean())
        {
            random.nextBytes(bytes);
        }
        else
        {
            for (int i = 0; i < bytes.length; i++)
            {
                bytes[i] = (byte)('a' + random.nextInt(4));
            }
        }
        return bytes;
    }

    /**
     * Build a batch from model records into a fresh array of exactly the batch's length.
     */
    static byte[] build(final int codec, final List<TestRecord> records)
    {
        final RecordBatchBuilder builder = new RecordBatchBuilder();
        try
        {
            return build(builder, codec, records);
        }
        finally
        {
            builder.close();
        }
    }

    static byte[] build(final RecordBatchBuilder builder, final int codec, final List<TestRecord> records)
    {
        int capacity = 1024;
        for (final TestRecord record : records)
        {
            capacity += 64 + length(record.key()) + length(record.value());
            for (final Header header : record.headers())
            {
                capacity += 16 + header.key().length() * 2 + length(header.value());
            }
        }
        capacity = (int)Math.max(capacity, BatchCompression.maxCompressedLength(codec, capacity) + 128);

        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[capacity]);
        builder.wrap(buffer, 0, capacity).compression(codec);
        final RecordHeaders headers = new RecordHeaders();
        for (final TestRecord record : records)
        {
            headers.clear();
            for (final Header header : record.headers())
            {
                headers.add(header.key(), header.value());
            }
            if (!builder.append(record.timestampMs(), record.key(), record.value(), headers))
            {
                throw new IllegalStateException("record did not fit");
            }
        }

        final int length = builder.build();
        return Arrays.copyOf(buffer.byteArray(), length);
    }

    static int length(final byte[] bytes)
    {
        return null == bytes ? 0 : bytes.length;
    }

    static UnsafeBuffer exact(final byte[] bytes)
    {
        return new UnsafeBuffer(bytes);
    }

    static void recomputeCrc(final byte[] batch)
    {
        RecordBatchFlyweight.updateCrc(new UnsafeBuffer(batch), 0);
    }

    static ByteBuffer le(final byte[] bytes)
    {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Little-endian byte writer for hand-made records sections.
     */
    static final class Bytes
    {
        private ByteBuffer buffer = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

        Bytes i8(final int value)
        {
            ensure(1);
            buffer.put((byte)value);
            return this;
        }

        Bytes i16(final int value)
        {
            ensure(2);
            buffer.putShort((short)value);
            return this;
        }

        Bytes i32(final int value)
        {
            ensure(4);
            buffer.putInt(value);
            return this;
        }

        Bytes i64(final long value)
        {
            ensure(8);
            buffer.putLong(value);
            return this;
        }

        Bytes bytes(final byte[] value)
        {
            ensure(value.length);
            buffer.put(value);
            return this;
        }

        Bytes bytes(final String value)
        {
            return bytes(value.getBytes(StandardCharsets.UTF_8));
        }

        int length()
        {
            return buffer.position();
        }

        byte[] toBytes()
        {
            return Arrays.copyOf(buffer.array(), buffer.position());
        }

        private void ensure(final int length)
        {
            if (buffer.remaining() < length)
            {
                final int capacity = Math.max(buffer.capacity() * 2, buffer.position() + length);
                final ByteBuffer bigger = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
                buffer.flip();
                bigger.put(buffer);
                buffer = bigger;
            }
        }
    }

    /**
     * Encode one well-formed record with the given offset delta and timestamp delta.
     */
    static byte[] record(final int offsetDelta, final long timestampDelta, final byte[] key, final byte[] value)
    {
        final int length = RecordBatch.RECORD_OVERHEAD + length(key) + length(value);
        final Bytes bytes = new Bytes()
            .i32(length)
            .i32(offsetDelta)
            .i64(timestampDelta)
            .i32(null == key ? -1 : key.length);
        if (null != key)
        {
            bytes.bytes(key);
        }
        bytes.i32(null == value ? -1 : value.length);
        if (null != value)
        {
            bytes.bytes(value);
        }
        return bytes.i32(0).toBytes();
    }

    /**
     * A hand-made batch: every header field settable, batchLength and CRC computed unless overridden.
     */
    static final class RawBatch
    {
        long baseOffset = 0;
        Integer batchLength = null;
        int partitionLeaderEpoch = -1;
        Integer crc = null;
        int magic = RecordBatch.MAGIC;
        int reservedByte = 0;
        int attributes = 0;
        Integer lastOffsetDelta = null;
        int recordCount = 1;
        long baseTimestamp = 1_000;
        long maxTimestamp = 1_000;
        long producerId = -1;
        int producerEpoch = -1;
        int reservedShort = 0;
        int baseSequence = -1;
        byte[] records = new byte[0];

        byte[] toBytes()
        {
            final Bytes bytes = new Bytes()
                .i64(baseOffset)
                .i32(null == batchLength ? RecordBatch.HEADER_LENGTH + records.length : batchLength)
                .i32(partitionLeaderEpoch)
                .i32(0)
                .i8(magic)
                .i8(reservedByte)
                .i16(attributes)
                .i32(null == lastOffsetDelta ? recordCount - 1 : lastOffsetDelta)
                .i32(recordCount)
                .i64(baseTimestamp)
                .i64(maxTimestamp)
                .i64(producerId)
                .i16(producerEpoch)
                .i16(reservedShort)
                .i32(baseSequence)
                .bytes(records);
            final byte[] batch = bytes.toBytes();
            final int crcValue = null != crc ? crc :
                RecordBatch.crc32cRange(new UnsafeBuffer(batch), RecordBatch.CRC_START_OFFSET,
                batch.length - RecordBatch.CRC_START_OFFSET);
            le(batch).putInt(RecordBatch.CRC_OFFSET, crcValue);
            return batch;
        }
    }

    /**
     * Compress a records section and prefix it with its uncompressed length, as a compressed batch stores it.
     */
    static byte[] compressSection(final int codec, final byte[] uncompressedSection)
    {
        final BatchCompression compression = new BatchCompression();
        try
        {
            final int length = compression.compress(codec, uncompressedSection, 0, uncompressedSection.length);
            return new Bytes().i32(uncompressedSection.length)
                .bytes(Arrays.copyOf(compression.compressed(), length)).toBytes();
        }
        finally
        {
            compression.close();
        }
    }

    static String hex(final byte[] bytes)
    {
        final StringBuilder builder = new StringBuilder(bytes.length * 2);
        for (final byte b : bytes)
        {
            builder.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return builder.toString();
    }
}
