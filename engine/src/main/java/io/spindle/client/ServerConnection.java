package io.spindle.client;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.ImageFragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.spindle.codecs.Transport;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.SessionCloseRequestEncoder;
import io.spindle.codecs.protocol.SessionClosedEventDecoder;
import io.spindle.codecs.protocol.SessionConnectRequestEncoder;
import io.spindle.codecs.protocol.SessionConnectResponseDecoder;
import io.spindle.codecs.protocol.SessionKeepAliveEncoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A client's session with one request stream of a broker: an exclusive publication for requests and
 * a subscription for the responses, opened with {@code SessionConnectRequest}.
 * <p>
 * <b>Threading:</b> owned by the thread of the client that made it.
 */
final class ServerConnection implements BrokerConnection
{
    private static final long KEEP_ALIVE_INTERVAL_NS = 1_000_000_000L;
    private static final long LOST_TIMEOUT_NS = 3_000_000_000L;

    private final Aeron aeron;
    private final IdleStrategy idleStrategy;
    private final ExclusivePublication publication;
    private final Subscription subscription;
    private final String responseChannel;
    private final int responseStreamId;
    private final String clientId;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final SessionConnectResponseDecoder connectResponseDecoder = new SessionConnectResponseDecoder();
    private final SessionClosedEventDecoder closedEventDecoder = new SessionClosedEventDecoder();
    private final SessionKeepAliveEncoder keepAliveEncoder = new SessionKeepAliveEncoder();
    private final UnsafeBuffer controlBuffer = new UnsafeBuffer(new byte[2048]);
    private final FragmentHandler onMessage = this::onFragment;
    private final java.util.function.Consumer<Image> pollImage = this::pollImage;
    private final int assemblyCapacity;
    private Image[] assembledImages = new Image[0];
    private ImageFragmentAssembler[] assemblers = new ImageFragmentAssembler[0];
    private int pollLimit;
    private int polled;
    private FragmentHandler delegate;
    private long connectCorrelationId = -1;
    private long sessionId = -1;
    private boolean connected;
    private String closedReason;
    private String clusterMembers = "";
    private int maxRequestLength;
    private long lastSendNs;
    private long disconnectedSinceNs;

    /**
     * Open the publication and the response subscription; {@link #connect(long)} then opens the session.
     *
     * @param aeron           client of the local media driver.
     * @param requestChannel  the broker's channel: {@code aeron:ipc} or its UDP endpoint.
     * @param requestStreamId the broker's request stream.
     * @param localHost       for UDP, the local address the broker should answer to; ignored for IPC.
     * @param responseStreamId the stream on which to receive responses.
     * @param clientId        name of the client, for the broker's logs.
     * @param idleStrategy    used while blocking.
     * @param assemblyCapacity bytes of the buffer a response that arrives in fragments is put together in, made
     *                        when the broker's stream is first polled: the longest response expected in steady
     *                        state (0 for one made on the first fragmented response and grown as needed).
     */
    ServerConnection(
        final Aeron aeron,
        final String requestChannel,
        final int requestStreamId,
        final String localHost,
        final int responseStreamId,
        final String clientId,
        final IdleStrategy idleStrategy,
        final int assemblyCapacity)
    {
        this.aeron = aeron;
        this.assemblyCapacity = assemblyCapacity;
        this.idleStrategy = idleStrategy;
        this.responseStreamId = responseStreamId;
        this.clientId = clientId;

        ExclusivePublication publication = null;
        Subscription subscription = null;
        try
        {
            publication = aeron.addExclusivePublication(requestChannel, requestStreamId);
            if (requestChannel.startsWith("aeron:ipc"))
            {
                // The broker publishes with our request session id, so only our subscription takes it.
                final String channel = "aeron:ipc?session-id=" + publication.sessionId();
                subscription = aeron.addSubscription(channel, responseStreamId);
                responseChannel = channel;
            }
            else
            {
                subscription = aeron.addSubscription("aeron:udp?endpoint=" + localHost + ":0", responseStreamId);
                responseChannel = awaitResolvedChannel(subscription);
            }
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(subscription, publication);
            throw ex;
        }
        this.publication = publication;
        this.subscription = subscription;
    }

    /**
     * Open the session, waiting until the broker answers or the deadline passes.
     *
     * @param deadlineNs on {@link System#nanoTime()}.
     * @throws SpindleException when the broker does not answer in time or refuses.
     */
    void connect(final long deadlineNs)
    {
        connectCorrelationId = System.nanoTime();
        idleStrategy.reset();
        long nextAttemptNs = 0;
        while (!connected)
        {
            final long nowNs = System.nanoTime();
            if (nowNs - deadlineNs > 0)
            {
                throw new SpindleException(ErrorCode.REQUEST_TIMED_OUT,
                    "no answer from broker at " + publication.channel() + " stream " + publication.streamId() +
                    (publication.isConnected() ? "" : " (not connected: is a broker running there?)"));
            }
            if (null != closedReason)
            {
                throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "broker refused session: " + closedReason);
            }

            if (publication.isConnected() && nowNs - nextAttemptNs >= 0)
            {
                final SessionConnectRequestEncoder encoder = new SessionConnectRequestEncoder()
                    .wrapAndApplyHeader(controlBuffer, 0, headerEncoder)
                    .correlationId(connectCorrelationId)
                    .protocolVersion(Transport.PROTOCOL_VERSION)
                    .responseStreamId(responseStreamId)
                    .responseChannel(responseChannel)
                    .clientId(clientId);
                if (publication.offer(controlBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH +
                    encoder.encodedLength()) > 0)
                {
                    nextAttemptNs = nowNs + 500_000_000L;
                    lastSendNs = nowNs;
                }
            }

            idleStrategy.idle(poll(null, 10));
        }
    }

    /**
     * Whether the session is open.
     *
     * @return true between a successful connect and the session's end.
     */
    public boolean isConnected()
    {
        return connected && null == closedReason;
    }

    /**
     * Why the session ended, or null while it is open.
     *
     * @return the reason.
     */
    public String closedReason()
    {
        return closedReason;
    }

    /**
     * {@inheritDoc}
     */
    public int maxRequestLength()
    {
        return maxRequestLength;
    }

    /**
     * The members of the cluster the server belongs to, as its connect response named them.
     *
     * @return {@code ID=HOST:PORT,...}, or empty for a standalone broker.
     */
    String clusterMembers()
    {
        return clusterMembers;
    }

    /**
     * Offer a request.
     *
     * @param buffer holding the message.
     * @param offset of the message.
     * @param length of the message.
     * @return the new position, or a negative {@link Publication} code.
     */
    public long offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null != closedReason)
        {
            return Publication.CLOSED;
        }

        final long result = publication.offer(buffer, offset, length);
        if (result > 0)
        {
            lastSendNs = System.nanoTime();
        }

        return result;
    }

    /**
     * Poll for responses; session events are handled here, everything else goes to the handler.
     *
     * @param handler for responses.
     * @param limit   fragments to poll at most.
     * @return fragments polled.
     */
    public int poll(final FragmentHandler handler, final int limit)
    {
        delegate = handler;
        pollLimit = limit;
        polled = 0;
        subscription.forEachImage(pollImage);
        return polled;
    }

    private void pollImage(final Image image)
    {
        if (polled < pollLimit)
        {
            polled += image.poll(assemblerOf(image), pollLimit - polled);
        }
    }

    /**
     * The assembler of an image's fragmented responses, one per image (Aeron's {@code FragmentAssembler} makes its
     * buffer on the first fragmented message, which for a consumer is the first push after a stall, long after
     * warm-up). Made when a new image is first polled; those of images gone are dropped then.
     */
    private ImageFragmentAssembler assemblerOf(final Image image)
    {
        final Image[] images = assembledImages;
        for (int i = 0; i < images.length; i++)
        {
            if (images[i] == image)
            {
                return assemblers[i];
            }
        }
        int live = 0;
        for (final Image known : images)
        {
            live += known.isClosed() ? 0 : 1;
        }
        final Image[] nextImages = new Image[live + 1];
        final ImageFragmentAssembler[] nextAssemblers = new ImageFragmentAssembler[live + 1];
        int next = 0;
        for (int i = 0; i < images.length; i++)
        {
            if (!images[i].isClosed())
            {
                nextImages[next] = images[i];
                nextAssemblers[next++] = assemblers[i];
            }
        }
        nextImages[next] = image;
        nextAssemblers[next] = new ImageFragmentAssembler(onMessage, assemblyCapacity);
        assembledImages = nextImages;
        assemblers = nextAssemblers;
        return nextAssemblers[next];
    }

    /**
     * Send a keep-alive when nothing was sent for a while, and notice a broker that went away.
     *
     * @param nowNs {@link System#nanoTime()}.
     * @return work done.
     */
    public int doHousekeeping(final long nowNs)
    {
        if (connected && null == closedReason)
        {
            if (aeron.isClosed() || publication.isClosed())
            {
                closedReason = "broker connection lost (media driver gone)";
                return 1;
            }
            if (!publication.isConnected() || 0 == subscription.imageCount())
            {
                if (0 == disconnectedSinceNs)
                {
                    disconnectedSinceNs = nowNs;
                }
                else if (nowNs - disconnectedSinceNs > LOST_TIMEOUT_NS)
                {
                    closedReason = "broker connection lost (no connection for " +
                        LOST_TIMEOUT_NS / 1_000_000_000L + "s)";
                    return 1;
                }
            }
            else
            {
                disconnectedSinceNs = 0;
            }
            if (nowNs - lastSendNs > KEEP_ALIVE_INTERVAL_NS)
            {
                keepAliveEncoder.wrapAndApplyHeader(controlBuffer, 0,
                    headerEncoder).sessionId(sessionId).timestampMs(0);
                publication.offer(
                    controlBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + keepAliveEncoder.encodedLength());
                lastSendNs = nowNs;
                return 1;
            }
        }

        return 0;
    }

    /**
     * Tell the broker the session is over and release the publication and subscription.
     */
    public void close()
    {
        if (connected && null == closedReason && publication.isConnected())
        {
            final SessionCloseRequestEncoder encoder = new SessionCloseRequestEncoder();
            encoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder).correlationId(-1).sessionId(sessionId);
            publication.offer(controlBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        }
        closedReason = null == closedReason ? "closed" : closedReason;
        CloseHelper.quietCloseAll(subscription, publication);
    }

    /**
     * Words for a negative {@link Publication#offer} result, for messages a user reads.
     *
     * @param result the result.
     * @return what it means.
     */
    static String describe(final long result)
    {
        if (Publication.NOT_CONNECTED == result)
        {
            return "not connected to the broker";
        }
        if (Publication.BACK_PRESSURED == result)
        {
            return "back pressured by the broker";
        }
        if (Publication.ADMIN_ACTION == result)
        {
            return "the media driver was busy";
        }
        if (Publication.CLOSED == result)
        {
            return "session closed";
        }
        if (Publication.MAX_POSITION_EXCEEDED == result)
        {
            return "session used up its stream";
        }
        return "offer failed (" + result + ")";
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            return;
        }
        headerDecoder.wrap(buffer, offset);
        switch (headerDecoder.templateId())
        {
            case SessionConnectResponseDecoder.TEMPLATE_ID:
                connectResponseDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
                if (connectResponseDecoder.correlationId() == connectCorrelationId && !connected)
                {
                    if (ErrorCode.NONE == connectResponseDecoder.errorCode())
                    {
                        sessionId = connectResponseDecoder.sessionId();
                        connectResponseDecoder.nodeId();
                        connectResponseDecoder.protocolVersion();
                        maxRequestLength = Math.max(0, connectResponseDecoder.maxRequestLength());
                        connectResponseDecoder.skipErrorMessage();
                        clusterMembers = connectResponseDecoder.clusterMembers();
                        connected = true;
                    }
                    else
                    {
                        connectResponseDecoder.sessionId();
                        connectResponseDecoder.nodeId();
                        connectResponseDecoder.protocolVersion();
                        closedReason = connectResponseDecoder.errorCode() + " " + connectResponseDecoder.errorMessage();
                    }
                }
                break;

            case SessionClosedEventDecoder.TEMPLATE_ID:
                closedEventDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
                closedReason = "broker closed session: " + closedEventDecoder.errorCode() + " " +
                    closedEventDecoder.reason();
                break;

            default:
                if (null != delegate)
                {
                    delegate.onFragment(buffer, offset, length, header);
                }
                break;
        }
    }

    private String awaitResolvedChannel(final Subscription subscription)
    {
        final long deadlineNs = System.nanoTime() + 5_000_000_000L;
        idleStrategy.reset();
        String channel;
        while (null == (channel = subscription.tryResolveChannelEndpointPort()))
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new SpindleException(ErrorCode.NETWORK_EXCEPTION,
                    "could not bind a local UDP port for responses");
            }
            idleStrategy.idle();
        }

        return channel;
    }
}
