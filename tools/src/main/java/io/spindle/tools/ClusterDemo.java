package io.spindle.tools;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.aeron.cluster.service.Cluster;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.ClusterNode;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.LogConfig;
import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code spindle demo --cluster}: three members in this process on loopback, a producer with {@code acks=all} on a
 * fixed schedule and a consumer fetching from a follower; halfway through, the leader is stopped. At the end: how
 * long the cluster had no leader and the longest gap between two acknowledgements, the end-to-end latency percentiles
 * (from each
 * record's intended send time, so the failover's stall is in them), and a check that every acknowledged record
 * arrived, in order, once.
 */
final class ClusterDemo
{
    private static final String TOPIC = "demo";
    private static final int MEMBERS = 3;
    private static final long LEADER_HEARTBEAT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);

    private final PrintStream out;
    private final int records;
    private final int size;
    private final int rate;
    private final int partitions;
    private final ClusterNode[] nodes = new ClusterNode[MEMBERS];

    ClusterDemo(final PrintStream out, final int records, final int size, final int rate, final int partitions)
    {
        this.out = out;
        this.records = records;
        this.size = size;
        this.rate = rate;
        this.partitions = partitions;
    }

    /**
     * Run the demo.
     *
     * @return 0 when every acknowledged record arrived, in order, once.
     * @throws Exception when the members cannot start or a thread is interrupted.
     */
    int run() throws Exception
    {
        final Path dir = Files.createTempDirectory("spindle-demo-cluster-");
        final String members = ClusterNode.loopbackMembers(MEMBERS);
        out.println("spindle demo --cluster: " + MEMBERS + " members in this process on loopback (" + members +
            "), in " + dir);
        out.println("  leader heartbeat timeout " + TimeUnit.NANOSECONDS.toMillis(LEADER_HEARTBEAT_TIMEOUT_NS) +
            " ms (the tests' setting; production defaults to 10 s)");
        try
        {
            for (int i = 0; i < MEMBERS; i++)
            {
                nodes[i] = ClusterNode.launch(new ClusterNode.Context()
                    .memberId(i)
                    .members(members)
                    .directory(dir.resolve("member-" + i))
                    .logConfig(new LogConfig().maxMessageBytes(256 * 1024))
                    .termLength(4 * 1024 * 1024)
                    .archiveSegmentLength(16 * 1024 * 1024)
                    .leaderHeartbeatTimeoutNs(LEADER_HEARTBEAT_TIMEOUT_NS));
            }
            final int leader = awaitLeader(-1, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            out.println("  member " + leader + " leads");
            // The consumer reads from a follower: a follower serves clients once it has joined the leader's term,
            // which on a loaded machine can come a while after the leader is elected.
            awaitAllServing(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            final String bootstrap = bootstrap(members);
            try (Admin admin = Admin.connect(client(new ClientContext(), bootstrap)))
            {
                admin.createTopic(TOPIC, partitions, Map.of());
            }
            out.printf("  created topic '%s' with %d partition(s)%n", TOPIC, partitions);
            return produceThroughAFailover(bootstrap, leader) ? 0 : 1;
        }
        catch (final Exception | Error ex)
        {
            out.println("  FAILED: " + ex + "; the members then: " + membersState());
            throw ex;
        }
        finally
        {
            for (int i = 0; i < MEMBERS; i++)
            {
                CloseHelper.quietClose(nodes[i]);
            }
            IoUtil.delete(dir.toFile(), true);
        }
    }

    private boolean produceThroughAFailover(final String bootstrap, final int leader) throws Exception
    {
        final int replica = (leader + 1) % MEMBERS;
        final Consumer.Context consumerCtx = client(new Consumer.Context(), bootstrap)
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        consumerCtx.replica(replica);
        consumerCtx.clientId("demo-consumer");
        final Producer.Context producerCtx = client(new Producer.Context(), bootstrap)
            .acks(-1).lingerUs(0).maxRecordSize(64 * 1024).deliveryTimeoutMs(30_000);
        producerCtx.clientId("demo-producer");

        final Histogram endToEnd = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final AtomicLong received = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicReference<String> orderError = new AtomicReference<>();
        final AtomicLong ackedCount = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        final AtomicLong stopNs = new AtomicLong();
        final long[] lastAckNs = { 0 };
        final long[] longestAckGapNs = { 0 };
        final AtomicLong newLeaderNs = new AtomicLong();

        try (Consumer consumer = Consumer.connect(consumerCtx);
            Producer producer = Producer.connect(producerCtx))
        {
            final List<TopicPartition> assignment = new ArrayList<>();
            for (int p = 0; p < partitions; p++)
            {
                assignment.add(new TopicPartition(TOPIC, p));
            }
            consumer.assign(assignment);
            final boolean[] seen = new boolean[records];
            final long[] lastSequence = new long[partitions];
            java.util.Arrays.fill(lastSequence, -1);
            final Thread consumerThread = new Thread(() ->
            {
                final BackoffIdleStrategy idle = new BackoffIdleStrategy(100, 100, 1_000, 100_000);
                final Consumer.RecordHandler handler = (ConsumerRecord record) ->
                {
                    final long nowNs = System.nanoTime();
                    final int sequence = (int)record.buffer().getLong(record.valueOffset());
                    final long intendedNs = record.buffer().getLong(record.valueOffset() + 8);
                    if (seen[sequence])
                    {
                        duplicates.incrementAndGet();
                        return;
                    }
                    seen[sequence] = true;
                    if (sequence < lastSequence[record.partition()])
                    {
                        orderError.compareAndSet(null, "partition " + record.partition() + ": sequence " + sequence +
                            " after " + lastSequence[record.partition()] + " at offset " + record.offset());
                    }
                    lastSequence[record.partition()] = sequence;
                    endToEnd.recordValue(Math.max(0, nowNs - intendedNs));
                    received.incrementAndGet();
                };
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60) +
                    TimeUnit.SECONDS.toNanos(records / Math.max(1, rate));
                while (received.get() < records && System.nanoTime() - deadlineNs < 0)
                {
                    idle.idle(consumer.poll(handler, 256));
                }
            }, "demo-consumer");
            consumerThread.start();

            final UnsafeBuffer value = new UnsafeBuffer(new byte[size]);
            final long intervalNs = 1_000_000_000L / rate;
            final long startNs = System.nanoTime();
            Thread stopper = null;
            for (int i = 0; i < records; i++)
            {
                if (i == records / 2)
                {
                    stopper = new Thread(() ->
                    {
                        stopNs.set(System.nanoTime());
                        nodes[leader].close();
                        nodes[leader] = null;
                        awaitLeader(leader, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
                        newLeaderNs.set(System.nanoTime());
                    }, "demo-stop-leader");
                    stopper.start();
                }
                final long intendedNs = startNs + i * intervalNs;
                waitUntil(intendedNs, producer);
                value.putLong(0, i);
                value.putLong(8, intendedNs);
                while (producer.send(TOPIC, i % partitions, null, 0, -1, value, 0, size, null,
                    (partition, offset, code) ->
                    {
                        if (ErrorCode.NONE == code)
                        {
                            ackedCount.incrementAndGet();
                            // Callbacks run on this (the producer's) thread: no other thread reads these.
                            final long nowNs = System.nanoTime();
                            if (0 != lastAckNs[0])
                            {
                                longestAckGapNs[0] = Math.max(longestAckGapNs[0], nowNs - lastAckNs[0]);
                            }
                            lastAckNs[0] = nowNs;
                        }
                        else
                        {
                            failures.incrementAndGet();
                        }
                    }) == Producer.BACK_PRESSURED)
                {
                    producer.poll();
                    LockSupport.parkNanos(50_000);
                }
            }
            producer.flush();
            if (null != stopper)
            {
                stopper.join(TimeUnit.SECONDS.toMillis(40));
            }
            consumerThread.join(TimeUnit.SECONDS.toMillis(60));

            out.printf("%n  %,d records of %d bytes, acks=all, at a fixed %,d records/s; leader %d stopped after %,d%n",
                records, size, rate, leader, records / 2);
            if (0 != newLeaderNs.get())
            {
                out.printf("  failover: a new leader in %,d ms; producing stalled for at most %,d ms " +
                    "(the longest gap " +
                    "between two acknowledgements)%n", TimeUnit.NANOSECONDS.toMillis(newLeaderNs.get() - stopNs.get()),
                    TimeUnit.NANOSECONDS.toMillis(longestAckGapNs[0]));
            }
            DemoCommand.printPercentiles("  end-to-end (intended send -> consumer on member " + replica + ")",
                endToEnd);
            out.printf(java.util.Locale.ROOT, "  acknowledged %,d, arrived %,d, duplicates %,d, failed sends %,d%n",
                ackedCount.get(), received.get(), duplicates.get(), failures.get());

            boolean ok = true;
            if (ackedCount.get() != records || failures.get() > 0)
            {
                out.printf("  FAILED: %,d of %,d records acknowledged%n", ackedCount.get(), records);
                ok = false;
            }
            if (received.get() != ackedCount.get())
            {
                out.printf("  FAILED: %,d of %,d acknowledged records arrived%n", received.get(), ackedCount.get());
                ok = false;
            }
            if (duplicates.get() > 0)
            {
                out.printf("  FAILED: %,d records arrived twice%n", duplicates.get());
                ok = false;
            }
            if (null != orderError.get())
            {
                out.println("  FAILED: out of order: " + orderError.get());
                ok = false;
            }
            if (ok)
            {
                out.println("  every acknowledged record arrived, in order, once");
            }
            return ok;
        }
    }

    private <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(30_000).connectTimeoutMs(30_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 100_000));
        return ctx;
    }

    private int awaitLeader(final int notThis, final long deadlineNs)
    {
        while (System.nanoTime() - deadlineNs < 0)
        {
            for (final ClusterNode node : nodes)
            {
                if (null != node && node.memberId() != notThis && Cluster.Role.LEADER == node.service().role())
                {
                    return node.memberId();
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        throw new IllegalStateException("no leader elected within 30 s");
    }

    private void awaitAllServing(final long deadlineNs)
    {
        while (System.nanoTime() - deadlineNs < 0)
        {
            boolean all = true;
            for (final ClusterNode node : nodes)
            {
                all &= null != node && node.isServing();
            }
            if (all)
            {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        throw new IllegalStateException("not every member serves clients within 30 s: " + membersState());
    }

    /**
     * Each member's role and whether it serves clients, for a failure's message.
     */
    private String membersState()
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < MEMBERS; i++)
        {
            final ClusterNode node = nodes[i];
            sb.append(0 == i ? "" : ", ").append("member ").append(i).append(' ');
            if (null == node)
            {
                sb.append("stopped");
            }
            else
            {
                final Cluster.Role joined = node.joinedRole();
                sb.append(null == joined ? "not joined (electing) " : joined + " ")
                    .append(node.isServing() ? "serving" : "not serving");
            }
        }
        return sb.toString();
    }

    private static void waitUntil(final long deadlineNs, final Producer producer)
    {
        long remainingNs;
        while ((remainingNs = deadlineNs - System.nanoTime()) > 0)
        {
            producer.poll();
            LockSupport.parkNanos(Math.min(remainingNs, 100_000));
        }
        producer.poll();
    }

    private static String bootstrap(final String members)
    {
        final StringBuilder sb = new StringBuilder();
        for (final ClusterNode.Endpoint endpoint : ClusterNode.parseMembers(members))
        {
            sb.append(sb.length() == 0 ? "" : ",").append(endpoint.host()).append(':').append(endpoint.port());
        }
        return sb.toString();
    }
}
