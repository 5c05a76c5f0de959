package io.spindle.host;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A consumer that long-polls (not streaming) costs the fetch server's thread no allocation per request once warm: not
 * for a fetch answered at once, not for one parked until records arrive, not for one that expires empty. The broker
 * runs its fetch server on a thread of its own ({@code DEDICATED}), whose allocation the JVM counts.
 */
@Timeout(120)
class LongPollAllocationTest
{
    private static final int WARM_UP = 20_000;
    private static final int MEASURED = 20_000;
    /**
     * Rounds measured until one allocates nothing. The JVM itself may allocate a few hundred bytes on the thread,
     * once, when it deoptimises and recompiles a method of the fetch path (seen with JFR on a loaded 2-core
     * machine: a {@code loop_limit_check} deoptimisation of {@code serviceLongPolls} in the measured window), which
     * is not a cost per request; an allocation per request, or per few requests, shows in every round.
     */
    private static final int ROUNDS = 3;
    private static final long IDLE_POLLS_NS = TimeUnit.MILLISECONDS.toNanos(600);

    @TempDir
    Path dir;

    @Test
    void longPollFetchesAllocateNothingPerRequestOnTheFetchThreadOnceWarm()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data"),
            (ctx) -> ctx.threadingMode(StandaloneBroker.BrokerThreadingMode.DEDICATED)))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("poll", 1, Map.of());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1)));
                Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
                    .streaming(false)
                    .fetchMaxWaitMs(5)
                    .fetchMaxBytes(4096)
                    .partitionMaxBytes(4096)
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                consumer.assign(List.of(new TopicPartition("poll", 0)));
                final SteadyLoad load = new SteadyLoad(producer, consumer, "poll");
                load.run(WARM_UP);
                pollIdle(consumer);

                final ThreadAllocations threads = ThreadAllocations.currentAnd("spindle-fetch"::equals);
                assertEquals(2, threads.size(), "the fetch server's thread not found");
                final AtomicCounter responses = broker.broker().counters().fetchResponses;
                final StringBuilder rounds = new StringBuilder();
                boolean clean = false;
                for (int round = 1; round <= ROUNDS && !clean; round++)
                {
                    final long[] before = threads.allocated();
                    final long atStart = responses.get();
                    load.run(MEASURED);
                    final long loaded = responses.get();
                    final long[] middle = threads.allocated();
                    pollIdle(consumer);
                    final long[] after = threads.allocated();
                    final long expired = responses.get() - loaded;
                    final long answered = loaded - atStart;

                    final String line = String.format("round %d: %d answered with records (%s), %d expired empty (%s)",
                        round, answered, threads.describe(before, middle), expired, threads.describe(middle, after));
                    System.out.println("long poll " + line);
                    rounds.append(line).append('\n');
                    assertEquals(0, load.failed());
                    assertEquals(WARM_UP + (long)MEASURED * round, load.received());
                    assertTrue(answered > 100, "too few long polls answered with records: " + answered);
                    assertTrue(expired > 10, "too few long polls expired empty: " + expired);

                    // Less than a byte a request: an allocation per request is 100 bytes or more (a pending fetch
                    // and its partitions), and one every few requests still shows in every round.
                    clean = after[1] - before[1] < answered + expired;
                }
                assertTrue(clean, "the fetch thread allocated in every one of " + ROUNDS + " rounds of long polls:\n" +
                    rounds);
            }
        }
    }

    /**
     * Poll with nothing to read: each fetch waits its maxWait out on the server and comes back empty.
     */
    private static void pollIdle(final Consumer consumer)
    {
        final Consumer.RecordHandler handler = (record) -> {};
        final long deadlineNs = System.nanoTime() + IDLE_POLLS_NS;
        while (System.nanoTime() - deadlineNs < 0)
        {
            if (0 == consumer.poll(handler, 16))
            {
                LockSupport.parkNanos(1_000_000);
            }
        }
    }
}
