package io.spindle.client;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The invariant checker: the real coordinator (in the state machine) and real {@link GroupMembership}s
 * using the real assignors, on a simulated clock, through randomized joins, graceful leaves, crashes,
 * stalls longer and shorter than the timeouts, static restarts and commits. After every step:
 * <ul>
 *   <li>no partition has two owners among the live members the coordinator counts in the group, and
 *   the assignments of a stable generation are disjoint;</li>
 *   <li>a cooperative member never revokes before rejoining (nobody stops the world) and never revokes a
 *   partition it keeps;</li>
 * </ul>
 * once churn stops every partition is owned and each member owns exactly its assignment; and at the end
 * every offset below each committed offset was processed by some member (commit after processing loses
 * nothing). Seeds: {@code -Dspindle.fuzz.seed} (default fixed), {@code -Dspindle.fuzz.iterations} (default 20 per
 * strategy); {@code -Dspindle.sim.trace=true} prints every event with the coordinator's view. A failure
 * prints the seed, the coordinator's view, every member and the last events.
 */
@Timeout(120)
class GroupSimulationTest
{
    /**
     * Seeds are fixed by default so the default build is repeatable; explore others with
     * {@code -Dspindle.fuzz.seed} (the seed of a failure is printed). Seed 7070848888658
     * (cooperative-sticky) once left a partition unowned after two static restarts in a row; see
     * {@link #aStaticSuccessorOfASuccessorStillRejoinsForTheRebalanceItsPredecessorOwed()}.
     */
    private static final long DEFAULT_SEED = 20_261_122L;

    private static final String GROUP = "sim";
    private static final int CHURN_STEPS = 900;
    private static final int QUIET_STEPS = 250;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"cooperative-sticky", "range", "roundrobin"})
    void membershipChurnKeepsOneOwnerPerPartitionAndLosesNoCommittedWork(final String strategy)
    {
        final long baseSeed = Long.getLong("spindle.fuzz.seed", DEFAULT_SEED);
        final int iterations = Integer.getInteger("spindle.fuzz.iterations", 20);
        for (int i = 0; i < iterations; i++)
        {
            final long seed = baseSeed + i;
            final Run run = new Run(dir.resolve(strategy + "-" + i), seed, strategy, -1);
            run.execute();
        }
    }

    @Test
    void aStaticSuccessorOfASuccessorStillRejoinsForTheRebalanceItsPredecessorOwed()
    {
        // A static member left while a cooperative revocation was owed; its instance id came back and
        // restarted again before rejoining. The coordinator must hand each successor the metadata the
        // assignment was computed from, not the previous successor's join, or the owed partition is
        // never handed over.
        final long seed = 7070848888658L;
        final Run run = new Run(dir.resolve("regression"), seed, "cooperative-sticky", -1);
        run.execute();
    }

    @Test
    void sameSeedGivesTheSameAnswersAcrossASnapshotRestore()
    {
        final long seed = Long.getLong("spindle.fuzz.seed", DEFAULT_SEED);
        final Run straight = new Run(dir.resolve("straight"), seed, "cooperative-sticky", -1);
        straight.execute();
        final Run restored = new Run(dir.resolve("restored"), seed, "cooperative-sticky", CHURN_STEPS / 2);
        restored.execute();
        assertEquals(straight.digest, restored.digest, "seed " + seed + ": answers differ after a snapshot restore");
        assertEquals(straight.responses, restored.responses, "seed " + seed);
    }

    private static final class Run
    {
        private final Path dataDir;
        private final long seed;
        private final String strategy;
        private final int restartAtStep;
        private final Random random;
        private final boolean cooperative;
        private final List<GroupSimulation.SimConsumer> members = new ArrayList<>();
        private final Map<TopicPartition, BitSet> processed = new TreeMap<>();
        private final TreeSet<TopicPartition> allPartitions = new TreeSet<>();
        private final ArrayDeque<String> log = new ArrayDeque<>();
        private final Set<String> closing = new HashSet<>();
        private Map<String, Integer> topicIds;
        private GroupSimulation sim;
        private int step;
        private int nextName = 1;
        private long digest;
        private long responses;
        private int revocations;
        private int losses;

        Run(final Path dataDir, final long seed, final String strategy, final int restartAtStep)
        {
            this.dataDir = dataDir;
            this.seed = seed;
            this.strategy = strategy;
            this.restartAtStep = restartAtStep;
            this.random = new Random(seed);
            this.cooperative = PartitionAssignor.named(strategy).cooperative();
        }

        void execute()
        {
            try (GroupSimulation simulation = new GroupSimulation(dataDir, 1_700_000_000_000L))
            {
                sim = simulation;
                topicIds = Map.of("a", sim.createTopic("a", 3), "b", sim.createTopic("b", 5));
                for (int p = 0; p < 3; p++)
                {
                    allPartitions.add(new TopicPartition("a", p));
                }
                for (int p = 0; p < 5; p++)
                {
                    allPartitions.add(new TopicPartition("b", p));
                }
                for (final TopicPartition tp : allPartitions)
                {
                    processed.put(tp, new BitSet());
                }

                for (step = 0; step < CHURN_STEPS + QUIET_STEPS; step++)
                {
                    if (step == restartAtStep)
                    {
                        note("coordinator restored from a snapshot");
                        sim.restart();
                    }
                    sim.advanceTo(sim.nowMs() + 10 + random.nextInt(60));
                    if (step < CHURN_STEPS)
                    {
                        churn();
                    }
                    else if (step == CHURN_STEPS)
                    {
                        settle();
                    }
                    pollEveryone();
                    checkOwnership();
                }
                checkConverged();
                checkNothingLost();
                digest = sim.digest();
                responses = sim.responses();
            }
        }

        private void churn()
        {
            final int dice = random.nextInt(1000);
            final List<GroupSimulation.SimConsumer> live = live();
            if (dice < 25 && live.size() < 6 || live.isEmpty())
            {
                add(random.nextInt(3) == 0 ? freeInstanceId() : null);
            }
            else if (dice < 37)
            {
                final GroupSimulation.SimConsumer member = pick(live);
                note(member.name + " leaves");
                closing.add(member.name);
                member.membership.close();
                closing.remove(member.name);
                member.crash();
            }
            else if (dice < 47)
            {
                final GroupSimulation.SimConsumer member = pick(live);
                note(member.name + " crashes");
                member.crash();
            }
            else if (dice < 60)
            {
                final GroupSimulation.SimConsumer member = pick(live);
                final long pauseMs = random.nextInt(4_000);
                note(member.name + " stalls for " + pauseMs + " ms");
                member.pausedUntilMs = sim.nowMs() + pauseMs;
            }
            else if (dice < 68)
            {
                for (final GroupSimulation.SimConsumer member : live)
                {
                    final String instanceId = member.membership.metadata().groupInstanceId();
                    if (!instanceId.isEmpty())
                    {
                        note(member.name + " (static " + instanceId + ") restarts");
                        member.crash();
                        add(instanceId);
                        break;
                    }
                }
            }
        }

        private void settle()
        {
            note("churn stops");
            for (final GroupSimulation.SimConsumer member : live())
            {
                member.pausedUntilMs = 0;
            }
            if (live().isEmpty())
            {
                add(null);
            }
        }

        private void add(final String instanceId)
        {
            final String name = "c" + nextName++;
            final Consumer.Context ctx = new Consumer.Context()
                .groupId(GROUP)
                .groupInstanceId(instanceId)
                .sessionTimeoutMs(1_000)
                .heartbeatIntervalMs(200)
                .maxPollIntervalMs(3_000)
                .assignmentStrategy(strategy)
                .enableAutoCommit(random.nextBoolean())
                .autoCommitIntervalMs(500)
                .metadataMaxAgeMs(60_000);
            final List<String> topics = random.nextInt(4) == 0 ? List.of("b") : List.of("a", "b");
            final GroupSimulation.SimConsumer[] self = new GroupSimulation.SimConsumer[1];
            final RebalanceListener listener = new Listener(name, self);
            self[0] = sim.new SimConsumer(name, ctx, topicIds, topics, listener);
            members.add(self[0]);
            note(name + " joins" + (null == instanceId ? "" : " as static " + instanceId) + " for " + topics);
        }

        private final class Listener implements RebalanceListener
        {
            private final String name;
            private final GroupSimulation.SimConsumer[] self;

            Listener(final String name, final GroupSimulation.SimConsumer[] self)
            {
                this.name = name;
                this.self = self;
            }

            public void onPartitionsRevoked(final Collection<TopicPartition> partitions)
            {
                revocations += partitions.size();
                note(name + " revoked " + partitions);
                final GroupMembership membership = self[0].membership;
                if (cooperative && !closing.contains(name) && GroupMembership.State.STABLE != membership.state())
                {
                    failWith("cooperative member " + name + " revoked " + partitions + " in state " +
                        membership.state() + ": it must keep its partitions while rejoining");
                }
                if (!partitions.isEmpty() && !closing.contains(name))
                {
                    // Commit what was processed, as an at-least-once application does.
                    commit(self[0], true);
                }
            }

            public void onPartitionsAssigned(final Collection<TopicPartition> partitions)
            {
                note(name + " assigned " + partitions);
            }

            public void onPartitionsLost(final Collection<TopicPartition> partitions)
            {
                losses += partitions.size();
                note(name + " lost " + partitions);
            }
        }

        private void pollEveryone()
        {
            final List<GroupSimulation.SimConsumer> order = new ArrayList<>(members);
            java.util.Collections.shuffle(order, random);
            for (final GroupSimulation.SimConsumer member : order)
            {
                if (member.crashed || member.pausedUntilMs > sim.nowMs())
                {
                    continue;
                }
                final List<TopicPartition> before = member.membership.owned();
                member.poll();
                final List<TopicPartition> after = member.membership.owned();
                if (cooperative && GroupMembership.State.STABLE == member.membership.state())
                {
                    final GroupSimulation.GroupView view = sim.describe(GROUP);
                    if (null != view && "Stable".equals(view.state()) &&
                        view.generation() == member.membership.generation())
                    {
                        final List<TopicPartition> assignment = view.assignments().get(member.membership.memberId());
                        for (final TopicPartition tp : before)
                        {
                            if (!after.contains(tp) && null != assignment && assignment.contains(tp))
                            {
                                failWith(member.name + " revoked " + tp + " although generation " +
                                    view.generation() + " keeps it there");
                            }
                        }
                    }
                }
                process(member);
            }
        }

        private void process(final GroupSimulation.SimConsumer member)
        {
            if (GroupMembership.State.STABLE != member.membership.state() && !cooperative)
            {
                return;
            }
            member.resolvePositions();
            for (final TopicPartition tp : member.membership.owned())
            {
                final long position = member.positions.get(tp);
                if (position < 0 || position > 1_000_000)
                {
                    failWith(member.name + " has position " + position + " in " + tp);
                }
                final int records = random.nextInt(4);
                processed.get(tp).set((int)position, (int)position + records);
                member.positions.put(tp, position + records);
            }
            final int dice = random.nextInt(10);
            if (dice < 3)
            {
                commit(member, true);
            }
            else if (dice < 4)
            {
                commit(member, false);
            }
        }

        private void commit(final GroupSimulation.SimConsumer member, final boolean sync)
        {
            final Map<TopicPartition, OffsetAndMetadata> offsets = new TreeMap<>();
            for (final TopicPartition tp : member.membership.owned())
            {
                final Long position = member.positions.get(tp);
                if (null != position && position >= 0)
                {
                    offsets.put(tp, new OffsetAndMetadata(position, member.name));
                }
            }
            if (sync)
            {
                try
                {
                    member.membership.commitSync(offsets);
                }
                catch (final SpindleException ex)
                {
                    note(member.name + " commit failed: " + ex.errorCode());
                }
            }
            else
            {
                member.membership.commitAsync(offsets, null);
            }
        }

        private void checkOwnership()
        {
            final GroupSimulation.GroupView view = sim.describe(GROUP);
            if (null == view)
            {
                return;
            }
            final Map<TopicPartition, String> owner = new HashMap<>();
            for (final GroupSimulation.SimConsumer member : members)
            {
                if (member.crashed || !view.assignments().containsKey(member.membership.memberId()))
                {
                    continue;
                }
                for (final TopicPartition tp : member.membership.owned())
                {
                    final String previous = owner.put(tp, member.name);
                    if (null != previous)
                    {
                        failWith(tp + " is owned by both " + previous + " and " + member.name);
                    }
                }
            }
            if ("Stable".equals(view.state()))
            {
                final Map<TopicPartition, String> assigned = new HashMap<>();
                for (final Map.Entry<String, List<TopicPartition>> entry : view.assignments().entrySet())
                {
                    for (final TopicPartition tp : entry.getValue())
                    {
                        final String previous = assigned.put(tp, entry.getKey());
                        if (null != previous)
                        {
                            failWith("generation " + view.generation() + " assigns " + tp + " to both " + previous +
                                " and " + entry.getKey());
                        }
                    }
                }
            }
        }

        private void checkConverged()
        {
            final GroupSimulation.GroupView view = sim.describe(GROUP);
            if (null == view || !"Stable".equals(view.state()))
            {
                failWith("group did not settle: " + view);
            }
            final TreeSet<TopicPartition> owned = new TreeSet<>();
            final Set<String> subscribed = new TreeSet<>();
            for (final GroupSimulation.SimConsumer member : live())
            {
                final List<TopicPartition> assignment = view.assignments().get(member.membership.memberId());
                if (!member.membership.owned().equals(assignment))
                {
                    failWith(member.name + " owns " + member.membership.owned() + " but is assigned " + assignment);
                }
                owned.addAll(member.membership.owned());
                subscribed.addAll(member.membership.subscription());
            }
            final TreeSet<TopicPartition> expected = new TreeSet<>();
            for (final TopicPartition tp : allPartitions)
            {
                if (subscribed.contains(tp.topic()))
                {
                    expected.add(tp);
                }
            }
            if (!owned.equals(expected))
            {
                failWith("once stable the members own " + owned + ", not every partition " + expected);
            }
        }

        private void checkNothingLost()
        {
            final GroupSimulation.SimConsumer member = live().get(0);
            final Map<TopicPartition, OffsetAndMetadata> committed = member.membership.committed(allPartitions);
            for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry : committed.entrySet())
            {
                final BitSet done = processed.get(entry.getKey());
                final int firstGap = done.nextClearBit(0);
                if (firstGap < entry.getValue().offset())
                {
                    failWith(entry.getKey() + " committed at " + entry.getValue().offset() + " but offset " + firstGap +
                        " was never processed");
                }
            }
        }

        private List<GroupSimulation.SimConsumer> live()
        {
            final List<GroupSimulation.SimConsumer> live = new ArrayList<>();
            for (final GroupSimulation.SimConsumer member : members)
            {
                if (!member.crashed)
                {
                    live.add(member);
                }
            }
            return live;
        }

        private String freeInstanceId()
        {
            final Set<String> used = new HashSet<>();
            for (final GroupSimulation.SimConsumer member : live())
            {
                used.add(member.membership.metadata().groupInstanceId());
            }
            for (int i = 0; ; i++)
            {
                if (!used.contains("static-" + i))
                {
                    return "static-" + i;
                }
            }
        }

        private GroupSimulation.SimConsumer pick(final List<GroupSimulation.SimConsumer> candidates)
        {
            return candidates.get(random.nextInt(candidates.size()));
        }

        private void note(final String event)
        {
            if (Boolean.getBoolean("spindle.sim.trace"))
            {
                System.out.println("step " + step + " t+" + (sim.nowMs() - 1_700_000_000_000L) + ": " + event +
                    "   | " + sim.describe(GROUP));
            }
            log.add("step " + step + " t+" + (sim.nowMs() - 1_700_000_000_000L) + ": " + event);
            if (log.size() > 60)
            {
                log.poll();
            }
        }

        private void failWith(final String message)
        {
            final StringBuilder dump = new StringBuilder();
            dump.append(strategy).append(" seed ").append(seed).append(" step ").append(step).append(": ")
                .append(message).append("\ncoordinator: ").append(sim.describe(GROUP)).append('\n')
                .append(sim.timers()).append("\nmembers:\n");
            for (final GroupSimulation.SimConsumer member : members)
            {
                dump.append("  ").append(member).append('\n');
            }
            dump.append("revocations ").append(revocations).append(", losses ").append(losses)
                .append("\nrecent events:\n");
            for (final String event : log)
            {
                dump.append("  ").append(event).append('\n');
            }
            fail(dump.toString());
        }
    }
}
