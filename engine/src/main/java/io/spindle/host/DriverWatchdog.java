package io.spindle.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.function.Consumer;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

/**
 * Notices, about once a second, that the broker has lost its media driver: its Aeron client closed
 * (driver timeout), or the driver's {@code cnc.dat} was deleted or replaced (another process deleted
 * the directory or started a driver over it). Either way no client can reach the broker again, so the
 * host is told once, with the reason, rather than serving nothing.
 */
final class DriverWatchdog implements Agent
{
    static final long CHECK_INTERVAL_NS = 1_000_000_000L;

    private final Aeron aeron;
    private final Path cncFile;
    private final Object cncFileKey;
    private final NanoClock clock;
    private final Consumer<String> onLoss;
    private long nextCheckNs;
    private boolean lost;

    DriverWatchdog(final Aeron aeron, final NanoClock clock, final Consumer<String> onLoss)
    {
        this.aeron = aeron;
        this.cncFile = Path.of(aeron.context().aeronDirectoryName(), CncFileDescriptor.CNC_FILE);
        this.cncFileKey = fileKey(cncFile);
        this.clock = clock;
        this.onLoss = onLoss;
        this.nextCheckNs = clock.nanoTime() + CHECK_INTERVAL_NS;
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        if (lost || nowNs - nextCheckNs < 0)
        {
            return 0;
        }
        nextCheckNs = nowNs + CHECK_INTERVAL_NS;

        final String reason;
        if (aeron.isClosed())
        {
            reason = "lost its media driver at " + cncFile.getParent() + " (driver timeout: it stopped or hung)";
        }
        else if (null != cncFileKey && !Objects.equals(cncFileKey, fileKey(cncFile)))
        {
            reason = "lost its media driver: " + cncFile + " was deleted or replaced (another process removed " +
                "the directory or started a driver in it); clients can no longer reach this broker";
        }
        else
        {
            return 0;
        }
        lost = true;
        onLoss.accept(reason);
        return 1;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-driver-watchdog";
    }

    private static Object fileKey(final Path file)
    {
        try
        {
            // The device and inode on Linux; null where the platform has none, which turns the check off.
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }
}
