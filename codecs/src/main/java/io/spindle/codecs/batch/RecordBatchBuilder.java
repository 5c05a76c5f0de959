/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.spindle.codecs.batch.RecordBatch.ATTRIBUTES_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_OFFSET_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_SEQUENCE_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_TIMESTAMP_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BATCH_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BYTE_ORDER;
import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_NONE;
import static io.spindle.codecs.batch.RecordBatch.CONTROL_MASK;
import static io.spindle.codecs.batch.RecordBatch.CRC_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.HEADER_LENGTH;
import static io.spindle.codecs.batch.RecordBatch.LAST_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAGIC;
import static io.spindle.codecs.batch.RecordBatch.MAGIC_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAX_TIMESTAMP_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAX_UNCOMPRESSED_LENGTH_DEFAULT;
import static io.spindle.codecs.batch.RecordBatch.NO_PARTITION_LEADER_EPOCH;
import static io.spindle.codecs.batch.RecordBatch.NO_PRODUCER_EPOCH;
import static io.spindle.codecs.batch.RecordBatch.NO_PRODUCER_ID;
import static io.spindle.codecs.batch.RecordBatch.NO_SEQUENCE;
import static io.spindle.codecs.batch.RecordBatch.NULL_LENGTH;
import static io.spindle.codecs.batch.RecordBatch.PARTITION_LEADER_EPOCH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.PRODUCER_EPOCH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.PRODUCER_ID_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_COUNT_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_KEY_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_OVERHEAD;
import static io.spindle.codecs.batch.RecordBatch.RECORD_TIMESTAMP_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RESERVED_BYTE_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RESERVED_SHORT_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.TRANSACTIONAL_MASK;
import static io.spindle.codecs.batch.RecordBatch.UNCOMPRESSED_LENGTH_FIELD_LENGTH;

/**
 * Builds one record batch into a region of a {@link MutableDirectBuffer}.
 * <p>
 * {@link #wrap(MutableDirectBuffer, int, int)} a region, set the batch options, {@link #append} records until one
 * does not fit, then {@link #build()}. Uncompressed records are written straight into the region. With compression,
 * records collect in an owned scratch buffer and {@code build()} compresses them into the region; {@code append}
 * only accepts a record if the worst-case compressed size still fits, so {@code build()} can never run out of room,
 * at the price of refusing a record that would have fitted after compression. The builder writes baseOffset 0 and
 * partitionLeaderEpoch -1 for the broker to set, create-time timestamps, and the CRC last.
 * <p>
 * Appending from buffers does not allocate; scratch buffers grow to the largest batch seen. Not thread-safe.
 * {@link #close()} releases native zstd state once zstd has been used.
 */
public final class RecordBatchBuilder implements AutoCloseable
{
    private static final byte[] EMPTY = new byte[0];

    private final BatchCompression compression = new BatchCompression();
    private final ExpandableArrayBuffer uncompressed = new ExpandableArrayBuffer(1024);
    private final UnsafeBuffer keyWrapper = new UnsafeBuffer(EMPTY);
    private final UnsafeBuffer valueWrapper = new UnsafeBuffer(EMPTY);
    private final int maxUncompressedLength;

    private MutableDirectBuffer buffer;
    private int offset;
    private int capacity;
    private int codec;
    private boolean isTransactional;
    private boolean isControl;
    private long producerId;
    private short producerEpoch;
    private int baseSequence;
    private int recordCount;
    private int recordsLength;
    private long baseTimestamp;
    private long maxTimestamp;
    private int batchLength;

    /**
     * Create a builder whose compressed batches hold at most
     * {@link RecordBatch#MAX_UNCOMPRESSED_LENGTH_DEFAULT} uncompressed bytes of records.
     */
    public RecordBatchBuilder()
    {
        this(MAX_UNCOMPRESSED_LENGTH_DEFAULT);
    }

    /**
     * Create a builder with a cap on the uncompressed records of a compressed batch, to match the validators'.
     *
     * @param maxUncompressedLength largest uncompressed records section of a compressed batch, in bytes.
     */
    public RecordBatchBuilder(final int maxUncompressedLength)
    {
        if (maxUncompressedLength < 0)
        {
            throw new IllegalArgumentException("maxUncompressedLength=" + maxUncompressedLength);
        }

        this.maxUncompressedLength = maxUncompressedLength;
    }

    /**
     * Start a new batch in a region of a buffer, resetting every option to its default.
     *
     * @param buffer   to build the batch in.
     * @param offset   index of the batch's first byte.
     * @param capacity bytes available from {@code offset}.
     * @return this for a fluent API.
     */
    public RecordBatchBuilder wrap(final MutableDirectBuffer buffer, final int offset, final int capacity)
    {
        if (offset < 0 || capacity < 0 ||
            (!buffer.isExpandable() && (long)offset + capacity > buffer.capacity()))
        {
            throw new IndexOutOfBoundsException(
                "offset=" + offset + " capacity=" + capacity + " buffer.capacity=" + buffer.capacity());
        }

        this.buffer = buffer;
        this.offset = offset;
        this.capacity = capacity;
        codec = COMPRESSION_NONE;
        isTransactional = false;
        isControl = false;
        producerId = NO_PRODUCER_ID;
        producerEpoch = NO_PRODUCER_EPOCH;
        baseSequence = NO_SEQUENCE;
        recordCount = 0;
        recordsLength = 0;
        baseTimestamp = 0;
        maxTimestamp = 0;
        batchLength = 0;

        return this;
    }

    /**
     * Set the idempotent producer identity of the batch; the default is none (-1, -1, -1).
     *
     * @param producerId    id assigned to the producer, or {@link RecordBatch#NO_PRODUCER_ID} with the other two -1.
     * @param producerEpoch epoch of the producer id, at least 0 when there is a producer id.
     * @param baseSequence  sequence number of the batch's first record, or {@link RecordBatch#NO_SEQUENCE}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException for a combination the validator would reject.
     */
    public RecordBatchBuilder producer(final long producerId, final short producerEpoch, final int baseSequence)
    {
        final boolean isValid = NO_PRODUCER_ID == producerId ?
            NO_PRODUCER_EPOCH == producerEpoch && NO_SEQUENCE == baseSequence :
            producerId >= 0 && producerEpoch >= 0 && baseSequence >= NO_SEQUENCE;
        if (!isValid)
        {
            throw new IllegalArgumentException(
                "producerId=" + producerId + " producerEpoch=" + producerEpoch + " baseSequence=" + baseSequence);
        }

        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.baseSequence = baseSequence;
        return this;
    }

    /**
     * Set the compression codec; must be called before the first append. The default is none.
     *
     * @param codec {@link RecordBatch#COMPRESSION_NONE}, {@link RecordBatch#COMPRESSION_LZ4} or
     *              {@link RecordBatch#COMPRESSION_ZSTD}.
     * @return this for a fluent API.
     */
    public RecordBatchBuilder compression(final int codec)
    {
        if (!RecordBatch.isSupportedCompression(codec))
        {
            throw new IllegalArgumentException("unknown compression codec: " + codec);
        }

        if (0 != recordCount)
        {
            throw new IllegalStateException("compression must be set before the first append");
        }

        this.codec = codec;
        return this;
    }

    /**
     * Mark the batch as part of a transaction; needs a producer id. The default is false.
     *
     * @param isTransactional true for a transactional batch.
     * @return this for a fluent API.
     */
    public RecordBatchBuilder transactional(final boolean isTransactional)
    {
        this.isTransactional = isTransactional;
        return this;
    }

    /**
     * Mark the batch as holding control records (transaction markers); needs a producer id. The default is false.
     *
     * @param isControl true for a control batch.
     * @return this for a fluent API.
     */
    public RecordBatchBuilder control(final boolean isControl)
    {
        this.isControl = isControl;
        return this;
    }

    /**
     * Append a record without headers if it fits.
     *
     * @param timestampMs record timestamp in ms.
     * @param key         holding the key bytes; may be null when {@code keyLength} is -1.
     * @param keyOffset   index of the key in its buffer.
     * @param keyLength   length of the key, or {@link RecordBatch#NULL_LENGTH} for a null key.
     * @param value       holding the value bytes; may be null when {@code valueLength} is -1.
     * @param valueOffset index of the value in its buffer.
     * @param valueLength length of the value, or {@link RecordBatch#NULL_LENGTH} for a null value (a tombstone).
     * @return true if appended, false if the batch has no room for it.
     */
    public boolean append(
        final long timestampMs,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength)
    {
        return append(timestampMs, key, keyOffset, keyLength, value, valueOffset, valueLength, null);
    }

    /**
     * Append a record with headers if it fits.
     *
     * @param timestampMs record timestamp in ms.
     * @param key         holding the key bytes; may be null when {@code keyLength} is -1.
     * @param keyOffset   index of the key in its buffer.
     * @param keyLength   length of the key, or {@link RecordBatch#NULL_LENGTH} for a null key.
     * @param value       holding the value bytes; may be null when {@code valueLength} is -1.
     * @param valueOffset index of the value in its buffer.
     * @param valueLength length of the value, or {@link RecordBatch#NULL_LENGTH} for a null value (a tombstone).
     * @param headers     of the record, or null for none.
     * @return true if appended, false if the batch has no room for it.
     */
    public boolean append(
        final long timestampMs,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final RecordHeaders headers)
    {
        if (null == buffer || 0 != batchLength)
        {
            throw new IllegalStateException("wrap a region before appending, and do not append after build");
        }

        if (keyLength < NULL_LENGTH || valueLength < NULL_LENGTH)
        {
            throw new IllegalArgumentException("keyLength=" + keyLength + " valueLength=" + valueLength);
        }

        final int headersLength = null == headers ? 0 : headers.encodedLength();
        final long recordLength = (long)RECORD_OVERHEAD + Math.max(0, keyLength) + Math.max(0, valueLength) +
            headersLength;
        if (!fits(recordsLength + recordLength))
        {
            return false;
        }

        final MutableDirectBuffer dst;
        final int position;
        if (COMPRESSION_NONE == codec)
        {
            dst = buffer;
            position = offset + HEADER_LENGTH + recordsLength;
        }
        else
        {
            dst = uncompressed;
            position = recordsLength;
        }

        if (0 == recordCount)
        {
            baseTimestamp = timestampMs;
            maxTimestamp = timestampMs;
        }
        else
        {
            maxTimestamp = Math.max(maxTimestamp, timestampMs);
        }

        dst.putInt(position, (int)recordLength, BYTE_ORDER);
        dst.putInt(position + RECORD_OFFSET_DELTA_OFFSET, recordCount, BYTE_ORDER);
        dst.putLong(position + RECORD_TIMESTAMP_DELTA_OFFSET, timestampMs - baseTimestamp, BYTE_ORDER);

        int cursor = position + RECORD_KEY_LENGTH_OFFSET;
        dst.putInt(cursor, keyLength, BYTE_ORDER);
        cursor += 4;
        if (keyLength > 0)
        {
            dst.putBytes(cursor, key, keyOffset, keyLength);
            cursor += keyLength;
        }

        dst.putInt(cursor, valueLength, BYTE_ORDER);
        cursor += 4;
        if (valueLength > 0)
        {
            dst.putBytes(cursor, value, valueOffset, valueLength);
            cursor += valueLength;
        }

        dst.putInt(cursor, null == headers ? 0 : headers.count(), BYTE_ORDER);
        cursor += 4;
        if (headersLength > 0)
        {
            dst.putBytes(cursor, headers.buffer(), 0, headersLength);
        }

        recordsLength += (int)recordLength;
        recordCount++;

        return true;
    }

    /**
     * Append a record from byte arrays if it fits; null arrays are null key or value.
     *
     * @param timestampMs record timestamp in ms.
     * @param key         key bytes, or null.
     * @param value       value bytes, or null for a tombstone.
     * @return true if appended, false if the batch has no room for it.
     */
    public boolean append(final long timestampMs, final byte[] key, final byte[] value)
    {
        return append(timestampMs, key, value, null);
    }

    /**
     * Append a record with headers from byte arrays if it fits; null arrays are null key or value.
     *
     * @param timestampMs record timestamp in ms.
     * @param key         key bytes, or null.
     * @param value       value bytes, or null for a tombstone.
     * @param headers     of the record, or null for none.
     * @return true if appended, false if the batch has no room for it.
     */
    public boolean append(final long timestampMs, final byte[] key, final byte[] value, final RecordHeaders headers)
    {
        keyWrapper.wrap(null == key ? EMPTY : key);
        valueWrapper.wrap(null == value ? EMPTY : value);

        return append(
            timestampMs,
            keyWrapper,
            0,
            null == key ? NULL_LENGTH : key.length,
            valueWrapper,
            0,
            null == value ? NULL_LENGTH : value.length,
            headers);
    }

    /**
     * Number of records appended so far.
     *
     * @return the record count.
     */
    public int recordCount()
    {
        return recordCount;
    }

    /**
     * Size of the batch: exact after {@link #build()}, before it the uncompressed size.
     *
     * @return the batch length in bytes, or the uncompressed size so far if not yet built.
     */
    public int sizeInBytes()
    {
        if (0 != batchLength)
        {
            return batchLength;
        }

        return HEADER_LENGTH + (COMPRESSION_NONE == codec ? 0 : UNCOMPRESSED_LENGTH_FIELD_LENGTH) + recordsLength;
    }

    /**
     * Finish the batch: compress the records if set, write the header and the CRC; idempotent once built.
     *
     * @return the batch length in bytes.
     * @throws IllegalStateException if no record was appended, or the batch is transactional or control without a
     *                               producer id.
     */
    public int build()
    {
        if (0 != batchLength)
        {
            return batchLength;
        }

        if (null == buffer || 0 == recordCount)
        {
            throw new IllegalStateException("a batch needs at least one record");
        }

        if ((isTransactional || isControl) && NO_PRODUCER_ID == producerId)
        {
            throw new IllegalStateException("transactional and control batches need a producer id");
        }

        final MutableDirectBuffer buffer = this.buffer;
        final int offset = this.offset;
        final int length;
        if (COMPRESSION_NONE == codec)
        {
            length = HEADER_LENGTH + recordsLength;
        }
        else
        {
            final int compressedLength = compression.compress(codec, uncompressed.byteArray(), 0, recordsLength);
            buffer.putInt(offset + HEADER_LENGTH, recordsLength, BYTE_ORDER);
            buffer.putBytes(
                offset + HEADER_LENGTH + UNCOMPRESSED_LENGTH_FIELD_LENGTH,
                compression.compressed(),
                0,
                compressedLength);
            length = HEADER_LENGTH + UNCOMPRESSED_LENGTH_FIELD_LENGTH + compressedLength;
        }

        int attributes = codec;
        if (isTransactional)
        {
            attributes |= TRANSACTIONAL_MASK;
        }
        if (isControl)
        {
            attributes |= CONTROL_MASK;
        }

        buffer.putLong(offset + BASE_OFFSET_OFFSET, 0L, BYTE_ORDER);
        buffer.putInt(offset + BATCH_LENGTH_OFFSET, length, BYTE_ORDER);
        buffer.putInt(offset + PARTITION_LEADER_EPOCH_OFFSET, NO_PARTITION_LEADER_EPOCH, BYTE_ORDER);
        buffer.putByte(offset + MAGIC_OFFSET, MAGIC);
        buffer.putByte(offset + RESERVED_BYTE_OFFSET, (byte)0);
        buffer.putShort(offset + ATTRIBUTES_OFFSET, (short)attributes, BYTE_ORDER);
        buffer.putInt(offset + LAST_OFFSET_DELTA_OFFSET, recordCount - 1, BYTE_ORDER);
        buffer.putInt(offset + RECORD_COUNT_OFFSET, recordCount, BYTE_ORDER);
        buffer.putLong(offset + BASE_TIMESTAMP_OFFSET, baseTimestamp, BYTE_ORDER);
        buffer.putLong(offset + MAX_TIMESTAMP_OFFSET, maxTimestamp, BYTE_ORDER);
        buffer.putLong(offset + PRODUCER_ID_OFFSET, producerId, BYTE_ORDER);
        buffer.putShort(offset + PRODUCER_EPOCH_OFFSET, producerEpoch, BYTE_ORDER);
        buffer.putShort(offset + RESERVED_SHORT_OFFSET, (short)0, BYTE_ORDER);
        buffer.putInt(offset + BASE_SEQUENCE_OFFSET, baseSequence, BYTE_ORDER);
        buffer.putInt(offset + CRC_OFFSET, RecordBatch.crc32c(buffer, offset, length), BYTE_ORDER);

        batchLength = length;
        return length;
    }

    /**
     * Release the native zstd compression context, if one was created.
     */
    public void close()
    {
        compression.close();
    }

    /**
     * The capacity a region needs for records of a total length to fit, with the worst case of compression: what
     * {@code append} checks, so a caller can size regions up front.
     *
     * @param codec         the compression codec.
     * @param recordsLength total length of the records, each with its own fields, in bytes.
     * @return the capacity in bytes.
     */
    public static long capacityFor(final int codec, final long recordsLength)
    {
        if (COMPRESSION_NONE == codec)
        {
            return HEADER_LENGTH + recordsLength;
        }

        return HEADER_LENGTH + UNCOMPRESSED_LENGTH_FIELD_LENGTH +
            BatchCompression.maxCompressedLength(codec, (int)Math.min(Integer.MAX_VALUE, recordsLength));
    }

    private boolean fits(final long newRecordsLength)
    {
        if (COMPRESSION_NONE == codec)
        {
            return HEADER_LENGTH + newRecordsLength <= capacity;
        }

        return newRecordsLength <= maxUncompressedLength &&
            HEADER_LENGTH + UNCOMPRESSED_LENGTH_FIELD_LENGTH +
            BatchCompression.maxCompressedLength(codec, (int)newRecordsLength) <= capacity;
    }
}
