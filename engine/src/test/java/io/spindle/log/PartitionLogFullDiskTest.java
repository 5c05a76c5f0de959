/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full disk under a partition log: the batch that does not fit is refused with KAFKA_STORAGE_ERROR before any of
 * it is written, every batch acknowledged before is kept, reads go on, appends resume once space is freed, and
 * recovery on a disk still full either works or refuses with a clear error.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PartitionLogFullDiskTest
{
    private static final long NOW_MS = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final LogTestSupport batches = new LogTestSupport();
    private final LogReadResult result = new LogReadResult();

    private static LogConfig config()
    {
        return new LogConfig()
            .segmentBytes(1024 * 1024)
            .maxMessageBytes(64 * 1024)
            .indexIntervalBytes(4096)
            .retentionMs(LogConfig.UNLIMITED)
            .retentionBytes(LogConfig.UNLIMITED);
    }

    @Test
    void refusalOfAReservationWritesNothingAndIsNotSticky()
    {
        final File partition = dir.resolve("p-0").toFile();
        try (PartitionLog log = PartitionLog.open(partition, config(), NOW_MS))
        {
            final byte[] batch = batches.batch(10, 100, NOW_MS, 1);
            log.activeSegment().injectReserveFailure(new IOException("No space left on device"));

            assertEquals(PartitionLog.KAFKA_STORAGE_ERROR, LogTestSupport.append(log, batch, NOW_MS));
            assertEquals("No space left on device", log.lastStorageFailure().getMessage());
            assertNull(log.storageError(), "a refused reservation must not stop the log for good");
            assertEquals(0, log.logEndOffset());
            assertEquals(0, log.activeSegment().size());
            for (int i = 0; i < batch.length; i++)
            {
                assertEquals(0, log.activeSegment().buffer.getByte(i), "byte " + i + " written before the refusal");
            }

            log.activeSegment().injectReserveFailure(null);
            assertEquals(0, LogTestSupport.append(log, batch, NOW_MS));
            log.highWaterMark(log.logEndOffset());
            assertEquals(batch.length, log.read(0, Integer.MAX_VALUE, result));
            LogTestSupport.assertStoredBatch("after the retry", batch, 0, result.buffer(), 0);
        }
    }

    @Test
    void aFullDiskRefusesTheNextBatchAndKeepsEveryAcknowledgedOne()
    {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("mnt"), "6m"))
        {
            final File partition = fs.root().resolve("p-0").toFile();
            final Path ballast = fs.ballast("ballast", 2 * 1024 * 1024);
            final List<byte[]> acked = new ArrayList<>();
            try (PartitionLog log = PartitionLog.open(partition, config(), NOW_MS))
            {
                long result = appendUntilRefused(log, acked);
                assertEquals(PartitionLog.KAFKA_STORAGE_ERROR, result);
                assertNull(log.storageError(), "a full disk must not stop the log for good: " + log.storageError());
                assertTrue(log.lastStorageFailure().getMessage().contains("No space left on device"),
                    String.valueOf(log.lastStorageFailure()));
                assertTrue(log.segmentCount() > 1, "the test should have rolled at least once");

                assertAllPresent(log, acked, "while the disk is full");
                assertEquals(PartitionLog.KAFKA_STORAGE_ERROR,
                    LogTestSupport.append(log, batches.batch(4, 100, NOW_MS, -1), NOW_MS), "still full");

                Files.delete(ballast);
                final byte[] after = batches.batch(4, 100, NOW_MS, acked.size());
                result = LogTestSupport.append(log, after, NOW_MS);
                assertTrue(result >= 0, "appends resume once space is freed: " + result);
                acked.add(after);
                log.highWaterMark(log.logEndOffset());
                assertAllPresent(log, acked, "after space was freed");
            }

            try (PartitionLog log = PartitionLog.open(partition, config(), NOW_MS))
            {
                assertAllPresent(log, acked, "after reopening");
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Test
    void recoveryOnAFullDiskRefusesClearlyAndWorksOnceSpaceIsFreed() throws IOException
    {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("mnt"), "4m"))
        {
            final File partition = fs.root().resolve("p-0").toFile();
            final List<byte[]> acked = new ArrayList<>();
            final PartitionLog crashed = PartitionLog.open(partition, config(), NOW_MS);
            for (int i = 0; i < 40; i++)
            {
                final byte[] batch = batches.batch(10, 100, NOW_MS, i);
                assertEquals(acked.size() * 10L, LogTestSupport.append(crashed, batch, NOW_MS));
                acked.add(batch);
            }
            crashed.closeUnclean();
            // Recovery must rebuild the lost indexes: it writes, on a disk with no space left.
            for (final File file : partition.listFiles())
            {
                if (file.getName().endsWith(LogSegment.INDEX_SUFFIX) ||
                    file.getName().endsWith(LogSegment.TIME_INDEX_SUFFIX))
                {
                    Files.delete(file.toPath());
                }
            }
            final Path filler = fs.fill("filler");

            final UncheckedIOException refused = assertThrows(
                UncheckedIOException.class, () -> PartitionLog.open(partition, config(), NOW_MS).close());
            assertTrue(refused.getMessage().contains("cannot rebuild the indexes") &&
                refused.getCause().getMessage().contains("No space left on device"), refused.toString());

            Files.delete(filler);
            try (PartitionLog log = PartitionLog.open(partition, config(), NOW_MS))
            {
                assertAllPresent(log, acked, "after space was freed");
                LogTestSupport.assertIndexesConsistent(log, "rebuilt");
            }
        }
    }

    private long appendUntilRefused(final PartitionLog log, final List<byte[]> acked)
    {
        for (int i = 0; i < 100_000; i++)
        {
            final byte[] batch = batches.batch(20, 500, NOW_MS, i);
            final long result = LogTestSupport.append(log, batch, NOW_MS);
            if (result < 0)
            {
                return result;
            }
            assertEquals(acked.size() * 20L, result);
            acked.add(batch);
            log.highWaterMark(log.logEndOffset());
        }

        return 0;
    }

    private void assertAllPresent(final PartitionLog log, final List<byte[]> acked, final String when)
    {
        long offset = 0;
        for (int i = 0; i < acked.size(); i++)
        {
            final byte[] expected = acked.get(i);
            final int length = log.read(offset, 1, result);
            assertEquals(expected.length, length, when + ": batch " + i + " at offset " + offset);
            LogTestSupport.assertStoredBatch(when, expected, offset, result.buffer(), 0);
            offset = result.nextOffset();
        }
        assertEquals(offset, log.logEndOffset(), when + ": log end");
    }
}
