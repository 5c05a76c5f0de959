/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.log;

import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import io.spindle.log.StorageConfiguration;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
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

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * Append throughput of {@link PartitionLog}: validate, assign offsets, copy into the segment (a store into the mapping
 * or a positional write, {@code appendMode}), index, publish the high-water mark, with rolls and retention keeping
 * three 64 MiB segments on disk in the temporary directory.
 * <p>
 * The primary score is batches/s; the {@code bytes} secondary score is bytes/s. Compare with
 * {@link RawMappedWriteBenchmark} at the same {@code recordsPerBatch}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class LogAppendBenchmark
{
    /**
     * Segment size, shared with {@link RawMappedWriteBenchmark}.
     */
    static final int SEGMENT_BYTES = 64 * 1024 * 1024;

    private static final long NOW_MS = 1_700_000_000_000L;

    /**
     * Records of 100 bytes per batch.
     */
    @Param({ "1", "10", "100" })
    public int recordsPerBatch;

    /**
     * How appends reach the segment files, {@code spindle.storage.append}: stores into the mapping, or positional
     * writes from a staging buffer.
     */
    @Param({ "mapped", "write" })
    public String appendMode;

    private UnsafeBuffer batch;
    private int batchLength;
    private File directory;
    private PartitionLog log;
    private int appends;

    /**
     * Bytes appended, reported by JMH as a rate next to the batch rate.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes
    {
        /**
         * Bytes of batches appended in the iteration.
         */
        public long bytes;

        /**
         * Reset per iteration.
         */
        @Setup(Level.Iteration)
        public void reset()
        {
            bytes = 0;
        }
    }

    /**
     * Open a log in a fresh temporary directory.
     *
     * @throws IOException if the directory cannot be created.
     */
    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        batch = BenchmarkBatch.build(recordsPerBatch, NOW_MS);
        batchLength = batch.capacity();
        System.setProperty(StorageConfiguration.APPEND.name(), appendMode);
        directory = Files.createTempDirectory("spindle-log-append").toFile();
        final LogConfig config = new LogConfig()
            .segmentBytes(SEGMENT_BYTES)
            .retentionBytes(2L * SEGMENT_BYTES)
            .retentionMs(LogConfig.UNLIMITED)
            .fileDeleteDelayMs(0);
        log = PartitionLog.open(directory, config, NOW_MS);
    }

    /**
     * Close the log and delete its directory.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        log.close();
        IoUtil.delete(directory, false);
    }

    /**
     * Append one batch and publish it, as the standalone host does before acknowledging.
     *
     * @param bytes counter of bytes appended.
     * @return the base offset assigned.
     */
    @Benchmark
    public long append(final Bytes bytes)
    {
        final PartitionLog log = this.log;
        final long offset = log.append(batch, 0, batchLength, NOW_MS);
        log.highWaterMark(log.logEndOffset());
        if ((++appends & 1023) == 0)
        {
            log.deleteExpiredSegments(NOW_MS);
        }
        bytes.bytes += batchLength;
        return offset;
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(LogAppendBenchmark.class.getSimpleName()).build()).run();
    }
}
