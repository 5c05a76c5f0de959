/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.cluster.MillisecondClusterClock;
import io.aeron.cluster.NanosecondClusterClock;
import io.aeron.cluster.service.ClusterClock;

/**
 * The unit of a member's cluster clock, which stamps the Raft log and its timers: nanoseconds, so that the
 * {@code ingress-committed} latency stage is measured finely. Aeron refuses to replay a log or load a snapshot written
 * with another unit, so a member's directory keeps the unit it was created with, in {@value #FILE_NAME} under
 * {@code cluster/}: a directory holding a Raft log but no such file was written by an earlier build, whose clock
 * counted milliseconds, and keeps milliseconds. A rebuilt member copies the file with the rest of {@code cluster/}.
 * The state machine sees milliseconds with either unit ({@link SpindleClusteredService} converts).
 */
final class MemberClock
{
    /**
     * The file in the member's {@code cluster/} directory naming the unit ({@link TimeUnit#name()}).
     */
    static final String FILE_NAME = "spindle-cluster-clock";

    private MemberClock()
    {
    }

    /**
     * The unit a member's directory uses, recorded there if it was not yet.
     *
     * @param memberDir  the member's directory.
     * @param hasRaftLog whether it holds a Raft log already.
     * @return {@link TimeUnit#NANOSECONDS} or {@link TimeUnit#MILLISECONDS}.
     * @throws UncheckedIOException when the file cannot be read or written.
     * @throws IllegalStateException when the file names another unit.
     */
    static TimeUnit unit(final Path memberDir, final boolean hasRaftLog)
    {
        final Path file = memberDir.resolve("cluster").resolve(FILE_NAME);
        try
        {
            if (Files.exists(file))
            {
                final String name = Files.readString(file, StandardCharsets.US_ASCII).trim();
                if (!TimeUnit.NANOSECONDS.name().equals(name) && !TimeUnit.MILLISECONDS.name().equals(name))
                {
                    throw new IllegalStateException(file + " names no cluster clock unit this build knows: " + name);
                }
                return TimeUnit.valueOf(name);
            }
            final TimeUnit unit = hasRaftLog ? TimeUnit.MILLISECONDS : TimeUnit.NANOSECONDS;
            Files.createDirectories(file.getParent());
            Files.writeString(file, unit.name() + "\n", StandardCharsets.US_ASCII);
            return unit;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("could not read or write " + file, ex);
        }
    }

    /**
     * Aeron's cluster clock counting a unit.
     *
     * @param unit as {@link #unit} gave it.
     * @return the clock.
     */
    static ClusterClock clock(final TimeUnit unit)
    {
        return TimeUnit.NANOSECONDS == unit ? new NanosecondClusterClock() : new MillisecondClusterClock();
    }
}
