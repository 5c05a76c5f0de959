/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.batch;

import java.util.concurrent.TimeUnit;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.perf.log.BenchmarkBatch;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Building an uncompressed record batch as the producer does: wrap a region, append records of a 100-byte value from
 * a buffer (no key, no headers), then build (header and CRC32C).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class RecordBatchBuildBenchmark
{
    private static final long NOW_MS = 1_700_000_000_000L;

    /**
     * Records appended per batch.
     */
    @Param({ "1", "10", "100" })
    public int recordsPerBatch;

    private final RecordBatchBuilder builder = new RecordBatchBuilder();
    private final UnsafeBuffer region = new UnsafeBuffer(BufferUtil.allocateDirectAligned(256 * 1024, 64));
    private final UnsafeBuffer value = new UnsafeBuffer(new byte[BenchmarkBatch.VALUE_LENGTH]);

    /**
     * Fill the value.
     */
    @Setup(Level.Trial)
    public void setup()
    {
        for (int i = 0; i < BenchmarkBatch.VALUE_LENGTH; i++)
        {
            value.putByte(i, (byte)('a' + i % 26));
        }
    }

    /**
     * Release the builder.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        builder.close();
    }

    /**
     * Build one batch.
     *
     * @return the batch length.
     */
    @Benchmark
    public int build()
    {
        final RecordBatchBuilder builder = this.builder;
        builder.wrap(region, 0, region.capacity());
        for (int i = 0; i < recordsPerBatch; i++)
        {
            builder.append(NOW_MS + i, null, 0, RecordBatch.NULL_LENGTH, value, 0, BenchmarkBatch.VALUE_LENGTH);
        }
        return builder.build();
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(RecordBatchBuildBenchmark.class.getSimpleName()).build()).run();
    }
}
