package io.spindle.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.InitProducerIdRequestDecoder;
import io.spindle.codecs.protocol.InitProducerIdResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.log.LogConfig;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replay determinism, the property the clustered host is built on: the same commands at the same times give
 * byte-identical snapshots and partition logs, whether a machine ran straight through or was restarted from a
 * snapshot in the middle (with the host's timers restored, as cluster timers are, or armed again, as the standalone
 * host does), and even when the host's clock steps back (cluster time on a leader change).
 */
class StateMachineReplayTest
{
    private static final long START_MS = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final BrokerRequests requests = new BrokerRequests();
    private final ExpandableArrayBuffer request = requests.buffer();
    private final int[][] nextSequences = new int[3][9];
    private final int[] transactionSequences = new int[9];
    private long transactionalProducerId = -1;
    private short transactionalEpoch;

    @ParameterizedTest(name = "timers survive restore: {0}")
    @ValueSource(booleans = { true, false })
    void aMachineRestartedFromASnapshotReplaysToTheSameBytes(final boolean timersSurviveRestore)
    {
        // -Dspindle.test.seed=S repeats a failed run: every assertion message names its seed.
        final long seed = Long.getLong("spindle.test.seed", System.nanoTime());
        final LogConfig config = new LogConfig().segmentBytes(4 * 1024).segmentMs(1_500).maxMessageBytes(2 * 1024)
            .indexIntervalBytes(256).conclude();
        final FakeHost hostA = new FakeHost(timersSurviveRestore);
        final FakeHost hostB = new FakeHost(timersSurviveRestore);
        final int steps = 600;
        final int restartAt = 200 + new Random(seed).nextInt(300);

        BrokerStateMachine a = null;
        BrokerStateMachine b = null;
        try
        {
            a = new BrokerStateMachine(dir.resolve("a"), 0, "h:1", config, hostA);
            b = new BrokerStateMachine(dir.resolve("b"), 0, "h:1", config, hostB);
            hostA.machine = a;
            hostB.machine = b;
            final Random random = new Random(seed);
            long nowMs = START_MS;
            for (int i = 0; i < steps; i++)
            {
                // Mostly forward; sometimes back, as cluster time does when a new leader's clock is behind.
                nowMs += random.nextInt(10) == 0 ? -random.nextInt(400) : random.nextInt(120);
                final int length = randomCommand(random, i, a);
                final long timeBeforeMs = a.timeMs();
                hostA.apply(requests.templateId(), request, length, nowMs);
                hostB.apply(requests.templateId(), request, length, nowMs);
                learnTransactionalProducer(hostA);
                assertTrue(a.timeMs() >= timeBeforeMs, "the state machine's time went back; seed " + seed);

                if (i == restartAt)
                {
                    final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer();
                    final int snapshotLength = b.snapshot(snapshot);
                    b.close();
                    hostB.restart();
                    b = new BrokerStateMachine(dir.resolve("b"), 0, "h:1", config, hostB);
                    hostB.machine = b;
                    // Restored at a later local time than the commands carry: nothing may depend on it.
                    b.restore(snapshot, 0, snapshotLength, nowMs + 5_000);
                    b.armRestoredTimers();
                    assertEquals(0, snapshotBytes(a).compareTo(snapshotBytes(b)),
                        "restored state differs from the running one; seed " + seed);
                }
            }

            assertTrue(hostA.retentionRuns > 0, "retention never ran; seed " + seed);
            assertArrayEquals(hostA.answers.toArray(new byte[0][]), hostB.answers.toArray(new byte[0][]),
                "answers differ; seed " + seed);
            assertEquals(0, snapshotBytes(a).compareTo(snapshotBytes(b)), "snapshots differ; seed " + seed);
            assertSameLogs(a, b, seed);
        }
        finally
        {
            if (null != a)
            {
                a.close();
            }
            if (null != b)
            {
                b.close();
            }
        }
    }

    @Test
    void retentionMovesTheLogStartOnlyWhenItsTimerFires()
    {
        final LogConfig config = new LogConfig().segmentBytes(1024).maxMessageBytes(1024).conclude();
        final FakeHost host = new FakeHost(false);
        try (BrokerStateMachine machine = new BrokerStateMachine(dir.resolve("r"), 0, "h:1", config, host))
        {
            host.machine = machine;
            apply(machine, requests.createTopic("r", 1, Map.of("retention.ms", "1000")));
            final int topicId = machine.topic("r").id();
            for (int i = 0; i < 40; i++)
            {
                apply(machine, requests.produce(topicId, 0, 5, START_MS));
            }
            final PartitionLog log = machine.topic("r").partition(0);
            assertTrue(log.segmentCount() > 2);
            assertEquals(0, log.logStartOffset());

            machine.onTick(START_MS + 60_000);
            assertEquals(0, log.logStartOffset(), "housekeeping on the local clock moved the log start");

            final Long deadline = host.timers.get(BrokerStateMachine.RETENTION_TIMER_ID);
            assertEquals(START_MS + BrokerStateMachine.RETENTION_CHECK_INTERVAL_MS, deadline);
            host.timers.remove(BrokerStateMachine.RETENTION_TIMER_ID);
            final long firedMs = START_MS + 60_000;
            machine.onTimer(BrokerStateMachine.RETENTION_TIMER_ID, firedMs);
            assertTrue(log.logStartOffset() > 0, "the retention timer did not apply retention");
            assertEquals(firedMs + BrokerStateMachine.RETENTION_CHECK_INTERVAL_MS,
                host.timers.get(BrokerStateMachine.RETENTION_TIMER_ID), "retention timer not armed again");
        }
    }

    @Test
    void aNewTopicNeverOpensLeftoverFilesAndRestoreDeletesDirectoriesItDoesNotKnow() throws IOException
    {
        final LogConfig config = new LogConfig().conclude();
        final FakeHost host = new FakeHost(false);
        final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer();
        final int snapshotLength;
        final Path data = dir.resolve("d");
        try (BrokerStateMachine machine = new BrokerStateMachine(data, 0, "h:1", config, host))
        {
            host.machine = machine;
            apply(machine, requests.createTopic("x", 1, Map.of()));
            final int id = machine.topic("x").id();
            apply(machine, requests.produce(id, 0, 7, START_MS));
            snapshotLength = machine.snapshot(snapshot);

            // The next topic's creation reached its files but never completed: its directory is left behind.
            apply(machine, requests.createTopic("y", 1, Map.of()));
            apply(machine, requests.produce(id + 1, 0, 3, START_MS));
        }
        assertTrue(Files.isDirectory(data.resolve("y-0")));

        try (BrokerStateMachine restored = new BrokerStateMachine(data, 0, "h:1", config, host))
        {
            host.machine = restored;
            restored.restore(snapshot, 0, snapshotLength, START_MS);
            assertFalse(Files.exists(data.resolve("y-0")), "a directory no topic owns survived the restore");
            assertEquals(7, restored.topic("x").partition(0).logEndOffset());
        }

        // A replayed or retried creation of a topic id whose directory is still there starts empty.
        try (BrokerStateMachine fresh = new BrokerStateMachine(dir.resolve("e"), 0, "h:1", config, host))
        {
            host.machine = fresh;
            apply(fresh, requests.createTopic("z", 1, Map.of()));
            apply(fresh, requests.produce(1, 0, 4, START_MS));
        }
        try (BrokerStateMachine again = new BrokerStateMachine(dir.resolve("e"), 0, "h:1", config, host))
        {
            host.machine = again;
            apply(again, requests.createTopic("z", 1, Map.of()));
            assertEquals(1, again.topic("z").id());
            assertEquals(0, again.topic("z").partition(0).logEndOffset(), "a new topic opened leftover data");
        }
    }

    @Test
    void restoreAdoptsDirectoriesWithoutATopicIdAndRefusesAnotherTopicsDirectory() throws IOException
    {
        final LogConfig config = new LogConfig().conclude();
        final FakeHost host = new FakeHost(false);
        final Path data = dir.resolve("legacy");
        try (BrokerStateMachine machine = new BrokerStateMachine(data, 0, "h:1", config, host))
        {
            host.machine = machine;
            apply(machine, requests.createTopic("old", 1, Map.of()));
            apply(machine, requests.produce(1, 0, 9, START_MS));
        }
        // Brokers before topic ids were recorded wrote no partition.metadata.
        Files.delete(data.resolve("old-0").resolve("partition.metadata"));

        // A version 1 snapshot (topics only), as brokers before topic-id directories wrote it.
        final ExpandableArrayBuffer v1 = new ExpandableArrayBuffer();
        int p = 0;
        v1.putInt(p, 0x53504e44);
        v1.putInt(p + 4, 1);
        v1.putInt(p + 8, 2);
        v1.putInt(p + 12, 1);
        v1.putInt(p + 16, 1);
        v1.putInt(p + 20, 1);
        p += 24;
        p += v1.putStringUtf8(p, "old");
        v1.putInt(p, 0);
        p += 4;

        try (BrokerStateMachine restored = new BrokerStateMachine(data, 0, "h:1", config, host))
        {
            host.machine = restored;
            restored.restore(v1, 0, p, START_MS);
            assertEquals(9, restored.topic("old").partition(0).logEndOffset());
            assertTrue(Files.readString(data.resolve("old-0").resolve("partition.metadata")).contains("topic_id: 1"));
        }

        // The same name under another id (the directory of an older incarnation) is refused, never served.
        Files.writeString(data.resolve("old-0").resolve("partition.metadata"), "version: 0\ntopic_id: 7\n");
        try (BrokerStateMachine restored = new BrokerStateMachine(data, 0, "h:1", config, host))
        {
            host.machine = restored;
            final int length = p;
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> restored.restore(v1, 0, length, START_MS));
            assertTrue(refused.getMessage().contains("holds topic id 7"), refused.getMessage());
        }
    }

    private void apply(final BrokerStateMachine machine, final int length)
    {
        machine.onRequest(1, requests.templateId(), request, 0, length, START_MS);
    }

    private static ExpandableArrayBuffer snapshotBytes(final BrokerStateMachine machine)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer();
        final int length = machine.snapshot(buffer);
        return new ExpandableArrayBuffer(Arrays.copyOf(buffer.byteArray(), length).length)
        {
            {
                putBytes(0, buffer, 0, length);
            }
        };
    }

    private static void assertSameLogs(final BrokerStateMachine a, final BrokerStateMachine b, final long seed)
    {
        for (final String name : new String[]{ "t0", "t1", "t2" })
        {
            final Topic topicA = a.topic(name);
            final Topic topicB = b.topic(name);
            assertEquals(null == topicA, null == topicB);
            if (null == topicA)
            {
                continue;
            }
            for (int p = 0; p < topicA.partitionCount(); p++)
            {
                final PartitionLog logA = topicA.partition(p);
                final PartitionLog logB = topicB.partition(p);
                assertArrayEquals(logA.segmentBaseOffsets(), logB.segmentBaseOffsets(),
                    name + "-" + p + " segments differ; seed " + seed);
                assertArrayEquals(readAll(logA), readAll(logB), name + "-" + p + " bytes differ; seed " + seed);
            }
        }
    }

    private static byte[] readAll(final PartitionLog log)
    {
        final LogReadResult result = new LogReadResult();
        final List<Byte> bytes = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.highWaterMark())
        {
            final int length = log.read(offset, 64 * 1024, result);
            assertTrue(length > 0, "read at " + offset + " returned " + length);
            final DirectBuffer buffer = result.buffer();
            for (int i = 0; i < length; i++)
            {
                bytes.add(buffer.getByte(i));
            }
            offset = result.nextOffset();
        }
        final byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = bytes.get(i);
        }
        return out;
    }

    private int randomCommand(final Random random, final int i, final BrokerStateMachine machine)
    {
        final int choice = i < 3 ? 0 : random.nextInt(40);
        if (choice <= 1)
        {
            return requests.createTopic("t" + random.nextInt(3), 1 + random.nextInt(3),
                random.nextBoolean() ? Map.of("retention.ms", "2000") : Map.of("retention.bytes", "8192"));
        }
        if (choice == 2)
        {
            return requests.deleteTopic("t" + random.nextInt(3));
        }
        // Mostly at live topics (ids change as topics are deleted and created again), sometimes at unknown ids.
        final int topicIndex = random.nextInt(3);
        final Topic topic = machine.topic("t" + topicIndex);
        final int topicId = null != topic && random.nextInt(10) > 0 ? topic.id() : 1 + random.nextInt(10);
        if (choice == 3)
        {
            return requests.listOffsets(topicId, random.nextInt(3));
        }
        if (choice == 4)
        {
            return requests.initProducerId("");
        }
        if (choice == 22)
        {
            // Topic changes: a partition added, overrides set or deleted (live logs take them at once), a refusal.
            final String name = "t" + topicIndex;
            final int count = null == topic ? 1 : topic.partitionCount();
            switch (random.nextInt(5))
            {
                case 0: return requests.alterTopic(name, Math.min(5, count + 1), Map.of(), List.of());
                case 1: return requests.alterTopic(name, 0, Map.of("retention.ms", "1500"), List.of());
                case 2: return requests.alterTopic(name, 0,
                    Map.of("segment.bytes", random.nextBoolean() ? "3072" : "8192", "retention.bytes", "6000"),
                    List.of());
                case 3: return requests.alterTopic(name, 0, Map.of(), List.of("retention.ms", "retention.bytes"));
                default: return requests.alterTopic(name, count, Map.of("retention.ms", "soon"), List.of());
            }
        }
        if (choice >= 15 && choice <= 21)
        {
            return transactionCommand(random, choice, topicIndex, topicId);
        }
        if (choice < 15)
        {
            // Idempotent producers 0 and 1: mostly the next batch, sometimes a retry of an earlier one, a gap, a
            // stale or newer epoch, or an id never handed out.
            final int partition = random.nextInt(3);
            final int slot = topicIndex * 3 + partition;
            final long producerId = random.nextInt(10) == 0 ? 50 : random.nextInt(2);
            final int[] next = nextSequences[(int)Math.min(producerId, 2)];
            final int records = 1 + random.nextInt(5);
            final int kind = random.nextInt(10);
            final int sequence = kind == 0 ? Math.max(0, next[slot] - records) :
                kind == 1 ? next[slot] + 3 : next[slot];
            final short epoch = (short)(kind == 2 ? 1 : 0);
            if (kind > 2)
            {
                next[slot] += records;
            }
            return requests.produce(topicId, partition, records, START_MS, producerId, epoch, sequence);
        }
        return requests.produce(topicId, random.nextInt(3), 1 + random.nextInt(20), START_MS);
    }

    /**
     * Commands of one transactional id, "tx": (re)initialise it, add partitions, write transactional batches (mostly
     * in sequence, sometimes a retry or a stale epoch), commit offsets with it, end it; its short timeout aborts what
     * is left open on a timer.
     */
    private int transactionCommand(final Random random, final int choice, final int topicIndex, final int topicId)
    {
        final int partition = random.nextInt(3);
        final int slot = topicIndex * 3 + partition;
        if (choice == 15 || transactionalProducerId < 0)
        {
            return requests.initProducerId("tx", 1_000 + random.nextInt(3_000));
        }
        final short epoch = (short)(random.nextInt(12) == 0 && transactionalEpoch > 0 ? transactionalEpoch - 1 :
            transactionalEpoch);
        switch (choice)
        {
            case 16:
                return requests.addPartitionsToTxn("tx", transactionalProducerId, epoch, topicId, partition);
            case 17:
            case 18:
            {
                final int records = 1 + random.nextInt(4);
                final int sequence = random.nextInt(8) == 0 ? Math.max(0, transactionSequences[slot] - records) :
                    transactionSequences[slot];
                transactionSequences[slot] += records;
                return requests.produceTransactional(topicId, partition, records, START_MS, transactionalProducerId,
                    epoch, sequence);
            }
            case 19:
                return requests.txnOffsetCommit("tx", transactionalProducerId, epoch, "g" + random.nextInt(2),
                    topicId, partition, random.nextInt(50));
            default:
                return requests.endTxn("tx", transactionalProducerId, epoch, random.nextBoolean());
        }
    }

    private void learnTransactionalProducer(final FakeHost host)
    {
        if (InitProducerIdRequestDecoder.TEMPLATE_ID != requests.templateId() || host.answers.isEmpty())
        {
            return;
        }
        final InitProducerIdResponseDecoder decoder = new InitProducerIdResponseDecoder().wrapAndApplyHeader(
            new UnsafeBuffer(host.answers.get(host.answers.size() - 1)), 0, new MessageHeaderDecoder());
        if (ErrorCode.NONE == decoder.errorCode() && decoder.producerEpoch() >= 0 &&
            requests.buffer().getStringUtf8(MessageHeaderDecoder.ENCODED_LENGTH +
            InitProducerIdRequestDecoder.BLOCK_LENGTH).equals("tx"))
        {
            transactionalProducerId = decoder.producerId();
            transactionalEpoch = decoder.producerEpoch();
            Arrays.fill(transactionSequences, 0);
        }
    }

    /**
     * A host whose timers fire in (deadline, id) order before each command whose time has reached them, as the
     * cluster's do (a timer is a command in the Raft log; the standalone host fires them at its next tick instead);
     * with {@code timersSurviveRestore} its timers outlive the machine, as cluster timers do, and without it the test
     * asks the restored machine to arm them again, as the standalone host does.
     */
    private static final class FakeHost implements Host
    {
        final boolean timersSurviveRestore;
        final TreeMap<Long, Long> timers = new TreeMap<>();
        final List<byte[]> answers = new ArrayList<>();
        BrokerStateMachine machine;
        int retentionRuns;

        FakeHost(final boolean timersSurviveRestore)
        {
            this.timersSurviveRestore = timersSurviveRestore;
        }

        void apply(final int templateId, final DirectBuffer request, final int length, final long nowMs)
        {
            while (true)
            {
                long dueId = Long.MIN_VALUE;
                long dueDeadline = Long.MAX_VALUE;
                for (final Map.Entry<Long, Long> timer : timers.entrySet())
                {
                    if (timer.getValue() <= nowMs && timer.getValue() < dueDeadline)
                    {
                        dueId = timer.getKey();
                        dueDeadline = timer.getValue();
                    }
                }
                if (Long.MIN_VALUE == dueId)
                {
                    break;
                }
                timers.remove(dueId);
                if (BrokerStateMachine.RETENTION_TIMER_ID == dueId)
                {
                    retentionRuns++;
                }
                machine.onTimer(dueId, nowMs);
            }
            machine.onRequest(7, templateId, request, 0, length, nowMs);
            machine.onTick(nowMs);
        }

        void restart()
        {
            if (!timersSurviveRestore)
            {
                timers.clear();
            }
        }

        public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            answers.add(copy);
        }

        public void scheduleTimer(final long correlationId, final long deadlineMs)
        {
            timers.put(correlationId, deadlineMs);
        }

        public void cancelTimer(final long correlationId)
        {
            timers.remove(correlationId);
        }

        public boolean timersSurviveRestore()
        {
            return timersSurviveRestore;
        }

        public void onStorageFailure(final String what, final Throwable cause)
        {
            throw new AssertionError("storage failure in a test that has none: " + what, cause);
        }
    }
}
