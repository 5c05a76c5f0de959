package io.spindle.codecs;

import io.spindle.codecs.protocol.MessageHeaderDecoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded fuzzing of {@link ProtocolValidator}: random bytes, and valid messages of every template truncated at
 * every length or mutated (bit flips, byte overwrites, group block lengths and counts, var-data lengths, header
 * fields, another template's id, inserted and appended bytes, several at once).
 * <p>
 * Invariants: the validator never throws, and every frame it accepts decodes completely with the generated decoder
 * (every field, group entry and var-data field) from a buffer holding exactly the bytes it said the message
 * occupies, ending where the validator and the generated {@code sbeDecodedLength()} say it does. Agrona's bounds
 * checks are on in tests, so a read outside those bytes throws. Reproduce a failure with the seed it prints:
 * {@code -Dspindle.fuzz.seed=<seed>}; {@code -Dspindle.fuzz.iterations=<n>} runs longer.
 */
class ProtocolValidatorFuzzTest
{
    private static final long SEED = Long.getLong("spindle.fuzz.seed", 0x5EED_7413L);
    private static final int ITERATIONS = Integer.getInteger("spindle.fuzz.iterations", 100_000);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int HEADER = ProtocolValidator.HEADER_LENGTH;
    private static final ProtocolSchema SCHEMA = ProtocolSchema.load();
    private static final ReflectiveCodec CODEC = new ReflectiveCodec(SCHEMA);
    private static final int[] TEMPLATE_IDS = SCHEMA.templateIds().stream().mapToInt(Integer::intValue).toArray();

    private record Sample(ProtocolSchema.Block message, byte[] frame, List<ReflectiveCodec.Position> positions)
    {
    }

    private final ProtocolValidator validator = new ProtocolValidator();
    private final Map<ValidationResult, Integer> resultCounts = new EnumMap<>(ValidationResult.class);
    private final Random random = new Random(SEED);
    private int acceptedMutants;
    private long iteration;
    private boolean unmutated;

    @Test
    void validatorNeverThrowsAndAcceptedFramesDecodeWithinThemselves()
    {
        final long startNs = System.nanoTime();
        final List<Sample> corpus = corpus();

        for (final Sample sample : corpus)
        {
            for (int length = 0; length <= sample.frame().length; length++)
            {
                check(Arrays.copyOf(sample.frame(), length), "truncated " + sample.message().name() + " to " + length);
            }
        }

        final StringBuilder how = new StringBuilder();
        for (iteration = 0; iteration < ITERATIONS; iteration++)
        {
            how.setLength(0);
            unmutated = false;
            final byte[] frame = mutant(corpus, how);
            if (ValidationResult.OK == check(frame, how.toString()) && !unmutated)
            {
                acceptedMutants++;
            }
        }

        System.out.printf("seed=%d iterations=%d corpus=%d results=%s acceptedMutants=%d in %d ms%n",
            SEED, ITERATIONS, corpus.size(), resultCounts, acceptedMutants, (System.nanoTime() - startNs) / 1_000_000);

        for (final ValidationResult result : ValidationResult.values())
        {
            assertTrue(resultCounts.getOrDefault(result, 0) > 0, "never produced " + result + ", seed=" + SEED);
        }
        assertTrue(acceptedMutants > 100, "too few mutants accepted to exercise decoding: " + acceptedMutants);
    }

    private ValidationResult check(final byte[] frame, final String how)
    {
        final int offset = random.nextInt(4) == 0 ? 1 + random.nextInt(15) : 0;
        final byte[] holder = new byte[offset + frame.length + random.nextInt(8)];
        random.nextBytes(holder);
        System.arraycopy(frame, 0, holder, offset, frame.length);

        final ValidationResult result;
        try
        {
            result = validator.validate(new UnsafeBuffer(holder), offset, frame.length);
            assertTrue(validator.reason().length() > 0);
        }
        catch (final Throwable ex)
        {
            throw failure("validator threw", frame, how, ex);
        }
        resultCounts.merge(result, 1, Integer::sum);

        if (ValidationResult.OK == result)
        {
            final int decodedLength = validator.decodedLength();
            final ProtocolSchema.Block message = SCHEMA.message(validator.templateId());
            final UnsafeBuffer exact = new UnsafeBuffer(Arrays.copyOf(frame, decodedLength));
            final int blockLength = exact.getShort(0, LE) & 0xFFFF;
            final int version = exact.getShort(6, LE) & 0xFFFF;
            try
            {
                assertTrue(decodedLength <= frame.length);
                assertEquals(decodedLength, CODEC.decode(message, exact, blockLength, version).limit());
                assertEquals(decodedLength, CODEC.sbeDecodedLength(message, exact, blockLength, version));
            }
            catch (final Throwable ex)
            {
                throw failure("accepted frame failed to decode within " + decodedLength + " bytes", frame, how, ex);
            }
        }

        return result;
    }

    private byte[] mutant(final List<Sample> corpus, final StringBuilder how)
    {
        final Sample sample = corpus.get(random.nextInt(corpus.size()));
        byte[] frame = sample.frame().clone();
        how.append(sample.message().name()).append(':');

        switch (random.nextInt(12))
        {
            case 0:
            {
                frame = new byte[random.nextInt(200)];
                random.nextBytes(frame);
                how.append(" random ").append(frame.length).append(" bytes");
                return frame;
            }

            case 1:
            {
                frame = Arrays.copyOf(frame, Math.max(HEADER, random.nextInt(frame.length + 64)));
                random.nextBytes(frame);
                final int templateId = random.nextInt(8) == 0 ? random.nextInt(128) : pickTemplateId();
                putShort(frame, 0, random.nextBoolean() ? blockLengthOf(templateId) : random.nextInt(64));
                putShort(frame, 2, templateId);
                putShort(frame, 4, MessageHeaderDecoder.SCHEMA_ID);
                putShort(frame, 6, 0);
                how.append(" random body of ").append(frame.length).append(" after a header for ").append(templateId);
                return frame;
            }

            case 2:
                unmutated = true;
                how.append(" valid");
                return frame;

            default:
                frame = mutate(sample, frame, how);
                while (random.nextInt(4) == 0)
                {
                    frame = mutate(sample, frame, how);
                }
                return frame;
        }
    }

    private byte[] mutate(final Sample sample, final byte[] frame, final StringBuilder how)
    {
        final List<ReflectiveCodec.Position> positions = sample.positions();
        switch (random.nextInt(9))
        {
            case 0:
            {
                final int flips = 1 + random.nextInt(8);
                for (int i = 0; i < flips && frame.length > 0; i++)
                {
                    final int bit = random.nextInt(frame.length * 8);
                    frame[bit >> 3] ^= (byte)(1 << (bit & 7));
                    how.append(" flip bit ").append(bit);
                }
                return frame;
            }

            case 1:
            {
                final int length = random.nextInt(frame.length + 1);
                how.append(" truncate to ").append(length);
                return Arrays.copyOf(frame, length);
            }

            case 2:
            {
                final int field = random.nextInt(4);
                final int value = interesting16(field == 0 ? getShort(frame, 0) : 0);
                final int[] headerFieldValue =
                {
                    value,
                    random.nextBoolean() ? pickTemplateId() : value,
                    random.nextBoolean() ? MessageHeaderDecoder.SCHEMA_ID + random.nextInt(3) - 1 : value,
                    random.nextBoolean() ? random.nextInt(3) : value
                };
                if (frame.length >= HEADER)
                {
                    putShort(frame, field * 2, headerFieldValue[field]);
                }
                how.append(" header field ").append(field).append(" := ").append(headerFieldValue[field]);
                return frame;
            }

            case 3:
            case 4:
            {
                final ReflectiveCodec.Position position = pickPosition(positions, true);
                if (null != position && position.offset() + 4 <= frame.length)
                {
                    final int at = position.offset() + (random.nextBoolean() ? 0 : 2);
                    final int value = interesting16(getShort(frame, at));
                    putShort(frame, at, value);
                    how.append(at == position.offset() ? " group block length at " : " group count at ")
                        .append(position.offset()).append(" := ").append(value);
                }
                return frame;
            }

            case 5:
            case 6:
            {
                final ReflectiveCodec.Position position = pickPosition(positions, false);
                if (null != position && position.offset() + 4 <= frame.length)
                {
                    final long original = new UnsafeBuffer(frame).getInt(position.offset(), LE) & 0xFFFF_FFFFL;
                    final int value = interesting32(original, frame.length - position.offset() - 4);
                    new UnsafeBuffer(frame).putInt(position.offset(), value, LE);
                    how.append(" var-data length at ").append(position.offset()).append(" := ")
                        .append(value & 0xFFFF_FFFFL);
                }
                return frame;
            }

            case 7:
            {
                final int writes = 1 + random.nextInt(4);
                for (int i = 0; i < writes && frame.length > 0; i++)
                {
                    final int at = random.nextInt(frame.length);
                    final int pick = random.nextInt(3);
                    frame[at] = pick == 0 ? 0 : pick == 1 ? (byte)0xFF : (byte)random.nextInt();
                    how.append(" byte ").append(at).append(" := ").append(frame[at] & 0xFF);
                }
                return frame;
            }

            default:
            {
                final int at = random.nextBoolean() ? frame.length : random.nextInt(frame.length + 1);
                final int count = 1 + random.nextInt(random.nextBoolean() ? 4 : 64);
                final byte[] result = new byte[frame.length + count];
                System.arraycopy(frame, 0, result, 0, at);
                for (int i = at; i < at + count; i++)
                {
                    result[i] = (byte)random.nextInt();
                }
                System.arraycopy(frame, at, result, at + count, frame.length - at);
                how.append(" insert ").append(count).append(" bytes at ").append(at);
                return result;
            }
        }
    }

    private int interesting16(final int original)
    {
        final int[] values = { 0, 1, 2, 4, 7, 8, 12, 16, 20, 24, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE,
            0xFFFF, original - 1, original + 1, original * 2, random.nextInt(0x10000) };

        return values[random.nextInt(values.length)] & 0xFFFF;
    }

    private int interesting32(final long original, final int remaining)
    {
        final long[] values = { 0, 1, original - 1, original + 1, original * 2, remaining, remaining + 1L,
            remaining - 1L, 0x3FFF_FFFFL, 0x4000_0000L, 0x4000_0001L, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFCL,
            0xFFFF_FFFFL, -original, random.nextInt() };

        return (int)values[random.nextInt(values.length)];
    }

    private ReflectiveCodec.Position pickPosition(final List<ReflectiveCodec.Position> positions, final boolean group)
    {
        final List<ReflectiveCodec.Position> candidates = new ArrayList<>();
        for (final ReflectiveCodec.Position position : positions)
        {
            if (position.group() == group)
            {
                candidates.add(position);
            }
        }

        return candidates.isEmpty() ? null : candidates.get(random.nextInt(candidates.size()));
    }

    private int pickTemplateId()
    {
        return TEMPLATE_IDS[random.nextInt(TEMPLATE_IDS.length)];
    }

    private static int blockLengthOf(final int templateId)
    {
        final MessageLayout layout = ProtocolLayouts.layout(templateId);

        return null == layout ? 8 : layout.minBlockLength(0);
    }

    private List<Sample> corpus()
    {
        final ReflectiveCodec.Shape[] shapes =
        {
            ReflectiveCodec.EMPTY, ReflectiveCodec.ONE, ReflectiveCodec.SEVERAL,
            ReflectiveCodec.RANDOM, ReflectiveCodec.RANDOM, ReflectiveCodec.RANDOM
        };

        final List<Sample> corpus = new ArrayList<>();
        for (final ProtocolSchema.Block message : SCHEMA.messages)
        {
            for (final ReflectiveCodec.Shape shape : shapes)
            {
                final byte[] frame = CODEC.encode(message, shape, random).frame();
                final UnsafeBuffer buffer = new UnsafeBuffer(frame);
                final ReflectiveCodec.Decoded decoded =
                    CODEC.decode(message, buffer, buffer.getShort(0, LE) & 0xFFFF, SCHEMA.version);
                corpus.add(new Sample(message, frame, decoded.positions()));
            }
        }

        return corpus;
    }

    private AssertionError failure(final String what, final byte[] frame, final String how, final Throwable cause)
    {
        return new AssertionError(
            what + ": seed=" + SEED + " (rerun with -Dspindle.fuzz.seed=" + SEED + "), iteration=" + iteration +
            ", mutation=[" + how + "], result=" + validator.result() + ", reason=" + safeReason() +
            ", frame(" + frame.length + ")=" + ReflectiveCodec.hex(frame),
            cause);
    }

    private String safeReason()
    {
        try
        {
            return validator.reason();
        }
        catch (final Throwable ex)
        {
            return "reason() threw " + ex;
        }
    }

    private static int getShort(final byte[] frame, final int index)
    {
        return index + 2 <= frame.length ? new UnsafeBuffer(frame).getShort(index, LE) & 0xFFFF : 0;
    }

    private static void putShort(final byte[] frame, final int index, final int value)
    {
        if (index + 2 <= frame.length)
        {
            new UnsafeBuffer(frame).putShort(index, (short)value, LE);
        }
    }
}
