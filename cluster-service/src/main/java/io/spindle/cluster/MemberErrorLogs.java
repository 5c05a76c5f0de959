/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;

import io.aeron.archive.ArchiveMarkFile;
import io.aeron.cluster.service.ClusterMarkFile;
import io.spindle.monitor.CncFile;
import io.spindle.monitor.SpindleMarkFile;
import org.agrona.concurrent.SystemEpochClock;

/**
 * The error logs Aeron keeps for the parts of a cluster member, beside Spindle's own in {@code spindle-mark.dat}: the
 * consensus module's ({@code cluster/cluster-mark.dat}), the service container's
 * ({@code cluster/cluster-mark-service-0.dat}), the archive's ({@code archive/archive-mark.dat}) and the media
 * driver's ({@code cnc.dat} in its directory), for {@code spindle errors}. Each is read in place, whether the member
 * runs or not; a part whose file is missing or unreadable says so and the others are still printed.
 */
public final class MemberErrorLogs
{
    /**
     * Title of the consensus module's section.
     */
    public static final String CONSENSUS_MODULE = "consensus module";

    /**
     * Title of the service container's section.
     */
    public static final String SERVICE_CONTAINER = "service container";

    /**
     * Title of the archive's section.
     */
    public static final String ARCHIVE = "archive";

    /**
     * Title of the media driver's section.
     */
    public static final String MEDIA_DRIVER = "media driver";

    private MemberErrorLogs()
    {
    }

    /**
     * Whether a directory is a cluster member's: it has the consensus module's directory.
     *
     * @param memberDir the directory a member runs in.
     * @return true if the member ran there.
     */
    public static boolean isMemberDirectory(final Path memberDir)
    {
        return memberDir.resolve("cluster").toFile().isDirectory();
    }

    /**
     * Print each part's distinct errors, a section per part: its title and file, the errors, and how many.
     *
     * @param memberDir      the directory the member runs in.
     * @param aeronDirectory the member's media driver directory, or null to leave the driver out.
     * @param out            where to print.
     * @return the distinct errors printed, over every part.
     */
    public static int print(final Path memberDir, final String aeronDirectory, final PrintStream out)
    {
        final File clusterDir = memberDir.resolve("cluster").toFile();
        final File archiveDir = memberDir.resolve("archive").toFile();
        int total = printClusterMarkFile(CONSENSUS_MODULE, clusterDir, ClusterMarkFile.FILENAME, out);
        total += printClusterMarkFile(SERVICE_CONTAINER, clusterDir, ClusterMarkFile.markFilenameForService(0), out);
        total += printArchiveMarkFile(archiveDir, out);
        if (null != aeronDirectory)
        {
            total += printDriver(aeronDirectory, out);
        }

        return total;
    }

    private static int printClusterMarkFile(
        final String title, final File clusterDir, final String filename, final PrintStream out)
    {
        final File file = new File(clusterDir, filename);
        if (!file.exists())
        {
            return missing(title, file, out);
        }
        try (ClusterMarkFile markFile = new ClusterMarkFile(
            clusterDir, filename, SystemEpochClock.INSTANCE, 0, (message) -> {}))
        {
            return section(title, file, markFile.errorBuffer(), out);
        }
        catch (final RuntimeException ex)
        {
            return unreadable(title, file, ex, out);
        }
    }

    private static int printArchiveMarkFile(final File archiveDir, final PrintStream out)
    {
        final File file = new File(archiveDir, ArchiveMarkFile.FILENAME);
        if (!file.exists())
        {
            return missing(ARCHIVE, file, out);
        }
        try (ArchiveMarkFile markFile = new ArchiveMarkFile(
            archiveDir, ArchiveMarkFile.FILENAME, SystemEpochClock.INSTANCE, 0, (message) -> {}))
        {
            return section(ARCHIVE, file, markFile.errorBuffer(), out);
        }
        catch (final RuntimeException ex)
        {
            return unreadable(ARCHIVE, file, ex, out);
        }
    }

    private static int printDriver(final String aeronDirectory, final PrintStream out)
    {
        try (CncFile cnc = CncFile.open(aeronDirectory))
        {
            return section(MEDIA_DRIVER, cnc.file(), cnc.errorBuffer(), out);
        }
        catch (final RuntimeException ex)
        {
            out.println();
            out.println(MEDIA_DRIVER + " " + aeronDirectory + ": not read (" + ex.getMessage() + ")");
            return 0;
        }
    }

    private static int section(
        final String title, final File file, final org.agrona.concurrent.AtomicBuffer errorBuffer,
        final PrintStream out)
    {
        out.println();
        out.println(title + " (" + file + "):");
        final int count = SpindleMarkFile.printErrors(errorBuffer, out);
        out.println();
        out.println(count + " distinct errors observed.");
        return count;
    }

    private static int missing(final String title, final File file, final PrintStream out)
    {
        out.println();
        out.println(title + " (" + file + "): no such file (the part never started here)");
        return 0;
    }

    private static int unreadable(final String title, final File file, final RuntimeException ex, final PrintStream out)
    {
        out.println();
        out.println(title + " (" + file + "): not read (" + ex + ")");
        return 0;
    }
}
