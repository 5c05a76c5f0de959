package io.spindle.tools;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.spindle.archive.ArchiveTier;
import io.spindle.codecs.Transport;
import io.spindle.driver.SchedulerSlice;
import io.spindle.host.BrokerConfiguration;
import io.spindle.host.StandaloneBroker;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle broker}: run a standalone single-node broker until SIGTERM or SIGINT.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "Run a single-node broker (IPC and UDP) until SIGTERM/SIGINT.")
public final class BrokerCommand implements Callable<Integer>
{
    // No picocli defaults: an option not given leaves the value of its system property (spindle.data.dir,
    // spindle.listen.host and .port), which a picocli default would silently override.
    @Option(names = "--data-dir", description = "Where partition logs live (default: spindle.data.dir, else data).")
    Path dataDir;

    @Option(names = "--listen", description = "UDP endpoint HOST:PORT (default: spindle.listen.host and " +
        "spindle.listen.port, else " + Transport.DEFAULT_HOST + ":" + Transport.DEFAULT_PORT + ").")
    String listen;

    @Option(names = "--aeron-dir", description = "Media driver directory: a driver running there is used, " +
        "otherwise one is started there (default: start one at Aeron's default directory).")
    String aeronDir;

    @Option(names = "--archive", description = "Control endpoint HOST:PORT of the archive (spindle archive) that " +
        "topics with remote.storage.enable=true copy their sealed segments to (default: an archive embedded in " +
        "the broker, in DATA-DIR/archive: a second copy on the same disk, not a real tier).")
    String archive;

    /**
     * Start the broker, print one line per listener, wait for a signal, close cleanly.
     *
     * @return the exit code.
     */
    public Integer call()
    {
        // Reads every spindle.* broker property: a bad one fails here, one line naming it, exit 1.
        final StandaloneBroker.Context ctx = new StandaloneBroker.Context();
        if (null != listen)
        {
            final int colon = listen.lastIndexOf(':');
            if (colon <= 0)
            {
                System.err.println("spindle broker: --listen must be HOST:PORT, was '" + listen + "'");
                return 2;
            }
            final int port;
            try
            {
                port = Integer.parseInt(listen.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                System.err.println("spindle broker: bad port in --listen '" + listen + "'");
                return 2;
            }
            ctx.listen(listen.substring(0, colon), port);
        }
        if (null != dataDir)
        {
            ctx.dataDir(dataDir);
        }
        if (null != aeronDir)
        {
            ctx.aeronDirectoryName(aeronDir);
        }
        ctx.tieredStorage(ArchiveTier.factory(archive, System.out::println));
        final Path effectiveDataDir = null != dataDir ? dataDir : Path.of(BrokerConfiguration.DATA_DIR.text());
        // The barrier is closed last: Agrona 2.x's shutdown hook waits for that close, and until then
        // the JVM cannot exit (System.exit from main would deadlock against the signal's hook).
        // A broker that loses its media driver releases the barrier too, and the exit status says so.
        final String failure;
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
            StandaloneBroker broker = StandaloneBroker.launch(ctx.terminationHook((reason) -> barrier.signal())))
        {
            System.out.println("data dir " + effectiveDataDir.toAbsolutePath());
            System.out.println((broker.isDriverStarted() ? "started a media driver in " :
                "using the media driver in ") +
                broker.aeronDirectoryName());
            System.out.println("scheduler slice " + SchedulerSlice.describe(ctx.schedulerSliceNs()));
            System.out.println("listening ipc");
            System.out.println("listening udp " + broker.udpEndpoint());
            System.out.flush();
            barrier.await();
            failure = broker.failure();
            System.out.println("shutting down");
        }
        catch (final UncheckedIOException ex)
        {
            // Opening or recovering the logs failed, e.g. no space to rebuild an index: one line, not a trace.
            System.err.println("spindle broker: cannot start: " + ex.getMessage() +
                (null != ex.getCause() ? " (" + ex.getCause().getMessage() + ")" : ""));
            return 1;
        }
        if (null != failure)
        {
            System.err.println("spindle broker: " + failure);
            return 1;
        }
        return 0;
    }
}
