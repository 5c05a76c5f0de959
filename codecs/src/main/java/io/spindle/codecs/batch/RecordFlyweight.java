/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.DirectBuffer;

import static io.spindle.codecs.batch.RecordBatch.BYTE_ORDER;
import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_NONE;
import static io.spindle.codecs.batch.RecordBatch.MAX_UNCOMPRESSED_LENGTH_DEFAULT;
import static io.spindle.codecs.batch.RecordBatch.RECORD_KEY_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_OVERHEAD;
import static io.spindle.codecs.batch.RecordBatch.RECORD_TIMESTAMP_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.UNCOMPRESSED_LENGTH_FIELD_LENGTH;

/**
 * Cursor over the records of one batch, and over the headers of the current record, without copying.
 * <p>
 * {@link #wrap(RecordBatchFlyweight)} a batch, then {@link #next()} to each record; every offset it reports is an
 * index into {@link #buffer()}, which is the batch's own buffer for an uncompressed batch and an owned, reusable
 * decompression scratch for a compressed one (valid until the next {@code wrap}). The scratch grows to the largest
 * batch seen and is the only allocation in steady state. Iterate only batches {@link RecordBatchValidator} accepted:
 * the cursor checks record lengths but not every field. Not thread-safe; {@link #close()} releases native zstd state.
 * <pre>{@code
 * batch.wrap(buffer, offset);
 * if (records.wrap(batch) == BatchError.OK)
 * {
 *     while (records.next())
 *     {
 *         handle(records.offset(), records.buffer(), records.valueOffset(), records.valueLength());
 *     }
 * }
 * }</pre>
 */
public final class RecordFlyweight implements AutoCloseable
{
    private final BatchCompression compression = new BatchCompression();
    private final int maxUncompressedLength;

    private DirectBuffer buffer;
    private long baseOffset;
    private long baseTimestamp;
    private long maxTimestamp;
    private boolean isLogAppendTime;
    private int recordCount;
    private int recordIndex;
    private int position;
    private int limit;

    private int recordOffset;
    private int recordLength;
    private int offsetDelta;
    private long timestampDelta;
    private int keyLength;
    private int keyOffset;
    private int valueLength;
    private int valueOffset;
    private int headerCount;
    private int headersOffset;

    private int headerIndex;
    private int headerPosition;
    private int headerKeyOffset;
    private int headerKeyLength;
    private int headerValueOffset;
    private int headerValueLength;

    /**
     * Create a cursor that decompresses batches of up to {@link RecordBatch#MAX_UNCOMPRESSED_LENGTH_DEFAULT} bytes.
     */
    public RecordFlyweight()
    {
        this(MAX_UNCOMPRESSED_LENGTH_DEFAULT);
    }

    /**
     * Create a cursor with a cap on the uncompressed length of a compressed batch's records.
     *
     * @param maxUncompressedLength largest uncompressed records section to decompress, in bytes.
     */
    public RecordFlyweight(final int maxUncompressedLength)
    {
        if (maxUncompressedLength < 0)
        {
            throw new IllegalArgumentException("maxUncompressedLength=" + maxUncompressedLength);
        }

        this.maxUncompressedLength = maxUncompressedLength;
    }

    /**
     * Position the cursor before the first record of a batch, decompressing its records if needed.
     *
     * @param batch wrapping a batch the validator accepted.
     * @return {@link BatchError#OK}, or why the records could not be reached, in which case {@link #next()} is false.
     */
    public BatchError wrap(final RecordBatchFlyweight batch)
    {
        buffer = null;
        recordCount = 0;
        recordIndex = 0;
        position = 0;
        limit = 0;
        headerCount = 0;
        headerIndex = 0;

        final DirectBuffer source = batch.buffer();
        final int codec = batch.compression();
        final int recordsOffset = batch.recordsOffset();
        final int recordsLength = batch.recordsLength();

        if (COMPRESSION_NONE == codec)
        {
            buffer = source;
            position = recordsOffset;
            limit = recordsOffset + recordsLength;
        }
        else if (RecordBatch.isSupportedCompression(codec))
        {
            if (recordsLength < UNCOMPRESSED_LENGTH_FIELD_LENGTH)
            {
                return BatchError.UNCOMPRESSED_LENGTH_INVALID;
            }

            final int uncompressedLength = source.getInt(recordsOffset, BYTE_ORDER);
            if (uncompressedLength < 0)
            {
                return BatchError.UNCOMPRESSED_LENGTH_INVALID;
            }

            if (uncompressedLength > maxUncompressedLength)
            {
                return BatchError.UNCOMPRESSED_LENGTH_TOO_LARGE;
            }

            if (!compression.decompress(
                codec,
                source,
                recordsOffset + UNCOMPRESSED_LENGTH_FIELD_LENGTH,
                recordsLength - UNCOMPRESSED_LENGTH_FIELD_LENGTH,
                uncompressedLength))
            {
                return BatchError.DECOMPRESSION_FAILED;
            }

            buffer = compression.decompressed();
            position = 0;
            limit = uncompressedLength;
        }
        else
        {
            return BatchError.UNKNOWN_COMPRESSION;
        }

        baseOffset = batch.baseOffset();
        baseTimestamp = batch.baseTimestamp();
        maxTimestamp = batch.maxTimestamp();
        isLogAppendTime = batch.isLogAppendTime();
        recordCount = batch.recordCount();

        return BatchError.OK;
    }

    /**
     * Advance to the next record.
     *
     * @return true if positioned on a record, false after the last one.
     */
    public boolean next()
    {
        final int remaining = limit - position;
        if (recordIndex >= recordCount || remaining < RECORD_OVERHEAD)
        {
            return false;
        }

        final DirectBuffer buffer = this.buffer;
        final int position = this.position;
        final int length = buffer.getInt(position, BYTE_ORDER);
        if (length < RECORD_OVERHEAD || length > remaining)
        {
            return false;
        }

        recordOffset = position;
        recordLength = length;
        offsetDelta = buffer.getInt(position + RECORD_OFFSET_DELTA_OFFSET, BYTE_ORDER);
        timestampDelta = buffer.getLong(position + RECORD_TIMESTAMP_DELTA_OFFSET, BYTE_ORDER);

        keyLength = buffer.getInt(position + RECORD_KEY_LENGTH_OFFSET, BYTE_ORDER);
        keyOffset = position + RECORD_KEY_LENGTH_OFFSET + 4;

        final int valueLengthOffset = keyOffset + Math.max(0, keyLength);
        valueLength = buffer.getInt(valueLengthOffset, BYTE_ORDER);
        valueOffset = valueLengthOffset + 4;

        final int headerCountOffset = valueOffset + Math.max(0, valueLength);
        headerCount = buffer.getInt(headerCountOffset, BYTE_ORDER);
        headersOffset = headerCountOffset + 4;
        headerIndex = 0;
        headerPosition = headersOffset;

        this.position = position + length;
        recordIndex++;

        return true;
    }

    /**
     * Advance to the next header of the current record.
     *
     * @return true if positioned on a header, false after the last one.
     */
    public boolean nextHeader()
    {
        if (headerIndex >= headerCount)
        {
            return false;
        }

        final int position = headerPosition;
        headerKeyLength = buffer.getInt(position, BYTE_ORDER);
        headerKeyOffset = position + 4;

        final int valueLengthOffset = headerKeyOffset + headerKeyLength;
        headerValueLength = buffer.getInt(valueLengthOffset, BYTE_ORDER);
        headerValueOffset = valueLengthOffset + 4;

        headerPosition = headerValueOffset + Math.max(0, headerValueLength);
        headerIndex++;

        return true;
    }

    /**
     * The buffer every offset reported by this cursor indexes into.
     *
     * @return the batch's buffer, or the decompression scratch for a compressed batch.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * Position of the current record within the batch, counting from zero.
     *
     * @return the index of the current record.
     */
    public int recordIndex()
    {
        return recordIndex - 1;
    }

    /**
     * Number of records in the wrapped batch.
     *
     * @return the batch's record count.
     */
    public int recordCount()
    {
        return recordCount;
    }

    /**
     * Index in {@link #buffer()} of the current record's first byte, its recordLength field.
     *
     * @return the record's index in the buffer.
     */
    public int recordOffset()
    {
        return recordOffset;
    }

    /**
     * Bytes of the current record, including its recordLength field.
     *
     * @return the record length in bytes.
     */
    public int recordLength()
    {
        return recordLength;
    }

    /**
     * Offset delta of the current record from the batch's base offset.
     *
     * @return the offset delta.
     */
    public int offsetDelta()
    {
        return offsetDelta;
    }

    /**
     * Log offset of the current record.
     *
     * @return baseOffset + offsetDelta.
     */
    public long offset()
    {
        return baseOffset + offsetDelta;
    }

    /**
     * Timestamp delta of the current record from the batch's base timestamp.
     *
     * @return the timestamp delta in ms.
     */
    public long timestampDelta()
    {
        return timestampDelta;
    }

    /**
     * Timestamp of the current record: the batch's maxTimestamp for log-append time, else base + delta.
     *
     * @return the record timestamp in ms.
     */
    public long timestamp()
    {
        return isLogAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
    }

    /**
     * Length of the current record's key.
     *
     * @return the key length in bytes, {@link RecordBatch#NULL_LENGTH} for a null key.
     */
    public int keyLength()
    {
        return keyLength;
    }

    /**
     * Index in {@link #buffer()} of the current record's key bytes.
     *
     * @return the key's index in the buffer.
     */
    public int keyOffset()
    {
        return keyOffset;
    }

    /**
     * Length of the current record's value.
     *
     * @return the value length in bytes, {@link RecordBatch#NULL_LENGTH} for a null value (a tombstone).
     */
    public int valueLength()
    {
        return valueLength;
    }

    /**
     * Index in {@link #buffer()} of the current record's value bytes.
     *
     * @return the value's index in the buffer.
     */
    public int valueOffset()
    {
        return valueOffset;
    }

    /**
     * Number of headers of the current record.
     *
     * @return the header count.
     */
    public int headerCount()
    {
        return headerCount;
    }

    /**
     * Index in {@link #buffer()} of the current record's first header, just after its headerCount field.
     *
     * @return the index of the encoded headers in the buffer.
     */
    public int headersOffset()
    {
        return headersOffset;
    }

    /**
     * Bytes of the current record's encoded headers, excluding the headerCount field.
     *
     * @return the encoded headers' length in bytes.
     */
    public int headersLength()
    {
        return recordOffset + recordLength - headersOffset;
    }

    /**
     * Length of the current header's UTF-8 key.
     *
     * @return the header key length in bytes.
     */
    public int headerKeyLength()
    {
        return headerKeyLength;
    }

    /**
     * Index in {@link #buffer()} of the current header's key bytes.
     *
     * @return the header key's index in the buffer.
     */
    public int headerKeyOffset()
    {
        return headerKeyOffset;
    }

    /**
     * Length of the current header's value.
     *
     * @return the header value length in bytes, {@link RecordBatch#NULL_LENGTH} for a null value.
     */
    public int headerValueLength()
    {
        return headerValueLength;
    }

    /**
     * Index in {@link #buffer()} of the current header's value bytes.
     *
     * @return the header value's index in the buffer.
     */
    public int headerValueOffset()
    {
        return headerValueOffset;
    }

    /**
     * Release the native zstd decompression context, if one was created.
     */
    public void close()
    {
        compression.close();
    }
}
