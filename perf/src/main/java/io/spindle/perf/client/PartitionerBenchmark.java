/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.client;

import java.util.concurrent.TimeUnit;

import io.spindle.client.Partitioner;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The producer's partition choice for a keyed record: Kafka's murmur2 of the key, made positive, modulo the partition
 * count. The key changes every operation (its first 8 bytes are a counter) so the hash cannot be hoisted.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class PartitionerBenchmark
{
    private static final int PARTITIONS = 12;

    /**
     * Key length in bytes.
     */
    @Param({ "8", "16", "64" })
    public int keyLength;

    private final UnsafeBuffer key = new UnsafeBuffer(new byte[64]);
    private long counter;

    /**
     * Fill the key.
     */
    @Setup(Level.Trial)
    public void setup()
    {
        for (int i = 0; i < key.capacity(); i++)
        {
            key.putByte(i, (byte)('k' + i % 7));
        }
    }

    /**
     * Pick the partition of the next key.
     *
     * @return the partition.
     */
    @Benchmark
    public int partition()
    {
        key.putLong(0, ++counter);
        return Partitioner.partition(key, 0, keyLength, PARTITIONS);
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(PartitionerBenchmark.class.getSimpleName()).build()).run();
    }
}
