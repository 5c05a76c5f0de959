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
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle node --rebuild-from-member} between processes: a follower killed with SIGKILL loses its directory
 * while a producer keeps producing through the other two; started again with {@code --rebuild-from-member} naming
 * the other follower, it copies that running member's snapshot, Raft log and partitions, rejoins and serves every
 * acknowledged record, and the three members' logs are identical.
 */
@Timeout(120)
class NodeRebuildProcessTest
{
    private static final long AWAIT_MS = 30_000;
    private static final String TOPIC = "rebuilt";

    @TempDir
    Path dir;

    private final Process[] processes = new Process[3];
    private final String aeronPrefix = CommonContext.getAeronDirectoryName() + "-spindle-rebuild-test-" +
        UUID.randomUUID();

    @AfterEach
    void cleanUp()
    {
        for (int i = 0; i < processes.length; i++)
        {
            if (null != processes[i])
            {
                processes[i].destroyForcibly();
            }
            IoUtil.delete(new File(aeronPrefix + "-" + i), true);
        }
    }

    @Test
    void aKilledAndWipedFollowerIsRebuiltFromARunningMemberAndServesEveryRecord() throws Exception
    {
        final int base = SpindleProcess.freeMemberPorts(3);
        final StringBuilder membersList = new StringBuilder();
        final StringBuilder bootstrapList = new StringBuilder();
        for (int i = 0; i < 3; i++)
        {
            final int port = base + i * ClusterNode.MEMBER_PORT_COUNT;
            membersList.append(i > 0 ? "," : "").append(i).append("=localhost:").append(port);
            bootstrapList.append(i > 0 ? "," : "").append("localhost:").append(port);
        }
        final String members = membersList.toString();
        final String bootstrap = bootstrapList.toString();
        for (int i = 0; i < 3; i++)
        {
            processes[i] = launch(i, members);
        }
        final int leader = awaitLeader();
        try (Admin admin = Admin.connect(client(new ClientContext(), bootstrap)))
        {
            admin.createTopic(TOPIC, 2, Map.of());
        }

        final History history = new History();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong acked = new AtomicLong();
        final long[] ends = new long[2];
        final Thread producing = new Thread(() -> produce(bootstrap, history, stop, acked, ends), "producer");
        producing.start();
        awaitCondition(() -> acked.get() >= 300, "300 acknowledgements before the kill");

        final int wiped = (leader + 1) % 3;
        final int donor = (leader + 2) % 3;
        processes[wiped].destroyForcibly().waitFor();
        IoUtil.delete(dir.resolve("member-" + wiped).toFile(), false);
        final List<String> snapshot = runCli("node", "snapshot", "--data-dir", dir.resolve("member-" + leader)
            .toString());
        assertTrue(snapshot.get(0).startsWith("snapshot at log position "), String.join("\n", snapshot));
        final long ackedAtSnapshot = acked.get();
        awaitCondition(() -> acked.get() >= ackedAtSnapshot + 200, "200 acknowledgements after the snapshot");

        final int before = lines(wiped).size();
        processes[wiped] = launch(wiped, members, "--rebuild-from-member", Integer.toString(donor));
        awaitLine(wiped, before, "rebuilt member " + wiped + " from member " + donor + ": snapshot at log position ");
        awaitLine(wiped, before, "listening localhost:");
        final long ackedAtRejoin = acked.get();
        awaitCondition(() -> acked.get() >= ackedAtRejoin + 200, "200 acknowledgements after the rejoin");
        stop.set(true);
        producing.join(60_000);
        assertTrue(!producing.isAlive(), "the producer did not finish");

        for (int m = 0; m < 3; m++)
        {
            awaitCaughtUp(bootstrap, m, ends);
        }
        for (int m = 0; m < 3; m++)
        {
            processes[m].destroy();
            assertTrue(processes[m].waitFor(20, TimeUnit.SECONDS), "SIGTERM did not stop member " + m);
        }
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, dir.resolve("member-" + m));
        }
        final CheckResult result = checker.check();
        assertTrue(result.isValid(), result.toString());
        assertEquals(acked.get(), result.found(), result.summary());
    }

    private static void produce(
        final String bootstrap, final History history, final AtomicBoolean stop, final AtomicLong acked,
        final long[] ends)
    {
        try (Producer producer = Producer.connect(client(new Producer.Context(), bootstrap)))
        {
            for (int i = 0; !stop.get(); i++)
            {
                final int sequence = i;
                final int partition = i % 2;
                final byte[] value = ("r-" + i).getBytes(StandardCharsets.UTF_8);
                while (Producer.BACK_PRESSURED == producer.send(TOPIC, partition, null, value,
                    (p, offset, code) ->
                    {
                        if (ErrorCode.NONE == code)
                        {
                            history.acknowledged("producer", sequence, TOPIC, p, offset, value);
                            ends[p] = Math.max(ends[p], offset + 1);
                            acked.incrementAndGet();
                        }
                        else
                        {
                            history.inDoubt("producer", sequence, TOPIC, p, value);
                        }
                    }))
                {
                    producer.poll();
                    LockSupport.parkNanos(100_000);
                }
                producer.poll();
                LockSupport.parkNanos(1_000_000);
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
            final TopicPartition p0 = new TopicPartition(TOPIC, 0);
            final TopicPartition p1 = new TopicPartition(TOPIC, 1);
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

    private int awaitLeader() throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
        while (System.currentTimeMillis() < deadlineMs)
        {
            for (int i = 0; i < processes.length; i++)
            {
                if (lines(i).contains("role leader"))
                {
                    return i;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader; outputs: " + lines(0) + lines(1) + lines(2));
    }

    private void awaitLine(final int member, final int from, final String prefix) throws InterruptedException
    {
        final long deadlineMs = System.currentTimeMillis() + AWAIT_MS;
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
        throw new AssertionError("member " + member + " never printed '" + prefix + "': " + lines(member));
    }

    private List<String> runCli(final String... args) throws IOException, InterruptedException
    {
        final List<String> command = java("-Xmx128m");
        command.addAll(List.of(args));
        final File output = dir.resolve("cli-" + UUID.randomUUID() + ".out").toFile();
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "spindle " + String.join(" ", args) + " did not exit");
        final List<String> lines = Files.readAllLines(output.toPath(), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), String.join("\n", lines));
        return lines;
    }

    private Process launch(final int memberId, final String members, final String... extra) throws IOException
    {
        final List<String> command = java("-Xmx256m", "-Dspindle.node.leader.heartbeat.timeout=1s");
        command.addAll(List.of("node", "--id", Integer.toString(memberId), "--members", members,
            "--data-dir", dir.resolve("member-" + memberId).toString(),
            "--aeron-dir", aeronPrefix + "-" + memberId));
        command.addAll(List.of(extra));
        final File output = dir.resolve("member-" + memberId + ".out").toFile();
        return new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(output)).start();
    }

    private static List<String> java(final String... options)
    {
        final String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.zip=ALL-UNNAMED"));
        command.addAll(List.of(options));
        command.addAll(List.of("-cp", classpath, SpindleCli.class.getName()));
        return command;
    }

    private List<String> lines(final int member)
    {
        try
        {
            return Files.readAllLines(dir.resolve("member-" + member + ".out"), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }
}
