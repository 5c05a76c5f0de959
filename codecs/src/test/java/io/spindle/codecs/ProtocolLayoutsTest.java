package io.spindle.codecs;

import io.spindle.codecs.protocol.MessageHeaderDecoder;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The hand-written {@link ProtocolLayouts} table against the schema XML and the generated decoders.
 */
class ProtocolLayoutsTest
{
    private static final ProtocolSchema SCHEMA = ProtocolSchema.load();

    @Test
    void schemaIdentityMatchesGeneratedCode()
    {
        assertEquals(MessageHeaderDecoder.SCHEMA_ID, SCHEMA.schemaId);
        assertEquals(MessageHeaderDecoder.SCHEMA_VERSION, SCHEMA.version);
        assertEquals(MessageHeaderDecoder.SCHEMA_VERSION, MessageLayout.CURRENT_VERSION);
    }

    @Test
    void everyTemplateOfTheSchemaHasALayoutAndNoOtherDoes()
    {
        final List<Integer> schemaIds = SCHEMA.templateIds();
        final Set<Integer> uniqueSchemaIds = new TreeSet<>(schemaIds);
        assertEquals(schemaIds.size(), uniqueSchemaIds.size(), "duplicate template ids in the schema");

        final Set<Integer> layoutIds = new TreeSet<>();
        for (int i = 0; i < ProtocolLayouts.count(); i++)
        {
            assertTrue(layoutIds.add(ProtocolLayouts.layoutAt(i).templateId));
        }
        assertEquals(uniqueSchemaIds, layoutIds);

        for (int templateId = -1; templateId <= 0xFFFF + 1; templateId++)
        {
            assertEquals(uniqueSchemaIds.contains(templateId), ProtocolNames.isKnownTemplate(templateId));
        }
    }

    @TestFactory
    Stream<DynamicTest> layoutOfEveryMessageMatchesTheSchema()
    {
        return SCHEMA.messages.stream().map((message) -> DynamicTest.dynamicTest(
            message.id() + " " + message.name(), () -> assertLayoutMatches(message)));
    }

    private static void assertLayoutMatches(final ProtocolSchema.Block message) throws Exception
    {
        final MessageLayout layout = ProtocolLayouts.layout(message.id());
        assertNotNull(layout, "no layout for template " + message.id());
        assertEquals(message.name(), layout.name);
        assertEquals(message.name(), ProtocolNames.messageName(message.id()));

        final Class<?> decoderClass = Class.forName(SCHEMA.packageName + '.' + message.name() + "Decoder");
        final ProtocolSchema.Field first = message.fields().get(0);
        assertEquals(0, staticInt(decoderClass, first.name() + "EncodingOffset"));
        assertEquals(Long.BYTES, staticInt(decoderClass, first.name() + "EncodingLength"));
        switch (first.name())
        {
            case "correlationId" -> assertEquals(MessageLayout.FirstField.CORRELATION_ID, layout.firstField);
            case "sessionId" -> assertEquals(MessageLayout.FirstField.SESSION_ID, layout.firstField);
            default -> fail(message.name() + " begins with neither correlationId nor sessionId: " + first.name());
        }
        assertEquals(
            MessageLayout.FirstField.CORRELATION_ID == layout.firstField, ProtocolNames.hasCorrelationId(message.id()));

        assertBlockLengths(decoderClass, message, layout.minBlockLengthByVersion(), blockLengthConstant(decoderClass));
        assertElements(decoderClass, message, layout.elements, message.name());
    }

    private static void assertElements(
        final Class<?> decoderClass,
        final ProtocolSchema.Block block,
        final MessageLayout.Element[] elements,
        final String path) throws Exception
    {
        assertEquals(block.groups().size() + block.data().size(), elements.length, path + " element count");

        int i = 0;
        for (final ProtocolSchema.Block group : block.groups())
        {
            final MessageLayout.Element element = elements[i++];
            final String groupPath = path + '.' + group.name();
            assertTrue(element.isGroup(), groupPath + " is a group");
            assertEquals(group.name(), element.name);
            assertEquals(groupPath, element.path());
            assertEquals(group.sinceVersion(), element.sinceVersion, groupPath);
            assertEquals("groupSizeEncoding", group.dimensionType(), groupPath + " dimension type");

            final Class<?> groupClass = nestedClass(decoderClass, capitalise(group.name()) + "Decoder");
            assertEquals(MessageLayout.GROUP_HEADER_LENGTH, staticInt(groupClass, "sbeHeaderSize"), groupPath);
            assertEquals(MessageLayout.MAX_GROUP_COUNT, staticInt(groupClass, "countMaxValue"), groupPath);
            assertBlockLengths(groupClass, group, element.minBlockLengthByVersion(),
                staticInt(groupClass, "sbeBlockLength"));
            assertElements(groupClass, group, element.children, groupPath);
        }

        for (final ProtocolSchema.Data data : block.data())
        {
            final MessageLayout.Element element = elements[i++];
            final String dataPath = path + '.' + data.name();
            assertFalse(element.isGroup(), dataPath + " is var data");
            assertEquals(
                data.string() ? MessageLayout.Element.VAR_STRING : MessageLayout.Element.VAR_BYTES, element.kind,
                dataPath + " string or bytes");
            assertEquals(data.name(), element.name);
            assertEquals(dataPath, element.path());
            assertEquals(data.sinceVersion(), element.sinceVersion, dataPath);
            assertEquals(MessageLayout.VAR_DATA_HEADER_LENGTH, staticInt(decoderClass, data.name() + "HeaderLength"));

            final Class<?> encodingClass = Class.forName(
                SCHEMA.packageName + '.' + capitalise(data.type()) + "Decoder");
            assertEquals(encodingClass.getMethod("lengthMaxValue").invoke(null), element.maxLength, dataPath);
            assertEquals(
                Integer.BYTES, encodingClass.getMethod("lengthEncodingLength").invoke(null), dataPath + " uint32");
        }
    }

    /**
     * The smallest block of acting version v ends after the last fixed field version v has; the current version's
     * is the generated BLOCK_LENGTH, which the encoders always write.
     */
    private static void assertBlockLengths(
        final Class<?> decoderClass,
        final ProtocolSchema.Block block,
        final int[] minBlockLengthByVersion,
        final int currentBlockLength) throws Exception
    {
        assertEquals(SCHEMA.version + 1, minBlockLengthByVersion.length, block.name());
        for (int version = 0; version <= SCHEMA.version; version++)
        {
            int end = 0;
            for (final ProtocolSchema.Field field : block.fields())
            {
                assertEquals(field.sinceVersion(), staticInt(decoderClass, field.name() + "SinceVersion"));
                if (field.sinceVersion() <= version)
                {
                    end = Math.max(end, staticInt(decoderClass, field.name() + "EncodingOffset") +
                        staticInt(decoderClass, field.name() + "EncodingLength"));
                }
            }

            final int expected = version == SCHEMA.version ? currentBlockLength : end;
            assertEquals(expected, minBlockLengthByVersion[version], block.name() + " version " + version);
        }
    }

    private static int blockLengthConstant(final Class<?> type) throws Exception
    {
        return type.getField("BLOCK_LENGTH").getInt(null);
    }

    private static int staticInt(final Class<?> type, final String methodName) throws Exception
    {
        final Method method = type.getMethod(methodName);

        return ((Number)method.invoke(null)).intValue();
    }

    private static Class<?> nestedClass(final Class<?> outer, final String simpleName)
    {
        for (final Class<?> nested : outer.getClasses())
        {
            if (nested.getSimpleName().equals(simpleName))
            {
                return nested;
            }
        }

        throw new AssertionError("no nested class " + simpleName + " in " + outer.getName());
    }

    private static String capitalise(final String name)
    {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
