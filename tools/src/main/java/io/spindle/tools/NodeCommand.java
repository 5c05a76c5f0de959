package io.spindle.tools;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import io.spindle.cluster.ClusterNode;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle node}: run one member of a replicated cluster until SIGTERM or SIGINT.
 */
@Command(name = "node", description = "Run one member of an Aeron Cluster of brokers until SIGTERM/SIGINT.")
public final class NodeCommand implements Callable<Integer>
{
    @Option(names = "--id", required = true, description = "This member's id in --members.")
    int memberId;

    @Option(names = "--members", required = true,
        description = "Every member's client endpoint, 0=HOST:PORT,1=HOST:PORT,...; each member uses " +
        ClusterNode.MEMBER_PORT_COUNT + " consecutive ports from its PORT.")
    String members;

    @Option(names = "--data-dir", description = "The member's directory (default: ${DEFAULT-VALUE}).",
        defaultValue = "node")
    Path dataDir;

    @Option(names = "--aeron-dir", description = "The member's media driver directory " +
        "(default: /dev/shm/spindle-node-PORT, or under the temp directory without /dev/shm).")
    String aeronDir;

    /**
     * Start the member, print {@code listening HOST:PORT} and each role change, wait for a signal, close cleanly.
     *
     * @return the exit code.
     */
    public Integer call()
    {
        final List<ClusterNode.Endpoint> endpoints;
        try
        {
            endpoints = ClusterNode.parseMembers(members);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("spindle node: --members: " + ex.getMessage());
            return 2;
        }
        if (memberId < 0 || memberId >= endpoints.size())
        {
            System.err.println("spindle node: --id " + memberId + " is not in --members (0.." +
                (endpoints.size() - 1) + ")");
            return 2;
        }
        final ClusterNode.Endpoint self = endpoints.get(memberId);
        final String driverDir = null != aeronDir ? aeronDir :
            (new File("/dev/shm").isDirectory() ? "/dev/shm" : System.getProperty("java.io.tmpdir")) +
            File.separator + "spindle-node-" + self.port();

        final ClusterNode.Context ctx = new ClusterNode.Context()
            .memberId(memberId)
            .members(members)
            .directory(dataDir.toAbsolutePath())
            .aeronDirectoryName(driverDir)
            .roleListener((role) ->
            {
                System.out.println("role " + role.name().toLowerCase(Locale.ROOT));
                System.out.flush();
            });
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
            ClusterNode node = ClusterNode.launch(ctx.failureHook((error) ->
            {
                failure.set(error);
                barrier.signal();
            })))
        {
            System.out.println("member " + node.memberId() + " of " + endpoints.size() + ", data dir " +
                dataDir.toAbsolutePath() + ", media driver " + node.aeronDirectoryName());
            System.out.println("listening " + self.host() + ":" + self.port());
            System.out.flush();
            barrier.await();
            System.out.println("shutting down");
            System.out.flush();
        }
        catch (final IllegalStateException | IllegalArgumentException ex)
        {
            System.err.println("spindle node: " + ex.getMessage());
            return 1;
        }
        if (null != failure.get())
        {
            // The other members carry on without this one; it must not answer differently from them.
            System.err.println("spindle node: " + failure.get().getMessage() +
                (null != failure.get().getCause() ? " (" + failure.get().getCause().getMessage() + ")" : ""));
            return 1;
        }
        return 0;
    }
}
