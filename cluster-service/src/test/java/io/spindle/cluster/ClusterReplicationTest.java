package io.spindle.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import io.aeron.Aeron;
import io.aeron.cluster.ClusterControl;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.service.Cluster;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.Header;
import io.spindle.broker.Topic;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.protocol.AlterTopicRequestEncoder;
import io.spindle.codecs.protocol.AlterTopicResponseDecoder;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ConfigOperation;
import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.CreateTopicsResponseDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import io.spindle.codecs.protocol.ProduceResponseDecoder;
import io.spindle.log.LogConfig;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import io.spindle.log.SmallFileSystem;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three members in one JVM on loopback, a raw Aeron Cluster client sending Spindle requests: acknowledged records are
 * at their acknowledged offsets on every member, members' logs are byte-identical once settled, across a leader
 * failover and a restart of the old leader (which replays the log and converges).
 */
class ClusterReplicationTest
{
    private static final int MEMBERS = 3;
    private static final long AWAIT_NS = TestCluster.AWAIT_NS;

    @TempDir
    Path dir;

    private TestCluster cluster;
    private MediaDriver clientDriver;
    private AeronCluster client;
    private final Map<Long, byte[]> responses = new HashMap<>();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ExpandableArrayBuffer request = new ExpandableArrayBuffer(8 * 1024);
    private long nextCorrelationId = 1;

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietCloseAll(client, clientDriver);
        if (null != cluster)
        {
            cluster.close();
        }
        if (null != clientDriver)
        {
            IoUtil.delete(new java.io.File(clientDriver.aeronDirectoryName()), true);
        }
    }

    @Test
    @Timeout(120)
    void acknowledgedRecordsAreOnEveryMemberAcrossAFailoverAndARestart()
    {
        final int leader = startMembers();
        connectClient();
        final int topicId = createOrders();

        final List<long[]> acked = new ArrayList<>();
        produce(topicId, 60, acked);
        awaitSettled(acked, topicId);

        cluster.stop(leader);
        final int newLeader = cluster.awaitLeader(leader);
        awaitClientFollows(newLeader);
        produce(topicId, 40, acked);
        awaitSettled(acked, topicId);

        cluster.launch(leader);
        produce(topicId, 20, acked);
        awaitSettled(acked, topicId);
    }

    @Test
    @Timeout(120)
    void aMemberRestartedFromASnapshotConvergesToTheSameSnapshotAndAWipedMemberRejoins()
    {
        // The whole Raft log is kept: a wiped member replays it (RaftLogPurgeTest rebuilds one after a purge).
        cluster = new TestCluster(dir, MEMBERS).customise((ctx) -> ctx.logPurge(false));
        final int leader = cluster.start();
        connectClient();
        final int topicId = createOrders();

        final List<long[]> acked = new ArrayList<>();
        produce(topicId, 40, acked);
        takeSnapshot(leader);
        produce(topicId, 30, acked);
        awaitSettled(acked, topicId);

        // The follower's files now hold batches past its snapshot: the restart truncates and replays them.
        final int follower = (leader + 1) % MEMBERS;
        cluster.stop(follower);
        produce(topicId, 10, acked);
        cluster.launch(follower);
        awaitSettled(acked, topicId);
        takeSnapshot(leader);
        byte[] reference = null;
        for (final ClusterNode node : cluster.nodes())
        {
            final byte[] snapshot = node.service().lastSnapshot();
            if (null == reference)
            {
                reference = snapshot;
            }
            assertArrayEquals(reference, snapshot, "member " + node.memberId() + " snapshot differs");
        }

        // A member whose disk was lost rebuilds from the other members' Raft log.
        cluster.stop(follower);
        IoUtil.delete(cluster.memberDir(follower).toFile(), false);
        produce(topicId, 10, acked);
        cluster.launch(follower);
        awaitSettled(acked, topicId);
    }

    @Test
    @Timeout(120)
    void aMemberOutOfDiskStopsAndTheOthersCarryOn()
    {
        final int leader = startMembers();
        final int follower = (leader + 1) % MEMBERS;
        cluster.stop(follower);
        IoUtil.delete(cluster.memberDir(follower).toFile(), false);
        try (SmallFileSystem fs = SmallFileSystem.mount(cluster.memberDir(follower).resolve("data"), "4m"))
        {
            cluster.launch(follower);
            connectClient();
            final int topicId = createOrders();

            // Each batch about 7 KiB: the follower's 4 MiB of data fills long before 1,500 batches.
            final List<long[]> acked = new ArrayList<>();
            final SpindleClusteredService stopping = cluster.node(follower).service();
            for (int i = 0; i < 1_500 && null == stopping.failure(); i++)
            {
                produce(topicId, 1, acked, 6);
            }
            assertNotNull(stopping.failure(), "the follower never ran out of space on " + fs.root());
            assertTrue(String.valueOf(stopping.failure().getMessage()).contains("storage failure on member " +
                follower), String.valueOf(stopping.failure()));
            final ClusterNode stopped = cluster.node(follower);
            cluster.await(stopped::isClosed, "the member out of disk to close itself");
            cluster.stop(follower);

            produce(topicId, 20, acked);
            awaitSettled(acked, topicId);
        }
    }

    @Test
    @Timeout(60)
    void aRequestSentAgainOnTheSameSessionIsAppliedOnceAndAnsweredAlike()
    {
        startMembers();
        connectClient();
        final int topicId = createOrders();

        final int length = produceRequest(topicId, 0, 3, 0, 0);
        final long id = send(length);
        final byte[] first = awaitResponse(id);
        // The same bytes again, as a client resends an unanswered request after a leader change.
        send(length);
        final byte[] second = awaitResponse(id);
        assertArrayEquals(first, second, "the repeat was answered differently");
        final long third = send(produceRequest(topicId, 0, 2, 1, 0));
        final ProduceResponseDecoder response = new ProduceResponseDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(awaitResponse(third)), 0, new MessageHeaderDecoder());
        assertEquals(3, response.partitions().next().baseOffset(), "the repeat was appended again");
        for (final ClusterNode node : cluster.nodes())
        {
            cluster.await(() -> 1 == node.service().duplicateRequestsAnswered() ||
                Cluster.Role.LEADER != node.service().role(), "the leader to count the repeat");
        }
    }

    @Test
    @Timeout(60)
    void aMemberWhoseSettingsDifferFromTheLeadersStops()
    {
        cluster = new TestCluster(dir, MEMBERS);
        cluster.launch(0);
        cluster.launch(1);
        cluster.awaitLeader(-1);
        // The leader announces its settings with the first log entry it applies after its election.
        connectClient();
        final int topicId = createOrders();
        // Member 2 keeps a day of data by default where the others keep a week: it would delete records they keep.
        cluster.launch(2, (ctx) -> ctx.logConfig(
            new LogConfig().segmentBytes(16 * 1024).maxMessageBytes(8 * 1024).retentionMs(86_400_000L)));
        final SpindleClusteredService odd = cluster.node(2).service();
        cluster.await(() -> null != odd.failure(), "member 2 to stop on the leader's configuration");
        assertTrue(odd.failure().getMessage().contains("member 2's configuration differs from leader"),
            String.valueOf(odd.failure()));
        assertTrue(String.valueOf(odd.failure().getCause()).contains("retention.ms=86400000"),
            String.valueOf(odd.failure().getCause()));
        final ClusterNode stopped = cluster.node(2);
        cluster.await(stopped::isClosed, "member 2 to close itself");
        cluster.stop(2);

        // The two that agree carry on. (ClusterClientTest produces through failovers with Spindle's own client; this
        // raw client does not resend a request an election swallows, so it is not used past this point.)
        cluster.awaitLeader(2);
        assertTrue(null == cluster.node(0).service().failure() && null == cluster.node(1).service().failure());
        assertEquals(topicId, cluster.node(1).service().topicTable().topic(topicId).id());
    }

    @Test
    void aMemberRefusesALogThatCannotCarryTheLargestBatch()
    {
        final ClusterNode.Context ctx = new ClusterNode.Context().memberId(0).members("0=localhost:20000")
            .directory(dir.resolve("small-log")).termLength(64 * 1024);
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, ctx::conclude);
        assertTrue(refused.getMessage().contains("below max.message.bytes 1048576"), refused.getMessage());
        assertEquals(8 * 1024 - 32 - ClusterNode.PRODUCE_REQUEST_OVERHEAD, ClusterNode.maxMessageBytesLimit(64 * 1024));
    }

    @Test
    @Timeout(60)
    void aSecondMemberOnTheSameDirectoryIsRefused()
    {
        cluster = new TestCluster(dir, MEMBERS);
        cluster.launch(0);
        final IllegalStateException refused = assertThrows(IllegalStateException.class, () -> cluster.launch(0));
        assertTrue(refused.getMessage().contains("in use by another cluster member"), refused.getMessage());
    }

    @Test
    @Timeout(60)
    void closingAMemberStillLookingForItsPeersLogsStopsTheLookBeforeItsDriver()
    {
        // A new member asks its peers' archives where their Raft log begins until it joins. Its Aeron client must be
        // closed before the member's driver: one that outlives its driver reports a driver timeout, and Aeron's
        // default error handler answers that with System.exit (this is what once ended the test JVM in CI).
        cluster = new TestCluster(dir, MEMBERS);
        cluster.launch(0);
        final String checkName = "spindle-member-0-purged-log-check";
        cluster.await(() -> null != thread(checkName), "member 0 to look for its peers' Raft logs");
        cluster.stop(0);
        final Thread check = thread(checkName);
        assertTrue(null == check || !check.isAlive(), "the look outlived the member: " + check);
    }

    private static Thread thread(final String name)
    {
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (name.equals(thread.getName()) && thread.isAlive())
            {
                return thread;
            }
        }
        return null;
    }

    @Test
    @Timeout(120)
    void aTopicChangeIsAppliedOnEveryMemberAndSurvivesASnapshotAndARestart()
    {
        final int leader = startMembers();
        connectClient();
        final int topicId = createOrders();
        final List<long[]> acked = new ArrayList<>();
        produce(topicId, 10, acked);
        awaitSettled(acked, topicId);

        // One member is away for the change: it replays it from the log when it comes back.
        final int away = (leader + 2) % MEMBERS;
        cluster.stop(away);
        final AlterTopicResponseDecoder altered = new AlterTopicResponseDecoder().wrapAndApplyHeader(
            new UnsafeBuffer(awaitResponse(send(alterTopic("orders", 3, "retention.ms", "3600000")))), 0,
            new MessageHeaderDecoder());
        assertEquals(ErrorCode.NONE, altered.errorCode(), altered.errorMessage());
        assertEquals(3, altered.partitionCount());
        cluster.launch(away);
        awaitTopicChanged(topicId, -1);

        // Another restarts from a snapshot holding the change, then replays a batch for the new partition.
        takeSnapshot(leader);
        final int follower = (leader + 1) % MEMBERS;
        cluster.stop(follower);
        final ProduceResponseDecoder produced = new ProduceResponseDecoder().wrapAndApplyHeader(
            new UnsafeBuffer(awaitResponse(send(produceRequest(topicId, 2, 3, 0, 0)))), 0, new MessageHeaderDecoder());
        assertEquals(ErrorCode.NONE, produced.partitions().next().errorCode(), "the new partition takes records");
        cluster.launch(follower);
        awaitTopicChanged(topicId, 3);
        awaitSettled(acked, topicId);
    }

    @Test
    @Timeout(120)
    void aMemberRestartedAfterASegmentSizeChangeCutsItsSegmentsWhereTheOthersDo()
    {
        final int leader = startMembers();
        connectClient();
        final int topicId = createOrders();
        final List<long[]> acked = new ArrayList<>();
        produce(topicId, 6, acked, 1);

        // The members' active segments were made at 16 KiB; the change makes segments of 64 KiB.
        final AlterTopicResponseDecoder altered = new AlterTopicResponseDecoder().wrapAndApplyHeader(
            new UnsafeBuffer(awaitResponse(send(alterTopic("orders", 0, "segment.bytes", "64k")))), 0,
            new MessageHeaderDecoder());
        assertEquals(ErrorCode.NONE, altered.errorCode(), altered.errorMessage());
        produce(topicId, 4, acked, 1);

        // A member restarted from a snapshot holding the change opens its files under the new size; the others
        // have kept theirs open since before it. All must go on cutting segments at the same offsets (retention
        // deletes whole segments, so where they are cut is what every member's log start offset follows).
        takeSnapshot(leader);
        final int follower = (leader + 1) % MEMBERS;
        cluster.stop(follower);
        cluster.launch(follower);
        produce(topicId, 130, acked, 1);
        awaitSettled(acked, topicId);

        long[][] reference = null;
        for (final ClusterNode node : cluster.nodes())
        {
            final Topic topic = node.service().topicTable().topic(topicId);
            final long[][] segments =
                { topic.partition(0).segmentBaseOffsets(), topic.partition(1).segmentBaseOffsets() };
            if (null == reference)
            {
                reference = segments;
            }
            for (int p = 0; p < 2; p++)
            {
                assertArrayEquals(reference[p], segments[p], "partition " + p + " segments of member " +
                    node.memberId() + " " + Arrays.toString(segments[p]) + ", first member's " +
                    Arrays.toString(reference[p]));
            }
        }
        assertTrue(reference[0].length > 2 && reference[1].length > 2, "the logs should have rolled at the change " +
            "and after it: " + Arrays.toString(reference[0]) + " " + Arrays.toString(reference[1]));
    }

    /**
     * Every live member has the orders topic with 3 partitions and the retention override on its live logs, and at
     * least a number of records in the new partition (-1: not checked).
     */
    private void awaitTopicChanged(final int topicId, final long newPartitionEnd)
    {
        cluster.await(() ->
        {
            for (final ClusterNode node : cluster.nodes())
            {
                final Topic t = null == node ? null : node.service().topicTable().topic(topicId);
                if (null != node && (null == t || t.partitionCount() != 3 ||
                    !"3600000".equals(t.configs().get("retention.ms")) ||
                    t.partition(0).config().retentionMs() != 3_600_000L ||
                    t.partition(2).config().retentionMs() != 3_600_000L ||
                    t.partition(2).highWaterMark() < newPartitionEnd))
                {
                    return false;
                }
            }
            return true;
        }, "every member to apply the topic change");
    }

    private int alterTopic(final String name, final int partitions, final String key, final String value)
    {
        final AlterTopicRequestEncoder encoder = new AlterTopicRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(nextCorrelationId++).timeoutMs(1000).validateOnly(BooleanType.FALSE)
            .partitionCount(partitions);
        encoder.configsCount(1).next().operation(ConfigOperation.SET).key(key).value(value);
        encoder.topic(name);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private int startMembers()
    {
        cluster = new TestCluster(dir, MEMBERS);
        return cluster.start();
    }

    private int createOrders()
    {
        final long createId = send(createTopic("orders", 2));
        final CreateTopicsResponseDecoder.TopicsDecoder topic = new CreateTopicsResponseDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(awaitResponse(createId)), 0, new MessageHeaderDecoder())
            .topics().next();
        assertEquals(ErrorCode.NONE, topic.errorCode());
        return topic.topicId();
    }

    private void takeSnapshot(final int leader)
    {
        final long[] before = new long[MEMBERS];
        for (final ClusterNode node : cluster.nodes())
        {
            before[node.memberId()] = node.service().lastSnapshotLogPosition();
        }
        try (Aeron aeron =
            Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace)
                .aeronDirectoryName(cluster.node(leader).aeronDirectoryName())))
        {
            final AtomicCounter toggle = ClusterControl.findControlToggle(aeron.countersReader(), 0);
            assertNotNull(toggle, "no control toggle on the leader");
            cluster.await(() -> ClusterControl.ToggleState.SNAPSHOT.toggle(toggle), "the snapshot toggle to be free");
        }
        cluster.await(() ->
        {
            final long position = cluster.node(0).service().lastSnapshotLogPosition();
            for (final ClusterNode node : cluster.nodes())
            {
                final long p = node.service().lastSnapshotLogPosition();
                if (p == before[node.memberId()] || p != position)
                {
                    return false;
                }
            }
            return true;
        }, "every member to take the snapshot at the same position");
    }

    private void connectClient()
    {
        clientDriver = MediaDriver.launchEmbedded(new MediaDriver.Context()
            .aeronDirectoryName(dir.resolve("client-aeron").toString())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
            .asyncExecutorEnabled(false)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .publicationTermBufferLength(256 * 1024)
            .ipcTermBufferLength(256 * 1024));
        final EgressListener listener = new EgressListener()
        {
            public void onMessage(
                final long clusterSessionId,
                final long timestamp,
                final DirectBuffer buffer,
                final int offset,
                final int length,
                final Header header)
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                responses.put(buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH,
                    java.nio.ByteOrder.LITTLE_ENDIAN), copy);
            }
        };
        client = AeronCluster.connect(new AeronCluster.Context().errorHandler(Throwable::printStackTrace)
            .aeronDirectoryName(clientDriver.aeronDirectoryName())
            .ingressChannel("aeron:udp?term-length=256k")
            .ingressEndpoints(ClusterNode.ingressEndpoints(ClusterNode.parseMembers(cluster.members())))
            .egressChannel("aeron:udp?endpoint=localhost:0")
            .egressListener(listener)
            .messageTimeoutNs(10_000_000_000L));
    }

    private void produce(final int topicId, final int batches, final List<long[]> acked)
    {
        produce(topicId, batches, acked, 0);
    }

    private void produce(final int topicId, final int batches, final List<long[]> acked, final int kibPerRecord)
    {
        for (int i = 0; i < batches; i++)
        {
            // Alternating: acked grows by one each time round.
            final int partition = acked.size() % 2;
            final int records = kibPerRecord > 0 ? 1 : 1 + ThreadLocalRandom.current().nextInt(5);
            final long id = send(produceRequest(topicId, partition, records, acked.size(), kibPerRecord * 1024));
            final ProduceResponseDecoder response = new ProduceResponseDecoder()
                .wrapAndApplyHeader(new UnsafeBuffer(awaitResponse(id)), 0, new MessageHeaderDecoder());
            final ProduceResponseDecoder.PartitionsDecoder result = response.partitions().next();
            assertEquals(ErrorCode.NONE, result.errorCode(), response.errorMessage());
            acked.add(new long[]{ partition, result.baseOffset(), records });
        }
    }

    /**
     * Every live member has applied every acknowledged batch at its acknowledged offset, and the live members' logs
     * are byte-identical.
     */
    private void awaitSettled(final List<long[]> acked, final int topicId)
    {
        final long[] expectedEnd = new long[2];
        for (final long[] batch : acked)
        {
            expectedEnd[(int)batch[0]] = Math.max(expectedEnd[(int)batch[0]], batch[1] + batch[2]);
        }
        cluster.await(() ->
        {
            for (final ClusterNode node : cluster.nodes())
            {
                final Topic t = null == node ? null : node.service().topicTable().topic(topicId);
                if (null != node && (null == t || t.partition(0).highWaterMark() < expectedEnd[0] ||
                    t.partition(1).highWaterMark() < expectedEnd[1]))
                {
                    return false;
                }
            }
            return true;
        }, "every member to apply every acknowledged batch");

        byte[][] reference = null;
        for (final ClusterNode node : cluster.nodes())
        {
            if (null == node)
            {
                continue;
            }
            final Topic t = node.service().topicTable().topic(topicId);
            final byte[][] logs = { readAll(t.partition(0)), readAll(t.partition(1)) };
            if (null == reference)
            {
                reference = logs;
            }
            else
            {
                assertArrayEquals(reference[0], logs[0], "partition 0 differs on member " + node.memberId());
                assertArrayEquals(reference[1], logs[1], "partition 1 differs on member " + node.memberId());
            }
            for (final long[] batch : acked)
            {
                final PartitionLog log = t.partition((int)batch[0]);
                final LogReadResult result = new LogReadResult();
                assertTrue(log.read(batch[1], 1, result) > 0, "member " + node.memberId() + " lacks offset " +
                    batch[1] + " of partition " + batch[0]);
                assertEquals(batch[1], result.firstOffset(), "batch at the wrong offset on " + node.memberId());
            }
        }
        assertNotNull(reference);
    }

    private static byte[] readAll(final PartitionLog log)
    {
        final LogReadResult result = new LogReadResult();
        byte[] out = new byte[0];
        long offset = log.logStartOffset();
        final long end = log.highWaterMark();
        while (offset < end)
        {
            final int length = log.read(offset, 64 * 1024, result);
            assertTrue(length > 0, "read at " + offset + " returned " + length);
            final int start = out.length;
            out = Arrays.copyOf(out, start + length);
            result.buffer().getBytes(0, out, start, length);
            offset = result.nextOffset();
        }
        return out;
    }

    private void awaitClientFollows(final int leader)
    {
        cluster.await(() ->
        {
            client.pollEgress();
            return client.leaderMemberId() == leader;
        }, "the client to follow leader " + leader);
    }

    private long send(final int length)
    {
        final long id = request.getLong(MessageHeaderEncoder.ENCODED_LENGTH, java.nio.ByteOrder.LITTLE_ENDIAN);
        final long deadlineNs = System.nanoTime() + AWAIT_NS;
        while (client.offer(request, 0, length) < 0)
        {
            client.pollEgress();
            assertTrue(System.nanoTime() < deadlineNs, "ingress never took the request");
            Thread.onSpinWait();
            TestCluster.sleep(1);
        }
        return id;
    }

    private byte[] awaitResponse(final long correlationId)
    {
        cluster.await(() ->
        {
            client.pollEgress();
            return responses.containsKey(correlationId);
        }, "the response to request " + correlationId);
        return responses.remove(correlationId);
    }

    private int createTopic(final String name, final int partitions)
    {
        final CreateTopicsRequestEncoder encoder = new CreateTopicsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(nextCorrelationId++).timeoutMs(1000).validateOnly(BooleanType.FALSE);
        final CreateTopicsRequestEncoder.TopicsEncoder topic = encoder.topicsCount(1).next()
            .partitionCount(partitions).replicationFactor((short)-1);
        topic.configsCount(0);
        topic.name(name);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private int produceRequest(
        final int topicId, final int partition, final int records, final int seq, final int padding)
    {
        final UnsafeBuffer batch = new UnsafeBuffer(new byte[128 + records * (64 + padding)]);
        final RecordBatchBuilder builder = new RecordBatchBuilder().wrap(batch, 0, batch.capacity());
        for (int r = 0; r < records; r++)
        {
            final String value = "v" + seq + "-" + r;
            builder.append(System.currentTimeMillis(), ("k" + seq).getBytes(), (value +
                "x".repeat(padding)).getBytes());
        }
        final int batchLength = builder.build();
        final ProduceRequestEncoder encoder = new ProduceRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(nextCorrelationId++).acks((short)-1).timeoutMs(1000).producerId(-1)
            .producerEpoch((short)-1);
        encoder.partitionsCount(1).next().topicId(topicId).partition(partition).putRecordBatch(batch, 0, batchLength);
        encoder.transactionalId("");
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }
}
