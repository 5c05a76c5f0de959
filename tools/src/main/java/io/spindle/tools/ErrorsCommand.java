package io.spindle.tools;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.Callable;

import io.spindle.cluster.MemberErrorLogs;
import io.spindle.host.BrokerCounters;
import io.spindle.monitor.CncFile;
import io.spindle.monitor.SpindleMarkFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle errors}: the distinct errors a broker or cluster member recorded in its mark file, with how often and
 * when each was seen first and last, as Aeron's ErrorStat prints a driver's. For a cluster member, then those of its
 * Aeron parts ({@link MemberErrorLogs}): consensus module, service container, archive and, unless {@code --aeron-dir}
 * printed it already, the media driver its mark file names.
 */
@Command(name = "errors", mixinStandardHelpOptions = true,
    description = "Print the distinct errors (and recovery warnings) a broker or node recorded, with counts and " +
        "first/last times; for a node, also those of its consensus module, service container, archive and media " +
        "driver, a section each. Works on a stopped broker too: the log stays in its data directory.")
public final class ErrorsCommand implements Callable<Integer>
{
    @Option(names = "--data-dir", description = "The broker's (or node's) data directory.")
    Path dataDir;

    @Option(names = "--aeron-dir", description = "A media driver directory: prints the driver's own errors and " +
        "those of every running broker or node on it.")
    String aeronDir;

    /**
     * Print the errors.
     *
     * @return 0, or 1 when neither directory holds what it should.
     */
    public Integer call()
    {
        if (null == dataDir && null == aeronDir)
        {
            System.err.println("spindle errors: name a --data-dir or an --aeron-dir");
            return 1;
        }
        final PrintStream out = System.out;
        final List<Path> dataDirs = new ArrayList<>();
        if (null != dataDir)
        {
            dataDirs.add(dataDir);
        }
        if (null != aeronDir)
        {
            try (CncFile cnc = CncFile.open(aeronDir))
            {
                cnc.counters().forEach((counterId, typeId, keyBuffer, label) ->
                {
                    final int separator = label.indexOf(BrokerCounters.ERROR_LOG_LABEL_SEPARATOR);
                    if (BrokerCounters.ERROR_COUNT_TYPE_ID == typeId && separator > 0)
                    {
                        final Path dir = new File(
                            label.substring(separator + BrokerCounters.ERROR_LOG_LABEL_SEPARATOR.length()))
                            .toPath().getParent();
                        if (!dataDirs.contains(dir))
                        {
                            dataDirs.add(dir);
                        }
                    }
                });
                out.println("media driver " + aeronDir + " (" + cnc.file() + "):");
                final int count = SpindleMarkFile.printErrors(cnc.errorBuffer(), out);
                out.println();
                out.println(count + " distinct errors observed.");
            }
        }

        for (final Path dir : dataDirs)
        {
            try (SpindleMarkFile markFile = SpindleMarkFile.open(dir))
            {
                if (null != aeronDir || dataDirs.size() > 1)
                {
                    out.println();
                }
                printMarkFile(markFile, out);
                if (SpindleMarkFile.COMPONENT_CLUSTER_MEMBER == markFile.component() &&
                    MemberErrorLogs.isMemberDirectory(dir))
                {
                    MemberErrorLogs.print(dir, null == aeronDir ? markFile.aeronDirectory() : null, out);
                }
            }
            catch (final IllegalStateException ex)
            {
                System.err.println("spindle errors: " + ex.getMessage());
                return 1;
            }
            printSavedErrors(dir, out);
        }

        return 0;
    }

    private static void printMarkFile(final SpindleMarkFile markFile, final PrintStream out)
    {
        final SimpleDateFormat format = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSSZ");
        out.println((SpindleMarkFile.COMPONENT_CLUSTER_MEMBER == markFile.component() ? "node " : "broker ") +
            markFile.nodeId() + " (" + markFile.file() + "): pid " + markFile.pid() + ", started " +
            format.format(new Date(markFile.startTimestampMs())) + ", " + markFile.errorCount() +
            " errors observed");
        final int count = markFile.printErrors(out);
        out.println();
        out.println(count + " distinct errors observed.");
    }

    private static void printSavedErrors(final Path dir, final PrintStream out)
    {
        final String[] saved = dir.toFile().list(
            (d, name) -> name.startsWith("spindle-errors-") && name.endsWith(".log"));
        if (null != saved && saved.length > 0)
        {
            Arrays.sort(saved);
            out.println("errors of earlier runs: " + String.join(", ", saved) + " (in " + dir + ")");
        }
    }
}
