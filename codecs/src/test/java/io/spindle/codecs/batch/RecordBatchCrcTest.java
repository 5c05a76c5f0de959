/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordBatchCrcTest
{
    @Test
    void shouldUseJdkIntrinsicsWithSurefireFlags()
    {
        assertTrue(RecordBatch.isIntrinsicCrc32c(), "surefire passes --add-opens java.base/java.util.zip");
    }

    @Test
    void shouldMatchJdkCrc32cOnHeapOffHeapAndPortably()
    {
        final Random random = new Random(42);
        final byte[] bytes = new byte[5000];
        random.nextBytes(bytes);
        final ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
        direct.put(bytes).flip();
        final UnsafeBuffer offHeap = new UnsafeBuffer(direct);

        for (int i = 0; i < 2000; i++)
        {
            final int index = random.nextInt(100);
            final int length = i < 200 ? i % 40 : random.nextInt(bytes.length - index);
            final CRC32C expected = new CRC32C();
            expected.update(bytes, index, length);
            final int crc = (int)expected.getValue();

            assertEquals(crc, RecordBatch.crc32cRange(new UnsafeBuffer(bytes), index, length));
            assertEquals(crc, RecordBatch.crc32cRange(offHeap, index, length));
            assertEquals(crc, RecordBatch.crc32cPortable(new UnsafeBuffer(bytes), index, length));
            assertEquals(crc, RecordBatch.crc32cPortable(offHeap, index, length));
        }
    }

    @Test
    void shouldHonourWrapAdjustmentOfSlicedBuffers()
    {
        final byte[] bytes = new byte[300];
        new Random(3).nextBytes(bytes);
        final UnsafeBuffer slice = new UnsafeBuffer(bytes, 37, 200);
        final CRC32C expected = new CRC32C();
        expected.update(bytes, 37 + 10, 150);
        assertEquals((int)expected.getValue(), RecordBatch.crc32cRange(slice, 10, 150));

        final ByteBuffer direct = ByteBuffer.allocateDirect(300);
        direct.put(bytes).flip();
        final UnsafeBuffer directSlice = new UnsafeBuffer(direct, 37, 200);
        assertEquals((int)expected.getValue(), RecordBatch.crc32cRange(directSlice, 10, 150));
    }

    @Test
    void shouldRejectRangesOutsideBuffer()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[100]);
        assertThrows(IndexOutOfBoundsException.class, () -> RecordBatch.crc32cRange(buffer, -1, 10));
        assertThrows(IndexOutOfBoundsException.class, () -> RecordBatch.crc32cRange(buffer, 0, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> RecordBatch.crc32cRange(buffer, 95, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> RecordBatch.crc32cRange(buffer, Integer.MAX_VALUE, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> RecordBatch.crc32c(buffer, 0, 19));
        assertEquals(0, RecordBatch.crc32cRange(buffer, 100, 0));
    }

    @Test
    void shouldDefineLayoutConstants()
    {
        assertEquals(64, RecordBatch.HEADER_LENGTH);
        assertEquals(28, RecordBatch.RECORD_OVERHEAD);
        assertEquals(RecordBatch.MAGIC_OFFSET, RecordBatch.CRC_START_OFFSET);
        assertEquals(RecordBatch.BASE_SEQUENCE_OFFSET + 4, RecordBatch.HEADER_LENGTH);
        assertEquals(0x3F, RecordBatch.KNOWN_ATTRIBUTES_MASK);
    }
}
