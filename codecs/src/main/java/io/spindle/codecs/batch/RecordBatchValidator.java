/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.DirectBuffer;

import static io.spindle.codecs.batch.RecordBatch.ATTRIBUTES_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_SEQUENCE_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BASE_TIMESTAMP_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BATCH_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.BYTE_ORDER;
import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_MASK;
import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_NONE;
import static io.spindle.codecs.batch.RecordBatch.CONTROL_MASK;
import static io.spindle.codecs.batch.RecordBatch.CRC_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.HEADER_LENGTH;
import static io.spindle.codecs.batch.RecordBatch.KNOWN_ATTRIBUTES_MASK;
import static io.spindle.codecs.batch.RecordBatch.LAST_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAGIC;
import static io.spindle.codecs.batch.RecordBatch.MAGIC_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAX_TIMESTAMP_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.MAX_UNCOMPRESSED_LENGTH_DEFAULT;
import static io.spindle.codecs.batch.RecordBatch.NO_PRODUCER_EPOCH;
import static io.spindle.codecs.batch.RecordBatch.NO_PRODUCER_ID;
import static io.spindle.codecs.batch.RecordBatch.NO_SEQUENCE;
import static io.spindle.codecs.batch.RecordBatch.PRODUCER_EPOCH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.PRODUCER_ID_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_COUNT_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_HEADER_OVERHEAD;
import static io.spindle.codecs.batch.RecordBatch.RECORD_KEY_LENGTH_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_OFFSET_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RECORD_OVERHEAD;
import static io.spindle.codecs.batch.RecordBatch.RECORD_TIMESTAMP_DELTA_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RESERVED_BYTE_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.RESERVED_SHORT_OFFSET;
import static io.spindle.codecs.batch.RecordBatch.TIMESTAMP_TYPE_MASK;
import static io.spindle.codecs.batch.RecordBatch.TRANSACTIONAL_MASK;
import static io.spindle.codecs.batch.RecordBatch.UNCOMPRESSED_LENGTH_FIELD_LENGTH;

/**
 * Checks that bytes from an untrusted source (a producer, a peer, a segment file) form one well-formed record batch.
 * <p>
 * Never throws on any input and never reads outside {@code [offset, offset + length)}: every length is checked with
 * explicit arithmetic before it is used. The first problem found is returned, in this order: region, header length,
 * batchLength, magic, CRC, reserved fields, attributes, compression codec, producer fields, record count, then
 * each record in turn, trailing bytes and maxTimestamp. The batch may be shorter than {@code length}, so a caller
 * walking a segment or a multi-batch request advances by {@link RecordBatchFlyweight#batchLength()};
 * {@link #validateExact(DirectBuffer, int, int)} requires the batch to be exactly {@code length} bytes.
 * <p>
 * Uncompressed batches are validated without allocation. Compressed batches are decompressed into an owned scratch
 * buffer, which grows to the largest batch seen, capped by the constructor's {@code maxUncompressedLength}. Not
 * thread-safe: one instance per thread. {@link #close()} releases native zstd state once zstd batches were seen.
 */
public final class RecordBatchValidator implements AutoCloseable
{
    private final BatchCompression compression = new BatchCompression();
    private final int maxUncompressedLength;
    private boolean hasRecordWithoutKey;

    /**
     * Create a validator that accepts compressed batches of up to
     * {@link RecordBatch#MAX_UNCOMPRESSED_LENGTH_DEFAULT} uncompressed bytes of records.
     */
    public RecordBatchValidator()
    {
        this(MAX_UNCOMPRESSED_LENGTH_DEFAULT);
    }

    /**
     * Create a validator with a cap on the uncompressed length of a compressed batch's records section.
     *
     * @param maxUncompressedLength largest uncompressed records section to accept, in bytes.
     */
    public RecordBatchValidator(final int maxUncompressedLength)
    {
        if (maxUncompressedLength < 0)
        {
            throw new IllegalArgumentException("maxUncompressedLength=" + maxUncompressedLength);
        }

        this.maxUncompressedLength = maxUncompressedLength;
    }

    /**
     * The cap on the uncompressed length of a compressed batch's records section.
     *
     * @return the cap in bytes.
     */
    public int maxUncompressedLength()
    {
        return maxUncompressedLength;
    }

    /**
     * Validate the batch that starts at {@code offset} and must fit within {@code length} bytes.
     *
     * @param buffer holding the bytes.
     * @param offset index of the batch's first byte.
     * @param length bytes available from {@code offset}; the batch's batchLength may be smaller.
     * @return {@link BatchError#OK} if the batch is well formed, otherwise the first reason it is not.
     */
    public BatchError validate(final DirectBuffer buffer, final int offset, final int length)
    {
        return validate(buffer, offset, length, false, false);
    }

    /**
     * Validate a batch read back from a log that may have been compacted: as {@link #validate}, except that the
     * records' offset deltas need only increase strictly from 0 or more up to at most lastOffsetDelta, and
     * lastOffsetDelta may exceed recordCount - 1. That is exactly what the log cleaner makes of a batch when it
     * drops superseded records but keeps each survivor's offset and the batch's offset range; everything else
     * (CRC, lengths, counts, timestamps) is checked as strictly as for a produced batch. A batch with no record is
     * accepted only as the cleaner writes one to keep a producer's sequence numbers: a bare uncompressed header.
     *
     * @param buffer holding the bytes.
     * @param offset index of the batch's first byte.
     * @param length bytes available from {@code offset}; the batch's batchLength may be smaller.
     * @return {@link BatchError#OK} if the batch is well formed, otherwise the first reason it is not.
     */
    public BatchError validateStored(final DirectBuffer buffer, final int offset, final int length)
    {
        return validate(buffer, offset, length, false, true);
    }

    /**
     * Whether the batch last validated (up to the point validation stopped) had a record with a null key, which a
     * compacted topic refuses.
     *
     * @return true if a record without a key was seen.
     */
    public boolean hasRecordWithoutKey()
    {
        return hasRecordWithoutKey;
    }

    /**
     * Validate a batch that must be exactly {@code length} bytes long, as for a single-batch produce request.
     *
     * @param buffer holding the bytes.
     * @param offset index of the batch's first byte.
     * @param length bytes of the batch.
     * @return {@link BatchError#OK} if the batch is well formed and batchLength equals length.
     */
    public BatchError validateExact(final DirectBuffer buffer, final int offset, final int length)
    {
        return validate(buffer, offset, length, true, false);
    }

    /**
     * Release the native zstd decompression context, if one was created.
     */
    public void close()
    {
        compression.close();
    }

    private BatchError validate(
        final DirectBuffer buffer, final int offset, final int length, final boolean exact, final boolean allowGaps)
    {
        hasRecordWithoutKey = false;
        if (null == buffer || offset < 0 || length < 0 || (long)offset + length > buffer.capacity())
        {
            return BatchError.REGION_OUT_OF_BOUNDS;
        }

        if (length < HEADER_LENGTH)
        {
            return BatchError.TOO_SHORT_FOR_HEADER;
        }

        final int batchLength = buffer.getInt(offset + BATCH_LENGTH_OFFSET, BYTE_ORDER);
        if (batchLength < 0)
        {
            return BatchError.BATCH_LENGTH_NEGATIVE;
        }

        if (batchLength < HEADER_LENGTH)
        {
            return BatchError.BATCH_LENGTH_TOO_SMALL;
        }

        if (batchLength > length)
        {
            return BatchError.BATCH_LENGTH_OVERRUNS_BUFFER;
        }

        if (exact && batchLength != length)
        {
            return BatchError.BATCH_LENGTH_NOT_EXACT;
        }

        if (buffer.getByte(offset + MAGIC_OFFSET) != MAGIC)
        {
            return BatchError.UNSUPPORTED_MAGIC;
        }

        if (RecordBatch.crc32c(buffer, offset, batchLength) != buffer.getInt(offset + CRC_OFFSET, BYTE_ORDER))
        {
            return BatchError.CRC_MISMATCH;
        }

        if (0 != buffer.getByte(offset + RESERVED_BYTE_OFFSET) ||
            0 != buffer.getShort(offset + RESERVED_SHORT_OFFSET, BYTE_ORDER))
        {
            return BatchError.RESERVED_NOT_ZERO;
        }

        final int attributes = buffer.getShort(offset + ATTRIBUTES_OFFSET, BYTE_ORDER) & 0xFFFF;
        if (0 != (attributes & ~KNOWN_ATTRIBUTES_MASK))
        {
            return BatchError.UNKNOWN_ATTRIBUTES;
        }

        final int codec = attributes & COMPRESSION_MASK;
        if (!RecordBatch.isSupportedCompression(codec))
        {
            return BatchError.UNKNOWN_COMPRESSION;
        }

        final BatchError producerError = validateProducer(buffer, offset, attributes);
        if (BatchError.OK != producerError)
        {
            return producerError;
        }

        final int recordCount = buffer.getInt(offset + RECORD_COUNT_OFFSET, BYTE_ORDER);
        if (recordCount < 0)
        {
            return BatchError.RECORD_COUNT_NEGATIVE;
        }

        if (0 == recordCount)
        {
            // The cleaner keeps a batch it emptied, header only, when it holds a producer's latest sequence numbers.
            return allowGaps && HEADER_LENGTH == batchLength && COMPRESSION_NONE == codec ?
                BatchError.OK : BatchError.EMPTY_BATCH;
        }

        final int lastOffsetDelta = buffer.getInt(offset + LAST_OFFSET_DELTA_OFFSET, BYTE_ORDER);
        if (allowGaps ? lastOffsetDelta < recordCount - 1 : lastOffsetDelta != recordCount - 1)
        {
            return BatchError.LAST_OFFSET_DELTA_MISMATCH;
        }

        final int maxOffsetDelta = allowGaps ? lastOffsetDelta : -1;

        final int recordsOffset = offset + HEADER_LENGTH;
        final int recordsLength = batchLength - HEADER_LENGTH;
        final long baseTimestamp = buffer.getLong(offset + BASE_TIMESTAMP_OFFSET, BYTE_ORDER);
        final long maxTimestamp = buffer.getLong(offset + MAX_TIMESTAMP_OFFSET, BYTE_ORDER);
        final boolean checkMaxTimestamp = 0 == (attributes & TIMESTAMP_TYPE_MASK);

        if (COMPRESSION_NONE == codec)
        {
            if ((long)recordCount * RECORD_OVERHEAD > recordsLength)
            {
                return BatchError.RECORD_COUNT_MISMATCH;
            }

            return validateRecords(
                buffer, recordsOffset, recordsLength, recordCount, baseTimestamp, maxTimestamp, checkMaxTimestamp,
                maxOffsetDelta);
        }

        if (recordsLength < UNCOMPRESSED_LENGTH_FIELD_LENGTH)
        {
            return BatchError.UNCOMPRESSED_LENGTH_INVALID;
        }

        final int uncompressedLength = buffer.getInt(recordsOffset, BYTE_ORDER);
        if (uncompressedLength < 0)
        {
            return BatchError.UNCOMPRESSED_LENGTH_INVALID;
        }

        if (uncompressedLength > maxUncompressedLength)
        {
            return BatchError.UNCOMPRESSED_LENGTH_TOO_LARGE;
        }

        // Cheap rejection before the expensive part: a record is at least RECORD_OVERHEAD bytes uncompressed.
        if ((long)recordCount * RECORD_OVERHEAD > uncompressedLength)
        {
            return BatchError.RECORD_COUNT_MISMATCH;
        }

        if (!compression.decompress(
            codec,
            buffer,
            recordsOffset + UNCOMPRESSED_LENGTH_FIELD_LENGTH,
            recordsLength - UNCOMPRESSED_LENGTH_FIELD_LENGTH,
            uncompressedLength))
        {
            return BatchError.DECOMPRESSION_FAILED;
        }

        return validateRecords(
            compression.decompressed(), 0, uncompressedLength, recordCount, baseTimestamp, maxTimestamp,
            checkMaxTimestamp, maxOffsetDelta);
    }

    private static BatchError validateProducer(final DirectBuffer buffer, final int offset, final int attributes)
    {
        final long producerId = buffer.getLong(offset + PRODUCER_ID_OFFSET, BYTE_ORDER);
        final short producerEpoch = buffer.getShort(offset + PRODUCER_EPOCH_OFFSET, BYTE_ORDER);
        final int baseSequence = buffer.getInt(offset + BASE_SEQUENCE_OFFSET, BYTE_ORDER);

        if (producerId < NO_PRODUCER_ID || producerEpoch < NO_PRODUCER_EPOCH || baseSequence < NO_SEQUENCE)
        {
            return BatchError.PRODUCER_FIELDS_INVALID;
        }

        if (NO_PRODUCER_ID == producerId)
        {
            final boolean needsProducer = 0 != (attributes & (TRANSACTIONAL_MASK | CONTROL_MASK));
            if (needsProducer || NO_PRODUCER_EPOCH != producerEpoch || NO_SEQUENCE != baseSequence)
            {
                return BatchError.PRODUCER_FIELDS_INVALID;
            }
        }
        else if (NO_PRODUCER_EPOCH == producerEpoch)
        {
            return BatchError.PRODUCER_FIELDS_INVALID;
        }

        return BatchError.OK;
    }

    // maxOffsetDelta: -1 to require offset deltas 0..recordCount-1, else the batch's lastOffsetDelta, the largest
    // delta allowed in a compacted batch, whose deltas need only increase strictly.
    private BatchError validateRecords(
        final DirectBuffer buffer,
        final int recordsOffset,
        final int recordsLength,
        final int recordCount,
        final long baseTimestamp,
        final long maxTimestamp,
        final boolean checkMaxTimestamp,
        final int maxOffsetDelta)
    {
        final int end = recordsOffset + recordsLength;
        int previousDelta = -1;
        long largestTimestamp = Long.MIN_VALUE;
        int position = recordsOffset;

        for (int i = 0; i < recordCount; i++)
        {
            final int remaining = end - position;
            if (0 == remaining)
            {
                return BatchError.RECORD_COUNT_MISMATCH;
            }

            if (remaining < 4)
            {
                return BatchError.RECORD_OVERRUNS_BATCH;
            }

            final int recordLength = buffer.getInt(position, BYTE_ORDER);
            if (recordLength < 0)
            {
                return BatchError.RECORD_LENGTH_NEGATIVE;
            }

            if (recordLength < RECORD_OVERHEAD)
            {
                return BatchError.RECORD_LENGTH_TOO_SMALL;
            }

            if (recordLength > remaining)
            {
                return BatchError.RECORD_OVERRUNS_BATCH;
            }

            final int recordEnd = position + recordLength;

            final int offsetDelta = buffer.getInt(position + RECORD_OFFSET_DELTA_OFFSET, BYTE_ORDER);
            if (maxOffsetDelta < 0 ? offsetDelta != i : (offsetDelta <= previousDelta || offsetDelta > maxOffsetDelta))
            {
                return BatchError.OFFSET_DELTA_MISMATCH;
            }
            previousDelta = offsetDelta;

            final long timestamp = baseTimestamp + buffer.getLong(position + RECORD_TIMESTAMP_DELTA_OFFSET, BYTE_ORDER);
            largestTimestamp = Math.max(largestTimestamp, timestamp);

            // recordLength >= RECORD_OVERHEAD guarantees the fixed fields; each check below leaves room for the
            // fixed fields still to come, so every read stays inside [position, recordEnd).
            int cursor = position + RECORD_KEY_LENGTH_OFFSET;
            final int keyLength = buffer.getInt(cursor, BYTE_ORDER);
            cursor += 4;
            if (keyLength < -1 || keyLength > recordEnd - cursor - 8)
            {
                return BatchError.KEY_LENGTH_INVALID;
            }
            hasRecordWithoutKey |= keyLength < 0;
            cursor += Math.max(0, keyLength);

            final int valueLength = buffer.getInt(cursor, BYTE_ORDER);
            cursor += 4;
            if (valueLength < -1 || valueLength > recordEnd - cursor - 4)
            {
                return BatchError.VALUE_LENGTH_INVALID;
            }
            cursor += Math.max(0, valueLength);

            final int headerCount = buffer.getInt(cursor, BYTE_ORDER);
            cursor += 4;
            if (headerCount < 0 || headerCount > (recordEnd - cursor) / RECORD_HEADER_OVERHEAD)
            {
                return BatchError.HEADER_COUNT_INVALID;
            }

            for (int h = 0; h < headerCount; h++)
            {
                if (recordEnd - cursor < RECORD_HEADER_OVERHEAD)
                {
                    return BatchError.HEADER_COUNT_INVALID;
                }

                final int headerKeyLength = buffer.getInt(cursor, BYTE_ORDER);
                cursor += 4;
                if (headerKeyLength < 0 || headerKeyLength > recordEnd - cursor - 4)
                {
                    return BatchError.HEADER_KEY_LENGTH_INVALID;
                }
                cursor += headerKeyLength;

                final int headerValueLength = buffer.getInt(cursor, BYTE_ORDER);
                cursor += 4;
                if (headerValueLength < -1 || headerValueLength > recordEnd - cursor)
                {
                    return BatchError.HEADER_VALUE_LENGTH_INVALID;
                }
                cursor += Math.max(0, headerValueLength);
            }

            if (cursor != recordEnd)
            {
                return BatchError.RECORD_LENGTH_MISMATCH;
            }

            position = recordEnd;
        }

        if (position != end)
        {
            return BatchError.TRAILING_BYTES;
        }

        if (checkMaxTimestamp && largestTimestamp != maxTimestamp)
        {
            return BatchError.MAX_TIMESTAMP_MISMATCH;
        }

        return BatchError.OK;
    }
}
