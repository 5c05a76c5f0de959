/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.log.FlushPolicy;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;

import static io.spindle.cluster.check.CheckResult.Anomaly.DIVERGENT;
import static io.spindle.cluster.check.CheckResult.Anomaly.DUPLICATE;
import static io.spindle.cluster.check.CheckResult.Anomaly.HWM_REGRESSION;
import static io.spindle.cluster.check.CheckResult.Anomaly.LOST;
import static io.spindle.cluster.check.CheckResult.Anomaly.OUT_OF_ORDER;
import static io.spindle.cluster.check.CheckResult.Anomaly.UNEXPECTED;
import static io.spindle.cluster.check.CheckResult.Anomaly.UNREADABLE;
import static io.spindle.cluster.check.CheckResult.Anomaly.WRONG_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker against three members' partition logs written with the engine's {@link PartitionLog}: a clean run
 * passes, and each kind of damage (a record missing on one member, at another offset, twice, out of producer order,
 * never sent, one byte different, a corrupt batch, a high-water mark going back) is found and counted, and nothing
 * else is.
 */
class ReplicationCheckerTest
{
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final String TOPIC = "orders";
    private static final int MEMBERS = 3;
    private static final int RECORDS_PER_BATCH = 3;

    /**
     * Two producers interleaved in partition 0: the log order every member should hold.
     */
    private static final List<String> LOG = List.of(
        "p1-000000", "p2-000000", "p1-000001", "p2-000001", "p1-000002", "p2-000002",
        "p1-000003", "p2-000003", "p1-000004", "p2-000004", "p1-000005", "p2-000005");

    /**
     * A third producer alone in partition 1.
     */
    private static final List<String> LOG_1 = List.of("p3-000000", "p3-000001", "p3-000002", "p3-000003");

    @TempDir
    Path dir;

    private final History history = new History();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
    private final RecordBatchBuilder builder = new RecordBatchBuilder();

    @AfterEach
    void tearDown()
    {
        builder.close();
    }

    @Test
    void shouldPassACleanHistory() throws IOException
    {
        writeAll(0, LOG);
        writeAll(1, LOG_1);
        acknowledge(0, LOG);
        acknowledge(1, LOG_1);
        history.failed("p1", 6, TOPIC, 0, bytes("p1-000006"));

        // An active segment left unclosed keeps its preallocated zeros: the log still ends at its last batch.
        final Path lastSegment = lastSegment(memberDir(2), 0);
        try (RandomAccessFile file = new RandomAccessFile(lastSegment.toFile(), "rw"))
        {
            file.setLength(file.length() + 4096);
        }

        final CheckResult result = check();

        assertTrue(result.isValid(), result::toString);
        assertEquals(16, result.acknowledged());
        assertEquals(16, result.found());
        assertEquals(1, result.failed());
        assertEquals(3, result.memberCount());
        assertEquals(2, result.partitionCount());
        assertEquals("acknowledged 16, found 16, lost 0, duplicates 0, in doubt 0 (0 present), divergent 0, " +
            "wrong offset 0, out of order 0, unexpected 0, failed 1, unreadable 0, hwm regressions 0 of 0 samples: " +
            "VALID", result.summary());
    }

    @Test
    void shouldFindARecordMissingOnOneMember()
    {
        final List<String> without = new ArrayList<>(LOG);
        without.remove("p2-000002");
        write(0, 0, LOG);
        write(1, 0, without);
        write(2, 0, LOG);
        acknowledge(0, LOG);

        final CheckResult result = check();

        assertFalse(result.isValid());
        assertEquals(1, result.lost(), result::toString);
        assertEquals(0, result.lost(0));
        assertEquals(1, result.lost(1));
        assertEquals(0, result.lost(2));
        assertEquals(List.of("orders-0 offset 5 \"p2-000002\" (p2 seq 2): absent on member 1"), result.examples(LOST));
        // Everything after the hole sits one offset lower on member 1.
        assertEquals(6, result.wrongOffset(), result::toString);
        assertEquals(6, result.wrongOffset(1));
        assertEquals(12 - 1 - 6, result.found());
        assertEquals(1, result.divergentPartitions());
        assertCount(result, 0, DUPLICATE, OUT_OF_ORDER, UNEXPECTED, UNREADABLE);
    }

    @Test
    void shouldFindRecordsAtAnotherOffsetThanAcknowledged()
    {
        final List<String> swapped = new ArrayList<>(LOG);
        Collections.swap(swapped, 2, 3);
        writeAll(0, swapped);
        acknowledge(0, LOG);

        final CheckResult result = check();

        assertEquals(2, result.wrongOffset(), result::toString);
        assertEquals(2, result.wrongOffset(0));
        assertEquals("orders-0 offset 2 \"p1-000001\" (p1 seq 1): at offset [3] on member 0, " +
            "at offset [3] on member 1, at offset [3] on member 2", result.examples(WRONG_OFFSET).get(0));
        assertEquals(10, result.found());
        assertCount(result, 0, LOST, DUPLICATE, OUT_OF_ORDER, UNEXPECTED, DIVERGENT, UNREADABLE);
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindADuplicatedRecord()
    {
        final List<String> twice = new ArrayList<>(LOG);
        twice.add("p1-000002");
        writeAll(0, twice);
        acknowledge(0, LOG);

        final CheckResult result = check();

        assertEquals(1, result.duplicates(), result::toString);
        assertEquals(List.of("orders-0 \"p1-000002\" at offsets [4, 12] on members [0, 1, 2]"),
            result.examples(DUPLICATE));
        assertEquals(12, result.found());
        assertCount(result, 0, LOST, WRONG_OFFSET, OUT_OF_ORDER, UNEXPECTED, DIVERGENT, UNREADABLE);
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindARecordOutOfProducerOrder()
    {
        final List<String> reordered = new ArrayList<>(LOG);
        Collections.swap(reordered, 6, 8);
        writeAll(0, reordered);
        acknowledge(0, reordered);

        final CheckResult result = check();

        assertEquals(1, result.outOfOrder(), result::toString);
        assertEquals(List.of("orders-0 offset 8 \"p1-000003\" (p1 seq 3) after seq 4 at offset 6 on members [0, 1, 2]"),
            result.examples(OUT_OF_ORDER));
        assertEquals(12, result.found());
        assertCount(result, 0, LOST, WRONG_OFFSET, DUPLICATE, UNEXPECTED, DIVERGENT, UNREADABLE);
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindARecordNeverSent()
    {
        final List<String> extra = new ArrayList<>(LOG);
        extra.add("ghost-000000");
        writeAll(0, extra);
        acknowledge(0, LOG);

        final CheckResult result = check();

        assertEquals(1, result.unexpected(), result::toString);
        assertEquals(List.of("orders-0 offset 12 \"ghost-000000\": never attempted on members [0, 1, 2]"),
            result.examples(UNEXPECTED));
        assertEquals(12, result.found());
        assertCount(result, 0, LOST, WRONG_OFFSET, DUPLICATE, OUT_OF_ORDER, DIVERGENT, UNREADABLE);
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindARecordWhoseAttemptFailed()
    {
        writeAll(0, LOG);
        acknowledge(0, LOG.subList(0, 11));
        history.failed("p2", 5, TOPIC, 0, bytes("p2-000005"));

        final CheckResult result = check();

        assertEquals(1, result.unexpected(), result::toString);
        assertEquals(1, result.failed());
        assertEquals(List.of("orders-0 offset 11 \"p2-000005\": its attempt failed on members [0, 1, 2]"),
            result.examples(UNEXPECTED));
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindARecordInAPartitionOtherThanAttempted()
    {
        writeAll(0, LOG);
        final List<String> misplaced = new ArrayList<>(LOG_1);
        misplaced.add("p2-000005");
        writeAll(1, misplaced);
        acknowledge(0, LOG);
        acknowledge(1, LOG_1);

        final CheckResult result = check();

        assertEquals(1, result.unexpected(), result::toString);
        assertEquals(16, result.found());
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindALogDifferingInOneByte()
    {
        write(0, 0, LOG);
        write(1, 0, LOG);
        write(2, 0, LOG, (batch) -> 1 == batch ? NOW_MS + 1 : NOW_MS, 2);
        acknowledge(0, LOG);

        final CheckResult result = check();

        assertEquals(1, result.divergentPartitions(), result::toString);
        assertEquals(List.of("orders-0: member 2 batch at offset 3 differs from its byte 16 (lengths 175 vs 175) " +
            "(compared with member 0)"), result.examples(DIVERGENT));
        assertEquals(12, result.found());
        assertCount(result, 0, LOST, WRONG_OFFSET, DUPLICATE, OUT_OF_ORDER, UNEXPECTED, UNREADABLE);
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindLogsRolledAtDifferentOffsets()
    {
        write(0, 0, LOG);
        write(1, 0, LOG, (batch) -> NOW_MS, 1);
        write(2, 0, LOG);
        acknowledge(0, LOG);

        final CheckResult result = check();

        assertEquals(1, result.divergentPartitions(), result::toString);
        assertEquals(List.of("orders-0: member 1 segments [0, 3, 6, 9] vs [0, 6] (compared with member 0)"),
            result.examples(DIVERGENT));
        assertEquals(12, result.found());
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindAMemberWithoutThePartition()
    {
        write(0, 0, LOG);
        write(1, 0, LOG);
        acknowledge(0, LOG);

        final CheckResult result = check();

        assertEquals(12, result.lost(), result::toString);
        assertEquals(12, result.lost(2));
        assertEquals(List.of("orders-0: member 2 has no partition directory, log end 0 vs 12, segments [] vs [0, 6] " +
            "(compared with member 0)"), result.examples(DIVERGENT));
    }

    @Test
    void shouldAcceptInDoubtRecordsPresentOrAbsent()
    {
        final List<String> withInDoubt = new ArrayList<>(LOG);
        withInDoubt.add("p1-000006");
        writeAll(0, withInDoubt);
        acknowledge(0, LOG);
        history.inDoubt("p1", 6, TOPIC, 0, bytes("p1-000006"));
        history.inDoubt("p2", 6, TOPIC, 0, bytes("p2-000006"));

        final CheckResult result = check();

        assertTrue(result.isValid(), result::toString);
        assertEquals(2, result.inDoubt());
        assertEquals(1, result.inDoubtPresent());
        assertEquals(1, result.inDoubtAbsent());
        assertEquals(12, result.found());
        assertTrue(result.summary().startsWith(
            "acknowledged 12, found 12, lost 0, duplicates 0, in doubt 2 (1 present), divergent 0"), result::summary);
    }

    @Test
    void shouldFindAnInDoubtRecordWrittenTwice()
    {
        final List<String> twice = new ArrayList<>(LOG);
        twice.add("p1-000006");
        twice.add("p1-000006");
        writeAll(0, twice);
        acknowledge(0, LOG);
        history.inDoubt("p1", 6, TOPIC, 0, bytes("p1-000006"));

        final CheckResult result = check();

        assertEquals(1, result.duplicates(), result::toString);
        assertEquals(1, result.inDoubtPresent());
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindACorruptBatch() throws IOException
    {
        writeAll(0, LOG);
        acknowledge(0, LOG);
        final Path segment = lastSegment(memberDir(1), 0);
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw"))
        {
            final long position = file.length() - 3;
            file.seek(position);
            final int b = file.read();
            file.seek(position);
            file.write(b ^ 0x01);
        }

        final CheckResult result = check();

        assertEquals(1, result.unreadable(), result::toString);
        assertEquals(List.of("orders-0 on member 1: 00000000000000000006.log position 175: CRC_MISMATCH; " +
            "read up to offset 9"), result.examples(UNREADABLE));
        assertEquals(3, result.lost(1));
        assertEquals(1, result.divergentPartitions());
        assertFalse(result.isValid());
    }

    @Test
    void shouldFindAHighWaterMarkGoingBackwards()
    {
        writeAll(0, LOG);
        acknowledge(0, LOG);
        final HighWaterMarkMonitor monitor = new HighWaterMarkMonitor();
        monitor.observe(0, TOPIC, 0, 5);
        monitor.observe(1, TOPIC, 0, 3);
        monitor.observe(0, TOPIC, 0, 7);
        monitor.observe(1, TOPIC, 0, 4);
        monitor.observe(0, TOPIC, 1, 2);
        monitor.observe(0, TOPIC, 0, 6);

        final CheckResult result = checker().highWaterMarks(monitor).check();

        assertEquals(1, result.hwmRegressions(), result::toString);
        assertEquals(6, result.hwmSamples());
        assertEquals(List.of("member 0 orders-0: high-water mark 7 then 6"), result.examples(HWM_REGRESSION));
        assertCount(result, 0, LOST, WRONG_OFFSET, DUPLICATE, OUT_OF_ORDER, UNEXPECTED, DIVERGENT, UNREADABLE);
        assertFalse(result.isValid());
    }

    @Test
    void shouldPollHighWaterMarksOnItsOwnThread() throws InterruptedException
    {
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch sampledAll = new CountDownLatch(1);
        final HighWaterMarkMonitor monitor = new HighWaterMarkMonitor();
        try
        {
            monitor.startPolling(
                (m) ->
                {
                    switch (calls.getAndIncrement())
                    {
                        case 0 -> m.observe(0, TOPIC, 0, 5);
                        case 1 -> throw new IllegalStateException("member 0 is down");
                        case 2 -> m.observe(0, TOPIC, 0, 7);
                        case 3 ->
                        {
                            m.observe(0, TOPIC, 0, 6);
                            sampledAll.countDown();
                        }
                        default ->
                        {
                        }
                    }
                },
                1);
            assertTrue(sampledAll.await(10, TimeUnit.SECONDS));
        }
        finally
        {
            monitor.close();
        }

        assertEquals(3, monitor.samples());
        assertEquals(1, monitor.regressions());
        assertEquals(List.of("member 0 orders-0: high-water mark 7 then 6"), monitor.regressionExamples());
        assertEquals(1, monitor.samplerFailures());
        assertEquals("member 0 is down", monitor.firstSamplerFailure().getMessage());
    }

    @Test
    void shouldRefuseAValueRecordedTwiceInAPartition()
    {
        history.acknowledged("p1", 0, TOPIC, 0, 0, bytes("p1-000000"));
        assertThrows(IllegalArgumentException.class, () -> history.inDoubt("p1", 0, TOPIC, 0, bytes("p1-000000")));
        history.inDoubt("p1", 0, TOPIC, 1, bytes("p1-000000"));
        assertEquals(2, history.size());
    }

    private CheckResult check()
    {
        return checker().check();
    }

    private ReplicationChecker checker()
    {
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < MEMBERS; m++)
        {
            checker.member(m, memberDir(m));
        }

        return checker;
    }

    private static void assertCount(
        final CheckResult result, final long expected, final CheckResult.Anomaly... anomalies)
    {
        for (final CheckResult.Anomaly anomaly : anomalies)
        {
            assertEquals(expected, result.count(anomaly), () -> anomaly + ": " + result);
        }
    }

    private Path memberDir(final int memberId)
    {
        return dir.resolve("member-" + memberId);
    }

    private void acknowledge(final int partition, final List<String> log)
    {
        for (int i = 0; i < log.size(); i++)
        {
            final String value = log.get(i);
            history.acknowledged(producer(value), sequence(value), TOPIC, partition, i, bytes(value));
        }
    }

    private void writeAll(final int partition, final List<String> values)
    {
        for (int m = 0; m < MEMBERS; m++)
        {
            write(m, partition, values);
        }
    }

    private void write(final int memberId, final int partition, final List<String> values)
    {
        write(memberId, partition, values, (batch) -> NOW_MS, 2);
    }

    /**
     * Write a member's log of a partition: the values in order, three records a batch.
     *
     * @param timestampOfBatch the timestamp of each batch's records, by batch index.
     * @param batchesPerSegment rolls after this many batches.
     */
    private void write(
        final int memberId,
        final int partition,
        final List<String> values,
        final Function<Integer, Long> timestampOfBatch,
        final int batchesPerSegment)
    {
        final LogConfig config = new LogConfig()
            .segmentBytes(64 * 1024)
            .maxMessageBytes(64 * 1024)
            .indexIntervalBytes(256)
            .retentionMs(LogConfig.UNLIMITED)
            .retentionBytes(LogConfig.UNLIMITED)
            .flushPolicy(FlushPolicy.NEVER);
        final Path partitionDir = ReplicationChecker.partitionDirectory(memberDir(memberId), TOPIC, partition);
        try (PartitionLog log = PartitionLog.open(partitionDir.toFile(), config, NOW_MS))
        {
            int batch = 0;
            for (int i = 0; i < values.size(); i += RECORDS_PER_BATCH)
            {
                if (batch > 0 && 0 == batch % batchesPerSegment)
                {
                    log.roll(NOW_MS);
                }

                builder.wrap(buffer, 0, buffer.capacity());
                for (final String value : values.subList(i, Math.min(values.size(), i + RECORDS_PER_BATCH)))
                {
                    assertTrue(builder.append(timestampOfBatch.apply(batch), null, bytes(value)));
                }
                final int length = builder.build();
                assertEquals(i, log.append(buffer, 0, length, NOW_MS));
                batch++;
            }
        }
    }

    private static Path lastSegment(final Path memberDir, final int partition) throws IOException
    {
        try (Stream<Path> files = Files.list(ReplicationChecker.partitionDirectory(memberDir, TOPIC, partition)))
        {
            return files.filter((p) -> p.toString().endsWith(".log")).max(Path::compareTo).orElseThrow();
        }
    }

    private static String producer(final String value)
    {
        return value.substring(0, value.indexOf('-'));
    }

    private static long sequence(final String value)
    {
        return Long.parseLong(value.substring(value.indexOf('-') + 1));
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.US_ASCII);
    }
}
