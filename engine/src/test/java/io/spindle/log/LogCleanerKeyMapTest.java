/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.log.CompactionTestSupport.Rec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cleaner's fixed-size key map: a map too small for every dirty segment cleans in several passes and reaches
 * the same segments, byte for byte, as a map that holds them all in one.
 */
class LogCleanerKeyMapTest
{
    private static final long START_MS = 1_700_000_000_000L;
    private static final long DELETE_RETENTION_MS = 2_000;
    private static final int KEYS = 40;

    @TempDir
    File dir;

    private final CompactionTestSupport support = new CompactionTestSupport();
    private final LogCleaner largeMapCleaner = LogCleaner.inline(16 * 1024 * 1024);

    // 42 slots, 31 keys: about one segment of 16 to 25 records a pass.
    private final LogCleaner smallMapCleaner = LogCleaner.inline(1024);
    private final List<PartitionLog> logs = new ArrayList<>();

    @AfterEach
    void after()
    {
        logs.forEach(PartitionLog::close);
        support.close();
        largeMapCleaner.close();
        smallMapCleaner.close();
    }

    @Test
    void shouldCleanInSeveralPassesToTheSameSegmentsAsALargeMap() throws IOException
    {
        final File large = new File(dir, "large");
        final File small = new File(dir, "small");
        final PartitionLog largeLog = write(large, largeMapCleaner);
        final PartitionLog smallLog = write(small, smallMapCleaner);
        final long nowMs = START_MS + 3 * DELETE_RETENTION_MS;
        final int sealed = smallLog.segmentCount() - 1;
        assertTrue(sealed >= 8, "sealed segments " + sealed);

        clean(largeLog, nowMs);
        final List<Rec> expected = support.readFrom(largeLog, largeLog.logStartOffset());

        clean(smallLog, nowMs);
        assertFalse(sameSegments(large, small), "one pass of the small map cleaned everything");
        int passes = 1;
        while (!sameSegments(large, small))
        {
            assertTrue(passes < sealed + 1, "the small map has not caught up after " + passes + " passes");
            clean(smallLog, nowMs);
            passes++;
        }

        assertTrue(passes >= 3, "passes " + passes);
        assertEquals(expected, support.readFrom(smallLog, smallLog.logStartOffset()));
        assertTrue(expected.size() <= KEYS, "survivors " + expected.size());

        // And a further pass of either map changes nothing.
        clean(smallLog, nowMs);
        clean(largeLog, nowMs);
        assertTrue(sameSegments(large, small));
    }

    @Test
    void shouldFailACleaningWhoseFirstDirtySegmentHasMoreKeysThanTheMapHolds()
    {
        final PartitionLog log = open(new File(dir, "tiny"), smallMapCleaner);
        for (int i = 0; i < 20; i++)
        {
            support.append(log, RecordBatch.COMPRESSION_NONE, START_MS, "a" + i, "1", "b" + i, "1");
        }
        log.roll(START_MS);
        support.append(log, RecordBatch.COMPRESSION_NONE, START_MS, "c", "1");

        assertTrue(log.startCleaning(true));
        assertEquals(1, log.completeCleaning(START_MS));
        assertTrue(log.lastCleanerFailure().getMessage().contains(
            StorageConfiguration.CLEANER_DEDUPE_BUFFER_SIZE.name()), String.valueOf(log.lastCleanerFailure()));
        assertEquals(41, support.readFrom(log, 0).size());
    }

    @Test
    void shouldMapTheKeysOfACleanedSegmentWrittenAgainAfterATruncation()
    {
        final PartitionLog log = open(new File(dir, "truncated"), largeMapCleaner);
        support.append(log, RecordBatch.COMPRESSION_NONE, START_MS, "a", "1");      // 0
        log.roll(START_MS);
        support.append(log, RecordBatch.COMPRESSION_NONE, START_MS, "b", "1");      // 1
        log.roll(START_MS);
        support.append(log, RecordBatch.COMPRESSION_NONE, START_MS, "c", "1");      // 2, active
        clean(log, START_MS);

        // The cleaned segment at 1 becomes the active one again and gets a's tombstone: it is dirty once more.
        assertEquals(1, log.truncateTo(1, START_MS));
        support.append(log, RecordBatch.COMPRESSION_NONE, START_MS, "a", null);     // 1
        log.roll(START_MS);
        support.append(log, RecordBatch.COMPRESSION_NONE, START_MS, "d", "1");      // 2, active
        clean(log, START_MS + 2 * DELETE_RETENTION_MS);

        assertEquals(List.of(new Rec(2, "d", "1", START_MS)), support.readFrom(log, 0));
    }

    private PartitionLog write(final File partitionDir, final LogCleaner cleaner)
    {
        final PartitionLog log = open(partitionDir, cleaner);
        final Random random = new Random(42);
        long timestampMs = START_MS;
        for (int i = 0; i < 120; i++)
        {
            final String[] kv = new String[4];
            for (int r = 0; r < 2; r++)
            {
                kv[2 * r] = "k" + random.nextInt(KEYS);
                kv[2 * r + 1] = random.nextInt(6) == 0 ? null : "v" + i + "-" + "x".repeat(random.nextInt(20));
            }
            support.append(log, random.nextInt(4) == 0 ? RecordBatch.COMPRESSION_LZ4 : RecordBatch.COMPRESSION_NONE,
                timestampMs, kv);
            if (i % 10 == 9)
            {
                log.roll(timestampMs);
            }
            if (i == 60)
            {
                timestampMs += 2 * DELETE_RETENTION_MS; // tombstones before here expire, later ones do not
            }
        }
        return log;
    }

    private PartitionLog open(final File partitionDir, final LogCleaner cleaner)
    {
        final LogConfig config = LogTestSupport.smallConfig()
            .segmentBytes(64 * 1024)
            .fileDeleteDelayMs(0)
            .cleanupPolicy("compact")
            .minCleanableDirtyRatio(0)
            .deleteRetentionMs(DELETE_RETENTION_MS);
        final PartitionLog log = PartitionLog.open(partitionDir, config, START_MS).cleaner(cleaner);
        logs.add(log);
        return log;
    }

    private static void clean(final PartitionLog log, final long nowMs)
    {
        log.deleteExpiredSegments(nowMs);
        assertTrue(log.startCleaning(true));
        assertEquals(1, log.completeCleaning(nowMs));
        assertNull(log.lastCleanerFailure());
    }

    private static boolean sameSegments(final File first, final File second) throws IOException
    {
        final String[] names = Objects.requireNonNull(first.list((d, name) -> name.endsWith(".log")));
        Arrays.sort(names);
        final String[] others = Objects.requireNonNull(second.list((d, name) -> name.endsWith(".log")));
        Arrays.sort(others);
        if (!Arrays.equals(names, others))
        {
            return false;
        }
        for (final String name : names)
        {
            if (!Arrays.equals(Files.readAllBytes(new File(first, name).toPath()),
                Files.readAllBytes(new File(second, name).toPath())))
            {
                return false;
            }
        }
        return true;
    }
}
