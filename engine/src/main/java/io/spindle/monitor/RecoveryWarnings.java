/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

import java.util.function.Consumer;

import io.spindle.broker.Topic;
import io.spindle.broker.TopicTable;
import io.spindle.log.PartitionLog;
import io.spindle.log.RecoveryReport;
import org.agrona.ErrorHandler;

/**
 * Turns what opening the partition logs found (batches and bytes cut from a torn tail, segments deleted after a cut,
 * indexes rebuilt) into warnings: one line per partition, recorded in the error log and handed to the host to print.
 */
public final class RecoveryWarnings
{
    private RecoveryWarnings()
    {
    }

    /**
     * Report the recovery of every partition of a topic table that cut data or rebuilt an index.
     *
     * @param table        the topics as opened at start.
     * @param errorHandler records each warning as a {@link SpindleWarning}.
     * @param printer      given each warning's text, to print at start.
     * @return the count of warnings.
     */
    public static int report(final TopicTable table, final ErrorHandler errorHandler, final Consumer<String> printer)
    {
        int count = 0;
        for (int i = 0, n = table.topicCount(); i < n; i++)
        {
            final Topic topic = table.topicAt(i);
            for (int p = 0; p < topic.partitionCount(); p++)
            {
                final PartitionLog log = topic.partition(p);
                final String warning = null == log ? null : describe(topic.name() + "-" + p, log.recoveryReport());
                if (null != warning)
                {
                    errorHandler.onError(new SpindleWarning(warning));
                    printer.accept(warning);
                    count++;
                }
            }
        }

        return count;
    }

    /**
     * One line on what a partition's recovery changed.
     *
     * @param partition name, {@code topic-partition}.
     * @param report    of its recovery.
     * @return the line, or null if recovery cut nothing and rebuilt no index.
     */
    public static String describe(final String partition, final RecoveryReport report)
    {
        if (null == report)
        {
            return null;
        }
        final StringBuilder sb = new StringBuilder();
        for (final RecoveryReport.SegmentRecovery segment : report.segments())
        {
            if (segment.deleted())
            {
                sb.append("; segment ").append(segment.baseOffset()).append(" deleted (after a cut before it)");
            }
            else if (segment.bytesCut() > 0)
            {
                sb.append("; segment ").append(segment.baseOffset()).append(": cut ").append(segment.batchesCut())
                    .append(" batch(es), ").append(segment.bytesCut()).append(" bytes of torn tail");
                if (null != segment.reason())
                {
                    sb.append(" (").append(segment.reason()).append(')');
                }
            }
            if (segment.indexRebuilt())
            {
                sb.append("; segment ").append(segment.baseOffset()).append(": index rebuilt");
            }
        }
        if (sb.length() == 0)
        {
            return null;
        }

        return "partition " + partition + " recovered " +
            (report.isCleanShutdown() ? "after a clean shutdown" : "after a crash") + sb;
    }
}
