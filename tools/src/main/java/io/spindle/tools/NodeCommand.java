package io.spindle.tools;

import java.io.File;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.aeron.cluster.service.Cluster;
import io.spindle.cluster.ClusterNode;
import io.spindle.cluster.MemberRebuild;
import io.spindle.cluster.NetworkRebuild;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle node}: run one member of a replicated cluster until SIGTERM or SIGINT; {@code spindle node snapshot}
 * asks a running member for a snapshot.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run one member of an Aeron Cluster of brokers until SIGTERM/SIGINT.",
    subcommands = NodeSnapshotCommand.class)
public final class NodeCommand implements Callable<Integer>
{
    // Not required by picocli, which would then ask for them with the snapshot subcommand too: checked in call().
    @Option(names = "--id", description = "This member's id in --members (required).")
    Integer memberId;

    @Option(names = "--members",
        description = "Every member's client endpoint, 0=HOST:PORT,1=HOST:PORT,...; each member uses " +
        ClusterNode.MEMBER_PORT_COUNT + " consecutive ports from its PORT.")
    String members;

    @Option(names = "--data-dir", description = "The member's directory (default: ${DEFAULT-VALUE}).",
        defaultValue = "node")
    Path dataDir;

    @Option(names = "--aeron-dir", description = "The member's media driver directory " +
        "(default: /dev/shm/spindle-node-PORT, or under the temp directory without /dev/shm): a driver running " +
        "there is used, otherwise the member starts one there.")
    String aeronDir;

    @Option(names = "--archive", description = "Control endpoint HOST:PORT of the archive (spindle archive) that " +
        "this member copies the sealed segments of topics with remote.storage.enable=true to (default: the archive " +
        "the member runs for its Raft log, in DATA-DIR/archive: a second copy on the same disk, not a real tier).")
    String archive;

    @Option(names = "--rebuild-from", description = "Before starting, fill this member's directory, which must hold " +
        "no Raft log (new or wiped), from DIR: a copy of another member's directory taken while that member was " +
        "stopped. Needed once the Raft log was purged (spindle.node.log.purge); --rebuild-from-member needs no " +
        "member stopped.")
    Path rebuildFrom;

    @Option(names = "--rebuild-from-member", paramLabel = "ID", description = "Before starting, fill this member's " +
        "directory, which must hold no Raft log (new or wiped), from member ID of --members while it runs: its " +
        "latest snapshot and Raft log (Aeron's ClusterBackup), then its partition files. The cluster keeps serving. " +
        "Needed once the Raft log was purged (spindle.node.log.purge).")
    Integer rebuildFromMember;

    private static final long NOT_JOINED_REPORT_NS = TimeUnit.SECONDS.toNanos(10);

    private final Object output = new Object();
    private Cluster.Role printedRole;
    private boolean isListening;
    private boolean isStopping;

    /**
     * Start the member, print which media driver it uses, {@code listening HOST:PORT} once it has joined the cluster
     * and each role change, wait for a signal, close cleanly.
     *
     * @return the exit code.
     */
    public Integer call()
    {
        if (null == memberId || null == members)
        {
            System.err.println("spindle node: --id and --members are required (or: spindle node snapshot)");
            return 2;
        }
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

        if (null != rebuildFrom && null != rebuildFromMember)
        {
            System.err.println("spindle node: --rebuild-from and --rebuild-from-member exclude each other");
            return 2;
        }
        if (null != rebuildFromMember)
        {
            try
            {
                NetworkRebuild.rebuild(new NetworkRebuild.Context()
                    .memberId(memberId)
                    .members(members)
                    .donorId(rebuildFromMember)
                    .directory(dataDir.toAbsolutePath())
                    .aeronDirectoryName(driverDir)
                    .sharedArchive(archive)
                    .progress((line) ->
                    {
                        System.out.println(line);
                        System.out.flush();
                    }));
            }
            catch (final RuntimeException ex)
            {
                System.err.println("spindle node: " + ex.getMessage());
                return 1;
            }
        }
        if (null != rebuildFrom)
        {
            try
            {
                final long bytes = MemberRebuild.copy(rebuildFrom.toAbsolutePath(), dataDir.toAbsolutePath());
                System.out.println("rebuilt " + dataDir.toAbsolutePath() + " from " + rebuildFrom.toAbsolutePath() +
                    " (" + bytes + " bytes)");
            }
            catch (final IllegalArgumentException | UncheckedIOException ex)
            {
                System.err.println("spindle node: " + ex.getMessage());
                return 1;
            }
        }
        final ClusterNode.Context ctx = new ClusterNode.Context()
            .memberId(memberId)
            .members(members)
            .directory(dataDir.toAbsolutePath())
            .aeronDirectoryName(driverDir)
            .archiveEndpoint(archive)
            .roleListener(this::printRole);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
            ClusterNode node = ClusterNode.launch(ctx.failureHook((error) ->
            {
                failure.set(error);
                barrier.signal();
            })))
        {
            synchronized (output)
            {
                System.out.println("member " + node.memberId() + " of " + endpoints.size() + ", data dir " +
                    dataDir.toAbsolutePath() + ", media driver " + node.aeronDirectoryName());
                System.out.println((node.isDriverStarted() ? "started a media driver in " :
                    "using the media driver in ") + node.aeronDirectoryName());
                System.out.flush();
            }
            final Thread announcer = new Thread(() -> announceWhenJoined(node, self), "spindle-node-announcer");
            announcer.setDaemon(true);
            announcer.start();
            barrier.await();
            synchronized (output)
            {
                isStopping = true;
                System.out.println("shutting down");
                System.out.flush();
            }
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

    /**
     * {@code listening} once the member has joined and serves clients, then its role as the consensus module has it
     * (the service is not told of a first role of follower, and may hear of leadership before the election
     * completes), or nothing if the member closes first; every 10 s until then, where its consensus module is.
     */
    private void announceWhenJoined(final ClusterNode node, final ClusterNode.Endpoint self)
    {
        final long startNs = System.nanoTime();
        long nextReportNs = startNs + NOT_JOINED_REPORT_NS;
        Cluster.Role role;
        while (null == (role = node.joinedRole()) || !node.isServing())
        {
            if (node.isClosed())
            {
                return;
            }
            final long nowNs = System.nanoTime();
            if (nowNs - nextReportNs >= 0)
            {
                nextReportNs += NOT_JOINED_REPORT_NS;
                synchronized (output)
                {
                    // An operator (or a test that timed out) sees a member that cannot join, and where it is stuck.
                    System.out.println("not joined after " + TimeUnit.NANOSECONDS.toSeconds(nowNs - startNs) +
                        " s: " + node.consensusState());
                    System.out.flush();
                }
            }
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
        synchronized (output)
        {
            if (!isStopping)
            {
                System.out.println("listening " + self.host() + ":" + self.port());
                isListening = true;
                printRole(role);
            }
        }
    }

    /**
     * A line for each change of role once {@code listening} is out; the role at joining comes with it.
     */
    private void printRole(final Cluster.Role role)
    {
        synchronized (output)
        {
            if (isListening && !isStopping && role != printedRole)
            {
                printedRole = role;
                System.out.println("role " + role.name().toLowerCase(Locale.ROOT));
                System.out.flush();
            }
        }
    }
}
