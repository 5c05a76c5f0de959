package io.spindle.host;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.ProducerCallback;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The produce → broker → consume path allocates nothing per message once warm, with the default (idempotent)
 * producer: measured with the JVM's per-thread allocation counters on the application thread and the broker's agent
 * thread; and reading records longer than a frame, whose pushes arrive in fragments, allocates nothing either.
 */
@Timeout(120)
class SteadyStateAllocationTest
{
    private static final int WARM_UP = 30_000;
    private static final int MEASURED = 30_000;
    private static final int LONG_RECORDS = 16;
    private static final int LONG_RECORD_BYTES = 96 * 1024;

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

    /**
     * A consumer that has been reading small records is sent records of 96 KiB (each its own push, longer than the
     * 64 KiB IPC frame, so each arrives in fragments the consumer puts together): reading them allocates nothing.
     * Aeron's {@code FragmentAssembler} made its buffer on the first fragmented message of a stream and grew it to the
     * longest so far, so this read allocated the first time such a push came, in steady state (after a stall, a
     * push of a backlog is longer than a frame).
     */
    @Test
    void aConsumerReadingRecordsLongerThanAFrameAllocatesNothingOnceWarm()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("long", 1, Map.of());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1)));
                Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                consumer.assign(List.of(new TopicPartition("long", 0)));
                final SteadyLoad load = new SteadyLoad(producer, consumer, "long");
                load.run(WARM_UP);
                assertEquals(WARM_UP, load.received());

                final UnsafeBuffer value = new UnsafeBuffer(new byte[LONG_RECORD_BYTES]);
                final ProducerCallback callback = (partition, offset, code) -> assertEquals(ErrorCode.NONE, code);
                for (int i = 0; i < LONG_RECORDS; i++)
                {
                    value.putInt(0, i);
                    while (Producer.BACK_PRESSURED ==
                        producer.send("long", 0, null, 0, -1, value, 0, value.capacity(), null, callback))
                    {
                        producer.poll();
                    }
                }
                producer.flush();

                final ThreadAllocations threads = ThreadAllocations.currentAnd((name) ->
                    name.contains("spindle-control") || name.contains("spindle-fetch"));
                final long[] before = threads.allocated();
                load.read(LONG_RECORDS);
                final long[] after = threads.allocated();
                final long allocated = ThreadAllocations.sum(after) - ThreadAllocations.sum(before);

                assertEquals(WARM_UP + LONG_RECORDS, load.received());
                System.out.printf("records of %d bytes: %d bytes allocated reading %d: %s%n",
                    LONG_RECORD_BYTES, allocated, LONG_RECORDS, threads.describe(before, after));
                assertTrue(allocated < 1024, "allocated " + allocated + " bytes reading " + LONG_RECORDS +
                    " records of " + LONG_RECORD_BYTES + " bytes: " + threads.describe(before, after));
            }
        }
    }
}
