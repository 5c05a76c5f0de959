package io.spindle.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.spindle.broker.Topic;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.ClusterDescription;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicDescription;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.HighWaterMarkMonitor;
import io.spindle.cluster.check.History;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spindle's own clients against three members in this JVM: a client given any member discovers the cluster, state
 * changes go through the cluster's ingress, fetches go to a member's fetch server, and a producer carries on across a
 * leader failover with every record acknowledged once, at the offset it was acknowledged at, on every member.
 */
class ClusterClientTest
{
    private static final String TOPIC = "orders";

    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void tearDown()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    @Test
    @Timeout(120)
    void aProducerCarriesOnAcrossAFailoverAndEveryAcknowledgedRecordIsOnEveryMemberOnce() throws InterruptedException
    {
        cluster = new TestCluster(dir, 3);
        final int leader = cluster.start();
        final int follower = (leader + 1) % 3;
        final int epochBefore;

        // Bootstrap with a follower alone: its connect response names the members, requests go to the leader.
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.endpoint(follower))))
        {
            admin.createTopic(TOPIC, 2, Map.of());
            final TopicDescription description = admin.describeTopic(TOPIC);
            assertEquals(2, description.partitions().size());
            assertEquals(leader, description.partitions().get(0).leader());
            final ClusterDescription described = admin.describeCluster();
            assertEquals(leader, described.leaderId());
            assertEquals(List.of(new ClusterDescription.Member(0, cluster.endpoint(0)),
                new ClusterDescription.Member(1, cluster.endpoint(1)),
                new ClusterDescription.Member(2, cluster.endpoint(2))), described.members());
            epochBefore = described.leaderEpoch();
        }

        final HighWaterMarkMonitor hwm = new HighWaterMarkMonitor()
            .startPolling((monitor) -> sampleHighWaterMarks(cluster, monitor), 5);
        final List<Ack> acked = new ArrayList<>();
        final List<String> failed = new ArrayList<>();
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024),
            cluster.bootstrap())))
        {
            send(producer, 0, 300, acked, failed);
            // The leader dies while requests are in flight: those it took but never answered are sent again to the
            // new leader, and the ones it had committed are answered from the session's kept responses.
            final Thread killer = new Thread(() -> cluster.stop(leader), "kill-leader");
            killer.start();
            send(producer, 300, 800, acked, failed);
            producer.flush();
            killer.join(TestCluster.AWAIT_NS / 1_000_000L);
        }
        assertEquals(List.of(), failed, "records that failed across the failover");
        assertEquals(800, acked.size());
        final int newLeader = cluster.awaitLeader(leader);
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.endpoint(newLeader))))
        {
            final ClusterDescription described = admin.describeCluster();
            assertEquals(newLeader, described.leaderId());
            assertTrue(described.leaderEpoch() > epochBefore, "leader epoch " + described.leaderEpoch() +
                " after the failover, " + epochBefore + " before");
        }

        // A consumer reading from a member that was a follower all along sees every record once, in order.
        final int replica = (newLeader + 1) % 3 == leader ? (newLeader + 2) % 3 : (newLeader + 1) % 3;
        final List<Map<Long, String>> consumed = consumeAll(replica, acked);
        for (final Ack ack : acked)
        {
            assertEquals(ack.value, consumed.get(ack.partition).get(ack.offset),
                "partition " + ack.partition + " offset " + ack.offset + " from member " + replica);
        }
        assertEquals(acked.size(), consumed.get(0).size() + consumed.get(1).size(),
            "records in the log beyond those acked");

        // The stopped leader comes back and catches up; then the checker reads every member's logs.
        cluster.launch(leader);
        for (int p = 0; p < 2; p++)
        {
            final int partition = p;
            final long end = acked.stream().filter((a) -> a.partition == partition)
                .mapToLong((a) -> a.offset + 1).max().orElse(0);
            for (int m = 0; m < 3; m++)
            {
                final ClusterNode node = cluster.node(m);
                cluster.await(() -> node.service().topicTable().topic(1) != null &&
                    node.service().topicTable().topic(1).partition(partition).highWaterMark() >= end,
                    "member " + m + " to apply partition " + partition + " up to " + end);
            }
        }
        hwm.close();
        cluster.close();
        final History history = new History();
        for (final Ack ack : acked)
        {
            history.acknowledged("producer", Long.parseLong(ack.value.substring(2)), TOPIC, ack.partition, ack.offset,
                ack.value.getBytes(StandardCharsets.UTF_8));
        }
        final ReplicationChecker checker = new ReplicationChecker(history).highWaterMarks(hwm);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, cluster.memberDir(m));
        }
        final CheckResult result = checker.check();
        assertTrue(result.isValid(), result.toString());
        assertEquals(800, result.found(), result.summary());
        assertTrue(hwm.samples() > 0, hwm.toString());
    }

    @Test
    @Timeout(120)
    void aClientConnectingAsTheLeaderDiesConnectsToTheNextLeaderWithinItsTimeout()
    {
        cluster = new TestCluster(dir, 3);
        final int leader = cluster.start();
        final int follower = (leader + 1) % 3;
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.endpoint(follower))))
        {
            admin.createTopic(TOPIC, 1, Map.of());
        }

        // For a leader heartbeat timeout after the kill the followers still name the dead leader, and redirect a
        // connect to it; the producer's connect must go on to the leader elected next, within its connect timeout
        // (20 s here).
        cluster.stop(leader);
        final List<Ack> acked = new ArrayList<>();
        final List<String> failed = new ArrayList<>();
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024),
            cluster.endpoint(follower))))
        {
            send(producer, 0, 1, acked, failed);
            producer.flush();
        }
        assertEquals(List.of(), failed);
        assertEquals(List.of(new Ack(0, 0, "r-0")), acked);
    }

    @Test
    @Timeout(120)
    void aConsumerGroupKeepsItsMembersAndCommittedOffsetsAcrossAFailover()
    {
        cluster = new TestCluster(dir, 3);
        final int leader = cluster.start();
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.createTopic(TOPIC, 2, Map.of());
        }
        final List<Ack> acked = new ArrayList<>();
        final List<String> failed = new ArrayList<>();
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024),
            cluster.bootstrap())))
        {
            send(producer, 0, 200, acked, failed);
            producer.flush();
        }

        final Consumer.Context ctx = client(new Consumer.Context(), cluster.bootstrap())
            .groupId("readers").autoOffsetReset(Consumer.OffsetReset.EARLIEST).enableAutoCommit(false);
        final int[] read = { 0 };
        try (Consumer consumer = Consumer.connect(ctx))
        {
            consumer.subscribe(List.of(TOPIC));
            cluster.await(() ->
            {
                read[0] += consumer.poll((record) -> {}, 50, 100);
                return read[0] >= 100;
            }, "the group member to read 100 records");
            consumer.commitSync();

            // The group's state (its member, generation and committed offsets) lives in the replicated state: the
            // member goes on heartbeating through the new leader and keeps its partitions.
            cluster.stop(leader);
            cluster.awaitLeader(leader);
            cluster.await(() ->
            {
                read[0] += consumer.poll((record) -> {}, 50, 100);
                return read[0] >= 200;
            }, "the group member to read the rest through the failover");
            assertEquals(2, consumer.assignment().size(), "the member lost partitions across the failover");
            consumer.commitSync();
            final Map<TopicPartition, io.spindle.client.OffsetAndMetadata> committed = consumer.committed(
                List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)));
            assertEquals(200, committed.values().stream().mapToLong(io.spindle.client.OffsetAndMetadata::offset).sum(),
                committed.toString());
        }
        assertEquals(200, read[0]);

        // A snapshot, then every member restarted: the group's committed offsets come back from the snapshot.
        final int newLeader = cluster.awaitLeader(leader);
        SnapshotTool.takeSnapshot(cluster.memberDir(newLeader).resolve("cluster").toFile(),
            cluster.node(newLeader).aeronDirectoryName(), TestCluster.AWAIT_NS);
        cluster.launch(leader);
        for (int m = 0; m < 3; m++)
        {
            cluster.stop(m);
        }
        cluster.start();
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024),
            cluster.bootstrap())))
        {
            send(producer, 200, 220, acked, failed);
            producer.flush();
        }
        assertEquals(List.of(), failed);
        final int[] resumed = { 0 };
        try (Consumer consumer = Consumer.connect(ctx))
        {
            consumer.subscribe(List.of(TOPIC));
            cluster.await(() ->
            {
                consumer.poll((record) ->
                {
                    assertTrue(record.offset() >= 100, "read again from offset " + record.offset());
                    resumed[0]++;
                }, 50, 100);
                return resumed[0] >= 20;
            }, "a new group member to resume from the committed offsets after a full restart");
            consumer.poll((record) -> resumed[0]++, 50, 500);
        }
        assertEquals(20, resumed[0], "records read after the restart (only the 20 new ones)");
    }

    /**
     * The schedule of aeron-io/aeron PR #2147 (a reported, unconfirmed lost commit): a write reaches only the old
     * leader, the leader dies, a new leader takes writes, the stale member comes back, and then the new leader dies.
     * Every acknowledged record must survive on every member; the write that reached only the old leader is in
     * doubt (its producer never heard back) and may be there or not, but never twice.
     */
    @Test
    @Timeout(180)
    void aWriteThatReachedOnlyTheOldLeaderNeverCostsAnAcknowledgedRecord()
    {
        cluster = new TestCluster(dir, 3);
        final int oldLeader = cluster.start();
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.createTopic(TOPIC, 2, Map.of());
        }
        final History history = new History();
        produceInto(history, "before", 0, 40, 20_000);

        // Only the leader is left: what it takes now it can never commit.
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024)
            .deliveryTimeoutMs(2_000), cluster.endpoint(oldLeader))))
        {
            // One acknowledged record first, so that the producer holds the topic's metadata.
            final List<Ack> first = new ArrayList<>();
            send(producer, 998, 1_000, first, new ArrayList<>());
            producer.flush();
            for (final Ack ack : first)
            {
                history.acknowledged("stranded", Long.parseLong(ack.value.substring(2)), TOPIC, ack.partition,
                    ack.offset, ack.value.getBytes(StandardCharsets.UTF_8));
            }
            for (int m = 0; m < 3; m++)
            {
                if (m != oldLeader)
                {
                    cluster.stop(m);
                }
            }
            final List<Ack> acked = new ArrayList<>();
            final List<String> failed = new ArrayList<>();
            send(producer, 1_000, 1_010, acked, failed);
            producer.flush();
            assertEquals(List.of(), acked, "acknowledged without a quorum");
            for (int i = 1_000; i < 1_010; i++)
            {
                history.inDoubt("stranded", i, TOPIC, i % 2, ("r-" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        cluster.stop(oldLeader);

        for (int m = 0; m < 3; m++)
        {
            if (m != oldLeader)
            {
                cluster.launch(m);
            }
        }
        final int newLeader = cluster.awaitLeader(oldLeader);
        produceInto(history, "after", 2_000, 2_040, 30_000);

        cluster.launch(oldLeader);
        produceInto(history, "rejoined", 3_000, 3_040, 30_000);
        cluster.stop(newLeader);
        cluster.awaitLeader(newLeader);
        produceInto(history, "last", 4_000, 4_040, 30_000);
        cluster.launch(newLeader);

        final long total = history.attempts().stream()
            .filter((a) -> a.outcome() == History.Outcome.ACKNOWLEDGED).count();
        assertEquals(162, total, "acknowledged records");
        cluster.await(() ->
        {
            for (int m = 0; m < 3; m++)
            {
                final Topic topic = cluster.node(m).service().topicTable().topic(1);
                final Topic reference = cluster.node(newLeader).service().topicTable().topic(1);
                if (null == topic || null == reference ||
                    topic.partition(0).highWaterMark() < 81 || topic.partition(1).highWaterMark() < 81 ||
                    topic.partition(0).highWaterMark() != reference.partition(0).highWaterMark() ||
                    topic.partition(1).highWaterMark() != reference.partition(1).highWaterMark())
                {
                    return false;
                }
            }
            return true;
        }, "every member to apply every acknowledged record");
        cluster.close();
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, cluster.memberDir(m));
        }
        final CheckResult result = checker.check();
        assertTrue(result.isValid(), result.toString());
        assertEquals(162, result.found(), result.summary());
    }

    private void produceInto(
        final History history, final String producerName, final int from, final int to, final long timeoutMs)
    {
        final List<Ack> acked = new ArrayList<>();
        final List<String> failed = new ArrayList<>();
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024)
            .deliveryTimeoutMs(timeoutMs), cluster.bootstrap())))
        {
            send(producer, from, to, acked, failed);
            producer.flush();
        }
        assertEquals(List.of(), failed, producerName + ": failed sends");
        for (final Ack ack : acked)
        {
            history.acknowledged(producerName, Long.parseLong(ack.value.substring(2)), TOPIC, ack.partition, ack.offset,
                ack.value.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Samples every running member's high-water marks, which must never go back.
     */
    private static void sampleHighWaterMarks(final TestCluster cluster, final HighWaterMarkMonitor monitor)
    {
        for (int m = 0; m < cluster.size(); m++)
        {
            // What clients can see: a member serves fetches once it has joined (after replaying its own log).
            final ClusterNode node = cluster.node(m);
            final Topic topic = null == node || !node.isServing() ? null : node.service().topicTable().topic(1);
            if (null != topic)
            {
                for (int p = 0; p < topic.partitionCount(); p++)
                {
                    monitor.observe(m, TOPIC, p, topic.partition(p).highWaterMark());
                }
            }
        }
    }

    private static void send(
        final Producer producer, final int from, final int to, final List<Ack> acked, final List<String> failed)
    {
        for (int i = from; i < to; i++)
        {
            final String value = "r-" + i;
            final int partition = i % 2;
            while (Producer.BACK_PRESSURED == producer.send(TOPIC, partition, null,
                value.getBytes(StandardCharsets.UTF_8), (p, offset, code) ->
                {
                    if (ErrorCode.NONE == code)
                    {
                        acked.add(new Ack(p, offset, value));
                    }
                    else
                    {
                        failed.add(value + ": " + code);
                    }
                }))
            {
                producer.poll();
                TestCluster.sleep(1);
            }
        }
    }

    private List<Map<Long, String>> consumeAll(final int replica, final List<Ack> acked)
    {
        final List<Map<Long, String>> consumed = List.of(new HashMap<>(), new HashMap<>());
        final Consumer.Context ctx = client(new Consumer.Context(), cluster.endpoint(replica));
        ctx.autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        ctx.replica(replica);
        try (Consumer consumer = Consumer.connect(ctx))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)));
            final List<String> duplicates = new ArrayList<>();
            cluster.await(() ->
            {
                consumer.poll((record) ->
                {
                    final String previous = consumed.get(record.partition()).put(record.offset(),
                        record.valueAsString());
                    if (null != previous)
                    {
                        duplicates.add(record.partition() + "@" + record.offset());
                    }
                }, 1_000, 100);
                return consumed.get(0).size() + consumed.get(1).size() >= acked.size();
            }, "the consumer to read every acknowledged record from member " + replica);
            assertNull(duplicates.isEmpty() ? null : duplicates, "offsets delivered twice");
        }
        return consumed;
    }

    private <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        assertTrue(ctx.requestTimeoutMs() > 0);
        return ctx;
    }

    private record Ack(int partition, long offset, String value)
    {
    }
}
