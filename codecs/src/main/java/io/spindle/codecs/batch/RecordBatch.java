/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.LangUtil;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Constants and the CRC32C helper for the record-batch format described in {@link RecordBatchFlyweight}.
 * <p>
 * Stateless and thread-safe.
 */
public final class RecordBatch
{
    /**
     * Byte order of every multi-byte field in a batch.
     */
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;

    /**
     * Offset of {@code baseOffset} (int64) in the batch header.
     */
    public static final int BASE_OFFSET_OFFSET = 0;

    /**
     * Offset of {@code batchLength} (int32) in the batch header.
     */
    public static final int BATCH_LENGTH_OFFSET = 8;

    /**
     * Offset of {@code partitionLeaderEpoch} (int32) in the batch header.
     */
    public static final int PARTITION_LEADER_EPOCH_OFFSET = 12;

    /**
     * Offset of {@code crc} (uint32) in the batch header.
     */
    public static final int CRC_OFFSET = 16;

    /**
     * Offset of the first byte covered by the CRC.
     */
    public static final int CRC_START_OFFSET = 20;

    /**
     * Offset of {@code magic} (int8) in the batch header.
     */
    public static final int MAGIC_OFFSET = 20;

    /**
     * Offset of the reserved int8 after {@code magic}, which must be zero.
     */
    public static final int RESERVED_BYTE_OFFSET = 21;

    /**
     * Offset of {@code attributes} (int16) in the batch header.
     */
    public static final int ATTRIBUTES_OFFSET = 22;

    /**
     * Offset of {@code lastOffsetDelta} (int32) in the batch header.
     */
    public static final int LAST_OFFSET_DELTA_OFFSET = 24;

    /**
     * Offset of {@code recordCount} (int32) in the batch header.
     */
    public static final int RECORD_COUNT_OFFSET = 28;

    /**
     * Offset of {@code baseTimestamp} (int64, ms) in the batch header.
     */
    public static final int BASE_TIMESTAMP_OFFSET = 32;

    /**
     * Offset of {@code maxTimestamp} (int64, ms) in the batch header.
     */
    public static final int MAX_TIMESTAMP_OFFSET = 40;

    /**
     * Offset of {@code producerId} (int64) in the batch header.
     */
    public static final int PRODUCER_ID_OFFSET = 48;

    /**
     * Offset of {@code producerEpoch} (int16) in the batch header.
     */
    public static final int PRODUCER_EPOCH_OFFSET = 56;

    /**
     * Offset of the reserved int16 after {@code producerEpoch}, which must be zero.
     */
    public static final int RESERVED_SHORT_OFFSET = 58;

    /**
     * Offset of {@code baseSequence} (int32) in the batch header.
     */
    public static final int BASE_SEQUENCE_OFFSET = 60;

    /**
     * Length of the batch header in bytes; the records section starts here.
     */
    public static final int HEADER_LENGTH = 64;

    /**
     * The only magic value (format version) this code reads and writes.
     */
    public static final byte MAGIC = 2;

    /**
     * Compression codec id for an uncompressed records section.
     */
    public static final int COMPRESSION_NONE = 0;

    /**
     * Compression codec id for LZ4 (raw block format), Kafka's number.
     */
    public static final int COMPRESSION_LZ4 = 3;

    /**
     * Compression codec id for zstd (one frame), Kafka's number.
     */
    public static final int COMPRESSION_ZSTD = 4;

    /**
     * Attribute bits 0-2: the compression codec.
     */
    public static final int COMPRESSION_MASK = 0x07;

    /**
     * Attribute bit 3: timestamp type, set for log-append time.
     */
    public static final int TIMESTAMP_TYPE_MASK = 0x08;

    /**
     * Attribute bit 4: the batch is part of a transaction.
     */
    public static final int TRANSACTIONAL_MASK = 0x10;

    /**
     * Attribute bit 5: the batch holds control records (transaction markers).
     */
    public static final int CONTROL_MASK = 0x20;

    /**
     * Every attribute bit this version defines; any other bit set is rejected by the validator.
     */
    public static final int KNOWN_ATTRIBUTES_MASK = COMPRESSION_MASK | TIMESTAMP_TYPE_MASK | TRANSACTIONAL_MASK |
        CONTROL_MASK;

    /**
     * Timestamp type: record timestamps were set by the producer.
     */
    public static final int TIMESTAMP_TYPE_CREATE_TIME = 0;

    /**
     * Timestamp type: the broker stamped the batch with its append time in {@code maxTimestamp}.
     */
    public static final int TIMESTAMP_TYPE_LOG_APPEND_TIME = 1;

    /**
     * Producer id of a batch written by a non-idempotent producer.
     */
    public static final long NO_PRODUCER_ID = -1L;

    /**
     * Producer epoch of a batch written by a non-idempotent producer.
     */
    public static final short NO_PRODUCER_EPOCH = -1;

    /**
     * Base sequence of a batch written by a non-idempotent producer.
     */
    public static final int NO_SEQUENCE = -1;

    /**
     * Partition leader epoch written by the builder, before a broker assigns one.
     */
    public static final int NO_PARTITION_LEADER_EPOCH = -1;

    /**
     * Length value meaning a null key, value or header value.
     */
    public static final int NULL_LENGTH = -1;

    /**
     * Length of the {@code uncompressedLength} int32 that starts the records section of a compressed batch.
     */
    public static final int UNCOMPRESSED_LENGTH_FIELD_LENGTH = 4;

    /**
     * Offset of {@code recordLength} (int32) within a record.
     */
    public static final int RECORD_LENGTH_OFFSET = 0;

    /**
     * Offset of {@code offsetDelta} (int32) within a record.
     */
    public static final int RECORD_OFFSET_DELTA_OFFSET = 4;

    /**
     * Offset of {@code timestampDelta} (int64, ms) within a record.
     */
    public static final int RECORD_TIMESTAMP_DELTA_OFFSET = 8;

    /**
     * Offset of {@code keyLength} (int32) within a record.
     */
    public static final int RECORD_KEY_LENGTH_OFFSET = 16;

    /**
     * Bytes of a record with a null key, a null value and no headers: the fixed fields only.
     */
    public static final int RECORD_OVERHEAD = 4 + 4 + 8 + 4 + 4 + 4;

    /**
     * Bytes of a record header with an empty key and a null value: its two length fields.
     */
    public static final int RECORD_HEADER_OVERHEAD = 4 + 4;

    /**
     * Default cap on the uncompressed records section of a compressed batch, 16 MiB.
     */
    public static final int MAX_UNCOMPRESSED_LENGTH_DEFAULT = 16 * 1024 * 1024;

    private static final int CRC32C_POLYNOMIAL_REFLECTED = 0x82F63B78;
    private static final int[] CRC32C_TABLE = new int[8 * 256];
    private static final MethodHandle CRC32C_UPDATE_BYTES;
    private static final MethodHandle CRC32C_UPDATE_DIRECT;

    static
    {
        for (int i = 0; i < 256; i++)
        {
            int crc = i;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ CRC32C_POLYNOMIAL_REFLECTED : crc >>> 1;
            }
            CRC32C_TABLE[i] = crc;
        }

        for (int i = 0; i < 256; i++)
        {
            for (int slice = 1; slice < 8; slice++)
            {
                final int previous = CRC32C_TABLE[(slice - 1) * 256 + i];
                CRC32C_TABLE[slice * 256 + i] = (previous >>> 8) ^ CRC32C_TABLE[previous & 0xFF];
            }
        }

        // The JDK's CRC32C keeps its running value in an instance, so a static, allocation-free helper cannot
        // use the public API without a per-call or per-thread instance. Its private static kernels are the
        // HotSpot intrinsics (SSE4.2/AVX/ARMv8 CRC instructions) and are stateless, so we bind them once, as
        // Agrona's Crc32c does for the direct kernel. This needs --add-opens java.base/java.util.zip, which
        // the surefire config and bin/spindle pass; without it we fall back to a portable slicing-by-8 table.
        MethodHandle updateBytes = null;
        MethodHandle updateDirect = null;
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(CRC32C.class, MethodHandles.lookup());
            updateBytes = lookup.findStatic(
                CRC32C.class,
                "updateBytes",
                MethodType.methodType(int.class, int.class, byte[].class, int.class, int.class));
            updateDirect = lookup.findStatic(
                CRC32C.class,
                "updateDirectByteBuffer",
                MethodType.methodType(int.class, int.class, long.class, int.class, int.class));
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            updateBytes = null;
            updateDirect = null;
        }

        CRC32C_UPDATE_BYTES = updateBytes;
        CRC32C_UPDATE_DIRECT = updateDirect;
    }

    private RecordBatch()
    {
    }

    /**
     * Compute the CRC32C of a batch, over bytes {@code [CRC_START_OFFSET, batchLength)} from its start.
     *
     * @param buffer      containing the batch.
     * @param batchOffset index of the batch's first byte in the buffer.
     * @param batchLength total length of the batch in bytes, at least {@link #CRC_START_OFFSET}.
     * @return the CRC32C as the 32 bits of an int; mask with {@code 0xFFFF_FFFFL} for the unsigned value.
     * @throws IndexOutOfBoundsException if the range is not inside the buffer.
     */
    public static int crc32c(final DirectBuffer buffer, final int batchOffset, final int batchLength)
    {
        if (batchLength < CRC_START_OFFSET)
        {
            throw new IndexOutOfBoundsException("batchLength=" + batchLength + " < " + CRC_START_OFFSET);
        }

        return crc32cRange(buffer, batchOffset + CRC_START_OFFSET, batchLength - CRC_START_OFFSET);
    }

    /**
     * Compute the CRC32C of an arbitrary byte range of a buffer, without allocating.
     *
     * @param buffer containing the bytes.
     * @param index  of the first byte.
     * @param length number of bytes.
     * @return the CRC32C as the 32 bits of an int.
     * @throws IndexOutOfBoundsException if the range is not inside the buffer.
     */
    public static int crc32cRange(final DirectBuffer buffer, final int index, final int length)
    {
        // Checked explicitly, not via the buffer's optional bounds checks: the intrinsics read raw memory.
        if (index < 0 || length < 0 || (long)index + length > buffer.capacity())
        {
            throw new IndexOutOfBoundsException(
                "index=" + index + " length=" + length + " capacity=" + buffer.capacity());
        }

        try
        {
            final byte[] array = buffer.byteArray();
            if (null != array)
            {
                if (null != CRC32C_UPDATE_BYTES)
                {
                    final int arrayIndex = (int)(buffer.addressOffset() - BufferUtil.ARRAY_BASE_OFFSET) + index;
                    return ~(int)CRC32C_UPDATE_BYTES.invokeExact(-1, array, arrayIndex, arrayIndex + length);
                }
            }
            else if (null != CRC32C_UPDATE_DIRECT)
            {
                return ~(int)CRC32C_UPDATE_DIRECT.invokeExact(-1, buffer.addressOffset(), index, index + length);
            }
        }
        catch (final Throwable ex)
        {
            LangUtil.rethrowUnchecked(ex);
        }

        return crc32cPortable(buffer, index, length);
    }

    /**
     * Portable slicing-by-8 CRC32C, used when the JDK kernels are not accessible; package-private for tests.
     *
     * @param buffer containing the bytes.
     * @param index  of the first byte.
     * @param length number of bytes.
     * @return the CRC32C as the 32 bits of an int.
     */
    static int crc32cPortable(final DirectBuffer buffer, final int index, final int length)
    {
        final int[] table = CRC32C_TABLE;
        final int end = index + length;
        int crc = -1;
        int i = index;

        while (end - i >= 8)
        {
            final long word = buffer.getLong(i, ByteOrder.LITTLE_ENDIAN);
            final int low = crc ^ (int)word;
            final int high = (int)(word >>> 32);
            crc = table[7 * 256 + (low & 0xFF)] ^
                table[6 * 256 + ((low >>> 8) & 0xFF)] ^
                table[5 * 256 + ((low >>> 16) & 0xFF)] ^
                table[4 * 256 + (low >>> 24)] ^
                table[3 * 256 + (high & 0xFF)] ^
                table[2 * 256 + ((high >>> 8) & 0xFF)] ^
                table[256 + ((high >>> 16) & 0xFF)] ^
                table[high >>> 24];
            i += 8;
        }

        while (i < end)
        {
            crc = (crc >>> 8) ^ table[(crc ^ buffer.getByte(i)) & 0xFF];
            i++;
        }

        return ~crc;
    }

    /**
     * Whether the JDK's intrinsic CRC32C kernels are in use rather than the portable fallback.
     *
     * @return true if {@code --add-opens java.base/java.util.zip=ALL-UNNAMED} let us bind the JDK kernels.
     */
    public static boolean isIntrinsicCrc32c()
    {
        return null != CRC32C_UPDATE_BYTES;
    }

    /**
     * Whether a compression codec id is one this version reads and writes.
     *
     * @param codec compression codec id from the attributes.
     * @return true for {@link #COMPRESSION_NONE}, {@link #COMPRESSION_LZ4} and {@link #COMPRESSION_ZSTD}.
     */
    public static boolean isSupportedCompression(final int codec)
    {
        return COMPRESSION_NONE == codec || COMPRESSION_LZ4 == codec || COMPRESSION_ZSTD == codec;
    }
}
