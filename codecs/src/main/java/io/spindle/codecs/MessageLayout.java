package io.spindle.codecs;

import io.spindle.codecs.protocol.GroupSizeEncodingDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.VarDataEncodingDecoder;
import io.spindle.codecs.protocol.VarStringEncodingDecoder;
import org.agrona.sbe.MessageDecoderFlyweight;

import java.util.Arrays;

/**
 * The shape of one message of the schema as far as walking its encoding needs it: the root block length, then
 * its groups (nested to any depth) and var-data fields in schema order; fixed fields are only counted in block
 * lengths.
 * <p>
 * Template ids, names and block lengths are read from the generated decoder classes when the layout is built,
 * so they cannot drift from the schema; the order and nesting of groups and var data are written out in
 * {@link ProtocolLayouts} and checked against the schema XML by {@code ProtocolLayoutsTest}. Layouts are built
 * once, in {@link ProtocolLayouts}' static initialiser, are immutable from then on and shared by every thread.
 * <pre>
 *   message  := messageHeader rootBlock group* varData*
 *   group    := groupSizeEncoding(blockLength, numInGroup) entry{numInGroup}
 *   entry    := block group* varData*
 *   varData  := uint32 length, byte{length}
 * </pre>
 */
final class MessageLayout
{
    /**
     * The first field of the root block, an int64 at offset 0.
     */
    enum FirstField
    {
        /**
         * The client's correlationId, echoed in the response.
         */
        CORRELATION_ID,

        /**
         * A sessionId: the message belongs to a session and answers no request.
         */
        SESSION_ID
    }

    static final int CURRENT_VERSION = MessageHeaderDecoder.SCHEMA_VERSION;
    static final int GROUP_HEADER_LENGTH = GroupSizeEncodingDecoder.ENCODED_LENGTH;
    static final int MAX_GROUP_COUNT = GroupSizeEncodingDecoder.numInGroupMaxValue();
    static final int VAR_DATA_HEADER_LENGTH = VarStringEncodingDecoder.lengthEncodingLength();

    private static final String DECODER_SUFFIX = "Decoder";
    private static final Element[] NO_ELEMENTS = new Element[0];

    final int templateId;
    final String name;
    final FirstField firstField;
    final Element[] elements;
    private final int[] minBlockLengthByVersion;

    private MessageLayout(
        final int templateId,
        final String name,
        final FirstField firstField,
        final int[] minBlockLengthByVersion,
        final Element[] elements)
    {
        this.templateId = templateId;
        this.name = name;
        this.firstField = firstField;
        this.minBlockLengthByVersion = minBlockLengthByVersion;
        this.elements = elements;

        for (final Element element : elements)
        {
            element.qualify(name);
        }
    }

    /**
     * Smallest root block length a message of the given acting version may declare, for version &lt;= current.
     *
     * @param actingVersion version from the message header.
     * @return the end of the last fixed field that version has.
     */
    int minBlockLength(final int actingVersion)
    {
        return minBlockLengthByVersion[actingVersion];
    }

    int[] minBlockLengthByVersion()
    {
        return minBlockLengthByVersion.clone();
    }

    /**
     * A message whose fixed fields all exist since version 0, beginning with a correlationId.
     *
     * @param decoderClass the generated decoder, for TEMPLATE_ID, BLOCK_LENGTH and the name.
     * @param elements     groups and var data in schema order.
     * @return the layout.
     */
    static MessageLayout message(
        final Class<? extends MessageDecoderFlyweight> decoderClass, final Element... elements)
    {
        return message(decoderClass, FirstField.CORRELATION_ID, elements);
    }

    /**
     * A message, beginning with a correlationId, whose fixed fields from an offset on were added in a later version.
     *
     * @param decoderClass the generated decoder, for TEMPLATE_ID, BLOCK_LENGTH and the name.
     * @param since        the version that added fixed fields, and where the first of them begins.
     * @param elements     groups and var data in schema order.
     * @return the layout.
     */
    static MessageLayout message(
        final Class<? extends MessageDecoderFlyweight> decoderClass, final FieldsSince since, final Element... elements)
    {
        final int[] minBlockLengthByVersion = sinceVersion0(staticInt(decoderClass, "BLOCK_LENGTH"));
        for (int version = 0; version < since.version && version < minBlockLengthByVersion.length; version++)
        {
            minBlockLengthByVersion[version] = since.offset;
        }

        return new MessageLayout(staticInt(decoderClass, "TEMPLATE_ID"), decoderName(decoderClass),
            FirstField.CORRELATION_ID, minBlockLengthByVersion, elements);
    }

    /**
     * Fixed fields added to a message's block in a later version.
     *
     * @param version the version that added them.
     * @param offset  where the first of them begins: the block length of earlier versions.
     * @return the description.
     */
    static FieldsSince since(final int version, final int offset)
    {
        return new FieldsSince(version, offset);
    }

    /**
     * Fixed fields a later version added to a message, from an offset on.
     *
     * @param version the version that added them.
     * @param offset  where the first of them begins.
     */
    record FieldsSince(int version, int offset)
    {
    }

    /**
     * A message whose fixed fields all exist since version 0, beginning with a sessionId.
     *
     * @param decoderClass the generated decoder, for TEMPLATE_ID, BLOCK_LENGTH and the name.
     * @param elements     groups and var data in schema order.
     * @return the layout.
     */
    static MessageLayout sessionMessage(
        final Class<? extends MessageDecoderFlyweight> decoderClass, final Element... elements)
    {
        return message(decoderClass, FirstField.SESSION_ID, elements);
    }

    /**
     * A repeating group, present since version 0, whose fixed fields all exist since version 0.
     *
     * @param groupDecoderClass the generated group decoder, for sbeBlockLength() and the name.
     * @param children          nested groups and var data in schema order.
     * @return the element.
     */
    static Element group(final Class<?> groupDecoderClass, final Element... children)
    {
        final String className = decoderName(groupDecoderClass);
        final String name = Character.toLowerCase(className.charAt(0)) + className.substring(1);
        final int blockLength = (int)invokeStatic(groupDecoderClass, "sbeBlockLength");

        return new Element(Element.GROUP, name, 0, sinceVersion0(blockLength), 0, children);
    }

    /**
     * A repeating group, present since version 0, whose fixed fields from an offset on were added in a later version.
     *
     * @param groupDecoderClass the generated group decoder, for sbeBlockLength() and the name.
     * @param since             the version that added fixed fields, and where the first of them begins.
     * @param children          nested groups and var data in schema order.
     * @return the element.
     */
    static Element group(final Class<?> groupDecoderClass, final FieldsSince since, final Element... children)
    {
        final Element group = group(groupDecoderClass, children);
        final int[] minBlockLengthByVersion = group.minBlockLengthByVersion();
        for (int version = 0; version < since.version && version < minBlockLengthByVersion.length; version++)
        {
            minBlockLengthByVersion[version] = since.offset;
        }

        return new Element(Element.GROUP, group.name, 0, minBlockLengthByVersion, 0, children);
    }

    /**
     * A var-data field of type varStringEncoding (UTF-8), present since version 0.
     *
     * @param name the schema name of the field.
     * @return the element.
     */
    static Element string(final String name)
    {
        return new Element(
            Element.VAR_STRING, name, 0, null, VarStringEncodingDecoder.lengthMaxValue(), NO_ELEMENTS);
    }

    /**
     * A var-data field of type varStringEncoding (UTF-8) added in a later version.
     *
     * @param name         the schema name of the field.
     * @param sinceVersion the version that added it.
     * @return the element.
     */
    static Element string(final String name, final int sinceVersion)
    {
        return new Element(
            Element.VAR_STRING, name, sinceVersion, null, VarStringEncodingDecoder.lengthMaxValue(), NO_ELEMENTS);
    }

    /**
     * A var-data field of type varDataEncoding (opaque bytes), present since version 0.
     *
     * @param name the schema name of the field.
     * @return the element.
     */
    static Element bytes(final String name)
    {
        return new Element(
            Element.VAR_BYTES, name, 0, null, VarDataEncodingDecoder.lengthMaxValue(), NO_ELEMENTS);
    }

    private static MessageLayout message(
        final Class<? extends MessageDecoderFlyweight> decoderClass,
        final FirstField firstField,
        final Element[] elements)
    {
        final int templateId = staticInt(decoderClass, "TEMPLATE_ID");
        final int blockLength = staticInt(decoderClass, "BLOCK_LENGTH");

        return new MessageLayout(
            templateId, decoderName(decoderClass), firstField, sinceVersion0(blockLength), elements);
    }

    private static int[] sinceVersion0(final int blockLength)
    {
        final int[] minBlockLengthByVersion = new int[CURRENT_VERSION + 1];
        Arrays.fill(minBlockLengthByVersion, blockLength);

        return minBlockLengthByVersion;
    }

    private static String decoderName(final Class<?> decoderClass)
    {
        final String simpleName = decoderClass.getSimpleName();
        if (!simpleName.endsWith(DECODER_SUFFIX))
        {
            throw new IllegalArgumentException("not a generated decoder: " + decoderClass.getName());
        }

        return simpleName.substring(0, simpleName.length() - DECODER_SUFFIX.length());
    }

    private static int staticInt(final Class<?> type, final String fieldName)
    {
        try
        {
            return type.getField(fieldName).getInt(null);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException(type.getName() + "." + fieldName, ex);
        }
    }

    private static Object invokeStatic(final Class<?> type, final String methodName)
    {
        try
        {
            return type.getMethod(methodName).invoke(null);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException(type.getName() + "." + methodName + "()", ex);
        }
    }

    /**
     * A group or var-data field of a message or of an enclosing group.
     */
    static final class Element
    {
        static final int GROUP = 1;
        static final int VAR_STRING = 2;
        static final int VAR_BYTES = 3;

        final int kind;
        final String name;
        final int sinceVersion;
        final long maxLength;
        final Element[] children;
        private final int[] minBlockLengthByVersion;
        private String path;

        private Element(
            final int kind,
            final String name,
            final int sinceVersion,
            final int[] minBlockLengthByVersion,
            final long maxLength,
            final Element[] children)
        {
            this.kind = kind;
            this.name = name;
            this.sinceVersion = sinceVersion;
            this.minBlockLengthByVersion = minBlockLengthByVersion;
            this.maxLength = maxLength;
            this.children = children;
        }

        boolean isGroup()
        {
            return GROUP == kind;
        }

        /**
         * Smallest entry block length a group of the given acting version may declare.
         *
         * @param actingVersion version from the message header, at least {@link #sinceVersion}.
         * @return the end of the last fixed field that version has in each entry.
         */
        int minBlockLength(final int actingVersion)
        {
            return minBlockLengthByVersion[actingVersion];
        }

        int[] minBlockLengthByVersion()
        {
            return minBlockLengthByVersion.clone();
        }

        /**
         * Dotted path from the message, e.g. {@code ProduceRequest.partitions.recordBatch}.
         *
         * @return the path.
         */
        String path()
        {
            return path;
        }

        private void qualify(final String parentPath)
        {
            if (null != path)
            {
                throw new IllegalStateException("element shared between layouts: " + path);
            }

            path = parentPath + '.' + name;
            for (final Element child : children)
            {
                child.qualify(path);
            }
        }
    }
}
