package io.spindle.tools;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.aeron.CommonContext;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.ClusterNode;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.History;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle node} as separate processes: a 1-member cluster leads by itself and takes a snapshot when
 * {@code spindle node snapshot} asks; of three members none says {@code listening} before it has joined, one leads,
 * a follower refuses to snapshot, and when the leader is killed with SIGKILL another takes over; SIGTERM closes a
 * member cleanly.
 */
@Timeout(120)
class NodeProcessTest
{
    private static final long AWAIT_MS = 30_000;
    /**
     * A JVM ended by SIGTERM exits 128 + 15 once its shutdown hooks (here: closing the member) have run.
     */
    private static final int SIGTERM_EXIT = 143;

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();
    private final List<File> outputFiles = new ArrayList<>();
    private final String aeronPrefix = CommonContext.getAeronDirectoryName() + "-spindle-node-test-" +
        UUID.randomUUID();

    @AfterEach
    void cleanUp()
    {
        for (final Process process : processes)
        {
            process.destroyForcibly();
        }
        for (int i = 0; i < processes.size(); i++)
        {
            IoUtil.delete(new File(aeronPrefix + "-" + i), true);
        }
    }

    @Test
    void aSingleMemberLeadsAndClosesOnSigterm() throws Exception
    {
        final String members = "0=localhost:" + SpindleProcess.freeMemberPorts(1);
        final Process node = start(0, members);
        awaitLine(0, "started a media driver in " + aeronPrefix + "-0");
        awaitLine(0, "listening localhost:");
        awaitLine(0, "role leader");

        final List<String> snapshot = runCli(0, "node", "snapshot", "--data-dir", dir.resolve("member-0").toString());
        assertTrue(snapshot.get(0).startsWith("snapshot at log position ") && snapshot.get(0).contains("member 0"),
            String.join("\n", snapshot));
        node.destroy();
        assertTrue(node.waitFor(20, TimeUnit.SECONDS), "SIGTERM did not stop the member");
        assertEquals(SIGTERM_EXIT, node.exitValue(), String.join("\n", lines(0)));
        awaitLine(0, "shutting down");
    }

    @Test
    void aRebuildFromADirectoryWithoutARaftLogIsRefusedBeforeTheMemberStarts() throws Exception
    {
        final List<String> refused = runCli(1, "node", "--id", "0", "--members",
            "0=localhost:" + SpindleProcess.freeMemberPorts(1),
            "--data-dir", dir.resolve("member-0").toString(), "--aeron-dir", aeronPrefix + "-0",
            "--rebuild-from", dir.resolve("not-a-member").toString());
        assertTrue(String.join("\n", refused).contains("holds no member's Raft log"), String.join("\n", refused));
        assertTrue(!Files.exists(dir.resolve("member-0").resolve("cluster")), "the member started");
    }

    @Test
    void anotherMemberLeadsAfterTheLeaderIsKilled() throws Exception
    {
        final int base = SpindleProcess.freeMemberPorts(3);
        final String members = "0=localhost:" + base + ",1=localhost:" + (base + ClusterNode.MEMBER_PORT_COUNT) +
            ",2=localhost:" + (base + 2 * ClusterNode.MEMBER_PORT_COUNT);
        start(0, members);
        awaitLine(0, "started a media driver in ");
        assertTrue(lines(0).stream().noneMatch((line) -> line.startsWith("listening")),
            "listening with no quorum: " + lines(0));
        start(1, members);
        start(2, members);
        for (int i = 0; i < 3; i++)
        {
            awaitLine(i, "listening localhost:" + (base + i * ClusterNode.MEMBER_PORT_COUNT));
        }
        final int leader = awaitLeader(-1);
        final int follower = (leader + 1) % 3;
        awaitLine(follower, "role follower");
        final List<String> refused = runCli(1, "node", "snapshot", "--data-dir",
            dir.resolve("member-" + follower).toString());
        assertTrue(refused.get(0).contains("member " + follower + " is not the leader"), String.join("\n", refused));
        final long killedNs = System.nanoTime();
        processes.get(leader).destroyForcibly().waitFor();
        final int next = awaitLeader(leader);
        final long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
        assertTrue(next != leader);
        System.out.println("failover after SIGKILL of member " + leader + ": member " + next + " leads after " +
            failoverMs + " ms");
        for (int i = 0; i < 3; i++)
        {
            if (i != leader)
            {
                processes.get(i).destroy();
                assertTrue(processes.get(i).waitFor(20, TimeUnit.SECONDS), "SIGTERM did not stop member " + i);
                assertEquals(SIGTERM_EXIT, processes.get(i).exitValue(), String.join("\n", lines(i)));
                awaitLine(i, "shutting down");
            }
        }
    }

    /**
     * Producing with acks=all through three member processes while the leader is killed with SIGKILL: once the killed
     * member is back and every member has caught up, the replication checker finds every acknowledged record at its
     * offset on every member, once, and the members' logs byte-identical.
     */
    @Test
    void everyAcknowledgedRecordSurvivesASigkilledLeader() throws Exception
    {
        final int base = SpindleProcess.freeMemberPorts(3);
        final String members = "0=localhost:" + base + ",1=localhost:" + (base + ClusterNode.MEMBER_PORT_COUNT) +
            ",2=localhost:" + (base + 2 * ClusterNode.MEMBER_PORT_COUNT);
        final String bootstrap = "localhost:" + base + ",localhost:" + (base + ClusterNode.MEMBER_PORT_COUNT) +
            ",localhost:" + (base + 2 * ClusterNode.MEMBER_PORT_COUNT);
        for (int i = 0; i < 3; i++)
        {
            start(i, members);
        }
        final int leader = awaitLeader(-1);
        try (Admin admin = Admin.connect(client(new ClientContext(), bootstrap)))
        {
            admin.createTopic("kills", 2, Map.of());
        }

        final History history = new History();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong acked = new AtomicLong();
        final long[] ends = new long[2];
        final Thread producing = new Thread(() -> produce(bootstrap, history, stop, acked, ends), "producer");
        producing.start();
        awaitCondition(() -> acked.get() >= 300, "300 acknowledgements before the kill");
        processes.get(leader).destroyForcibly().waitFor();
        awaitLeader(leader);
        final long ackedAtFailover = acked.get();
        awaitCondition(() -> acked.get() >= ackedAtFailover + 300, "300 acknowledgements after the failover");
        stop.set(true);
        producing.join(60_000);
        assertTrue(!producing.isAlive(), "the producer did not finish");

        restart(leader, members);
        for (int m = 0; m < 3; m++)
        {
            awaitCaughtUp(bootstrap, m, ends);
        }
        for (int m = 0; m < 3; m++)
        {
            processes.get(m).destroy();
            assertTrue(processes.get(m).waitFor(20, TimeUnit.SECONDS), "SIGTERM did not stop member " + m);
        }
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, dir.resolve("member-" + m));
        }
        final CheckResult result = checker.check();
        System.out.println("SIGKILL of leader " + leader + ": " + result.summary());
        assertTrue(result.isValid(), result.toString());
        assertEquals(acked.get(), result.found(), result.summary());
    }

    private static void produce(
        final String bootstrap, final History history, final AtomicBoolean stop, final AtomicLong acked,
        final long[] ends)
    {
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(64 * 1024), bootstrap)))
        {
            for (int i = 0; !stop.get(); i++)
            {
                final int sequence = i;
                final int partition = i % 2;
                final byte[] value = ("k-" + i).getBytes(StandardCharsets.UTF_8);
                while (Producer.BACK_PRESSURED == producer.send("kills", partition, null, value,
                    (p, offset, code) ->
                    {
                        if (ErrorCode.NONE == code)
                        {
                            history.acknowledged("producer", sequence, "kills", p, offset, value);
                            ends[p] = Math.max(ends[p], offset + 1);
                            acked.incrementAndGet();
                        }
                        else
                        {
                            history.inDoubt("producer", sequence, "kills", p, value);
                        }
                    }))
                {
                    producer.poll();
                    LockSupport.parkNanos(100_000);
                }
                producer.poll();
                LockSupport.parkNanos(500_000);
            }
            producer.flush();
        }
    }

    /**
     * Fetch from one member until it serves both partitions up to the last acknowledged offset.
     */
    private static void awaitCaughtUp(final String bootstrap, final int member, final long[] ends)
    {
        final Consumer.Context ctx = client(new Consumer.Context(), bootstrap)
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        ctx.replica(member);
        try (Consumer consumer = Consumer.connect(ctx))
        {
            final TopicPartition p0 = new TopicPartition("kills", 0);
            final TopicPartition p1 = new TopicPartition("kills", 1);
            consumer.assign(List.of(p0, p1));
            final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
            while (consumer.position(p0) < ends[0] || consumer.position(p1) < ends[1])
            {
                assertTrue(System.currentTimeMillis() < deadlineMs, "member " + member + " did not catch up: at " +
                    consumer.position(p0) + "/" + consumer.position(p1) + " of " + ends[0] + "/" + ends[1]);
                consumer.poll((record) -> {}, 1_000, 100);
            }
        }
    }

    private static <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(30_000).connectTimeoutMs(30_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }

    private static void awaitCondition(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.currentTimeMillis() < deadlineMs, "timed out waiting for " + what);
            Thread.sleep(10);
        }
    }

    private int awaitLeader(final int notThis) throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
        while (System.currentTimeMillis() < deadlineMs)
        {
            for (int i = 0; i < outputFiles.size(); i++)
            {
                final List<String> lines = lines(i);
                if (i != notThis && !lines.isEmpty() && lines.lastIndexOf("role leader") > lines.lastIndexOf(
                    "role follower"))
                {
                    return i;
                }
            }
            Thread.sleep(20);
        }
        final List<List<String>> all = new ArrayList<>();
        for (int i = 0; i < outputFiles.size(); i++)
        {
            all.add(lines(i));
        }
        throw new AssertionError("no leader other than " + notThis + "; outputs: " + all);
    }

    private void awaitLine(final int member, final String prefix) throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
        while (System.currentTimeMillis() < deadlineMs)
        {
            for (final String line : lines(member))
            {
                if (line.startsWith(prefix))
                {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("member " + member + " never printed '" + prefix + "': " + lines(member));
    }

    /**
     * Run {@code spindle ARGS} as a process and return its output once it exits with the expected code.
     */
    private List<String> runCli(final int expectedExit, final String... args) throws IOException, InterruptedException
    {
        final String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx128m",
            "-cp", classpath,
            SpindleCli.class.getName()));
        command.addAll(List.of(args));
        final File output = dir.resolve("cli-" + UUID.randomUUID() + ".out").toFile();
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(output).start();
        processes.add(process);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "spindle " + String.join(" ", args) + " did not exit");
        final List<String> lines = Files.readAllLines(output.toPath(), StandardCharsets.UTF_8);
        assertEquals(expectedExit, process.exitValue(), String.join("\n", lines));
        return lines;
    }

    private Process start(final int memberId, final String members) throws IOException
    {
        final Process process = launch(memberId, members);
        processes.add(process);
        outputFiles.add(dir.resolve("member-" + memberId + ".out").toFile());
        return process;
    }

    /**
     * Start a member that ran before (and was killed) again, appending to the same output file.
     */
    private void restart(final int memberId, final String members) throws IOException
    {
        processes.set(memberId, launch(memberId, members));
    }

    private Process launch(final int memberId, final String members) throws IOException
    {
        final String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
            "-Xmx256m",
            "-Dspindle.node.leader.heartbeat.timeout=1s",
            "-cp", classpath,
            SpindleCli.class.getName(),
            "node", "--id", Integer.toString(memberId), "--members", members,
            "--data-dir", dir.resolve("member-" + memberId).toString(),
            "--aeron-dir", aeronPrefix + "-" + memberId));
        final File output = dir.resolve("member-" + memberId + ".out").toFile();
        return new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(output)).start();
    }

    private List<String> lines(final int member)
    {
        try
        {
            return Files.readAllLines(outputFiles.get(member).toPath(), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }
}
