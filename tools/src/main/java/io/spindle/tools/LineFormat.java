package io.spindle.tools;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.spindle.client.Producer;
import io.spindle.client.ProducerCallback;
import io.spindle.codecs.batch.RecordHeaders;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * How {@code spindle produce} turns a line of input into a record: {@code key<S>value} split at the first
 * {@code --key-separator} (a line without it refused unless {@code --allow-missing-key}), key and value decoded
 * as {@code --key-format} / {@code --value-format} say, and the {@code --header K=V} headers on every record.
 */
final class LineFormat
{
    private final String keySeparator;
    private final boolean allowMissingKey;
    private final ByteFormat keyFormat;
    private final ByteFormat valueFormat;
    private final String nullMarker;
    private final RecordHeaders headers;
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer valueBuffer = new UnsafeBuffer(new byte[0]);

    /**
     * A format for these options.
     *
     * @param keySeparator    splits a line into key and value at its first occurrence; null or empty for no key.
     * @param allowMissingKey send a line without the separator as a value with a null key instead of refusing it.
     * @param keyFormat       how the key is written.
     * @param valueFormat     how the value is written.
     * @param headerSpecs     {@code KEY=VALUE} headers put on every record, in order.
     * @param nullMarker      a value written exactly so is sent as null (a tombstone), or null for none.
     * @throws IllegalArgumentException when a header is not {@code KEY=VALUE}.
     */
    LineFormat(
        final String keySeparator,
        final boolean allowMissingKey,
        final ByteFormat keyFormat,
        final ByteFormat valueFormat,
        final List<String> headerSpecs,
        final String nullMarker)
    {
        this.nullMarker = nullMarker;
        this.keySeparator = null == keySeparator || keySeparator.isEmpty() ? null : keySeparator;
        this.allowMissingKey = allowMissingKey;
        this.keyFormat = keyFormat;
        this.valueFormat = valueFormat;
        if (headerSpecs.isEmpty())
        {
            headers = null;
        }
        else
        {
            headers = new RecordHeaders();
            for (final String spec : headerSpecs)
            {
                final int equals = spec.indexOf('=');
                if (equals <= 0)
                {
                    throw new IllegalArgumentException("--header takes KEY=VALUE (a non-empty key), was '" + spec +
                        "'");
                }
                headers.add(spec.substring(0, equals), spec.substring(equals + 1).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * The record a line stands for.
     *
     * @param line       the line, without its line terminator.
     * @param lineNumber counting from 1, for the message when the line is refused.
     * @return the record.
     * @throws BadLineException when the line has no separator (and a key is required) or a key or value is not in
     *                          its format.
     */
    Line parse(final String line, final long lineNumber)
    {
        String keyText = null;
        String valueText = line;
        if (null != keySeparator)
        {
            final int at = line.indexOf(keySeparator);
            if (at >= 0)
            {
                keyText = line.substring(0, at);
                valueText = line.substring(at + keySeparator.length());
            }
            else if (!allowMissingKey)
            {
                throw new BadLineException("line " + lineNumber + " has no key separator '" + keySeparator +
                    "' (--allow-missing-key sends such a line as a value with a null key)");
            }
        }
        final byte[] key;
        final byte[] value;
        try
        {
            key = null == keyText ? null : keyFormat.decode(keyText);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new BadLineException("line " + lineNumber + ": the key is " + ex.getMessage() + " (--key-format " +
                keyFormat.name().toLowerCase() + ")");
        }
        try
        {
            value = valueText.equals(nullMarker) ? null : valueFormat.decode(valueText);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new BadLineException("line " + lineNumber + ": the value is " + ex.getMessage() +
                " (--value-format " + valueFormat.name().toLowerCase() + ")");
        }
        final int length = (null == key ? 0 : key.length) + (null == value ? 0 : value.length) +
            (null == headers ? 0 : headers.encodedLength());
        return new Line(key, value, length);
    }

    /**
     * Send a parsed line with this format's headers.
     *
     * @param producer  to send with.
     * @param topic     the topic.
     * @param partition the partition, or -1 to choose by key.
     * @param line      the record.
     * @param callback  told how the send ended.
     * @return as {@link Producer#send(String, int, byte[], byte[], ProducerCallback)}.
     */
    int send(
        final Producer producer, final String topic, final int partition, final Line line,
        final ProducerCallback callback)
    {
        if (null == headers)
        {
            return producer.send(topic, partition, line.key(), line.value(), callback);
        }
        final byte[] key = line.key();
        if (null != key)
        {
            keyBuffer.wrap(key);
        }
        final byte[] value = line.value();
        if (null != value)
        {
            valueBuffer.wrap(value);
        }
        return producer.send(topic, partition, keyBuffer, 0, null == key ? -1 : key.length,
            valueBuffer, 0, null == value ? -1 : value.length, headers, callback);
    }

    /**
     * One line's record.
     *
     * @param key    the key, or null.
     * @param value  the value.
     * @param length bytes of key, value and headers, as the producer counts them against its max.record.size.
     */
    record Line(byte[] key, byte[] value, int length)
    {
    }

    /**
     * A line that cannot become a record: {@code spindle produce} stops there and exits 2.
     */
    static final class BadLineException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        BadLineException(final String message)
        {
            super(message);
        }
    }
}
