package io.spindle.codecs;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Every message of the schema, encoded with its generated encoder in several shapes (empty, one and several
 * entries in every group at every depth, empty, ASCII and multi-byte UTF-8 strings, opaque bytes), is accepted by
 * the validator with its exact length, decodes to the values written, and is rejected at every shorter length.
 */
class ProtocolRoundTripTest
{
    private static final ProtocolSchema SCHEMA = ProtocolSchema.load();
    private static final ReflectiveCodec CODEC = new ReflectiveCodec(SCHEMA);
    private static final int RANDOM_SHAPES = 4;

    private record Case(ProtocolSchema.Block message, String shapeName, ReflectiveCodec.Shape shape, long seed)
    {
    }

    private final ProtocolValidator validator = new ProtocolValidator();

    @Test
    void coversEveryTemplateOfTheSchemaInEveryShape()
    {
        final Set<Integer> schemaIds = new TreeSet<>(SCHEMA.templateIds());
        final Map<String, Set<Integer>> testedIdsByShape = new LinkedHashMap<>();
        for (final Case testCase : cases())
        {
            testedIdsByShape.computeIfAbsent(testCase.shapeName().replaceAll("-\\d+$", ""), (k) -> new TreeSet<>())
                .add(testCase.message().id());
        }

        assertEquals(List.of("empty", "one", "several", "random"), List.copyOf(testedIdsByShape.keySet()));
        testedIdsByShape.forEach((shape, ids) -> assertEquals(schemaIds, ids, shape));

        final Set<Integer> layoutIds = new TreeSet<>();
        for (int i = 0; i < ProtocolLayouts.count(); i++)
        {
            layoutIds.add(ProtocolLayouts.layoutAt(i).templateId);
        }
        assertEquals(schemaIds, layoutIds);
    }

    @TestFactory
    Stream<DynamicTest> roundTripEveryMessage()
    {
        return cases().stream().map((testCase) -> DynamicTest.dynamicTest(
            testCase.message().id() + " " + testCase.message().name() + " " + testCase.shapeName(),
            () -> roundTrip(testCase)));
    }

    private void roundTrip(final Case testCase)
    {
        final ProtocolSchema.Block message = testCase.message();
        final Random random = new Random(testCase.seed());
        final ReflectiveCodec.Encoded encoded = CODEC.encode(message, testCase.shape(), random);
        final byte[] frame = encoded.frame();
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);

        assertEquals(ValidationResult.OK, validator.validate(buffer, 0, frame.length), validator::reason);
        assertEquals(frame.length, validator.decodedLength());
        assertEquals(message.id(), validator.templateId());
        assertEquals(SCHEMA.version, validator.version());
        final Object correlationId = encoded.values().get("correlationId");
        assertEquals(null == correlationId ? ProtocolValidator.NULL_CORRELATION_ID : correlationId,
            validator.correlationId());

        final int blockLength = buffer.getShort(0, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final ReflectiveCodec.Decoded decoded = CODEC.decode(message, buffer, blockLength, SCHEMA.version);
        assertEquals(encoded.values(), decoded.values());
        assertEquals(frame.length, decoded.limit());
        assertEquals(frame.length, CODEC.sbeDecodedLength(message, buffer, blockLength, SCHEMA.version));

        final int offset = 1 + random.nextInt(64);
        final int trailing = random.nextInt(16);
        final byte[] larger = new byte[offset + frame.length + trailing + random.nextInt(16)];
        random.nextBytes(larger);
        System.arraycopy(frame, 0, larger, offset, frame.length);
        assertEquals(
            ValidationResult.OK, validator.validate(new UnsafeBuffer(larger), offset, frame.length + trailing),
            validator::reason);
        assertEquals(frame.length, validator.decodedLength());

        for (int length = 0; length < frame.length; length++)
        {
            final ValidationResult result = validator.validate(buffer, 0, length);
            assertNotEquals(ValidationResult.OK, result, "accepted at length " + length);
            assertEquals(
                length < ProtocolValidator.HEADER_LENGTH ? ValidationResult.TOO_SHORT : ValidationResult.TRUNCATED,
                result, validator::reason);
        }
    }

    private static List<Case> cases()
    {
        final List<Case> cases = new ArrayList<>();
        for (final ProtocolSchema.Block message : SCHEMA.messages)
        {
            final long seed = 31L * message.id();
            cases.add(new Case(message, "empty", ReflectiveCodec.EMPTY, seed));
            cases.add(new Case(message, "one", ReflectiveCodec.ONE, seed + 1));
            cases.add(new Case(message, "several", ReflectiveCodec.SEVERAL, seed + 2));
            for (int i = 0; i < RANDOM_SHAPES; i++)
            {
                cases.add(new Case(message, "random-" + i, ReflectiveCodec.RANDOM, seed + 3 + i));
            }
        }

        return cases;
    }
}
