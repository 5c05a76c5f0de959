/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.IsolationLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transactions against a real broker, as a user sees them: read_committed consumers see a committed transaction
 * whole and never an aborted or open one's records, and are held only at the last stable offset; transaction
 * markers reach no application; a newer instance of a transactional id fences the older one; a transaction left
 * open is aborted at its timeout; offsets sent with a transaction move only when it commits; an open transaction
 * survives a broker restart.
 */
@Timeout(120)
class TransactionsEndToEndTest
{
    private static final String TOPIC = "payments";
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dir;

    private TestBroker broker;

    @BeforeEach
    void start()
    {
        broker = TestBroker.start(dir.resolve("data"));
        try (Admin admin = Admin.connect(broker.udp(new ClientContext())))
        {
            admin.createTopic(TOPIC, 2, Map.of());
            admin.createTopic("out", 1, Map.of());
        }
    }

    @AfterEach
    void stop()
    {
        if (null != broker)
        {
            broker.close();
        }
    }

    @Test
    void readCommittedSeesCommittedTransactionsWholeAndNeverAbortedOnes()
    {
        try (Producer producer = Producer.connect(transactional("tx-1")))
        {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, 0, "c1");
            send(producer, 1, "c2");
            producer.commitTransaction();

            producer.beginTransaction();
            send(producer, 0, "a1");
            send(producer, 1, "a2");
            producer.flush();
            producer.abortTransaction();

            producer.beginTransaction();
            send(producer, 0, "c3");
            producer.commitTransaction();
        }
        try (Producer plain = Producer.connect(broker.udp(new Producer.Context())))
        {
            plain.sendSync(TOPIC, 1, null, bytes("p1"));
        }

        assertEquals(List.of("c1", "c3", "c2", "p1"), consume(IsolationLevel.READ_COMMITTED, 4));
        // Uncommitted reading sees the aborted records too, but no marker is ever handed over.
        assertEquals(List.of("c1", "a1", "c3", "c2", "a2", "p1"), consume(IsolationLevel.READ_UNCOMMITTED, 6));
    }

    @Test
    void readCommittedStopsAtAnOpenTransactionAndGoesOnWhenItCommits()
    {
        try (Producer plain = Producer.connect(broker.udp(new Producer.Context()));
            Producer producer = Producer.connect(transactional("tx-open"));
            Consumer consumer = Consumer.connect(consumerContext(IsolationLevel.READ_COMMITTED)))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            plain.sendSync(TOPIC, 0, null, bytes("before"));
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, 0, "inside");
            producer.flush();
            plain.sendSync(TOPIC, 0, null, bytes("after"));

            final List<String> seen = new ArrayList<>();
            // Never held before the last stable offset: what precedes the open transaction arrives.
            pollUntil(consumer, seen, 1);
            pollFor(consumer, seen, 500);
            assertEquals(List.of("0:before"), seen, "nothing of or after the open transaction");

            producer.commitTransaction();
            pollUntil(consumer, seen, 3);
            assertEquals(List.of("0:before", "0:inside", "0:after"), seen);
        }
    }

    @Test
    void aNewInstanceFencesTheOldOneAndAbortsWhatItLeftOpen()
    {
        try (Producer zombie = Producer.connect(transactional("tx-fence")))
        {
            zombie.initTransactions();
            zombie.beginTransaction();
            send(zombie, 0, "zombie");
            zombie.flush();

            try (Producer successor = Producer.connect(transactional("tx-fence")))
            {
                successor.initTransactions();
                successor.beginTransaction();
                send(successor, 0, "successor");
                successor.commitTransaction();
            }

            final SpindleException fenced = assertThrows(SpindleException.class, zombie::commitTransaction);
            assertEquals(ErrorCode.PRODUCER_FENCED, fenced.errorCode(), fenced.getMessage());
        }
        assertEquals(List.of("successor"), consume(IsolationLevel.READ_COMMITTED, 1));
    }

    @Test
    void aTransactionLeftOpenIsAbortedAtItsTimeout()
    {
        try (Producer producer = Producer.connect(transactional("tx-slow").transactionTimeoutMs(300)))
        {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, 0, "late");
            producer.flush();

            // Well past the timeout: the broker aborted the transaction and fenced the producer.
            sleep(1_500);
            final SpindleException error = assertThrows(SpindleException.class, producer::commitTransaction);
            assertEquals(ErrorCode.PRODUCER_FENCED, error.errorCode(), error.getMessage());
        }
        try (Producer plain = Producer.connect(broker.udp(new Producer.Context())))
        {
            plain.sendSync(TOPIC, 0, null, bytes("next"));
        }
        assertEquals(List.of("next"), consume(IsolationLevel.READ_COMMITTED, 1));
    }

    @Test
    void offsetsSentWithATransactionMoveOnlyWhenItCommits()
    {
        final TopicPartition input = new TopicPartition(TOPIC, 0);
        try (Producer producer = Producer.connect(transactional("tx-offsets"));
            Admin admin = Admin.connect(broker.udp(new ClientContext())))
        {
            producer.initTransactions();
            producer.beginTransaction();
            producer.sendSync("out", 0, null, bytes("derived-1"));
            producer.sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(7)), "transformers");
            producer.abortTransaction();
            assertEquals(Map.of(), admin.listGroupOffsets("transformers"), "an aborted transaction's offsets");

            producer.beginTransaction();
            producer.sendSync("out", 0, null, bytes("derived-2"));
            producer.sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(9)), "transformers");
            assertEquals(Map.of(), admin.listGroupOffsets("transformers"), "offsets of an open transaction");
            producer.commitTransaction();
            assertEquals(9L, admin.listGroupOffsets("transformers").get(input).offset());
        }
    }

    @Test
    void anOpenTransactionSurvivesABrokerRestartAndCommits()
    {
        final int port = broker.port();
        final Producer.Context ctx = transactional("tx-restart").deliveryTimeoutMs(30_000);
        try (Producer producer = Producer.connect(ctx))
        {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, 0, "r1");
            producer.flush();

            broker.close();
            broker = TestBroker.start(dir.resolve("data"), new io.spindle.log.LogConfig(), port, 0);

            send(producer, 0, "r2");
            producer.commitTransaction();
        }
        assertEquals(List.of("r1", "r2"), consume(IsolationLevel.READ_COMMITTED, 2));
    }

    private Producer.Context transactional(final String id)
    {
        return broker.udp(new Producer.Context().transactionalId(id));
    }

    private Consumer.Context consumerContext(final IsolationLevel level)
    {
        return broker.udp(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST)
            .isolationLevel(level));
    }

    private List<String> consume(final IsolationLevel level, final int expected)
    {
        final List<String> seen = new ArrayList<>();
        try (Consumer consumer = Consumer.connect(consumerContext(level)))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)));
            pollUntil(consumer, seen, expected);
            // Then a little longer: anything more would be a record that must not be seen.
            pollFor(consumer, seen, 300);
        }
        // Partition 0's records, then partition 1's, each in offset order.
        final List<String> ordered = new ArrayList<>();
        for (final String prefix : new String[]{ "0:", "1:" })
        {
            for (final String value : seen)
            {
                if (value.startsWith(prefix))
                {
                    ordered.add(value.substring(2));
                }
            }
        }
        return ordered;
    }

    private static void pollUntil(final Consumer consumer, final List<String> seen, final int count)
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (seen.size() < count && System.nanoTime() - deadlineNs < 0)
        {
            consumer.poll((record) -> seen.add(label(record)), 100, 100);
        }
        assertTrue(seen.size() >= count, "records seen by now: " + seen);
    }

    private static void pollFor(final Consumer consumer, final List<String> seen, final long millis)
    {
        final long untilNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() - untilNs < 0)
        {
            consumer.poll((record) -> seen.add(label(record)), 100, 50);
        }
    }

    private static String label(final io.spindle.client.ConsumerRecord record)
    {
        return TOPIC.equals(record.topic()) && record.partition() <= 1 ?
            record.partition() + ":" + record.valueAsString() : record.valueAsString();
    }

    private static void send(final Producer producer, final int partition, final String value)
    {
        while (Producer.OK != producer.send(TOPIC, partition, null, bytes(value), null))
        {
            producer.poll();
        }
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
