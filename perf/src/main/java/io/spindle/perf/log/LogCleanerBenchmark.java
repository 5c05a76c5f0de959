/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.log;

import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.log.LogCleaner;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import org.agrona.BufferUtil;
import org.agrona.IoUtil;
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

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of the log cleaner: one compaction of {@value #LOG_BYTES} bytes of sealed segments (8 MiB each) of
 * keyed 100-byte records, unthrottled, on the calling thread, including writing and swapping in the cleaned
 * segments (forced to the device). Each iteration starts from a freshly written log.
 * <p>
 * The score is milliseconds per cleaning; MB/s cleaned = 64 MiB / score. {@code keys} sets how much survives:
 * with 10,000 keys nearly every record is superseded, with 1,000,000 few are. The cleaner's key map is set to 64m
 * so that one pass cleans all of it (the default 16m holds the keys of 7 of the 8 segments).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
    "-Dspindle.log.cleaner.dedupe.buffer.size=64m" })
@State(Scope.Thread)
public class LogCleanerBenchmark
{
    /**
     * Bytes of sealed segments cleaned per operation.
     */
    public static final int LOG_BYTES = 64 * 1024 * 1024;

    private static final long NOW_MS = 1_700_000_000_000L;
    private static final int SEGMENT_BYTES = 8 * 1024 * 1024;
    private static final int RECORDS_PER_BATCH = 10;

    /**
     * Distinct keys written round robin.
     */
    @Param({ "10000", "1000000" })
    public int keys;

    private final LogCleaner cleaner = LogCleaner.inline();
    private File directory;
    private PartitionLog log;

    /**
     * Write a fresh log of keyed records, sealed but for an empty active segment.
     *
     * @throws IOException if the directory cannot be created.
     */
    @Setup(Level.Iteration)
    public void setup() throws IOException
    {
        directory = Files.createTempDirectory("spindle-log-cleaner").toFile();
        final LogConfig config = new LogConfig()
            .segmentBytes(SEGMENT_BYTES)
            .fileDeleteDelayMs(0)
            .cleanupPolicy("compact")
            .minCleanableDirtyRatio(0);
        log = PartitionLog.open(directory, config, NOW_MS).cleaner(cleaner);

        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * 1024, 64));
        final byte[] value = new byte[BenchmarkBatch.VALUE_LENGTH];
        try (RecordBatchBuilder builder = new RecordBatchBuilder())
        {
            long record = 0;
            while (log.sizeInBytes() < LOG_BYTES)
            {
                builder.wrap(buffer, 0, buffer.capacity());
                for (int i = 0; i < RECORDS_PER_BATCH; i++, record++)
                {
                    final byte[] key = String.format("key-%08d", record % keys).getBytes(StandardCharsets.US_ASCII);
                    builder.append(NOW_MS, key, value);
                }
                log.append(buffer, 0, builder.build(), NOW_MS);
            }
        }
        log.roll(NOW_MS);
        log.highWaterMark(log.logEndOffset());
    }

    /**
     * Close the log and delete its directory.
     */
    @TearDown(Level.Iteration)
    public void tearDown()
    {
        log.close();
        IoUtil.delete(directory, false);
    }

    /**
     * Compact every sealed segment and swap the result in.
     *
     * @return records removed by the cleaner so far.
     */
    @Benchmark
    public long clean()
    {
        if (!log.startCleaning(true) || 1 != log.completeCleaning(NOW_MS) || null != log.lastCleanerFailure())
        {
            throw new IllegalStateException("cleaning failed: " + log.lastCleanerFailure());
        }
        return cleaner.recordsRemoved();
    }
}
