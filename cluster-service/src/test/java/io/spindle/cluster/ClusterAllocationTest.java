package io.spindle.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.host.SteadyLoad;
import io.spindle.host.ThreadAllocations;
import io.spindle.log.LogConfig;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replicated produce → apply → fetch path allocates nothing per message once warm, with the default (idempotent)
 * producer: the JVM's per-thread allocation counters on the member's service thread (the state machine, session
 * dedup, producer state, responses), its gateway thread (the fetch server) and the test thread (the Producer over the
 * cluster connection, the Consumer).
 */
@Timeout(120)
class ClusterAllocationTest
{
    private static final int WARM_UP = 20_000;
    private static final int MEASURED = 20_000;

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
    void producingThroughTheClusterAndFetchingFromAMemberAllocateNothingPerMessageOnceWarm()
    {
        // Default segments: the harness's 16 KiB ones would roll every ~150 messages, and a roll allocates.
        cluster = new TestCluster(dir, 1).customise((ctx) -> ctx.logConfig(new LogConfig().maxMessageBytes(8 * 1024)));
        cluster.start();
        try (Admin admin = Admin.connect(client(new ClientContext())))
        {
            admin.createTopic("alloc", 1, Map.of());
        }
        // The default producer, idempotent since #11: the service checks every batch's sequence numbers.
        final Producer.Context producerCtx = client(new Producer.Context().acks(-1).maxRecordSize(8 * 1024));
        assertTrue(producerCtx.isIdempotent(), "the default producer is idempotent");
        try (Producer producer = Producer.connect(producerCtx);
            Consumer consumer = Consumer.connect(client(new Consumer.Context()
                .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
        {
            consumer.assign(List.of(new TopicPartition("alloc", 0)));
            final SteadyLoad load = new SteadyLoad(producer, consumer, "alloc");
            load.run(WARM_UP);

            final ThreadAllocations threads = ThreadAllocations.currentAnd((name) ->
                name.startsWith("clustered-service") || name.contains("spindle-member-gateway"));
            assertEquals(3, threads.size(), "the test, service and gateway threads: " +
                String.join(" ", threads.names()));
            final long[] before = threads.allocated();
            load.run(MEASURED);
            final long[] after = threads.allocated();
            final long allocated = ThreadAllocations.sum(after) - ThreadAllocations.sum(before);
            final String perThread = threads.describe(before, after);

            assertEquals(0, load.failed());
            assertEquals(WARM_UP + MEASURED, load.received());
            final double perMessage = allocated / (double)MEASURED;
            System.out.printf("cluster steady state: %d bytes over %d messages (%.3f B/msg): %s%n",
                allocated, MEASURED, perMessage, perThread);
            assertTrue(perMessage < 1.0, "allocated " + allocated + " bytes over " + MEASURED +
                " messages (" + perMessage + " B/msg): " + perThread);
        }
    }

    private <T extends ClientContext> T client(final T ctx)
    {
        ctx.bootstrap(cluster.bootstrap()).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 100_000));
        return ctx;
    }

}
