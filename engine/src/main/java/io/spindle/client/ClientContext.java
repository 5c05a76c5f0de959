package io.spindle.client;

import io.spindle.codecs.Transport;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * What every Spindle client needs to reach a broker: the bootstrap, the Aeron directory, timeouts and
 * the idle strategy used while a call blocks.
 * <p>
 * Bootstrap is either {@code ipc} — the co-located broker's media driver, at Aeron's default
 * directory unless {@link #aeronDirectoryName(String)} says otherwise — or a comma-separated list of
 * {@code HOST:PORT} UDP endpoints, of which the first is used. A UDP client uses the media driver at
 * {@link #aeronDirectoryName(String)} when given one, or at {@code -Daeron.dir} when a driver is running
 * there; otherwise it starts an embedded driver in a directory of its own,
 * {@code spindle-client-<pid>-<n>} beside Aeron's default directory, removed on close and on SIGINT or
 * SIGTERM (those of clients killed with SIGKILL are removed by the next UDP client to start). It never
 * starts a driver in a directory another driver uses.
 */
public class ClientContext
{
    private String bootstrap = System.getProperty("spindle.bootstrap", "ipc");
    private String aeronDirectoryName = System.getProperty("spindle.client.aeron.dir");
    private String clientId = System.getProperty("spindle.client.id", "spindle-client");
    private String responseHost = System.getProperty("spindle.client.response.host");
    private long requestTimeoutMs = Long.getLong("spindle.client.request.timeout.ms", 30_000L);
    private long connectTimeoutMs = Long.getLong("spindle.client.connect.timeout.ms", 10_000L);
    private IdleStrategy idleStrategy = new BackoffIdleStrategy(10, 20, 1_000, 100_000);
    private io.aeron.Aeron aeron;

    /**
     * Where the broker is.
     *
     * @param bootstrap {@code ipc} or {@code HOST:PORT[,HOST:PORT...]}.
     * @return this.
     */
    public ClientContext bootstrap(final String bootstrap)
    {
        this.bootstrap = bootstrap;
        return this;
    }

    /**
     * The bootstrap.
     *
     * @return the bootstrap string.
     */
    public String bootstrap()
    {
        return bootstrap;
    }

    /**
     * The media driver directory to use (IPC: the broker's; UDP: an external local driver).
     *
     * @param dir the directory, or null for the default.
     * @return this.
     */
    public ClientContext aeronDirectoryName(final String dir)
    {
        this.aeronDirectoryName = dir;
        return this;
    }

    /**
     * The media driver directory, or null for the default.
     *
     * @return the directory.
     */
    public String aeronDirectoryName()
    {
        return aeronDirectoryName;
    }

    /**
     * The client's name in the broker's logs.
     *
     * @param clientId the name.
     * @return this.
     */
    public ClientContext clientId(final String clientId)
    {
        this.clientId = clientId;
        return this;
    }

    /**
     * The client's name.
     *
     * @return the name.
     */
    public String clientId()
    {
        return clientId;
    }

    /**
     * The local address a UDP broker should send responses to (default: 127.0.0.1 for a loopback
     * broker, else the wildcard address the driver resolves).
     *
     * @param host address or name.
     * @return this.
     */
    public ClientContext responseHost(final String host)
    {
        this.responseHost = host;
        return this;
    }

    /**
     * The response host, or null for the default.
     *
     * @return the host.
     */
    public String responseHost()
    {
        return responseHost;
    }

    /**
     * How long a blocking call waits for its answer.
     *
     * @param timeoutMs the timeout.
     * @return this.
     */
    public ClientContext requestTimeoutMs(final long timeoutMs)
    {
        this.requestTimeoutMs = timeoutMs;
        return this;
    }

    /**
     * How long a blocking call waits for its answer.
     *
     * @return the timeout in ms.
     */
    public long requestTimeoutMs()
    {
        return requestTimeoutMs;
    }

    /**
     * How long opening a session may take.
     *
     * @param timeoutMs the timeout.
     * @return this.
     */
    public ClientContext connectTimeoutMs(final long timeoutMs)
    {
        this.connectTimeoutMs = timeoutMs;
        return this;
    }

    /**
     * How long opening a session may take.
     *
     * @return the timeout in ms.
     */
    public long connectTimeoutMs()
    {
        return connectTimeoutMs;
    }

    /**
     * The idle strategy used while a call blocks.
     *
     * @param idleStrategy the strategy.
     * @return this.
     */
    public ClientContext idleStrategy(final IdleStrategy idleStrategy)
    {
        this.idleStrategy = idleStrategy;
        return this;
    }

    /**
     * The idle strategy used while a call blocks.
     *
     * @return the strategy.
     */
    public IdleStrategy idleStrategy()
    {
        return idleStrategy;
    }

    /**
     * Share an Aeron client the application already has (one per process is Aeron's advice: each
     * client runs a conductor thread). The Spindle client uses it and does not close it; it must be
     * connected to the right media driver (IPC: the broker's).
     *
     * @param aeron the shared client, or null to connect one.
     * @return this.
     */
    public ClientContext aeron(final io.aeron.Aeron aeron)
    {
        this.aeron = aeron;
        return this;
    }

    /**
     * The shared Aeron client, or null when the Spindle client connects its own.
     *
     * @return the client.
     */
    public io.aeron.Aeron aeron()
    {
        return aeron;
    }

    boolean isIpc()
    {
        return "ipc".equalsIgnoreCase(bootstrap.trim());
    }

    String requestChannel()
    {
        if (isIpc())
        {
            return Transport.IPC_CHANNEL;
        }
        final String first = bootstrap.split(",")[0].trim();
        final int colon = first.lastIndexOf(':');
        if (colon <= 0 || colon == first.length() - 1)
        {
            throw new IllegalArgumentException("bootstrap must be 'ipc' or HOST:PORT[,HOST:PORT...], was '" +
                bootstrap + "'");
        }
        final int port;
        try
        {
            port = Integer.parseInt(first.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("bad port in bootstrap '" + first + "'");
        }
        return Transport.udpChannel(first.substring(0, colon), port);
    }

    String localResponseHost()
    {
        if (null != responseHost)
        {
            return responseHost;
        }
        final String channel = requestChannel();
        final String host = channel.substring(channel.indexOf('=') + 1, channel.lastIndexOf(':'));
        return host.startsWith("127.") || "localhost".equals(host) ? "127.0.0.1" : "0.0.0.0";
    }
}
