package io.spindle.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import io.aeron.cluster.service.Cluster;
import io.spindle.broker.Topic;
import io.spindle.cluster.check.History;
import io.spindle.log.LogConfig;
import org.agrona.CloseHelper;

/**
 * Members of a cluster in this JVM on loopback, for tests: each with its own directory and driver under a test's
 * temporary directory, free consecutive UDP ports, back-off idle strategies and the short timeouts that work on a
 * 2-core machine (1 s leader heartbeat timeout: failover in about 2 s). Every wait is bounded and, when it times out,
 * says what each member was doing.
 */
final class TestCluster implements AutoCloseable
{
    static final long AWAIT_NS = 30_000_000_000L;

    private final Path dir;
    private final String members;
    private final ClusterNode[] nodes;
    private UnaryOperator<ClusterNode.Context> customiser = UnaryOperator.identity();

    /**
     * Members with free ports; none started.
     *
     * @param dir   the test's temporary directory.
     * @param count how many members.
     */
    TestCluster(final Path dir, final int count)
    {
        this.dir = dir;
        this.members = ClusterNode.loopbackMembers(count);
        this.nodes = new ClusterNode[count];
    }

    /**
     * Change every member's context before it launches (after the defaults are set).
     *
     * @param customiser applied to each context.
     * @return this.
     */
    TestCluster customise(final UnaryOperator<ClusterNode.Context> customiser)
    {
        this.customiser = customiser;
        return this;
    }

    /**
     * Start every member and wait for a leader and for every member to serve clients.
     *
     * @return the leader's id.
     */
    int start()
    {
        for (int i = 0; i < nodes.length; i++)
        {
            launch(i);
        }
        final int leader = awaitLeader(-1);
        await(() ->
        {
            for (final ClusterNode node : nodes)
            {
                if (!node.isServing())
                {
                    return false;
                }
            }
            return true;
        }, "every member to serve clients");
        return leader;
    }

    /**
     * Start (or restart) a member.
     *
     * @param memberId the member.
     * @return the running member.
     */
    ClusterNode launch(final int memberId)
    {
        return launch(memberId, UnaryOperator.identity());
    }

    /**
     * Start (or restart) a member with settings of its own, applied after every member's.
     *
     * @param memberId the member.
     * @param own      changes to this member's context.
     * @return the running member.
     */
    ClusterNode launch(final int memberId, final UnaryOperator<ClusterNode.Context> own)
    {
        nodes[memberId] = ClusterNode.launch(own.apply(customiser.apply(new ClusterNode.Context()
            .memberId(memberId)
            .members(members)
            .directory(memberDir(memberId))
            .aeronDirectoryName(memberDir(memberId).resolve("aeron").toString())
            .logConfig(new LogConfig().segmentBytes(16 * 1024).maxMessageBytes(8 * 1024))
            .termLength(256 * 1024)
            .archiveSegmentLength(1024 * 1024)
            .leaderHeartbeatTimeoutNs(1_000_000_000L)
            .sessionTimeoutNs(10_000_000_000L))));
        return nodes[memberId];
    }

    /**
     * Close a member (as far as the others can tell, it died).
     *
     * @param memberId the member.
     */
    void stop(final int memberId)
    {
        CloseHelper.close(nodes[memberId]);
        nodes[memberId] = null;
    }

    /**
     * A running member.
     *
     * @param memberId the member.
     * @return the member, or null when stopped.
     */
    ClusterNode node(final int memberId)
    {
        return nodes[memberId];
    }

    /**
     * Every member's slot, by member id: null where the member is stopped. A live view.
     *
     * @return the slots.
     */
    List<ClusterNode> nodes()
    {
        return Arrays.asList(nodes);
    }

    /**
     * How many members the cluster has.
     *
     * @return the count.
     */
    int size()
    {
        return nodes.length;
    }

    /**
     * A member's directory.
     *
     * @param memberId the member.
     * @return the directory.
     */
    Path memberDir(final int memberId)
    {
        return dir.resolve("member-" + memberId);
    }

    /**
     * The members list, {@code 0=localhost:PORT,...}.
     *
     * @return the list.
     */
    String members()
    {
        return members;
    }

    /**
     * A member's client endpoint.
     *
     * @param memberId the member.
     * @return {@code localhost:PORT}.
     */
    String endpoint(final int memberId)
    {
        final ClusterNode.Endpoint endpoint = ClusterNode.parseMembers(members).get(memberId);
        return endpoint.host() + ":" + endpoint.port();
    }

    /**
     * Every member's client endpoint, a client's bootstrap list.
     *
     * @return {@code localhost:PORT,localhost:PORT,...}.
     */
    String bootstrap()
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < nodes.length; i++)
        {
            sb.append(i > 0 ? "," : "").append(endpoint(i));
        }
        return sb.toString();
    }

    /**
     * Wait for a leader among the running members.
     *
     * @param notThis a member that must not be the one (the old leader), or -1.
     * @return the leader's id.
     */
    int awaitLeader(final int notThis)
    {
        final int[] leader = { -1 };
        await(() ->
        {
            for (final ClusterNode node : nodes)
            {
                if (null != node && node.memberId() != notThis && Cluster.Role.LEADER == node.service().role())
                {
                    leader[0] = node.memberId();
                    return true;
                }
            }
            return false;
        }, "a leader other than " + notThis);
        return leader[0];
    }

    /**
     * Wait until every running member has applied every record a history holds an offset for, in partitions 0 and 1
     * of the first topic (id 1).
     *
     * @param history of the run.
     */
    void awaitApplied(final History history)
    {
        final long[] end = new long[2];
        for (final History.Attempt attempt : history.attempts())
        {
            end[attempt.partition()] = Math.max(end[attempt.partition()], attempt.offset() + 1);
        }
        await(() ->
        {
            for (final ClusterNode node : nodes)
            {
                if (null == node)
                {
                    continue;
                }
                final Topic topic = node.service().topicTable().topic(1);
                if (null == topic || topic.partition(0).highWaterMark() < end[0] ||
                    topic.partition(1).highWaterMark() < end[1])
                {
                    return false;
                }
            }
            return true;
        }, "every member to apply every acknowledged record");
    }

    /**
     * Wait, bounded, for a condition; on timeout the error names every member's role.
     *
     * @param condition to wait for.
     * @param what      the condition, for the error.
     */
    void await(final BooleanSupplier condition, final String what)
    {
        await(condition, () -> what);
    }

    /**
     * Wait, bounded, for a condition; on timeout the error names every member's role.
     *
     * @param condition to wait for.
     * @param what      the condition, for the error, asked only on timeout (it may say what was last seen).
     */
    void await(final BooleanSupplier condition, final java.util.function.Supplier<String> what)
    {
        final long deadlineNs = System.nanoTime() + AWAIT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("timed out waiting for " + what.get() + "; members: " + describe());
            }
            sleep(1);
        }
    }

    /**
     * What each member is doing, for failure messages.
     *
     * @return e.g. {@code 0=LEADER 1=FOLLOWER 2=down}.
     */
    String describe()
    {
        final StringBuilder roles = new StringBuilder();
        for (int i = 0; i < nodes.length; i++)
        {
            final ClusterNode node = nodes[i];
            roles.append(i > 0 ? " " : "").append(i).append('=');
            if (null == node)
            {
                roles.append("down");
            }
            else
            {
                roles.append(node.service().role());
                if (null != node.service().failure())
                {
                    roles.append("(stopped: ").append(node.service().failure().getMessage()).append(')');
                }
            }
        }
        for (int i = 0; i < nodes.length; i++)
        {
            roles.append(errorLogs(memberDir(i)));
        }
        return roles.toString();
    }

    /**
     * The error logs Aeron saved in a member's directory (from a run that did not close cleanly), for failure
     * messages.
     */
    private static String errorLogs(final Path memberDir)
    {
        final StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(memberDir, 2))
        {
            files.filter((file) -> file.getFileName().toString().endsWith("error.log")).sorted().forEach((file) ->
            {
                sb.append("\n--- ").append(file).append('\n');
                try
                {
                    Files.readAllLines(file).stream().limit(20).forEach((line) -> sb.append(line).append('\n'));
                }
                catch (final IOException ex)
                {
                    sb.append("(unreadable: ").append(ex.getMessage()).append(")\n");
                }
            });
        }
        catch (final IOException | UncheckedIOException ex)
        {
            // No directory yet: nothing to show.
        }
        return sb.toString();
    }

    /**
     * Close every running member.
     */
    public void close()
    {
        for (int i = 0; i < nodes.length; i++)
        {
            CloseHelper.quietClose(nodes[i]);
            nodes[i] = null;
        }
    }

    static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }
}
