package io.spindle.codecs;

import io.spindle.codecs.protocol.MessageHeaderEncoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Encodes and decodes any message of the schema through the generated encoders and decoders, driven by the
 * {@link ProtocolSchema} model: every fixed field, every group entry (nested) and every var-data field, in schema
 * order. Values are kept as a tree of maps (field name to value, group name to a list of entries, var data as a
 * String or as hex), so an encode and a decode compare with {@code equals}.
 */
final class ReflectiveCodec
{
    /**
     * How many entries groups get and what var data holds.
     */
    interface Shape
    {
        int count(Random random, int depth);

        String string(Random random);

        byte[] bytes(Random random);
    }

    /**
     * Every group empty, every var-data field empty.
     */
    static final Shape EMPTY = shape(0, 0, new String[]{ "" });

    /**
     * One entry in every group at every depth, ASCII strings.
     */
    static final Shape ONE = shape(1, 1, new String[]{ "a", "topic-1", "x" });

    /**
     * Several entries in every group, strings of 2-, 3- and 4-byte UTF-8 characters.
     */
    static final Shape SEVERAL = shape(3, 5, new String[]{ "grüße", "日本語トピック", "emoji-\uD83D\uDE80\uD83E\uDDF5", "é" });

    /**
     * Random group sizes from 0 to 4 and random strings, including empty and multi-byte ones.
     */
    static final Shape RANDOM = new Shape()
    {
        public int count(final Random random, final int depth)
        {
            return random.nextInt(depth == 0 ? 5 : 4);
        }

        public String string(final Random random)
        {
            final int length = random.nextInt(12);
            final StringBuilder builder = new StringBuilder(length);
            for (int i = 0; i < length; i++)
            {
                switch (random.nextInt(4))
                {
                    case 0 -> builder.append((char)('a' + random.nextInt(26)));
                    case 1 -> builder.append((char)(0xC0 + random.nextInt(0x100)));
                    case 2 -> builder.append((char)(0x4E00 + random.nextInt(0x500)));
                    default -> builder.appendCodePoint(0x1F300 + random.nextInt(0x200));
                }
            }

            return builder.toString();
        }

        public byte[] bytes(final Random random)
        {
            final byte[] bytes = new byte[random.nextInt(40)];
            random.nextBytes(bytes);

            return bytes;
        }
    };

    /**
     * Where the decoder read a group header or a var-data length field, as a frame offset.
     */
    record Position(boolean group, int offset)
    {
    }

    /**
     * An encoded frame (header included) and the values written.
     */
    record Encoded(ProtocolSchema.Block message, byte[] frame, Map<String, Object> values)
    {
    }

    /**
     * What a full decode read, and the decoder's limit after it as a frame offset.
     */
    record Decoded(Map<String, Object> values, int limit, List<Position> positions)
    {
    }

    private static final HexFormat HEX = HexFormat.of();

    private final String packagePrefix;
    private final Map<Class<?>, Map<String, Method>> methodsByClass = new HashMap<>();

    ReflectiveCodec(final ProtocolSchema schema)
    {
        packagePrefix = schema.packageName + '.';
    }

    Encoded encode(final ProtocolSchema.Block message, final Shape shape, final Random random)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        final Object encoder = newInstance(packagePrefix + message.name() + "Encoder");
        invoke(encoder, "wrapAndApplyHeader", new Class<?>[]{ MutableDirectBuffer.class, int.class,
            MessageHeaderEncoder.class }, buffer, 0, new MessageHeaderEncoder());

        final Map<String, Object> values = new LinkedHashMap<>();
        encodeBlock(encoder, message, shape, random, 0, values);

        final int length = ProtocolValidator.HEADER_LENGTH + (int)invoke(encoder, "encodedLength");
        final byte[] frame = new byte[length];
        buffer.getBytes(0, frame);

        return new Encoded(message, frame, values);
    }

    /**
     * Decodes a whole message with the generated decoder as a consumer would, reading every field.
     *
     * @param message     the message's schema.
     * @param buffer      holding the frame at offset 0.
     * @param blockLength from the header.
     * @param version     from the header.
     * @return what was read; a decoder exception propagates unwrapped.
     */
    Decoded decode(
        final ProtocolSchema.Block message, final DirectBuffer buffer, final int blockLength, final int version)
    {
        final Object decoder = newInstance(packagePrefix + message.name() + "Decoder");
        invoke(decoder, "wrap", new Class<?>[]{ DirectBuffer.class, int.class, int.class, int.class },
            buffer, ProtocolValidator.HEADER_LENGTH, blockLength, version);

        final Map<String, Object> values = new LinkedHashMap<>();
        final List<Position> positions = new ArrayList<>();
        decodeBlock(decoder, decoder, message, values, positions);

        return new Decoded(values, (int)invoke(decoder, "limit"), positions);
    }

    /**
     * The generated decoder's own {@code sbeDecodedLength()} (its {@code sbeSkip()} walk) for a frame, as an offset.
     *
     * @param message     the message's schema.
     * @param buffer      holding the frame at offset 0.
     * @param blockLength from the header.
     * @param version     from the header.
     * @return header length plus sbeDecodedLength().
     */
    int sbeDecodedLength(
        final ProtocolSchema.Block message, final DirectBuffer buffer, final int blockLength, final int version)
    {
        final Object decoder = newInstance(packagePrefix + message.name() + "Decoder");
        invoke(decoder, "wrap", new Class<?>[]{ DirectBuffer.class, int.class, int.class, int.class },
            buffer, ProtocolValidator.HEADER_LENGTH, blockLength, version);

        return ProtocolValidator.HEADER_LENGTH + (int)invoke(decoder, "sbeDecodedLength");
    }

    static String hex(final byte[] bytes)
    {
        return "0x" + HEX.formatHex(bytes);
    }

    private void encodeBlock(
        final Object encoder,
        final ProtocolSchema.Block block,
        final Shape shape,
        final Random random,
        final int depth,
        final Map<String, Object> values)
    {
        for (final ProtocolSchema.Field field : block.fields())
        {
            final Method setter = method(encoder.getClass(), field.name(), 1);
            final Object value = randomValue(setter.getParameterTypes()[0], random);
            invoke(encoder, setter, value);
            values.put(field.name(), value);
        }

        for (final ProtocolSchema.Block group : block.groups())
        {
            final int count = shape.count(random, depth);
            final Object groupEncoder = invoke(encoder, method(encoder.getClass(), group.name() + "Count", 1), count);
            final List<Map<String, Object>> entries = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                invoke(groupEncoder, "next");
                final Map<String, Object> entry = new LinkedHashMap<>();
                encodeBlock(groupEncoder, group, shape, random, depth + 1, entry);
                entries.add(entry);
            }
            values.put(group.name(), entries);
        }

        for (final ProtocolSchema.Data data : block.data())
        {
            if (data.string())
            {
                final String value = shape.string(random);
                invoke(encoder, data.name(), new Class<?>[]{ String.class }, value);
                values.put(data.name(), value);
            }
            else
            {
                final byte[] value = shape.bytes(random);
                invoke(encoder, "put" + capitalise(data.name()), new Class<?>[]{ byte[].class, int.class, int.class },
                    value, 0, value.length);
                values.put(data.name(), hex(value));
            }
        }
    }

    private void decodeBlock(
        final Object messageDecoder,
        final Object decoder,
        final ProtocolSchema.Block block,
        final Map<String, Object> values,
        final List<Position> positions)
    {
        for (final ProtocolSchema.Field field : block.fields())
        {
            values.put(field.name(), invoke(decoder, field.name()));
        }

        for (final ProtocolSchema.Block group : block.groups())
        {
            positions.add(new Position(true, (int)invoke(messageDecoder, "limit")));
            final Object groupDecoder = invoke(decoder, group.name());
            final int count = (int)invoke(groupDecoder, "count");
            final List<Map<String, Object>> entries = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                invoke(groupDecoder, "next");
                final Map<String, Object> entry = new LinkedHashMap<>();
                decodeBlock(messageDecoder, groupDecoder, group, entry, positions);
                entries.add(entry);
            }
            values.put(group.name(), entries);
        }

        for (final ProtocolSchema.Data data : block.data())
        {
            positions.add(new Position(false, (int)invoke(messageDecoder, "limit")));
            if (data.string())
            {
                values.put(data.name(), invoke(decoder, data.name()));
            }
            else
            {
                final int length = (int)invoke(decoder, data.name() + "Length");
                final byte[] value = new byte[length];
                final int copied = (int)invoke(decoder, "get" + capitalise(data.name()),
                    new Class<?>[]{ byte[].class, int.class, int.class }, value, 0, length);
                values.put(data.name(), hex(Arrays.copyOf(value, copied)));
            }
        }
    }

    private static Object randomValue(final Class<?> type, final Random random)
    {
        final int pick = random.nextInt(8);
        if (long.class == type)
        {
            return pick == 0 ? Long.MIN_VALUE : pick == 1 ? Long.MAX_VALUE : pick == 2 ? -1L : random.nextLong();
        }
        if (int.class == type)
        {
            return pick == 0 ? Integer.MIN_VALUE : pick == 1 ? Integer.MAX_VALUE : pick == 2 ? -1 : random.nextInt();
        }
        if (short.class == type)
        {
            return pick == 0 ? Short.MIN_VALUE : pick == 1 ? Short.MAX_VALUE : (short)random.nextInt();
        }
        if (byte.class == type)
        {
            return (byte)random.nextInt();
        }
        if (type.isEnum())
        {
            final List<Object> constants = new ArrayList<>();
            for (final Object constant : type.getEnumConstants())
            {
                final String name = ((Enum<?>)constant).name();
                if (!"SBE_UNKNOWN".equals(name) && !"NULL_VAL".equals(name))
                {
                    constants.add(constant);
                }
            }

            return constants.get(random.nextInt(constants.size()));
        }

        throw new IllegalStateException("no value generator for " + type);
    }

    private static Shape shape(final int count, final int bytesLength, final String[] strings)
    {
        return new Shape()
        {
            private int next;

            public int count(final Random random, final int depth)
            {
                return depth == 0 ? count : Math.min(count, 2);
            }

            public String string(final Random random)
            {
                return strings[next++ % strings.length];
            }

            public byte[] bytes(final Random random)
            {
                final byte[] bytes = new byte[bytesLength + (next++ % 3) * bytesLength];
                random.nextBytes(bytes);

                return bytes;
            }
        };
    }

    private static String capitalise(final String name)
    {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    private static Object newInstance(final String className)
    {
        try
        {
            return Class.forName(className).getConstructor().newInstance();
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException(className, ex);
        }
    }

    private Method method(final Class<?> type, final String name, final int parameterCount)
    {
        final Map<String, Method> methods = methodsByClass.computeIfAbsent(type, (t) -> new HashMap<>());
        final String key = name + '/' + parameterCount;
        Method method = methods.get(key);
        if (null == method)
        {
            for (final Method candidate : type.getMethods())
            {
                if (!candidate.isBridge() && candidate.getName().equals(name) &&
                    candidate.getParameterCount() == parameterCount)
                {
                    if (null != method)
                    {
                        throw new IllegalStateException("ambiguous " + type.getName() + "." + name);
                    }
                    method = candidate;
                }
            }

            if (null == method)
            {
                throw new IllegalStateException("no method " + type.getName() + "." + name + "/" + parameterCount);
            }
            methods.put(key, method);
        }

        return method;
    }

    private Object invoke(final Object target, final String name)
    {
        return invoke(target, method(target.getClass(), name, 0));
    }

    private Object invoke(final Object target, final String name, final Class<?>[] types, final Object... args)
    {
        final Map<String, Method> methods = methodsByClass.computeIfAbsent(target.getClass(), (t) -> new HashMap<>());
        final String key = name + Arrays.toString(types);
        Method method = methods.get(key);
        if (null == method)
        {
            try
            {
                method = target.getClass().getMethod(name, types);
            }
            catch (final NoSuchMethodException ex)
            {
                throw new IllegalStateException(ex);
            }
            methods.put(key, method);
        }

        return invoke(target, method, args);
    }

    private static Object invoke(final Object target, final Method method, final Object... args)
    {
        try
        {
            return method.invoke(target, args);
        }
        catch (final InvocationTargetException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof RuntimeException runtimeException)
            {
                throw runtimeException;
            }
            if (cause instanceof Error error)
            {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
        catch (final IllegalAccessException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
