package io.spindle.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.codecs.Transport;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.SessionCloseRequestEncoder;
import io.spindle.codecs.protocol.SessionConnectRequestEncoder;
import io.spindle.codecs.protocol.SessionConnectResponseDecoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session server answers a connect on a response publication it adds without waiting for the media driver: with
 * the driver stalled its agent goes on polling, and the connect is answered once the driver has added the
 * publication. The driver runs in {@code INVOKER} mode on a thread of the test's, so the test decides when it
 * works. A closed session gives back the buffer its fragmented requests were put together in.
 */
@Timeout(60)
class SessionServerConnectTest
{
    private static final int REQUEST_STREAM_ID = 1001;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(10);

    @TempDir
    Path dir;

    private final ReentrantLock driverLock = new ReentrantLock();
    private final List<Long> opened = new ArrayList<>();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
    private volatile boolean running = true;
    private MediaDriver driver;
    private Thread driverThread;
    private Aeron aeron;
    private BrokerCounters counters;
    private SessionServer server;
    private ExclusivePublication requests;

    @BeforeEach
    void start()
    {
        driver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(dir.resolve("aeron").toString())
            .threadingMode(ThreadingMode.INVOKER)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true));
        final AgentInvoker invoker = driver.sharedAgentInvoker();
        driverThread = new Thread(() ->
        {
            while (running)
            {
                driverLock.lock();
                try
                {
                    invoker.invoke();
                }
                finally
                {
                    driverLock.unlock();
                }
                LockSupport.parkNanos(100_000);
            }
        }, "test-driver");
        driverThread.start();

        aeron = Aeron.connect(new Aeron.Context().errorHandler(Throwable::printStackTrace)
            .aeronDirectoryName(driver.aeronDirectoryName())
            .driverTimeoutMs(5_000));
        counters = new BrokerCounters(aeron, 0);
        server = new SessionServer(aeron, "test", new String[]{ "aeron:ipc" }, REQUEST_STREAM_ID, 0,
            TimeUnit.SECONDS.toNanos(10), counters, new SessionServer.RequestHandler()
            {
                public void onSessionOpened(final long sessionId, final long nowNs)
                {
                    opened.add(sessionId);
                }

                public void onSessionClosed(final long sessionId, final long nowNs)
                {
                }

                public void onRequest(
                    final long sessionId,
                    final int templateId,
                    final DirectBuffer buffer,
                    final int offset,
                    final int length,
                    final long nowNs)
                {
                }
            });
        requests = aeron.addExclusivePublication("aeron:ipc", REQUEST_STREAM_ID);
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (!requests.isConnected())
        {
            server.poll(System.nanoTime());
            assertTrue(System.nanoTime() - deadlineNs < 0, "the request stream never connected");
            LockSupport.parkNanos(100_000);
        }
    }

    @AfterEach
    void stop() throws InterruptedException
    {
        CloseHelper.closeAll(server, requests, counters, aeron);
        running = false;
        driverThread.join(10_000);
        CloseHelper.close(driver);
    }

    @Test
    void aConnectDoesNotWaitForTheDriverAndIsAnsweredOnceThePublicationIsAdded()
    {
        final Subscription responses = aeron.addSubscription("aeron:ipc", 2001);

        final long elapsedNs;
        driverLock.lock();
        try
        {
            sendConnect(7, "aeron:ipc", 2001);
            final long startNs = System.nanoTime();
            for (int i = 0; i < 100; i++)
            {
                server.poll(System.nanoTime());
            }
            elapsedNs = System.nanoTime() - startNs;
            assertEquals(0, counters.sessionsOpened.get(), "a session opened with the driver stalled");
            assertEquals(0, counters.malformedRequests.get(), "the add failed: it waited for the stalled driver");
            assertTrue(opened.isEmpty());
        }
        finally
        {
            driverLock.unlock();
        }
        // A blocking add holds the first poll until the driver answers, here never: until the client's driver
        // timeout (5 s) gives up on it.
        assertTrue(elapsedNs < TimeUnit.SECONDS.toNanos(1),
            "100 polls took " + TimeUnit.NANOSECONDS.toMillis(elapsedNs) + " ms with the driver stalled");

        final SessionConnectResponseDecoder response = awaitConnectResponse(responses);
        assertEquals(7, response.correlationId());
        assertEquals(ErrorCode.NONE, response.errorCode());
        assertEquals(1, counters.sessionsOpened.get());
        assertEquals(List.of(response.sessionId()), opened);
        responses.close();
    }

    @Test
    void aResponseChannelTheDriverRefusesIsCountedMalformedAndOthersAreStillServed()
    {
        final Subscription responses = aeron.addSubscription("aeron:ipc", 2002);
        sendConnect(8, "aeron:udp?endpoint=127.0.0.1:99999", 2002);
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (0 == counters.malformedRequests.get())
        {
            server.poll(System.nanoTime());
            assertTrue(System.nanoTime() - deadlineNs < 0, "the refused channel was never counted");
            LockSupport.parkNanos(100_000);
        }
        assertEquals(0, counters.sessionsOpened.get());

        // The same client image connects again with a channel that works: the refused attempt left nothing behind.
        sendConnect(9, "aeron:ipc", 2002);
        final SessionConnectResponseDecoder response = awaitConnectResponse(responses);
        assertEquals(9, response.correlationId());
        assertEquals(ErrorCode.NONE, response.errorCode());
        assertEquals(1, counters.sessionsOpened.get());
        assertEquals(1, counters.malformedRequests.get());
        responses.close();
    }

    @Test
    void aClosedSessionGivesBackTheBufferItsFragmentedRequestsWereAssembledIn()
    {
        final Subscription responses = aeron.addSubscription("aeron:ipc", 2003);
        sendConnect(10, "aeron:ipc", 2003);
        final long sessionId = awaitConnectResponse(responses).sessionId();

        // Longer than this driver's IPC frame (Aeron's default MTU, 1,408 bytes): it arrives in fragments.
        final UnsafeBuffer request = new UnsafeBuffer(new byte[4096]);
        new MessageHeaderEncoder().wrap(request, 0).blockLength(0).templateId(9_999)
            .schemaId(SessionCloseRequestEncoder.SCHEMA_ID).version(SessionCloseRequestEncoder.SCHEMA_VERSION);
        offer(request, request.capacity());
        final SessionCloseRequestEncoder close = new SessionCloseRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(11)
            .sessionId(sessionId);
        offer(buffer, MessageHeaderEncoder.ENCODED_LENGTH + close.encodedLength());

        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (0 == counters.sessionsClosed.get())
        {
            server.poll(System.nanoTime());
            assertTrue(System.nanoTime() - deadlineNs < 0, "the session never closed");
            LockSupport.parkNanos(100_000);
        }
        assertEquals(1, server.assemblyBuffersFreed(), "the closed session's reassembly buffer is still held");
        responses.close();
    }

    private void offer(final UnsafeBuffer message, final int length)
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (requests.offer(message, 0, length) < 0)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "a request was never sent");
            LockSupport.parkNanos(100_000);
        }
    }

    private void sendConnect(final long correlationId, final String responseChannel, final int responseStreamId)
    {
        final SessionConnectRequestEncoder encoder = new SessionConnectRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(correlationId)
            .protocolVersion(Transport.PROTOCOL_VERSION)
            .responseStreamId(responseStreamId)
            .responseChannel(responseChannel)
            .clientId("test");
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (requests.offer(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength()) < 0)
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "the connect request was never sent");
            LockSupport.parkNanos(100_000);
        }
    }

    private SessionConnectResponseDecoder awaitConnectResponse(final Subscription responses)
    {
        final SessionConnectResponseDecoder decoder = new SessionConnectResponseDecoder();
        final MessageHeaderDecoder header = new MessageHeaderDecoder();
        final boolean[] received = new boolean[1];
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (!received[0])
        {
            server.poll(System.nanoTime());
            responses.poll((buffer, offset, length, h) ->
            {
                header.wrap(buffer, offset);
                if (SessionConnectResponseDecoder.TEMPLATE_ID == header.templateId())
                {
                    final UnsafeBuffer copy = new UnsafeBuffer(new byte[length]);
                    copy.putBytes(0, buffer, offset, length);
                    decoder.wrapAndApplyHeader(copy, 0, new MessageHeaderDecoder());
                    received[0] = true;
                }
            }, 10);
            assertTrue(System.nanoTime() - deadlineNs < 0, "no connect response");
            LockSupport.parkNanos(100_000);
        }
        return decoder;
    }
}
