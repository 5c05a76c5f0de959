package io.spindle.host;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The produce → broker → consume path allocates nothing per message once warm, with the default (idempotent)
 * producer: measured with the JVM's per-thread allocation counters on the application thread and the broker's agent
 * thread.
 */
@Timeout(120)
class SteadyStateAllocationTest
{
    private static final int WARM_UP = 30_000;
    private static final int MEASURED = 30_000;

    @TempDir
    Path dir;

    @Test
    void produceAndConsumeAllocateNothingPerMessageOnceWarm()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("alloc", 1, Map.of());
            }
            // The default producer, idempotent since #11: its batches carry a producer id and sequence numbers.
            final Producer.Context producerCtx = broker.ipc(new Producer.Context().acks(1));
            assertTrue(producerCtx.isIdempotent(), "the default producer is idempotent");
            try (Producer producer = Producer.connect(producerCtx);
                Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                consumer.assign(List.of(new TopicPartition("alloc", 0)));
                final SteadyLoad load = new SteadyLoad(producer, consumer, "alloc");
                load.run(WARM_UP);

                final ThreadAllocations threads = ThreadAllocations.currentAnd((name) ->
                    name.contains("spindle-control") || name.contains("spindle-fetch"));
                assertTrue(threads.size() > 1, "broker agent thread not found");
                final long[] before = threads.allocated();
                load.run(MEASURED);
                final long[] after = threads.allocated();
                final long allocated = ThreadAllocations.sum(after) - ThreadAllocations.sum(before);

                assertEquals(0, load.failed());
                assertEquals(WARM_UP + MEASURED, load.received());
                final double perMessage = allocated / (double)MEASURED;
                System.out.printf("steady state: %d bytes over %d messages (%.3f B/msg): %s%n",
                    allocated, MEASURED, perMessage, threads.describe(before, after));
                assertTrue(perMessage < 1.0, "allocated " + allocated + " bytes over " + MEASURED +
                    " messages (" + perMessage + " B/msg): " + threads.describe(before, after));
            }
        }
    }

}
