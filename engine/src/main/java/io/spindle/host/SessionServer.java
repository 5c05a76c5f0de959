package io.spindle.host;

import java.util.ArrayList;
import java.util.List;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.exceptions.RegistrationException;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.spindle.codecs.ProtocolValidator;
import io.spindle.codecs.Transport;
import io.spindle.codecs.ValidationResult;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.SessionCloseRequestDecoder;
import io.spindle.codecs.protocol.SessionClosedEventEncoder;
import io.spindle.codecs.protocol.SessionConnectRequestDecoder;
import io.spindle.codecs.protocol.SessionConnectResponseEncoder;
import io.spindle.codecs.protocol.SessionKeepAliveDecoder;
import io.spindle.monitor.MalformedRequestException;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Accepts client sessions on one request stream of a set of channels (IPC and UDP) and answers each
 * session on its own response publication, on the channel and stream the client named when it
 * connected.
 * <p>
 * A session is identified by the request image it arrives on: {@code (channel index << 32) | image
 * session id}. Session open, close, keep-alive, liveness (the client's image going away, or no
 * message within the session timeout) and malformed frames are handled here; every other request is
 * validated in full and handed to the {@link RequestHandler}.
 * <p>
 * A connect's response publication is added asynchronously and the connect answered once the publication is added
 * and connected, so a slow or stalled media driver never holds up the agent's other sessions.
 * <p>
 * <b>Threading:</b> owned by one agent thread, which calls {@link #poll(long)} and {@link #send};
 * nothing here is thread-safe.
 */
public final class SessionServer implements AutoCloseable
{
    /**
     * Receives what arrives on a {@link SessionServer}.
     */
    public interface RequestHandler
    {
        /**
         * A session was opened and its connect response sent.
         *
         * @param sessionId of the new session.
         * @param nowNs     the agent's clock.
         */
        void onSessionOpened(long sessionId, long nowNs);

        /**
         * A session was closed: by the client, by timeout, or because it could not be answered.
         *
         * @param sessionId of the closed session.
         * @param nowNs     the agent's clock.
         */
        void onSessionClosed(long sessionId, long nowNs);

        /**
         * A whole, validated request from an open session.
         *
         * @param sessionId  that sent it.
         * @param templateId of the message.
         * @param buffer     holding the message, starting with its SBE message header.
         * @param offset     of the message header.
         * @param length     of the message.
         * @param nowNs      the agent's clock.
         */
        void onRequest(long sessionId, int templateId, DirectBuffer buffer, int offset, int length, long nowNs);
    }

    private static final int STATE_ADDING = 0;
    private static final int STATE_CONNECTING = 1;
    private static final int STATE_OPEN = 2;
    private static final long HOUSEKEEPING_INTERVAL_NS = 100_000_000L;

    private final Aeron aeron;
    private final String name;
    private final RequestHandler handler;
    private final BrokerCounters counters;
    private final long sessionTimeoutNs;
    private final long connectTimeoutNs;
    private final int nodeId;
    private final Subscription[] subscriptions;
    private final FragmentAssembler[] assemblers;
    private long assemblyBuffersFreed;
    private final Long2ObjectHashMap<Session> sessions = new Long2ObjectHashMap<>();
    private final List<Session> scratchSessions = new ArrayList<>();
    private final List<Session> addingSessions = new ArrayList<>();
    private final ProtocolValidator validator = new ProtocolValidator();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final SessionConnectRequestDecoder connectDecoder = new SessionConnectRequestDecoder();
    private final SessionCloseRequestDecoder closeDecoder = new SessionCloseRequestDecoder();
    private final SessionKeepAliveDecoder keepAliveDecoder = new SessionKeepAliveDecoder();
    private final SessionConnectResponseEncoder connectResponseEncoder = new SessionConnectResponseEncoder();
    private final SessionClosedEventEncoder closedEventEncoder = new SessionClosedEventEncoder();
    private final ErrorResponseEncoder errorResponseEncoder = new ErrorResponseEncoder();
    private final ExpandableArrayBuffer controlBuffer = new ExpandableArrayBuffer(1024);
    private final UnsafeBuffer channelBytes = new UnsafeBuffer(new byte[Transport.MAX_CHANNEL_LENGTH]);
    private String clusterMembers = "";
    private int maxRequestLength;
    private long nowNs;
    private long nextHousekeepingNs;
    private AgentTerminationException fatalError;
    private ErrorHandler errorHandler = (ignore) -> {};
    private final MalformedRequestException[] malformedByResult;
    private final MalformedRequestException badResponseChannel;

    /**
     * Subscribe to the request stream on each channel.
     *
     * @param aeron            client to subscribe and publish with.
     * @param name             for logs and counters, e.g. "control" or "fetch".
     * @param channels         the channels to listen on, e.g. {@code aeron:ipc} and a UDP endpoint.
     * @param streamId         the request stream id.
     * @param nodeId           this broker's node id, returned on connect.
     * @param sessionTimeoutNs a session that sends nothing for this long is closed.
     * @param counters         where malformed input and session events are counted.
     * @param handler          receives the requests.
     */
    public SessionServer(
        final Aeron aeron,
        final String name,
        final String[] channels,
        final int streamId,
        final int nodeId,
        final long sessionTimeoutNs,
        final BrokerCounters counters,
        final RequestHandler handler)
    {
        this.aeron = aeron;
        this.name = name;
        this.nodeId = nodeId;
        this.sessionTimeoutNs = sessionTimeoutNs;
        this.connectTimeoutNs = Math.min(sessionTimeoutNs, 5_000_000_000L);
        this.counters = counters;
        this.handler = handler;
        final ValidationResult[] results = ValidationResult.values();
        this.malformedByResult = new MalformedRequestException[results.length];
        for (final ValidationResult result : results)
        {
            malformedByResult[result.ordinal()] =
                new MalformedRequestException("malformed request on the " + name + " stream: " + result);
        }
        this.badResponseChannel = new MalformedRequestException(
            "malformed request on the " + name + " stream: a response channel that cannot be used");
        this.subscriptions = new Subscription[channels.length];
        this.assemblers = new FragmentAssembler[channels.length];
        try
        {
            for (int i = 0; i < channels.length; i++)
            {
                subscriptions[i] = aeron.addSubscription(channels[i], streamId);
                assemblers[i] = new FragmentAssembler(new ChannelHandler(i));
            }
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.closeAll(subscriptions);
            throw ex;
        }
    }

    /**
     * Tell every client that connects that this server fronts a cluster member, so it sends its requests through
     * the cluster's ingress instead.
     *
     * @param members          every member's client endpoint, {@code ID=HOST:PORT,...}.
     * @param maxRequestLength the longest request the cluster's log carries.
     * @return this.
     */
    public SessionServer clusterMember(final String members, final int maxRequestLength)
    {
        this.clusterMembers = members;
        this.maxRequestLength = maxRequestLength;
        return this;
    }

    /**
     * Where malformed requests are reported, one preallocated {@link MalformedRequestException} per kind, besides
     * being counted; default nowhere.
     *
     * @param errorHandler the broker's error handler.
     * @return this.
     */
    public SessionServer errorHandler(final ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        return this;
    }

    /**
     * Poll every channel for requests and do session housekeeping.
     *
     * @param nowNs the agent's clock.
     * @return work done.
     */
    public int poll(final long nowNs)
    {
        this.nowNs = nowNs;
        int work = 0;
        for (int i = 0; i < subscriptions.length; i++)
        {
            work += subscriptions[i].poll(assemblers[i], 16);
        }

        if (null != fatalError)
        {
            // Aeron hands an exception thrown by a fragment handler to its own error handler and carries on, so
            // one that must stop the agent is kept aside in the handler and thrown here, to the agent's runner.
            throw fatalError;
        }

        if (!addingSessions.isEmpty())
        {
            work += pollAddedPublications();
        }

        if (nowNs - nextHousekeepingNs >= 0)
        {
            nextHousekeepingNs = nowNs + HOUSEKEEPING_INTERVAL_NS;
            work += housekeeping(nowNs);
        }

        return work;
    }

    /**
     * Offer a response to a session.
     *
     * @param sessionId to answer.
     * @param buffer    holding the encoded message.
     * @param offset    of the message.
     * @param length    of the message.
     * @return the publication's result: a new position when sent, else a negative
     * {@link Publication} code; {@link Publication#NOT_CONNECTED} when the session is unknown.
     */
    public long offer(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
    {
        final Session session = sessions.get(sessionId);
        if (null == session || STATE_OPEN != session.state)
        {
            return Publication.NOT_CONNECTED;
        }

        long result;
        int attempts = 3;
        do
        {
            result = session.publication.offer(buffer, offset, length);
        }
        while (Publication.ADMIN_ACTION == result && --attempts > 0);

        return result;
    }

    /**
     * How many reassembly buffers closed sessions have given back (each session that sent a fragmented request holds
     * one while it lasts).
     *
     * @return the count.
     */
    long assemblyBuffersFreed()
    {
        return assemblyBuffersFreed;
    }

    /**
     * The largest message a session's response publication takes.
     *
     * @param sessionId of the session.
     * @return the length in bytes, or 0 when the session is not open.
     */
    public int maxMessageLength(final long sessionId)
    {
        final Session session = sessions.get(sessionId);
        return null == session || STATE_OPEN != session.state ? 0 : session.publication.maxMessageLength();
    }

    /**
     * Send a response that must not be lost; a session that cannot take it is closed, so its client
     * sees the session end rather than wait for an answer that will never come.
     *
     * @param sessionId to answer.
     * @param buffer    holding the encoded message.
     * @param offset    of the message.
     * @param length    of the message.
     * @return true when sent.
     */
    public boolean send(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
    {
        final long result = offer(sessionId, buffer, offset, length);
        if (result > 0)
        {
            return true;
        }

        final Session session = sessions.get(sessionId);
        if (null != session)
        {
            counters.responsesDropped.increment();
            closeSession(session, ErrorCode.NETWORK_EXCEPTION, "response could not be delivered: " + describe(result));
        }

        return false;
    }

    private static String describe(final long result)
    {
        if (Publication.BACK_PRESSURED == result)
        {
            return "the client is not keeping up";
        }
        if (Publication.NOT_CONNECTED == result)
        {
            return "the client is not connected";
        }
        if (Publication.ADMIN_ACTION == result)
        {
            return "the media driver was busy";
        }
        return "the response stream is closed";
    }

    /**
     * Answer a request with an {@code ErrorResponse}.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request, or -1.
     * @param templateId    of the request, or -1.
     * @param code          the error.
     * @param message       what was wrong, for the client's error message.
     */
    public void sendError(
        final long sessionId, final long correlationId, final int templateId, final ErrorCode code,
        final String message)
    {
        errorResponseEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .requestTemplateId(templateId)
            .errorMessage(message);
        send(sessionId, controlBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + errorResponseEncoder.encodedLength());
    }

    /**
     * Close every session and the subscriptions.
     */
    public void close()
    {
        copySessions();
        for (int i = 0, size = scratchSessions.size(); i < size; i++)
        {
            closeSession(scratchSessions.get(i), ErrorCode.BROKER_SHUTTING_DOWN, "broker shutting down");
        }
        CloseHelper.closeAll(subscriptions);
    }

    private int housekeeping(final long nowNs)
    {
        int work = 0;
        copySessions();
        for (int i = 0, size = scratchSessions.size(); i < size; i++)
        {
            final Session session = scratchSessions.get(i);
            if (STATE_OPEN != session.state)
            {
                if (STATE_CONNECTING == session.state && session.publication.isConnected())
                {
                    work += completeConnect(session);
                }
                else if (nowNs - session.lastActivityNs > connectTimeoutNs)
                {
                    counters.sessionsTimedOut.increment();
                    closeSession(session, ErrorCode.REQUEST_TIMED_OUT, STATE_ADDING == session.state ?
                        "the media driver never added the response publication" : "response channel never connected");
                    work++;
                }
            }
            else if (null == subscriptions[session.channelIndex].imageBySessionId(session.imageSessionId))
            {
                closeSession(session, ErrorCode.NETWORK_EXCEPTION, "client went away");
                work++;
            }
            else if (nowNs - session.lastActivityNs > sessionTimeoutNs)
            {
                counters.sessionsTimedOut.increment();
                closeSession(session, ErrorCode.REQUEST_TIMED_OUT, "session timed out");
                work++;
            }
        }
        scratchSessions.clear();

        return work;
    }

    /**
     * The sessions into a list that closing one cannot change, without {@code addAll}'s array per call: the map's
     * value iterator is reused.
     */
    private void copySessions()
    {
        scratchSessions.clear();
        for (final Session session : sessions.values())
        {
            scratchSessions.add(session);
        }
    }

    private void onRequest(
        final long sessionId, final int templateId, final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            handler.onRequest(sessionId, templateId, buffer, offset, length, nowNs);
        }
        catch (final AgentTerminationException ex)
        {
            fatalError = ex;
        }
        catch (final Error ex)
        {
            fatalError = new AgentTerminationException("fatal error handling a request: " + ex, ex);
        }
    }

    private void onFragment(
        final int channelIndex, final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int imageSessionId = header.sessionId();
        final long sessionId = sessionId(channelIndex, imageSessionId);
        final Session session = sessions.get(sessionId);

        final ValidationResult result = validator.validate(buffer, offset, length);
        if (ValidationResult.OK != result)
        {
            counters.malformedRequests.increment();
            errorHandler.onError(malformedByResult[result.ordinal()]);
            if (null != session && STATE_OPEN == session.state)
            {
                sendError(
                    sessionId,
                    validator.correlationId(),
                    validator.templateId(),
                    validator.errorCode(),
                    name + ": " + validator.reason());
            }
            else
            {
                counters.requestsWithoutSession.increment();
            }
            return;
        }

        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        if (null != session)
        {
            session.lastActivityNs = nowNs;
        }

        switch (templateId)
        {
            case SessionConnectRequestDecoder.TEMPLATE_ID:
                onConnect(session, channelIndex, imageSessionId, buffer, offset);
                break;

            case SessionCloseRequestDecoder.TEMPLATE_ID:
                if (null != session)
                {
                    closeSession(session, ErrorCode.NONE, "closed by client");
                }
                break;

            case SessionKeepAliveDecoder.TEMPLATE_ID:
                break;

            default:
                if (null == session || STATE_OPEN != session.state)
                {
                    counters.requestsWithoutSession.increment();
                }
                else if (null == fatalError)
                {
                    onRequest(sessionId, templateId, buffer, offset, length);
                }
                break;
        }
    }

    private void onConnect(
        final Session existing,
        final int channelIndex,
        final int imageSessionId,
        final DirectBuffer buffer,
        final int offset)
    {
        connectDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = connectDecoder.correlationId();
        final int protocolVersion = connectDecoder.protocolVersion();
        final int responseStreamId = connectDecoder.responseStreamId();
        final int channelLength = connectDecoder.responseChannelLength();

        if (null != existing)
        {
            existing.connectCorrelationId = correlationId;
            if (STATE_OPEN == existing.state)
            {
                completeConnect(existing);
            }
            return;
        }

        if (channelLength <= 0 || channelLength > Transport.MAX_CHANNEL_LENGTH)
        {
            counters.malformedRequests.increment();
            errorHandler.onError(badResponseChannel);
            connectDecoder.skipResponseChannel();
            return;
        }
        connectDecoder.getResponseChannel(channelBytes, 0, channelLength);
        final String channel = channelBytes.getStringWithoutLengthUtf8(0, channelLength);
        if (!channel.startsWith("aeron:ipc") && !channel.startsWith("aeron:udp"))
        {
            counters.malformedRequests.increment();
            errorHandler.onError(badResponseChannel);
            return;
        }

        // Added asynchronously: the blocking add would hold this agent (and every other session's requests) for a
        // round trip to the media driver, or for the driver timeout if the driver is stalled. The publication is
        // picked up by pollAddedPublications() and the connect answered once it is connected.
        final long registrationId;
        try
        {
            registrationId = aeron.asyncAddExclusivePublication(channel, responseStreamId);
        }
        catch (final RuntimeException ex)
        {
            counters.malformedRequests.increment();
            errorHandler.onError(badResponseChannel);
            return;
        }

        final Session session = new Session(
            sessionId(channelIndex, imageSessionId), channelIndex, imageSessionId, registrationId, protocolVersion);
        session.connectCorrelationId = correlationId;
        session.lastActivityNs = nowNs;
        sessions.put(session.sessionId, session);
        addingSessions.add(session);
    }

    private int pollAddedPublications()
    {
        int work = 0;
        for (int i = addingSessions.size() - 1; i >= 0; i--)
        {
            final Session session = addingSessions.get(i);
            final ExclusivePublication publication;
            try
            {
                publication = aeron.getExclusivePublication(session.registrationId);
            }
            catch (final RegistrationException ex)
            {
                // The driver refused the client's response channel: the request was malformed, as a bad channel
                // refused by a blocking add always was.
                addingSessions.remove(i);
                sessions.remove(session.sessionId);
                counters.malformedRequests.increment();
                errorHandler.onError(badResponseChannel);
                work++;
                continue;
            }
            if (null == publication)
            {
                continue;
            }

            addingSessions.remove(i);
            session.publication = publication;
            session.state = STATE_CONNECTING;
            counters.sessionsOpened.increment();
            work++;
            if (publication.isConnected())
            {
                completeConnect(session);
            }
        }

        return work;
    }

    private int completeConnect(final Session session)
    {
        final boolean versionSupported = session.protocolVersion == Transport.PROTOCOL_VERSION;
        connectResponseEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder)
            .correlationId(session.connectCorrelationId)
            .errorCode(versionSupported ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_VERSION)
            .sessionId(session.sessionId)
            .nodeId(nodeId)
            .protocolVersion(Transport.PROTOCOL_VERSION)
            .maxRequestLength(maxRequestLength)
            .errorMessage(versionSupported ? "" : "unsupported protocol version " + session.protocolVersion)
            .clusterMembers(clusterMembers);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + connectResponseEncoder.encodedLength();

        final long result = session.publication.offer(controlBuffer, 0, length);
        if (result < 0)
        {
            return 0;
        }

        if (!versionSupported)
        {
            closeSession(session, ErrorCode.UNSUPPORTED_VERSION, "unsupported protocol version");
            return 1;
        }

        final boolean wasOpen = STATE_OPEN == session.state;
        session.state = STATE_OPEN;
        session.lastActivityNs = nowNs;
        if (!wasOpen)
        {
            handler.onSessionOpened(session.sessionId, nowNs);
        }

        return 1;
    }

    private void closeSession(final Session session, final ErrorCode code, final String reason)
    {
        if (null == sessions.remove(session.sessionId))
        {
            return;
        }
        // Aeron's assembler keeps a buffer per image session that ever sent a fragmented request (every request over
        // ~1.4 KB from a UDP client) until told to free it: without this a broker held one per client session ever.
        if (assemblers[session.channelIndex].freeSessionBuffer(session.imageSessionId))
        {
            assemblyBuffersFreed++;
        }

        if (STATE_ADDING == session.state)
        {
            // Never opened, so never counted as opened or closed: the driver drops the publication once added.
            addingSessions.remove(session);
            aeron.asyncRemovePublication(session.registrationId);
            return;
        }

        if (session.publication.isConnected())
        {
            closedEventEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder)
                .sessionId(session.sessionId)
                .errorCode(code)
                .reason(reason);
            session.publication.offer(
                controlBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + closedEventEncoder.encodedLength());
        }
        CloseHelper.quietClose(session.publication);
        counters.sessionsClosed.increment();

        if (STATE_OPEN == session.state)
        {
            handler.onSessionClosed(session.sessionId, nowNs);
        }
    }

    private static long sessionId(final int channelIndex, final int imageSessionId)
    {
        return ((long)channelIndex << 32) | (imageSessionId & 0xFFFF_FFFFL);
    }

    private final class ChannelHandler implements FragmentHandler
    {
        private final int channelIndex;

        ChannelHandler(final int channelIndex)
        {
            this.channelIndex = channelIndex;
        }

        public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            SessionServer.this.onFragment(channelIndex, buffer, offset, length, header);
        }
    }

    private static final class Session
    {
        final long sessionId;
        final int channelIndex;
        final int imageSessionId;
        final long registrationId;
        final int protocolVersion;
        ExclusivePublication publication;
        int state = STATE_ADDING;
        long connectCorrelationId;
        long lastActivityNs;

        Session(
            final long sessionId,
            final int channelIndex,
            final int imageSessionId,
            final long registrationId,
            final int protocolVersion)
        {
            this.sessionId = sessionId;
            this.channelIndex = channelIndex;
            this.imageSessionId = imageSessionId;
            this.registrationId = registrationId;
            this.protocolVersion = protocolVersion;
        }
    }
}
