package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordFlyweight;
import io.spindle.codecs.batch.RecordHeaders;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a producer does at the edges of its sizes and its thread, against a real broker: records up to
 * {@code max.record.size} over UDP, batches longer than a topic's {@code max.message.bytes}, records too
 * large, and calls from a thread that does not own the producer.
 */
@Timeout(120)
class ProducerLimitsTest
{
    @TempDir
    Path dir;

    @Test
    void maxInFlightBelowOneIsRefusedAtConnectInsteadOfHangingUntilTheDeliveryTimeout()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            for (final int acks : new int[]{ 1, -1 })
            {
                final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> Producer.connect(broker.ipc(new Producer.Context().acks(acks).maxInFlight(0))));
                assertEquals("invalid spindle.producer.max.in.flight=0: must be at least 1 (0 would never send)",
                    ex.getMessage());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1).maxInFlight(1))))
            {
                try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
                {
                    admin.createTopic("one", 1, Map.of());
                }
                assertEquals(0, producer.sendSync("one", 0, null, "x".getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    @Test
    void aCallbackThatCallsTheProducerIsRefusedAndEveryRecordIsStillSentIntactAndAnsweredOnce()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("calls", 1, Map.of());
            }
            // Few batches (four in flight, twelve in all) and a batch.size under one record, so sends often wait in
            // the producer's own work for a batch to come free: that is where answers, and so callbacks, arrive, with
            // the waiting send's record and the partition's open batch part way through. A callback's send there
            // used to overwrite them (its byte[] value rewrapped the waiting send's, or its batch was replaced).
            final int count = 3_000;
            final Map<String, Integer> answers = new HashMap<>();
            final List<String> accepted = new ArrayList<>();
            final int[] refused = new int[1];
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1).maxInFlight(4)
                .batchSize(256).lingerUs(60_000_000L))))
            {
                final byte[] value = new byte[300];
                for (int i = 0; i < count; i++)
                {
                    final String name = "L" + i;
                    System.arraycopy(name.getBytes(StandardCharsets.US_ASCII), 0, value, 0, name.length());
                    value[name.length()] = '/';
                    final int sent = producer.send("calls", 0, null, value, (p, offset, code) ->
                    {
                        answers.merge(name, 1, Integer::sum);
                        final IllegalStateException ex = assertThrows(IllegalStateException.class,
                            () -> producer.send("calls", 0, null, new byte[3], null));
                        assertTrue(ex.getMessage().startsWith("Producer.send called from a ProducerCallback"));
                        assertThrows(IllegalStateException.class, producer::poll);
                        refused[0]++;
                    });
                    if (Producer.OK == sent)
                    {
                        accepted.add(name);
                    }
                    else
                    {
                        producer.poll();
                    }
                }
                producer.flush();
            }

            assertEquals(accepted.size(), refused[0], "every callback's call refused");
            for (final String name : accepted)
            {
                assertEquals(1, answers.getOrDefault(name, 0), "answers for " + name);
            }
            assertEquals(accepted.size(), answers.size(), "answers for records the producer did not take");
            final List<String> stored = new ArrayList<>();
            for (final byte[] v : consume(broker.ipc(new Consumer.Context()), "calls", 1, accepted.size()))
            {
                assertEquals(300, v.length, "a record's value was changed");
                final String text = new String(v, StandardCharsets.US_ASCII);
                stored.add(text.substring(0, text.indexOf('/')));
            }
            assertEquals(accepted, stored);
        }
    }

    @Test
    void aRecordOf900KiBTravelsOverUdp()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.udp(new ClientContext())))
            {
                admin.createTopic("big", 1, Map.of());
            }
            final byte[] big = new byte[900 * 1024];
            new Random(15).nextBytes(big);
            try (Producer producer = Producer.connect(broker.udp(new Producer.Context().acks(-1))))
            {
                assertEquals(0, producer.sendSync("big", 0, null, big));
                assertEquals(1, producer.sendSync("big", 0, null, "after".getBytes(StandardCharsets.UTF_8)));
            }

            final List<byte[]> values = consume(broker.udp(new Consumer.Context()), "big", 1, 2);
            assertArrayEquals(big, values.get(0));
            assertEquals("after", new String(values.get(1), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aRecordOverMaxRecordSizeIsRefusedThroughItsCallbackAndTheProducerGoesOn()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("limits", 1, Map.of());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().maxRecordSize(1000))))
            {
                final ErrorCode[] code = {null};
                assertEquals(Producer.REFUSED, producer.send("limits", 0, null,
                    new byte[1000 - RecordBatch.RECORD_OVERHEAD + 1], (p, offset, error) -> code[0] = error));
                assertEquals(ErrorCode.RECORD_TOO_LARGE, code[0]);
                assertEquals(1, producer.failedCount());
                assertEquals(0, producer.sendSync("limits", 0, null, new byte[1000 - RecordBatch.RECORD_OVERHEAD]));
                assertEquals(1, producer.ackedCount());
            }

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> Producer.connect(broker.ipc(new Producer.Context().maxRecordSize(32 * 1024 * 1024))));
            assertTrue(ex.getMessage().contains("max.record.size 33554432"), ex.getMessage());
        }
    }

    /**
     * A topic whose {@code max.message.bytes} is far below the batch size: the producer splits what the broker
     * refuses, keeps every partition's order, and fails only the record too large on its own.
     */
    @ParameterizedTest
    @ValueSource(ints = {RecordBatch.COMPRESSION_NONE, RecordBatch.COMPRESSION_LZ4})
    void batchesLongerThanTheTopicAllowsAreSplitAndKeepTheirOrder(final int compression)
    {
        final int partitions = 2;
        final int count = 20_000;
        final int tooLargeIndex = 7_001;
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("narrow", partitions, Map.of("max.message.bytes", "1000"));
            }

            final Random random = new Random(5);
            final byte[][] values = new byte[count][];
            final ErrorCode[] codes = new ErrorCode[count];
            final long[] offsets = new long[count];
            final RecordHeaders headers = new RecordHeaders();
            final List<List<Integer>> completionOrder = new ArrayList<>();
            for (int p = 0; p < partitions; p++)
            {
                completionOrder.add(new ArrayList<>());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1)
                .compression(compression))))
            {
                for (int i = 0; i < count; i++)
                {
                    // Random bytes, so compression cannot bring a batch under the limit on its own.
                    values[i] = new byte[i == tooLargeIndex ? 1500 : 40 + random.nextInt(80)];
                    random.nextBytes(values[i]);
                    final byte[] index = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(index, 0, values[i], 0, index.length);
                    values[i][index.length] = '/';
                    // Every third record has a key and a header, which a split must carry over.
                    final boolean decorated = 0 == i % 3;
                    final byte[] key = decorated ? ("k" + i).getBytes(StandardCharsets.US_ASCII) : null;
                    headers.clear();
                    if (decorated)
                    {
                        headers.add("h", ("v" + i).getBytes(StandardCharsets.US_ASCII));
                    }
                    final int record = i;
                    while (producer.send("narrow", i % partitions, new UnsafeBuffer(null == key ? new byte[0] : key),
                        0, null == key ? -1 : key.length, new UnsafeBuffer(values[i]), 0, values[i].length,
                        decorated ? headers : null, (p, offset, code) ->
                        {
                            codes[record] = code;
                            offsets[record] = offset;
                            completionOrder.get(p).add(record);
                        }) == Producer.BACK_PRESSURED)
                    {
                        producer.poll();
                    }
                }
                producer.flush();
                assertEquals(count - 1, producer.ackedCount());
                assertEquals(1, producer.failedCount());
            }

            final long[] nextOffset = new long[partitions];
            for (int i = 0; i < count; i++)
            {
                if (i == tooLargeIndex)
                {
                    assertEquals(ErrorCode.RECORD_TOO_LARGE, codes[i]);
                    continue;
                }
                assertEquals(ErrorCode.NONE, codes[i], "record " + i);
                assertEquals(nextOffset[i % partitions]++, offsets[i], "offset of record " + i);
            }
            for (int p = 0; p < partitions; p++)
            {
                final List<Integer> order = completionOrder.get(p);
                for (int k = 1; k < order.size(); k++)
                {
                    assertTrue(order.get(k - 1) < order.get(k), "callbacks of partition " + p + " out of order: " +
                        order.get(k - 1) + " before " + order.get(k));
                }
            }

            for (int p = 0; p < partitions; p++)
            {
                final List<String> log = consume(broker.ipc(new Consumer.Context()),
                    List.of(new TopicPartition("narrow", p)), (int)nextOffset[p], ProducerLimitsTest::describe);
                int k = 0;
                for (int i = p; i < count; i += partitions)
                {
                    if (i != tooLargeIndex)
                    {
                        final String expected = (0 == i % 3 ? "k" + i + " h=v" + i : "null") + " " +
                            HexFormat.of().formatHex(values[i]);
                        assertEquals(expected, log.get(k), "partition " + p + " offset " + k);
                        k++;
                    }
                }
                assertEquals(k, log.size());
            }
        }
    }

    @Test
    void aProducerUsedFromASecondThreadFailsThereAndWritesOnlyWhatItsOwnerSent() throws Exception
    {
        final int threads = 4;
        final int perThread = 2_000;
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("shared", 1, Map.of());
            }
            final Throwable[] errors = new Throwable[threads];
            final int[] sent = new int[threads];
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                final CountDownLatch start = new CountDownLatch(1);
                final CountDownLatch finished = new CountDownLatch(threads);
                final List<Thread> senders = new ArrayList<>();
                for (int t = 0; t < threads; t++)
                {
                    final int id = t;
                    final Thread thread = new Thread(() ->
                    {
                        try
                        {
                            start.await();
                            for (int i = 0; i < perThread; i++)
                            {
                                final byte[] value = ("t" + id + "-" + i).getBytes(StandardCharsets.UTF_8);
                                while (producer.send("shared", 0, null, value, null) == Producer.BACK_PRESSURED)
                                {
                                    producer.poll();
                                }
                                sent[id]++;
                            }
                            producer.flush();
                        }
                        catch (final Throwable ex)
                        {
                            errors[id] = ex;
                        }
                        finally
                        {
                            // No thread ends before all are done: a terminated owner would hand its producer on.
                            finished.countDown();
                            awaitQuietly(finished);
                        }
                    }, "sender-" + t);
                    senders.add(thread);
                    thread.start();
                }
                start.countDown();
                for (final Thread thread : senders)
                {
                    thread.join(TimeUnit.SECONDS.toMillis(60));
                    assertFalse(thread.isAlive(), thread.getName() + " still running");
                }

                // The owner has terminated, so this thread takes the producer over (and closes it).
                assertEquals(perThread, producer.ackedCount());
            }

            int owner = -1;
            for (int t = 0; t < threads; t++)
            {
                if (null == errors[t])
                {
                    assertEquals(-1, owner, "two threads sent without an error");
                    owner = t;
                    continue;
                }
                assertEquals(ConcurrentModificationException.class, errors[t].getClass(), "thread " + t);
                assertEquals(0, sent[t], "thread " + t + " got a record in before failing");
            }
            assertTrue(owner >= 0, "one thread owns the producer: " + Arrays.toString(errors));
            assertEquals(perThread, sent[owner]);

            final List<byte[]> log = consumePartition(broker.ipc(new Consumer.Context()), "shared", 0, perThread);
            for (int i = 0; i < perThread; i++)
            {
                assertEquals("t" + owner + "-" + i, new String(log.get(i), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void anAdminBelongsToOneThreadUntilItsOwnerHandsItOver() throws Exception
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("a", 1, Map.of());

                final AtomicReference<Throwable> error = new AtomicReference<>();
                runOnOtherThread(() -> admin.createTopic("b", 1, Map.of()), error);
                assertEquals(ConcurrentModificationException.class, error.get().getClass());
                assertEquals(1, admin.listTopics().size(), "the refused call did nothing");

                admin.releaseOwnership();
                error.set(null);
                final CountDownLatch created = new CountDownLatch(1);
                final CountDownLatch done = new CountDownLatch(1);
                final Thread other = new Thread(() ->
                {
                    try
                    {
                        admin.createTopic("b", 1, Map.of());
                        created.countDown();
                        done.await();
                    }
                    catch (final Throwable ex)
                    {
                        error.set(ex);
                        created.countDown();
                    }
                }, "new-owner");
                other.start();
                assertTrue(created.await(30, TimeUnit.SECONDS));
                assertNull(error.get());
                assertThrows(ConcurrentModificationException.class, admin::listTopics);
                done.countDown();
                other.join(TimeUnit.SECONDS.toMillis(30));
                assertEquals(2, admin.listTopics().size());
            }
        }
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await(60, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void runOnOtherThread(final Runnable task, final AtomicReference<Throwable> error)
        throws InterruptedException
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                task.run();
            }
            catch (final Throwable ex)
            {
                error.set(ex);
            }
        }, "intruder");
        thread.start();
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }

    private static List<byte[]> consume(
        final Consumer.Context ctx, final String topic, final int partitions, final int count)
    {
        final List<TopicPartition> assignment = new ArrayList<>();
        for (int p = 0; p < partitions; p++)
        {
            assignment.add(new TopicPartition(topic, p));
        }
        return consume(ctx, assignment, count);
    }

    private static List<byte[]> consumePartition(
        final Consumer.Context ctx, final String topic, final int partition, final int count)
    {
        return consume(ctx, List.of(new TopicPartition(topic, partition)), count);
    }

    private static List<byte[]> consume(
        final Consumer.Context ctx, final List<TopicPartition> assignment, final int count)
    {
        return consume(ctx, assignment, count, ConsumerRecord::valueBytes);
    }

    private static <T> List<T> consume(
        final Consumer.Context ctx,
        final List<TopicPartition> assignment,
        final int count,
        final Function<ConsumerRecord, T> reader)
    {
        final List<T> values = new ArrayList<>();
        final Consumer.RecordHandler handler = (record) -> values.add(reader.apply(record));
        try (Consumer consumer = Consumer.connect(ctx.autoOffsetReset(Consumer.OffsetReset.EARLIEST)))
        {
            consumer.assign(assignment);
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.size() < count && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll(handler, 1000, 100);
            }
            consumer.poll(handler, 1000, 100);
        }
        assertEquals(count, values.size(), "records consumed");
        return values;
    }

    private static String describe(final ConsumerRecord record)
    {
        final StringBuilder text = new StringBuilder().append(record.keyAsString());
        final RecordFlyweight flyweight = record.flyweight();
        final DirectBuffer buffer = flyweight.buffer();
        while (flyweight.nextHeader())
        {
            text.append(' ').append(buffer.getStringWithoutLengthAscii(flyweight.headerKeyOffset(),
                flyweight.headerKeyLength())).append('=').append(buffer.getStringWithoutLengthAscii(
                flyweight.headerValueOffset(), flyweight.headerValueLength()));
        }
        return text.append(' ').append(HexFormat.of().formatHex(record.valueBytes())).toString();
    }
}
