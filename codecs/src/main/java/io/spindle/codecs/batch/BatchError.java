/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

/**
 * Outcome of validating a record batch: {@link #OK} or the first reason it was rejected.
 */
public enum BatchError
{
    /**
     * The batch is well formed.
     */
    OK("ok"),

    /**
     * The offset and length given to the validator do not lie inside the buffer.
     */
    REGION_OUT_OF_BOUNDS("the offset and length given do not lie inside the buffer"),

    /**
     * Fewer bytes were given than a batch header needs.
     */
    TOO_SHORT_FOR_HEADER("fewer bytes than the 64-byte batch header"),

    /**
     * The batchLength field is negative.
     */
    BATCH_LENGTH_NEGATIVE("batchLength is negative"),

    /**
     * The batchLength field is smaller than the batch header.
     */
    BATCH_LENGTH_TOO_SMALL("batchLength is smaller than the 64-byte batch header"),

    /**
     * The batchLength field runs past the bytes given.
     */
    BATCH_LENGTH_OVERRUNS_BUFFER("batchLength runs past the end of the bytes given"),

    /**
     * The batchLength field differs from the exact length the caller required.
     */
    BATCH_LENGTH_NOT_EXACT("batchLength differs from the length of the bytes given"),

    /**
     * The magic byte is not the supported format version.
     */
    UNSUPPORTED_MAGIC("unsupported magic (format version), expected 2"),

    /**
     * The stored CRC32C does not match the bytes.
     */
    CRC_MISMATCH("CRC32C mismatch: the batch is corrupt"),

    /**
     * A reserved header field is not zero.
     */
    RESERVED_NOT_ZERO("a reserved header field is not zero"),

    /**
     * An attribute bit this version does not define is set.
     */
    UNKNOWN_ATTRIBUTES("an undefined attribute bit is set"),

    /**
     * The compression codec id is not none, lz4 or zstd.
     */
    UNKNOWN_COMPRESSION("unknown compression codec, expected 0 (none), 3 (lz4) or 4 (zstd)"),

    /**
     * A producer field is below -1, or a transactional batch has no producer id.
     */
    PRODUCER_FIELDS_INVALID("producerId, producerEpoch or baseSequence is invalid for the batch"),

    /**
     * The recordCount field is negative.
     */
    RECORD_COUNT_NEGATIVE("recordCount is negative"),

    /**
     * The recordCount field is zero.
     */
    EMPTY_BATCH("recordCount is zero: a batch holds at least one record"),

    /**
     * The lastOffsetDelta field is not recordCount - 1.
     */
    LAST_OFFSET_DELTA_MISMATCH("lastOffsetDelta is not recordCount - 1"),

    /**
     * The recordCount field disagrees with the records found, or cannot fit in the records section.
     */
    RECORD_COUNT_MISMATCH("recordCount disagrees with the records in the batch"),

    /**
     * A compressed batch's uncompressedLength field is missing or negative.
     */
    UNCOMPRESSED_LENGTH_INVALID("uncompressedLength of the compressed records is missing or negative"),

    /**
     * A compressed batch's uncompressedLength field exceeds the configured cap.
     */
    UNCOMPRESSED_LENGTH_TOO_LARGE("uncompressedLength exceeds the configured maximum"),

    /**
     * The compressed records did not decompress to exactly uncompressedLength bytes.
     */
    DECOMPRESSION_FAILED("the compressed records are corrupt or do not expand to uncompressedLength bytes"),

    /**
     * A record's recordLength field is negative.
     */
    RECORD_LENGTH_NEGATIVE("a record's recordLength is negative"),

    /**
     * A record's recordLength field is smaller than a record's fixed fields, or its length field is cut off.
     */
    RECORD_LENGTH_TOO_SMALL("a record's recordLength is smaller than its fixed fields"),

    /**
     * A record runs past the end of the records section.
     */
    RECORD_OVERRUNS_BATCH("a record runs past the end of the batch"),

    /**
     * A record's offsetDelta is not its position in the batch.
     */
    OFFSET_DELTA_MISMATCH("a record's offsetDelta is not its position 0..n-1 in the batch"),

    /**
     * A record's keyLength is below -1 or runs past the record.
     */
    KEY_LENGTH_INVALID("a record's keyLength is below -1 or runs past the record"),

    /**
     * A record's valueLength is below -1 or runs past the record.
     */
    VALUE_LENGTH_INVALID("a record's valueLength is below -1 or runs past the record"),

    /**
     * A record's headerCount is negative or more than the record could hold.
     */
    HEADER_COUNT_INVALID("a record's headerCount is negative or more than the record can hold"),

    /**
     * A header's keyLength is negative or runs past the record.
     */
    HEADER_KEY_LENGTH_INVALID("a header's keyLength is negative or runs past the record"),

    /**
     * A header's valueLength is below -1 or runs past the record.
     */
    HEADER_VALUE_LENGTH_INVALID("a header's valueLength is below -1 or runs past the record"),

    /**
     * A record's fields end before its recordLength does.
     */
    RECORD_LENGTH_MISMATCH("a record's fields end before its recordLength"),

    /**
     * Bytes follow the last record in the records section.
     */
    TRAILING_BYTES("bytes follow the last record of the batch"),

    /**
     * For create-time batches, maxTimestamp is not the largest record timestamp.
     */
    MAX_TIMESTAMP_MISMATCH("maxTimestamp is not the largest record timestamp");

    private final String message;

    BatchError(final String message)
    {
        this.message = message;
    }

    /**
     * A human-readable reason, suitable for a client error message or a log line.
     *
     * @return the reason, constant for each value.
     */
    public String message()
    {
        return message;
    }
}
