/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.nio.file.Path;

import io.spindle.tools.AcksConverter;
import picocli.CommandLine.Option;

/**
 * The fixed-rate load of a latency measurement and where its results go; shared by {@code latency} and
 * {@code baseline} so both measure the same schedule.
 */
final class LoadOptions
{
    /**
     * How the publishing thread waits for the schedule.
     */
    enum PublisherWait
    {
        /**
         * Park until the next intended send time (at most 100 µs at a time).
         */
        PARK,

        /**
         * Yield the core while waiting.
         */
        YIELD,

        /**
         * Busy-spin while waiting.
         */
        SPIN
    }

    /**
     * Bytes at the start of every message: its sequence and its intended send time.
     */
    static final int STAMP_LENGTH = 16;

    @Option(names = "--rate", defaultValue = "10000", description = "Messages per second on a fixed schedule " +
        "(default: ${DEFAULT-VALUE}).")
    long rate;

    @Option(names = "--size", defaultValue = "100",
        description = "Message (record value) size in bytes, at least 16 (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--partitions", defaultValue = "1", description = "Partitions (baseline: streams) the messages " +
        "are spread over round robin (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--acks", defaultValue = "1", converter = AcksConverter.class, description = "0, 1, -1 or all; " +
        "with 0 nothing is acknowledged and no send -> ack latency is recorded (default: ${DEFAULT-VALUE}).")
    int acks;

    @Option(names = "--warmup-s", defaultValue = "5",
        description = "Seconds of load whose samples are discarded (default: ${DEFAULT-VALUE}).")
    int warmupS;

    @Option(names = "--measure-s", defaultValue = "20",
        description = "Seconds of load that are measured (default: ${DEFAULT-VALUE}).")
    int measureS;

    @Option(names = "--publisher-wait", defaultValue = "park", description =
        "How the publishing thread waits for the " +
        "next intended send time: park (default; never spins, right for small machines), yield or spin " +
        "(a core of its " +
        "own, for the low-latency profile on a machine with cores to spare).")
    PublisherWait publisherWait;

    @Option(names = "--out", defaultValue = "perf-results",
        description = "Directory for the .hgrm, .hlog and .png files (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--name", description = "File name prefix of the results (default: spindle-<transport> for " +
        "latency, aeron-<mode>-<transport> for baseline).")
    String name;

    /**
     * Check the values; the message names the flag.
     *
     * @throws IllegalArgumentException for a bad value.
     */
    void validate()
    {
        if (rate <= 0 || rate > 10_000_000L)
        {
            throw new IllegalArgumentException("--rate must be 1..10000000, was " + rate);
        }
        if (size < STAMP_LENGTH)
        {
            throw new IllegalArgumentException("--size must be at least " + STAMP_LENGTH +
                " (sequence and intended send time live in the message), was " + size);
        }
        if (partitions < 1)
        {
            throw new IllegalArgumentException("--partitions must be at least 1, was " + partitions);
        }
        if (warmupS < 0 || measureS < 1)
        {
            throw new IllegalArgumentException("--warmup-s must be >= 0 and --measure-s >= 1, were " + warmupS +
                " and " + measureS);
        }
    }

    /**
     * Add the settings to a JSON object.
     *
     * @param settings the object being written.
     */
    void describe(final Json settings)
    {
        settings.field("rate", rate)
            .field("size", size)
            .field("partitions", partitions)
            .field("acks", acks)
            .field("warmup_s", warmupS)
            .field("measure_s", measureS)
            .field("publisher_wait", publisherWait.name().toLowerCase());
    }
}
