package io.spindle.host;

import java.nio.file.Path;
import java.util.UUID;

import io.aeron.CommonContext;
import io.spindle.client.ClientContext;
import io.spindle.log.LogConfig;

/**
 * A standalone broker for tests: its own data directory and media driver directory, UDP on an
 * ephemeral loopback port, back-off idle strategies throughout.
 */
public final class TestBroker implements AutoCloseable
{
    private final Path dataDir;
    private final String aeronDir;
    private final StandaloneBroker broker;

    private TestBroker(final Path dataDir, final String aeronDir, final StandaloneBroker broker)
    {
        this.dataDir = dataDir;
        this.aeronDir = aeronDir;
        this.broker = broker;
    }

    /**
     * Start a broker over a data directory with default log settings.
     *
     * @param dataDir where its logs live.
     * @return the running broker.
     */
    public static TestBroker start(final Path dataDir)
    {
        return start(dataDir, new LogConfig());
    }

    /**
     * Start a broker over a data directory.
     *
     * @param dataDir   where its logs live.
     * @param logConfig default log settings.
     * @return the running broker.
     */
    public static TestBroker start(final Path dataDir, final LogConfig logConfig)
    {
        return start(dataDir, logConfig, 0, 0);
    }

    /**
     * Start a broker over a data directory on a given UDP port, e.g. the port of a broker it replaces.
     *
     * @param dataDir          where its logs live.
     * @param logConfig        default log settings.
     * @param port             UDP port on 127.0.0.1, or 0 for an ephemeral one.
     * @param sessionTimeoutNs how long a silent client session lives, or 0 for the default.
     * @return the running broker.
     */
    public static TestBroker start(
        final Path dataDir, final LogConfig logConfig, final int port, final long sessionTimeoutNs)
    {
        return start(dataDir, (ctx) ->
        {
            ctx.logConfig(logConfig).listen("127.0.0.1", port);
            if (sessionTimeoutNs > 0)
            {
                ctx.sessionTimeoutNs(sessionTimeoutNs);
            }
        });
    }

    /**
     * Start a broker over a data directory with settings of the test's own, e.g. its threading mode.
     *
     * @param dataDir  where its logs live.
     * @param settings changes to the test defaults (ephemeral loopback port, back-off idle strategies).
     * @return the running broker.
     */
    public static TestBroker start(
        final Path dataDir, final java.util.function.Consumer<StandaloneBroker.Context> settings)
    {
        final String aeronDir = aeronDirFor(dataDir);
        final StandaloneBroker.Context ctx = new StandaloneBroker.Context()
            .dataDir(dataDir)
            .embeddedDriverDirectoryName(aeronDir)
            .driverDirDeleteOnStart(true)
            .listen("127.0.0.1", 0)
            .brokerIdleStrategy("backoff")
            .driverIdleStrategy("backoff")
            .ipcTermLength(4 * 1024 * 1024)
            .logConfig(new LogConfig());
        settings.accept(ctx);
        return new TestBroker(dataDir, aeronDir, StandaloneBroker.launch(ctx));
    }

    /**
     * The UDP port the broker listens on.
     *
     * @return the port.
     */
    public int port()
    {
        final String endpoint = broker.udpEndpoint();
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }

    /**
     * The media driver directory for a data directory: unique per test, in shared memory.
     *
     * @param dataDir the data directory.
     * @return the Aeron directory name.
     */
    public static String aeronDirFor(final Path dataDir)
    {
        return CommonContext.getAeronDirectoryName() + "-spindle-test-" +
            UUID.nameUUIDFromBytes(dataDir.toString().getBytes());
    }

    /**
     * A client context for IPC.
     *
     * @param ctx to fill in.
     * @param <T> the context type.
     * @return ctx, pointed at this broker over IPC.
     */
    public <T extends ClientContext> T ipc(final T ctx)
    {
        ctx.bootstrap("ipc").aeronDirectoryName(aeronDir).requestTimeoutMs(10_000).connectTimeoutMs(10_000);
        return ctx;
    }

    /**
     * A client context for UDP.
     *
     * @param ctx to fill in.
     * @param <T> the context type.
     * @return ctx, pointed at this broker's UDP endpoint.
     */
    public <T extends ClientContext> T udp(final T ctx)
    {
        ctx.bootstrap(broker.udpEndpoint()).requestTimeoutMs(10_000).connectTimeoutMs(10_000);
        return ctx;
    }

    /**
     * The broker.
     *
     * @return the broker.
     */
    public StandaloneBroker broker()
    {
        return broker;
    }

    /**
     * The data directory.
     *
     * @return the directory.
     */
    public Path dataDir()
    {
        return dataDir;
    }

    /**
     * The media driver directory.
     *
     * @return the directory.
     */
    public String aeronDir()
    {
        return aeronDir;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        broker.close();
    }
}
