package io.spindle.client;

import java.util.ArrayList;
import java.util.List;

import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.LogBufferDescriptor;
import io.spindle.codecs.Transport;
import io.spindle.config.ConfigValues;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

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

    private String bootstrap = System.getProperty("spindle.bootstrap", "ipc");
    private String aeronDirectoryName = System.getProperty("spindle.client.aeron.dir");
    private String clientId = System.getProperty("spindle.client.id", "spindle-client");
    private String responseHost = System.getProperty("spindle.client.response.host");
    private long requestTimeoutMs = ConfigValues.durationProperty(
        "spindle.client.request.timeout.ms", MILLISECONDS, 30_000L);
    private long connectTimeoutMs = ConfigValues.durationProperty(
        "spindle.client.connect.timeout.ms", MILLISECONDS, 10_000L);
    private long reconnectTimeoutMs = ConfigValues.durationProperty(
        "spindle.client.reconnect.timeout.ms", MILLISECONDS, -1L);
    private long reconnectBackoffMs = ConfigValues.durationProperty(
        "spindle.client.reconnect.backoff.ms", MILLISECONDS, 100L);
    private long reconnectBackoffMaxMs = ConfigValues.durationProperty(
        "spindle.client.reconnect.backoff.max.ms", MILLISECONDS, 1_000L);
    private int replica = ConfigValues.intProperty("spindle.client.replica", -1);
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
