/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.log;

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
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * The limit for {@link LogAppendBenchmark}: the same bytes copied sequentially into sparse, preallocated,
 * memory-mapped 64 MiB files through the same {@link UnsafeBuffer#putBytes} path, without validation, offsets,
 * indexes or publication, rolling to a new file when full and keeping three files, as the log's retention does.
 * <p>
 * The primary score is writes/s; the {@code bytes} secondary score is bytes/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class RawMappedWriteBenchmark
{
    private static final int RETAINED_FILES = 3;

    /**
     * Records of 100 bytes per batch, giving the same write size as {@link LogAppendBenchmark}.
     */
    @Param({ "1", "10", "100" })
    public int recordsPerBatch;

    private final UnsafeBuffer mapped = new UnsafeBuffer();
    private final MappedByteBuffer[] mappings = new MappedByteBuffer[RETAINED_FILES];
    private final RandomAccessFile[] files = new RandomAccessFile[RETAINED_FILES];
    private final File[] names = new File[RETAINED_FILES];
    private UnsafeBuffer batch;
    private int batchLength;
    private File directory;
    private int fileIndex;
    private int position;

    /**
     * Bytes written, reported by JMH as a rate next to the write rate.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes
    {
        /**
         * Bytes written in the iteration.
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
     * Create the directory and the first mapped file.
     *
     * @throws IOException if the file cannot be created or mapped.
     */
    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        batch = BenchmarkBatch.build(recordsPerBatch, 0);
        batchLength = batch.capacity();
        directory = Files.createTempDirectory("spindle-raw-mapped").toFile();
        fileIndex = -1;
        nextFile();
    }

    /**
     * Unmap, close and delete everything.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        for (int i = 0; i < RETAINED_FILES; i++)
        {
            release(i);
        }
        IoUtil.delete(directory, false);
    }

    /**
     * Copy one batch's bytes to the end of the mapped file.
     *
     * @param bytes counter of bytes written.
     * @return the new write position.
     * @throws IOException if a new file cannot be created.
     */
    @Benchmark
    public int write(final Bytes bytes) throws IOException
    {
        if (position + batchLength > LogAppendBenchmark.SEGMENT_BYTES)
        {
            nextFile();
        }
        mapped.putBytes(position, batch, 0, batchLength);
        position += batchLength;
        bytes.bytes += batchLength;
        return position;
    }

    private void nextFile() throws IOException
    {
        fileIndex++;
        final int slot = fileIndex % RETAINED_FILES;
        release(slot);
        names[slot] = new File(directory, fileIndex + ".log");
        final RandomAccessFile file = new RandomAccessFile(names[slot], "rw");
        file.setLength(LogAppendBenchmark.SEGMENT_BYTES);
        files[slot] = file;
        mappings[slot] = file.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, LogAppendBenchmark.SEGMENT_BYTES);
        mapped.wrap(mappings[slot]);
        position = 0;
    }

    private void release(final int slot)
    {
        if (null != mappings[slot])
        {
            IoUtil.unmap(mappings[slot]);
            mappings[slot] = null;
        }
        if (null != files[slot])
        {
            try
            {
                files[slot].close();
            }
            catch (final IOException ignore)
            {
                // the file is deleted next
            }
            files[slot] = null;
            IoUtil.deleteIfExists(names[slot]);
        }
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(RawMappedWriteBenchmark.class.getSimpleName()).build()).run();
    }
}
