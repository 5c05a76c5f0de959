package io.spindle.client;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.logbuffer.FragmentHandler;
import io.spindle.codecs.Transport;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.host.BrokerCounters;
import io.spindle.host.TestBroker;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bad input at the broker's ingress: each gets a clear error back to its client where there is one,
 * a counter on the broker, and the broker keeps serving everyone else.
 */
@Timeout(120)
class BrokerBadInputTest
{
    @TempDir
    Path dir;

    @Test
    void malformedFramesFromASessionGetErrorsAndTheBrokerKeepsServing()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            final int topicId;
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                topicId = admin.createTopic("t", 1, Map.of("max.message.bytes", "2048"));
            }
            final BrokerCounters counters = broker.broker().counters();

            try (Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(broker.aeronDir()));
                ServerConnection connection = new ServerConnection(aeron, Transport.IPC_CHANNEL,
                    Transport.CONTROL_STREAM_ID, "127.0.0.1", Transport.CONTROL_RESPONSE_STREAM_ID, "bad",
                    new BackoffIdleStrategy(), 0))
            {
                connection.connect(System.nanoTime() + 10_000_000_000L);
                final Responses responses = new Responses();
                final Random random = new Random(42);
                final UnsafeBuffer frame = new UnsafeBuffer(new byte[512]);

                // Random bytes: whatever the validator decides, each gets an error answer, never silence.
                final long malformedBefore = counters.malformedRequests.get();
                for (int i = 0; i < 50; i++)
                {
                    final int length = 1 + random.nextInt(frame.capacity());
                    for (int b = 0; b < length; b++)
                    {
                        frame.putByte(b, (byte)random.nextInt());
                    }
                    frame.putShort(4, (short)7413);
                    offer(connection, frame, length);
                }
                await(() -> counters.malformedRequests.get() - malformedBefore >= 40, "malformed frames counted",
                    connection, responses);

                // A truncated frame, an unknown template id, a wrong schema: each answered with its error.
                frame.setMemory(0, 64, (byte)0);
                offer(connection, frame, 3);
                new MessageHeaderEncoder().wrap(frame, 0).blockLength(8).templateId(4242).schemaId(7413).version(0);
                frame.putLong(8, 77);
                offer(connection, frame, 16);
                new MessageHeaderEncoder().wrap(frame, 0).blockLength(8).templateId(30).schemaId(1).version(0);
                offer(connection, frame, 16);
                await(() -> responses.errors >= 2, "error responses", connection, responses);
                assertTrue(responses.lastErrorMessage.length() > 0);

                // A produce with a corrupt batch: CORRUPT_MESSAGE, and the log is untouched.
                final ExpandableArrayBuffer request = new ExpandableArrayBuffer();
                final int badLength = produce(request, topicId, 1, true, 10);
                offer(connection, request, badLength);
                await(() -> responses.produceCode != null, "produce answer", connection, responses);
                assertEquals(ErrorCode.CORRUPT_MESSAGE, responses.produceCode);

                // A produce larger than max.message.bytes: RECORD_TOO_LARGE.
                responses.produceCode = null;
                final int bigLength = produce(request, topicId, 2, false, 4000);
                offer(connection, request, bigLength);
                await(() -> responses.produceCode != null, "produce answer", connection, responses);
                assertEquals(ErrorCode.RECORD_TOO_LARGE, responses.produceCode);

                // The same session still works.
                responses.produceCode = null;
                final int goodLength = produce(request, topicId, 3, false, 10);
                offer(connection, request, goodLength);
                await(() -> responses.produceCode != null, "produce answer", connection, responses);
                assertEquals(ErrorCode.NONE, responses.produceCode);
                assertEquals(0, responses.baseOffset);
            }

            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                assertEquals(1, admin.describeTopic("t").partitions().get(0).logEndOffset());
            }
        }
    }

    @Test
    void randomBytesAtTheUdpEndpointAndVanishingClientsDoNotDisturbOthers() throws Exception
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            final String endpoint = broker.broker().udpEndpoint();
            final int port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
            final Random random = new Random(7);
            try (DatagramSocket socket = new DatagramSocket())
            {
                final byte[] bytes = new byte[1400];
                for (int i = 0; i < 500; i++)
                {
                    random.nextBytes(bytes);
                    final int length = 1 + random.nextInt(bytes.length);
                    socket.send(new DatagramPacket(bytes, length, new InetSocketAddress("127.0.0.1", port)));
                }
            }

            // Frames from a publication that never opened a session are counted and dropped.
            final BrokerCounters counters = broker.broker().counters();
            try (Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(broker.aeronDir()));
                ExclusivePublication publication = aeron.addExclusivePublication(
                    Transport.IPC_CHANNEL, Transport.CONTROL_STREAM_ID))
            {
                final UnsafeBuffer frame = new UnsafeBuffer(new byte[64]);
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (publication.offer(frame, 0, 64) < 0)
                {
                    assertTrue(System.nanoTime() < deadlineNs, "publication never connected");
                    LockSupport.parkNanos(100_000);
                }
                awaitCounter(() -> counters.malformedRequests.get() + counters.requestsWithoutSession.get() > 0);
            }

            // A client that vanishes without closing its session: the broker notices and closes it.
            final long closedBefore = counters.sessionsClosed.get();
            final Aeron vanishing = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(broker.aeronDir()));
            final ServerConnection connection = new ServerConnection(vanishing, Transport.IPC_CHANNEL,
                Transport.CONTROL_STREAM_ID, "127.0.0.1", Transport.CONTROL_RESPONSE_STREAM_ID, "vanishing",
                new BackoffIdleStrategy(), 0);
            connection.connect(System.nanoTime() + 10_000_000_000L);
            final ExpandableArrayBuffer request = new ExpandableArrayBuffer();
            final int length = produce(request, 1, 1, false, 10);
            connection.offer(request, 0, length);
            vanishing.close();
            awaitCounter(() -> counters.sessionsClosed.get() > closedBefore);

            // Everyone else is still served, over UDP too.
            try (Admin admin = Admin.connect(broker.udp(new ClientContext())))
            {
                admin.createTopic("after", 1, Map.of());
                assertEquals(1, admin.listTopics().size());
            }
        }
    }

    private static int produce(
        final ExpandableArrayBuffer buffer, final int topicId, final long correlationId, final boolean corrupt,
        final int valueLength)
    {
        final UnsafeBuffer batch = new UnsafeBuffer(new byte[valueLength + 256]);
        final RecordBatchBuilder builder = new RecordBatchBuilder().wrap(batch, 0, batch.capacity());
        builder.append(1_000L, null, new byte[valueLength]);
        final int batchLength = builder.build();
        if (corrupt)
        {
            batch.putByte(RecordBatch.HEADER_LENGTH + 2, (byte)(batch.getByte(RecordBatch.HEADER_LENGTH + 2) ^ 0x5a));
        }
        final ProduceRequestEncoder encoder = new ProduceRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .acks((short)1)
            .timeoutMs(1000)
            .producerId(-1)
            .producerEpoch((short)-1);
        encoder.partitionsCount(1).next().topicId(topicId).partition(0).putRecordBatch(batch, 0, batchLength);
        encoder.transactionalId("");
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private static void offer(final ServerConnection connection, final DirectBuffer buffer, final int length)
    {
        final long deadlineNs = System.nanoTime() + 5_000_000_000L;
        while (connection.offer(buffer, 0, length) < 0)
        {
            if (System.nanoTime() > deadlineNs)
            {
                fail("could not send a frame: " + connection.closedReason());
            }
            LockSupport.parkNanos(100_000);
        }
    }

    private static void await(
        final BooleanSupplier condition, final String what, final ServerConnection connection,
        final Responses responses)
    {
        final long deadlineNs = System.nanoTime() + 10_000_000_000L;
        final BackoffIdleStrategy idle = new BackoffIdleStrategy();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadlineNs)
            {
                fail("timed out waiting for " + what + "; errors=" + responses.errors + " last=" +
                    responses.lastErrorMessage + " connection=" + connection.closedReason());
            }
            idle.idle(connection.poll(responses, 10));
        }
    }

    private static void awaitCounter(final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadlineNs, "counter never moved");
            LockSupport.parkNanos(5_000_000);
        }
    }

    private static final class Responses implements FragmentHandler
    {
        private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        int errors;
        String lastErrorMessage = "";
        ErrorCode produceCode;
        long baseOffset = -1;

        public void onFragment(final DirectBuffer buffer, final int offset, final int length,
            final io.aeron.logbuffer.Header header)
        {
            headerDecoder.wrap(buffer, offset);
            if (headerDecoder.templateId() == ErrorResponseDecoder.TEMPLATE_ID)
            {
                final ErrorResponseDecoder decoder = new ErrorResponseDecoder().wrapAndApplyHeader(
                    buffer, offset, headerDecoder);
                errors++;
                decoder.errorCode();
                decoder.requestTemplateId();
                lastErrorMessage = decoder.errorMessage();
            }
            else if (headerDecoder.templateId() == ProduceResponseDecoder.TEMPLATE_ID)
            {
                final ProduceResponseDecoder decoder = new ProduceResponseDecoder().wrapAndApplyHeader(
                    buffer, offset, headerDecoder);
                for (final ProduceResponseDecoder.PartitionsDecoder partition : decoder.partitions())
                {
                    produceCode = partition.errorCode();
                    baseOffset = partition.baseOffset();
                }
            }
        }
    }
}
