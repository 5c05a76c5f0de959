/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.ControlRecord;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cleaner on a compacted partition with transactions, against a model of every record and marker appended and
 * of what the state machine would publish (last stable offset, aborted transactions). After every step, reading as
 * a read_committed consumer does (up to the last stable offset, skipping the aborted transactions the log lists
 * until their ABORT marker, one read at a time) from any offset gives only committed records and folds to the
 * model's committed records from there; reading as read_uncommitted gives only records the model holds at those
 * offsets; the latest committed record of every key and every record of an open transaction is still there; and a
 * cleaning never removes anything at or beyond the last stable offset it started with.
 */
class LogCleanerTransactionsTest
{
    private static final long START_MS = 1_700_000_000_000L;
    private static final long DELETE_RETENTION_MS = 1_500;
    private static final long[] TRANSACTIONAL_PRODUCERS = { 10, 11, 12 };
    private static final short EPOCH = 3;

    /**
     * A data record of the model.
     *
     * @param offset     of the record.
     * @param key        as text.
     * @param value      as text, null for a tombstone.
     * @param producerId of its batch, -1 outside transactions.
     */
    record Rec(long offset, String key, String value, long producerId)
    {
    }

    @TempDir
    File dir;

    private LogCleaner cleaner = LogCleaner.inline();
    private final RecordBatchBuilder builder = new RecordBatchBuilder();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64]);
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    private final RecordFlyweight records = new RecordFlyweight();
    private final LogReadResult result = new LogReadResult();

    private final TreeMap<Long, Rec> model = new TreeMap<>();
    private final Map<Long, String> status = new HashMap<>();
    private final Map<Long, List<Long>> openTransactions = new HashMap<>();
    private final List<long[]> aborted = new ArrayList<>();
    private final Set<Long> markerOffsets = new HashSet<>();
    private PartitionLog log;
    private long nowMs;
    private int abortedRecordsRemoved;
    private int markersRemoved;
    private int cleanings;

    @AfterEach
    void after()
    {
        if (null != log)
        {
            log.close();
        }
        builder.close();
        records.close();
        cleaner.close();
    }

    // A key map of 2 KiB (63 keys) cleans a segment or two a pass: the invariants hold between passes too.
    @ParameterizedTest(name = "key map of {0} bytes")
    @ValueSource(longs = { 16 * 1024 * 1024, 2048 })
    void shouldServeCommittedDataOnlyThroughRandomTransactionsCleaningsAndRestarts(final long dedupeBufferBytes)
    {
        cleaner.close();
        cleaner = LogCleaner.inline(dedupeBufferBytes);
        for (long seed = 1; seed <= 10; seed++)
        {
            runScenario(seed);
        }
        assertTrue(cleanings > 50, "cleanings: " + cleanings);
        assertTrue(abortedRecordsRemoved > 20, "aborted records removed: " + abortedRecordsRemoved);
        assertTrue(markersRemoved > 10, "markers removed: " + markersRemoved);
    }

    @Test
    void shouldRemoveAbortedRecordsThenTheirMarkerAndStopAtTheLastStableOffset()
    {
        nowMs = START_MS;
        log = open(dir);
        append(-1, "a", "1", "b", "1");                                   // 0, 1
        final long abortedFirst = append(10, "a", "x", "c", "x");         // 2, 3 aborted
        append(11, "b", "2");                                             // 4 committed
        final long abortMarker = endTransaction(10, false);               // 5
        final long commitMarker = endTransaction(11, true);               // 6
        log.roll(nowMs);
        final long openFirst = append(12, "d", "1");                      // 7 open
        append(-1, "a", "3");                                             // 8
        log.roll(nowMs);
        append(-1, "e", "1");                                             // 9, active
        assertEquals(7, log.lastStableOffset());

        clean();
        // Only the first segment is below the last stable offset (7). There b=1 (1) goes to the committed b=2 (4),
        // the aborted records go, a=1 (0) stays: a=3 (8) lies beyond. The markers stay for delete.retention.ms.
        assertEquals(List.of(0L, 4L, abortMarker, commitMarker, openFirst, 8L), sealedOffsets());
        assertArrayEquals(new long[]{ 10, abortedFirst, abortMarker }, log.abortedTransactions());

        nowMs += DELETE_RETENTION_MS + 1;
        endTransaction(12, true);                                         // 10
        log.roll(nowMs);
        append(-1, "f", "1");                                             // 11, active
        clean();
        // a=1 is superseded by a=3. The abort marker is old but stays: the emptied batch at 2 keeps its header, as
        // producer 10's latest, for its sequence numbers, and with it the transaction keeps its marker.
        assertEquals(List.of(4L, abortMarker, commitMarker, openFirst, 8L, 9L, 10L), sealedOffsets());
        assertTrue(log.hasBatchAt(abortedFirst));
        assertArrayEquals(new long[]{ 10, abortedFirst, abortMarker }, log.abortedTransactions());

        for (int i = 0; i < LogCleaning.PRODUCER_BATCHES_RETAINED; i++)
        {
            append(10, "g", Integer.toString(i));                         // 12..16
        }
        final long lastCommit = endTransaction(10, true);                 // 17
        log.roll(nowMs);
        append(-1, "h", "1");                                             // 18, active
        nowMs += DELETE_RETENTION_MS + 1;
        clean();
        // Producer 10 wrote 5 later batches: the header at 2 goes, so does the abort marker, and its transaction
        // is no longer listed. The emptied g batches keep their headers; the commit markers stay with b=2, d=1, g=4.
        assertEquals(List.of(4L, commitMarker, openFirst, 8L, 9L, 10L, 11L, 16L, lastCommit), sealedOffsets());
        assertFalse(log.hasBatchAt(abortedFirst));
        assertTrue(log.hasBatchAt(12));
        assertEquals(0, log.abortedTransactions().length);

        // A restart finds the same: the aborted transaction the state machine still remembers is not listed.
        log.close();
        log = open(dir);
        publish();
        assertEquals(0, log.abortedTransactions().length);
        assertFalse(log.hasBatchAt(abortMarker));
        assertTrue(log.hasBatchAt(commitMarker));
    }

    private void runScenario(final long seed)
    {
        final File partitionDir = new File(dir, "p" + seed);
        final Random random = new Random(seed);
        model.clear();
        status.clear();
        openTransactions.clear();
        aborted.clear();
        markerOffsets.clear();
        nowMs = START_MS;
        log = open(partitionDir);

        for (int step = 0; step < 200; step++)
        {
            final String context = "seed " + seed + " step " + step;
            final int action = random.nextInt(100);
            if (action < 35)
            {
                append(-1, randomKeyValues(random));
            }
            else if (action < 60)
            {
                final long producerId = TRANSACTIONAL_PRODUCERS[random.nextInt(TRANSACTIONAL_PRODUCERS.length)];
                append(producerId, randomKeyValues(random));
            }
            else if (action < 74)
            {
                if (!openTransactions.isEmpty())
                {
                    final List<Long> open = new ArrayList<>(openTransactions.keySet());
                    open.sort(null);
                    endTransaction(open.get(random.nextInt(open.size())), random.nextBoolean());
                }
            }
            else if (action < 82)
            {
                log.roll(nowMs);
            }
            else if (action < 95)
            {
                clean();
            }
            else
            {
                if (random.nextBoolean())
                {
                    log.closeUnclean();
                }
                else
                {
                    log.close();
                }
                log = open(partitionDir);
                publish();
            }
            nowMs += random.nextInt(300);
            check(random, context);
        }

        log.close();
        log = null;
    }

    private PartitionLog open(final File partitionDir)
    {
        final LogConfig config = LogTestSupport.smallConfig()
            .segmentBytes(1024)
            .maxMessageBytes(1024)
            .indexIntervalBytes(128)
            .fileDeleteDelayMs(0)
            .cleanupPolicy("compact")
            .minCleanableDirtyRatio(0)
            .deleteRetentionMs(DELETE_RETENTION_MS);
        final PartitionLog opened = PartitionLog.open(partitionDir, config, nowMs).cleaner(cleaner);
        opened.highWaterMark(opened.logEndOffset());
        return opened;
    }

    private static String[] randomKeyValues(final Random random)
    {
        final int count = 1 + random.nextInt(3);
        final String[] kv = new String[count * 2];
        for (int i = 0; i < count; i++)
        {
            kv[2 * i] = "k" + random.nextInt(8);
            kv[2 * i + 1] = random.nextInt(5) == 0 ? null : "v" + random.nextInt(1_000_000);
        }
        return kv;
    }

    /**
     * Append a batch, transactional when a producer id is given (opening its transaction if none is open).
     */
    private long append(final long producerId, final String... kv)
    {
        builder.wrap(buffer, 0, buffer.capacity());
        if (producerId >= 0)
        {
            builder.producer(producerId, EPOCH, 0).transactional(true);
        }
        for (int i = 0; i < kv.length; i += 2)
        {
            assertTrue(builder.append(nowMs, bytes(kv[i]), bytes(kv[i + 1])));
        }
        final long baseOffset = appendBuilt(builder.build());
        for (int i = 0; i < kv.length / 2; i++)
        {
            final long offset = baseOffset + i;
            model.put(offset, new Rec(offset, kv[2 * i], kv[2 * i + 1], producerId));
            if (producerId >= 0)
            {
                openTransactions.computeIfAbsent(producerId, id -> new ArrayList<>()).add(offset);
                status.put(offset, "open");
            }
            else
            {
                status.put(offset, "committed");
            }
        }
        publish();
        return baseOffset;
    }

    private long marker(final long producerId, final boolean isCommit)
    {
        final int length = ControlRecord.build(builder, buffer, scratch, producerId, EPOCH,
            isCommit ? ControlRecord.COMMIT : ControlRecord.ABORT, nowMs);
        final long offset = appendBuilt(length);
        markerOffsets.add(offset);
        return offset;
    }

    private long endTransaction(final long producerId, final boolean isCommit)
    {
        final long markerOffset = marker(producerId, isCommit);
        final List<Long> offsets = openTransactions.remove(producerId);
        if (null != offsets)
        {
            for (final long offset : offsets)
            {
                status.put(offset, isCommit ? "committed" : "aborted");
            }
            if (!isCommit)
            {
                aborted.add(new long[]{ producerId, offsets.get(0), markerOffset });
            }
        }
        publish();
        return markerOffset;
    }

    private long appendBuilt(final int length)
    {
        final long offset = log.append(buffer, 0, length, nowMs);
        assertTrue(offset >= 0, "append failed: " + offset);
        log.highWaterMark(log.logEndOffset());
        return offset;
    }

    /**
     * What the state machine publishes to the log: the first offset of the earliest open transaction and the
     * aborted transactions.
     */
    private void publish()
    {
        long firstUnstable = Long.MAX_VALUE;
        for (final List<Long> offsets : openTransactions.values())
        {
            firstUnstable = Math.min(firstUnstable, offsets.get(0));
        }
        log.firstUnstableOffset(firstUnstable);
        final long[] triples = new long[aborted.size() * 3];
        for (int i = 0; i < aborted.size(); i++)
        {
            System.arraycopy(aborted.get(i), 0, triples, i * 3, 3);
        }
        log.abortedTransactions(triples);
    }

    private void clean()
    {
        final long stableOffset = log.lastStableOffset();
        final Set<Long> before = new HashSet<>(allOffsets());
        log.deleteExpiredSegments(nowMs);
        if (log.startCleaning(true))
        {
            assertEquals(1, log.completeCleaning(nowMs));
            assertEquals(null, log.lastCleanerFailure());
            cleanings++;
        }
        final Set<Long> after = new HashSet<>(allOffsets());
        for (final long offset : before)
        {
            if (!after.contains(offset))
            {
                assertTrue(offset < stableOffset, "removed " + offset + " at or beyond the last stable offset " +
                    stableOffset);
                if ("aborted".equals(status.get(offset)))
                {
                    abortedRecordsRemoved++;
                }
                if (markerOffsets.contains(offset))
                {
                    markersRemoved++;
                }
            }
        }
    }

    private void check(final Random random, final String context)
    {
        final long stableOffset = log.lastStableOffset();
        final List<Rec> uncommitted = readUncommitted(log.logStartOffset());
        final Set<Long> present = new HashSet<>();
        for (final Rec rec : uncommitted)
        {
            assertEquals(model.get(rec.offset()), rec, context + ": not the record appended at that offset");
            present.add(rec.offset());
        }

        // The latest committed record per key is kept (unless an expired tombstone); open transactions are whole.
        final Map<String, Rec> latest = new HashMap<>();
        for (final Rec rec : model.values())
        {
            if ("committed".equals(status.get(rec.offset())))
            {
                latest.put(rec.key(), rec);
            }
            else if ("open".equals(status.get(rec.offset())))
            {
                assertTrue(present.contains(rec.offset()), context + ": record of an open transaction lost " + rec);
            }
        }
        for (final Rec rec : latest.values())
        {
            // A tombstone may have expired; the folds below check that no older value came back.
            if (null != rec.value())
            {
                assertTrue(present.contains(rec.offset()), context + ": latest committed record lost " + rec);
            }
        }

        for (int i = 0; i < 5; i++)
        {
            final long from = 0 == i ? log.logStartOffset() :
                (long)(random.nextDouble() * (stableOffset + 1));
            final List<Rec> read = readCommitted(from);
            final List<Rec> expected = new ArrayList<>();
            for (final Rec rec : model.tailMap(from, true).values())
            {
                if (rec.offset() < stableOffset && "committed".equals(status.get(rec.offset())))
                {
                    expected.add(rec);
                }
            }
            for (final Rec rec : read)
            {
                assertEquals("committed", status.get(rec.offset()), context + " from " + from + ": read " + rec);
            }
            assertEquals(fold(expected), fold(read), context + " from " + from + ": committed values differ");
        }
    }

    private List<Long> allOffsets()
    {
        final List<Long> offsets = new ArrayList<>();
        long position = log.logStartOffset();
        while (position < log.highWaterMark())
        {
            final int length = log.read(position, 1024, result);
            assertTrue(length >= 0);
            if (0 == length)
            {
                break;
            }
            for (int at = 0; at < length; at += batch.batchLength())
            {
                batch.wrap(result.buffer(), at);
                assertEquals(BatchError.OK, records.wrap(batch));
                while (records.next())
                {
                    offsets.add(records.offset());
                }
            }
            position = result.nextOffset();
        }
        return offsets;
    }

    private List<Long> sealedOffsets()
    {
        final List<Long> sealed = new ArrayList<>();
        for (final long offset : allOffsets())
        {
            if (offset < log.activeSegmentBaseOffset())
            {
                sealed.add(offset);
            }
        }
        return sealed;
    }

    private List<Rec> readUncommitted(final long from)
    {
        return read(from, false);
    }

    /**
     * Read as a read_committed consumer: up to the last stable offset; per read, the listed aborted transactions
     * that may touch it (as the fetch server lists them), a producer's transactional batches skipped from its
     * aborted transaction's first offset until its ABORT marker.
     */
    private List<Rec> readCommitted(final long from)
    {
        return read(from, true);
    }

    private List<Rec> read(final long from, final boolean isCommitted)
    {
        final List<Rec> out = new ArrayList<>();
        long position = from;
        int reads = 0;
        while (true)
        {
            final int length = log.read(position, 700, result, isCommitted);
            assertTrue(length >= 0, "read at " + position + ": " + length);
            if (0 == length)
            {
                break;
            }
            assertTrue(++reads < 100_000);
            final long[] listed = log.abortedTransactions();
            final List<long[]> pending = new ArrayList<>();
            for (int i = 0; i < listed.length; i += 3)
            {
                if (listed[i + 2] >= position && listed[i + 1] < result.nextOffset())
                {
                    pending.add(new long[]{ listed[i], listed[i + 1] });
                }
            }
            pending.sort((a, b) -> Long.compare(a[1], b[1]));
            final Set<Long> skipping = new HashSet<>();
            int next = 0;
            for (int at = 0; at < length; at += batch.batchLength())
            {
                batch.wrap(result.buffer(), at);
                while (next < pending.size() && pending.get(next)[1] <= batch.lastOffset())
                {
                    skipping.add(pending.get(next++)[0]);
                }
                if (batch.isControl())
                {
                    if (ControlRecord.ABORT == ControlRecord.type(result.buffer(), at))
                    {
                        skipping.remove(batch.producerId());
                    }
                    continue;
                }
                if (isCommitted && batch.isTransactional() && skipping.contains(batch.producerId()))
                {
                    continue;
                }
                assertEquals(BatchError.OK, records.wrap(batch));
                while (records.next())
                {
                    if (records.offset() >= position)
                    {
                        out.add(new Rec(records.offset(), text(records.keyOffset(), records.keyLength()),
                            text(records.valueOffset(), records.valueLength()),
                            batch.isTransactional() ? batch.producerId() : -1));
                    }
                }
            }
            assertTrue(result.nextOffset() > position);
            position = result.nextOffset();
        }
        return out;
    }

    private static Map<String, String> fold(final List<Rec> recs)
    {
        final Map<String, String> state = new HashMap<>();
        for (final Rec rec : recs)
        {
            if (null == rec.value())
            {
                state.remove(rec.key());
            }
            else
            {
                state.put(rec.key(), rec.value());
            }
        }
        return state;
    }

    private String text(final int offset, final int length)
    {
        if (length < 0)
        {
            return null;
        }
        final byte[] bytes = new byte[length];
        records.buffer().getBytes(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(final String s)
    {
        return null == s ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
