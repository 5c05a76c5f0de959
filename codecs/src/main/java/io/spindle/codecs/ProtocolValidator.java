package io.spindle.codecs;

import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.collections.ArrayUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.spindle.codecs.MessageLayout.CURRENT_VERSION;
import static io.spindle.codecs.MessageLayout.GROUP_HEADER_LENGTH;
import static io.spindle.codecs.MessageLayout.MAX_GROUP_COUNT;
import static io.spindle.codecs.MessageLayout.VAR_DATA_HEADER_LENGTH;

/**
 * The one check every inbound frame passes before anything decodes it: header, template, version, and every
 * block, group and var-data length of the whole message, nested groups included.
 * <p>
 * A frame {@link ValidationResult#OK accepted} here can be decoded with the generated decoder, wrapped with the
 * header's block length and version, reading every field, group and var-data field in schema order, without
 * reading a byte outside the frame. Unknown enum values decode to {@code SBE_UNKNOWN} (the codecs are generated
 * with {@code sbe.decode.unknown.enum.values}); field values are not checked here.
 * <p>
 * After a rejection, {@link #templateId()} and {@link #correlationId()} say which request to answer, when the
 * frame got that far, {@link #errorCode()} what to answer with and {@link #appendReason(StringBuilder)} why, e.g.:
 * <pre>{@code
 * if (ValidationResult.OK != validator.validate(buffer, offset, length))
 * {
 *     errorResponseEncoder.wrapAndApplyHeader(out, 0, headerEncoder)
 *         .correlationId(validator.correlationId())
 *         .errorCode(validator.errorCode())
 *         .requestTemplateId(validator.templateId())
 *         .errorMessage(validator.appendReason(reasonBuilder).toString());
 * }
 * }</pre>
 * <p>
 * Every length is checked explicitly before it is used, and the walk never reads outside the frame: the validator
 * neither throws nor relies on the {@link IndexOutOfBoundsException} of Agrona's bounds checks, because those can
 * be switched off ({@code agrona.disable.bounds.checks}), and because an exception per bad frame would allocate on
 * a path any client can drive. It also does not walk with the generated decoders' {@code sbeSkip()}: in SBE 1.38.1
 * that casts a uint32 var-data length of 2^31 or more to a negative int and moves the limit backwards, and it
 * neither bounds the group counts nor checks group block lengths, so a frame it walks to the end of may still make
 * the decoder read past it. The tests check the two walks agree on every valid message.
 * <p>
 * Allocation free once constructed, apart from {@link #reason()}. Not thread safe: one instance per thread, whose
 * accessors describe the last frame validated until the next call.
 */
public final class ProtocolValidator
{
    /**
     * {@link #templateId()} when the frame is too short or of another schema.
     */
    public static final int NULL_TEMPLATE_ID = -1;

    /**
     * {@link #correlationId()} when the frame has none or it could not be read; the value ErrorResponse documents.
     */
    public static final long NULL_CORRELATION_ID = -1;

    /**
     * {@link #version()} when the frame has no readable header.
     */
    public static final int NULL_VERSION = -1;

    /**
     * Length of the message header that begins every frame.
     */
    public static final int HEADER_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH;

    private static final ByteOrder BYTE_ORDER = MessageHeaderDecoder.BYTE_ORDER;
    private static final int CORRELATION_ID_LENGTH = Long.BYTES;
    private static final int FAILED = -1;
    private static final int NO_ENTRY = -1;

    private enum Check
    {
        NONE,
        FRAME_OUTSIDE_BUFFER,
        FRAME_SHORTER_THAN_HEADER,
        SCHEMA_ID,
        VERSION,
        TEMPLATE_ID,
        BLOCK_LENGTH_TOO_SMALL,
        BLOCK_OVERRUNS_FRAME,
        GROUP_HEADER_OVERRUNS_FRAME,
        GROUP_BLOCK_LENGTH_TOO_SMALL,
        GROUP_COUNT_TOO_LARGE,
        GROUP_BLOCKS_OVERRUN_FRAME,
        GROUP_ENTRY_OVERRUNS_FRAME,
        VAR_DATA_HEADER_OVERRUNS_FRAME,
        VAR_DATA_LENGTH_TOO_LARGE,
        VAR_DATA_OVERRUNS_FRAME
    }

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final UnsafeBuffer frame = new UnsafeBuffer(ArrayUtil.EMPTY_BYTE_ARRAY);

    private ValidationResult result = ValidationResult.TOO_SHORT;
    private Check failedCheck = Check.NONE;
    private int frameOffset;
    private int frameLength;
    private int templateId;
    private int version;
    private int blockLength;
    private long correlationId;
    private int decodedLength;
    private MessageLayout layout;
    private MessageLayout.Element failedElement;
    private MessageLayout.Element failedParent;
    private int failedEntryIndex;
    private int failedPosition;
    private long failedValue;
    private long failedBound;

    /**
     * Validates one frame: the header, then the whole message it announces.
     *
     * @param buffer holding the frame.
     * @param offset of the frame's message header in the buffer.
     * @param length of the frame in bytes; bytes after the message are allowed, see {@link #decodedLength()}.
     * @return {@link ValidationResult#OK} or why the frame was rejected; never throws.
     */
    public ValidationResult validate(final DirectBuffer buffer, final int offset, final int length)
    {
        reset(offset, length);

        if (null == buffer || offset < 0 || length < 0 || offset > buffer.capacity() - length)
        {
            return fail(
                ValidationResult.TRUNCATED, Check.FRAME_OUTSIDE_BUFFER, 0, null == buffer ? -1 : buffer.capacity());
        }

        if (length < HEADER_LENGTH)
        {
            return fail(ValidationResult.TOO_SHORT, Check.FRAME_SHORTER_THAN_HEADER, length, HEADER_LENGTH);
        }

        frame.wrap(buffer, offset, length);
        headerDecoder.wrap(frame, 0);

        final int schemaId = headerDecoder.schemaId();
        if (MessageHeaderDecoder.SCHEMA_ID != schemaId)
        {
            return fail(ValidationResult.WRONG_SCHEMA, Check.SCHEMA_ID, schemaId, MessageHeaderDecoder.SCHEMA_ID);
        }

        templateId = headerDecoder.templateId();
        version = headerDecoder.version();
        blockLength = headerDecoder.blockLength();
        layout = ProtocolLayouts.layout(templateId);
        readCorrelationId();

        if (version > CURRENT_VERSION)
        {
            return fail(ValidationResult.UNSUPPORTED_VERSION, Check.VERSION, version, CURRENT_VERSION);
        }

        if (null == layout)
        {
            return fail(ValidationResult.UNKNOWN_TEMPLATE, Check.TEMPLATE_ID, templateId, 0);
        }

        final int minBlockLength = layout.minBlockLength(version);
        if (blockLength < minBlockLength)
        {
            return fail(ValidationResult.MALFORMED, Check.BLOCK_LENGTH_TOO_SMALL, blockLength, minBlockLength);
        }

        if (blockLength > length - HEADER_LENGTH)
        {
            return fail(ValidationResult.TRUNCATED, Check.BLOCK_OVERRUNS_FRAME, blockLength, length - HEADER_LENGTH);
        }

        final int limit = walk(layout.elements, HEADER_LENGTH + blockLength, null, NO_ENTRY);
        if (FAILED == limit)
        {
            return result;
        }

        decodedLength = limit;
        result = ValidationResult.OK;

        return result;
    }

    /**
     * Result of the last {@link #validate(DirectBuffer, int, int)}.
     *
     * @return the last result.
     */
    public ValidationResult result()
    {
        return result;
    }

    /**
     * Error code to answer the last frame with, {@link ErrorCode#NONE} when it was accepted.
     *
     * @return the last result's error code.
     */
    public ErrorCode errorCode()
    {
        return result.errorCode();
    }

    /**
     * Template id from the last frame's header, known to the schema or not.
     *
     * @return the template id, or {@link #NULL_TEMPLATE_ID} when the frame was too short or of another schema.
     */
    public int templateId()
    {
        return templateId;
    }

    /**
     * Version from the last frame's header.
     *
     * @return the acting version, or {@link #NULL_VERSION} when the frame was too short or of another schema.
     */
    public int version()
    {
        return version;
    }

    /**
     * The correlationId of the last frame, to name the request in an ErrorResponse.
     * <p>
     * Read whenever the frame is of this schema and its root block holds 8 bytes, whatever else is wrong with it;
     * for an unknown template it assumes the convention that every request begins with its int64 correlationId.
     *
     * @return the correlationId, or {@link #NULL_CORRELATION_ID} when the frame has none (session events) or it
     * could not be read.
     */
    public long correlationId()
    {
        return correlationId;
    }

    /**
     * Bytes of the last frame the message occupies, header included; the frame may be longer.
     *
     * @return the decoded length when the frame was accepted, else 0.
     */
    public int decodedLength()
    {
        return decodedLength;
    }

    /**
     * Appends why the last frame was rejected (or a summary when accepted) without allocating beyond the builder.
     *
     * @param builder to append to.
     * @return the builder.
     */
    public StringBuilder appendReason(final StringBuilder builder)
    {
        switch (failedCheck)
        {
            case NONE:
                builder.append("ok: ");
                appendMessage(builder).append(" of ").append(decodedLength).append(" bytes in a frame of ")
                    .append(frameLength);
                break;

            case FRAME_OUTSIDE_BUFFER:
                builder.append("frame at offset ").append(frameOffset).append(" of length ").append(frameLength)
                    .append(" lies outside the buffer of capacity ").append(failedBound);
                break;

            case FRAME_SHORTER_THAN_HEADER:
                builder.append("frame of ").append(frameLength).append(" bytes is shorter than the ")
                    .append(HEADER_LENGTH).append("-byte message header");
                break;

            case SCHEMA_ID:
                builder.append("schema id ").append(failedValue).append(" is not the Spindle protocol's ")
                    .append(failedBound);
                break;

            case VERSION:
                appendMessage(builder).append(": version ").append(failedValue)
                    .append(" is newer than the supported version ").append(failedBound);
                break;

            case TEMPLATE_ID:
                builder.append("unknown template id ").append(templateId).append(" (version ").append(version)
                    .append(')');
                break;

            case BLOCK_LENGTH_TOO_SMALL:
                appendMessage(builder).append(": block length ").append(failedValue)
                    .append(" is less than the ").append(failedBound).append(" bytes of its fixed fields");
                break;

            case BLOCK_OVERRUNS_FRAME:
                appendMessage(builder).append(": block of ").append(failedValue)
                    .append(" bytes overruns the frame, only ").append(failedBound).append(" bytes follow the header");
                break;

            case GROUP_HEADER_OVERRUNS_FRAME:
                appendPath(builder).append(" group header at ").append(failedPosition).append(" overruns the ")
                    .append(frameLength).append("-byte frame");
                break;

            case GROUP_BLOCK_LENGTH_TOO_SMALL:
                appendPath(builder).append(" block length ").append(failedValue).append(" at ").append(failedPosition)
                    .append(" is less than the ").append(failedBound).append(" bytes of its fixed fields");
                break;

            case GROUP_COUNT_TOO_LARGE:
                appendPath(builder).append(" count ").append(failedValue).append(" at ").append(failedPosition)
                    .append(" exceeds the maximum ").append(failedBound);
                break;

            case GROUP_BLOCKS_OVERRUN_FRAME:
                appendPath(builder).append(" header at ").append(failedPosition).append(" announces ")
                    .append(failedValue).append(" bytes of entries but only ").append(failedBound)
                    .append(" bytes follow it");
                break;

            case GROUP_ENTRY_OVERRUNS_FRAME:
                appendPath(builder).append(" block of ").append(failedValue).append(" bytes at ")
                    .append(failedPosition).append(" overruns the ").append(frameLength).append("-byte frame");
                break;

            case VAR_DATA_HEADER_OVERRUNS_FRAME:
                appendPath(builder).append(" length field at ").append(failedPosition).append(" overruns the ")
                    .append(frameLength).append("-byte frame");
                break;

            case VAR_DATA_LENGTH_TOO_LARGE:
                appendPath(builder).append(" length ").append(failedValue).append(" at ").append(failedPosition)
                    .append(" exceeds the maximum ").append(failedBound);
                break;

            case VAR_DATA_OVERRUNS_FRAME:
                appendPath(builder).append(" of ").append(failedValue).append(" bytes at ").append(failedPosition)
                    .append(" overruns the frame, only ").append(failedBound).append(" bytes follow its length field");
                break;
        }

        return builder;
    }

    /**
     * Why the last frame was rejected, e.g. for an ErrorResponse's errorMessage or a log; allocates.
     *
     * @return the reason, or a summary when the frame was accepted.
     */
    public String reason()
    {
        return appendReason(new StringBuilder(128)).toString();
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "ProtocolValidator{result=" + result + ", reason=" + reason() + '}';
    }

    private void reset(final int offset, final int length)
    {
        result = ValidationResult.TOO_SHORT;
        failedCheck = Check.NONE;
        frameOffset = offset;
        frameLength = length;
        templateId = NULL_TEMPLATE_ID;
        version = NULL_VERSION;
        blockLength = -1;
        correlationId = NULL_CORRELATION_ID;
        decodedLength = 0;
        layout = null;
        failedElement = null;
        failedParent = null;
        failedEntryIndex = NO_ENTRY;
        failedPosition = 0;
        failedValue = 0;
        failedBound = 0;
    }

    private void readCorrelationId()
    {
        if ((null == layout || MessageLayout.FirstField.CORRELATION_ID == layout.firstField) &&
            blockLength >= CORRELATION_ID_LENGTH &&
            frameLength - HEADER_LENGTH >= CORRELATION_ID_LENGTH)
        {
            correlationId = frame.getLong(HEADER_LENGTH, BYTE_ORDER);
        }
    }

    /**
     * Walks groups and var data in schema order from {@code limit}, as the generated decoder reads them.
     * <p>
     * Each group entry either advances the limit or is empty, in which case so are the rest of its group's entries
     * and they are not walked: the work is bounded by the frame's length, not by the product of nested counts.
     *
     * @return the limit after the elements, or {@link #FAILED} with the failure recorded.
     */
    private int walk(
        final MessageLayout.Element[] elements,
        final int start,
        final MessageLayout.Element parent,
        final int entryIndex)
    {
        int limit = start;
        for (final MessageLayout.Element element : elements)
        {
            if (element.sinceVersion > version)
            {
                continue;
            }

            limit = element.isGroup() ?
                walkGroup(element, limit, parent, entryIndex) :
                skipVarData(element, limit, parent, entryIndex);

            if (FAILED == limit)
            {
                break;
            }
        }

        return limit;
    }

    private int walkGroup(
        final MessageLayout.Element group,
        final int limit,
        final MessageLayout.Element parent,
        final int entryIndex)
    {
        if (limit > frameLength - GROUP_HEADER_LENGTH)
        {
            return fail(Check.GROUP_HEADER_OVERRUNS_FRAME, group, parent, entryIndex, limit, 0, 0);
        }

        final int groupBlockLength = frame.getShort(limit, BYTE_ORDER) & 0xFFFF;
        final int count = frame.getShort(limit + 2, BYTE_ORDER) & 0xFFFF;

        final int minBlockLength = group.minBlockLength(version);
        if (groupBlockLength < minBlockLength)
        {
            return fail(
                Check.GROUP_BLOCK_LENGTH_TOO_SMALL, group, parent, entryIndex, limit, groupBlockLength, minBlockLength);
        }

        if (count > MAX_GROUP_COUNT)
        {
            return fail(Check.GROUP_COUNT_TOO_LARGE, group, parent, entryIndex, limit, count, MAX_GROUP_COUNT);
        }

        int position = limit + GROUP_HEADER_LENGTH;
        final int remaining = frameLength - position;
        final long blocksLength = (long)count * groupBlockLength;
        if (blocksLength > remaining)
        {
            return fail(Check.GROUP_BLOCKS_OVERRUN_FRAME, group, parent, entryIndex, limit, blocksLength, remaining);
        }

        for (int i = 0; i < count; i++)
        {
            final int entryStart = position;
            if (groupBlockLength > frameLength - position)
            {
                return fail(Check.GROUP_ENTRY_OVERRUNS_FRAME, group, group, i, position, groupBlockLength, 0);
            }

            position = walk(group.children, position + groupBlockLength, group, i);
            if (FAILED == position || entryStart == position)
            {
                break;
            }
        }

        return position;
    }

    private int skipVarData(
        final MessageLayout.Element varData,
        final int limit,
        final MessageLayout.Element parent,
        final int entryIndex)
    {
        if (limit > frameLength - VAR_DATA_HEADER_LENGTH)
        {
            return fail(Check.VAR_DATA_HEADER_OVERRUNS_FRAME, varData, parent, entryIndex, limit, 0, 0);
        }

        final long dataLength = frame.getInt(limit, BYTE_ORDER) & 0xFFFF_FFFFL;
        if (dataLength > varData.maxLength)
        {
            return fail(
                Check.VAR_DATA_LENGTH_TOO_LARGE, varData, parent, entryIndex, limit, dataLength, varData.maxLength);
        }

        final int dataOffset = limit + VAR_DATA_HEADER_LENGTH;
        final int remaining = frameLength - dataOffset;
        if (dataLength > remaining)
        {
            return fail(Check.VAR_DATA_OVERRUNS_FRAME, varData, parent, entryIndex, limit, dataLength, remaining);
        }

        return dataOffset + (int)dataLength;
    }

    private ValidationResult fail(
        final ValidationResult result, final Check check, final long value, final long bound)
    {
        this.result = result;
        failedCheck = check;
        failedValue = value;
        failedBound = bound;

        return result;
    }

    private int fail(
        final Check check,
        final MessageLayout.Element element,
        final MessageLayout.Element parent,
        final int entryIndex,
        final int position,
        final long value,
        final long bound)
    {
        final boolean malformed =
            Check.GROUP_BLOCK_LENGTH_TOO_SMALL == check ||
            Check.GROUP_COUNT_TOO_LARGE == check ||
            Check.VAR_DATA_LENGTH_TOO_LARGE == check;

        fail(malformed ? ValidationResult.MALFORMED : ValidationResult.TRUNCATED, check, value, bound);
        failedElement = element;
        failedParent = parent;
        failedEntryIndex = entryIndex;
        failedPosition = position;

        return FAILED;
    }

    private StringBuilder appendMessage(final StringBuilder builder)
    {
        builder.append(null == layout ? ProtocolNames.UNKNOWN_MESSAGE : layout.name)
            .append(" (template id ").append(templateId).append(", version ").append(version);

        if (NULL_CORRELATION_ID != correlationId)
        {
            builder.append(", correlationId ").append(correlationId);
        }

        return builder.append(')');
    }

    private StringBuilder appendPath(final StringBuilder builder)
    {
        appendMessage(builder).append(": ");
        if (null == failedParent)
        {
            builder.append(failedElement.path());
        }
        else if (failedParent == failedElement)
        {
            builder.append(failedElement.path()).append('[').append(failedEntryIndex).append(']');
        }
        else
        {
            builder.append(failedParent.path()).append('[').append(failedEntryIndex).append("].")
                .append(failedElement.name);
        }

        return builder;
    }
}
