package io.spindle.codecs;

/**
 * Stream ids, channels and limits shared by the broker hosts and the clients.
 * <p>
 * A broker listens on two request streams of the same channels (IPC and its UDP endpoint): the
 * {@link #CONTROL_STREAM_ID control stream}, served by the state machine's thread (everything that
 * changes state), and the {@link #FETCH_STREAM_ID fetch stream}, served by the fetch server's own
 * thread (fetches and read-only offset queries). A client opens a session on each with
 * {@code SessionConnectRequest}, naming the channel and stream on which it wants the answers.
 */
public final class Transport
{
    /**
     * Stream id of requests to the state machine (topic admin, produce, groups, producer ids).
     */
    public static final int CONTROL_STREAM_ID = 1001;

    /**
     * Stream id of requests to the fetch server.
     */
    public static final int FETCH_STREAM_ID = 1002;

    /**
     * Stream id on which a client receives control responses.
     */
    public static final int CONTROL_RESPONSE_STREAM_ID = 1003;

    /**
     * Stream id on which a client receives fetch responses.
     */
    public static final int FETCH_RESPONSE_STREAM_ID = 1004;

    /**
     * The version of the session protocol a client announces in {@code SessionConnectRequest}.
     */
    public static final int PROTOCOL_VERSION = 1;

    /**
     * Default UDP port of a broker's listener.
     */
    public static final int DEFAULT_PORT = 7400;

    /**
     * Default UDP host of a broker's listener.
     */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /**
     * The IPC channel.
     */
    public static final String IPC_CHANNEL = "aeron:ipc";

    /**
     * Longest response channel a broker accepts from a client.
     */
    public static final int MAX_CHANNEL_LENGTH = 1024;

    private Transport()
    {
    }

    /**
     * The UDP channel a broker listens on, or a client sends to, for an endpoint.
     *
     * @param host name or address of the broker.
     * @param port UDP port of the broker.
     * @return the channel URI.
     * @throws IllegalArgumentException if the port is not 1..65535.
     */
    public static String udpChannel(final String host, final int port)
    {
        if (port < 1 || port > 65535)
        {
            throw new IllegalArgumentException("bad port in endpoint '" + host + ":" + port + "': must be 1..65535");
        }
        return "aeron:udp?endpoint=" + host + ":" + port;
    }
}
