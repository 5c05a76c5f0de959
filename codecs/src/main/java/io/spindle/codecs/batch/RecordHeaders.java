/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

import java.nio.charset.StandardCharsets;

import static io.spindle.codecs.batch.RecordBatch.BYTE_ORDER;
import static io.spindle.codecs.batch.RecordBatch.NULL_LENGTH;

/**
 * Reusable holder for the headers of one record, kept already encoded in the record's wire format.
 * <p>
 * Fill it with {@code add}, pass it to {@link RecordBatchBuilder}'s append, then {@link #clear()} it for the next
 * record. Adding from buffers copies bytes into an owned buffer that grows to the largest header set seen, so it
 * does not allocate in steady state; the {@code String}/{@code byte[]} overload encodes the key and allocates.
 * Not thread-safe.
 */
public final class RecordHeaders
{
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
    private int count;
    private int encodedLength;

    /**
     * Remove every header.
     *
     * @return this for a fluent API.
     */
    public RecordHeaders clear()
    {
        count = 0;
        encodedLength = 0;
        return this;
    }

    /**
     * Add a header by copying its key and value from buffers.
     *
     * @param key         holding the UTF-8 key bytes.
     * @param keyOffset   index of the key in its buffer.
     * @param keyLength   length of the key in bytes, at least 0.
     * @param value       holding the value bytes; may be null when {@code valueLength} is -1.
     * @param valueOffset index of the value in its buffer.
     * @param valueLength length of the value in bytes, or {@link RecordBatch#NULL_LENGTH} for a null value.
     * @return this for a fluent API.
     */
    public RecordHeaders add(
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength)
    {
        if (keyLength < 0)
        {
            throw new IllegalArgumentException("header keyLength=" + keyLength);
        }

        if (valueLength < NULL_LENGTH)
        {
            throw new IllegalArgumentException("header valueLength=" + valueLength);
        }

        int position = encodedLength;
        buffer.putInt(position, keyLength, BYTE_ORDER);
        position += 4;
        if (keyLength > 0)
        {
            buffer.putBytes(position, key, keyOffset, keyLength);
            position += keyLength;
        }

        buffer.putInt(position, valueLength, BYTE_ORDER);
        position += 4;
        if (valueLength > 0)
        {
            buffer.putBytes(position, value, valueOffset, valueLength);
            position += valueLength;
        }

        encodedLength = position;
        count++;
        return this;
    }

    /**
     * Add a header from a string key and a byte array value; a convenience that allocates to encode the key.
     *
     * @param key   header key, encoded as UTF-8.
     * @param value header value, or null for a null value.
     * @return this for a fluent API.
     */
    public RecordHeaders add(final String key, final byte[] value)
    {
        final byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        int position = encodedLength;
        buffer.putInt(position, keyBytes.length, BYTE_ORDER);
        position += 4;
        buffer.putBytes(position, keyBytes);
        position += keyBytes.length;

        buffer.putInt(position, null == value ? NULL_LENGTH : value.length, BYTE_ORDER);
        position += 4;
        if (null != value)
        {
            buffer.putBytes(position, value);
            position += value.length;
        }

        encodedLength = position;
        count++;
        return this;
    }

    /**
     * Number of headers added since the last {@link #clear()}.
     *
     * @return the header count.
     */
    public int count()
    {
        return count;
    }

    /**
     * Bytes the headers occupy in a record, excluding the headerCount field.
     *
     * @return the encoded length in bytes.
     */
    public int encodedLength()
    {
        return encodedLength;
    }

    /**
     * The encoded headers, {@link #encodedLength()} bytes from index 0.
     *
     * @return the owned buffer holding the encoded headers.
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }
}
