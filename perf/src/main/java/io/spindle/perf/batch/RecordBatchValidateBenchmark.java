/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.batch;

import java.util.concurrent.TimeUnit;

import io.spindle.codecs.batch.BatchError;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.perf.log.BenchmarkBatch;
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
 * Validating an uncompressed record batch as the broker does before appending it: header, CRC32C, every record's
 * framing, exactly {@code length} bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class RecordBatchValidateBenchmark
{
    /**
     * Records of 100 bytes per batch.
     */
    @Param({ "1", "10", "100" })
    public int recordsPerBatch;

    private final RecordBatchValidator validator = new RecordBatchValidator();
    private UnsafeBuffer batch;
    private int batchLength;

    /**
     * Build the batch to validate.
     */
    @Setup(Level.Trial)
    public void setup()
    {
        batch = BenchmarkBatch.build(recordsPerBatch, 1_700_000_000_000L);
        batchLength = batch.capacity();
        if (BatchError.OK != validator.validateExact(batch, 0, batchLength))
        {
            throw new IllegalStateException("the benchmark batch does not validate");
        }
    }

    /**
     * Release the validator.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        validator.close();
    }

    /**
     * Validate the batch.
     *
     * @return the result, {@link BatchError#OK}.
     */
    @Benchmark
    public BatchError validate()
    {
        return validator.validateExact(batch, 0, batchLength);
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(RecordBatchValidateBenchmark.class.getSimpleName()).build()).run();
    }
}
