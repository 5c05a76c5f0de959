/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.spindle.log.LogTestSupport.append;
import static io.spindle.log.LogTestSupport.assertStoredBatch;
import static io.spindle.log.LogTestSupport.smallConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionLogTest
{
    private static final long NOW_MS = 1_700_000_000_000L;

    @TempDir
    File dir;

    private final LogTestSupport batches = new LogTestSupport();
    private final LogReadResult result = new LogReadResult();
    private final List<byte[]> appended = new ArrayList<>();
    private final List<Long> appendedOffsets = new ArrayList<>();
    private PartitionLog log;

    @AfterEach
    void after()
    {
        if (null != log)
        {
            log.close();
        }
    }

    @Test
    void shouldAssignOffsetsAndReadBatchesBack()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        assertEquals(0, log.logStartOffset());
        assertEquals(0, log.logEndOffset());

        assertEquals(0, appendBatch(3, 50, NOW_MS));
        assertEquals(3, appendBatch(1, 50, NOW_MS));
        assertEquals(4, appendBatch(5, 10, NOW_MS));
        assertEquals(9, log.logEndOffset());
        log.highWaterMark(log.logEndOffset());

        final int length = log.read(0, Integer.MAX_VALUE, result);
        assertEquals(appended.get(0).length + appended.get(1).length + appended.get(2).length, length);
        assertEquals(3, result.batchCount());
        assertEquals(0, result.firstOffset());
        assertEquals(9, result.nextOffset());
        assertStoredBatches(result, 0);
    }

    @Test
    void shouldWriteBaseOffsetAndEpochIntoTheLogCopyNotTheSource()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        appendBatch(2, 10, NOW_MS);
        final byte[] source = batches.batch(2, 10, NOW_MS, 99);
        final byte[] copy = source.clone();
        assertEquals(2, log.append(new UnsafeBuffer(source), 0, source.length, 7, NOW_MS));
        assertArrayEquals(copy, source);
        log.highWaterMark(log.logEndOffset());

        log.read(2, Integer.MAX_VALUE, result);
        assertEquals(2, result.buffer().getLong(RecordBatch.BASE_OFFSET_OFFSET, LogTestSupport.ORDER));
        assertEquals(7, result.buffer().getInt(RecordBatch.PARTITION_LEADER_EPOCH_OFFSET, LogTestSupport.ORDER));
        assertEquals(RecordBatch.crc32c(result.buffer(), 0, source.length),
            result.buffer().getInt(RecordBatch.CRC_OFFSET, LogTestSupport.ORDER));
    }

    @Test
    void shouldReadFromTheBatchHoldingTheOffset()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        appendBatch(5, 10, NOW_MS);
        appendBatch(5, 10, NOW_MS);
        log.highWaterMark(log.logEndOffset());

        log.read(7, Integer.MAX_VALUE, result);
        assertEquals(1, result.batchCount());
        assertEquals(5, result.firstOffset());
        assertEquals(10, result.nextOffset());
        assertStoredBatch("second", appended.get(1), 5, result.buffer(), 0);
    }

    @Test
    void shouldHonourMaxBytesButAlwaysReturnOneWholeBatch()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        for (int i = 0; i < 5; i++)
        {
            appendBatch(1, 100, NOW_MS);
        }
        log.highWaterMark(log.logEndOffset());
        final int batchLength = appended.get(0).length;

        assertEquals(batchLength, log.read(0, 1, result));
        assertEquals(1, result.batchCount());
        assertEquals(batchLength, log.read(0, 0, result));
        assertEquals(batchLength, log.read(0, batchLength * 2 - 1, result));
        assertEquals(batchLength * 2, log.read(0, batchLength * 2, result));
        assertEquals(2, result.nextOffset());
        assertEquals(batchLength * 3, log.read(2, batchLength * 3 + 10, result));
        assertEquals(5, result.nextOffset());
    }

    @Test
    void shouldNeverLeaveALargeBatchStuck()
    {
        log = PartitionLog.open(dir, smallConfig().segmentBytes(64 * 1024).maxMessageBytes(32 * 1024), NOW_MS);
        appendBatch(20, 1000, NOW_MS);
        log.highWaterMark(log.logEndOffset());

        final int length = log.read(0, 100, result);
        assertEquals(appended.get(0).length, length);
        assertTrue(length > 20_000);
        assertEquals(20, result.nextOffset());
    }

    @Test
    void shouldAnswerOffsetOutOfRangeBelowStartAndAboveEnd()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        appendBatch(2, 10, NOW_MS);
        log.highWaterMark(log.logEndOffset());

        assertEquals(PartitionLog.OFFSET_OUT_OF_RANGE, log.read(3, 100, result));
        assertEquals(PartitionLog.OFFSET_OUT_OF_RANGE, log.read(-1, 100, result));
        assertEquals(0, log.read(2, 100, result));
        assertEquals(2, result.nextOffset());
        assertEquals(ErrorCode.OFFSET_OUT_OF_RANGE, PartitionLog.errorCode(PartitionLog.OFFSET_OUT_OF_RANGE));
        assertEquals(ErrorCode.NONE, PartitionLog.errorCode(0));
    }

    @Test
    void shouldStopReadsAtTheHighWaterMark()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        assertEquals(0, log.highWaterMark());
        appendBatch(2, 10, NOW_MS);
        appendBatch(2, 10, NOW_MS);
        appendBatch(2, 10, NOW_MS);
        assertEquals(0, log.highWaterMark());

        assertEquals(0, log.read(0, 1000, result));
        log.highWaterMark(4);
        log.read(0, 10_000, result);
        assertEquals(2, result.batchCount());
        assertEquals(4, result.nextOffset());
        assertEquals(0, log.read(4, 10_000, result));

        log.highWaterMark(5);
        assertEquals(0, log.read(4, 10_000, result), "a batch straddling the high-water mark is not served");
        assertThrows(IllegalArgumentException.class, () -> log.highWaterMark(7));
    }

    @Test
    void shouldRollBySegmentBytesAndKeepReadsWithinOneSegment()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        long totalBytes = 0;
        while (log.segmentCount() < 3)
        {
            appendBatch(1, 300, NOW_MS);
            totalBytes += appended.get(appended.size() - 1).length;
        }
        log.highWaterMark(log.logEndOffset());
        assertEquals(totalBytes, log.sizeInBytes());

        final long secondBase = log.segmentBaseOffsets()[1];
        assertTrue(new File(dir, LogSegment.fileName(secondBase, ".log")).exists());
        assertEquals(20, LogSegment.fileName(secondBase, ".log").length() - 4);

        log.read(0, Integer.MAX_VALUE, result);
        assertEquals(secondBase, result.nextOffset());
        assertTrue(result.length() <= 4096);
        assertStoredBatches(result, 0);

        long offset = 0;
        int batchesRead = 0;
        while (offset < log.logEndOffset())
        {
            assertTrue(log.read(offset, 1000, result) > 0);
            batchesRead += result.batchCount();
            offset = result.nextOffset();
        }
        assertEquals(appended.size(), batchesRead);
    }

    @Test
    void shouldRollWhenSegmentMsPasses()
    {
        log = PartitionLog.open(dir, smallConfig().segmentMs(1000), NOW_MS);
        appendBatch(1, 10, NOW_MS);
        appendBatch(1, 10, NOW_MS + 999);
        assertEquals(1, log.segmentCount());
        appendBatch(1, 10, NOW_MS + 1000);
        assertEquals(2, log.segmentCount());
        assertEquals(2, log.segmentBaseOffsets()[1]);
        appendBatch(1, 10, NOW_MS + 1999);
        assertEquals(2, log.segmentCount());
        appendBatch(1, 10, NOW_MS + 2000);
        assertEquals(3, log.segmentCount());
    }

    @Test
    void shouldRollOnRequestOnlyWhenTheActiveSegmentHasData()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        assertFalse(log.roll(NOW_MS));
        appendBatch(1, 10, NOW_MS);
        assertTrue(log.roll(NOW_MS));
        assertFalse(log.roll(NOW_MS));
        assertEquals(2, log.segmentCount());
        assertEquals(appended.get(0).length, new File(dir, LogSegment.fileName(0, ".log")).length());
    }

    @Test
    void shouldAddAnIndexEntryEveryIndexIntervalBytes()
    {
        log = PartitionLog.open(dir, smallConfig().segmentBytes(64 * 1024).indexIntervalBytes(1000), NOW_MS);
        for (int i = 0; i < 50; i++)
        {
            appendBatch(1, 200, NOW_MS);
        }
        final int batchLength = appended.get(0).length;
        final OffsetIndex index = log.activeSegment().offsetIndex;
        final int perEntry = (1000 + batchLength - 1) / batchLength;
        assertEquals((50 - 1) / perEntry, index.entryCount());
        for (int i = 0; i < index.entryCount(); i++)
        {
            assertEquals((i + 1) * perEntry, index.relativeOffset(i));
            assertEquals((i + 1) * perEntry * batchLength, index.position(i));
        }
    }

    @Test
    void shouldFindOffsetForTimestamp()
    {
        log = PartitionLog.open(dir, smallConfig().indexIntervalBytes(0), NOW_MS);
        final long[] timestamps = {100, 300, 200, 400, 400, 500, 50, 600};
        for (final long timestamp : timestamps)
        {
            appendBatch(2, 300, timestamp, NOW_MS);
        }
        assertEquals(PartitionLog.NULL_OFFSET, log.offsetForTimestamp(0), "nothing committed yet");
        log.highWaterMark(log.logEndOffset());
        assertTrue(log.segmentCount() > 1);

        for (long ts = 0; ts <= 700; ts += 25)
        {
            long expected = PartitionLog.NULL_OFFSET;
            for (int i = 0; i < timestamps.length; i++)
            {
                if (timestamps[i] >= ts)
                {
                    expected = 2L * i;
                    break;
                }
            }
            assertEquals(expected, log.offsetForTimestamp(ts), "ts=" + ts);
        }

        log.highWaterMark(8);
        assertEquals(6, log.offsetForTimestamp(400));
        assertEquals(PartitionLog.NULL_OFFSET, log.offsetForTimestamp(450));
    }

    @Test
    void shouldDeleteSegmentsOlderThanRetentionMs()
    {
        log = PartitionLog.open(dir, smallConfig().retentionMs(10_000), NOW_MS);
        for (int i = 0; i < 30; i++)
        {
            appendBatch(1, 300, NOW_MS + i * 1000, NOW_MS + i * 1000);
        }
        log.highWaterMark(log.logEndOffset());
        final long[] bases = log.segmentBaseOffsets();
        assertTrue(bases.length >= 3);

        final long firstSegmentMaxTs = NOW_MS + (bases[1] - 1) * 1000;
        final long secondSegmentMaxTs = NOW_MS + (bases[2] - 1) * 1000;
        final File firstLog = new File(dir, LogSegment.fileName(0, ".log"));
        assertEquals(0, log.deleteExpiredSegments(firstSegmentMaxTs + 10_000));
        assertTrue(firstLog.exists());
        assertEquals(1, log.deleteExpiredSegments(firstSegmentMaxTs + 10_001));
        assertEquals(bases[1], log.logStartOffset());
        assertEquals(1, log.deleteExpiredSegments(secondSegmentMaxTs + 10_001));
        assertFalse(firstLog.exists(), "files are unlinked at once, unmapped later");
        assertEquals(bases[2], log.logStartOffset());
        assertEquals(PartitionLog.OFFSET_OUT_OF_RANGE, log.read(0, 100, result));
        assertTrue(log.read(bases[2], 100, result) > 0);

        assertEquals(0, log.deleteExpiredSegments(Long.MAX_VALUE / 2 + NOW_MS), "active segment is never deleted" +
            " and sealed segments go only when expired");
    }

    @Test
    void shouldNeverDeleteTheActiveSegmentOrDataAboveTheHighWaterMark()
    {
        log = PartitionLog.open(dir, smallConfig().retentionMs(0), NOW_MS);
        for (int i = 0; i < 30; i++)
        {
            appendBatch(1, 300, NOW_MS);
        }
        final long[] bases = log.segmentBaseOffsets();
        log.highWaterMark(bases[1]);
        assertEquals(1, log.deleteExpiredSegments(NOW_MS + 1));
        assertEquals(bases[1], log.logStartOffset());

        log.highWaterMark(log.logEndOffset());
        assertEquals(bases.length - 2, log.deleteExpiredSegments(NOW_MS + 1));
        assertEquals(1, log.segmentCount());
        assertEquals(bases[bases.length - 1], log.logStartOffset());
    }

    @Test
    void withRemoteStorageShouldDeleteOnlyArchivedSegmentsAndByLocalRetention()
    {
        log = PartitionLog.open(dir, smallConfig().retentionBytes(1_000_000).remoteStorageEnable(true)
            .localRetentionBytes(10_000), NOW_MS);
        for (int i = 0; i < 60; i++)
        {
            appendBatch(1, 300, NOW_MS);
        }
        log.highWaterMark(log.logEndOffset());
        final long[] bases = log.segmentBaseOffsets();
        assertTrue(bases.length > 5);

        assertEquals(0, log.deleteExpiredSegments(NOW_MS), "nothing is archived yet: nothing is deleted");
        assertEquals(0, log.logStartOffset());

        log.tieredOffset(bases[2] - 1);
        assertEquals(1, log.deleteExpiredSegments(NOW_MS), "only segments wholly below the archived offset");
        assertEquals(bases[1], log.logStartOffset());

        log.tieredOffset(bases[bases.length - 1]);
        log.deleteExpiredSegments(NOW_MS);
        final long after = log.sizeInBytes();
        assertTrue(after >= 10_000 && after - 4096 < 10_000, "down to local.retention.bytes, not retention.bytes: " +
            after);
        log.tieredOffset(0);
        assertEquals(bases[bases.length - 1], log.tieredOffset(), "the archived offset never goes back");
    }

    @Test
    void shouldDeleteOldestSegmentsWhileOverRetentionBytes()
    {
        log = PartitionLog.open(dir, smallConfig().retentionBytes(10_000), NOW_MS);
        for (int i = 0; i < 60; i++)
        {
            appendBatch(1, 300, NOW_MS);
        }
        log.highWaterMark(log.logEndOffset());
        final long before = log.sizeInBytes();
        assertTrue(before > 20_000);

        final int deleted = log.deleteExpiredSegments(NOW_MS);
        assertTrue(deleted > 0);
        final long after = log.sizeInBytes();
        assertTrue(after >= 10_000, "never goes below retention.bytes: " + after);
        final long oldestSegmentBytes = 4096;
        assertTrue(after - oldestSegmentBytes < 10_000, "would delete another segment: " + after);
        assertEquals(log.segmentBaseOffsets()[0], log.logStartOffset());
        assertEquals(0, log.deleteExpiredSegments(NOW_MS));
    }

    @Test
    void shouldUnmapDeletedSegmentsAfterTheDelay()
    {
        log = PartitionLog.open(dir, smallConfig().retentionMs(0).fileDeleteDelayMs(5000), NOW_MS);
        for (int i = 0; i < 30; i++)
        {
            appendBatch(1, 300, NOW_MS);
        }
        log.highWaterMark(log.logEndOffset());
        final int deleted = log.deleteExpiredSegments(NOW_MS + 1);
        assertTrue(deleted > 0);
        assertEquals(0, log.doWork(NOW_MS + 4999));
        assertEquals(deleted, log.doWork(NOW_MS + 5001));
    }

    @Test
    void shouldTruncateWithinTheActiveSegment()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        appendBatch(3, 10, NOW_MS);
        appendBatch(3, 10, NOW_MS);
        appendBatch(3, 10, NOW_MS);
        log.highWaterMark(9);

        assertEquals(3, log.truncateTo(4, NOW_MS), "a straddling batch goes whole");
        assertEquals(3, log.logEndOffset());
        assertEquals(3, log.highWaterMark());
        assertEquals(PartitionLog.OFFSET_OUT_OF_RANGE, log.read(4, 100, result));

        appended.subList(1, 3).clear();
        appendedOffsets.subList(1, 3).clear();
        assertEquals(3, appendBatch(2, 20, NOW_MS));
        log.highWaterMark(log.logEndOffset());
        log.read(0, 10_000, result);
        assertEquals(2, result.batchCount());
        assertStoredBatches(result, 0);

        log.close();
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        assertEquals(5, log.logEndOffset());
        log.read(0, 10_000, result);
        assertStoredBatches(result, 0);
    }

    @Test
    void shouldTruncateIntoASealedSegmentAndContinue()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        for (int i = 0; i < 40; i++)
        {
            appendBatch(2, 200, NOW_MS);
        }
        final long[] bases = log.segmentBaseOffsets();
        assertTrue(bases.length >= 3);
        final long target = bases[1] + 4;
        log.highWaterMark(log.logEndOffset());

        assertEquals(target, log.truncateTo(target, NOW_MS));
        assertEquals(2, log.segmentCount());
        assertFalse(new File(dir, LogSegment.fileName(bases[2], ".log")).exists());
        final int keep = (int)(target / 2);
        appended.subList(keep, appended.size()).clear();
        appendedOffsets.subList(keep, appendedOffsets.size()).clear();

        for (int i = 0; i < 40; i++)
        {
            appendBatch(2, 200, NOW_MS);
        }
        log.highWaterMark(log.logEndOffset());
        assertAllBatchesReadable();

        log.close();
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        assertFalse(log.recoveryReport().hasCut(), log.recoveryReport().toString());
        assertAllBatchesReadable();
    }

    @Test
    void shouldTruncateFullyAtOrBelowTheLogStart()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        appendBatch(2, 10, NOW_MS);
        log.highWaterMark(2);
        assertEquals(0, log.truncateTo(0, NOW_MS));
        assertEquals(0, log.logEndOffset());
        assertEquals(0, log.highWaterMark());

        log.truncateFullyAndStartAt(1000, NOW_MS);
        assertEquals(1000, log.logStartOffset());
        assertEquals(1000, log.logEndOffset());
        assertEquals(1000, appendBatch(2, 10, NOW_MS));
        log.close();
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        assertEquals(1000, log.logStartOffset());
        assertEquals(1002, log.logEndOffset());
    }

    @Test
    void shouldRejectCorruptBatchesAndLeaveTheLogUnchanged() throws IOException
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        appendBatch(2, 50, NOW_MS);
        final File segmentFile = new File(dir, LogSegment.fileName(0, ".log"));
        final long sizeBefore = log.sizeInBytes();
        final byte[] good = batches.batch(2, 50, NOW_MS, 5);

        final byte[] badCrc = good.clone();
        badCrc[100] ^= 1;
        assertEquals(PartitionLog.CORRUPT_MESSAGE, append(log, badCrc, NOW_MS));
        assertEquals(BatchError.CRC_MISMATCH, log.lastAppendError());

        final byte[] badLength = good.clone();
        new UnsafeBuffer(badLength).putInt(RecordBatch.BATCH_LENGTH_OFFSET, good.length + 10, LogTestSupport.ORDER);
        assertEquals(PartitionLog.CORRUPT_MESSAGE, append(log, badLength, NOW_MS));

        assertEquals(PartitionLog.CORRUPT_MESSAGE, append(log, Arrays.copyOf(good, 40), NOW_MS));
        assertEquals(PartitionLog.CORRUPT_MESSAGE, log.append(new UnsafeBuffer(good), 0, good.length - 1, NOW_MS));
        assertEquals(ErrorCode.CORRUPT_MESSAGE, PartitionLog.errorCode(PartitionLog.CORRUPT_MESSAGE));

        assertEquals(2, log.logEndOffset());
        assertEquals(sizeBefore, log.sizeInBytes());
        final byte[] onDisk = Files.readAllBytes(segmentFile.toPath());
        for (int i = (int)sizeBefore; i < onDisk.length; i++)
        {
            assertEquals(0, onDisk[i], "byte " + i + " written by a rejected append");
        }
        assertEquals(2, appendBatch(1, 10, NOW_MS));
    }

    @Test
    void shouldRejectOversizedBatchesAndLeaveTheLogUnchanged()
    {
        log = PartitionLog.open(dir, smallConfig().maxMessageBytes(1000), NOW_MS);
        appendBatch(1, 10, NOW_MS);
        final byte[] large = batches.batch(10, 100, NOW_MS, 1);
        assertTrue(large.length > 1000);
        assertEquals(PartitionLog.RECORD_TOO_LARGE, append(log, large, NOW_MS));
        assertEquals(ErrorCode.RECORD_TOO_LARGE, PartitionLog.errorCode(PartitionLog.RECORD_TOO_LARGE));
        assertEquals(1, log.logEndOffset());
        assertEquals(appended.get(0).length, log.sizeInBytes());
        assertEquals(1, log.segmentCount());
    }

    @Test
    void shouldReopenAfterCleanCloseScanningOnlyTheTail()
    {
        log = PartitionLog.open(dir, smallConfig().segmentBytes(1024 * 1024).indexIntervalBytes(1024), NOW_MS);
        for (int i = 0; i < 500; i++)
        {
            appendBatch(1, 100, NOW_MS);
        }
        log.close();

        log = PartitionLog.open(dir, smallConfig().segmentBytes(1024 * 1024).indexIntervalBytes(1024), NOW_MS);
        final RecoveryReport report = log.recoveryReport();
        assertTrue(report.isCleanShutdown(), report.toString());
        assertFalse(report.hasCut());
        assertTrue(report.bytesScanned() <= 1024 + appended.get(0).length, report.toString());
        assertEquals(500, log.logEndOffset());
        assertEquals(500, log.highWaterMark());
        assertAllBatchesReadable();
        assertEquals(500, appendBatch(1, 100, NOW_MS));
    }

    @Test
    void shouldReopenAfterCrashScanningTheActiveSegment()
    {
        log = PartitionLog.open(dir, smallConfig().segmentBytes(1024 * 1024), NOW_MS);
        for (int i = 0; i < 300; i++)
        {
            appendBatch(1, 100, NOW_MS);
        }
        log.closeUnclean();

        log = PartitionLog.open(dir, smallConfig().segmentBytes(1024 * 1024), NOW_MS);
        final RecoveryReport report = log.recoveryReport();
        assertFalse(report.isCleanShutdown());
        assertFalse(report.hasCut(), report.toString());
        assertEquals(log.sizeInBytes(), report.bytesScanned());
        assertAllBatchesReadable();
    }

    @Test
    void shouldAdvanceTheRecoveryPointWithEveryBatchPolicy()
    {
        final LogConfig config = smallConfig().segmentBytes(1024 * 1024).flushPolicy(FlushPolicy.EVERY_BATCH);
        log = PartitionLog.open(dir, config, NOW_MS);
        for (int i = 0; i < 100; i++)
        {
            appendBatch(1, 100, NOW_MS);
        }
        log.closeUnclean();

        log = PartitionLog.open(dir, smallConfig().segmentBytes(1024 * 1024), NOW_MS);
        final RecoveryReport report = log.recoveryReport();
        assertEquals(100, report.recoveryPointOffset());
        assertTrue(report.isCleanShutdown());
        assertTrue(report.bytesScanned() < 512 + 200, report.toString());
        assertAllBatchesReadable();
    }

    @Test
    void shouldFlushOnIntervalFromAppendAndDoWork()
    {
        final LogConfig config = smallConfig().segmentBytes(1024 * 1024).flushPolicy(FlushPolicy.INTERVAL)
            .flushMs(1000);
        log = PartitionLog.open(dir, config, NOW_MS);
        appendBatch(1, 100, NOW_MS);
        appendBatch(1, 100, NOW_MS + 1000);
        final RecoveryPointFile recoveryPoint = new RecoveryPointFile(dir, false);
        assertEquals(2, recoveryPoint.read(), "flushed by the append at the interval");
        appendBatch(1, 100, NOW_MS + 1500);
        assertEquals(0, log.doWork(NOW_MS + 1999));
        assertEquals(2, recoveryPoint.read());
        assertEquals(1, log.doWork(NOW_MS + 2000));
        assertEquals(3, recoveryPoint.read());
        recoveryPoint.close();
    }

    @Test
    void shouldStartASegmentOfTheNewSizeWhenSegmentBytesGrows()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        appendBatch(1, 100, NOW_MS);
        assertTrue(log.config(smallConfig().segmentBytes(64 * 1024).maxMessageBytes(32 * 1024), NOW_MS));
        assertEquals(2, log.segmentCount());
        appendBatch(40, 500, NOW_MS);
        assertEquals(2, log.segmentCount());
        assertEquals(64 * 1024, log.activeSegment().capacity());
        log.highWaterMark(log.logEndOffset());
        assertAllBatchesReadable();
        assertThrows(IllegalStateException.class, () -> log.config().segmentBytes(1));
    }

    @Test
    void shouldRefuseASecondLogOnTheSameDirectory()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        assertThrows(IllegalStateException.class, () -> PartitionLog.open(dir, smallConfig(), NOW_MS));
        appendBatch(1, 10, NOW_MS);
        assertEquals(1, log.logEndOffset());
    }

    @Test
    void shouldRemoveStrayIndexFilesOnOpen() throws IOException
    {
        final File stray = new File(dir, LogSegment.fileName(77, ".index"));
        Files.write(stray.toPath(), new byte[16]);
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        assertFalse(stray.exists());
        assertNotEquals(0, log.segmentCount());
    }

    @Test
    void aSegmentBytesChangeStartsANewSegmentSoReopenedLogsCutTheirSegmentsAtTheSameOffsets()
    {
        assertReopenedLogsRollAsTheRunningOne(
            smallConfig().segmentBytes(3072), smallConfig().segmentBytes(8192), null, 30);
        assertReopenedLogsRollAsTheRunningOne(
            smallConfig().segmentBytes(8192), smallConfig().segmentBytes(3072), smallConfig().segmentBytes(6144), 30);
    }

    @Test
    void anIndexIntervalChangeStartsANewSegmentSoReopenedLogsCutTheirSegmentsAtTheSameOffsets()
    {
        // Segments large enough that their indexes outgrow a page: a reopened segment's are sized for the new
        // interval, and the running one's must be too or they fill (and roll the log) long before it is full.
        final LogConfig large = smallConfig().segmentBytes(1024 * 1024).indexIntervalBytes(4096);
        assertReopenedLogsRollAsTheRunningOne(large, smallConfig().segmentBytes(1024 * 1024).indexIntervalBytes(64),
            null, 600);
    }

    @Test
    void aConfigChangeOfNeitherSizeKeepsTheActiveSegment()
    {
        log = PartitionLog.open(dir, smallConfig(), NOW_MS);
        appendBatch(3, 100, NOW_MS);
        assertTrue(log.config(smallConfig().retentionMs(60_000), NOW_MS));
        assertEquals(1, log.segmentCount());
    }

    /**
     * Three copies of one log take the same config change, as the members of a cluster do at the same command; then
     * one closes and one crashes, and both open their files again, as restarted members do; then, if given, all take
     * a second change. Appending the same batches throughout, all three must cut their segments at the same offsets,
     * since retention deletes whole segments.
     */
    private void assertReopenedLogsRollAsTheRunningOne(
        final LogConfig first, final LogConfig second, final LogConfig third, final int batchesPerStep)
    {
        final String name = first.segmentBytes() + "-" + second.segmentBytes() + "-" + second.indexIntervalBytes();
        final File[] dirs = { new File(dir, "running-" + name), new File(dir, "closed-" + name),
            new File(dir, "crashed-" + name) };
        final PartitionLog[] logs = new PartitionLog[dirs.length];
        try
        {
            for (int i = 0; i < dirs.length; i++)
            {
                assertTrue(dirs[i].mkdirs());
                logs[i] = PartitionLog.open(dirs[i], first, NOW_MS);
            }
            long seed = appendToAll(logs, 0, 4);
            for (final PartitionLog copy : logs)
            {
                assertTrue(copy.config(second, NOW_MS));
            }
            logs[1].close();
            logs[1] = PartitionLog.open(dirs[1], second, NOW_MS);
            logs[2].closeUnclean();
            logs[2] = PartitionLog.open(dirs[2], second, NOW_MS);
            seed = appendToAll(logs, seed, batchesPerStep);
            if (null != third)
            {
                for (final PartitionLog copy : logs)
                {
                    assertTrue(copy.config(third, NOW_MS));
                }
            }
            appendToAll(logs, seed, batchesPerStep);
            assertTrue(logs[0].segmentCount() > 1, "the log should have rolled");
            for (int i = 1; i < logs.length; i++)
            {
                assertArrayEquals(logs[0].segmentBaseOffsets(), logs[i].segmentBaseOffsets(),
                    "segments of the running log " + Arrays.toString(logs[0].segmentBaseOffsets()) + ", of " +
                    dirs[i].getName() + " " + Arrays.toString(logs[i].segmentBaseOffsets()));
            }
        }
        finally
        {
            for (final PartitionLog copy : logs)
            {
                if (null != copy)
                {
                    copy.close();
                }
            }
        }
    }

    private long appendToAll(final PartitionLog[] logs, final long firstSeed, final int count)
    {
        long seed = firstSeed;
        for (int i = 0; i < count; i++)
        {
            final byte[] batch = batches.batch(2, 100, NOW_MS, seed++);
            final long offset = append(logs[0], batch, NOW_MS);
            assertTrue(offset >= 0, "append failed: " + offset);
            for (int l = 1; l < logs.length; l++)
            {
                assertEquals(offset, append(logs[l], batch, NOW_MS));
            }
        }
        return seed;
    }

    private long appendBatch(final int recordCount, final int valueLength, final long nowMs)
    {
        return appendBatch(recordCount, valueLength, nowMs, nowMs);
    }

    private long appendBatch(final int recordCount, final int valueLength, final long timestampMs, final long nowMs)
    {
        final byte[] batch = batches.batch(recordCount, valueLength, timestampMs, appended.size());
        final long offset = append(log, batch, nowMs);
        assertTrue(offset >= 0, "append failed: " + offset + " " + log.lastAppendError());
        appended.add(batch);
        appendedOffsets.add(offset);
        return offset;
    }

    private void assertStoredBatches(final LogReadResult result, final int firstBatch)
    {
        int position = 0;
        for (int i = 0; i < result.batchCount(); i++)
        {
            final byte[] expected = appended.get(firstBatch + i);
            assertStoredBatch("batch " + (firstBatch + i), expected, appendedOffsets.get(firstBatch + i),
                result.buffer(), position);
            position += expected.length;
        }
        assertEquals(result.length(), position);
    }

    private void assertAllBatchesReadable()
    {
        long offset = log.logStartOffset();
        int batch = 0;
        while (offset < log.highWaterMark())
        {
            final int length = log.read(offset, 2000, result);
            assertTrue(length > 0, "read at " + offset + " returned " + length);
            assertStoredBatches(result, batch);
            batch += result.batchCount();
            offset = result.nextOffset();
        }
        assertEquals(appended.size(), batch);
    }
}
