/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import io.spindle.codecs.batch.TestBatches.TestRecord;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bounded fuzzing of the validator and of record iteration over what it accepts.
 * <p>
 * Every input is wrapped in an {@link UnsafeBuffer} over an array of exactly its length, so with Agrona's bounds
 * checks on (the default) any read past the input throws and fails the test. Reads before the start are caught by
 * validating the same bytes behind a random prefix and requiring the same answer. Reproduce a failure with
 * {@code -Dspindle.fuzz.seed=<seed>}; {@code -Dspindle.fuzz.iterations=<n>} runs longer.
 */
class RecordBatchFuzzTest
{
    private static final int ITERATIONS = Integer.getInteger("spindle.fuzz.iterations", 40_000);
    private static final int[] EDGE_INTS = { -1, 0, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, -2, 27, 28, 64, 65 };

    private final RecordBatchValidator validator = new RecordBatchValidator(1024 * 1024);
    private final RecordBatchFlyweight batch = new RecordBatchFlyweight();
    private final RecordFlyweight records = new RecordFlyweight(1024 * 1024);
    private final BatchCompression compression = new BatchCompression();
    private final byte[] scratch = new byte[1024 * 1024];
    private final Map<BatchError, Integer> outcomes = new EnumMap<>(BatchError.class);

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
        compression.close();
    }

    @Test
    void shouldNeverThrowNorReadOutsideInputAndIterateEveryAcceptedBatch()
    {
        final long seed = Long.getLong("spindle.fuzz.seed", System.nanoTime());
        final Random random = new Random(seed);
        final List<byte[]> corpus = corpus(random);

        for (int iteration = 0; iteration < ITERATIONS; iteration++)
        {
            final byte[] input;
            final int kind = random.nextInt(20);
            if (kind < 2)
            {
                input = new byte[random.nextInt(300)];
                random.nextBytes(input);
            }
            else if (kind < 4)
            {
                input = plausibleHeader(random);
            }
            else
            {
                input = mutate(random, corpus.get(random.nextInt(corpus.size())));
            }

            check(input, seed, iteration);
        }

        System.out.println("RecordBatchFuzzTest seed=" + seed + "L iterations=" + ITERATIONS + " outcomes=" + outcomes);
        assertTrue(outcomes.getOrDefault(BatchError.OK, 0) > ITERATIONS / 100, "seed=" + seed + " " + outcomes);
        assertTrue(outcomes.size() > 15, "the fuzzer should reach most checks: seed=" + seed + " " + outcomes);
    }

    private void check(final byte[] input, final long seed, final int iteration)
    {
        final BatchError error;
        try
        {
            error = validator.validate(new UnsafeBuffer(input), 0, input.length);

            final int prefix = 1 + (iteration % 13);
            final byte[] padded = new byte[prefix + input.length];
            Arrays.fill(padded, 0, prefix, (byte)iteration);
            System.arraycopy(input, 0, padded, prefix, input.length);
            assertEquals(error, validator.validate(new UnsafeBuffer(padded), prefix, input.length), "offset");

            final BatchError exact = validator.validateExact(new UnsafeBuffer(input), 0, input.length);
            if (BatchError.OK == error && exact != BatchError.OK)
            {
                assertEquals(BatchError.BATCH_LENGTH_NOT_EXACT, exact);
            }

            if (BatchError.OK == error)
            {
                iterate(new UnsafeBuffer(input));
            }
        }
        catch (final Throwable ex)
        {
            fail("seed=" + seed + "L iteration=" + iteration + " input=" + TestBatches.hex(input), ex);
            return;
        }

        outcomes.merge(error, 1, Integer::sum);
    }

    private void iterate(final DirectBuffer buffer)
    {
        batch.wrap(buffer, 0);
        assertTrue(batch.isCrcValid());
        assertEquals(BatchError.OK, records.wrap(batch));

        int count = 0;
        while (records.next())
        {
            assertEquals(count, records.offsetDelta());
            final DirectBuffer recordBuffer = records.buffer();
            touch(recordBuffer, records.recordOffset(), records.recordLength());
            touch(recordBuffer, records.keyOffset(), Math.max(0, records.keyLength()));
            touch(recordBuffer, records.valueOffset(), Math.max(0, records.valueLength()));

            int headers = 0;
            while (records.nextHeader())
            {
                touch(recordBuffer, records.headerKeyOffset(), records.headerKeyLength());
                touch(recordBuffer, records.headerValueOffset(), Math.max(0, records.headerValueLength()));
                headers++;
            }
            assertEquals(records.headerCount(), headers);
            count++;
        }

        assertEquals(batch.recordCount(), count);
    }

    private void touch(final DirectBuffer buffer, final int offset, final int length)
    {
        buffer.getBytes(offset, scratch, 0, length);
    }

    private static List<byte[]> corpus(final Random random)
    {
        final List<byte[]> corpus = new ArrayList<>();
        final RecordBatchBuilder builder = new RecordBatchBuilder();
        try
        {
            for (int i = 0; i < 90; i++)
            {
                final int codec = TestBatches.CODECS[i % TestBatches.CODECS.length];
                final List<TestRecord> batchRecords = new ArrayList<>();
                final int count = 1 + random.nextInt(6);
                for (int r = 0; r < count; r++)
                {
                    batchRecords.add(TestBatches.randomRecord(random, 1_700_000_000_000L));
                }
                corpus.add(TestBatches.build(builder, codec, batchRecords));
            }
        }
        finally
        {
            builder.close();
        }
        return corpus;
    }

    private static byte[] plausibleHeader(final Random random)
    {
        final byte[] input = new byte[RecordBatch.HEADER_LENGTH + random.nextInt(200)];
        random.nextBytes(input);
        final ByteBuffer view = TestBatches.le(input);
        view.putInt(RecordBatch.BATCH_LENGTH_OFFSET, input.length);
        view.put(RecordBatch.MAGIC_OFFSET, RecordBatch.MAGIC);
        view.put(RecordBatch.RESERVED_BYTE_OFFSET, (byte)0);
        view.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short)TestBatches.CODECS[random.nextInt(3)]);
        final int count = 1 + random.nextInt(3);
        view.putInt(RecordBatch.RECORD_COUNT_OFFSET, count);
        view.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, count - 1);
        view.putLong(RecordBatch.PRODUCER_ID_OFFSET, -1L);
        view.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, (short)-1);
        view.putShort(RecordBatch.RESERVED_SHORT_OFFSET, (short)0);
        view.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, -1);
        TestBatches.recomputeCrc(input);
        return input;
    }

    private byte[] mutate(final Random random, final byte[] original)
    {
        byte[] bytes = original.clone();
        final int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.nextInt(8))
            {
                case 0:
                {
                    final int flips = 1 + random.nextInt(4);
                    for (int f = 0; f < flips && bytes.length > 0; f++)
                    {
                        bytes[random.nextInt(bytes.length)] ^= (byte)(1 << random.nextInt(8));
                    }
                    break;
                }

                case 1:
                    bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
                    break;

                case 2:
                {
                    final byte[] longer = Arrays.copyOf(bytes, bytes.length + 1 + random.nextInt(16));
                    for (int i = bytes.length; i < longer.length; i++)
                    {
                        longer[i] = (byte)random.nextInt();
                    }
                    bytes = longer;
                    break;
                }

                case 3:
                    if (bytes.length >= 4)
                    {
                        TestBatches.le(bytes).putInt(random.nextInt(bytes.length - 3), edgeInt(random, bytes.length));
                    }
                    break;

                case 4:
                    if (bytes.length >= RecordBatch.HEADER_LENGTH)
                    {
                        final int[] fields = {
                            RecordBatch.BATCH_LENGTH_OFFSET, RecordBatch.LAST_OFFSET_DELTA_OFFSET,
                            RecordBatch.RECORD_COUNT_OFFSET, RecordBatch.BASE_SEQUENCE_OFFSET };
                        final int field = fields[random.nextInt(fields.length)];
                        TestBatches.le(bytes).putInt(field, edgeInt(random, bytes.length));
                    }
                    break;

                case 5:
                    if (bytes.length >= RecordBatch.HEADER_LENGTH + 4)
                    {
                        TestBatches.le(bytes).putInt(RecordBatch.HEADER_LENGTH, edgeInt(random, bytes.length));
                    }
                    break;

                case 6:
                case 7:
                    bytes = mutateRecords(random, bytes);
                    break;

                default:
                    break;
            }
        }

        if (random.nextInt(10) < 7 && bytes.length >= RecordBatch.HEADER_LENGTH)
        {
            final int batchLength = TestBatches.le(bytes).getInt(RecordBatch.BATCH_LENGTH_OFFSET);
            final int crcLength = batchLength >= RecordBatch.CRC_START_OFFSET && batchLength <= bytes.length ?
                batchLength : bytes.length;
            final int crc = RecordBatch.crc32c(new UnsafeBuffer(bytes), 0, crcLength);
            TestBatches.le(bytes).putInt(RecordBatch.CRC_OFFSET, crc);
        }

        return bytes;
    }

    /**
     * Corrupt one int inside the uncompressed records section, recompressing a compressed batch so the damage
     * reaches the record walk rather than stopping at decompression; fixes batchLength and the CRC.
     */
    private byte[] mutateRecords(final Random random, final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        if (BatchError.OK != validator.validate(buffer, 0, bytes.length))
        {
            return bytes;
        }

        batch.wrap(buffer, 0);
        final int codec = batch.compression();
        final byte[] section;
        if (RecordBatch.COMPRESSION_NONE == codec)
        {
            section = Arrays.copyOfRange(bytes, RecordBatch.HEADER_LENGTH, batch.batchLength());
        }
        else
        {
            final int uncompressedLength = buffer.getInt(batch.recordsOffset(), RecordBatch.BYTE_ORDER);
            assertTrue(compression.decompress(codec, buffer, batch.recordsOffset() + 4, batch.recordsLength() - 4,
                uncompressedLength));
            section = new byte[uncompressedLength];
            compression.decompressed().getBytes(0, section);
        }

        if (section.length < 4)
        {
            return bytes;
        }

        TestBatches.le(section).putInt(random.nextInt(section.length - 3), edgeInt(random, section.length));
        final byte[] stored = RecordBatch.COMPRESSION_NONE == codec ?
            section : TestBatches.compressSection(codec, section);
        final byte[] result = Arrays.copyOf(bytes, RecordBatch.HEADER_LENGTH + stored.length);
        System.arraycopy(stored, 0, result, RecordBatch.HEADER_LENGTH, stored.length);
        TestBatches.le(result).putInt(RecordBatch.BATCH_LENGTH_OFFSET, result.length);
        TestBatches.recomputeCrc(result);
        return result;
    }

    private static int edgeInt(final Random random, final int length)
    {
        switch (random.nextInt(4))
        {
            case 0:
                return EDGE_INTS[random.nextInt(EDGE_INTS.length)];
            case 1:
                return length + random.nextInt(9) - 4;
            case 2:
                return random.nextInt(length + 1);
            default:
                return random.nextInt();
        }
    }
}
