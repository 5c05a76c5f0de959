package io.spindle.tools;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.spindle.cluster.SnapshotTool;
import io.spindle.config.ConfigValues;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle node snapshot}: ask a running member, the leader, for a cluster snapshot and wait until it is taken.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description =
    "Ask the running leader member for a cluster snapshot (every member " +
    "takes it at the same log position); prints the snapshot's log position.")
public final class NodeSnapshotCommand implements Callable<Integer>
{
    @Option(names = "--data-dir", description = "The member's directory, as given to spindle node " +
        "(default: ${DEFAULT-VALUE}).", defaultValue = "node")
    Path dataDir;

    @Option(names = "--aeron-dir", description = "The member's media driver directory (default: the one its " +
        "cluster/cluster-mark.dat names).")
    String aeronDir;

    @Option(names = "--timeout", description = "How long to wait for the snapshot, e.g. 30s or 500ms " +
        "(default: ${DEFAULT-VALUE}).", defaultValue = "30s")
    String timeout;

    /**
     * Toggle the snapshot, wait for it, print {@code snapshot at log position P, leadership term T, member N}.
     *
     * @return 0 once taken, 1 when the member took none (not the leader, not running, timed out), 2 on bad input.
     */
    public Integer call()
    {
        final long timeoutNs;
        try
        {
            timeoutNs = ConfigValues.parseDuration("--timeout", timeout, TimeUnit.NANOSECONDS);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("spindle node snapshot: --timeout must be like 30s or 500ms, was '" + timeout + "'");
            return 2;
        }
        try
        {
            final SnapshotTool.Snapshot snapshot = SnapshotTool.takeSnapshot(
                dataDir.toAbsolutePath().resolve("cluster").toFile(), aeronDir, timeoutNs);
            System.out.println("snapshot at log position " + snapshot.logPosition() + ", leadership term " +
                snapshot.leadershipTermId() + ", member " + snapshot.memberId() + " (snapshots since it started: " +
                snapshot.snapshotCount() + ")");
            return 0;
        }
        catch (final IllegalStateException ex)
        {
            System.err.println("spindle node snapshot: " + ex.getMessage());
            return 1;
        }
    }
}
