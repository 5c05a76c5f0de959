package io.spindle.tools;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.spindle.client.Consumer;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.IsolationLevel;

/**
 * A consume-transform-produce process for {@link ExactlyOnceTransformProcessTest}, run as its own JVM so the test
 * can kill it with SIGKILL: a read_committed group consumer of topic {@code in} without auto-commit, and a
 * transactional producer with a fixed transactional id, which for each polled batch writes {@code "T(" + value +
 * ")"} of every input record to the same partition of {@code out} and commits the consumer's positions with the
 * transaction, as Kafka's exactly-once processing loop does.
 * <p>
 * Arguments: bootstrap, transactional id, group id, group instance id, and where to hang as a crash victim:
 * {@code open:T} holds transaction T open (its records flushed to the log, its offsets sent) instead of committing
 * it, {@code committed:T} stops right after transaction T commits, {@code none} never. Progress on standard output:
 * {@code ready}, then per transaction {@code sent T N} before the commit and {@code committed T N TOTAL} after it,
 * and {@code holding open T} or {@code holding committed T} when it hangs.
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
     * @param args bootstrap, transactional id, group id, group instance id, {@code open:T}, {@code committed:T} or
     *             {@code none}.
     * @throws InterruptedException if interrupted while holding a transaction open.
     */
    public static void main(final String[] args) throws InterruptedException
    {
        final String bootstrap = args[0];
        final String transactionalId = args[1];
        final String groupId = args[2];
        final String instanceId = args[3];
        final String hold = args[4];
        final int holdOpen = hold.startsWith("open:") ? Integer.parseInt(hold.substring("open:".length())) : -1;
        final int holdCommitted = hold.startsWith("committed:") ?
            Integer.parseInt(hold.substring("committed:".length())) : -1;

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
                producer.beginTransaction();
                for (int i = 0; i < values.size(); i++)
                {
                    final byte[] value = ("T(" + values.get(i) + ")").getBytes(StandardCharsets.UTF_8);
                    while (Producer.OK != producer.send("out", partitions.get(i), keys.get(i), value, null))
                    {
                        producer.poll();
                    }
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
                    System.out.println("holding open " + transaction);
                    Thread.sleep(HOLD_MS);
                }
                producer.commitTransaction();
                if (transaction == holdCommitted)
                {
                    // Hangs the moment its output is committed: the input offsets must have moved with it.
                    System.out.println("holding committed " + transaction);
                    Thread.sleep(HOLD_MS);
                }
                total += values.size();
                System.out.println("committed " + transaction + " " + values.size() + " " + total);
            }
        }
    }
}
