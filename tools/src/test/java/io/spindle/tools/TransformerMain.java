package io.spindle.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.spindle.client.Consumer;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.IsolationLevel;

/**
 * A consume-transform-produce process for {@link ExactlyOnceTransformProcessTest}, run as its own JVM so the test
 * can kill it with SIGKILL: a read_committed group consumer of topic {@code in} without auto-commit, and a
 * transactional producer with a fixed transactional id, which for each polled batch writes {@code "T(" + value +
 * ")"} of every input record to the same partition of {@code out} and commits the consumer's positions with the
 * transaction, as Kafka's exactly-once processing loop does.
 * <p>
 * Arguments: bootstrap, transactional id, group id, group instance id, and where to hang as a crash victim until a
 * line arrives on standard input: {@code open:T} holds transaction T open (its records flushed to the log, its
 * offsets sent) before committing it, {@code committed:T} hangs right after transaction T commits,
 * {@code stall:T} hangs halfway through sending transaction T's records (the first half flushed), {@code none}
 * never. Progress on standard output: {@code ready}, then per transaction {@code sent T N} before the commit and
 * {@code committed T N TOTAL} after it, {@code holding open T}, {@code holding committed T} or
 * {@code stalled T N} (N records in the log) when it hangs. A transaction that fails is aborted and its input read
 * again from the committed offsets ({@code aborted T CODE}); when the producer was fenced (a newer instance has
 * taken its transactional id over) it prints {@code failed CODE MESSAGE} and exits with status 2.
 */
public final class TransformerMain
{
    private static final int BATCH_LIMIT = 400;
    private static final long HOLD_MS = 60_000;

    private TransformerMain()
    {
    }

    /**
     * Transform until killed.
     *
     * @param args bootstrap, transactional id, group id, group instance id, {@code open:T}, {@code committed:T},
     *             {@code stall:T} or {@code none}.
     * @throws InterruptedException if interrupted while hanging.
     */
    public static void main(final String[] args) throws InterruptedException
    {
        final String bootstrap = args[0];
        final String transactionalId = args[1];
        final String groupId = args[2];
        final String instanceId = args[3];
        final int holdOpen = holdAt(args[4], "open:");
        final int holdCommitted = holdAt(args[4], "committed:");
        final int stall = holdAt(args[4], "stall:");

        final Consumer.Context consumerCtx = new Consumer.Context()
            .isolationLevel(IsolationLevel.READ_COMMITTED)
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST)
            .groupId(groupId)
            .groupInstanceId(instanceId)
            .enableAutoCommit(false);
        consumerCtx.bootstrap(bootstrap).connectTimeoutMs(20_000);
        final Producer.Context producerCtx = new Producer.Context().transactionalId(transactionalId);
        producerCtx.bootstrap(bootstrap).connectTimeoutMs(20_000);

        try (Consumer consumer = Consumer.connect(consumerCtx);
            Producer producer = Producer.connect(producerCtx))
        {
            // Fences an earlier instance and aborts the transaction it left open, before reading what it committed.
            producer.initTransactions();
            consumer.subscribe(List.of("in"));
            System.out.println("ready");

            final List<Integer> partitions = new ArrayList<>();
            final List<String> values = new ArrayList<>();
            final List<byte[]> keys = new ArrayList<>();
            long total = 0;
            int transaction = 0;
            while (true)
            {
                partitions.clear();
                values.clear();
                keys.clear();
                consumer.poll((record) ->
                {
                    partitions.add(record.partition());
                    keys.add(record.keyBytes());
                    values.add(record.valueAsString());
                }, BATCH_LIMIT, 100);
                if (values.isEmpty())
                {
                    continue;
                }

                transaction++;
                try
                {
                    producer.beginTransaction();
                    for (int i = 0; i < values.size(); i++)
                    {
                        if (transaction == stall && i == values.size() / 2)
                        {
                            // A transformer that stalls (a long pause, say) while a newer instance takes over.
                            producer.flush();
                            hang("stalled " + transaction + " " + i);
                        }
                        final byte[] value = ("T(" + values.get(i) + ")").getBytes(StandardCharsets.UTF_8);
                        while (Producer.OK != producer.send("out", partitions.get(i), keys.get(i), value, null))
                        {
                            producer.poll();
                        }
                    }
                    if (transaction == stall)
                    {
                        // Back: the rest of its records go to the broker now, not at some later flush.
                        producer.flush();
                    }
                    final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                    for (final TopicPartition tp : consumer.assignment())
                    {
                        offsets.put(tp, new OffsetAndMetadata(consumer.position(tp)));
                    }
                    producer.sendOffsetsToTransaction(offsets, groupId);
                    System.out.println("sent " + transaction + " " + values.size());
                    if (transaction == holdOpen)
                    {
                        // A transformer that hangs mid-transaction: its output is in the log, uncommitted.
                        producer.flush();
                        hang("holding open " + transaction);
                    }
                    producer.commitTransaction();
                    if (transaction == holdCommitted)
                    {
                        // Hangs the moment its output is committed: the input offsets must have moved with it.
                        hang("holding committed " + transaction);
                    }
                }
                catch (final SpindleException ex)
                {
                    if (ErrorCode.PRODUCER_FENCED == ex.errorCode())
                    {
                        throw ex;
                    }
                    // Kafka's idiom: abort (which tells a fenced producer so), then read again from what committed.
                    producer.abortTransaction();
                    rewind(consumer);
                    System.out.println("aborted " + transaction + " " + ex.errorCode());
                    continue;
                }
                total += values.size();
                System.out.println("committed " + transaction + " " + values.size() + " " + total);
            }
        }
        catch (final SpindleException ex)
        {
            System.out.println("failed " + ex.errorCode() + " " + ex.getMessage());
            System.exit(2);
        }
    }

    private static void rewind(final Consumer consumer)
    {
        for (final TopicPartition tp : consumer.assignment())
        {
            final OffsetAndMetadata committed = consumer.committed(tp);
            if (null == committed)
            {
                consumer.seekToBeginning(List.of(tp));
            }
            else
            {
                consumer.seek(tp, committed.offset());
            }
        }
    }

    private static int holdAt(final String hold, final String prefix)
    {
        return hold.startsWith(prefix) ? Integer.parseInt(hold.substring(prefix.length())) : -1;
    }

    private static void hang(final String line) throws InterruptedException
    {
        final CountDownLatch released = new CountDownLatch(1);
        final Thread stdin = new Thread(() ->
        {
            try
            {
                System.in.read();
            }
            catch (final IOException ignore)
            {
                // Released all the same.
            }
            released.countDown();
        }, "release");
        stdin.setDaemon(true);
        stdin.start();
        System.out.println(line);
        released.await(HOLD_MS, TimeUnit.MILLISECONDS);
    }
}
