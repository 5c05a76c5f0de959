package io.spindle.tools;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicDescription;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.ClusterNode;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.HighWaterMarkMonitor;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code spindle chaos}: a replicated cluster of {@code spindle node} processes under produce and consume load while a
 * nemesis kills ({@code kill -9}, then restarts) or freezes ({@code SIGSTOP}, then {@code SIGCONT}) random members,
 * the leader included, one at a time so a quorum stays; at the end every member is brought back and caught up, shut
 * down with SIGTERM, and the replication checker judges what the producers were told against every member's logs.
 * Exit status 0 when the check is valid (nothing acknowledged lost, no duplicates, logs byte-identical, high-water
 * marks never back) and the cluster settled, 1 otherwise, 2 for bad options.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Run a cluster of 'spindle node' processes under acks=all produce and " +
    "consume load while members are killed (kill -9, restart) or frozen (SIGSTOP, SIGCONT) at random, the leader " +
    "included; then check every acknowledged record is on every member once and the logs are identical.")
public final class ChaosCommand implements Callable<Integer>
{
    /**
     * What the nemesis does first.
     */
    enum FirstAction
    {
        /**
         * Whatever the seed says.
         */
        RANDOM,

        /**
         * Kill the leader, so that even a short run has a failover under load.
         */
        LEADER
    }

    static final String TOPIC = "chaos";
    static final int PARTITIONS = 2;
    private static final long AWAIT_MS = 60_000;
    private static final long TERMINATE_MS = 30_000;
    private static final long CLIENT_TIMEOUT_MS = 10_000;
    private static final int MIN_PAUSE_MS = 2_000;
    private static final int MAX_PAUSE_MS = 5_000;
    private static final int MIN_DOWN_MS = 1_000;
    private static final int MAX_DOWN_MS = 3_000;
    private static final int SIGTERM_EXIT = 143;
    private static final int MAX_UNEXPECTED_EXITS = 3;

    @Option(names = "--members", paramLabel = "N", defaultValue = "3",
        description = "Cluster members, at least 3 (default: ${DEFAULT-VALUE}).")
    int memberCount;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "-1",
        description = "How long the nemesis runs (default: 60).")
    long seconds;

    @Option(names = "--minutes", paramLabel = "M", defaultValue = "-1",
        description = "How long the nemesis runs, in minutes, for long runs; instead of --seconds.")
    long minutes;

    @Option(names = "--rate", paramLabel = "R", defaultValue = "500",
        description = "Records/s the producer sends, acks=all, on a fixed schedule (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--seed", paramLabel = "SEED",
        description = "Seed of the nemesis's choices (default: random, printed).")
    Long seed;

    @Option(names = "--dir", paramLabel = "D", description = "Where the members' directories and outputs go: an " +
        "empty or new directory (default: a new temporary directory). Removed at the end unless --keep or the run " +
        "failed.")
    Path dir;

    @Option(names = "--keep", description = "Keep the members' directories and outputs.")
    boolean keep;

    @Option(names = "--first-kill", paramLabel = "random|leader", defaultValue = "random",
        description = "The nemesis's first action: random (as the seed says) or leader (kill -9 the leader). " +
        "Default: ${DEFAULT-VALUE}.")
    FirstAction firstKill;

    @Option(names = "--leader-timeout", paramLabel = "DURATION", defaultValue = "1s",
        description = "The members' leader heartbeat timeout (spindle.node.leader.heartbeat.timeout; default: " +
        "${DEFAULT-VALUE}, the tests' setting).")
    String leaderTimeout;

    @Spec
    CommandSpec spec;

    private final PrintStream out = System.out;
    private final List<ChaosMember> members = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private String bootstrap;
    private String clientAeronDir;
    private long startNs;
    private int kills;
    private int leaderKills;
    private int stops;
    private int leaderStops;
    private int unexpectedExits;

    /**
     * Run the cluster, the load and the nemesis, then settle and check.
     *
     * @return 0 when the check is valid and the cluster settled, 1 otherwise, 2 for bad options.
     * @throws Exception when the run cannot be set up.
     */
    public Integer call() throws Exception
    {
        if (memberCount < 3)
        {
            return usage("--members must be at least 3: with one member down the others must still be a majority");
        }
        if (seconds >= 0 && minutes >= 0)
        {
            return usage("give --seconds or --minutes, not both");
        }
        final long runSeconds = minutes >= 0 ? minutes * 60 : seconds >= 0 ? seconds : 60;
        if (runSeconds < 1)
        {
            return usage("the run must last at least 1 s");
        }
        if (rate < 1 || rate > 100_000)
        {
            return usage("--rate must be between 1 and 100000 records/s");
        }
        final boolean isOwnDir = null == dir || !Files.exists(dir);
        if (!isOwnDir)
        {
            try (Stream<Path> entries = Files.list(dir))
            {
                if (entries.findAny().isPresent())
                {
                    return usage("--dir " + dir + " is not empty");
                }
            }
        }
        final Path runDir = null == dir ? Files.createTempDirectory("spindle-chaos-") :
            Files.createDirectories(dir).toAbsolutePath();
        final long runSeed = null != seed ? seed : ThreadLocalRandom.current().nextLong();
        final File shm = new File("/dev/shm");
        final File aeronRoot = new File(shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir")),
            "spindle-chaos-" + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime()));
        final Thread cleanup = new Thread(() ->
        {
            for (final ChaosMember member : members)
            {
                member.destroyForcibly();
            }
            IoUtil.delete(aeronRoot, true);
            out.println("spindle chaos: interrupted; members killed, their directories and outputs kept in " + runDir);
            out.flush();
        }, "spindle-chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);

        boolean isValid = false;
        MediaDriver clientDriver = null;
        try
        {
            final String memberList = ClusterNode.loopbackMembers(memberCount);
            final StringBuilder endpoints = new StringBuilder();
            for (final ClusterNode.Endpoint endpoint : ClusterNode.parseMembers(memberList))
            {
                endpoints.append(endpoints.length() > 0 ? "," : "").append(endpoint.host()).append(':')
                    .append(endpoint.port());
            }
            bootstrap = endpoints.toString();
            out.printf("spindle chaos: %d members (%s), %d s, %d records/s acks=all, seed %d, in %s%n",
                memberCount, memberList, runSeconds, rate, runSeed, runDir);
            startNs = System.nanoTime();
            for (int i = 0; i < memberCount; i++)
            {
                final ChaosMember member = new ChaosMember(i, nodeCommand(i, memberList, runDir, aeronRoot),
                    runDir.resolve("member-" + i + ".out").toFile());
                members.add(member);
                member.launch();
            }
            awaitListening();
            final int firstLeader = awaitLeader();
            out.printf("%s member %d leads%n", elapsed(startNs), firstLeader);

            clientAeronDir = new File(aeronRoot, "client").getPath();
            clientDriver = MediaDriver.launch(new MediaDriver.Context()
                .aeronDirectoryName(clientAeronDir)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 100_000))
                .asyncExecutorEnabled(false)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .publicationTermBufferLength(4 * 1024 * 1024)
                .ipcTermBufferLength(4 * 1024 * 1024));
            createTopic();
            out.printf("%s created topic '%s' with %d partitions; load starts%n", elapsed(startNs), TOPIC, PARTITIONS);

            final ChaosLoad load = new ChaosLoad(TOPIC, PARTITIONS, rate, this::client, out, startNs);
            final HighWaterMarkSampler sampler = new HighWaterMarkSampler();
            final HighWaterMarkMonitor monitor = new HighWaterMarkMonitor().startPolling(sampler, 250);
            load.start();
            try
            {
                nemesis(new Random(runSeed), System.nanoTime() + TimeUnit.SECONDS.toNanos(runSeconds), load);
            }
            finally
            {
                out.printf("%s nemesis stopped: %d kills (%d of the leader), %d stops (%d of the leader); " +
                    "settling%n", elapsed(startNs), kills, leaderKills, stops, leaderStops);
            }
            final CheckResult result = settleAndCheck(load, monitor, sampler, runDir);
            isValid = report(load, monitor, result, runSeed);
        }
        finally
        {
            for (final ChaosMember member : members)
            {
                member.destroyForcibly();
            }
            for (final ChaosMember member : members)
            {
                if (member.isAlive() && !member.kill())
                {
                    out.println("member " + member.id() + " (pid " + member.pid() + ") did not die on SIGKILL");
                }
            }
            CloseHelper.quietClose(clientDriver);
            IoUtil.delete(aeronRoot, true);
            try
            {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
            catch (final IllegalStateException ignore)
            {
                // Shutting down already: the hook runs anyway.
            }
            if (isValid && !keep)
            {
                deleteRunDirectory(runDir, isOwnDir);
            }
            else
            {
                out.println("members' directories and outputs kept in " + runDir);
            }
        }
        return isValid ? 0 : 1;
    }

    /**
     * {@code +12.3s}: time since the start of the run.
     *
     * @param startNs when the run started.
     * @return the text.
     */
    static String elapsed(final long startNs)
    {
        return String.format(Locale.ROOT, "+%.1fs", (System.nanoTime() - startNs) / 1e9);
    }

    private List<String> nodeCommand(final int id, final String memberList, final Path runDir, final File aeronRoot)
    {
        return List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
            "-Xmx256m",
            "-Dspindle.node.leader.heartbeat.timeout=" + leaderTimeout,
            "-cp", System.getProperty("java.class.path"),
            SpindleCli.class.getName(),
            "node", "--id", Integer.toString(id), "--members", memberList,
            "--data-dir", runDir.resolve("member-" + id).toString(),
            "--aeron-dir", new File(aeronRoot, "member-" + id).getPath());
    }

    private <T extends ClientContext> T client(final T ctx, final String clientId)
    {
        ctx.bootstrap(bootstrap)
            .aeronDirectoryName(clientAeronDir)
            .clientId(clientId)
            .requestTimeoutMs(CLIENT_TIMEOUT_MS)
            .connectTimeoutMs(CLIENT_TIMEOUT_MS)
            .reconnectTimeoutMs(CLIENT_TIMEOUT_MS)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }

    private void nemesis(final Random random, final long endNs, final ChaosLoad load) throws Exception
    {
        int actions = 0;
        while (true)
        {
            // Every choice is drawn each round, so a seed gives the same schedule whatever --first-kill says.
            final long pauseMs = MIN_PAUSE_MS + random.nextInt(MAX_PAUSE_MS - MIN_PAUSE_MS + 1);
            final boolean isKill = random.nextBoolean();
            final int drawn = random.nextInt(memberCount);
            final long downMs = MIN_DOWN_MS + random.nextInt(MAX_DOWN_MS - MIN_DOWN_MS + 1);
            final long pauseEndNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMs);
            if (pauseEndNs - endNs >= 0)
            {
                watch(TimeUnit.NANOSECONDS.toMillis(Math.max(0, endNs - System.nanoTime())), -1, load);
                return;
            }
            if (!watch(pauseMs, -1, load))
            {
                return;
            }
            final int leader = currentLeader();
            final boolean isLeaderFirst = 0 == actions && FirstAction.LEADER == firstKill && leader >= 0;
            final int target = isLeaderFirst ? leader : drawn;
            final ChaosMember member = members.get(target);
            final String role = target == leader ? " (the leader)" : "";
            actions++;
            if (isKill || isLeaderFirst)
            {
                out.printf("%s kill -9 member %d%s, restart in %d ms; acknowledged so far %d, in doubt %d%n",
                    elapsed(startNs), target, role, downMs, load.acknowledged(), load.inDoubt());
                kills++;
                leaderKills += target == leader ? 1 : 0;
                if (!member.kill())
                {
                    fail("member " + target + " did not die on SIGKILL");
                    return;
                }
                if (!watch(downMs, target, load))
                {
                    return;
                }
                member.launch();
                if (!awaitListening(member))
                {
                    return;
                }
                out.printf("%s member %d restarted%n", elapsed(startNs), target);
            }
            else
            {
                out.printf("%s SIGSTOP member %d%s for %d ms; acknowledged so far %d, in doubt %d%n",
                    elapsed(startNs), target, role, downMs, load.acknowledged(), load.inDoubt());
                stops++;
                leaderStops += target == leader ? 1 : 0;
                member.stop();
                final boolean isWatched = watch(downMs, target, load);
                member.resume();
                out.printf("%s SIGCONT member %d%n", elapsed(startNs), target);
                if (!isWatched)
                {
                    return;
                }
            }
        }
    }

    /**
     * Wait, watching that every member but the one down runs and the load threads are alive.
     *
     * @return false if the run must stop.
     */
    private boolean watch(final long ms, final int down, final ChaosLoad load) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        do
        {
            if (null != load.threadFailure())
            {
                fail("a load thread failed: " + SpindleCli.reason(load.threadFailure()));
                return false;
            }
            for (final ChaosMember member : members)
            {
                if (member.id() != down && !member.isAlive())
                {
                    unexpectedExits++;
                    fail("member " + member.id() + " exited on its own with status " + member.exitValue());
                    printTail(member);
                    if (unexpectedExits >= MAX_UNEXPECTED_EXITS)
                    {
                        return false;
                    }
                    member.launch();
                }
            }
            Thread.sleep(Math.max(0, Math.min(50, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime()))));
        }
        while (System.nanoTime() - deadlineNs < 0);
        return true;
    }

    private int currentLeader()
    {
        int leader = -1;
        for (final ChaosMember member : members)
        {
            if (member.isAlive() && !member.isStopped() && member.isLeader() &&
                (leader < 0 || member.leaderSinceNs() - members.get(leader).leaderSinceNs() > 0))
            {
                leader = member.id();
            }
        }
        return leader;
    }

    private void awaitListening() throws InterruptedException
    {
        for (final ChaosMember member : members)
        {
            if (!awaitListening(member))
            {
                throw new IllegalStateException("member " + member.id() + " did not start; its output:\n" +
                    String.join("\n", member.tail()));
            }
        }
    }

    private boolean awaitListening(final ChaosMember member) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MS);
        while (!member.isListening())
        {
            if (!member.isAlive() || System.nanoTime() - deadlineNs > 0)
            {
                fail("member " + member.id() + (member.isAlive() ? " did not print 'listening' within " +
                    AWAIT_MS + " ms" : " exited with status " + member.exitValue()) + " after its launch");
                printTail(member);
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private int awaitLeader() throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MS);
        int leader;
        while ((leader = currentLeader()) < 0)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                printTails();
                throw new IllegalStateException("no member printed 'role leader' within " + AWAIT_MS + " ms");
            }
            Thread.sleep(20);
        }
        return leader;
    }

    private void createTopic() throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MS);
        while (true)
        {
            try (Admin admin = Admin.connect(client(new ClientContext(), "chaos-admin")))
            {
                // Retention off: a record retention removed would count as lost. Small segments: rolls happen.
                admin.createTopic(TOPIC, PARTITIONS, Map.of("retention.ms", "-1", "segment.bytes", "1m"));
                return;
            }
            catch (final SpindleException ex)
            {
                if (ErrorCode.TOPIC_ALREADY_EXISTS == ex.errorCode())
                {
                    return;
                }
                if (System.nanoTime() - deadlineNs > 0)
                {
                    printTails();
                    throw ex;
                }
                Thread.sleep(200);
            }
        }
    }

    private CheckResult settleAndCheck(
        final ChaosLoad load, final HighWaterMarkMonitor monitor, final HighWaterMarkSampler sampler, final Path runDir)
        throws Exception
    {
        for (final ChaosMember member : members)
        {
            if (member.isStopped())
            {
                member.resume();
            }
            if (!member.isAlive())
            {
                member.launch();
            }
        }
        for (final ChaosMember member : members)
        {
            awaitListening(member);
        }
        if (!load.stopProducing())
        {
            fail("the producer thread did not stop");
        }
        out.printf("%s load stopped: %d acknowledged, %d in doubt, %d refused; waiting for every member to apply " +
            "everything%n", elapsed(startNs), load.acknowledged(), load.inDoubt(), load.refused());

        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MS);
        final long[] ends = logEnds(deadlineNs);
        if (null != ends)
        {
            for (final ChaosMember member : members)
            {
                if (!awaitApplied(member.id(), ends, deadlineNs))
                {
                    fail("member " + member.id() + " did not apply up to " + Arrays.toString(ends) +
                        " within " + AWAIT_MS + " ms");
                    printTail(member);
                }
            }
            if (!load.stopConsumingAt(ends, AWAIT_MS))
            {
                fail("the consumer did not read up to " + Arrays.toString(ends) + " within " + AWAIT_MS +
                    " ms");
            }
            out.printf("%s every member applied up to %s%n", elapsed(startNs), Arrays.toString(ends));
        }
        else
        {
            load.stopConsuming();
        }
        monitor.close();
        sampler.close();

        for (final ChaosMember member : members)
        {
            member.terminate();
        }
        for (final ChaosMember member : members)
        {
            final int status = member.awaitExit(TERMINATE_MS);
            if (SIGTERM_EXIT != status)
            {
                fail("member " + member.id() + (status < 0 ? " did not exit within " + TERMINATE_MS +
                    " ms of SIGTERM" : " exited with status " + status + " on SIGTERM"));
                printTail(member);
            }
        }

        final ReplicationChecker checker = new ReplicationChecker(load.history()).highWaterMarks(monitor);
        for (int p = 0; p < PARTITIONS; p++)
        {
            checker.partition(TOPIC, p);
        }
        for (final ChaosMember member : members)
        {
            checker.member(member.id(), runDir.resolve("member-" + member.id()));
        }
        return checker.check();
    }

    private long[] logEnds(final long deadlineNs) throws InterruptedException
    {
        RuntimeException last = null;
        while (System.nanoTime() - deadlineNs < 0)
        {
            try (Admin admin = Admin.connect(client(new ClientContext(), "chaos-settle")))
            {
                final TopicDescription description = admin.describeTopic(TOPIC);
                final long[] ends = new long[PARTITIONS];
                for (final TopicDescription.PartitionDescription partition : description.partitions())
                {
                    ends[partition.partition()] = partition.highWatermark();
                }
                return ends;
            }
            catch (final RuntimeException ex)
            {
                last = ex;
                Thread.sleep(200);
            }
        }
        fail("no leader described the topic within " + AWAIT_MS + " ms" +
            (null != last ? ": " + SpindleCli.reason(last) : ""));
        printTails();
        return null;
    }

    /**
     * Whether a member has applied each partition up to its end offset: a consumer fetching from that member reads
     * the last record below the end (a member serves nothing beyond what it has applied).
     */
    private boolean awaitApplied(final int memberId, final long[] ends, final long deadlineNs)
        throws InterruptedException
    {
        final boolean[] isRead = new boolean[PARTITIONS];
        final List<TopicPartition> assignment = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++)
        {
            isRead[p] = 0 == ends[p];
            if (!isRead[p])
            {
                assignment.add(new TopicPartition(TOPIC, p));
            }
        }
        while (System.nanoTime() - deadlineNs < 0)
        {
            final Consumer.Context ctx = client(new Consumer.Context(), "chaos-settle-" + memberId);
            ctx.replica(memberId);
            try (Consumer consumer = Consumer.connect(ctx))
            {
                consumer.assign(assignment);
                for (final TopicPartition tp : assignment)
                {
                    consumer.seek(tp, ends[tp.partition()] - 1);
                }
                while (System.nanoTime() - deadlineNs < 0)
                {
                    consumer.poll((record) ->
                    {
                        if (record.offset() >= ends[record.partition()] - 1)
                        {
                            isRead[record.partition()] = true;
                        }
                    }, 16, 100);
                    boolean isDone = true;
                    for (final boolean read : isRead)
                    {
                        isDone &= read;
                    }
                    if (isDone)
                    {
                        return true;
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                Thread.sleep(200);
            }
        }
        return false;
    }

    private boolean report(
        final ChaosLoad load, final HighWaterMarkMonitor monitor, final CheckResult result, final long runSeed)
    {
        int leaderChanges = 0;
        for (final ChaosMember member : members)
        {
            leaderChanges += member.leaderLines();
        }
        final int failovers = Math.max(0, leaderChanges - 1);
        if (load.consumerSkips() > 0)
        {
            fail("the consumer saw " + load.consumerSkips() + " offsets out of sequence, first " +
                load.firstConsumerSkip());
        }
        if (null != load.threadFailure())
        {
            fail("a load thread failed: " + SpindleCli.reason(load.threadFailure()));
        }
        final boolean isValid = result.isValid() && failures.isEmpty();
        out.printf(Locale.ROOT, "summary: acknowledged %d, found %d, lost %d, duplicates %d, in doubt %d " +
            "(%d present), divergent %d, consumed %d, failovers %d, longest unavailability %.2f s, " +
            "kills %d (%d of the leader), stops %d (%d of the leader), producers lost %d: %s%n",
            result.acknowledged(), result.found(), result.lost(), result.duplicates(), result.inDoubt(),
            result.inDoubtPresent(), result.divergentPartitions(), load.consumed(), failovers,
            load.longestUnavailableNs() / 1e9, kills, leaderKills, stops, leaderStops, load.producersLost(),
            isValid ? "VALID" : "INVALID");
        out.println("check: " + result.summary() + " (sampler failures " + monitor.samplerFailures() + ")");
        out.printf(Locale.ROOT, "longest unavailability from +%.1fs; refused %d; consumers replaced %d; " +
            "first producer loss: %s%n", load.longestUnavailableFromNs() / 1e9, load.refused(), load.consumersLost(),
            null == load.firstProducerLoss() ? "none" : load.firstProducerLoss());
        for (final String episode : load.inDoubtEpisodes())
        {
            out.println("in doubt: " + episode);
        }
        if (!result.isValid())
        {
            out.println(result);
        }
        for (final String failure : failures)
        {
            out.println("failure: " + failure);
        }
        if (!isValid)
        {
            out.println("repeat with: spindle chaos --members " + memberCount + " --seconds " +
                (minutes >= 0 ? minutes * 60 : seconds >= 0 ? seconds : 60) + " --rate " + rate + " --seed " +
                runSeed + (FirstAction.LEADER == firstKill ? " --first-kill leader" : ""));
        }
        return isValid;
    }

    private void fail(final String failure)
    {
        failures.add(failure);
        out.printf("%s FAILURE: %s%n", elapsed(startNs), failure);
    }

    private void printTails()
    {
        for (final ChaosMember member : members)
        {
            printTail(member);
        }
    }

    private void printTail(final ChaosMember member)
    {
        out.println("--- member " + member.id() + " output (" + member.output() + "), last lines:");
        for (final String line : member.tail())
        {
            out.println("  " + line);
        }
    }

    private static void deleteRunDirectory(final Path runDir, final boolean isOwnDir) throws IOException
    {
        if (isOwnDir)
        {
            IoUtil.delete(runDir.toFile(), true);
            return;
        }
        try (Stream<Path> entries = Files.list(runDir))
        {
            for (final Path entry : (Iterable<Path>)entries::iterator)
            {
                IoUtil.delete(entry.toFile(), true);
            }
        }
    }

    private int usage(final String message)
    {
        spec.commandLine().getErr().println("spindle chaos: " + message);
        spec.commandLine().getErr().flush();
        return 2;
    }

    /**
     * Samples the committed high-water marks through the leader ({@code describeTopic} is ordered in the cluster's
     * log, so each answer reflects everything committed before it), keyed by the member that answered as leader.
     */
    private final class HighWaterMarkSampler implements HighWaterMarkMonitor.Sampler, AutoCloseable
    {
        private Admin admin;

        public void sample(final HighWaterMarkMonitor monitor)
        {
            try
            {
                if (null == admin)
                {
                    admin = Admin.connect(client(new ClientContext(), "chaos-hwm")
                        .requestTimeoutMs(CLIENT_TIMEOUT_MS / 2).connectTimeoutMs(CLIENT_TIMEOUT_MS / 2));
                }
                for (final TopicDescription.PartitionDescription p : admin.describeTopic(TOPIC).partitions())
                {
                    monitor.observe(p.leader(), TOPIC, p.partition(), p.highWatermark());
                }
            }
            catch (final RuntimeException ex)
            {
                close();
                throw ex;
            }
        }

        public void close()
        {
            if (null != admin)
            {
                try
                {
                    admin.close();
                }
                catch (final RuntimeException ignore)
                {
                    // A session already gone.
                }
                admin = null;
            }
        }
    }
}
