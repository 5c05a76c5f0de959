/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.aeron.CommonContext;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.ClusterNode;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle node} members (and any other {@code spindle} process a test runs beside them) as processes of their
 * own, for tests through real processes: a member {@code i} keeps its directory in {@code member-i} of the test's
 * directory and its media driver in a directory of its own under Aeron's default, uses
 * {@code spindle.node.leader.heartbeat.timeout=1s}, and can be killed with SIGKILL and started again (its output is
 * that of all its runs, one after the other). Every wait is bounded ({@link #AWAIT_MS}). Registered with
 * {@code @RegisterExtension}: when a test fails, it prints each member's role and the tail of each process's output;
 * after each test it kills whatever still runs and deletes the driver directories.
 */
final class NodeProcesses implements AfterTestExecutionCallback, AfterEachCallback
{
    /**
     * How long each wait lasts at most.
     */
    static final long AWAIT_MS = 30_000;
    /**
     * How long a started member may take to say {@code listening}: its JVM, driver, archive, consensus module and an
     * election. Alone here that is 6-8 s; with the suite's two test JVMs each running members, archives and brokers
     * as processes on two cores it took 15-20 s, and in CI once over 30.
     */
    static final long JOIN_AWAIT_MS = 60_000;

    /**
     * A JVM ended by SIGTERM exits 128 + 15 once its shutdown hooks (here: closing the member) have run.
     */
    static final int SIGTERM_EXIT = 143;

    private static final int TAIL_LINES = 40;

    private final Supplier<Path> directory;
    private final String aeronPrefix;
    private final Map<Integer, List<SpindleProcess>> members = new TreeMap<>();
    private final Map<String, List<SpindleProcess>> others = new LinkedHashMap<>();
    private final List<String> nodeOptions = new ArrayList<>(List.of("-Dspindle.node.leader.heartbeat.timeout=1s"));
    private int basePort;
    private int count;

    /**
     * Processes in a test's directory.
     *
     * @param name      of the test, in the media drivers' directory names.
     * @param directory the test's directory ({@code @TempDir}), asked for when first needed.
     */
    NodeProcesses(final String name, final Supplier<Path> directory)
    {
        this.directory = directory;
        this.aeronPrefix = CommonContext.getAeronDirectoryName() + "-" + name + "-" + UUID.randomUUID();
    }

    /**
     * Add JVM options ({@code -D...}) for every member started from now on.
     *
     * @param options the options.
     * @return this.
     */
    NodeProcesses nodeOptions(final String... options)
    {
        nodeOptions.addAll(List.of(options));
        return this;
    }

    /**
     * Pick free ports for a cluster of {@code count} members on {@code localhost}.
     *
     * @param count how many members.
     * @return the {@code --members} list, {@code 0=localhost:PORT,...}.
     */
    String members(final int count)
    {
        this.basePort = SpindleProcess.freeMemberPorts(count);
        this.count = count;
        return memberList();
    }

    /**
     * The {@code --bootstrap} list of every member of {@link #members(int)}.
     *
     * @return {@code localhost:PORT,...}.
     */
    String bootstrap()
    {
        final StringBuilder list = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            list.append(i > 0 ? "," : "").append("localhost:").append(port(i));
        }
        return list.toString();
    }

    /**
     * A member's client port.
     *
     * @param member its id.
     * @return the port.
     */
    int port(final int member)
    {
        return basePort + member * ClusterNode.MEMBER_PORT_COUNT;
    }

    /**
     * The test's directory.
     *
     * @return the directory.
     */
    Path dir()
    {
        return directory.get();
    }

    /**
     * A member's {@code --data-dir}.
     *
     * @param member its id.
     * @return the directory.
     */
    Path memberDir(final int member)
    {
        return dir().resolve("member-" + member);
    }

    /**
     * A member's {@code --aeron-dir}.
     *
     * @param member its id.
     * @return the media driver's directory.
     */
    String aeronDir(final int member)
    {
        return aeronPrefix + "-" + member;
    }

    /**
     * Start {@code spindle node} for a member of {@link #members(int)}, for the first time or again once its last run
     * has ended.
     *
     * @param member its id.
     * @param extra  arguments after {@code --aeron-dir}, e.g. {@code --archive HOST:PORT}.
     * @return the process.
     * @throws Exception if it cannot be started.
     */
    SpindleProcess start(final int member, final String... extra) throws Exception
    {
        final List<SpindleProcess> runs = members.computeIfAbsent(member, (id) -> new ArrayList<>());
        assertTrue(runs.isEmpty() || !runs.get(runs.size() - 1).process().isAlive(), "member " + member + " runs");
        final List<String> args = new ArrayList<>(List.of("node", "--id", Integer.toString(member),
            "--members", memberList(), "--data-dir", memberDir(member).toString(), "--aeron-dir", aeronDir(member)));
        args.addAll(List.of(extra));
        final SpindleProcess process = SpindleProcess.start(nodeOptions, args.toArray(new String[0]));
        runs.add(process);
        return process;
    }

    /**
     * Start another {@code spindle} command beside the members (a {@code spindle archive}, say), killed after the test
     * and shown with the members when it fails.
     *
     * @param name       to show it by; runs of the same name are shown together.
     * @param jvmOptions extra JVM options.
     * @param args       the command line.
     * @return the process.
     * @throws Exception if it cannot be started.
     */
    SpindleProcess startOther(final String name, final List<String> jvmOptions, final String... args)
        throws Exception
    {
        final SpindleProcess process = SpindleProcess.start(jvmOptions, args);
        others.computeIfAbsent(name, (n) -> new ArrayList<>()).add(process);
        return process;
    }

    /**
     * A member's latest run.
     *
     * @param member its id.
     * @return the process.
     */
    SpindleProcess process(final int member)
    {
        final List<SpindleProcess> runs = members.get(member);
        return runs.get(runs.size() - 1);
    }

    /**
     * Kill a member with SIGKILL and wait until it is gone.
     *
     * @param member its id.
     * @throws InterruptedException if interrupted.
     */
    void kill(final int member) throws InterruptedException
    {
        kill(process(member));
    }

    /**
     * Kill a process with SIGKILL and wait until it is gone.
     *
     * @param process the process.
     * @throws InterruptedException if interrupted.
     */
    static void kill(final SpindleProcess process) throws InterruptedException
    {
        process.kill(AWAIT_MS);
    }

    /**
     * Stop a member with SIGTERM (its output still read while it shuts down) and wait until it has exited.
     *
     * @param member its id.
     * @return its exit status.
     * @throws InterruptedException if interrupted.
     */
    int stop(final int member) throws InterruptedException
    {
        process(member).terminate();
        final Process process = process(member).process();
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "SIGTERM did not stop member " + member);
        return process.exitValue();
    }

    /**
     * Everything a member printed, over all its runs.
     *
     * @param member its id.
     * @return the lines.
     */
    List<String> lines(final int member)
    {
        return output(members.getOrDefault(member, List.of()));
    }

    /**
     * Wait for a member to print a line starting with a prefix, in any of its runs.
     *
     * @param member its id.
     * @param prefix of the line.
     * @throws InterruptedException if interrupted.
     */
    void awaitLine(final int member, final String prefix) throws InterruptedException
    {
        awaitLine(member, 0, prefix);
    }

    /**
     * Wait for a member's run started after its first {@code from} lines to say it has joined
     * ({@code listening localhost:PORT}), for at most {@link #JOIN_AWAIT_MS}.
     *
     * @param member its id.
     * @param from   how many of its lines (all runs) to skip.
     * @throws InterruptedException if interrupted.
     */
    void awaitJoined(final int member, final int from) throws InterruptedException
    {
        awaitLine(member, from, "listening localhost:" + port(member), JOIN_AWAIT_MS);
    }

    /**
     * Wait for a member to print a line starting with a prefix after its first {@code from} lines.
     *
     * @param member its id.
     * @param from   how many of its lines (all runs) to skip.
     * @param prefix of the line.
     * @throws InterruptedException if interrupted.
     */
    void awaitLine(final int member, final int from, final String prefix) throws InterruptedException
    {
        awaitLine(member, from, prefix, AWAIT_MS);
    }

    private void awaitLine(final int member, final int from, final String prefix, final long timeoutMs)
        throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadlineMs)
        {
            final List<String> lines = lines(member);
            for (final String line : lines.subList(Math.min(from, lines.size()), lines.size()))
            {
                if (line.startsWith(prefix))
                {
                    return;
                }
            }
            Thread.sleep(20);
        }
        // The whole cluster in the message: a CI log shows the failure's message, not the test's own output.
        throw new AssertionError("member " + member + " never printed '" + prefix + "' in " + timeoutMs + " ms; " +
            report());
    }

    /**
     * Wait until a running member other than {@code notThis} says, last, that it leads.
     *
     * @param notThis a member that must not be the one, or -1.
     * @return the leader's id.
     * @throws InterruptedException if interrupted.
     */
    int awaitLeader(final int notThis) throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
        while (System.currentTimeMillis() < deadlineMs)
        {
            for (final int member : members.keySet())
            {
                if (member != notThis && process(member).process().isAlive() && "leader".equals(role(member)))
                {
                    return member;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader other than " + notThis + "; " + report());
    }

    /**
     * A member's role as it last printed it in its latest run, whether that run is alive or not.
     *
     * @param member its id.
     * @return {@code leader}, {@code follower}, ... or null before it has printed one.
     */
    String role(final int member)
    {
        if (!members.containsKey(member))
        {
            return null;
        }
        final List<String> lines = output(List.of(process(member)));
        for (int i = lines.size() - 1; i >= 0; i--)
        {
            if (lines.get(i).startsWith("role "))
            {
                return lines.get(i).substring("role ".length());
            }
        }
        return null;
    }

    /**
     * Each member's role and whether its latest run is alive, for messages.
     *
     * @return e.g. {@code {0=leader, 1=follower, 2=exited 137}}.
     */
    Map<Integer, String> roles()
    {
        final Map<Integer, String> roles = new TreeMap<>();
        for (final int member : members.keySet())
        {
            final Process process = process(member).process();
            roles.put(member, process.isAlive() ? String.valueOf(role(member)) :
                "exited " + process.exitValue() + " (last role " + role(member) + ")");
        }
        return roles;
    }

    /**
     * Run {@code spindle ARGS} to its end.
     *
     * @param expectedExit the exit status it must end with.
     * @param args         the command line.
     * @return its output.
     * @throws Exception if it cannot be run.
     */
    List<String> runCli(final int expectedExit, final String... args) throws Exception
    {
        final SpindleProcess process = startOther("spindle " + args[0], List.of("-Xmx128m"), args);
        assertTrue(process.process().waitFor(60, TimeUnit.SECONDS), "spindle " + String.join(" ", args) +
            " did not exit");
        final List<String> lines = process.output();
        assertEquals(expectedExit, process.process().exitValue(), String.join("\n", lines));
        return lines;
    }

    /**
     * Wait for a condition, bounded.
     *
     * @param condition to wait for.
     * @param what      it is, for the message.
     * @throws InterruptedException if interrupted.
     */
    static void awaitCondition(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        awaitCondition(condition, () -> what);
    }

    /**
     * Wait for a condition, bounded.
     *
     * @param condition to wait for.
     * @param what      it is and what was seen, for the message.
     * @throws InterruptedException if interrupted.
     */
    static void awaitCondition(final BooleanSupplier condition, final Supplier<String> what)
        throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.currentTimeMillis() < deadlineMs, () -> "timed out waiting for " + what.get());
            Thread.sleep(10);
        }
    }

    /**
     * A client context with the timeouts and idle strategy tests of member processes use.
     *
     * @param ctx       the context.
     * @param bootstrap the members.
     * @param <T>       its type.
     * @return the context.
     */
    static <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(30_000).connectTimeoutMs(30_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }

    /**
     * Fetch from one member until it serves every partition of a topic up to the end given.
     *
     * @param bootstrap the members.
     * @param member    the replica to read from.
     * @param topic     the topic.
     * @param ends      of each partition, the last acknowledged offset + 1.
     */
    static void awaitCaughtUp(final String bootstrap, final int member, final String topic, final long[] ends)
    {
        final Consumer.Context ctx = client(new Consumer.Context(), bootstrap)
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        ctx.replica(member);
        try (Consumer consumer = Consumer.connect(ctx))
        {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < ends.length; p++)
            {
                partitions.add(new TopicPartition(topic, p));
            }
            consumer.assign(partitions);
            final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
            while (!caughtUp(consumer, partitions, ends))
            {
                assertTrue(System.currentTimeMillis() < deadlineMs, () -> "member " + member + " did not catch up: " +
                    "at " + positions(consumer, partitions) + " of " + Arrays.toString(ends));
                consumer.poll((record) -> {}, 1_000, 100);
            }
        }
    }

    /**
     * Each member's role, then the last lines of every process's output.
     *
     * @return the report.
     */
    String report()
    {
        final StringBuilder report = new StringBuilder("roles: ").append(roles()).append('\n');
        for (final Map.Entry<Integer, List<SpindleProcess>> member : members.entrySet())
        {
            tail(report, "member " + member.getKey(), member.getValue());
        }
        for (final Map.Entry<String, List<SpindleProcess>> other : others.entrySet())
        {
            tail(report, other.getKey(), other.getValue());
        }
        return report.toString();
    }

    /**
     * Print the report when the test failed.
     *
     * @param context of the test.
     */
    public void afterTestExecution(final ExtensionContext context)
    {
        if (context.getExecutionException().isPresent())
        {
            System.out.println(context.getDisplayName() + " failed; its processes:\n" + report());
        }
    }

    /**
     * Kill every process still running and delete the members' driver directories.
     *
     * @param context of the test.
     * @throws InterruptedException if interrupted.
     */
    public void afterEach(final ExtensionContext context) throws InterruptedException
    {
        final List<SpindleProcess> all = new ArrayList<>();
        members.values().forEach(all::addAll);
        others.values().forEach(all::addAll);
        for (final SpindleProcess process : all)
        {
            process.close();
        }
        for (final SpindleProcess process : all)
        {
            process.process().waitFor(AWAIT_MS, TimeUnit.MILLISECONDS);
        }
        for (final int member : members.keySet())
        {
            IoUtil.delete(new File(aeronDir(member)), true);
        }
    }

    private String memberList()
    {
        assertTrue(count > 0, "members(count) first");
        final StringBuilder list = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            list.append(i > 0 ? "," : "").append(i).append("=localhost:").append(port(i));
        }
        return list.toString();
    }

    private static List<String> output(final List<SpindleProcess> runs)
    {
        final List<String> lines = new ArrayList<>();
        for (final SpindleProcess run : runs)
        {
            try
            {
                lines.addAll(run.output());
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
        return lines;
    }

    private static void tail(final StringBuilder report, final String name, final List<SpindleProcess> runs)
    {
        for (int run = 0; run < runs.size(); run++)
        {
            final Process process = runs.get(run).process();
            final List<String> lines = output(List.of(runs.get(run)));
            report.append("--- ").append(name).append(", run ").append(run + 1).append(" (pid ").append(process.pid())
                .append(process.isAlive() ? ", running" : ", exited " + process.exitValue()).append("), last ")
                .append(Math.min(TAIL_LINES, lines.size())).append(" of ").append(lines.size()).append(" lines:\n");
            for (final String line : lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()))
            {
                report.append(line).append('\n');
            }
        }
    }

    private static boolean caughtUp(final Consumer consumer, final List<TopicPartition> partitions, final long[] ends)
    {
        for (int p = 0; p < ends.length; p++)
        {
            if (consumer.position(partitions.get(p)) < ends[p])
            {
                return false;
            }
        }
        return true;
    }

    private static List<Long> positions(final Consumer consumer, final List<TopicPartition> partitions)
    {
        final List<Long> positions = new ArrayList<>();
        for (final TopicPartition partition : partitions)
        {
            positions.add(consumer.position(partition));
        }
        return positions;
    }
}
