/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.cluster.client.AeronCluster;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.Transport;
import io.spindle.host.BrokerCounters;
import io.spindle.monitor.CncFile;
import io.spindle.monitor.StageLatencies;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster member is observed as a broker is: after a known workload every member's driver counters file holds its
 * state machine's counters (requests by type, produced records, per partition log end and high-water mark) equal to
 * what was produced, its stage latency histograms count every produce request it applied (acknowledged: only on the
 * leader; pushed: on the member a consumer waits on), every member's own log cleaner counts its compactions, and an
 * error Aeron's consensus module records is printed in its own section of the member's errors.
 */
@Timeout(60)
class ClusterObservabilityTest
{
    private static final String TOPIC = "observed";
    private static final int RECORDS = 20;

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
    void countersAndStageLatenciesOfEveryMemberMatchAKnownWorkload() throws InterruptedException
    {
        cluster = new TestCluster(dir, 3).customise((ctx) -> ctx.latencyIntervalMs(50));
        final int leader = cluster.start();
        final int follower = (leader + 1) % 3;
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.createTopic(TOPIC, 2, Map.of());
        }

        // A consumer waits on a follower before anything is produced: the follower's fetch server pushes appends.
        final Consumer.Context consumerContext = client(new Consumer.Context(), cluster.endpoint(follower));
        consumerContext.autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        consumerContext.replica(follower);
        final AtomicInteger consumed = new AtomicInteger();
        final Thread consumerThread = new Thread(() ->
        {
            try (Consumer consumer = Consumer.connect(consumerContext))
            {
                consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
                final long deadlineNs = System.nanoTime() + TestCluster.AWAIT_NS;
                while (consumed.get() < RECORDS && System.nanoTime() < deadlineNs)
                {
                    consumer.poll((record) -> consumed.incrementAndGet(), 10, 100);
                }
            }
        }, "observed-consumer");
        consumerThread.start();
        cluster.await(() -> counters(follower).getOrDefault("spindle-" + follower + ": fetch requests", 0L) >= 1,
            "the consumer's fetch to wait on member " + follower);

        try (Producer producer = Producer.connect(
            client(new Producer.Context().maxRecordSize(8 * 1024), cluster.bootstrap())))
        {
            for (int i = 0; i < RECORDS; i++)
            {
                producer.sendSync(TOPIC, 0, null, ("record-" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        consumerThread.join(TestCluster.AWAIT_NS / 1_000_000);
        assertEquals(RECORDS, consumed.get(), "records consumed from member " + follower);

        final long[] produceBytes = new long[3];
        for (int member = 0; member < 3; member++)
        {
            final String prefix = "spindle-" + member + ": ";
            final int m = member;
            cluster.await(() -> RECORDS == counters(m).getOrDefault(prefix + "partition observed-0 high-water mark",
                -1L), "member " + member + "'s high-water mark counter");
            final Map<String, Long> counters = counters(member);
            assertEquals(RECORDS, counters.get(prefix + "requests Produce"), counters.toString());
            assertEquals(RECORDS, counters.get(prefix + "produce records"), counters.toString());
            assertEquals(1, counters.get(prefix + "requests CreateTopics"), counters.toString());
            assertEquals(0, counters.get(prefix + "partition observed-0 log start"), counters.toString());
            assertEquals(RECORDS, counters.get(prefix + "partition observed-0 log end"), counters.toString());
            assertEquals(0, counters.get(prefix + "partition observed-1 log end"), counters.toString());
            assertEquals(0, counters.get(prefix + "cleaner errors"), counters.toString());
            produceBytes[member] = counters.get(prefix + "produce bytes");
            assertTrue(produceBytes[member] > RECORDS * "record-0".length(), counters.toString());
        }
        assertEquals(produceBytes[0], produceBytes[1], "every member appended the same bytes");
        assertEquals(produceBytes[0], produceBytes[2], "every member appended the same bytes");

        for (int member = 0; member < 3; member++)
        {
            final int m = member;
            final long acknowledged = member == leader ? RECORDS : 0;
            cluster.await(() -> runCount(m, "ingress-committed") == RECORDS &&
                runCount(m, "committed-applied") == RECORDS &&
                runCount(m, "received-appended") == RECORDS &&
                runCount(m, "appended-acknowledged") == acknowledged &&
                (m != follower || runCount(m, "appended-pushed") >= 1),
                "member " + member + "'s stage histograms to count every produce request");
        }
        assertEquals(0, runCount(leader, "appended-pushed"), "no consumer waited on the leader");
    }

    @Test
    void everyMembersCompactionsShowInItsCleanerCountersAndItsCleanerStopsWithIt()
    {
        cluster = new TestCluster(dir, 3);
        cluster.start();
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.createTopic("compacted", 1, Map.of("cleanup.policy", "compact", "segment.bytes", "4k",
                "max.message.bytes", "2k", "min.cleanable.dirty.ratio", "0.01"));
        }
        assertTrue(isCleanerThreadAlive(), "the members' cleaner threads run");
        try (Producer producer = Producer.connect(
            client(new Producer.Context().maxRecordSize(2 * 1024), cluster.bootstrap())))
        {
            final long deadlineNs = System.nanoTime() + TestCluster.AWAIT_NS;
            for (int i = 0; !allCleaned() && System.nanoTime() - deadlineNs < 0; i++)
            {
                producer.sendSync("compacted", 0, ("k" + (i % 5)).getBytes(StandardCharsets.UTF_8),
                    ("value " + i + " " + "x".repeat(100)).getBytes(StandardCharsets.UTF_8));
            }
        }
        for (int member = 0; member < 3; member++)
        {
            final String prefix = "spindle-" + member + ": cleaner ";
            final Map<String, Long> counters = counters(member);
            assertTrue(counters.get(prefix + "passes") > 0, counters.toString());
            assertTrue(counters.get(prefix + "bytes cleaned") > 4096, counters.toString());
            assertTrue(counters.get(prefix + "records removed") > 0, counters.toString());
            assertEquals(0, counters.get(prefix + "errors"), counters.toString());
        }
        cluster.close();
        assertTrue(!isCleanerThreadAlive(), "a member's cleaner thread outlived it");
    }

    private boolean allCleaned()
    {
        for (int member = 0; member < 3; member++)
        {
            if (counters(member).getOrDefault("spindle-" + member + ": cleaner records removed", 0L) == 0)
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isCleanerThreadAlive()
    {
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().startsWith("spindle-log-cleaner-") && thread.isAlive())
            {
                return true;
            }
        }
        return false;
    }

    @Test
    void anErrorTheConsensusModuleRecordsIsInItsSectionOfTheMembersErrors()
    {
        cluster = new TestCluster(dir, 3);
        final int leader = cluster.start();
        final String expected = "expected schemaId=111, actual=999";
        final Path memberDir = cluster.memberDir(leader);
        final String aeronDir = cluster.node(leader).aeronDirectoryName();
        final String endpoint = cluster.endpoint(leader);
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir)
            .errorHandler(Throwable::printStackTrace));
            Publication ingress = aeron.addPublication(Transport.udpChannel(
                endpoint.substring(0, endpoint.indexOf(':')), Integer.parseInt(endpoint.substring(
                endpoint.indexOf(':') + 1))), AeronCluster.Configuration.INGRESS_STREAM_ID_DEFAULT))
        {
            // An SBE header of a schema the consensus module does not know, sent to the leader's ingress.
            final UnsafeBuffer foreign = new UnsafeBuffer(new byte[8]);
            foreign.putShort(0, (short)0, ByteOrder.LITTLE_ENDIAN);
            foreign.putShort(2, (short)1, ByteOrder.LITTLE_ENDIAN);
            foreign.putShort(4, (short)999, ByteOrder.LITTLE_ENDIAN);
            foreign.putShort(6, (short)1, ByteOrder.LITTLE_ENDIAN);
            cluster.await(() -> ingress.offer(foreign) > 0, "the foreign message to be sent");
            cluster.await(() -> section(errors(memberDir, aeronDir), MemberErrorLogs.CONSENSUS_MODULE)
                .contains(expected), "the consensus module to record the foreign message");
        }

        final String errors = errors(memberDir, aeronDir);
        assertTrue(section(errors, MemberErrorLogs.CONSENSUS_MODULE).contains(
            "io.aeron.cluster.client.ClusterEvent: WARN - " + expected), errors);
        for (final String other : new String[]{
            MemberErrorLogs.SERVICE_CONTAINER, MemberErrorLogs.ARCHIVE, MemberErrorLogs.MEDIA_DRIVER })
        {
            assertTrue(section(errors, other).contains("distinct errors observed."), other + " section: " + errors);
            assertTrue(!section(errors, other).contains(expected), other + " section: " + errors);
        }

        cluster.close();
        final String afterStop = errors(memberDir, null);
        assertTrue(section(afterStop, MemberErrorLogs.CONSENSUS_MODULE).contains(expected),
            "still readable once the member stopped: " + afterStop);
    }

    /**
     * The text of one part's section: from its title line to the next section's.
     */
    static String section(final String errors, final String title)
    {
        final int start = errors.indexOf("\n" + title + " (");
        if (start < 0)
        {
            return "";
        }
        int end = errors.length();
        for (final String other : new String[]{ MemberErrorLogs.CONSENSUS_MODULE, MemberErrorLogs.SERVICE_CONTAINER,
            MemberErrorLogs.ARCHIVE, MemberErrorLogs.MEDIA_DRIVER })
        {
            final int next = errors.indexOf("\n" + other + " (", start + 1);
            if (next > start && next < end)
            {
                end = next;
            }
        }
        return errors.substring(start, end);
    }

    private static String errors(final Path memberDir, final String aeronDir)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MemberErrorLogs.print(memberDir, aeronDir, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private long runCount(final int member, final String stage)
    {
        try
        {
            final Histogram[] histograms = StageLatencies.read(cluster.memberDir(member)).get(stage);
            return null == histograms || null == histograms[1] ? -1 : histograms[1].getTotalCount();
        }
        catch (final IllegalStateException ex)
        {
            return -1;
        }
    }

    /**
     * Every Spindle counter of a member's driver by label, partition counters as {@code spindle-N: partition T-P
     * KIND}.
     */
    private Map<String, Long> counters(final int member)
    {
        final Map<String, Long> values = new HashMap<>();
        try (CncFile cnc = CncFile.open(cluster.node(member).aeronDirectoryName()))
        {
            cnc.counters().forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (BrokerCounters.SPINDLE_COUNTER_TYPE_ID == typeId ||
                    BrokerCounters.PARTITION_COUNTER_TYPE_ID == typeId)
                {
                    values.put(label, cnc.counters().getCounterValue(counterId));
                }
            });
        }
        return values;
    }

    private static <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }
}
