package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.BooleanSupplier;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.GroupDescription;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.RebalanceListener;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Consumer groups against a real broker: several real consumers in one group on one test thread (each
 * consumer belongs to the thread that polls it), short session timeouts, bounded waits that report what
 * the group was doing when they give up.
 */
@Timeout(120)
class ConsumerGroupEndToEndTest
{
    private static final int PARTITIONS = 6;

    @TempDir
    Path dir;

    /**
     * One consumer of a group, committing after processing, as an at-least-once application does.
     */
    private final class Member implements RebalanceListener
    {
        final String name;
        final Consumer consumer;
        final Set<String> processed;
        final List<String> events = new ArrayList<>();
        int delivered;
        boolean crashed;
        boolean closed;

        Member(final TestBroker broker, final String name, final String group, final String instanceId,
            final Set<String> processed, final int sessionTimeoutMs)
        {
            this.name = name;
            this.processed = processed;
            final Consumer.Context ctx = broker.ipc(new Consumer.Context()
                .groupId(group)
                .groupInstanceId(instanceId)
                .sessionTimeoutMs(sessionTimeoutMs)
                .heartbeatIntervalMs(200)
                .maxPollIntervalMs(20_000)
                .enableAutoCommit(false)
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST));
            ctx.clientId(name);
            consumer = Consumer.connect(ctx);
            consumer.subscribe(List.of("orders"), this);
        }

        int poll()
        {
            if (crashed || closed)
            {
                return 0;
            }
            final int received = consumer.poll((record) -> processed.add(record.partition() + ":" + record.offset() +
                "=" + record.valueAsString()), 100);
            delivered += received;
            if (received > 0)
            {
                commitQuietly();
            }
            return received;
        }

        void commitQuietly()
        {
            try
            {
                consumer.commitSync();
            }
            catch (final SpindleException ex)
            {
                events.add("commit failed " + ex.errorCode());
            }
        }

        public void onPartitionsRevoked(final Collection<TopicPartition> partitions)
        {
            events.add("revoked " + partitions);
            commitQuietly();
        }

        public void onPartitionsAssigned(final Collection<TopicPartition> partitions)
        {
            events.add("assigned " + partitions);
        }

        public void onPartitionsLost(final Collection<TopicPartition> partitions)
        {
            events.add("lost " + partitions);
        }

        void close()
        {
            if (!closed)
            {
                closed = true;
                consumer.close();
            }
        }

        public String toString()
        {
            return name + consumer.groupMetadata() + " owns " + consumer.assignment() + (crashed ? " (crashed)" : "") +
                (closed ? " (closed)" : "") + " events " + events;
        }
    }

    @Test
    void severalConsumersShareATopicAndLoseNothingWhileMembersComeAndGo()
    {
        final Set<String> processed = new ConcurrentSkipListSet<>();
        final Set<String> produced = new TreeSet<>();
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext()));
            Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
        {
            admin.createTopic("orders", PARTITIONS, Map.of());
            final List<Member> members = new ArrayList<>();
            try
            {
                for (int i = 1; i <= 3; i++)
                {
                    members.add(new Member(broker, "m" + i, "g", null, processed, 2_000));
                }
                produce(producer, produced, 0, 1_000);
                awaitStable(admin, "g", members, 3);
                pollUntil(members, admin, "g", () -> processed.size() >= 600, "first records consumed");

                members.add(new Member(broker, "m4", "g", null, processed, 2_000));
                produce(producer, produced, 1_000, 1_000);
                awaitStable(admin, "g", members, 4);

                members.get(1).close();
                produce(producer, produced, 2_000, 500);
                awaitStable(admin, "g", members, 3);

                members.get(2).crashed = true;
                produce(producer, produced, 2_500, 500);
                awaitStable(admin, "g", members, 2);

                pollUntil(members, admin, "g", () -> processed.size() >= produced.size() &&
                    committedTotal(admin, "g") == produced.size(), "every record processed and committed");
            }
            finally
            {
                for (final Member member : members)
                {
                    member.close();
                }
            }

            final Set<String> missing = new TreeSet<>(produced);
            missing.removeAll(processed);
            assertTrue(missing.isEmpty(), "never processed: " + missing);
            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listGroupOffsets("g");
            for (int p = 0; p < PARTITIONS; p++)
            {
                assertEquals(500, committed.get(new TopicPartition("orders", p)).offset(), committed.toString());
            }
        }
    }

    @Test
    void aCrashedMembersPartitionsMoveAfterTheSessionTimeout()
    {
        final Set<String> processed = new ConcurrentSkipListSet<>();
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic("orders", PARTITIONS, Map.of());
            final List<Member> members = new ArrayList<>();
            try
            {
                members.add(new Member(broker, "a", "crash", null, processed, 1_500));
                members.add(new Member(broker, "b", "crash", null, processed, 1_500));
                awaitStable(admin, "crash", members, 2);
                final int generation = admin.describeGroup("crash").generationId();

                members.get(0).crashed = true;
                final long crashedAtNs = System.nanoTime();
                pollUntil(members, admin, "crash", () -> members.get(1).consumer.assignment().size() == PARTITIONS,
                    "b owns every partition");
                final long movedAfterMs = (System.nanoTime() - crashedAtNs) / 1_000_000;
                assertTrue(movedAfterMs >= 1_000, "partitions moved after " + movedAfterMs +
                    " ms, before the 1500 ms session timeout could have passed");
                assertTrue(movedAfterMs < 10_000, "partitions moved only after " + movedAfterMs + " ms");
                final GroupDescription group = admin.describeGroup("crash");
                assertEquals(1, group.members().size());
                assertTrue(group.generationId() > generation);
            }
            finally
            {
                for (final Member member : members)
                {
                    member.close();
                }
            }
        }
    }

    @Test
    void aStaticMemberRestartingWithinItsSessionTimeoutKeepsItsPartitionsAndTriggersNoRebalance()
    {
        final Set<String> processed = new ConcurrentSkipListSet<>();
        final Set<String> produced = new TreeSet<>();
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext()));
            Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
        {
            admin.createTopic("orders", PARTITIONS, Map.of());
            final List<Member> members = new ArrayList<>();
            try
            {
                members.add(new Member(broker, "a", "static", "instance-a", processed, 5_000));
                members.add(new Member(broker, "b", "static", "instance-b", processed, 5_000));
                awaitStable(admin, "static", members, 2);
                produce(producer, produced, 0, 600);
                pollUntil(members, admin, "static", () -> processed.size() >= 600, "everything consumed");
                final GroupDescription before = admin.describeGroup("static");
                final List<TopicPartition> ownedByA = members.get(0).consumer.assignment();
                members.get(1).events.clear();
                firstA = members.get(0);

                members.get(0).close();
                produce(producer, produced, 600, 300);
                final Member restarted = new Member(broker, "a2", "static", "instance-a", processed, 5_000);
                members.set(0, restarted);
                pollUntil(members, admin, "static", () -> processed.size() >= 900 &&
                    restarted.consumer.assignment().size() == ownedByA.size(), "the restarted member consumes");

                assertEquals(ownedByA, restarted.consumer.assignment(), "it got its partitions back");
                final GroupDescription after = admin.describeGroup("static");
                assertEquals(before.generationId(), after.generationId(), "no rebalance: " + before + " / " + after);
                assertEquals(List.of(), members.get(1).events, "the other member saw nothing");
                assertEquals(900, processed.size());
                assertEquals(900, members.get(1).delivered + ownedByADeliveries(members, restarted),
                    "the restarted member resumed from the committed offsets: nothing read twice");
            }
            finally
            {
                for (final Member member : members)
                {
                    member.close();
                }
            }
        }
    }

    @Test
    void aConsumerThatStopsPollingLeavesTheGroupAndReportsItsPartitionsLost() throws InterruptedException
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic("orders", 2, Map.of());
            final List<String> events = new ArrayList<>();
            final Consumer.Context ctx = broker.ipc(new Consumer.Context().groupId("slow").sessionTimeoutMs(10_000)
                .heartbeatIntervalMs(200).maxPollIntervalMs(1_000).enableAutoCommit(false));
            try (Consumer consumer = Consumer.connect(ctx))
            {
                consumer.subscribe(List.of("orders"), new RebalanceListener()
                {
                    public void onPartitionsRevoked(final Collection<TopicPartition> partitions)
                    {
                        events.add("revoked " + partitions);
                    }

                    public void onPartitionsAssigned(final Collection<TopicPartition> partitions)
                    {
                        events.add("assigned " + partitions);
                    }

                    public void onPartitionsLost(final Collection<TopicPartition> partitions)
                    {
                        events.add("lost " + partitions);
                    }
                });
                pollConsumerUntil(consumer, () -> consumer.assignment().size() == 2, events);
                final String memberId = consumer.groupMetadata().memberId();

                Thread.sleep(1_500);
                pollConsumerUntil(consumer, () -> events.size() >= 3 && consumer.assignment().size() == 2, events);
                assertEquals("lost [orders-0, orders-1]", events.get(1), events.toString());
                assertEquals("assigned [orders-0, orders-1]", events.get(2), events.toString());
                assertTrue(!memberId.equals(consumer.groupMetadata().memberId()),
                    "it left and joined again as a new member: " + memberId + " then " + consumer.groupMetadata());
            }
        }
    }

    @Test
    void committedOffsetsDriveWhereConsumersStartSurviveARestartAndGoWithTheirTopic()
    {
        final Path data = dir.resolve("data");
        final TopicPartition p0 = new TopicPartition("orders", 0);
        final TopicPartition p1 = new TopicPartition("orders", 1);
        try (TestBroker broker = TestBroker.start(data))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext()));
                Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1))))
            {
                admin.createTopic("orders", 2, Map.of());
                admin.createTopic("doomed", 1, Map.of());
                produce(producer, new TreeSet<>(), 0, 40, 2);
            }

            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context().groupId("manual")
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST).enableAutoCommit(false))))
            {
                assertNull(consumer.committed(p0), "nothing committed yet");
                consumer.assign(List.of(p0, p1));
                assertEquals(0, consumer.position(p0), "auto.offset.reset applies when nothing is committed");
                consumer.commitSync(Map.of(p0, new OffsetAndMetadata(5, "checkpoint-5")));
                final OffsetAndMetadata committed = consumer.committed(p0);
                assertEquals(5, committed.offset());
                assertEquals("checkpoint-5", committed.metadata());

                final SpindleException[] outcome = {null};
                final boolean[] called = {false};
                consumer.commitAsync(Map.of(p1, new OffsetAndMetadata(9), new TopicPartition("doomed", 0),
                    new OffsetAndMetadata(1)), (offsets, error) ->
                    {
                        called[0] = true;
                        outcome[0] = error;
                    });
                final long deadlineNs = System.nanoTime() + 10_000_000_000L;
                while (!called[0] && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> {}, 1, 10);
                }
                assertTrue(called[0], "the async commit's callback ran from poll");
                assertNull(outcome[0]);
                assertThrows(IllegalStateException.class, () -> consumer.subscribe(List.of("orders")));
            }

            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context().groupId("manual")
                .autoOffsetReset(Consumer.OffsetReset.LATEST))))
            {
                consumer.assign(List.of(p0, p1));
                assertEquals(5, consumer.position(p0), "a consumer with a group starts at the committed offset");
                assertEquals(9, consumer.position(p1));
            }

            try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context().groupId("auto")
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST).enableAutoCommit(true).autoCommitIntervalMs(100)
                .sessionTimeoutMs(3_000).heartbeatIntervalMs(200))))
            {
                consumer.subscribe(List.of("orders"));
                final int[] seen = {0};
                final long deadlineNs = System.nanoTime() + 20_000_000_000L;
                while (committedOf(consumer, p0) + committedOf(consumer, p1) < 40 && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> seen[0]++, 100, 50);
                }
                assertEquals(40, seen[0]);
                assertEquals(20, committedOf(consumer, p0), "auto-commit caught up with what poll handed out");
            }
        }

        try (TestBroker broker = TestBroker.start(data);
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            final Map<TopicPartition, OffsetAndMetadata> manual = admin.listGroupOffsets("manual");
            assertEquals(new OffsetAndMetadata(5, "checkpoint-5"), manual.get(p0),
                "committed offsets survive a restart");
            assertEquals(9, manual.get(p1).offset());
            assertNotNull(manual.get(new TopicPartition("doomed", 0)));
            assertEquals(20, admin.listGroupOffsets("auto").get(p1).offset());

            admin.deleteTopic("doomed");
            assertNull(admin.listGroupOffsets("manual").get(new TopicPartition("doomed", 0)),
                "a deleted topic's offsets are removed");
            assertEquals(ErrorCode.GROUP_ID_NOT_FOUND,
                assertThrows(SpindleException.class, () -> admin.deleteGroup("nobody")).errorCode());
            admin.deleteGroup("manual");
            assertEquals(List.of("auto"), groupIds(admin));
        }
    }

    private Member firstA;

    private int ownedByADeliveries(final List<Member> members, final Member restarted)
    {
        return firstA.delivered + restarted.delivered;
    }

    private static long committedOf(final Consumer consumer, final TopicPartition tp)
    {
        final OffsetAndMetadata committed = consumer.committed(tp);
        return null == committed ? 0 : committed.offset();
    }

    private static List<String> groupIds(final Admin admin)
    {
        final List<String> ids = new ArrayList<>();
        admin.listGroups().forEach((group) -> ids.add(group.groupId()));
        return ids;
    }

    private static void produce(final Producer producer, final Set<String> produced, final int from, final int count)
    {
        produce(producer, produced, from, count, PARTITIONS);
    }

    private static void produce(
        final Producer producer, final Set<String> produced, final int from, final int count, final int partitions)
    {
        for (int i = from; i < from + count; i++)
        {
            final int partition = i % partitions;
            final String value = "v" + i;
            final long offset = producer.sendSync("orders", partition, null, value.getBytes(StandardCharsets.UTF_8));
            produced.add(partition + ":" + offset + "=" + value);
        }
    }

    private static long committedTotal(final Admin admin, final String group)
    {
        long total = 0;
        for (final OffsetAndMetadata offset : admin.listGroupOffsets(group).values())
        {
            total += offset.offset();
        }
        return total;
    }

    /**
     * Poll every live member until the group is Stable with this many members, each owning exactly its
     * assignment and every partition owned once.
     */
    private static void awaitStable(final Admin admin, final String group, final List<Member> members, final int count)
    {
        pollUntil(members, admin, group, () ->
        {
            final GroupDescription description;
            try
            {
                description = admin.describeGroup(group);
            }
            catch (final SpindleException ex)
            {
                assertEquals(ErrorCode.GROUP_ID_NOT_FOUND, ex.errorCode(), ex.getMessage());
                return false;
            }
            if (!"Stable".equals(description.state()) || description.members().size() != count)
            {
                return false;
            }
            final Map<String, List<TopicPartition>> assigned = new TreeMap<>();
            int total = 0;
            for (final GroupDescription.MemberDescription member : description.members())
            {
                assigned.put(member.memberId(), member.assignment());
                total += member.assignment().size();
            }
            for (final Member member : members)
            {
                if (!member.crashed && !member.closed &&
                    !member.consumer.assignment().equals(assigned.get(member.consumer.groupMetadata().memberId())))
                {
                    return false;
                }
            }
            return total == PARTITIONS;
        }, "group '" + group + "' stable with " + count + " members owning every partition");
    }

    /**
     * Poll every live member until a condition holds, checking after each round that no partition is
     * owned by two of them; on timeout, fail with what every member and the coordinator were doing.
     */
    private static void pollUntil(
        final List<Member> members, final Admin admin, final String group, final BooleanSupplier done,
        final String what)
    {
        final long deadlineNs = System.nanoTime() + 30_000_000_000L;
        long nextCheckNs = 0;
        while (true)
        {
            int work = 0;
            for (final Member member : members)
            {
                work += member.poll();
            }
            final Map<TopicPartition, String> owners = new HashMap<>();
            for (final Member member : members)
            {
                if (member.crashed || member.closed)
                {
                    continue;
                }
                for (final TopicPartition tp : member.consumer.assignment())
                {
                    final String other = owners.put(tp, member.name);
                    if (null != other)
                    {
                        fail(tp + " owned by both " + other + " and " + member.name + "\n" + dump(members, admin,
                            group));
                    }
                }
            }
            final long nowNs = System.nanoTime();
            if (nowNs - nextCheckNs >= 0)
            {
                nextCheckNs = nowNs + 50_000_000L;
                if (done.getAsBoolean())
                {
                    return;
                }
            }
            if (nowNs - deadlineNs > 0)
            {
                fail("timed out waiting for " + what + "\n" + dump(members, admin, group));
            }
            if (0 == work)
            {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        }
    }

    private static void pollConsumerUntil(final Consumer consumer, final BooleanSupplier done,
        final List<String> events)
    {
        final long deadlineNs = System.nanoTime() + 20_000_000_000L;
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out: " + consumer.groupMetadata() + " owns " + consumer.assignment() + " events " + events);
            }
            consumer.poll((record) -> {}, 10, 20);
        }
    }

    private static String dump(final List<Member> members, final Admin admin, final String group)
    {
        final StringBuilder dump = new StringBuilder();
        try
        {
            dump.append("coordinator: ").append(admin.describeGroup(group)).append('\n');
            dump.append("committed: ").append(admin.listGroupOffsets(group)).append('\n');
        }
        catch (final SpindleException ex)
        {
            dump.append("coordinator: ").append(ex.getMessage()).append('\n');
        }
        for (final Member member : members)
        {
            dump.append("  ").append(member).append('\n');
        }
        return dump.toString();
    }
}
