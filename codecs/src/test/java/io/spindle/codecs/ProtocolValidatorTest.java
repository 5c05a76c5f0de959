package io.spindle.codecs;

import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.FetchRequestDecoder;
import io.spindle.codecs.protocol.FetchRequestEncoder;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.MetadataResponseDecoder;
import io.spindle.codecs.protocol.MetadataResponseEncoder;
import io.spindle.codecs.protocol.ProduceRequestDecoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import io.spindle.codecs.protocol.SessionKeepAliveEncoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProtocolValidatorTest
{
    private static final int HEADER = ProtocolValidator.HEADER_LENGTH;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final long CORRELATION_ID = 0x0102_0304_0506_0708L;
    private static final byte[] BATCH = "hello".getBytes(StandardCharsets.US_ASCII);
    private static final String TRANSACTIONAL_ID = "txn-ü";
    private static final int TRANSACTIONAL_ID_BYTES = TRANSACTIONAL_ID.getBytes(StandardCharsets.UTF_8).length;

    /**
     * Frame offsets in {@link #produceRequest()}.
     */
    private static final int PARTITIONS_AT = HEADER + ProduceRequestDecoder.BLOCK_LENGTH;
    private static final int FIRST_BATCH_LENGTH_AT =
        PARTITIONS_AT + 4 + ProduceRequestDecoder.PartitionsDecoder.sbeBlockLength();

    private final ProtocolValidator validator = new ProtocolValidator();

    @Test
    void acceptsProduceRequestAndNamesIt()
    {
        final byte[] frame = produceRequest();

        assertEquals(ValidationResult.OK, validate(frame), validator::reason);
        assertEquals(ValidationResult.OK, validator.result());
        assertEquals(ErrorCode.NONE, validator.errorCode());
        assertEquals(ProduceRequestDecoder.TEMPLATE_ID, validator.templateId());
        assertEquals(CORRELATION_ID, validator.correlationId());
        assertEquals(MessageHeaderDecoder.SCHEMA_VERSION, validator.version());
        assertEquals(frame.length, validator.decodedLength());
        assertTrue(validator.reason().startsWith("ok: ProduceRequest (template id 30"), validator.reason());

        final ProduceRequestDecoder decoder = new ProduceRequestDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(frame), 0, new MessageHeaderDecoder());
        assertEquals(CORRELATION_ID, decoder.correlationId());
        assertEquals(-1, decoder.acks());
        assertEquals(30_000, decoder.timeoutMs());
        assertEquals(7L, decoder.producerId());
        assertEquals(1, decoder.producerEpoch());
        final ProduceRequestDecoder.PartitionsDecoder partitions = decoder.partitions();
        assertEquals(2, partitions.count());
        assertEquals(3, partitions.next().topicId());
        assertEquals(0, partitions.partition());
        final byte[] batch = new byte[partitions.recordBatchLength()];
        partitions.getRecordBatch(batch, 0, batch.length);
        assertArrayEquals(BATCH, batch);
        assertEquals(1, partitions.next().partition());
        assertEquals(0, partitions.skipRecordBatch());
        assertEquals(TRANSACTIONAL_ID, decoder.transactionalId());
        assertEquals(frame.length, HEADER + decoder.encodedLength());
    }

    @Test
    void acceptsFrameAtAnOffsetFollowedByOtherBytes()
    {
        final byte[] frame = produceRequest();
        final byte[] buffer = new byte[frame.length + 50];
        Arrays.fill(buffer, (byte)0xA5);
        System.arraycopy(frame, 0, buffer, 13, frame.length);

        assertEquals(ValidationResult.OK, validator.validate(new UnsafeBuffer(buffer), 13, frame.length + 20));
        assertEquals(frame.length, validator.decodedLength());
        assertEquals(CORRELATION_ID, validator.correlationId());
    }

    @Test
    void rejectsFrameShorterThanHeader()
    {
        final byte[] frame = produceRequest();
        for (int length = 0; length < HEADER; length++)
        {
            assertEquals(ValidationResult.TOO_SHORT, validator.validate(new UnsafeBuffer(frame), 0, length));
            assertEquals(ErrorCode.INVALID_REQUEST, validator.errorCode());
            assertEquals(ProtocolValidator.NULL_TEMPLATE_ID, validator.templateId());
            assertEquals(ProtocolValidator.NULL_CORRELATION_ID, validator.correlationId());
            assertEquals(ProtocolValidator.NULL_VERSION, validator.version());
            assertEquals(0, validator.decodedLength());
            assertEquals(
                "frame of " + length + " bytes is shorter than the 8-byte message header", validator.reason());
        }
    }

    @Test
    void rejectsRegionOutsideTheBufferWithoutThrowing()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(produceRequest());
        final int capacity = buffer.capacity();

        assertEquals(ValidationResult.TRUNCATED, validator.validate(buffer, -1, 10));
        assertEquals(ValidationResult.TRUNCATED, validator.validate(buffer, 0, -1));
        assertEquals(ValidationResult.TRUNCATED, validator.validate(buffer, 0, capacity + 1));
        assertEquals(ValidationResult.TRUNCATED, validator.validate(buffer, 1, capacity));
        assertEquals(ValidationResult.TRUNCATED, validator.validate(buffer, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals(ValidationResult.TRUNCATED, validator.validate(buffer, capacity, Integer.MIN_VALUE));
        assertEquals(ValidationResult.TRUNCATED, validator.validate(null, 0, 0));
        assertEquals(ErrorCode.INVALID_REQUEST, validator.errorCode());
        assertEquals("frame at offset 0 of length 0 lies outside the buffer of capacity -1", validator.reason());
        assertEquals(ValidationResult.TOO_SHORT, validator.validate(buffer, capacity, 0));
    }

    @Test
    void rejectsOtherSchema()
    {
        final byte[] frame = produceRequest();
        putShort(frame, 4, MessageHeaderDecoder.SCHEMA_ID + 1);

        assertEquals(ValidationResult.WRONG_SCHEMA, validate(frame));
        assertEquals(ErrorCode.INVALID_REQUEST, validator.errorCode());
        assertEquals(ProtocolValidator.NULL_TEMPLATE_ID, validator.templateId());
        assertEquals(ProtocolValidator.NULL_CORRELATION_ID, validator.correlationId());
        assertEquals("schema id 7414 is not the Spindle protocol's 7413", validator.reason());
    }

    @Test
    void rejectsNewerVersionButNamesTheRequest()
    {
        final byte[] frame = produceRequest();
        putShort(frame, 6, MessageHeaderDecoder.SCHEMA_VERSION + 1);

        assertEquals(ValidationResult.UNSUPPORTED_VERSION, validate(frame));
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, validator.errorCode());
        assertEquals(ProduceRequestDecoder.TEMPLATE_ID, validator.templateId());
        assertEquals(CORRELATION_ID, validator.correlationId());
        final int newer = MessageHeaderDecoder.SCHEMA_VERSION + 1;
        assertEquals(newer, validator.version());
        assertEquals(
            "ProduceRequest (template id 30, version " + newer + ", correlationId " + CORRELATION_ID +
            "): version " + newer + " is newer than the supported version " + MessageHeaderDecoder.SCHEMA_VERSION,
            validator.reason());
    }

    @Test
    void rejectsUnknownTemplateAndReadsItsCorrelationIdByConvention()
    {
        for (final int templateId : new int[]{ 0, 6, 32, 98, 100, 0xFFFF })
        {
            final byte[] frame = produceRequest();
            putShort(frame, 2, templateId);

            assertEquals(ValidationResult.UNKNOWN_TEMPLATE, validate(frame));
            assertEquals(ErrorCode.UNSUPPORTED_MESSAGE, validator.errorCode());
            assertEquals(templateId, validator.templateId());
            assertEquals(CORRELATION_ID, validator.correlationId());
            assertEquals("unknown template id " + templateId + " (version " + MessageHeaderDecoder.SCHEMA_VERSION + ")",
                validator.reason());
        }

        final byte[] frame = produceRequest();
        putShort(frame, 2, 200);
        putShort(frame, 0, 7);
        assertEquals(ValidationResult.UNKNOWN_TEMPLATE, validate(frame));
        assertEquals(ProtocolValidator.NULL_CORRELATION_ID, validator.correlationId());
        assertEquals(ValidationResult.UNKNOWN_TEMPLATE, validator.validate(new UnsafeBuffer(frame), 0, HEADER + 7));
        assertEquals(ProtocolValidator.NULL_CORRELATION_ID, validator.correlationId());
    }

    @Test
    void rejectsRootBlockShorterThanItsFixedFields()
    {
        final byte[] frame = produceRequest();
        putShort(frame, 0, ProduceRequestDecoder.BLOCK_LENGTH - 1);

        assertEquals(ValidationResult.MALFORMED, validate(frame));
        assertEquals(ErrorCode.INVALID_REQUEST, validator.errorCode());
        assertEquals(CORRELATION_ID, validator.correlationId());
        assertEquals(
            "ProduceRequest (template id 30, version " + MessageHeaderDecoder.SCHEMA_VERSION + ", correlationId " +
            CORRELATION_ID + "): block length 23 is less than the 24 bytes of its fixed fields",
            validator.reason());
    }

    @Test
    void acceptsRootAndGroupBlocksLongerThanTheSchemasAndDecodesThem()
    {
        final byte[] plain = fetchRequest(2);
        final int partitionsAt = HEADER + FetchRequestDecoder.BLOCK_LENGTH;
        final int entryLength = FetchRequestDecoder.PartitionsDecoder.sbeBlockLength();

        byte[] frame = insert(plain, partitionsAt, 6);
        putShort(frame, 0, FetchRequestDecoder.BLOCK_LENGTH + 6);
        final int groupAt = partitionsAt + 6;
        frame = insert(frame, groupAt + 4 + entryLength, 3);
        frame = insert(frame, groupAt + 4 + 2 * entryLength + 3, 3);
        putShort(frame, groupAt, entryLength + 3);

        assertEquals(ValidationResult.OK, validate(frame), validator::reason);
        assertEquals(frame.length, validator.decodedLength());

        final FetchRequestDecoder decoder = new FetchRequestDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(frame), 0, new MessageHeaderDecoder());
        assertEquals(64L * 1024, decoder.creditBytes());
        final FetchRequestDecoder.PartitionsDecoder partitions = decoder.partitions();
        assertEquals(100L, partitions.next().fetchOffset());
        assertEquals(101L, partitions.next().fetchOffset());
        assertEquals(1, partitions.partition());
        assertEquals(frame.length, HEADER + decoder.encodedLength());
    }

    @Test
    void rejectsRootBlockOverrunningTheFrame()
    {
        final byte[] frame = produceRequest();

        assertEquals(ValidationResult.TRUNCATED, validator.validate(new UnsafeBuffer(frame), 0, HEADER + 10));
        assertEquals(CORRELATION_ID, validator.correlationId());
        assertTrue(validator.reason().endsWith(
            "block of 24 bytes overruns the frame, only 10 bytes follow the header"), validator.reason());

        assertEquals(ValidationResult.TRUNCATED, validator.validate(new UnsafeBuffer(frame), 0, HEADER + 7));
        assertEquals(ProtocolValidator.NULL_CORRELATION_ID, validator.correlationId());
    }

    @Test
    void rejectsTruncatedGroupHeader()
    {
        final byte[] frame = produceRequest();

        assertEquals(ValidationResult.TRUNCATED, validator.validate(new UnsafeBuffer(frame), 0, PARTITIONS_AT + 3));
        assertTrue(validator.reason().endsWith(
            ": ProduceRequest.partitions group header at 32 overruns the 35-byte frame"), validator.reason());
    }

    @Test
    void rejectsGroupBlockShorterThanItsFixedFields()
    {
        final byte[] frame = produceRequest();
        putShort(frame, PARTITIONS_AT, ProduceRequestDecoder.PartitionsDecoder.sbeBlockLength() - 1);

        assertEquals(ValidationResult.MALFORMED, validate(frame));
        assertEquals(ErrorCode.INVALID_REQUEST, validator.errorCode());
        assertTrue(validator.reason().endsWith(
            ": ProduceRequest.partitions block length 7 at 32 is less than the 8 bytes of its fixed fields"),
            validator.reason());
    }

    @Test
    void rejectsGroupCountAboveTheMaximum()
    {
        final byte[] frame = produceRequest();
        putShort(frame, PARTITIONS_AT + 2, 0xFFFF);

        assertEquals(ValidationResult.MALFORMED, validate(frame));
        assertTrue(validator.reason().endsWith(
            ": ProduceRequest.partitions count 65535 at 32 exceeds the maximum 65534"), validator.reason());
    }

    @Test
    void rejectsGroupEntriesOverrunningTheFrame()
    {
        final byte[] frame = produceRequest();
        putShort(frame, PARTITIONS_AT + 2, 40);

        assertEquals(ValidationResult.TRUNCATED, validate(frame));
        assertTrue(validator.reason().endsWith(
            ": ProduceRequest.partitions header at 32 announces 320 bytes of entries but only 39 bytes follow it"),
            validator.reason());

        putShort(frame, PARTITIONS_AT + 2, 4);
        assertEquals(ValidationResult.TRUNCATED, validate(frame));
        assertTrue(validator.reason().contains(": ProduceRequest.partitions["), validator.reason());
    }

    @Test
    void rejectsGroupEntryBlockOverrunningTheFrame()
    {
        final byte[] frame = produceRequest();

        assertEquals(ValidationResult.TRUNCATED, validator.validate(new UnsafeBuffer(frame), 0, 58));
        assertTrue(validator.reason().endsWith(
            ": ProduceRequest.partitions[1] block of 8 bytes at 53 overruns the 58-byte frame"), validator.reason());
    }

    @Test
    void rejectsVarDataLengthAboveTheMaximum()
    {
        for (final long length : new long[]{ (1L << 30) + 1, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFCL, 0xFFFF_FFFFL })
        {
            final byte[] frame = produceRequest();
            putInt(frame, FIRST_BATCH_LENGTH_AT, (int)length);

            assertEquals(ValidationResult.MALFORMED, validate(frame));
            assertTrue(validator.reason().endsWith(
                ": ProduceRequest.partitions[0].recordBatch length " + length + " at 44 exceeds the maximum " +
                (1L << 30)), validator.reason());
        }
    }

    @Test
    void rejectsVarDataOverrunningTheFrame()
    {
        final byte[] frame = produceRequest();
        putInt(frame, FIRST_BATCH_LENGTH_AT, 1 << 30);

        assertEquals(ValidationResult.TRUNCATED, validate(frame));
        assertTrue(validator.reason().endsWith(
            ": ProduceRequest.partitions[0].recordBatch of 1073741824 bytes at 44 overruns the frame, " +
            "only 27 bytes follow its length field"), validator.reason());

        assertEquals(ValidationResult.TRUNCATED, validator.validate(new UnsafeBuffer(frame), 0, frame.length - 1));
        assertTrue(validator.reason().contains(": ProduceRequest.partitions[0].recordBatch of"), validator.reason());

        final byte[] complete = produceRequest();
        assertEquals(ValidationResult.TRUNCATED, validator.validate(new UnsafeBuffer(complete), 0,
            complete.length - 1));
        assertTrue(validator.reason().contains(": ProduceRequest.transactionalId of 6 bytes at"), validator.reason());

        assertEquals(
            ValidationResult.TRUNCATED,
            validator.validate(new UnsafeBuffer(complete), 0, complete.length - TRANSACTIONAL_ID_BYTES - 1));
        assertTrue(validator.reason().contains(": ProduceRequest.transactionalId length field at"), validator.reason());
    }

    @Test
    void namesTheEntryOfANestedGroupThatFails()
    {
        final MetadataResponseLayout metadata = metadataResponse();

        assertEquals(ValidationResult.OK, validate(metadata.frame), validator::reason);
        assertEquals(
            ValidationResult.TRUNCATED,
            validator.validate(new UnsafeBuffer(metadata.frame), 0, metadata.topic1PartitionsAt + 2));
        assertTrue(validator.reason().endsWith(
            ": MetadataResponse.topics[1].partitions group header at " + metadata.topic1PartitionsAt +
            " overruns the " + (metadata.topic1PartitionsAt + 2) + "-byte frame"), validator.reason());
    }

    @Test
    void sessionMessagesHaveNoCorrelationId()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final SessionKeepAliveEncoder encoder = new SessionKeepAliveEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .sessionId(77)
            .timestampMs(1_700_000_000_000L);
        final int length = HEADER + encoder.encodedLength();

        assertEquals(ValidationResult.OK, validator.validate(buffer, 0, length));
        assertEquals(SessionKeepAliveEncoder.TEMPLATE_ID, validator.templateId());
        assertEquals(ProtocolValidator.NULL_CORRELATION_ID, validator.correlationId());
        assertEquals(length, validator.decodedLength());
        assertFalse(ProtocolNames.hasCorrelationId(SessionKeepAliveEncoder.TEMPLATE_ID));
    }

    @Test
    void stateDescribesOnlyTheLastFrame()
    {
        final byte[] bad = produceRequest();
        putShort(bad, PARTITIONS_AT + 2, 0xFFFF);
        assertEquals(ValidationResult.MALFORMED, validate(bad));

        assertEquals(ValidationResult.TOO_SHORT, validator.validate(new UnsafeBuffer(bad), 0, 3));
        assertEquals(ProtocolValidator.NULL_TEMPLATE_ID, validator.templateId());
        assertEquals(ProtocolValidator.NULL_CORRELATION_ID, validator.correlationId());

        final byte[] good = produceRequest();
        assertEquals(ValidationResult.OK, validate(good));
        assertEquals(good.length, validator.decodedLength());
        assertTrue(validator.reason().startsWith("ok:"));
    }

    @Test
    void resultsMapToProtocolErrorCodes()
    {
        assertEquals(ErrorCode.NONE, ValidationResult.OK.errorCode());
        assertEquals(ErrorCode.INVALID_REQUEST, ValidationResult.TOO_SHORT.errorCode());
        assertEquals(ErrorCode.INVALID_REQUEST, ValidationResult.WRONG_SCHEMA.errorCode());
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, ValidationResult.UNSUPPORTED_VERSION.errorCode());
        assertEquals(ErrorCode.UNSUPPORTED_MESSAGE, ValidationResult.UNKNOWN_TEMPLATE.errorCode());
        assertEquals(ErrorCode.INVALID_REQUEST, ValidationResult.TRUNCATED.errorCode());
        assertEquals(ErrorCode.INVALID_REQUEST, ValidationResult.MALFORMED.errorCode());
        assertEquals(7, ValidationResult.values().length);
    }

    @Test
    void namesMessagesByTemplateId()
    {
        assertEquals("ProduceRequest", ProtocolNames.messageName(ProduceRequestDecoder.TEMPLATE_ID));
        assertEquals("ErrorResponse", ProtocolNames.messageName(99));
        assertEquals(ProtocolNames.UNKNOWN_MESSAGE, ProtocolNames.messageName(6));
        assertEquals(ProtocolNames.UNKNOWN_MESSAGE, ProtocolNames.messageName(-1));
        assertEquals(ProtocolNames.UNKNOWN_MESSAGE, ProtocolNames.messageName(Integer.MAX_VALUE));
        assertTrue(ProtocolNames.hasCorrelationId(ProduceRequestDecoder.TEMPLATE_ID));
        assertFalse(ProtocolNames.hasCorrelationId(200));
    }

    /**
     * Why the validator walks the layout itself: SBE 1.38.1's sbeSkip() walks to a limit inside the frame, yet the
     * decoder then fails reading the var data.
     */
    @Test
    void rejectsVarDataLengthThatMovesTheGeneratedSkipBackwards()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final ProduceRequestEncoder encoder = new ProduceRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(CORRELATION_ID);
        encoder.partitionsCount(0);
        encoder.transactionalId("");
        final int length = HEADER + encoder.encodedLength() + 4;
        final int transactionalIdAt = PARTITIONS_AT + 4;
        buffer.putInt(transactionalIdAt, -4, LE);

        final ProduceRequestDecoder decoder = new ProduceRequestDecoder();
        final UnsafeBuffer frame = new UnsafeBuffer(buffer, 0, length);
        decoder.wrapAndApplyHeader(frame, 0, new MessageHeaderDecoder());
        assertTrue(HEADER + decoder.sbeDecodedLength() <= length);
        decoder.sbeRewind().partitions();
        assertThrows(NegativeArraySizeException.class, decoder::transactionalId);

        assertEquals(ValidationResult.MALFORMED, validator.validate(frame, 0, length));
    }

    /**
     * Why group block lengths are checked: sbeSkip() accepts an entry shorter than its fixed fields, and reading
     * them then runs past the frame.
     */
    @Test
    void rejectsGroupBlockThatTheGeneratedSkipAccepts()
    {
        final byte[] plain = fetchRequest(1);
        final int groupAt = HEADER + FetchRequestDecoder.BLOCK_LENGTH;
        final byte[] frame = Arrays.copyOf(plain, groupAt + 4);
        putShort(frame, groupAt, 0);

        final FetchRequestDecoder decoder = new FetchRequestDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(frame), 0, new MessageHeaderDecoder());
        assertEquals(frame.length, HEADER + decoder.sbeDecodedLength());
        final FetchRequestDecoder.PartitionsDecoder partitions = decoder.sbeRewind().partitions();
        assertThrows(IndexOutOfBoundsException.class, () -> partitions.next().fetchOffset());

        assertEquals(ValidationResult.MALFORMED, validate(frame));
    }

    @Test
    void validatesWithoutAllocating()
    {
        final DirectBuffer[] frames = new DirectBuffer[5];
        final int[] lengths = new int[frames.length];
        final MetadataResponseLayout metadata = metadataResponse();
        frames[0] = new UnsafeBuffer(produceRequest());
        frames[1] = new UnsafeBuffer(metadata.frame);
        frames[2] = new UnsafeBuffer(metadata.frame);
        final byte[] malformed = produceRequest();
        putInt(malformed, FIRST_BATCH_LENGTH_AT, -1);
        frames[3] = new UnsafeBuffer(malformed);
        final byte[] unknown = produceRequest();
        putShort(unknown, 2, 1234);
        frames[4] = new UnsafeBuffer(unknown);
        for (int i = 0; i < frames.length; i++)
        {
            lengths[i] = frames[i].capacity();
        }
        lengths[2] = metadata.topic1PartitionsAt + 2;

        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            accepted += validate(frames, lengths, i);
        }

        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200_000; i++)
        {
            accepted += validate(frames, lengths, i);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertEquals(2 * 220_000 / frames.length, accepted);
        assertTrue(allocated < 1024, "allocated " + allocated + " bytes in 200000 validations");
    }

    private int validate(final DirectBuffer[] frames, final int[] lengths, final int i)
    {
        final int index = i % frames.length;

        return ValidationResult.OK == validator.validate(frames[index], 0, lengths[index]) ? 1 : 0;
    }

    private ValidationResult validate(final byte[] frame)
    {
        return validator.validate(new UnsafeBuffer(frame), 0, frame.length);
    }

    /**
     * A ProduceRequest of two partitions, the first with a 5-byte batch, the second with an empty one.
     * <pre>
     *    0 header           32 partitions header    36 [0] topicId, partition   44 [0] recordBatch length
     *   48 [0] "hello"      53 [1] topicId, partition  61 [1] recordBatch length 0   65 transactionalId length
     *   69 "txn-ü" (6 bytes) 75
     * </pre>
     */
    private static byte[] produceRequest()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
        final ProduceRequestEncoder encoder = new ProduceRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(CORRELATION_ID)
            .acks((short)-1)
            .timeoutMs(30_000)
            .producerId(7)
            .producerEpoch((short)1);
        final ProduceRequestEncoder.PartitionsEncoder partitions = encoder.partitionsCount(2);
        partitions.next().topicId(3).partition(0).putRecordBatch(BATCH, 0, BATCH.length);
        partitions.next().topicId(3).partition(1).putRecordBatch(BATCH, 0, 0);
        encoder.transactionalId(TRANSACTIONAL_ID);

        final byte[] frame = new byte[HEADER + encoder.encodedLength()];
        buffer.getBytes(0, frame);

        return frame;
    }

    private static byte[] fetchRequest(final int partitionCount)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final FetchRequestEncoder encoder = new FetchRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(CORRELATION_ID)
            .maxWaitMs(500)
            .minBytes(1)
            .maxBytes(1 << 20)
            .isolationLevel(IsolationLevel.READ_COMMITTED)
            .streaming(BooleanType.TRUE)
            .creditBytes(64L * 1024);
        final FetchRequestEncoder.PartitionsEncoder partitions = encoder.partitionsCount(partitionCount);
        for (int i = 0; i < partitionCount; i++)
        {
            partitions.next().topicId(9).partition(i).fetchOffset(100 + i).partitionMaxBytes(4096);
        }

        final byte[] frame = new byte[HEADER + encoder.encodedLength()];
        buffer.getBytes(0, frame);

        return frame;
    }

    private record MetadataResponseLayout(byte[] frame, int topic1PartitionsAt)
    {
    }

    /**
     * A MetadataResponse of one broker and two topics, of one and two partitions, and where topics[1].partitions
     * begins, found by reading it with the generated decoder.
     */
    private static MetadataResponseLayout metadataResponse()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final MetadataResponseEncoder encoder = new MetadataResponseEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(CORRELATION_ID)
            .errorCode(ErrorCode.NONE)
            .controllerId(1);
        encoder.brokersCount(1).next().nodeId(1).endpoint("localhost:7400");
        final MetadataResponseEncoder.TopicsEncoder topics = encoder.topicsCount(2);
        topics.next().errorCode(ErrorCode.NONE).topicId(1).partitionCount(1)
            .partitionsCount(1).next().partition(0).leaderId(1).leaderEpoch(3);
        topics.name("orders");
        final MetadataResponseEncoder.TopicsEncoder.PartitionsEncoder partitions =
            topics.next().errorCode(ErrorCode.NONE).topicId(2).partitionCount(2).partitionsCount(2);
        partitions.next().partition(0).leaderId(1).leaderEpoch(3);
        partitions.next().partition(1).leaderId(1).leaderEpoch(3);
        topics.name("payments-€");
        encoder.errorMessage("");
        final byte[] frame = new byte[HEADER + encoder.encodedLength()];
        buffer.getBytes(0, frame);

        final MetadataResponseDecoder decoder = new MetadataResponseDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(frame), 0, new MessageHeaderDecoder());
        for (final MetadataResponseDecoder.BrokersDecoder broker : decoder.brokers())
        {
            broker.skipEndpoint();
        }
        final MetadataResponseDecoder.TopicsDecoder topicsDecoder = decoder.topics();
        topicsDecoder.next().sbeSkip();
        topicsDecoder.next();

        return new MetadataResponseLayout(frame, decoder.limit());
    }

    private static byte[] insert(final byte[] frame, final int at, final int count)
    {
        final byte[] result = new byte[frame.length + count];
        System.arraycopy(frame, 0, result, 0, at);
        Arrays.fill(result, at, at + count, (byte)0x5A);
        System.arraycopy(frame, at, result, at + count, frame.length - at);

        return result;
    }

    private static void putShort(final byte[] frame, final int index, final int value)
    {
        new UnsafeBuffer(frame).putShort(index, (short)value, LE);
    }

    private static void putInt(final byte[] frame, final int index, final int value)
    {
        new UnsafeBuffer(frame).putInt(index, value, LE);
    }
}
