/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

/**
 * Writes one JSON object on one line: string, number, boolean and null fields and nested objects. Enough for the
 * perf commands' result lines, which are read by scripts; not a general JSON library.
 */
final class Json
{
    private final StringBuilder text = new StringBuilder(512);
    private boolean first = true;
    private int depth;

    /**
     * Start the top-level object.
     */
    Json()
    {
        text.append('{');
    }

    /**
     * A string field; null writes JSON null.
     *
     * @param name  field name.
     * @param value the value.
     * @return this.
     */
    Json field(final String name, final String value)
    {
        name(name);
        if (null == value)
        {
            text.append("null");
        }
        else
        {
            quote(value);
        }
        return this;
    }

    /**
     * An integer field.
     *
     * @param name  field name.
     * @param value the value.
     * @return this.
     */
    Json field(final String name, final long value)
    {
        name(name);
        text.append(value);
        return this;
    }

    /**
     * A number field, rounded to three decimals; NaN and infinities write JSON null.
     *
     * @param name  field name.
     * @param value the value.
     * @return this.
     */
    Json field(final String name, final double value)
    {
        name(name);
        if (Double.isNaN(value) || Double.isInfinite(value))
        {
            text.append("null");
        }
        else
        {
            text.append(Math.round(value * 1000.0) / 1000.0);
        }
        return this;
    }

    /**
     * A boolean field.
     *
     * @param name  field name.
     * @param value the value.
     * @return this.
     */
    Json field(final String name, final boolean value)
    {
        name(name);
        text.append(value);
        return this;
    }

    /**
     * Open a nested object; close it with {@link #endObject()}.
     *
     * @param name field name.
     * @return this.
     */
    Json object(final String name)
    {
        name(name);
        text.append('{');
        first = true;
        depth++;
        return this;
    }

    /**
     * Close the innermost nested object.
     *
     * @return this.
     */
    Json endObject()
    {
        if (0 == depth)
        {
            throw new IllegalStateException("no nested object is open");
        }
        text.append('}');
        first = false;
        depth--;
        return this;
    }

    /**
     * Close every open object and return the line.
     *
     * @return the JSON text, without a line end.
     */
    String end()
    {
        while (depth > 0)
        {
            endObject();
        }
        return text.append('}').toString();
    }

    private void name(final String name)
    {
        if (!first)
        {
            text.append(',');
        }
        first = false;
        quote(name);
        text.append(':');
    }

    private void quote(final String value)
    {
        text.append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"':
                    text.append("\\\"");
                    break;
                case '\\':
                    text.append("\\\\");
                    break;
                case '\n':
                    text.append("\\n");
                    break;
                case '\r':
                    text.append("\\r");
                    break;
                case '\t':
                    text.append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        text.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        text.append(c);
                    }
                    break;
            }
        }
        text.append('"');
    }
}
