package io.spindle.tools;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

import org.agrona.DirectBuffer;

/**
 * How a key or value is written on a line of text: {@code --key-format} and {@code --value-format} of
 * {@code spindle produce} (decoding the input) and {@code spindle consume} (encoding the output). Only
 * {@code text} is lossy (bytes that are not UTF-8 print as U+FFFD); {@code base64} and {@code hex} carry any bytes.
 */
enum ByteFormat
{
    /**
     * UTF-8 text, as typed.
     */
    TEXT,

    /**
     * Base64 (RFC 4648, with padding).
     */
    BASE64,

    /**
     * Two hexadecimal digits a byte, lower case on output, either case on input.
     */
    HEX;

    /**
     * Help text naming the formats.
     */
    static final String CHOICES = "text (the default: UTF-8), base64 or hex";

    /**
     * The bytes a piece of input stands for.
     *
     * @param text the text as written.
     * @return its bytes.
     * @throws IllegalArgumentException when the text is not in this format, saying why.
     */
    byte[] decode(final String text)
    {
        switch (this)
        {
            case BASE64:
                try
                {
                    return Base64.getDecoder().decode(text);
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new IllegalArgumentException("not base64 (" + ex.getMessage() + ")");
                }

            case HEX:
                try
                {
                    return HexFormat.of().parseHex(text);
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new IllegalArgumentException("not hex (" + ex.getMessage() + ")");
                }

            default:
                return text.getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * Write bytes from a buffer in this format.
     *
     * @param buffer holding the bytes.
     * @param offset of the first byte.
     * @param length of the bytes, -1 for null.
     * @return the text, or "null" for null.
     */
    String encode(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < 0)
        {
            return "null";
        }
        if (TEXT == this)
        {
            return buffer.getStringWithoutLengthUtf8(offset, length);
        }
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return BASE64 == this ? Base64.getEncoder().encodeToString(bytes) : HexFormat.of().formatHex(bytes);
    }
}
