/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.ProducerCallback;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.IsolationLevel;
import io.spindle.log.LogConfig;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seeded simulation of exactly-once production against a real standalone broker (issue 11): transactional
 * producers with distinct ids and a plain idempotent producer write random transactions over three partitions of
 * two topics: committed, aborted, left open past their timeout (the broker aborts them and fences the producer),
 * or cut short by a producer "crash" (closed or abandoned with its transaction open; a new instance of the id
 * aborts it). Some transactions carry consumer group offsets; the broker restarts now and then. A model records
 * what each producer was told. Read_committed consumers (one during the run, one at the end) and a
 * read_uncommitted one then check: no aborted or timed-out record is ever delivered to read_committed, every
 * committed transaction is seen whole and in per-partition send order, read_uncommitted sees every acknowledged
 * record once at its offset, no transaction marker reaches either, and a group's offsets are those of its last
 * committed transaction, never an aborted one's.
 * <p>
 * The default run uses fixed seeds; {@code -Dspindle.sim.seed=N} replays seed N (printed on failure), {@code
 * -Dspindle.sim.seed=A-B} runs seeds A to B, and
 * {@code -Dspindle.sim.steps=N} makes runs longer, {@code -Dspindle.sim.verbose=true} prints every step.
 */
@Timeout(120)
class TransactionSimulationTest
{
    private static final String SEED_PROPERTY = "spindle.sim.seed";
    private static final boolean VERBOSE = Boolean.getBoolean("spindle.sim.verbose");
    private static final String GROUP = "sim-group";
    private static final String PLAIN = "plain";
    private static final int TRANSACTIONAL_PRODUCERS = 3;
    private static final int NORMAL_TIMEOUT_MS = 60_000;
    private static final int SHORT_TIMEOUT_MS = 250;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final List<TopicPartition> PARTITIONS = List.of(
        new TopicPartition("sim-a", 0), new TopicPartition("sim-a", 1), new TopicPartition("sim-b", 0));

    @TempDir
    Path dir;

    private final Map<String, Rec> records = new HashMap<>();
    private final List<Txn> transactions = new ArrayList<>();
    private final Map<TopicPartition, Long> committedOffsets = new HashMap<>();
    private final List<TxProducer> producers = new ArrayList<>();
    private final List<Producer> zombies = new ArrayList<>();
    private final List<Delivered> midRunDelivered = new ArrayList<>();
    private final ArrayDeque<String> trace = new ArrayDeque<>();
    private final long startNs = System.nanoTime();
    private Random random;
    private MediaDriver clientDriver;
    private Aeron aeron;
    private TestBroker broker;
    private int port;
    private Producer plain;
    private long plainSequence;
    private Consumer midRun;
    private Admin admin;
    private int restarts;
    private int maxRestarts;
    private int maxTimeouts;
    private boolean restartUnderNextEnd;
    private volatile Throwable restartFailure;
    private int timeouts;
    private int crashes;

    static LongStream seeds()
    {
        final String seeds = System.getProperty(SEED_PROPERTY);
        if (null == seeds || seeds.isEmpty())
        {
            return LongStream.of(11L, 42L, 20261205L);
        }
        final int dash = seeds.indexOf('-', 1);
        return dash < 0 ? LongStream.of(Long.parseLong(seeds)) :
            LongStream.rangeClosed(Long.parseLong(seeds.substring(0, dash)), Long.parseLong(seeds.substring(dash + 1)));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void exactlyOnceHoldsThroughRandomTransactionsCrashesTimeoutsAndRestarts(final long seed)
    {
        random = new Random(seed);
        final int steps = Integer.getInteger("spindle.sim.steps", 70);
        try
        {
            broker = TestBroker.start(dir.resolve("data"));
            port = broker.port();
            // The clients' media driver, shared as the processes of one application would share it: a client that
            // launched a driver of its own would spend most of the run starting drivers.
            clientDriver = MediaDriver.launch(new MediaDriver.Context()
                .aeronDirectoryName(TestBroker.aeronDirFor(dir.resolve("clients")))
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BackoffIdleStrategy())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true));
            aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(clientDriver.aeronDirectoryName()));
            try (Admin setup = Admin.connect(clientContext(new ClientContext())))
            {
                setup.createTopic("sim-a", 2, Map.of());
                setup.createTopic("sim-b", 1, Map.of());
            }
            run(steps);
        }
        catch (final Throwable ex)
        {
            final AssertionError error = new AssertionError("simulation failed with seed " + seed + " (replay: -D" +
                SEED_PROPERTY + "=" + seed + "); last steps:\n  " + String.join("\n  ", trace), ex);
            throw error;
        }
        finally
        {
            closeAll();
        }
    }

    private void run(final int steps)
    {
        // Timeouts and restarts are the slow steps: a few per run of the default length.
        maxRestarts = Math.max(3, steps / 25);
        maxTimeouts = Math.max(2, steps / 35);
        plain = Producer.connect(producerContext());
        admin = Admin.connect(clientContext(new ClientContext()));
        midRun = Consumer.connect(consumerContext(IsolationLevel.READ_COMMITTED));
        midRun.assign(PARTITIONS);
        for (int i = 0; i < TRANSACTIONAL_PRODUCERS; i++)
        {
            final TxProducer producer = new TxProducer("tx-" + i);
            producer.start(NORMAL_TIMEOUT_MS);
            producers.add(producer);
        }

        for (int step = 0; step < steps; step++)
        {
            final int dice = random.nextInt(100);
            if (dice < 55)
            {
                transactionStep(producers.get(random.nextInt(producers.size())));
            }
            else if (dice < 70)
            {
                plainSends();
            }
            else if (dice < 80)
            {
                pollMidRun(20);
            }
            else if (dice < 86)
            {
                crash(producers.get(random.nextInt(producers.size())));
            }
            else if (dice < 90)
            {
                pokeZombie();
            }
            else if (dice < 95 && timeouts < maxTimeouts)
            {
                timeout(producers.get(random.nextInt(producers.size())));
            }
            else if (restarts < maxRestarts)
            {
                if (random.nextBoolean())
                {
                    restartBroker();
                }
                else
                {
                    restartUnderNextEnd = true;
                }
            }
        }

        for (final TxProducer producer : producers)
        {
            if (null != producer.open)
            {
                end(producer, random.nextBoolean());
            }
        }
        note("flush the plain producer");
        plain.flush();
        for (final Rec rec : records.values())
        {
            if (PLAIN.equals(rec.producer))
            {
                assertEquals(ErrorCode.NONE, rec.error, "the idempotent producer's record " + rec.value);
            }
        }
        checkGroupOffsets();
        closeProducers();
        verify();
    }

    private void transactionStep(final TxProducer producer)
    {
        if (null == producer.open)
        {
            note(producer.id + " begin");
            producer.producer.beginTransaction();
            producer.open = new Txn(producer.id, producer.instance, transactions.size());
            transactions.add(producer.open);
            send(producer, 1 + random.nextInt(4));
            return;
        }
        final int dice = random.nextInt(10);
        if (dice < 4)
        {
            send(producer, 1 + random.nextInt(6));
        }
        else if (dice < 6)
        {
            sendOffsets(producer);
        }
        else
        {
            end(producer, dice < 9);
        }
    }

    private void send(final TxProducer producer, final int count)
    {
        note(producer.id + " send " + count);
        for (int i = 0; i < count; i++)
        {
            final TopicPartition tp = PARTITIONS.get(random.nextInt(PARTITIONS.size()));
            final Txn txn = producer.open;
            final Rec rec = newRec(tp, producer.id, producer.id + "/" + producer.instance + "/" + txn.number + "/" +
                txn.records.size(), txn);
            txn.records.add(rec);
            send(producer.producer, rec);
        }
    }

    private void sendOffsets(final TxProducer producer)
    {
        final Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        for (final TopicPartition tp : PARTITIONS)
        {
            if (random.nextBoolean())
            {
                offsets.put(tp, new OffsetAndMetadata(random.nextInt(1_000)));
            }
        }
        if (offsets.isEmpty())
        {
            offsets.put(PARTITIONS.get(0), new OffsetAndMetadata(random.nextInt(1_000)));
        }
        note(producer.id + " sendOffsets " + offsets);
        producer.producer.sendOffsetsToTransaction(offsets, GROUP);
        for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry : offsets.entrySet())
        {
            producer.open.offsets.put(entry.getKey(), entry.getValue().offset());
        }
    }

    private void end(final TxProducer producer, final boolean commit)
    {
        final Txn txn = producer.open;
        note(producer.id + (commit ? " commit " : " abort ") + txn.records.size() + " records");
        final Thread restarter = restartUnderNextEnd ? restartInBackground(random.nextInt(4)) : null;
        restartUnderNextEnd = false;
        try
        {
            int attempts = 0;
            while (true)
            {
                try
                {
                    if (commit)
                    {
                        producer.producer.commitTransaction();
                    }
                    else
                    {
                        producer.producer.abortTransaction();
                    }
                    break;
                }
                catch (final SpindleException ex)
                {
                    // A broker that restarted keeps the open transaction: ending it again finishes it.
                    note(producer.id + " end failed: " + ex.errorCode() + " " + ex.getMessage());
                    assertTrue(++attempts < 3, "transaction " + txn.number + " could not end: " + ex);
                }
            }
        }
        finally
        {
            awaitRestart(restarter);
        }
        txn.outcome = commit ? Outcome.COMMITTED : Outcome.ABORTED;
        if (commit)
        {
            committedOffsets.putAll(txn.offsets);
            for (final Rec rec : txn.records)
            {
                assertEquals(ErrorCode.NONE, rec.error, "a record of committed transaction " + txn.number);
            }
        }
        producer.open = null;
        checkGroupOffsets();
    }

    private void plainSends()
    {
        final int count = 1 + random.nextInt(4);
        note("plain send " + count);
        for (int i = 0; i < count; i++)
        {
            final TopicPartition tp = PARTITIONS.get(random.nextInt(PARTITIONS.size()));
            send(plain, newRec(tp, PLAIN, PLAIN + "/" + plainSequence++, null));
        }
    }

    /**
     * A producer crashes: closed (its batches flushed) or abandoned with its transaction open. A new instance of
     * the id takes over, which must abort what the old one left open.
     */
    private void crash(final TxProducer producer)
    {
        crashes++;
        final boolean abandon = random.nextBoolean();
        note(producer.id + (abandon ? " abandoned" : " closed") + (null == producer.open ? "" :
            " with transaction " + producer.open.number + " open"));
        if (null != producer.open && random.nextBoolean())
        {
            send(producer, 1 + random.nextInt(3));
        }
        if (abandon)
        {
            zombies.add(producer.producer);
        }
        else
        {
            producer.producer.close();
        }
        abortedByTakeOver(producer);
        producer.start(NORMAL_TIMEOUT_MS);
    }

    private static void abortedByTakeOver(final TxProducer producer)
    {
        if (null != producer.open)
        {
            producer.open.outcome = Outcome.ABORTED;
            producer.open = null;
        }
    }

    /**
     * A fenced instance tries to go on: it must be refused, and nothing it sends may ever be committed.
     */
    private void pokeZombie()
    {
        if (zombies.isEmpty())
        {
            return;
        }
        final Producer zombie = zombies.get(random.nextInt(zombies.size()));
        note("zombie pokes");
        final Txn txn = new Txn("zombie", -1, transactions.size());
        txn.outcome = Outcome.ABORTED;
        transactions.add(txn);
        final TopicPartition tp = PARTITIONS.get(random.nextInt(PARTITIONS.size()));
        final Rec rec = newRec(tp, "zombie", "zombie/" + txn.number, txn);
        txn.records.add(rec);
        boolean refused = false;
        try
        {
            try
            {
                zombie.beginTransaction();
            }
            catch (final IllegalStateException ignore)
            {
                // It had a transaction open already (the one its successor aborted).
            }
            send(zombie, rec);
            zombie.commitTransaction();
        }
        catch (final SpindleException | IllegalStateException ex)
        {
            refused = true;
            note("zombie refused: " + ex.getMessage());
        }
        assertTrue(refused, "a fenced producer committed");
    }

    /**
     * A transaction left open past its timeout: the broker aborts it, so records after it reach read_committed,
     * and the producer that left it is fenced.
     */
    private void timeout(final TxProducer producer)
    {
        timeouts++;
        // Nothing else open, so the records sent after the transaction are held by it alone.
        for (final TxProducer other : producers)
        {
            if (null != other.open)
            {
                end(other, random.nextBoolean());
            }
        }
        note(producer.id + " restarts with a " + SHORT_TIMEOUT_MS + " ms transaction timeout");
        producer.producer.close();
        producer.start(SHORT_TIMEOUT_MS);
        producer.producer.beginTransaction();
        final Txn txn = new Txn(producer.id, producer.instance, transactions.size());
        transactions.add(txn);
        producer.open = txn;
        send(producer, 1 + random.nextInt(4));
        if (random.nextBoolean())
        {
            sendOffsets(producer);
        }
        producer.producer.flush();

        final List<String> sentinels = new ArrayList<>();
        for (final TopicPartition tp : PARTITIONS)
        {
            final Rec sentinel = newRec(tp, PLAIN, PLAIN + "/" + plainSequence++, null);
            sentinels.add(sentinel.value);
            send(plain, sentinel);
        }
        plain.flush();
        if (restarts < maxRestarts && 0 == random.nextInt(3))
        {
            // The transaction's deadline passes while the broker is down, or just after: it must still be aborted.
            restartBroker();
        }
        note("wait for the broker to time transaction " + txn.number + " out");
        awaitCondition(() ->
        {
            pollMidRun(10);
            for (final String value : sentinels)
            {
                if (midRunDelivered.stream().noneMatch((d) -> d.value.equals(value)))
                {
                    return false;
                }
            }
            return true;
        }, "read_committed to get past the timed-out transaction " + txn.number);

        txn.outcome = Outcome.ABORTED;
        SpindleException refused = null;
        try
        {
            producer.producer.commitTransaction();
        }
        catch (final SpindleException ex)
        {
            refused = ex;
        }
        assertNotNull(refused, "a timed-out transaction committed");
        assertEquals(ErrorCode.PRODUCER_FENCED, refused.errorCode(), refused.getMessage());
        producer.open = null;
        checkGroupOffsets();
        producer.producer.close();
        producer.start(NORMAL_TIMEOUT_MS);
    }

    private void restartBroker()
    {
        restarts++;
        note("broker restart");
        broker.close();
        broker = TestBroker.start(dir.resolve("data"), new LogConfig(), port, 0);
    }

    /**
     * Restart the broker while the simulation's thread ends a transaction: the request, its markers or its answer
     * may be lost with the broker, and the producer must end the transaction once, as it was asked to.
     */
    private Thread restartInBackground(final int delayMs)
    {
        restarts++;
        note("broker restart " + delayMs + " ms into the end of the transaction");
        final Thread restarter = new Thread(() ->
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delayMs));
            broker.close();
            broker = TestBroker.start(dir.resolve("data"), new LogConfig(), port, 0);
        }, "sim-broker-restart");
        restarter.setUncaughtExceptionHandler((thread, ex) -> restartFailure = ex);
        restarter.start();
        return restarter;
    }

    private void awaitRestart(final Thread restarter)
    {
        if (null != restarter)
        {
            try
            {
                restarter.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            assertTrue(!restarter.isAlive() && null == restartFailure, "broker restart: " + restartFailure);
        }
    }

    private void pollMidRun(final long millis)
    {
        final long untilNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        do
        {
            midRun.poll((record) ->
            {
                final Delivered delivered = delivered(record);
                // Delivered to read_committed now: it must already be committed, by what its producer was told.
                final Rec rec = records.get(delivered.value);
                assertNotNull(rec, "read_committed delivered something never sent: " + delivered);
                assertTrue(null == rec.txn || Outcome.COMMITTED == rec.txn.outcome,
                    () -> "read_committed delivered " + rec.value + " of a transaction that is " +
                    (null == rec.txn.outcome ? "open" : rec.txn.outcome));
                midRunDelivered.add(delivered);
            }, 100, 5);
        }
        while (System.nanoTime() - untilNs < 0);
    }

    private void checkGroupOffsets()
    {
        final Map<TopicPartition, Long> actual = new HashMap<>();
        for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry : admin.listGroupOffsets(GROUP).entrySet())
        {
            actual.put(entry.getKey(), entry.getValue().offset());
        }
        assertEquals(committedOffsets, actual, "group offsets: those of committed transactions only");
    }

    private void closeProducers()
    {
        for (final TxProducer producer : producers)
        {
            producer.producer.close();
        }
        producers.clear();
        for (final Producer zombie : zombies)
        {
            zombie.close();
        }
        zombies.clear();
        plain.close();
        plain = null;
    }

    private void verify()
    {
        final List<Delivered> uncommitted = readAll(IsolationLevel.READ_UNCOMMITTED);
        final List<Delivered> committed = readAll(IsolationLevel.READ_COMMITTED);
        note("verify: " + uncommitted.size() + " records uncommitted, " + committed.size() + " committed, " +
            transactions.size() + " transactions, " + restarts + " restarts, " + timeouts + " timeouts, " + crashes +
            " crashes");

        // Read_uncommitted: every acknowledged record once, at the offset it was acknowledged with; nothing else.
        final Map<String, Delivered> byValue = new HashMap<>();
        for (final Delivered delivered : uncommitted)
        {
            final Rec rec = records.get(delivered.value);
            assertNotNull(rec, "read_uncommitted delivered something never sent (a marker?): " + delivered);
            assertTrue(null == byValue.put(delivered.value, delivered), "delivered twice: " + delivered);
        }
        for (final Rec rec : records.values())
        {
            if (ErrorCode.NONE == rec.error)
            {
                final Delivered delivered = byValue.get(rec.value);
                assertNotNull(delivered, "read_uncommitted misses acknowledged record " + rec.value);
                assertEquals(rec.tp, delivered.tp, rec.value);
                assertEquals(rec.offset, delivered.offset, "offset of " + rec.value);
            }
        }

        // Read_committed: per partition, exactly the uncommitted sequence without what is not committed.
        final Map<TopicPartition, List<String>> expected = new TreeMap<>(TransactionSimulationTest::compare);
        for (final Delivered delivered : uncommitted)
        {
            final Rec rec = records.get(delivered.value);
            if (null == rec.txn || Outcome.COMMITTED == rec.txn.outcome)
            {
                expected.computeIfAbsent(delivered.tp, (tp) -> new ArrayList<>()).add(delivered.value);
            }
        }
        for (final Txn txn : transactions)
        {
            if (Outcome.COMMITTED == txn.outcome)
            {
                for (final Rec rec : txn.records)
                {
                    assertTrue(byValue.containsKey(rec.value), "committed " + rec.value + " is in the log");
                }
            }
        }
        assertEquals(expected, byPartition(committed), "read_committed at the end");
        assertEquals(expected, byPartition(midRunDelivered), "read_committed during the run");

        // Per partition, each producer's committed records in the order it sent them.
        for (final Map.Entry<TopicPartition, List<String>> entry : expected.entrySet())
        {
            final Map<String, List<String>> sentOrder = new HashMap<>();
            for (final Txn txn : transactions)
            {
                if (Outcome.COMMITTED == txn.outcome)
                {
                    for (final Rec rec : txn.records)
                    {
                        if (rec.tp.equals(entry.getKey()))
                        {
                            sentOrder.computeIfAbsent(rec.producer, (p) -> new ArrayList<>()).add(rec.value);
                        }
                    }
                }
            }
            final Map<String, List<String>> readOrder = new HashMap<>();
            for (final String value : entry.getValue())
            {
                final Rec rec = records.get(value);
                if (null != rec.txn)
                {
                    readOrder.computeIfAbsent(rec.producer, (p) -> new ArrayList<>()).add(value);
                }
            }
            assertEquals(sentOrder, readOrder, "send order in " + entry.getKey());
        }
    }

    private List<Delivered> readAll(final IsolationLevel level)
    {
        final List<Delivered> delivered = new ArrayList<>();
        try (Consumer consumer = Consumer.connect(consumerContext(level)))
        {
            consumer.assign(PARTITIONS);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(PARTITIONS);
            readTo(consumer, ends, (record) -> delivered.add(delivered(record)), level.toString());
            // The mid-run consumer reads on to the end as well.
            if (IsolationLevel.READ_COMMITTED == level)
            {
                readTo(midRun, ends, (record) -> midRunDelivered.add(delivered(record)), "the mid-run consumer");
            }
        }
        return delivered;
    }

    private static void readTo(
        final Consumer consumer,
        final Map<TopicPartition, Long> ends,
        final Consumer.RecordHandler handler,
        final String who)
    {
        awaitCondition(() ->
        {
            consumer.poll(handler, 500, 20);
            for (final TopicPartition tp : PARTITIONS)
            {
                if (consumer.position(tp) < ends.get(tp))
                {
                    return false;
                }
            }
            return true;
        }, who + " to read to the end " + ends);
    }

    private static Map<TopicPartition, List<String>> byPartition(final List<Delivered> delivered)
    {
        final Map<TopicPartition, List<String>> result = new TreeMap<>(TransactionSimulationTest::compare);
        final Map<TopicPartition, Long> lastOffset = new HashMap<>();
        for (final Delivered d : delivered)
        {
            final Long last = lastOffset.put(d.tp, d.offset);
            assertTrue(null == last || last < d.offset, "offsets go up in " + d.tp + ": " + last + " then " + d);
            result.computeIfAbsent(d.tp, (tp) -> new ArrayList<>()).add(d.value);
        }
        return result;
    }

    private static int compare(final TopicPartition a, final TopicPartition b)
    {
        final int byTopic = a.topic().compareTo(b.topic());
        return 0 != byTopic ? byTopic : Integer.compare(a.partition(), b.partition());
    }

    private Rec newRec(final TopicPartition tp, final String producer, final String value, final Txn txn)
    {
        final Rec rec = new Rec(tp, producer, value, txn);
        records.put(value, rec);
        return rec;
    }

    private static void send(final Producer producer, final Rec rec)
    {
        final byte[] value = rec.value.getBytes(StandardCharsets.UTF_8);
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (Producer.BACK_PRESSURED == producer.send(rec.tp.topic(), rec.tp.partition(), null, value, rec))
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "no batch slot for " + rec.value);
            producer.poll();
        }
    }

    private static Delivered delivered(final ConsumerRecord record)
    {
        return new Delivered(new TopicPartition(record.topic(), record.partition()), record.offset(),
            record.valueAsString());
    }

    private <T extends ClientContext> T clientContext(final T ctx)
    {
        broker.udp(ctx).aeron(aeron);
        return ctx;
    }

    private Producer.Context producerContext()
    {
        return clientContext(new Producer.Context().deliveryTimeoutMs(30_000));
    }

    private Consumer.Context consumerContext(final IsolationLevel level)
    {
        return clientContext(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST)
            .isolationLevel(level));
    }

    private void note(final String what)
    {
        final String line = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms: " + what;
        if (VERBOSE)
        {
            System.out.println(line);
        }
        trace.addLast(line);
        if (trace.size() > 60)
        {
            trace.removeFirst();
        }
    }

    private static void awaitCondition(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "timed out waiting for " + what);
        }
    }

    private void closeAll()
    {
        final List<AutoCloseable> closeables = new ArrayList<>();
        closeables.addAll(zombies);
        for (final TxProducer producer : producers)
        {
            closeables.add(producer.producer);
        }
        closeables.add(plain);
        closeables.add(midRun);
        closeables.add(admin);
        closeables.add(aeron);
        closeables.add(clientDriver);
        closeables.add(broker);
        for (final AutoCloseable closeable : closeables)
        {
            if (null != closeable)
            {
                try
                {
                    closeable.close();
                }
                catch (final Exception ignore)
                {
                    // Already failing: the first error is the one to report.
                }
            }
        }
    }

    private enum Outcome
    {
        COMMITTED, ABORTED
    }

    /**
     * One instance after another of a transactional id, and its open transaction.
     */
    private final class TxProducer
    {
        final String id;
        Producer producer;
        int instance = -1;
        Txn open;

        TxProducer(final String id)
        {
            this.id = id;
        }

        void start(final int timeoutMs)
        {
            instance++;
            note(id + " instance " + instance + " initTransactions");
            producer = Producer.connect(producerContext().transactionalId(id).transactionTimeoutMs(timeoutMs));
            producer.initTransactions();
        }
    }

    /**
     * A transaction as its producer was told it ended; null while open.
     */
    private static final class Txn
    {
        final String producer;
        final int instance;
        final int number;
        final List<Rec> records = new ArrayList<>();
        final Map<TopicPartition, Long> offsets = new HashMap<>();
        Outcome outcome;

        Txn(final String producer, final int instance, final int number)
        {
            this.producer = producer;
            this.instance = instance;
            this.number = number;
        }
    }

    /**
     * A record sent, and how its send ended.
     */
    private static final class Rec implements ProducerCallback
    {
        final TopicPartition tp;
        final String producer;
        final String value;
        final Txn txn;
        ErrorCode error;
        long offset = -1;

        Rec(final TopicPartition tp, final String producer, final String value, final Txn txn)
        {
            this.tp = tp;
            this.producer = producer;
            this.value = value;
            this.txn = txn;
        }

        public void onCompletion(final int partition, final long offset, final ErrorCode errorCode)
        {
            this.error = errorCode;
            this.offset = offset;
        }
    }

    private record Delivered(TopicPartition tp, long offset, String value)
    {
    }
}
