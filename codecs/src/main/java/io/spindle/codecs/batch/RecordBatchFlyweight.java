/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.spindle.codecs.batch.RecordBatch.ATTRIBUTES_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_OFFSET_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_SEQUENCE_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_TIMESTAMP_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BATCH_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BYTE_ORDER;
import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_MASK;
import static io.spindle.codecs.batch.RecordBatch.CONTROL_MASK;
import static io.spindle.codecs.batch.RecordBatch.CRC_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.HEADER_LENGTH;
import static io.spindle.codecs.batch.RecordBatch.LAST_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAGIC_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAX_TIMESTAMP_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.PARTITION_LEADER_EPOCH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.PRODUCER_EPOCH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.PRODUCER_ID_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_COUNT_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.TIMESTAMP_TYPE_CREATE_TIME;
import static io.spindle.codecs.batch.RecordBatch.TIMESTAMP_TYPE_LOG_APPEND_TIME;
import static io.spindle.codecs.batch.RecordBatch.TIMESTAMP_TYPE_MASK;
import static io.spindle.codecs.batch.RecordBatch.TRANSACTIONAL_MASK;

/**
 * Flyweight over one record batch in a {@link DirectBuffer}: reads the header and, statically, writes the fields a
 * broker sets in place.
 * <p>
 * All fields are little-endian. A batch is a 64-byte header followed by the records section:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   baseOffset (int64)                          |  0  set by the broker, not in the CRC
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   batchLength (int32)                         |  8  whole batch including this header
 *  +---------------------------------------------------------------+
 *  |                   partitionLeaderEpoch (int32)                | 12  set by the broker, not in the CRC
 *  +---------------------------------------------------------------+
 *  |                   crc (uint32)                                | 16  CRC32C over bytes [20, batchLength)
 *  +---------------+---------------+-------------------------------+
 *  |  magic (int8) | reserved = 0  |   attributes (int16)          | 20  magic = 2
 *  +---------------+---------------+-------------------------------+
 *  |                   lastOffsetDelta (int32)                     | 24  recordCount - 1
 *  +---------------------------------------------------------------+
 *  |                   recordCount (int32)                         | 28  at least 1
 *  +---------------------------------------------------------------+
 *  |                   baseTimestamp (int64, ms)                   | 32  first record's timestamp
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   maxTimestamp (int64, ms)                    | 40  largest record timestamp, or append time
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   producerId (int64)                          | 48  -1 none
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |   producerEpoch (int16)       |   reserved = 0 (int16)        | 56  -1 none
 *  +-------------------------------+-------------------------------+
 *  |                   baseSequence (int32)                        | 60  -1 none
 *  +---------------------------------------------------------------+
 *  |                   records section ...                        ...  64
 *  +---------------------------------------------------------------+
 *
 *  attributes: bits 0-2 compression (0 none, 3 lz4, 4 zstd), bit 3 timestamp type (0 create, 1 log-append),
 *              bit 4 transactional, bit 5 control, bits 6-15 zero.
 * </pre>
 * Uncompressed, the records section is the records back to back. Compressed, it is an int32 uncompressedLength
 * followed by the LZ4 block or zstd frame of the uncompressed records section; the CRC covers the stored bytes.
 * A record is:
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                   recordLength (int32)                        |  0  bytes of this record including this field
 *  +---------------------------------------------------------------+
 *  |                   offsetDelta (int32)                         |  4  0..recordCount-1 in order
 *  +---------------------------------------------------------------+
 *  |                   timestampDelta (int64, ms)                  |  8  from baseTimestamp
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                   keyLength (int32)                           | 16  -1 null key
 *  +---------------------------------------------------------------+
 *  |                   key bytes ...                              ...
 *  +---------------------------------------------------------------+
 *  |                   valueLength (int32)                         |     -1 null value (tombstone)
 *  +---------------------------------------------------------------+
 *  |                   value bytes ...                            ...
 *  +---------------------------------------------------------------+
 *  |                   headerCount (int32)                         |
 *  +---------------------------------------------------------------+
 *  |  headerCount times: keyLength (int32, >= 0), UTF-8 key bytes, ...
 *  |                     valueLength (int32, -1 null), value bytes ...
 *  +---------------------------------------------------------------+
 * </pre>
 * The accessors trust the batch: use them on a batch {@link RecordBatchValidator} accepted, or expect
 * {@link IndexOutOfBoundsException} from the buffer. {@link #isCrcValid()} is safe on any bytes. The broker-side
 * writers ({@link #baseOffset(MutableDirectBuffer, int, long)} and friends) are static so the read flyweight can
 * wrap a read-only {@link DirectBuffer}. Not thread-safe; reuse one instance per thread.
 */
public final class RecordBatchFlyweight
{
    private DirectBuffer buffer;
    private int offset;

    /**
     * Wrap the batch that starts at an index of a buffer.
     *
     * @param buffer containing the batch.
     * @param offset index of the batch's first byte.
     * @return this for a fluent API.
     */
    public RecordBatchFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * The buffer this flyweight wraps.
     *
     * @return the wrapped buffer.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Index of the batch's first byte in the wrapped buffer.
     *
     * @return the batch's index in the buffer.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * Offset of the batch's first record, assigned by the broker.
     *
     * @return the base offset.
     */
    public long baseOffset()
    {
        return buffer.getLong(offset + BASE_OFFSET_OFFSET, BYTE_ORDER);
    }

    /**
     * Total length of the batch in bytes, header included.
     *
     * @return the batch length in bytes.
     */
    public int batchLength()
    {
        return buffer.getInt(offset + BATCH_LENGTH_OFFSET, BYTE_ORDER);
    }

    /**
     * Leader epoch of the partition when the broker appended the batch.
     *
     * @return the partition leader epoch, -1 before a broker sets it.
     */
    public int partitionLeaderEpoch()
    {
        return buffer.getInt(offset + PARTITION_LEADER_EPOCH_OFFSET, BYTE_ORDER);
    }

    /**
     * Stored CRC32C over bytes {@code [20, batchLength)}.
     *
     * @return the stored CRC as an unsigned 32-bit value.
     */
    public long crc()
    {
        return buffer.getInt(offset + CRC_OFFSET, BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    /**
     * Format version of the batch.
     *
     * @return the magic byte, {@link RecordBatch#MAGIC} for a supported batch.
     */
    public byte magic()
    {
        return buffer.getByte(offset + MAGIC_OFFSET);
    }

    /**
     * Attribute bits: compression, timestamp type, transactional and control.
     *
     * @return the attributes as a short.
     */
    public short attributes()
    {
        return buffer.getShort(offset + ATTRIBUTES_OFFSET, BYTE_ORDER);
    }

    /**
     * Compression codec id of the records section.
     *
     * @return one of the {@code RecordBatch.COMPRESSION_*} ids for a supported batch.
     */
    public int compression()
    {
        return attributes() & COMPRESSION_MASK;
    }

    /**
     * Timestamp type of the batch.
     *
     * @return {@link RecordBatch#TIMESTAMP_TYPE_CREATE_TIME} or {@link RecordBatch#TIMESTAMP_TYPE_LOG_APPEND_TIME}.
     */
    public int timestampType()
    {
        return (attributes() & TIMESTAMP_TYPE_MASK) != 0 ? TIMESTAMP_TYPE_LOG_APPEND_TIME : TIMESTAMP_TYPE_CREATE_TIME;
    }

    /**
     * Whether the broker stamped the batch with its append time, which then replaces every record's timestamp.
     *
     * @return true for log-append time.
     */
    public boolean isLogAppendTime()
    {
        return (attributes() & TIMESTAMP_TYPE_MASK) != 0;
    }

    /**
     * Whether the batch is part of a transaction.
     *
     * @return true if the transactional bit is set.
     */
    public boolean isTransactional()
    {
        return (attributes() & TRANSACTIONAL_MASK) != 0;
    }

    /**
     * Whether the batch holds control records (transaction markers).
     *
     * @return true if the control bit is set.
     */
    public boolean isControl()
    {
        return (attributes() & CONTROL_MASK) != 0;
    }

    /**
     * Offset delta of the batch's last record.
     *
     * @return the last offset delta, recordCount - 1 for a valid batch.
     */
    public int lastOffsetDelta()
    {
        return buffer.getInt(offset + LAST_OFFSET_DELTA_OFFSET, BYTE_ORDER);
    }

    /**
     * Offset of the batch's last record.
     *
     * @return baseOffset + lastOffsetDelta.
     */
    public long lastOffset()
    {
        return baseOffset() + lastOffsetDelta();
    }

    /**
     * Offset the record after this batch will get.
     *
     * @return lastOffset + 1.
     */
    public long nextOffset()
    {
        return lastOffset() + 1;
    }

    /**
     * Number of records in the batch.
     *
     * @return the record count.
     */
    public int recordCount()
    {
        return buffer.getInt(offset + RECORD_COUNT_OFFSET, BYTE_ORDER);
    }

    /**
     * Timestamp the record timestamp deltas are relative to.
     *
     * @return the base timestamp in ms.
     */
    public long baseTimestamp()
    {
        return buffer.getLong(offset + BASE_TIMESTAMP_OFFSET, BYTE_ORDER);
    }

    /**
     * Largest record timestamp, or the broker's append time for log-append-time batches.
     *
     * @return the max timestamp in ms.
     */
    public long maxTimestamp()
    {
        return buffer.getLong(offset + MAX_TIMESTAMP_OFFSET, BYTE_ORDER);
    }

    /**
     * Id of the idempotent or transactional producer that wrote the batch.
     *
     * @return the producer id, {@link RecordBatch#NO_PRODUCER_ID} for none.
     */
    public long producerId()
    {
        return buffer.getLong(offset + PRODUCER_ID_OFFSET, BYTE_ORDER);
    }

    /**
     * Epoch of the producer that wrote the batch.
     *
     * @return the producer epoch, {@link RecordBatch#NO_PRODUCER_EPOCH} for none.
     */
    public short producerEpoch()
    {
        return buffer.getShort(offset + PRODUCER_EPOCH_OFFSET, BYTE_ORDER);
    }

    /**
     * Producer sequence number of the batch's first record.
     *
     * @return the base sequence, {@link RecordBatch#NO_SEQUENCE} for none.
     */
    public int baseSequence()
    {
        return buffer.getInt(offset + BASE_SEQUENCE_OFFSET, BYTE_ORDER);
    }

    /**
     * Producer sequence number of the batch's last record, wrapping at {@link Integer#MAX_VALUE} as Kafka does.
     *
     * @return the last sequence, {@link RecordBatch#NO_SEQUENCE} when the batch has no base sequence.
     */
    public int lastSequence()
    {
        final int baseSequence = baseSequence();
        if (RecordBatch.NO_SEQUENCE == baseSequence)
        {
            return RecordBatch.NO_SEQUENCE;
        }

        final long last = (long)baseSequence + lastOffsetDelta();
        return (int)(last > Integer.MAX_VALUE ? last - Integer.MAX_VALUE - 1 : last);
    }

    /**
     * Index in the wrapped buffer of the records section.
     *
     * @return offset + {@link RecordBatch#HEADER_LENGTH}.
     */
    public int recordsOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /**
     * Length of the records section as stored, compressed or not.
     *
     * @return batchLength - {@link RecordBatch#HEADER_LENGTH}.
     */
    public int recordsLength()
    {
        return batchLength() - HEADER_LENGTH;
    }

    /**
     * Compute the CRC32C of the wrapped batch as its header's batchLength delimits it.
     *
     * @return the computed CRC as an unsigned 32-bit value.
     * @throws IndexOutOfBoundsException if batchLength is too small or runs past the buffer.
     */
    public long computeCrc()
    {
        return RecordBatch.crc32c(buffer, offset, batchLength()) & 0xFFFF_FFFFL;
    }

    /**
     * Whether the stored CRC matches the bytes; false, not an exception, when batchLength is out of range.
     *
     * @return true if the batch length is within the buffer and the CRC matches.
     */
    public boolean isCrcValid()
    {
        final int capacity = buffer.capacity();
        if (offset < 0 || (long)offset + HEADER_LENGTH > capacity)
        {
            return false;
        }

        final int batchLength = batchLength();
        if (batchLength < HEADER_LENGTH || (long)offset + batchLength > capacity)
        {
            return false;
        }

        return computeCrc() == crc();
    }

    /**
     * Write the base offset of a batch in place, as the broker does on append; the CRC does not cover it.
     *
     * @param buffer      containing the batch.
     * @param batchOffset index of the batch's first byte.
     * @param baseOffset  to write.
     */
    public static void baseOffset(final MutableDirectBuffer buffer, final int batchOffset, final long baseOffset)
    {
        buffer.putLong(batchOffset + BASE_OFFSET_OFFSET, baseOffset, BYTE_ORDER);
    }

    /**
     * Write the partition leader epoch of a batch in place, as the broker does on append; the CRC does not cover it.
     *
     * @param buffer               containing the batch.
     * @param batchOffset          index of the batch's first byte.
     * @param partitionLeaderEpoch to write.
     */
    public static void partitionLeaderEpoch(
        final MutableDirectBuffer buffer, final int batchOffset, final int partitionLeaderEpoch)
    {
        buffer.putInt(batchOffset + PARTITION_LEADER_EPOCH_OFFSET, partitionLeaderEpoch, BYTE_ORDER);
    }

    /**
     * Mark a batch as log-append time with the broker's timestamp in maxTimestamp, then rewrite its CRC.
     *
     * @param buffer      containing the batch, whose batchLength must be valid.
     * @param batchOffset index of the batch's first byte.
     * @param timestampMs broker append time in ms.
     * @return the new CRC as an unsigned 32-bit value.
     */
    public static long logAppendTime(final MutableDirectBuffer buffer, final int batchOffset, final long timestampMs)
    {
        final int attributes = buffer.getShort(batchOffset + ATTRIBUTES_OFFSET, BYTE_ORDER) | TIMESTAMP_TYPE_MASK;
        buffer.putShort(batchOffset + ATTRIBUTES_OFFSET, (short)attributes, BYTE_ORDER);
        buffer.putLong(batchOffset + MAX_TIMESTAMP_OFFSET, timestampMs, BYTE_ORDER);
        return updateCrc(buffer, batchOffset);
    }

    /**
     * Recompute a batch's CRC32C over {@code [20, batchLength)} and store it.
     *
     * @param buffer      containing the batch, whose batchLength must be valid.
     * @param batchOffset index of the batch's first byte.
     * @return the new CRC as an unsigned 32-bit value.
     */
    public static long updateCrc(final MutableDirectBuffer buffer, final int batchOffset)
    {
        final int batchLength = buffer.getInt(batchOffset + BATCH_LENGTH_OFFSET, BYTE_ORDER);
        final int crc = RecordBatch.crc32c(buffer, batchOffset, batchLength);
        buffer.putInt(batchOffset + CRC_OFFSET, crc, BYTE_ORDER);
        return crc & 0xFFFF_FFFFL;
    }

    /**
     * Describe the header for logs and tools; allocates.
     *
     * @return the header fields as text.
     */
    public String toString()
    {
        if (null == buffer || offset < 0 || (long)offset + HEADER_LENGTH > buffer.capacity())
        {
            return "RecordBatchFlyweight{unwrapped or too short}";
        }

        return "RecordBatchFlyweight{" +
            "baseOffset=" + baseOffset() +
            ", batchLength=" + batchLength() +
            ", partitionLeaderEpoch=" + partitionLeaderEpoch() +
            ", crc=" + crc() +
            ", magic=" + magic() +
            ", attributes=0x" + Integer.toHexString(attributes() & 0xFFFF) +
            ", lastOffsetDelta=" + lastOffsetDelta() +
            ", recordCount=" + recordCount() +
            ", baseTimestamp=" + baseTimestamp() +
            ", maxTimestamp=" + maxTimestamp() +
            ", producerId=" + producerId() +
            ", producerEpoch=" + producerEpoch() +
            ", baseSequence=" + baseSequence() +
            '}';
    }
}
