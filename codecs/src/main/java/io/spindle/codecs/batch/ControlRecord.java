/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The transaction marker a control batch holds, as Kafka writes it: one record whose key is
 * {@code int16 version (0), int16 type} (0 ABORT, 1 COMMIT) and whose value is
 * {@code int16 version (0), int32 coordinatorEpoch}, in this format's byte order. Only the broker writes control
 * batches; they end a producer's transaction in a partition and are never handed to an application.
 * <p>
 * Stateless and thread-safe apart from {@link #build}, which writes into the buffers it is given.
 */
public final class ControlRecord
{
    /**
     * Marker type: the transaction was aborted, its records are not to be read by read_committed consumers.
     */
    public static final short ABORT = 0;

    /**
     * Marker type: the transaction was committed.
     */
    public static final short COMMIT = 1;

    /**
     * Length of the marker's key.
     */
    public static final int KEY_LENGTH = 4;

    /**
     * Length of the marker's value.
     */
    public static final int VALUE_LENGTH = 6;

    /**
     * Bytes a batch holding one marker takes.
     */
    public static final int BATCH_LENGTH = RecordBatch.HEADER_LENGTH + RecordBatch.RECORD_OVERHEAD + KEY_LENGTH +
        VALUE_LENGTH;

    private ControlRecord()
    {
    }

    /**
     * The marker type of a control batch.
     *
     * @param buffer      holding the batch.
     * @param batchOffset of the batch.
     * @return {@link #ABORT}, {@link #COMMIT}, or -1 when the batch does not hold a marker key.
     */
    public static short type(final DirectBuffer buffer, final int batchOffset)
    {
        final int batchLength = buffer.getInt(batchOffset + RecordBatch.BATCH_LENGTH_OFFSET, RecordBatch.BYTE_ORDER);
        final int record = batchOffset + RecordBatch.HEADER_LENGTH;
        if (batchLength < RecordBatch.HEADER_LENGTH + RecordBatch.RECORD_OVERHEAD + KEY_LENGTH ||
            buffer.getInt(record + RecordBatch.RECORD_KEY_LENGTH_OFFSET, RecordBatch.BYTE_ORDER) < KEY_LENGTH)
        {
            return -1;
        }
        return buffer.getShort(record + RecordBatch.RECORD_KEY_LENGTH_OFFSET + 4 + 2, RecordBatch.BYTE_ORDER);
    }

    /**
     * Build a control batch holding one marker.
     *
     * @param builder     to build with.
     * @param buffer      to build into, at least {@link #BATCH_LENGTH} bytes.
     * @param scratch     of at least {@link #KEY_LENGTH} + {@link #VALUE_LENGTH} bytes, for the key and value.
     * @param producerId  of the transaction.
     * @param epoch       of the transaction.
     * @param type        {@link #ABORT} or {@link #COMMIT}.
     * @param timestampMs of the marker.
     * @return the batch length.
     */
    public static int build(
        final RecordBatchBuilder builder,
        final MutableDirectBuffer buffer,
        final UnsafeBuffer scratch,
        final long producerId,
        final short epoch,
        final short type,
        final long timestampMs)
    {
        builder.wrap(buffer, 0, buffer.capacity())
            .producer(producerId, epoch, RecordBatch.NO_SEQUENCE)
            .transactional(true)
            .control(true);
        scratch.putShort(0, (short)0, RecordBatch.BYTE_ORDER);
        scratch.putShort(2, type, RecordBatch.BYTE_ORDER);
        scratch.putShort(4, (short)0, RecordBatch.BYTE_ORDER);
        scratch.putInt(6, 0, RecordBatch.BYTE_ORDER);
        // Key and value come from one scratch buffer: the key is its first 4 bytes, the value the 6 after them.
        if (!builder.append(timestampMs, scratch, 0, KEY_LENGTH, scratch, KEY_LENGTH, VALUE_LENGTH))
        {
            throw new IllegalStateException("a marker does not fit " + buffer.capacity() + " bytes");
        }
        return builder.build();
    }
}
