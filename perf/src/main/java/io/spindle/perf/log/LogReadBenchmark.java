/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.log;

import io.spindle.log.LogConfig;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import org.agrona.BufferUtil;
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
 * Read throughput of {@link PartitionLog}: sequential fetches of up to {@code maxBytes} over 64 MiB of committed
 * batches in the page cache, as a zero-copy view ({@code read}) and copied out as a fetch server sending them
 * would ({@code readAndCopy}).
 * <p>
 * The primary score is reads/s; the {@code bytes} secondary score is bytes/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class LogReadBenchmark
{
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final int LOG_BYTES = 64 * 1024 * 1024;

    /**
     * Records of 100 bytes per batch.
     */
    @Param({ "1", "10", "100" })
    public int recordsPerBatch;

    /**
     * Bytes asked for per read, as a fetch's per-partition limit.
     */
    @Param({ "65536" })
    public int maxBytes;

    private final LogReadResult result = new LogReadResult();
    private final UnsafeBuffer sendBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(2 * 1024 * 1024, 64));
    private File directory;
    private PartitionLog log;
    private long endOffset;
    private long offset;

    /**
     * Bytes read, reported by JMH as a rate next to the read rate.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes
    {
        /**
         * Bytes of batches read in the iteration.
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
     * Fill a log with 64 MiB of batches and commit them.
     *
     * @throws IOException if the directory cannot be created.
     */
    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        final UnsafeBuffer batch = BenchmarkBatch.build(recordsPerBatch, NOW_MS);
        directory = Files.createTempDirectory("spindle-log-read").toFile();
        log = PartitionLog.open(directory, new LogConfig().segmentBytes(2 * LOG_BYTES), NOW_MS);
        while (log.sizeInBytes() + batch.capacity() <= LOG_BYTES)
        {
            log.append(batch, 0, batch.capacity(), NOW_MS);
        }
        endOffset = log.logEndOffset();
        log.highWaterMark(endOffset);
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
     * Read the next batches as a zero-copy view.
     *
     * @param bytes counter of bytes read.
     * @return bytes in the view.
     */
    @Benchmark
    public int read(final Bytes bytes)
    {
        final int length = log.read(offset, maxBytes, result);
        advance(length, bytes);
        return length;
    }

    /**
     * Read the next batches and copy them out, as sending them to a publication would.
     *
     * @param bytes counter of bytes read.
     * @return bytes copied.
     */
    @Benchmark
    public int readAndCopy(final Bytes bytes)
    {
        final int length = log.read(offset, maxBytes, result);
        sendBuffer.putBytes(0, result.buffer(), 0, length);
        advance(length, bytes);
        return length;
    }

    private void advance(final int length, final Bytes bytes)
    {
        offset = result.nextOffset();
        if (offset >= endOffset)
        {
            offset = 0;
        }
        bytes.bytes += length;
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(LogReadBenchmark.class.getSimpleName()).build()).run();
    }
}
