package io.spindle.client;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.DirectBuffer;

/**
 * A zero-copy view of one consumed record, valid only during the handler call that receives it: key,
 * value and headers are read in place from the fetched bytes.
 */
public final class ConsumerRecord
{
    /**
     * One header of a record, a zero-copy view like the record: valid until the iteration moves on, and never
     * after the handler call that received the record.
     */
    public static final class Header
    {
        private DirectBuffer buffer;
        private int keyOffset;
        private int keyLength;
        private int valueOffset;
        private int valueLength;

        private int wrap(final DirectBuffer buffer, final int position)
        {
            this.buffer = buffer;
            keyLength = buffer.getInt(position, RecordBatch.BYTE_ORDER);
            keyOffset = position + 4;
            final int valueLengthOffset = keyOffset + keyLength;
            valueLength = buffer.getInt(valueLengthOffset, RecordBatch.BYTE_ORDER);
            valueOffset = valueLengthOffset + 4;
            return valueOffset + Math.max(0, valueLength);
        }

        /**
         * The buffer holding the header's key and value.
         *
         * @return the buffer.
         */
        public DirectBuffer buffer()
        {
            return buffer;
        }

        /**
         * Index of the UTF-8 key in {@link #buffer()}.
         *
         * @return the offset.
         */
        public int keyOffset()
        {
            return keyOffset;
        }

        /**
         * Length of the UTF-8 key in bytes.
         *
         * @return the length.
         */
        public int keyLength()
        {
            return keyLength;
        }

        /**
         * Index of the value in {@link #buffer()}.
         *
         * @return the offset.
         */
        public int valueOffset()
        {
            return valueOffset;
        }

        /**
         * Length of the value, -1 for a null value.
         *
         * @return the length.
         */
        public int valueLength()
        {
            return valueLength;
        }

        /**
         * Whether the key is this string, compared in place (no allocation for an ASCII key).
         *
         * @param key the key to compare with.
         * @return true when they are equal.
         */
        public boolean keyEquals(final String key)
        {
            final int length = key.length();
            if (length > keyLength)
            {
                return false;
            }
            for (int i = 0; i < length; i++)
            {
                final char c = key.charAt(i);
                if (c >= 0x80)
                {
                    return key.equals(key());
                }
                if (buffer.getByte(keyOffset + i) != (byte)c)
                {
                    return false;
                }
            }
            return length == keyLength;
        }

        /**
         * The key as a string, as Kafka's {@code Header.key()} (allocates).
         *
         * @return the key.
         */
        public String key()
        {
            return buffer.getStringWithoutLengthUtf8(keyOffset, keyLength);
        }

        /**
         * The value copied into a new array, as Kafka's {@code Header.value()} (allocates).
         *
         * @return the value, or null.
         */
        public byte[] value()
        {
            if (valueLength < 0)
            {
                return null;
            }
            final byte[] bytes = new byte[valueLength];
            buffer.getBytes(valueOffset, bytes);
            return bytes;
        }

        /**
         * The value as a UTF-8 string (allocates).
         *
         * @return the value, or null.
         */
        public String valueAsString()
        {
            return valueLength < 0 ? null : buffer.getStringWithoutLengthUtf8(valueOffset, valueLength);
        }

        /**
         * {@inheritDoc}
         */
        public String toString()
        {
            return key() + "=" + valueAsString();
        }
    }

    /**
     * The headers of the current record, for a Kafka-style {@code for (ConsumerRecord.Header h :
     * record.headers())} loop with no allocation: the consumer has one of these, and one iterator, which
     * {@link #iterator()} rewinds and returns, and which hands out one reused {@link Header}. So one loop at a
     * time: a loop nested in another over the same consumer's headers restarts the outer one's iterator.
     */
    public final class Headers implements Iterable<Header>
    {
        private final Cursor cursor = new Cursor();
        private final Header last = new Header();

        /**
         * Number of headers.
         *
         * @return the count.
         */
        public int count()
        {
            return record.headerCount();
        }

        /**
         * Rewind the consumer's one header iterator to this record's first header.
         *
         * @return the iterator.
         */
        public Iterator<Header> iterator()
        {
            cursor.index = 0;
            cursor.position = record.headersOffset();
            return cursor;
        }

        /**
         * The last header with a key, as Kafka's {@code Headers.lastHeader(key)}, without allocation for an ASCII
         * key: a view valid until the next call of this method.
         *
         * @param key the header key.
         * @return the header, or null when the record has none with this key.
         */
        public Header lastHeader(final String key)
        {
            final DirectBuffer buffer = record.buffer();
            int position = record.headersOffset();
            int found = -1;
            for (int i = 0, n = record.headerCount(); i < n; i++)
            {
                final int next = last.wrap(buffer, position);
                if (last.keyEquals(key))
                {
                    found = position;
                }
                position = next;
            }
            if (found < 0)
            {
                return null;
            }
            last.wrap(buffer, found);
            return last;
        }
    }

    private final class Cursor implements Iterator<Header>
    {
        private final Header header = new Header();
        private int index;
        private int position;

        public boolean hasNext()
        {
            return index < record.headerCount();
        }

        public Header next()
        {
            if (!hasNext())
            {
                throw new NoSuchElementException("the record has " + record.headerCount() + " headers");
            }
            position = header.wrap(record.buffer(), position);
            index++;
            return header;
        }
    }

    private final Headers headers = new Headers();
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
     * The record's headers, as Kafka's {@code headers()}: {@code for (ConsumerRecord.Header header :
     * record.headers())} walks them in place, with no allocation (see {@link Headers} for what that means).
     *
     * @return the headers, valid only during the handler call that received the record.
     */
    public Headers headers()
    {
        return headers;
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
