package io.spindle.client;

import java.nio.charset.StandardCharsets;

import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.DirectBuffer;

/**
 * A zero-copy view of one consumed record, valid only during the handler call that receives it: key,
 * value and headers are read in place from the fetched bytes.
 */
public final class ConsumerRecord
{
    private RecordFlyweight record;
    private String topic;
    private int partition;

    ConsumerRecord wrap(final String topic, final int partition, final RecordFlyweight record)
    {
        this.topic = topic;
        this.partition = partition;
        this.record = record;
        return this;
    }

    /**
     * The topic name.
     *
     * @return the topic.
     */
    public String topic()
    {
        return topic;
    }

    /**
     * The partition.
     *
     * @return the partition number.
     */
    public int partition()
    {
        return partition;
    }

    /**
     * The record's offset.
     *
     * @return the offset.
     */
    public long offset()
    {
        return record.offset();
    }

    /**
     * The record's timestamp in ms since the epoch.
     *
     * @return the timestamp.
     */
    public long timestamp()
    {
        return record.timestamp();
    }

    /**
     * The buffer holding key, value and headers.
     *
     * @return the buffer.
     */
    public DirectBuffer buffer()
    {
        return record.buffer();
    }

    /**
     * Length of the key, -1 for a null key.
     *
     * @return the length.
     */
    public int keyLength()
    {
        return record.keyLength();
    }

    /**
     * Index of the key in {@link #buffer()}.
     *
     * @return the offset.
     */
    public int keyOffset()
    {
        return record.keyOffset();
    }

    /**
     * Length of the value, -1 for a null value (a tombstone).
     *
     * @return the length.
     */
    public int valueLength()
    {
        return record.valueLength();
    }

    /**
     * Index of the value in {@link #buffer()}.
     *
     * @return the offset.
     */
    public int valueOffset()
    {
        return record.valueOffset();
    }

    /**
     * Number of headers.
     *
     * @return the count.
     */
    public int headerCount()
    {
        return record.headerCount();
    }

    /**
     * The underlying record flyweight, for walking headers with {@link RecordFlyweight#nextHeader()}.
     *
     * @return the flyweight.
     */
    public RecordFlyweight flyweight()
    {
        return record;
    }

    /**
     * The key as a UTF-8 string (allocates; for tools, not the hot path).
     *
     * @return the key, or null.
     */
    public String keyAsString()
    {
        final int length = keyLength();
        return length < 0 ? null : record.buffer().getStringWithoutLengthUtf8(keyOffset(), length);
    }

    /**
     * The value as a UTF-8 string (allocates; for tools, not the hot path).
     *
     * @return the value, or null.
     */
    public String valueAsString()
    {
        final int length = valueLength();
        return length < 0 ? null : record.buffer().getStringWithoutLengthUtf8(valueOffset(), length);
    }

    /**
     * The value copied into a new array (allocates).
     *
     * @return the value, or null.
     */
    public byte[] valueBytes()
    {
        final int length = valueLength();
        if (length < 0)
        {
            return null;
        }
        final byte[] bytes = new byte[length];
        record.buffer().getBytes(valueOffset(), bytes);
        return bytes;
    }

    /**
     * The key copied into a new array (allocates).
     *
     * @return the key, or null.
     */
    public byte[] keyBytes()
    {
        final int length = keyLength();
        if (length < 0)
        {
            return null;
        }
        final byte[] bytes = new byte[length];
        record.buffer().getBytes(keyOffset(), bytes);
        return bytes;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return topic + "-" + partition + "@" + offset() + " key=" + keyAsString() + " value=" +
            (valueLength() < 0 ? "null" : new String(valueBytes(), StandardCharsets.UTF_8));
    }
}
