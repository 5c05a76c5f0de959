package io.spindle.tools;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle consume}: print records, one per line.
 */
@Command(name = "consume", description = "Print records one per line: the value; key<TAB>value with " +
    "--print-key; prefixed by partition:offset<TAB> with --print-offset.")
public final class ConsumeCommand implements Callable<Integer>
{
    @Option(names = "--bootstrap", required = true, description = "ipc, or HOST:PORT of the broker.")
    String bootstrap;

    @Option(names = "--topic", required = true, description = "Topic name.")
    String topic;

    @Option(names = "--partition", defaultValue = "-1", description = "Read only this partition (default: all).")
    int partition;

    @ArgGroup(exclusive = true)
    StartAt startAt;

    static final class StartAt
    {
        @Option(names = "--from-beginning", description = "Start at the first record still in the log.")
        boolean fromBeginning;

        @Option(names = "--offset", description = "Start at this offset (with --partition, or in every partition).")
        Long offset;
    }

    @Option(names = "--max-messages", defaultValue = "-1", description = "Exit after this many records.")
    long maxMessages;

    @Option(names = "--timeout-ms", defaultValue = "-1",
        description = "Exit when nothing arrived for this long (default: wait forever).")
    long timeoutMs;

    @Option(names = "--print-key", description = "Print key<TAB>value.")
    boolean printKey;

    @Option(names = "--print-offset", description = "Prefix each line with partition:offset<TAB>.")
    boolean printOffset;

    @Option(names = "--long-poll", description = "Long-poll instead of the default streaming fetch.")
    boolean longPoll;

    /**
     * Consume and print.
     *
     * @return the exit code.
     */
    public Integer call()
    {
        final PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false,
            StandardCharsets.UTF_8);
        final Consumer.Context ctx = new Consumer.Context()
            .autoOffsetReset(null != startAt && startAt.fromBeginning ?
                Consumer.OffsetReset.EARLIEST : Consumer.OffsetReset.LATEST)
            .streaming(!longPoll);
        ctx.bootstrap(bootstrap).clientId("spindle-consume");

        final long[] count = {0};
        try (Consumer consumer = Consumer.connect(ctx))
        {
            final List<TopicPartition> partitions = new ArrayList<>();
            if (partition >= 0)
            {
                partitions.add(new TopicPartition(topic, partition));
            }
            else
            {
                for (int p = 0, n = consumer.partitionCount(topic); p < n; p++)
                {
                    partitions.add(new TopicPartition(topic, p));
                }
            }
            consumer.assign(partitions);
            if (null != startAt && null != startAt.offset)
            {
                for (final TopicPartition tp : partitions)
                {
                    consumer.seek(tp, startAt.offset);
                }
            }

            final Consumer.RecordHandler handler = (record) ->
            {
                print(out, record);
                count[0]++;
            };
            final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
            long lastRecordNs = System.nanoTime();
            while (maxMessages < 0 || count[0] < maxMessages)
            {
                final int limit = maxMessages < 0 ? 1024 : (int)Math.min(1024, maxMessages - count[0]);
                final int received = consumer.poll(handler, limit);
                final long nowNs = System.nanoTime();
                if (received > 0)
                {
                    lastRecordNs = nowNs;
                }
                else
                {
                    out.flush();
                    if (timeoutMs >= 0 && nowNs - lastRecordNs > timeoutMs * 1_000_000L)
                    {
                        break;
                    }
                }
                idle.idle(received);
            }
        }
        catch (final SpindleException | IllegalArgumentException | IllegalStateException ex)
        {
            out.flush();
            System.err.println("spindle consume: " + ex.getMessage());
            return 1;
        }
        out.flush();
        System.err.println("consumed " + count[0]);
        return 0;
    }

    private void print(final PrintStream out, final ConsumerRecord record)
    {
        if (printOffset)
        {
            out.print(record.partition());
            out.print(':');
            out.print(record.offset());
            out.print('\t');
        }
        if (printKey)
        {
            out.print(record.keyAsString());
            out.print('\t');
        }
        out.println(record.valueAsString());
    }
}
