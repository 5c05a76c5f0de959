package io.spindle.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordFlyweight;
import io.spindle.codecs.batch.RecordHeaders;
import io.spindle.host.ThreadAllocations;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Kafka-style {@code for (Header h : record.headers())} loop over the records of a real batch: it sees every
 * header, key and value as written, including null values and non-ASCII keys, and allocates nothing per record.
 */
class ConsumerRecordHeadersTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    private final RecordFlyweight records = new RecordFlyweight();
    private final ConsumerRecord record = new ConsumerRecord();

    /**
     * Three records: two headers (one with a null value), none, and three with a repeated and a non-ASCII key.
     */
    private void buildBatch()
    {
        final RecordBatchBuilder builder = new RecordBatchBuilder().wrap(buffer, 0, buffer.capacity());
        final RecordHeaders headers = new RecordHeaders();
        builder.append(1L, bytes("k0"), bytes("v0"), headers.clear().add("trace", bytes("t-0")).add("empty", null));
        builder.append(2L, bytes("k1"), bytes("v1"), headers.clear());
        builder.append(3L, bytes("k2"), bytes("v2"),
            headers.clear().add("type", bytes("a")).add("größe", bytes("xl")).add("type", bytes("b")));
        builder.build();
        assertEquals(BatchError.OK, records.wrap(batch.wrap(buffer, 0)));
    }

    @Test
    void everyHeaderIsSeenInOrderWithItsKeyAndValue()
    {
        buildBatch();
        final List<String> seen = new ArrayList<>();
        while (records.next())
        {
            record.wrap("orders", 0, records);
            final StringBuilder line = new StringBuilder(record.offset() + ":");
            for (final ConsumerRecord.Header header : record.headers())
            {
                line.append(' ').append(header.key()).append('=').append(header.valueAsString());
            }
            seen.add(line.toString());
            assertEquals(record.headerCount(), record.headers().count());
        }
        assertEquals(List.of("0: trace=t-0 empty=null", "1:", "2: type=a größe=xl type=b"), seen);
    }

    @Test
    void headerViewsAreInPlaceAndLastHeaderFindsTheLastOfARepeatedKey()
    {
        buildBatch();
        records.next();
        record.wrap("orders", 0, records);
        final Iterator<ConsumerRecord.Header> iterator = record.headers().iterator();
        final ConsumerRecord.Header first = iterator.next();
        assertTrue(first.keyEquals("trace"));
        assertFalse(first.keyEquals("trac"));
        assertFalse(first.keyEquals("traces"));
        assertArrayEquals(bytes("t-0"), first.value());
        assertEquals("t-0", first.buffer().getStringWithoutLengthUtf8(first.valueOffset(), first.valueLength()));
        final ConsumerRecord.Header second = iterator.next();
        assertSame(first, second, "one reused view");
        assertEquals(-1, second.valueLength());
        assertNull(second.value());
        assertFalse(iterator.hasNext());
        assertThrows(NoSuchElementException.class, iterator::next);
        assertNull(record.headers().lastHeader("type"));

        records.next();
        record.wrap("orders", 0, records);
        assertFalse(record.headers().iterator().hasNext(), "a record without headers");

        records.next();
        record.wrap("orders", 0, records);
        assertEquals("b", record.headers().lastHeader("type").valueAsString());
        assertEquals("xl", record.headers().lastHeader("größe").valueAsString());
        assertNull(record.headers().lastHeader("grosse"));
        assertEquals(3, record.headers().count());
    }

    @Test
    void iteratingHeadersAllocatesNothing()
    {
        buildBatch();
        final ThreadAllocations thread = ThreadAllocations.currentAnd((name) -> false);
        long checksum = 0;
        for (int round = 0; round < 3; round++)
        {
            final long[] before = thread.allocated();
            checksum = 0;
            for (int i = 0; i < 20_000; i++)
            {
                records.wrap(batch.wrap(buffer, 0));
                while (records.next())
                {
                    record.wrap("orders", 0, records);
                    for (final ConsumerRecord.Header header : record.headers())
                    {
                        checksum += header.keyLength() + header.valueLength();
                    }
                    final ConsumerRecord.Header type = record.headers().lastHeader("type");
                    checksum += null == type ? 0 : type.valueLength();
                }
            }
            final long[] after = thread.allocated();
            if (2 == round)
            {
                final long allocated = ThreadAllocations.sum(after) - ThreadAllocations.sum(before);
                assertTrue(allocated < 60_000, "allocated " + allocated + " bytes walking 60,000 records' headers, " +
                    "at least one per record: " + thread.describe(before, after));
            }
        }
        // trace + t-0 + empty + null (-1); none; type + a + größe (7 bytes) + xl + type + b, and the last type's b.
        assertEquals(20_000L * ((5 + 3 + 5 - 1) + (4 + 1 + 7 + 2 + 4 + 1 + 1)), checksum);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
