package io.spindle.client;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PartitionerTest
{
    /**
     * The vectors of Kafka's {@code UtilsTest.testMurmur2}.
     */
    @ParameterizedTest
    @CsvSource({
        "21, -973932308",
        "foobar, -790332482",
        "a-little-bit-long-string, -985981536",
        "a-little-bit-longer-string, -1486304829",
        "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8, -58897971",
        "abc, 479470107"
    })
    void murmur2MatchesKafka(final String key, final int expected)
    {
        final byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        assertEquals(expected, Partitioner.murmur2(new UnsafeBuffer(bytes), 0, bytes.length));
    }

    @Test
    void murmur2ReadsFromAnOffset()
    {
        final byte[] padded = "xxfoobaryy".getBytes(StandardCharsets.UTF_8);
        assertEquals(-790332482, Partitioner.murmur2(new UnsafeBuffer(padded), 2, 6));
    }

    @Test
    void partitionIsThePositiveHashModuloTheCount()
    {
        final byte[] foobar = "foobar".getBytes(StandardCharsets.UTF_8);
        assertEquals(6, Partitioner.partition(new UnsafeBuffer(foobar), 0, foobar.length, 10));
        assertEquals(16, Partitioner.partition(new UnsafeBuffer(foobar), 0, foobar.length, 50));
        assertEquals((-790332482 & 0x7fffffff) % 7, Partitioner.partition(new UnsafeBuffer(foobar), 0, 6, 7));
    }
}
