package io.spindle.client;

import java.util.ArrayList;
import java.util.List;

import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.LogBufferDescriptor;
import io.spindle.codecs.Transport;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * What every Spindle client needs to reach a broker: the bootstrap, the Aeron directory, timeouts and
 * the idle strategy used while a call blocks.
 * <p>
 * Bootstrap is either {@code ipc} — the co-located broker's media driver, at Aeron's default
 * directory unless {@link #aeronDirectoryName(String)} says otherwise — or a comma-separated list of
 * {@code HOST:PORT} UDP endpoints, tried in order (and round again) until one answers within the
 * connect timeout. A UDP client uses the media driver at {@link #aeronDirectoryName(String)} when given one, or at
 * {@code -Daeron.dir} when a driver is running there; otherwise it starts an embedded driver in a directory of its
 * own, {@code spindle-client-<pid>-<n>} beside Aeron's default directory, removed on close and on SIGINT or SIGTERM
 * (those of clients killed with SIGKILL are removed by the next UDP client to start). It never starts a driver in a
 * directory another driver uses.
 * <p>
 * A session lost to a broker restart, to a pause longer than the broker's session timeout, or to the
 * broker closing it is opened again, with back-off, for up to the reconnect timeout, after which the
 * call fails with a {@link SpindleException}.
 */
public class ClientContext
{
    /**
     * The longest term Aeron allows; its messages are the longest any publication carries.
     */
    static final int MAX_TERM_LENGTH = LogBufferDescriptor.TERM_MAX_LENGTH;

    /**
     * The shortest term a producer asks for on its request channel: 4 MiB, the term the embedded UDP client
     * driver has always used.
     */
    static final int MIN_REQUEST_TERM_LENGTH = 4 * 1024 * 1024;

    private String bootstrap = ClientConfiguration.BOOTSTRAP.text();
    private String aeronDirectoryName = ClientConfiguration.AERON_DIR.text();
    private String clientId = ClientConfiguration.CLIENT_ID.text();
    private String responseHost = ClientConfiguration.RESPONSE_HOST.text();
    private long requestTimeoutMs = ClientConfiguration.REQUEST_TIMEOUT.duration();
    private long connectTimeoutMs = ClientConfiguration.CONNECT_TIMEOUT.duration();
    private long reconnectTimeoutMs = ClientConfiguration.RECONNECT_TIMEOUT.duration();
    private long reconnectBackoffMs = ClientConfiguration.RECONNECT_BACKOFF.duration();
    private long reconnectBackoffMaxMs = ClientConfiguration.RECONNECT_BACKOFF_MAX.duration();
    private int replica = ClientConfiguration.REPLICA.integer();
    private IdleStrategy idleStrategy = new BackoffIdleStrategy(10, 20, 1_000, 100_000);
    private io.aeron.Aeron aeron;

    /**
     * Check every setting every client has, naming the property of the first that cannot work (as a
     * {@code spindle.*} name, whether it came from a system property or was set here). {@code connect} calls it.
     *
     * @return this.
     * @throws IllegalArgumentException {@code invalid NAME=VALUE: reason}.
     */
    public ClientContext conclude()
    {
        if (null == bootstrap)
        {
            throw ClientConfiguration.invalid(ClientConfiguration.BOOTSTRAP, null, "expected ipc or HOST:PORT");
        }
        try
        {
            requestChannels();
        }
        catch (final IllegalArgumentException ex)
        {
            throw ClientConfiguration.invalid(ClientConfiguration.BOOTSTRAP, bootstrap, ex.getMessage());
        }
        if (null == clientId || clientId.isEmpty())
        {
            throw ClientConfiguration.invalid(ClientConfiguration.CLIENT_ID, clientId, "a client id must be given");
        }
        if (requestTimeoutMs < 1)
        {
            throw ClientConfiguration.invalid(ClientConfiguration.REQUEST_TIMEOUT, requestTimeoutMs,
                "must be at least 1ms");
        }
        if (connectTimeoutMs < 1)
        {
            throw ClientConfiguration.invalid(ClientConfiguration.CONNECT_TIMEOUT, connectTimeoutMs,
                "must be at least 1ms");
        }
        if (reconnectTimeoutMs < -1)
        {
            throw ClientConfiguration.invalid(ClientConfiguration.RECONNECT_TIMEOUT, reconnectTimeoutMs,
                "must be 0 or more, or -1 for the request timeout");
        }
        if (reconnectBackoffMs < 0)
        {
            throw ClientConfiguration.invalid(ClientConfiguration.RECONNECT_BACKOFF, reconnectBackoffMs,
                "must not be negative");
        }
        if (reconnectBackoffMaxMs < reconnectBackoffMs)
        {
            throw ClientConfiguration.invalid(ClientConfiguration.RECONNECT_BACKOFF_MAX, reconnectBackoffMaxMs,
                "must be at least " + ClientConfiguration.RECONNECT_BACKOFF.name() + "=" + reconnectBackoffMs);
        }
        if (replica < -1)
        {
            throw ClientConfiguration.invalid(ClientConfiguration.REPLICA, replica,
                "must be a member id, or -1 to let the client choose");
        }
        if (null == idleStrategy)
        {
            throw new IllegalArgumentException("an idle strategy must be given");
        }
        return this;
    }

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
     * Bytes of the buffer made up front for putting together a fetch response that arrives in fragments: the longest
     * fetch response this client expects, so none allocates once it is warm. None for clients that do not fetch.
     *
     * @return the capacity, or 0 for a buffer made on the first fragmented response.
     */
    int fetchResponseCapacity()
    {
        return 0;
    }

    /**
     * How long a client keeps trying to open a lost session again before the call that noticed the
     * loss fails; -1 (default) means the request timeout.
     *
     * @param timeoutMs the timeout, or -1.
     * @return this.
     */
    public ClientContext reconnectTimeoutMs(final long timeoutMs)
    {
        this.reconnectTimeoutMs = timeoutMs;
        return this;
    }

    /**
     * How long a client keeps trying to open a lost session again.
     *
     * @return the timeout in ms (the request timeout unless set).
     */
    public long reconnectTimeoutMs()
    {
        return reconnectTimeoutMs < 0 ? requestTimeoutMs : reconnectTimeoutMs;
    }

    /**
     * The pause after a failed reconnect attempt; it doubles with every failure up to
     * {@link #reconnectBackoffMaxMs(long)}.
     *
     * @param backoffMs the first pause.
     * @return this.
     */
    public ClientContext reconnectBackoffMs(final long backoffMs)
    {
        this.reconnectBackoffMs = backoffMs;
        return this;
    }

    /**
     * The first pause after a failed reconnect attempt.
     *
     * @return the pause in ms.
     */
    public long reconnectBackoffMs()
    {
        return reconnectBackoffMs;
    }

    /**
     * The longest pause between reconnect attempts.
     *
     * @param backoffMs the bound.
     * @return this.
     */
    public ClientContext reconnectBackoffMaxMs(final long backoffMs)
    {
        this.reconnectBackoffMaxMs = backoffMs;
        return this;
    }

    /**
     * The longest pause between reconnect attempts.
     *
     * @return the bound in ms.
     */
    public long reconnectBackoffMaxMs()
    {
        return reconnectBackoffMaxMs;
    }

    /**
     * The cluster member to fetch from (follower fetching); -1 (default) lets the client choose: the member it
     * reached first. A standalone broker has no members: there the setting is ignored.
     *
     * @param memberId the member's id, or -1.
     * @return this.
     */
    public ClientContext replica(final int memberId)
    {
        this.replica = memberId;
        return this;
    }

    /**
     * The cluster member to fetch from, or -1 to let the client choose.
     *
     * @return the member id, or -1.
     */
    public int replica()
    {
        return replica;
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

    /**
     * The longest request this client sends, in bytes, for its request publication to carry; 0 when every
     * request is small (metadata, fetch, admin), as for every client but the producer.
     *
     * @return the length, or 0.
     */
    int maxRequestLength()
    {
        return 0;
    }

    /**
     * A request channel with a term length that carries the client's longest request (Aeron carries messages
     * of up to an eighth of the term), or the channel as it is when every request is small.
     *
     * @param channel the broker's request channel.
     * @return the channel to publish requests on.
     */
    String sizedRequestChannel(final String channel)
    {
        final int maxRequestLength = maxRequestLength();
        if (0 == maxRequestLength)
        {
            return channel;
        }
        int termLength = MIN_REQUEST_TERM_LENGTH;
        while (FrameDescriptor.computeMaxMessageLength(termLength) < maxRequestLength && termLength < MAX_TERM_LENGTH)
        {
            termLength <<= 1;
        }
        return channel + (channel.indexOf('?') < 0 ? "?" : "|") + "term-length=" + termLength;
    }

    boolean isIpc()
    {
        return "ipc".equalsIgnoreCase(bootstrap.trim());
    }

    /**
     * The broker's request channels: {@code aeron:ipc}, or one UDP channel per bootstrap address in the
     * order given.
     *
     * @return the channels, at least one.
     * @throws IllegalArgumentException naming the entry that is not {@code HOST:PORT}.
     */
    List<String> requestChannels()
    {
        if (isIpc())
        {
            return List.of(Transport.IPC_CHANNEL);
        }
        final List<String> channels = new ArrayList<>();
        for (final String entry : bootstrap.split(","))
        {
            final String address = entry.trim();
            if (address.isEmpty())
            {
                continue;
            }
            final int colon = address.lastIndexOf(':');
            if (colon <= 0 || colon == address.length() - 1)
            {
                throw new IllegalArgumentException("bootstrap must be 'ipc' or HOST:PORT[,HOST:PORT...], was '" +
                    bootstrap + "'");
            }
            final int port;
            try
            {
                port = Integer.parseInt(address.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("bad port in bootstrap '" + address + "'");
            }
            if (port < 1 || port > 65_535)
            {
                throw new IllegalArgumentException("bad port in bootstrap '" + address + "': must be 1-65535");
            }
            channels.add(Transport.udpChannel(address.substring(0, colon), port));
        }
        if (channels.isEmpty())
        {
            throw new IllegalArgumentException("bootstrap must be 'ipc' or HOST:PORT[,HOST:PORT...], was '" +
                bootstrap + "'");
        }
        return channels;
    }

    /**
     * The request channels of a cluster's members, in member order.
     *
     * @param members {@code ID=HOST:PORT,...} as a member's connect response names them.
     * @return one UDP channel per member.
     */
    static List<String> memberRequestChannels(final String members)
    {
        final List<String> channels = new ArrayList<>();
        for (final String entry : members.split(","))
        {
            final String member = entry.trim();
            final int equals = member.indexOf('=');
            final int colon = member.lastIndexOf(':');
            channels.add(Transport.udpChannel(member.substring(equals + 1, colon),
                Integer.parseInt(member.substring(colon + 1))));
        }
        return channels;
    }

    /**
     * The first of the {@link #requestChannels()}.
     *
     * @return the channel.
     */
    String requestChannel()
    {
        return requestChannels().get(0);
    }

    /**
     * The local address a broker at a request channel should answer to.
     *
     * @param requestChannel one of the {@link #requestChannels()}.
     * @return the host.
     */
    String localResponseHost(final String requestChannel)
    {
        if (null != responseHost)
        {
            return responseHost;
        }
        if (requestChannel.startsWith("aeron:ipc"))
        {
            return "127.0.0.1";
        }
        final String host = requestChannel.substring(requestChannel.indexOf('=') + 1, requestChannel.lastIndexOf(':'));
        return host.startsWith("127.") || "localhost".equals(host) ? "127.0.0.1" : "0.0.0.0";
    }
}
