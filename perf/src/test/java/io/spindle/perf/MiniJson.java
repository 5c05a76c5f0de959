/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict little JSON reader for the tests: objects, arrays, strings, numbers ({@link Long} when integral, else
 * {@link Double}), booleans and null. Anything else, including trailing text, is an error, so a result line that is
 * not exactly one JSON object fails the test that reads it.
 */
final class MiniJson
{
    private final String text;
    private int position;

    private MiniJson(final String text)
    {
        this.text = text;
    }

    /**
     * Parse text that must be exactly one JSON object.
     *
     * @param text the JSON text.
     * @return the object's fields in order.
     * @throws IllegalArgumentException when the text is not one JSON object.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(final String text)
    {
        final MiniJson parser = new MiniJson(text);
        parser.skipWhitespace();
        if (parser.peek() != '{')
        {
            throw parser.error("expected an object");
        }
        final Object value = parser.value();
        parser.skipWhitespace();
        if (parser.position != text.length())
        {
            throw parser.error("trailing text");
        }
        return (Map<String, Object>)value;
    }

    private Object value()
    {
        skipWhitespace();
        final char c = peek();
        switch (c)
        {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                expect("true");
                return Boolean.TRUE;
            case 'f':
                expect("false");
                return Boolean.FALSE;
            case 'n':
                expect("null");
                return null;
            default:
                if (c == '-' || Character.isDigit(c))
                {
                    return number();
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private Map<String, Object> object()
    {
        final Map<String, Object> fields = new LinkedHashMap<>();
        position++;
        skipWhitespace();
        if (peek() == '}')
        {
            position++;
            return fields;
        }
        while (true)
        {
            skipWhitespace();
            final String name = string();
            skipWhitespace();
            expect(":");
            if (fields.containsKey(name))
            {
                throw error("duplicate field " + name);
            }
            fields.put(name, value());
            skipWhitespace();
            final char c = next();
            if (c == '}')
            {
                return fields;
            }
            if (c != ',')
            {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array()
    {
        final List<Object> values = new ArrayList<>();
        position++;
        skipWhitespace();
        if (peek() == ']')
        {
            position++;
            return values;
        }
        while (true)
        {
            values.add(value());
            skipWhitespace();
            final char c = next();
            if (c == ']')
            {
                return values;
            }
            if (c != ',')
            {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string()
    {
        if (next() != '"')
        {
            throw error("expected a string");
        }
        final StringBuilder value = new StringBuilder();
        while (true)
        {
            final char c = next();
            if (c == '"')
            {
                return value.toString();
            }
            if (c == '\\')
            {
                final char escaped = next();
                switch (escaped)
                {
                    case '"':
                    case '\\':
                    case '/':
                        value.append(escaped);
                        break;
                    case 'n':
                        value.append('\n');
                        break;
                    case 'r':
                        value.append('\r');
                        break;
                    case 't':
                        value.append('\t');
                        break;
                    case 'b':
                        value.append('\b');
                        break;
                    case 'f':
                        value.append('\f');
                        break;
                    case 'u':
                        if (position + 4 > text.length())
                        {
                            throw error("short \\u escape");
                        }
                        value.append((char)Integer.parseInt(text.substring(position, position + 4), 16));
                        position += 4;
                        break;
                    default:
                        throw error("bad escape \\" + escaped);
                }
            }
            else if (c < 0x20)
            {
                throw error("control character in a string");
            }
            else
            {
                value.append(c);
            }
        }
    }

    private Number number()
    {
        final int start = position;
        if (peek() == '-')
        {
            position++;
        }
        boolean integral = true;
        while (position < text.length())
        {
            final char c = text.charAt(position);
            if (Character.isDigit(c))
            {
                position++;
            }
            else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
            {
                integral = false;
                position++;
            }
            else
            {
                break;
            }
        }
        final String literal = text.substring(start, position);
        try
        {
            return integral ? (Number)Long.valueOf(literal) : (Number)Double.valueOf(literal);
        }
        catch (final NumberFormatException ex)
        {
            throw error("bad number " + literal);
        }
    }

    private void expect(final String literal)
    {
        if (!text.startsWith(literal, position))
        {
            throw error("expected " + literal);
        }
        position += literal.length();
    }

    private void skipWhitespace()
    {
        while (position < text.length() && Character.isWhitespace(text.charAt(position)))
        {
            position++;
        }
    }

    private char peek()
    {
        if (position >= text.length())
        {
            throw error("unexpected end");
        }
        return text.charAt(position);
    }

    private char next()
    {
        final char c = peek();
        position++;
        return c;
    }

    private IllegalArgumentException error(final String message)
    {
        return new IllegalArgumentException(message + " at " + position + " in: " + text);
    }
}
