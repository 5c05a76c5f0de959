package io.spindle.tools;

import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import io.spindle.host.BrokerCounters;
import io.spindle.monitor.CncFile;
import io.spindle.monitor.SpindleMarkFile;
import io.spindle.monitor.StageLatencies;
import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle stat}: a broker's live counters from its media driver's counters file, as AeronStat shows a
 * driver's: requests by type, produced and fetched records and bytes, errors by code, sessions, groups, and per
 * partition its log start, log end and high-water mark. Refreshed every second, or printed once.
 */
@Command(name = "stat", mixinStandardHelpOptions = true,
    description = "Print a broker's or node's live counters (requests, produce and fetch records and bytes, " +
        "errors by code, sessions, groups, cleaner, per-partition offsets), every second or --once.")
public final class StatCommand implements Callable<Integer>
{
    @Option(names = "--aeron-dir", description = "The broker's media driver directory: every broker on it is shown.")
    String aeronDir;

    @Option(names = "--data-dir", description = "The broker's data directory: its mark file names its driver.")
    Path dataDir;

    @Option(names = "--once", description = "Print once and exit.")
    boolean once;

    @Option(names = "--latency", description = "Print the broker's stage latencies instead (produce received to " +
        "appended, appended to acknowledged, appended to pushed to a consumer; on a node also ingress to committed " +
        "and committed to applied): " +
        "count, p50, p90, p99, p99.9 and max in microseconds over the last interval and the whole run.")
    boolean latency;

    @Option(names = "--interval-ms", description = "Between refreshes (default: ${DEFAULT-VALUE}).",
        defaultValue = "1000")
    long intervalMs;

    /**
     * Print the counters.
     *
     * @return 0, or 1 when there is nothing to read.
     * @throws InterruptedException if interrupted between refreshes.
     */
    public Integer call() throws InterruptedException
    {
        String prefix = "spindle-";
        String driverDir = aeronDir;
        if (null != dataDir)
        {
            try (SpindleMarkFile markFile = SpindleMarkFile.open(dataDir))
            {
                prefix = "spindle-" + markFile.nodeId() + ": ";
                if (null == driverDir)
                {
                    driverDir = markFile.aeronDirectory();
                }
            }
            catch (final IllegalStateException ex)
            {
                System.err.println("spindle stat: " + ex.getMessage());
                return 1;
            }
        }
        if (null == driverDir)
        {
            System.err.println("spindle stat: name an --aeron-dir or a --data-dir");
            return 1;
        }

        try (CncFile cnc = CncFile.open(driverDir))
        {
            while (true)
            {
                final PrintStream out = System.out;
                if (!once)
                {
                    out.print("\u001b[H\u001b[2J");
                }
                if (latency)
                {
                    printLatency(cnc, prefix, null == dataDir ? null : dataDir.toAbsolutePath(), out);
                }
                else
                {
                    print(cnc, prefix, out);
                }
                out.flush();
                if (once)
                {
                    return 0;
                }
                Thread.sleep(intervalMs);
            }
        }
        catch (final IllegalStateException ex)
        {
            System.err.println("spindle stat: " + ex.getMessage());
            return 1;
        }
    }

    static void printLatency(final CncFile cnc, final String prefix, final Path dataDir, final PrintStream out)
    {
        final List<Path> dataDirs = new ArrayList<>();
        if (null != dataDir)
        {
            dataDirs.add(dataDir);
        }
        else
        {
            cnc.counters().forEach((counterId, typeId, keyBuffer, label) ->
            {
                final int separator = label.indexOf(BrokerCounters.ERROR_LOG_LABEL_SEPARATOR);
                if (BrokerCounters.ERROR_COUNT_TYPE_ID == typeId && separator > 0 && label.startsWith(prefix))
                {
                    dataDirs.add(Path.of(label.substring(separator + BrokerCounters.ERROR_LOG_LABEL_SEPARATOR.length()))
                        .getParent());
                }
            });
        }
        out.println("spindle stat: latency at " + new SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSSZ").format(new Date()));
        for (final Path dir : dataDirs)
        {
            out.println(dir + ":");
            StageLatencies.print(StageLatencies.read(dir), out);
        }
    }

    static void print(final CncFile cnc, final String prefix, final PrintStream out)
    {
        final CountersReader counters = cnc.counters();
        final List<String> lines = new ArrayList<>();
        final TreeMap<String, long[]> partitions = new TreeMap<>();
        counters.forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (!label.startsWith(prefix))
            {
                return;
            }
            final long value = counters.getCounterValue(counterId);
            if (BrokerCounters.SPINDLE_COUNTER_TYPE_ID == typeId || BrokerCounters.ERROR_COUNT_TYPE_ID == typeId)
            {
                final boolean isErrorCode = label.contains(": errors ") && !label.contains("errors, log in");
                if (!isErrorCode || 0 != value)
                {
                    lines.add(String.format("%3d: %20d - %s", counterId, value, label));
                }
            }
            else if (BrokerCounters.PARTITION_COUNTER_TYPE_ID == typeId)
            {
                final int kind = keyBuffer.getInt(2 * Integer.BYTES, ByteOrder.LITTLE_ENDIAN);
                final int nameStart = label.indexOf(": partition ") + ": partition ".length();
                final int nameEnd = label.length() - BrokerCounters.partitionCounterKindName(kind).length() - 1;
                if (kind < 0 || kind > 2 || nameEnd <= nameStart)
                {
                    return;
                }
                final String name = label.substring(0, label.indexOf(':')) + " " + label.substring(nameStart, nameEnd);
                partitions.computeIfAbsent(name, (k) -> new long[]{ -1, -1, -1 })[kind] = value;
            }
        });

        out.println("spindle stat: " + cnc.file().getParent() + " at " +
            new SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSSZ").format(new Date()));
        for (final String line : lines)
        {
            out.println(line);
        }
        if (!partitions.isEmpty())
        {
            out.println();
            out.println(String.format("%-40s %15s %15s %15s", "partition", "log start", "log end", "high-water mark"));
            partitions.forEach((name, values) -> out.println(
                String.format("%-40s %15d %15d %15d", name, values[0], values[1], values[2])));
        }
    }
}
