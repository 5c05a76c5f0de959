package io.spindle.cluster;

import java.nio.ByteOrder;
import java.nio.file.Path;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.spindle.codecs.Transport;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.host.BrokerCounters;
import io.spindle.host.FetchServer;
import io.spindle.host.SessionServer;
import io.spindle.monitor.CountedErrorLog;
import io.spindle.monitor.StageLatencies;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemNanoClock;

/**
 * What a cluster member serves clients beside the cluster's ingress, on its client endpoint {@code HOST:PORT}: a
 * fetch server reading the member's own partition logs (up to what the member has applied: its high-water mark),
 * and a control stream whose only job is to tell a connecting client that this is a cluster member and who the
 * members are, so that the client sends its requests through the cluster's ingress (on the same endpoint).
 * <p>
 * <b>Threading:</b> one agent thread of its own; the partition logs are read as the standalone fetch server reads
 * them, through the topic table the service thread publishes.
 */
final class MemberGateway implements Agent, SessionServer.RequestHandler
{
    private final Aeron aeron;
    private final CountedErrorLog errorLog;
    private final BrokerCounters counters;
    private final SessionServer controlServer;
    private final FetchServer fetchServer;
    private final MemberFileServer fileServer;
    private final AgentRunner runner;

    /**
     * Start serving on the member's client endpoint.
     *
     * @param aeronDirectoryName of the member's media driver.
     * @param memberId           the member's id.
     * @param host               the member's client host.
     * @param port               the member's client port (the cluster's ingress port as well).
     * @param members            every member's client endpoint, {@code ID=HOST:PORT,...}.
     * @param maxRequestLength   the longest request the cluster's log carries.
     * @param service            whose partition logs are served.
     * @param sessionTimeoutNs   a session that sends nothing for this long is closed.
     * @param idleStrategy       of the gateway's thread.
     * @param errorLog           for errors on the gateway's thread; counted in a counter of the gateway's client.
     * @param latencies          where the fetch server records appended to pushed, or null.
     * @param memberDir          the member's directory, whose files the {@link MemberFileServer} serves.
     * @param secret             the members' secret, or null: with one, files are served to members only.
     */
    MemberGateway(
        final String aeronDirectoryName,
        final int memberId,
        final String host,
        final int port,
        final String members,
        final int maxRequestLength,
        final SpindleClusteredService service,
        final long sessionTimeoutNs,
        final IdleStrategy idleStrategy,
        final CountedErrorLog errorLog,
        final StageLatencies latencies,
        final Path memberDir,
        final byte[] secret)
    {
        final ErrorHandler errorHandler = errorLog;
        Aeron aeron = null;
        BrokerCounters counters = null;
        SessionServer controlServer = null;
        MemberFileServer fileServer = null;
        try
        {
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(aeronDirectoryName)
                .errorHandler(errorHandler));
            counters = new BrokerCounters(aeron, memberId);
            errorLog.counter(counters.errors(aeron, errorLog.markFile()));
            // Sparse image logs, as on a standalone broker: a forged SETUP frame costs address space, not memory.
            final String[] channels = {
                Transport.udpChannel(host, port) + "|" + CommonContext.SPARSE_PARAM_NAME + "=true" };
            final Aeron client = aeron;
            final BrokerCounters brokerCounters = counters;
            controlServer = new SessionServer(client, "control", channels, Transport.CONTROL_STREAM_ID, memberId,
                sessionTimeoutNs, brokerCounters, this).clusterMember(members, maxRequestLength)
                .errorHandler(errorLog);
            fetchServer = new FetchServer(
                (handler) -> new SessionServer(client, "fetch", channels, Transport.FETCH_STREAM_ID, memberId,
                    sessionTimeoutNs, brokerCounters, handler).errorHandler(errorLog),
                service::topicTable,
                counters,
                SystemNanoClock.INSTANCE)
                .waitAboveHighWaterMark(true)
                .latencies(latencies);
            fileServer = new MemberFileServer(client, channels[0], memberDir, secret, errorHandler);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(fileServer, controlServer, counters, aeron);
            throw ex;
        }
        this.errorLog = errorLog;
        this.aeron = aeron;
        this.counters = counters;
        this.controlServer = controlServer;
        this.fileServer = fileServer;
        service.readerTableVersion(fetchServer::observedTableVersion);
        runner = new AgentRunner(idleStrategy, errorHandler, null, this);
        AgentRunner.startOnThread(runner);
    }

    /**
     * {@inheritDoc}
     */
    public int doWork() throws Exception
    {
        final long nowNs = SystemNanoClock.INSTANCE.nanoTime();
        return controlServer.poll(nowNs) + fetchServer.doWork() + fileServer.poll(nowNs);
    }

    /**
     * {@inheritDoc}
     */
    public void onClose()
    {
        errorLog.counter(null);
        CloseHelper.quietCloseAll(fileServer, controlServer, fetchServer::onClose, counters, aeron);
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-member-gateway";
    }

    /**
     * Stop the gateway's thread; its servers close on it.
     */
    void close()
    {
        CloseHelper.quietClose(runner);
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionOpened(final long sessionId, final long nowNs)
    {
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionClosed(final long sessionId, final long nowNs)
    {
    }

    /**
     * A request on the control stream of a member: state changes go through the cluster so that every member applies
     * them; say so.
     */
    public void onRequest(
        final long sessionId,
        final int templateId,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long nowNs)
    {
        final long correlationId = buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH,
            ByteOrder.LITTLE_ENDIAN);
        controlServer.sendError(sessionId, correlationId, templateId, ErrorCode.NOT_LEADER,
            "this is a cluster member: send requests through the cluster's ingress (a Spindle client does)");
    }
}
