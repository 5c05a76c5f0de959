package io.spindle.client;

import java.io.File;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.codecs.Transport;
import io.spindle.driver.DriverDirectory;
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
    private final Aeron aeron;
    private ServerConnection control;
    private ServerConnection fetch;

    ClientTransport(final ClientContext ctx)
    {
        this.ctx = ctx;
        final String requestChannel = ctx.requestChannel();
        MediaDriver driver = null;
        Aeron aeron = null;
        if (null != ctx.aeron())
        {
            this.driver = null;
            this.aeron = ctx.aeron();
            this.ownsAeron = false;
            this.requestChannel = requestChannel;
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
        this.requestChannel = requestChannel;
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

    private final String requestChannel;
    private final boolean ownsAeron;
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
        return MediaDriver.launch(new MediaDriver.Context()
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
        if (!(error instanceof io.aeron.exceptions.DriverTimeoutException) &&
            !(error instanceof io.aeron.exceptions.ConductorServiceTimeoutException))
        {
            error.printStackTrace();
        }
    }

    /**
     * The session with the control stream, opened on first use.
     *
     * @return the connected session.
     */
    ServerConnection control()
    {
        if (null == control || !control.isConnected())
        {
            CloseHelper.quietClose(control);
            control = connect(Transport.CONTROL_STREAM_ID, Transport.CONTROL_RESPONSE_STREAM_ID);
        }
        return control;
    }

    /**
     * The session with the fetch stream, opened on first use.
     *
     * @return the connected session.
     */
    ServerConnection fetch()
    {
        if (null == fetch || !fetch.isConnected())
        {
            CloseHelper.quietClose(fetch);
            fetch = connect(Transport.FETCH_STREAM_ID, Transport.FETCH_RESPONSE_STREAM_ID);
        }
        return fetch;
    }

    private ServerConnection connect(final int requestStreamId, final int responseStreamId)
    {
        final ServerConnection connection = new ServerConnection(
            aeron, requestChannel, requestStreamId, ctx.localResponseHost(), responseStreamId, ctx.clientId(),
            ctx.idleStrategy());
        try
        {
            connection.connect(System.nanoTime() + ctx.connectTimeoutMs() * 1_000_000L);
        }
        catch (final RuntimeException ex)
        {
            connection.close();
            throw ex;
        }
        return connection;
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
