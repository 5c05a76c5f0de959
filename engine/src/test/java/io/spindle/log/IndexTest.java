/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IndexTest
{
    @TempDir
    File dir;

    @Test
    void shouldFindFloorEntriesAgainstAModel()
    {
        final Random random = new Random(1);
        final OffsetIndex index = new OffsetIndex(new File(dir, "a.index"), 1000, true);
        final TimeIndex timeIndex = new TimeIndex(new File(dir, "a.timeindex"), 1000, true);
        final int[] offsets = new int[1000];
        final long[] timestamps = new long[1000];
        int offset = 0;
        long timestamp = 0;
        for (int i = 0; i < 1000; i++)
        {
            offset += 1 + random.nextInt(5);
            timestamp += random.nextInt(3);
            offsets[i] = offset;
            timestamps[i] = timestamp;
            index.append(offset, i * 100 + 100);
            timeIndex.append(timestamp, offset);
        }
        assertTrue(index.isFull());

        for (int target = -1; target <= offset + 2; target++)
        {
            int expected = -1;
            for (int i = 0; i < 1000 && offsets[i] <= target; i++)
            {
                expected = i;
            }
            assertEquals(expected, index.floorEntry(target, 1000), "target " + target);
        }
        for (long ts = -1; ts <= timestamp + 2; ts++)
        {
            int expected = -1;
            for (int i = 0; i < 1000 && timestamps[i] < ts; i++)
            {
                expected = i;
            }
            assertEquals(expected, timeIndex.lastEntryBelow(ts, 1000), "ts " + ts);
        }
        assertEquals(0, index.ceilingEntryByPosition(0, 1000));
        assertEquals(1, index.ceilingEntryByPosition(101, 1000));
        assertEquals(1000, index.ceilingEntryByPosition(1_000_000, 1000));
        index.close();
        timeIndex.close();
    }

    @Test
    void shouldTruncateTrimAndReload()
    {
        final File file = new File(dir, "b.index");
        final File timeFile = new File(dir, "b.timeindex");
        OffsetIndex index = new OffsetIndex(file, 100, true);
        TimeIndex timeIndex = new TimeIndex(timeFile, 100, true);
        for (int i = 1; i <= 10; i++)
        {
            index.append(i * 2, i * 1000);
            timeIndex.append(i * 10L, i * 2);
        }
        index.truncateToEntries(7);
        timeIndex.truncateToEntries(7);
        assertEquals(7, index.entryCountAcquire());
        assertEquals(0, index.relativeOffset(7));
        index.trim();
        timeIndex.trim();
        assertEquals(7 * OffsetIndex.ENTRY_LENGTH, file.length());
        assertEquals(7 * TimeIndex.ENTRY_LENGTH, timeFile.length());
        index.close();
        timeIndex.close();

        index = new OffsetIndex(file, 100, false);
        timeIndex = new TimeIndex(timeFile, 100, false);
        assertEquals(7, index.loadEntryCount(100_000));
        assertTrue(timeIndex.loadEntryCount(index, 7));
        final OffsetIndex shortData = new OffsetIndex(file, 100, false);
        assertEquals(-1, shortData.loadEntryCount(5000), "position beyond the data");
        shortData.close();
        index.close();
        timeIndex.close();

        index = new OffsetIndex(file, 100, true);
        assertEquals(100 * OffsetIndex.ENTRY_LENGTH, file.length(), "reopened for writing, preallocated");
        assertEquals(7, index.loadEntryCount(100_000), "zeroed tail marks the end");
        index.buffer.putInt(3 * OffsetIndex.ENTRY_LENGTH, 1);
        assertEquals(-1, index.loadEntryCount(100_000), "offsets out of order");
        index.close();

        final TimeIndex unpaired = new TimeIndex(timeFile, 100, false);
        final OffsetIndex other = new OffsetIndex(new File(dir, "c.index"), 100, true);
        for (int i = 1; i <= 7; i++)
        {
            other.append(i * 3, i * 1000);
        }
        assertFalse(unpaired.loadEntryCount(other, 7), "time index must pair with the offset index");
        unpaired.close();
        other.close();
    }
}
