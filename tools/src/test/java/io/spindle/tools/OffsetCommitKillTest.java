package io.spindle.tools;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.aeron.CommonContext;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle broker} as its own process, killed with SIGKILL while committers commit offsets as fast as they are
 * answered, then restarted on the same data directory: every commit that was answered is there (a commit is answered
 * only once the metadata write holding it is on disk, on the persister's thread, not the control agent's).
 */
@Timeout(120)
class OffsetCommitKillTest
{
    private static final int COMMITTERS = 3;
    private static final long KILL_AFTER = 300;
    private static final TopicPartition PARTITION = new TopicPartition("ledger", 0);

    @TempDir
    Path dir;

    private final List<Process> processes = java.util.Collections.synchronizedList(new ArrayList<>());
    private final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-commit-kill-" + UUID.randomUUID();

    @AfterEach
    void cleanUp()
    {
        for (final Process process : processes)
        {
            process.destroyForcibly();
        }
        IoUtil.delete(new File(aeronDir), true);
    }

    @Test
    void everyAnsweredCommitSurvivesKillMinusNine() throws Exception
    {
        final Path data = dir.resolve("data");
        final int port = SpindleProcess.freeUdpPort();
        final String bootstrap = "127.0.0.1:" + port;
        Process broker = startBroker(data, port);
        try (Admin admin = Admin.connect(new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)))
        {
            admin.createTopic(PARTITION.topic(), 1, Map.of());
        }

        // Each committer its own group: commits of different groups share writes, and each group's offset only grows.
        // The first kills the broker the moment its 300th commit is answered, while the others' are in flight.
        final Process killed = broker;
        final AtomicLong[] answered = new AtomicLong[COMMITTERS];
        final AtomicLong[] attempted = new AtomicLong[COMMITTERS];
        final Thread[] committers = new Thread[COMMITTERS];
        for (int i = 0; i < COMMITTERS; i++)
        {
            answered[i] = new AtomicLong(-1);
            attempted[i] = new AtomicLong(-1);
            final int index = i;
            final Process victim = 0 == i ? killed : null;
            committers[i] = new Thread(
                () -> commitUntilRefused(aeronDir, "group-" + index, answered[index], attempted[index], victim),
                "committer-" + i);
            committers[i].start();
        }
        for (final Thread committer : committers)
        {
            committer.join(60_000);
            assertTrue(!committer.isAlive(), committer.getName() + " did not stop after the broker was killed");
        }
        assertTrue(killed.waitFor(10, TimeUnit.SECONDS));
        assertTrue(answered[0].get() >= KILL_AFTER, "the broker was not killed after commit " + KILL_AFTER +
            " was answered: " + answered[0].get());

        broker = startBroker(data, port);
        try (Admin admin = Admin.connect(new ClientContext().bootstrap(bootstrap).connectTimeoutMs(10_000)))
        {
            for (int i = 0; i < COMMITTERS; i++)
            {
                final OffsetAndMetadata committed = admin.listGroupOffsets("group-" + i).get(PARTITION);
                final long offset = null == committed ? -1 : committed.offset();
                // At least the last answered commit; at most the last one sent (answered or not).
                assertTrue(offset >= answered[i].get() && offset <= attempted[i].get(),
                    "group-" + i + ": committed " + offset + " after the restart, answered " + answered[i].get() +
                    ", sent " + attempted[i].get());
            }
        }
        broker.destroy();
        assertTrue(broker.waitFor(20, TimeUnit.SECONDS), "broker did not stop on SIGTERM");
    }

    private static void commitUntilRefused(
        final String aeronDir,
        final String group,
        final AtomicLong answered,
        final AtomicLong attempted,
        final Process victim)
    {
        // Over IPC: the answer is seen (and the kill sent) microseconds after the broker sends it.
        final ClientContext ctx = new ClientContext().bootstrap("ipc").aeronDirectoryName(aeronDir)
            .requestTimeoutMs(5_000);
        try (Admin admin = Admin.connect(ctx))
        {
            for (long offset = 1; ; offset++)
            {
                attempted.set(offset);
                admin.alterGroupOffsets(group, Map.of(PARTITION, new OffsetAndMetadata(offset, "")));
                answered.set(offset);
                if (null != victim && KILL_AFTER == offset)
                {
                    victim.destroyForcibly();
                }
            }
        }
        catch (final SpindleException ignore)
        {
            // The broker was killed: the commit in flight has no answer.
        }
    }

    private Process startBroker(final Path data, final int port) throws Exception
    {
        final SpindleProcess broker = SpindleProcess.startBroker(aeronDir, data, port);
        processes.add(broker.process());
        return broker.process();
    }

}
