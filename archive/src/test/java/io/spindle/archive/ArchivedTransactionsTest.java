/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.host.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transactions whose records now live only in the archive tier: a read_committed consumer reading from the beginning
 * never sees the records of an aborted transaction, whether they are served from the local log or, after local
 * retention deleted their segments, from the archive, and across a broker restart; a read_uncommitted consumer sees
 * them, so they are really there.
 */
@Timeout(90)
class ArchivedTransactionsTest
{
    private static final String TOPIC = "tiered-txn";
    private static final int TRANSACTIONS = 12;
    private static final int RECORDS_PER_TRANSACTION = 3;
    private static final int PADDING = 40;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final String FILL = "x".repeat(200);

    @TempDir
    Path dir;

    @Test
    void readCommittedNeverSeesAbortedRecordsServedFromTheArchive() throws InterruptedException
    {
        final Path data = dir.resolve("data");
        final List<String> committed = new ArrayList<>();
        final List<String> everything = new ArrayList<>();
        long lastTransactionalOffset;
        try (TestBroker broker = startBroker(data))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of(
                    "segment.bytes", "4k", "max.message.bytes", "2k",
                    "remote.storage.enable", "true", "local.retention.bytes", "4k"));
            }

            // Committed and aborted transactions alternate over several 4k segments.
            try (Producer producer = Producer.connect(broker.ipc(
                new Producer.Context().transactionalId("archived-txn"))))
            {
                producer.initTransactions();
                for (int t = 0; t < TRANSACTIONS; t++)
                {
                    final boolean isCommit = 0 == t % 2;
                    producer.beginTransaction();
                    for (int r = 0; r < RECORDS_PER_TRANSACTION; r++)
                    {
                        final String value = (isCommit ? "committed-" : "aborted-") + t + "-" + r;
                        send(producer, value);
                        everything.add(value);
                        if (isCommit)
                        {
                            committed.add(value);
                        }
                    }
                    if (isCommit)
                    {
                        producer.commitTransaction();
                    }
                    else
                    {
                        producer.flush();
                        producer.abortTransaction();
                    }
                }
            }

            // Plain records after them roll the segments holding the transactions and their markers, so those are
            // sealed, archived and then deleted locally.
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext()));
                Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                lastTransactionalOffset = admin.listOffset(new TopicPartition(TOPIC, 0), -1) - 1;
                for (int i = 0; i < PADDING; i++)
                {
                    final String value = "plain-" + i;
                    producer.sendSync(TOPIC, 0, null, (value + FILL).getBytes(StandardCharsets.UTF_8));
                    committed.add(value);
                    everything.add(value);
                }
                final long markers = lastTransactionalOffset;
                await(() -> admin.describeTopic(TOPIC).partitions().get(0).localLogStartOffset() > markers,
                    "every transaction and its marker archived and deleted from the local log");
                assertEquals(0, admin.describeTopic(TOPIC).partitions().get(0).logStartOffset(),
                    "the log still starts at 0, in the archive");
            }

            assertEquals(committed, consume(broker, IsolationLevel.READ_COMMITTED, committed.size()),
                "read_committed from the archive: committed and plain records only, in order");
            assertEquals(everything, consume(broker, IsolationLevel.READ_UNCOMMITTED, everything.size()),
                "read_uncommitted from the archive: the aborted records are there");
        }

        // After a restart the broker still knows which archived transactions were aborted.
        try (TestBroker broker = startBroker(data))
        {
            assertEquals(committed, consume(broker, IsolationLevel.READ_COMMITTED, committed.size()),
                "read_committed from the archive after a restart");
        }
    }

    private static TestBroker startBroker(final Path data)
    {
        return TestBroker.start(data, (ctx) -> ctx.tieredStorage(ArchiveTier.factory(null)));
    }

    private static void send(final Producer producer, final String value)
    {
        final byte[] bytes = (value + FILL).getBytes(StandardCharsets.UTF_8);
        while (Producer.OK != producer.send(TOPIC, 0, null, bytes, null))
        {
            producer.poll();
        }
    }

    /**
     * Values read from the beginning until the expected count, then a little longer: a record more would be one that
     * must not be seen.
     */
    private static List<String> consume(final TestBroker broker, final IsolationLevel level, final int expected)
    {
        final List<String> seen = new ArrayList<>();
        try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST).isolationLevel(level))))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            final Consumer.RecordHandler handler = (record) ->
            {
                final String value = record.buffer().getStringWithoutLengthUtf8(
                    record.valueOffset(), record.valueLength());
                seen.add(value.substring(0, value.length() - FILL.length()));
            };
            final long deadlineNs = System.nanoTime() + WAIT_NS;
            while (seen.size() < expected && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll(handler, 100, 100);
            }
            final long settleNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() - settleNs < 0)
            {
                consumer.poll(handler, 100, 50);
            }
        }
        return seen;
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "timed out waiting: " + what);
            Thread.sleep(10);
        }
    }
}
