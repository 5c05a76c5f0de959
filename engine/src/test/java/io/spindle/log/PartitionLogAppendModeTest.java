/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatch;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.spindle.log.LogTestSupport.ORDER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle.storage.append}: the mode a segment is opened in, the files holding exactly what the readers read
 * through the mappings in both modes, and a positional write that fails part way publishing nothing.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PartitionLogAppendModeTest
{
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final int EPOCH = 7;

    @TempDir
    File dir;

    private final LogTestSupport batches = new LogTestSupport();
    private final LogReadResult result = new LogReadResult();

    @AfterEach
    void clearMode()
    {
        System.clearProperty(StorageConfiguration.APPEND.name());
    }

    private static LogConfig config()
    {
        return new LogConfig()
            .segmentBytes(1024 * 1024)
            .maxMessageBytes(64 * 1024)
            .indexIntervalBytes(1024)
            .retentionMs(LogConfig.UNLIMITED)
            .retentionBytes(LogConfig.UNLIMITED);
    }

    @ParameterizedTest
    @EnumSource(AppendMode.class)
    void theFilesHoldWhatTheReadersReadInEitherMode(final AppendMode mode) throws IOException
    {
        System.setProperty(StorageConfiguration.APPEND.name(), mode.name().toLowerCase());
        final List<byte[]> appended = new ArrayList<>();
        try (PartitionLog log = PartitionLog.open(dir, config(), NOW_MS))
        {
            assertEquals(mode, log.activeSegment().appendMode());
            long expectedOffset = 0;
            for (int i = 0; i < 40; i++)
            {
                final byte[] batch = batches.batch(1 + i % 5, 10 + 37 * i, NOW_MS + i, i);
                appended.add(batch);
                assertEquals(expectedOffset, log.append(new UnsafeBuffer(batch), 0, batch.length, EPOCH, NOW_MS));
                expectedOffset += LogTestSupport.lastOffsetDelta(batch) + 1;
            }
            log.highWaterMark(log.logEndOffset());
            LogTestSupport.assertIndexesConsistent(log, mode.name());

            final LogSegment segment = log.activeSegment();
            assertTrue(segment.offsetIndex.entryCount() > 5, "too few index entries to test them");
            final int size = segment.size();
            final byte[] onDisk = Files.readAllBytes(segment.logFile.toPath());
            final byte[] mapped = new byte[size];
            segment.buffer.getBytes(0, mapped);
            assertArrayEquals(mapped, Arrays.copyOf(onDisk, size), "log file differs from the mapping");
            for (int i = size; i < onDisk.length; i++)
            {
                assertEquals(0, onDisk[i], "byte " + i + " after the batches");
            }
            assertIndexFileHoldsMapping(segment.offsetIndex, segment.indexFile);
            assertIndexFileHoldsMapping(segment.timeIndex, segment.timeIndexFile);

            int position = 0;
            long offset = 0;
            for (int i = 0; i < appended.size(); i++)
            {
                final byte[] batch = appended.get(i).clone();
                new UnsafeBuffer(batch).putInt(RecordBatch.PARTITION_LEADER_EPOCH_OFFSET, EPOCH, ORDER);
                LogTestSupport.assertStoredBatch("batch " + i, batch, offset, segment.buffer, position);
                position += batch.length;
                offset += LogTestSupport.lastOffsetDelta(batch) + 1;
            }
            assertEquals(size, position);
        }

        try (PartitionLog log = PartitionLog.open(dir, config(), NOW_MS))
        {
            assertEquals(0, log.recoveryReport().bytesCut(), log.recoveryReport().toString());
            log.highWaterMark(log.logEndOffset());
            assertEquals(appended.size(), countBatches(log));
        }
    }

    @Test
    void aWriteThatFailsPartWayPublishesNothingAndIsNotSticky() throws IOException
    {
        System.setProperty(StorageConfiguration.APPEND.name(), "write");
        final List<byte[]> appended = new ArrayList<>();
        try (PartitionLog log = PartitionLog.open(dir, config(), NOW_MS))
        {
            final LogSegment segment = log.activeSegment();
            assertEquals(AppendMode.WRITE, segment.appendMode());
            // Batches up to where the next one is due an index entry, so the failing batch's entry is tested too.
            for (int i = 0; appended.isEmpty() || !isIndexEntryDueNext(segment, 1024); i++)
            {
                final byte[] batch = batches.batch(2, 200, NOW_MS, i);
                appended.add(batch);
                assertTrue(LogTestSupport.append(log, batch, NOW_MS) >= 0);
            }
            log.highWaterMark(log.logEndOffset());
            final long endOffset = log.logEndOffset();
            final int size = segment.size();
            final int entries = segment.offsetIndex.entryCount();

            final byte[] failing = batches.batch(5, 300, NOW_MS, 99);
            segment.injectWriteFailure(new IOException("Input/output error"), failing.length / 2);
            assertEquals(PartitionLog.KAFKA_STORAGE_ERROR, LogTestSupport.append(log, failing, NOW_MS));
            assertTrue(log.lastStorageFailure().getMessage().contains("Input/output error"),
                log.lastStorageFailure().getMessage());
            assertNull(log.storageError(), "a failed write must not stop the log for good");
            assertEquals(endOffset, log.logEndOffset());
            assertEquals(size, segment.size());
            assertEquals(size, segment.sizeAcquire());
            assertEquals(entries, segment.offsetIndex.entryCountAcquire());
            assertEquals(entries, segment.timeIndex.entryCountAcquire());
            assertTrue(LogSegment.isZeroOnDisk(segment.channelForTests(), size, failing.length, segment.logFile),
                "the part written before the failure is zeroed again");
            for (int i = 0; i < failing.length; i++)
            {
                assertEquals(0, segment.buffer.getByte(size + i), "byte " + i + " of the failed batch");
            }
            assertEquals(appended.size(), countBatches(log));

            segment.injectWriteFailure(null, 0);
            appended.add(failing);
            assertEquals(endOffset, LogTestSupport.append(log, failing, NOW_MS));
            log.highWaterMark(log.logEndOffset());
            LogTestSupport.assertIndexesConsistent(log, "after the retry");
            assertEquals(entries + 1, segment.offsetIndex.entryCount());
        }

        try (PartitionLog log = PartitionLog.open(dir, config(), NOW_MS))
        {
            assertEquals(0, log.recoveryReport().bytesCut(), log.recoveryReport().toString());
            log.highWaterMark(log.logEndOffset());
            assertEquals(appended.size(), countBatches(log));
            final int length = log.read(0, Integer.MAX_VALUE, result);
            int position = 0;
            long offset = 0;
            for (final byte[] batch : appended)
            {
                LogTestSupport.assertStoredBatch("after reopening", batch, offset, result.buffer(), position);
                position += batch.length;
                offset += LogTestSupport.lastOffsetDelta(batch) + 1;
            }
            assertEquals(position, length);
        }
    }

    private static boolean isIndexEntryDueNext(final LogSegment segment, final int indexIntervalBytes)
    {
        final int entries = segment.offsetIndex.entryCount();
        final int lastEntryPosition = entries > 0 ? segment.offsetIndex.position(entries - 1) : 0;
        return LogSegment.isIndexEntryDue(segment.size(), segment.size() - lastEntryPosition, indexIntervalBytes);
    }

    private int countBatches(final PartitionLog log)
    {
        log.read(0, Integer.MAX_VALUE, result);
        return result.batchCount();
    }

    private static void assertIndexFileHoldsMapping(final MappedIndex index, final File file) throws IOException
    {
        final int length = index.entryCount() * index.entryLength;
        final byte[] onDisk = Files.readAllBytes(file.toPath());
        final byte[] mapped = new byte[length];
        index.buffer.getBytes(0, mapped);
        assertArrayEquals(mapped, Arrays.copyOf(onDisk, length), file + " differs from its mapping");
        for (int i = length; i < onDisk.length; i++)
        {
            assertEquals(0, onDisk[i], file + " byte " + i + " after the entries");
        }
    }
}
