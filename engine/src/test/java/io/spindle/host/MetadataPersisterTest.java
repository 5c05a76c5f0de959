package io.spindle.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.monitor.CncFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle.meta} is written off the control agent's thread: an offset commit is answered only once the write
 * holding it is on disk, produce acknowledgements do not wait for that write, and a write that fails stops the
 * broker without acknowledging the commit (or, holding only a producer id, refuses that id and the broker goes
 * on). The writes go through the real file writer; a gate in front of it holds
 * or fails them.
 */
@Timeout(60)
class MetadataPersisterTest
{
    private static final String TOPIC = "orders";
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

    @TempDir
    Path dir;

    @Test
    void produceAcksDoNotWaitForAMetadataWriteWhileTheCommitWaitsForIt() throws Exception
    {
        final GatedWriter writer = new GatedWriter();
        try (TestBroker broker = TestBroker.start(dir.resolve("data"), (ctx) -> ctx.metadataWriter(writer)))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of());
            }

            // Connected first: an idempotent producer's id is persisted before it is handed out.
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                producer.sendSync(TOPIC, 0, null, "first".getBytes(StandardCharsets.UTF_8));
                writer.hold();
                final CompletableFuture<Void> commit = commitOnItsOwnThread(broker, "audit", 42, 30_000);
                assertTrue(writer.entered.await(10, TimeUnit.SECONDS), "the commit never reached the writer");

                // The write holding the commit is stuck in the file system: produces are acknowledged all the same.
                for (int i = 1; i <= 200; i++)
                {
                    assertEquals(i, producer.sendSync(TOPIC, 0, null, ("r-" + i).getBytes(StandardCharsets.UTF_8)));
                }
                assertFalse(commit.isDone(), "the commit was answered before its write completed: " + commit);

                writer.release();
                commit.get(10, TimeUnit.SECONDS);
            }
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                assertEquals(Map.of(PARTITION, new OffsetAndMetadata(42, "")), admin.listGroupOffsets("audit"));
            }
        }

        // And it is in the file a restarted broker reads.
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            assertEquals(Map.of(PARTITION, new OffsetAndMetadata(42, "")), admin.listGroupOffsets("audit"));
        }
    }

    /**
     * The writer's thread sleeps while there is nothing to write (a request wakes it): an idle broker's
     * {@code spindle-metadata} thread is woken about ten times a second, not the ~900 of a 1 ms backoff park, each a
     * chance to hold a CPU a consumer was about to need. Counted from the kernel's context switches of the thread.
     */
    @Test
    void theWritersThreadSleepsUntilAWriteIsRequested() throws Exception
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of());
            }
            final Path status = threadStatus("spindle-metadat");
            Assumptions.assumeTrue(null != status, "no /proc/self/task here");
            final long before = voluntarySwitches(status);
            Thread.sleep(1_000);
            final long wakeUps = voluntarySwitches(status) - before;
            assertTrue(wakeUps < 100, wakeUps + " wake-ups of the idle metadata writer in a second");
        }
    }

    private static Path threadStatus(final String comm) throws IOException
    {
        final Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks))
        {
            return null;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(tasks))
        {
            for (final Path task : stream)
            {
                if (comm.equals(Files.readString(task.resolve("comm")).trim()))
                {
                    return task.resolve("status");
                }
            }
        }
        return null;
    }

    private static long voluntarySwitches(final Path status) throws IOException
    {
        for (final String line : Files.readAllLines(status))
        {
            if (line.startsWith("voluntary_ctxt_switches:"))
            {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        throw new IllegalStateException("no voluntary_ctxt_switches in " + status);
    }

    @Test
    void aCommitWhoseWriteFailsIsNeverAcknowledgedAndTheBrokerStops() throws Exception
    {
        final GatedWriter writer = new GatedWriter();
        final CompletableFuture<String> fatal = new CompletableFuture<>();
        try (TestBroker broker = TestBroker.start(
            dir.resolve("data"), (ctx) -> ctx.metadataWriter(writer).terminationHook(fatal::complete)))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of());
                admin.alterGroupOffsets("audit", Map.of(PARTITION, new OffsetAndMetadata(7, "")));
            }

            writer.fail();
            final CompletableFuture<Void> commit = commitOnItsOwnThread(broker, "audit", 42, 3_000);
            final String line = fatal.get(10, TimeUnit.SECONDS);
            assertTrue(line.startsWith("cannot persist the broker's metadata") &&
                line.contains("injected: no space left"), line);
            final Throwable refused = commit.handle((ignore, ex) -> ex).get(20, TimeUnit.SECONDS);
            assertNotNull(refused, "the commit was acknowledged although its write failed");
        }

        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            assertEquals(Map.of(PARTITION, new OffsetAndMetadata(7, "")), admin.listGroupOffsets("audit"));
        }
    }

    @Test
    void aProducerIdWhoseWriteFailsIsRefusedAndTheBrokerGoesOn() throws Exception
    {
        final GatedWriter writer = new GatedWriter();
        try (TestBroker broker = TestBroker.start(dir.resolve("data"), (ctx) -> ctx.metadataWriter(writer)))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of());
            }

            // Only a producer id would be written: its answer is refused, nothing else depends on the write.
            writer.fail();
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                final SpindleException refused = assertThrows(SpindleException.class,
                    () -> producer.sendSync(TOPIC, 0, null, "refused".getBytes(StandardCharsets.UTF_8)));
                assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, refused.errorCode(), messages(refused));
                assertNull(broker.broker().failure());

                // The disk recovers: the same producer takes an id and sends.
                writer.release();
                assertEquals(0, producer.sendSync(TOPIC, 0, null, "after".getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    @Test
    void anEndTxnIsAnsweredOnlyOnceTheTransactionsOutcomeIsOnDisk() throws Exception
    {
        // Only the transaction's end changes the metadata: it must be on disk before the producer hears.
        assertHeldUntilWritten("the EndTxn", true, (producer) -> producer::commitTransaction);
    }

    @Test
    void aPartitionAddedToATransactionIsOnDiskBeforeTheProducerSendsToIt() throws Exception
    {
        // The first send to a partition in a transaction adds it to the transaction (AddPartitionsToTxn): a broker
        // that crashed after answering but before writing it would forget to end the transaction there.
        assertHeldUntilWritten("AddPartitionsToTxn", false,
            (producer) -> () -> producer.sendSync(TOPIC, 0, null, "in-txn".getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * A transactional producer's step, run while the metadata write is held in the file system, must ask for a write
     * and not complete until it is released, while plain produces are acknowledged all the while.
     */
    private void assertHeldUntilWritten(
        final String request, final boolean recordFirst, final Function<Producer, Runnable> step) throws Exception
    {
        final GatedWriter writer = new GatedWriter();
        try (TestBroker broker = TestBroker.start(dir.resolve("data"), (ctx) -> ctx.metadataWriter(writer)))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of());
            }
            try (Producer plain = Producer.connect(broker.ipc(new Producer.Context().acks(1)));
                Producer producer = Producer.connect(broker.ipc(new Producer.Context().transactionalId("tx"))))
            {
                producer.initTransactions();
                producer.beginTransaction();
                if (recordFirst)
                {
                    producer.sendSync(TOPIC, 0, null, "in-txn".getBytes(StandardCharsets.UTF_8));
                }

                writer.hold();
                producer.releaseOwnership();
                final Runnable call = step.apply(producer);
                final CompletableFuture<Void> done = onItsOwnThread(() ->
                {
                    call.run();
                    // Hand it back before the future completes: closing it on this thread must not race the
                    // calling thread's end.
                    producer.releaseOwnership();
                });
                assertTrue(writer.entered.await(10, TimeUnit.SECONDS),
                    request + " asked for no write: its answer left before its change was on disk");
                for (int i = 1; i <= 200; i++)
                {
                    plain.sendSync(TOPIC, 0, null, ("r-" + i).getBytes(StandardCharsets.UTF_8));
                }
                assertFalse(done.isDone(), request + " was answered before its write completed: " + done);

                writer.release();
                done.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void anEndTxnWhoseWriteFailsIsRefusedAndAnsweredOnceTheDiskRecovers() throws Exception
    {
        final GatedWriter writer = new GatedWriter();
        try (TestBroker broker = TestBroker.start(dir.resolve("data"), (ctx) -> ctx.metadataWriter(writer)))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().transactionalId("tx"))))
            {
                producer.initTransactions();
                producer.beginTransaction();
                producer.sendSync(TOPIC, 0, null, "in-txn".getBytes(StandardCharsets.UTF_8));

                writer.fail();
                final SpindleException refused = assertThrows(SpindleException.class, producer::commitTransaction);
                assertEquals(ErrorCode.KAFKA_STORAGE_ERROR, refused.errorCode(), messages(refused));
                assertNull(broker.broker().failure(), "the broker stopped");
                assertEquals(1, metadataCounter(broker, "write failures"));

                // The disk recovers: the commit asked again is answered as it was decided.
                writer.release();
                producer.commitTransaction();
            }
        }
    }

    @Test
    void aStalledDiskHoldsAtMostTheBoundOfAnswersAndRefusesTheRestUnapplied() throws Exception
    {
        final GatedWriter writer = new GatedWriter();
        try (TestBroker broker = TestBroker.start(
            dir.resolve("data"), (ctx) -> ctx.metadataWriter(writer).metadataMaxHeldAnswers(2)))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic(TOPIC, 1, Map.of());
                admin.alterGroupOffsets("before", Map.of(PARTITION, new OffsetAndMetadata(1, "")));
            }
            final long writesBefore = metadataCounter(broker, "writes");
            final long bytesBefore = metadataCounter(broker, "bytes written");
            assertTrue(writesBefore >= 2 && bytesBefore > 0, "a topic and a commit written: " + writesBefore +
                " writes, " + bytesBefore + " bytes");
            assertEquals(0, metadataCounter(broker, "answers held"));

            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1)));
                Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                writer.hold();
                final CompletableFuture<Void> first = commitOnItsOwnThread(broker, "first", 1, 30_000);
                assertTrue(writer.entered.await(10, TimeUnit.SECONDS), "the commit never reached the writer");
                final CompletableFuture<Void> second = commitOnItsOwnThread(broker, "second", 2, 30_000);
                awaitMetadataCounter(broker, "answers held", 2);

                // The bound is reached: a third commit is refused at once, unapplied; produces need no write.
                final SpindleException refused = assertThrows(SpindleException.class,
                    () -> admin.alterGroupOffsets("third", Map.of(PARTITION, new OffsetAndMetadata(3, ""))));
                assertEquals(ErrorCode.REQUEST_TIMED_OUT, refused.errorCode(), messages(refused));
                assertTrue(refused.getMessage().contains("not applied"), messages(refused));
                assertEquals(1, metadataCounter(broker, "requests refused (held answers full)"));
                assertEquals(0, producer.sendSync(TOPIC, 0, null, "produced".getBytes(StandardCharsets.UTF_8)));
                assertFalse(first.isDone() || second.isDone(), "answered before the write completed");
                assertEquals(2, metadataCounter(broker, "answers held"));

                writer.release();
                first.get(10, TimeUnit.SECONDS);
                second.get(10, TimeUnit.SECONDS);
                awaitMetadataCounter(broker, "answers held", 0);
                assertEquals(Map.of(), admin.listGroupOffsets("third"), "the refused commit was applied");
                assertEquals(Map.of(PARTITION, new OffsetAndMetadata(2, "")), admin.listGroupOffsets("second"));
            }
            assertTrue(metadataCounter(broker, "writes") >= writesBefore + 2, "the held write and the next");
            assertTrue(metadataCounter(broker, "bytes written") > bytesBefore);
            // The held write took at least as long as the test held it: the longest write of its second shows it.
            awaitMetadataCounterAtLeast(broker, "longest write us (last second)", 1_000);
        }
    }

    private static long metadataCounter(final TestBroker broker, final String name)
    {
        final String suffix = ": metadata " + name;
        final long[] value = { Long.MIN_VALUE };
        try (CncFile cnc = CncFile.open(broker.aeronDir()))
        {
            cnc.counters().forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (BrokerCounters.SPINDLE_COUNTER_TYPE_ID == typeId && label.endsWith(suffix))
                {
                    value[0] = cnc.counters().getCounterValue(counterId);
                }
            });
        }
        assertTrue(Long.MIN_VALUE != value[0], "no counter labelled ..." + suffix);
        return value[0];
    }

    private static void awaitMetadataCounter(final TestBroker broker, final String name, final long expected)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (metadataCounter(broker, name) != expected && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(5);
        }
        assertEquals(expected, metadataCounter(broker, name), name);
    }

    private static void awaitMetadataCounterAtLeast(final TestBroker broker, final String name, final long least)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (metadataCounter(broker, name) < least && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(5);
        }
        assertTrue(metadataCounter(broker, name) >= least, name + ": " + metadataCounter(broker, name));
    }

    private static CompletableFuture<Void> onItsOwnThread(final Runnable call)
    {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                call.run();
                done.complete(null);
            }
            catch (final Throwable ex)
            {
                done.completeExceptionally(ex);
            }
        }, "caller");
        thread.setDaemon(true);
        thread.start();
        return done;
    }

    private static String messages(final Throwable error)
    {
        final StringBuilder text = new StringBuilder();
        for (Throwable cause = error; null != cause; cause = cause.getCause())
        {
            text.append(cause).append("; ");
        }
        return text.toString();
    }

    private static CompletableFuture<Void> commitOnItsOwnThread(
        final TestBroker broker, final String group, final long offset, final long timeoutMs)
    {
        final CompletableFuture<Void> commit = new CompletableFuture<>();
        final Thread thread = new Thread(() ->
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext()).requestTimeoutMs(timeoutMs)))
            {
                admin.alterGroupOffsets(group, Map.of(PARTITION, new OffsetAndMetadata(offset, "")));
                commit.complete(null);
            }
            catch (final Throwable ex)
            {
                commit.completeExceptionally(ex);
            }
        }, "committer");
        thread.setDaemon(true);
        thread.start();
        return commit;
    }

    /**
     * The real atomic writer behind a gate: open, holding the next write until released, or failing every write.
     */
    private static final class GatedWriter implements MetadataPersister.Writer
    {
        private static final int OPEN = 0;
        private static final int HOLD = 1;
        private static final int FAIL = 2;

        final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final AtomicInteger mode = new AtomicInteger(OPEN);

        void hold()
        {
            mode.set(HOLD);
        }

        void fail()
        {
            mode.set(FAIL);
        }

        void release()
        {
            mode.set(OPEN);
            released.countDown();
        }

        public void write(final Path file, final byte[] bytes, final int length) throws IOException
        {
            final int current = mode.get();
            if (FAIL == current)
            {
                throw new IOException("injected: no space left");
            }
            if (HOLD == current)
            {
                entered.countDown();
                try
                {
                    if (!released.await(30, TimeUnit.SECONDS))
                    {
                        throw new IOException("the test never released the write");
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", ex);
                }
            }
            MetadataPersister.writeAtomically(file, bytes, length);
        }
    }
}
