/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import io.spindle.codecs.batch.TestBatches.Header;
import io.spindle.codecs.batch.TestBatches.TestRecord;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Steady-state build, validate and iterate allocate nothing, measured with the JVM's per-thread allocation counter.
 */
class RecordBatchAllocationTest
{
    private static final int OPERATIONS = 20_000;

    private final RecordBatchValidator validator = new RecordBatchValidator();
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    private final RecordFlyweight records = new RecordFlyweight();
    private final RecordBatchBuilder builder = new RecordBatchBuilder();
    private final RecordHeaders headers = new RecordHeaders();
    private final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
    private final UnsafeBuffer value = new UnsafeBuffer(new byte[200]);
    private final UnsafeBuffer output = new UnsafeBuffer(new byte[64 * 1024]);

    @BeforeAll
    static void beforeAll()
    {
        TestBatches.ensureTempDirectory();
    }

    @AfterEach
    void after()
    {
        validator.close();
        records.close();
        builder.close();
    }

    @ParameterizedTest
    @ValueSource(ints = { RecordBatch.COMPRESSION_NONE, RecordBatch.COMPRESSION_LZ4, RecordBatch.COMPRESSION_ZSTD })
    void shouldNotAllocateInSteadyState(final int codec)
    {
        final byte[] stored = TestBatches.build(codec, List.of(
            new TestRecord(1, new byte[8], new byte[100], List.of(new Header("h", new byte[4]))),
            new TestRecord(2, null, null, List.of())));
        final UnsafeBuffer input = new UnsafeBuffer(stored);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

        long sink = run(codec, input, stored.length) + run(codec, input, stored.length);
        long fewest = Long.MAX_VALUE;
        long most = 0;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            sink += run(codec, input, stored.length);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            fewest = Math.min(fewest, allocated);
            most = Math.max(most, allocated);
        }

        // One allocation per operation would be at least 16 B x 20,000; a few hundred bytes in one round is the
        // JIT or a library's one-off bookkeeping, so require a clean round and no round near per-operation cost.
        final String context = "bytes allocated per " + OPERATIONS + " operations: fewest=" + fewest + " most=" + most +
            " codec=" + codec;
        assertTrue(sink > 0);
        assertEquals(0L, fewest, context);
        assertTrue(most < 1024, context);
    }

    private long run(final int codec, final UnsafeBuffer input, final int length)
    {
        long sink = 0;
        for (int i = 0; i < OPERATIONS; i++)
        {
            if (BatchError.OK == validator.validate(input, 0, length))
            {
                sink++;
            }

            if (BatchError.OK == records.wrap(batch.wrap(input, 0)))
            {
                while (records.next())
                {
                    sink += records.valueLength();
                    while (records.nextHeader())
                    {
                        sink += records.headerValueLength();
                    }
                }
            }

            if (0 == (i & 63))
            {
                builder.wrap(output, 0, output.capacity()).compression(codec).producer(1L, (short)0, i);
                headers.clear().add(key, 0, 3, value, 0, 10);
                builder.append(i, key, 0, key.capacity(), value, 0, value.capacity(), headers);
                builder.append(i + 1, null, 0, -1, value, 0, value.capacity());
                sink += builder.build();
            }
        }
        return sink;
    }
}
