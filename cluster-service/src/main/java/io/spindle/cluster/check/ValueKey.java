/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A record value as a map key: equal when the bytes are equal; a null value (tombstone) is its own key.
 */
final class ValueKey
{
    /**
     * The key of a record whose value is null.
     */
    static final ValueKey NULL_VALUE = new ValueKey(null);

    private static final int MAX_DISPLAY_BYTES = 64;

    private final byte[] bytes;
    private final int hash;

    ValueKey(final byte[] bytes)
    {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /**
     * {@inheritDoc}
     */
    public boolean equals(final Object o)
    {
        return this == o || (o instanceof ValueKey && Arrays.equals(bytes, ((ValueKey)o).bytes));
    }

    /**
     * {@inheritDoc}
     */
    public int hashCode()
    {
        return hash;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return display(bytes);
    }

    /**
     * A value for a report: as text if it is printable ASCII, else as hex; long values cut.
     *
     * @param bytes of the value, or null.
     * @return the text.
     */
    static String display(final byte[] bytes)
    {
        if (null == bytes)
        {
            return "<null>";
        }

        final int length = Math.min(bytes.length, MAX_DISPLAY_BYTES);
        boolean isPrintable = true;
        for (int i = 0; i < length && isPrintable; i++)
        {
            isPrintable = bytes[i] >= 0x20 && bytes[i] < 0x7f;
        }

        final StringBuilder sb = new StringBuilder();
        if (isPrintable)
        {
            sb.append('"').append(new String(bytes, 0, length, StandardCharsets.US_ASCII)).append('"');
        }
        else
        {
            sb.append("0x");
            for (int i = 0; i < length; i++)
            {
                sb.append(Character.forDigit((bytes[i] >> 4) & 0xF, 16)).append(Character.forDigit(bytes[i] & 0xF, 16));
            }
        }

        if (length < bytes.length)
        {
            sb.append("...(").append(bytes.length).append(" bytes)");
        }

        return sb.toString();
    }
}
