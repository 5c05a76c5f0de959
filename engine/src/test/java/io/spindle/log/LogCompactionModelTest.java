/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.log.CompactionTestSupport.Rec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random keyed writes, tombstones, rolls, cleanings, crashes (with and without a cleaning in flight) and clean
 * reopens against a model that keeps every record ever appended. After every step, a read from any offset must
 * return only records the model holds at those offsets, in offset order, and fold (latest value per key, a
 * tombstone deleting the key) to what the model's records from that offset fold to: so the latest record of every
 * key is kept, a fetch offset in a gap gets the next survivor, and no key comes back after its tombstone expired.
 * A tombstone younger than delete.retention.ms must still be there.
 */
class LogCompactionModelTest
{
    private static final long START_MS = 1_700_000_000_000L;
    private static final long DELETE_RETENTION_MS = 2_000;
    private static final int KEYS = 12;

    @TempDir
    File dir;

    private final CompactionTestSupport support = new CompactionTestSupport();
    private LogCleaner cleaner = LogCleaner.inline();
    private final TreeMap<Long, Rec> model = new TreeMap<>();
    private PartitionLog log;
    private long nowMs;
    private int cleaningsDone;
    private int recordsRemovedSeen;

    @AfterEach
    void after()
    {
        if (null != log)
        {
            log.close();
        }
        support.close();
        cleaner.close();
    }

    // A key map of 2 KiB (63 keys) cleans a segment or two a pass: the invariants hold between passes too.
    @ParameterizedTest(name = "key map of {0} bytes")
    @ValueSource(longs = { 16 * 1024 * 1024, 2048 })
    void shouldKeepTheLatestRecordPerKeyThroughRandomWritesCleaningsAndCrashes(final long dedupeBufferBytes)
    {
        cleaner.close();
        cleaner = LogCleaner.inline(dedupeBufferBytes);
        for (long seed = 1; seed <= 12; seed++)
        {
            runScenario(seed);
        }
        assertTrue(cleaningsDone > 20, "cleanings swapped in: " + cleaningsDone);
        assertTrue(recordsRemovedSeen > 100, "records removed by compaction: " + recordsRemovedSeen);
    }

    private void runScenario(final long seed)
    {
        final File partitionDir = new File(dir, "p" + seed);
        final Random random = new Random(seed);
        model.clear();
        nowMs = START_MS;
        log = open(partitionDir);

        for (int step = 0; step < 250; step++)
        {
            final int action = random.nextInt(100);
            final String context = "seed " + seed + " step " + step + " action " + action;
            if (action < 70)
            {
                appendRandomBatch(random);
            }
            else if (action < 78)
            {
                log.roll(nowMs);
            }
            else if (action < 90)
            {
                clean();
            }
            else if (action < 94)
            {
                // A crash with a cleaning written but not swapped in: the .cleaned files must be discarded.
                log.startCleaning(true);
                log.closeUnclean();
                log = open(partitionDir);
            }
            else if (action < 97)
            {
                log.closeUnclean();
                log = open(partitionDir);
            }
            else
            {
                log.close();
                log = open(partitionDir);
            }
            nowMs += random.nextInt(400);
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

    private void appendRandomBatch(final Random random)
    {
        final int count = 1 + random.nextInt(4);
        final String[] kv = new String[count * 2];
        for (int i = 0; i < count; i++)
        {
            kv[2 * i] = "k" + random.nextInt(KEYS);
            kv[2 * i + 1] = random.nextInt(5) == 0 ? null : "v" + random.nextInt(1_000_000) + "-" + "x".repeat(
                random.nextInt(40));
        }
        final int codec = random.nextInt(4) == 0 ? RecordBatch.COMPRESSION_LZ4 : RecordBatch.COMPRESSION_NONE;
        final long baseOffset = support.append(log, codec, nowMs, kv);
        for (int i = 0; i < count; i++)
        {
            model.put(baseOffset + i, new Rec(baseOffset + i, kv[2 * i], kv[2 * i + 1], nowMs));
        }
    }

    private void clean()
    {
        // deleteExpiredSegments carries the state-machine time the cleaner judges tombstones against.
        log.deleteExpiredSegments(nowMs);
        if (log.startCleaning(true))
        {
            assertEquals(1, log.completeCleaning(nowMs));
            assertEquals(null, log.lastCleanerFailure());
            cleaningsDone++;
        }
    }

    private void check(final Random random, final String context)
    {
        final List<Rec> all = support.readFrom(log, log.logStartOffset());
        final Set<Long> surviving = new HashSet<>();
        for (final Rec rec : all)
        {
            surviving.add(rec.offset());
        }
        recordsRemovedSeen = Math.max(recordsRemovedSeen, model.size() - all.size());

        checkFrom(log.logStartOffset(), all, context);
        for (int i = 0; i < 6; i++)
        {
            final long offset = log.logStartOffset() +
                (long)(random.nextDouble() * (log.highWaterMark() - log.logStartOffset() + 1));
            checkFrom(offset, support.readFrom(log, offset), context + " from " + offset);
        }

        // A tombstone that is the latest for its key and younger than delete.retention.ms is still there.
        final Map<String, Rec> latest = new HashMap<>();
        for (final Rec rec : model.values())
        {
            latest.put(rec.key(), rec);
        }
        for (final Rec rec : latest.values())
        {
            if (null != rec.value() || rec.timestampMs() > nowMs - DELETE_RETENTION_MS)
            {
                assertTrue(surviving.contains(rec.offset()), context + ": latest record lost " + rec);
            }
        }
    }

    private void checkFrom(final long offset, final List<Rec> read, final String context)
    {
        long previous = offset - 1;
        for (final Rec rec : read)
        {
            assertTrue(rec.offset() > previous, context + ": out of order at " + rec);
            assertEquals(model.get(rec.offset()), rec, context + ": not the record appended at that offset");
            previous = rec.offset();
        }

        assertEquals(fold(model.tailMap(offset, true).values()), fold(read), context + ": latest values differ");
        if (!read.isEmpty())
        {
            final Long firstSurvivorInModel = model.ceilingKey(offset);
            assertTrue(null != firstSurvivorInModel && read.get(0).offset() >= firstSurvivorInModel, context);
        }
    }

    private static Map<String, String> fold(final Iterable<Rec> records)
    {
        final Map<String, String> state = new HashMap<>();
        for (final Rec rec : records)
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

    @Test
    void shouldRemoveSupersededRecordsAndExpiredTombstonesFromSealedSegmentsOnly()
    {
        nowMs = START_MS;
        log = open(dir);
        support.append(log, RecordBatch.COMPRESSION_NONE, nowMs, "a", "1", "b", "1", "c", "1");
        support.append(log, RecordBatch.COMPRESSION_LZ4, nowMs, "a", "2", "b", null);
        log.roll(nowMs);
        support.append(log, RecordBatch.COMPRESSION_NONE, nowMs, "a", "3", "d", "1");
        log.roll(nowMs);
        support.append(log, RecordBatch.COMPRESSION_NONE, nowMs, "a", "4");
        final long endBefore = log.logEndOffset();

        clean();
        // Sealed: a=3 (offset 5), b's tombstone (4, young), c=1 (2), d=1 (6); a=4 stays in the active segment.
        assertEquals(List.of(
            new Rec(2, "c", "1", START_MS), new Rec(4, "b", null, START_MS), new Rec(5, "a", "3", START_MS),
            new Rec(6, "d", "1", START_MS)), support.sealedRecords(log));
        assertEquals(endBefore, log.logEndOffset());
        assertEquals(0, log.logStartOffset());

        nowMs += DELETE_RETENTION_MS + 1;
        clean();
        assertEquals(List.of(
            new Rec(2, "c", "1", START_MS), new Rec(5, "a", "3", START_MS), new Rec(6, "d", "1", START_MS)),
            support.sealedRecords(log));
        assertEquals(List.of(new Rec(5, "a", "3", START_MS), new Rec(6, "d", "1", START_MS),
            new Rec(7, "a", "4", START_MS)), support.readFrom(log, 3));

        log.close();
        log = open(dir);
        assertEquals(List.of(new Rec(5, "a", "3", START_MS), new Rec(6, "d", "1", START_MS),
            new Rec(7, "a", "4", START_MS)), support.readFrom(log, 3));
        assertEquals(endBefore, log.logEndOffset());
        assertEquals(8, support.append(log, RecordBatch.COMPRESSION_NONE, nowMs, "e", "1"));
    }

    @Test
    void shouldRefuseRecordsWithoutKeyOnCompactedTopic()
    {
        nowMs = START_MS;
        log = open(dir);
        final org.agrona.concurrent.UnsafeBuffer buffer = new org.agrona.concurrent.UnsafeBuffer(new byte[1024]);
        final io.spindle.codecs.batch.RecordBatchBuilder builder = new io.spindle.codecs.batch.RecordBatchBuilder();
        builder.wrap(buffer, 0, buffer.capacity());
        builder.append(nowMs, CompactionTestSupport.bytes("k"), CompactionTestSupport.bytes("v"));
        builder.append(nowMs, null, CompactionTestSupport.bytes("v"));
        final int length = builder.build();
        assertEquals(PartitionLog.INVALID_RECORD, log.append(buffer, 0, length, nowMs));
        assertEquals(io.spindle.codecs.protocol.ErrorCode.INVALID_RECORD,
            PartitionLog.errorCode(PartitionLog.INVALID_RECORD));
        assertEquals(0, log.logEndOffset());
        builder.close();
    }

    @Test
    void shouldWriteIdenticalSegmentsFromIdenticalContentWhateverTheCleaningHistory() throws Exception
    {
        final File first = new File(dir, "first");
        final File second = new File(dir, "second");
        final Random random = new Random(7);
        final List<String[]> batches = new ArrayList<>();
        for (int i = 0; i < 60; i++)
        {
            batches.add(new String[]{ "k" + random.nextInt(5), random.nextBoolean() ? null : "v" + i,
                "k" + random.nextInt(5), "w" + i });
        }

        for (final File partitionDir : new File[]{ first, second })
        {
            nowMs = START_MS;
            log = open(partitionDir);
            for (int i = 0; i < batches.size(); i++)
            {
                support.append(log, RecordBatch.COMPRESSION_NONE, nowMs, batches.get(i));
                if (i % 7 == 6)
                {
                    log.roll(nowMs);
                }
                if (partitionDir == first && i % 11 == 10)
                {
                    clean(); // the first member cleans often, the second only once at the end
                }
            }
            log.roll(nowMs);
            nowMs += DELETE_RETENTION_MS + 1;
            clean();
            log.close();
            log = null;
        }

        final String[] names = Objects.requireNonNull(first.list((d, name) -> name.endsWith(".log")));
        assertTrue(names.length > 3);
        for (final String name : names)
        {
            assertTrue(java.util.Arrays.equals(
                java.nio.file.Files.readAllBytes(new File(first, name).toPath()),
                java.nio.file.Files.readAllBytes(new File(second, name).toPath())), name);
        }
    }
}
