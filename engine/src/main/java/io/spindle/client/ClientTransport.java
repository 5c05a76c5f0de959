package io.spindle.client;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.codecs.Transport;
import io.spindle.driver.DriverDirectory;
import io.spindle.driver.SchedulerSlice;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;

/**
 * A client's Aeron plumbing: the Aeron client (and, for a UDP client without an external driver, an
 * embedded media driver) and its sessions with the broker's control and fetch streams.
 */
final class ClientTransport implements AutoCloseable
{
    private static final long EXIT_CLOSE_GRACE_MS = 500;

    private final ClientContext ctx;
    private final MediaDriver driver;
    private Aeron aeron;
    private String aeronDirectoryName;
    private BrokerConnection control;
    private ServerConnection fetch;
    private String clusterMembers;
    private int clusterMaxRequestLength;

    ClientTransport(final ClientContext ctx)
    {
        ctx.conclude();
        this.ctx = ctx;
        final List<String> requestChannels = new ArrayList<>();
        for (final String channel : ctx.requestChannels())
        {
            requestChannels.add(ctx.sizedRequestChannel(channel));
        }
        MediaDriver driver = null;
        Aeron aeron = null;
        if (null != ctx.aeron())
        {
            this.driver = null;
            this.aeron = ctx.aeron();
            this.ownsAeron = false;
            this.requestChannels = requestChannels;
            return;
        }
        try
        {
            String dir = ctx.aeronDirectoryName();
            if (null == dir && !ctx.isIpc())
            {
                final String systemDir = System.getProperty(CommonContext.AERON_DIR_PROP_NAME);
                if (null != systemDir && DriverDirectory.isDriverActive(new File(systemDir)))
                {
                    // -Daeron.dir names a running driver (a broker's, say): use it, never start one over it.
                    dir = systemDir;
                }
                else
                {
                    driver = launchEmbeddedDriver();
                    dir = driver.aeronDirectoryName();
                }
            }
            // A vanished broker (and its driver) is reported through the sessions, not as stack traces.
            final Aeron.Context aeronCtx = new Aeron.Context().errorHandler(ClientTransport::onAeronError);
            if (null != dir)
            {
                aeronCtx.aeronDirectoryName(dir);
            }
            aeron = Aeron.connect(aeronCtx);
            this.aeronDirectoryName = dir;
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(aeron, driver);
            throw new SpindleException(io.spindle.codecs.protocol.ErrorCode.NETWORK_EXCEPTION,
                "cannot reach a media driver for bootstrap '" + ctx.bootstrap() + "'" +
                (ctx.isIpc() ? " (is a broker running on this machine?)" : "") + ": " + ex.getMessage());
        }
        this.driver = driver;
        this.aeron = aeron;
        this.ownsAeron = true;
        this.requestChannels = requestChannels;
        if (null != driver)
        {
            final File driverDir = new File(driver.aeronDirectoryName());
            final Thread cleanup = new Thread(() -> removeOnExit(driverDir), "spindle-client-driver-cleanup");
            try
            {
                Runtime.getRuntime().addShutdownHook(cleanup);
                driverCleanup = cleanup;
            }
            catch (final IllegalStateException ignore)
            {
                // Started while the JVM shuts down: close() still removes the directory.
            }
        }
    }

    private static final long FIRST_ATTEMPT_NS = 1_000_000_000L;
    private static final long MIN_ATTEMPT_NS = 250_000_000L;

    private final List<String> requestChannels;
    private final boolean ownsAeron;
    private int lastGoodChannel;
    private final CountDownLatch closed = new CountDownLatch(1);
    private Thread driverCleanup;

    /**
     * The embedded driver of a UDP client: in a directory of its own, {@code spindle-client-<pid>-<n>}
     * beside Aeron's default one, so it never touches another driver's directory (a broker's included).
     * The directories of clients killed with SIGKILL, which nothing could remove, are swept first.
     */
    private static MediaDriver launchEmbeddedDriver()
    {
        DriverDirectory.sweepDeadClientDirectories(DriverDirectory.clientDirectoryParent());
        return MediaDriver.launch(SchedulerSlice.driverThreads(new MediaDriver.Context(), SchedulerSlice.configured())
            .aeronDirectoryName(DriverDirectory.newClientDirectory().getPath())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 100_000))
            .asyncExecutorEnabled(false)
            .dirDeleteOnStart(false)
            .dirDeleteOnShutdown(true)
            .publicationTermBufferLength(4 * 1024 * 1024)
            .ipcTermBufferLength(4 * 1024 * 1024));
    }

    /**
     * On SIGINT or SIGTERM: give the application's own exit path a moment to close this client (which
     * removes the driver's directory), then remove the directory anyway; the process is ending.
     */
    private void removeOnExit(final File driverDir)
    {
        try
        {
            closed.await(EXIT_CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        IoUtil.delete(driverDir, true);
    }

    private static void onAeronError(final Throwable error)
    {
        // A broker's driver that stops ends the client (AgentTerminationException): the sessions say so.
        if (!(error instanceof io.aeron.exceptions.DriverTimeoutException) &&
            !(error instanceof io.aeron.exceptions.ConductorServiceTimeoutException) &&
            !(error instanceof org.agrona.concurrent.AgentTerminationException))
        {
            error.printStackTrace();
        }
    }

    /**
     * The connection requests go on, opened on first use: the control session of a standalone broker, or, when the
     * bootstrap address is a cluster member, a session with the cluster through its ingress.
     *
     * @return the connected session.
     */
    BrokerConnection control()
    {
        if (null == control || !control.isConnected())
        {
            CloseHelper.quietClose(control);
            control = null;
            if (null == clusterMembers)
            {
                final ServerConnection session = connect(Transport.CONTROL_STREAM_ID,
                    Transport.CONTROL_RESPONSE_STREAM_ID);
                if (session.clusterMembers().isEmpty())
                {
                    control = session;
                    return control;
                }
                // A cluster member: its session only told us the members; requests go through the cluster.
                session.close();
                onClusterDiscovered(session.clusterMembers(), session.maxRequestLength());
            }
            control = connectCluster();
        }
        return control;
    }

    /**
     * The session with the fetch stream, opened on first use: the broker's, or a cluster member's (the one named
     * by {@link ClientContext#replica(int)}, else the first on this machine, else the one that answered first; then
     * round the others when it goes away).
     *
     * @return the connected session.
     */
    ServerConnection fetch()
    {
        if (null == fetch || !fetch.isConnected())
        {
            CloseHelper.quietClose(fetch);
            fetch = null;
            if (null == clusterMembers && ctx.replica() >= 0)
            {
                control();
            }
            fetch = connect(Transport.FETCH_STREAM_ID, Transport.FETCH_RESPONSE_STREAM_ID);
        }
        return fetch;
    }

    /**
     * How many members fetches may go to: the cluster's members when the client chose none ({@link
     * ClientContext#replica(int)} not set), else 1 (the named member, or a single broker).
     *
     * @return the count.
     */
    int fetchMemberCount()
    {
        return null != clusterMembers && ctx.replica() < 0 ? requestChannels.size() : 1;
    }

    /**
     * Close the fetch session and open one with the next cluster member, for a member that cannot serve what was
     * asked (its own tier lacks offsets the cluster holds: KAFKA_STORAGE_ERROR); the members after it are tried in
     * turn if it does not answer, as for a lost session. Only when {@link #fetchMemberCount()} is above 1.
     *
     * @return the new session.
     */
    ServerConnection fetchFromNextMember()
    {
        if (fetchMemberCount() < 2)
        {
            throw new IllegalStateException("no other member to fetch from");
        }
        CloseHelper.quietClose(fetch);
        fetch = null;
        lastGoodChannel = (lastGoodChannel + 1) % requestChannels.size();
        return fetch();
    }

    private void onClusterDiscovered(final String members, final int maxRequestLength)
    {
        final List<String> memberChannels = ClientContext.memberRequestChannels(members);
        final int replica = ctx.replica();
        if (replica >= memberChannels.size())
        {
            throw new SpindleException(io.spindle.codecs.protocol.ErrorCode.INVALID_REQUEST, "replica " + replica +
                " is not a member of the cluster " + members);
        }
        // Fetches go to the member the client was asked for; else to one on this machine, else to the one that
        // answered, then round the others.
        final String answered = requestChannels.get(lastGoodChannel);
        requestChannels.clear();
        if (replica >= 0)
        {
            requestChannels.add(memberChannels.get(replica));
            lastGoodChannel = 0;
        }
        else
        {
            requestChannels.addAll(memberChannels);
            final int local = firstLocalMember(memberChannels);
            lastGoodChannel = local >= 0 ? local : Math.max(0, memberChannels.indexOf(stripTermLength(answered)));
        }
        clusterMembers = members;
        clusterMaxRequestLength = maxRequestLength;
    }

    /**
     * The first member on this machine (its host resolves to an address of one of this machine's interfaces), whose
     * fetches cost no network hop; -1 when none is.
     */
    private static int firstLocalMember(final List<String> memberChannels)
    {
        for (int i = 0; i < memberChannels.size(); i++)
        {
            final String channel = memberChannels.get(i);
            final String host = channel.substring(channel.indexOf('=') + 1, channel.lastIndexOf(':'));
            try
            {
                final InetAddress address = InetAddress.getByName(host);
                if (address.isLoopbackAddress() || null != NetworkInterface.getByInetAddress(address))
                {
                    return i;
                }
            }
            catch (final IOException ex)
            {
                // Unresolvable here: not this machine.
            }
        }
        return -1;
    }

    private static String stripTermLength(final String channel)
    {
        final int sized = channel.indexOf("term-length=");
        return sized < 0 ? channel : channel.substring(0, sized - 1);
    }

    private ClusterConnection connectCluster()
    {
        final String firstMember = requestChannels.get(0);
        return new ClusterConnection(
            aeron,
            clusterMembers,
            ctx.sizedRequestChannel("aeron:udp"),
            ctx.localResponseHost(firstMember),
            clusterMaxRequestLength,
            ctx.connectTimeoutMs(),
            ctx.idleStrategy());
    }

    private ServerConnection connect(final int requestStreamId, final int responseStreamId)
    {
        // Fetch responses are the long ones; control responses (acks, metadata) are short and rarely fragmented.
        final int assemblyCapacity = Transport.FETCH_STREAM_ID == requestStreamId ? ctx.fetchResponseCapacity() : 0;
        // Each bootstrap address in turn, starting with the one that answered last, for a slice of the
        // connect timeout that doubles every round, so a dead first address costs a second, not the lot.
        final long deadlineNs = System.nanoTime() + ctx.connectTimeoutMs() * 1_000_000L;
        final int count = requestChannels.size();
        final StringBuilder tried = new StringBuilder();
        SpindleException lastError = null;
        long sliceNs = count > 1 ? FIRST_ATTEMPT_NS : Long.MAX_VALUE;
        for (int attempt = 0; attempt < count || System.nanoTime() - deadlineNs < 0; attempt++)
        {
            if (attempt > 0 && 0 == attempt % count)
            {
                sliceNs = sliceNs * 2;
            }
            if (ownsAeron && aeron.isClosed())
            {
                reconnectAeron();
            }
            final int index = (lastGoodChannel + attempt) % count;
            final String channel = requestChannels.get(index);
            final long budgetNs = Math.min(Math.max(deadlineNs - System.nanoTime(), MIN_ATTEMPT_NS), sliceNs);
            ServerConnection connection = null;
            try
            {
                connection = new ServerConnection(
                    aeron, channel, requestStreamId, ctx.localResponseHost(channel), responseStreamId,
                    ctx.clientId(), ctx.idleStrategy(), assemblyCapacity);
                connection.connect(System.nanoTime() + budgetNs);
                lastGoodChannel = index;
                return connection;
            }
            catch (final RuntimeException ex)
            {
                CloseHelper.quietClose(connection);
                if (ex instanceof io.aeron.exceptions.DriverTimeoutException && ownsAeron)
                {
                    // The driver went away while the session was being set up: the next attempt connects anew.
                    CloseHelper.quietClose(aeron);
                }
                final SpindleException error = ex instanceof SpindleException ? (SpindleException)ex :
                    new SpindleException(io.spindle.codecs.protocol.ErrorCode.NETWORK_EXCEPTION,
                    "cannot open a session with " + channel + ": " + ex.getMessage());
                if (1 == count)
                {
                    throw error;
                }
                lastError = error;
                if (attempt < count)
                {
                    tried.append(0 == attempt ? "" : ", ").append(channel.substring(channel.indexOf('=') + 1));
                }
            }
        }
        throw new SpindleException(lastError.errorCode(), "no broker answered within " + ctx.connectTimeoutMs() +
            " ms at any of " + tried + " (last: " + lastError.getMessage() + ")");
    }

    /**
     * The media driver went away (an IPC broker's driver restarted with its broker): connect a new
     * Aeron client to the driver in the same directory, which must be up within Aeron's driver timeout.
     */
    private void reconnectAeron()
    {
        final Aeron.Context aeronCtx = new Aeron.Context().errorHandler(ClientTransport::onAeronError);
        if (null != aeronDirectoryName)
        {
            aeronCtx.aeronDirectoryName(aeronDirectoryName);
        }
        CloseHelper.quietCloseAll(fetch, control);
        fetch = null;
        control = null;
        try
        {
            aeron = Aeron.connect(aeronCtx);
        }
        catch (final RuntimeException ex)
        {
            throw new SpindleException(io.spindle.codecs.protocol.ErrorCode.NETWORK_EXCEPTION,
                "the media driver went away and none answers in " + aeronCtx.aeronDirectoryName() + ": " +
                ex.getMessage());
        }
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        CloseHelper.quietCloseAll(fetch, control);
        if (ownsAeron)
        {
            CloseHelper.quietCloseAll(aeron, driver);
        }
        closed.countDown();
        if (null != driverCleanup)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(driverCleanup);
            }
            catch (final IllegalStateException ignore)
            {
                // Closed by the application's exit path while the JVM shuts down: the hook is running.
            }
            driverCleanup = null;
        }
    }
}
