package io.spindle.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.spindle.client.ClientProperties;
import io.spindle.client.Producer;
import io.spindle.client.ProducerCallback;
import io.spindle.client.SpindleException;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.protocol.ErrorCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spindle produce}: one record per line of standard input.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
    description = "Send one record per line of standard input; prints 'acked N' to " +
    "standard error at the end and exits non-zero unless every record was acknowledged. A record that fails " +
    "(e.g. too large) is reported on standard error with its line number and the rest of the input still sent.")
public final class ProduceCommand implements Callable<Integer>
{
    @Option(names = {"--bootstrap", "--bootstrap-server"}, required = true,
        description = "ipc, or HOST:PORT of the broker.")
    String bootstrap;

    @Option(names = "--topic", required = true, description = "Topic name.")
    String topic;

    @Mixin
    AeronDirOption aeronDir;

    @Option(names = "--acks", description = "0, 1 or all (default: all).")
    String acks;

    @Option(names = "--key-separator", description = "Split each line into key<S>value at the first S.")
    String keySeparator;

    @Option(names = "--partition", defaultValue = "-1",
        description = "Send every record to this partition (default: -1, chosen by key).")
    int partition;

    @Option(names = "--delivery-timeout-ms",
        description = "Give up on a record not acknowledged within this time (default: 30000).")
    Long deliveryTimeoutMs;

    @Option(names = "--linger-us", description = "Batch linger in microseconds (default: 0).")
    Long lingerUs;

    @Option(names = "--null-marker", paramLabel = "S",
        description = "Send a record whose value is exactly S with a null value: a tombstone on a compacted topic.")
    String nullMarker;

    @Option(names = {"--producer-property", "--property"}, paramLabel = "KEY=VALUE",
        description = "A producer setting by its property name, Kafka's (acks, linger.ms, batch.size, ...) or " +
        "Spindle's (spindle.producer.*, spindle.client.*); repeatable. An explicit flag (--acks, --linger-us, " +
        "--delivery-timeout-ms, --aeron-dir, --bootstrap) wins over a property.")
    List<String> properties = new ArrayList<>();

    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicBoolean reported = new AtomicBoolean();

    /**
     * Read, send, report.
     *
     * @return 0 when every record read was acknowledged.
     */
    public Integer call()
    {
        final Producer.Context ctx = new Producer.Context().acks(-1).lingerUs(0).deliveryTimeoutMs(30_000);
        ctx.clientId("spindle-produce");
        try
        {
            for (final String property : properties)
            {
                ClientProperties.apply(ctx, property);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("spindle produce: " + ex.getMessage());
            return 2;
        }

        final int acksValue;
        switch (null == acks ? String.valueOf(ctx.acks()) : acks.toLowerCase())
        {
            case "0": acksValue = 0; break;
            case "1": acksValue = 1; break;
            case "all":
            case "-1": acksValue = -1; break;
            default:
                System.err.println("spindle produce: --acks must be 0, 1 or all, was '" + acks + "'");
                return 2;
        }

        if (partition < -1)
        {
            System.err.println("spindle produce: --partition must be a partition number (0 or more), or -1 to " +
                "choose by key, was " + partition);
            return 2;
        }

        final Thread reportOnSignal = new Thread(this::report, "spindle-produce-report");
        Runtime.getRuntime().addShutdownHook(reportOnSignal);

        long sent = 0;
        long lineNumber = 0;
        ctx.acks(acksValue);
        if (null != lingerUs)
        {
            ctx.lingerUs(lingerUs);
        }
        if (null != deliveryTimeoutMs)
        {
            ctx.deliveryTimeoutMs(deliveryTimeoutMs);
        }
        final long timeoutMs = ctx.deliveryTimeoutMs();
        aeronDir.applyTo(ctx).bootstrap(bootstrap)
            .connectTimeoutMs(Math.min(ctx.connectTimeoutMs(), timeoutMs));
        int exitCode;
        try (Producer producer = Producer.connect(ctx))
        {
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while (null != (line = in.readLine()))
            {
                lineNumber++;
                byte[] key = null;
                String value = line;
                if (null != keySeparator && !keySeparator.isEmpty())
                {
                    final int at = line.indexOf(keySeparator);
                    if (at >= 0)
                    {
                        key = line.substring(0, at).getBytes(StandardCharsets.UTF_8);
                        value = line.substring(at + keySeparator.length());
                    }
                }
                final byte[] valueBytes = value.equals(nullMarker) ? null : value.getBytes(StandardCharsets.UTF_8);
                final LineCallback callback = new LineCallback(lineNumber,
                    (null == key ? 0 : key.length) + (null == valueBytes ? 0 : valueBytes.length), ctx.maxRecordSize());
                final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
                while (producer.send(topic, partition, key, valueBytes, callback) == Producer.BACK_PRESSURED)
                {
                    if (System.nanoTime() - deadlineNs > 0)
                    {
                        throw new SpindleException(ErrorCode.REQUEST_TIMED_OUT, "broker is not taking records");
                    }
                    producer.poll();
                    Thread.onSpinWait();
                }
                sent++;
            }
            producer.flush();
            exitCode = acked.get() == sent && 0 == failed.get() ? 0 : 1;
        }
        catch (final SpindleException | IllegalArgumentException | IllegalStateException ex)
        {
            System.err.println("spindle produce: " + ex.getMessage());
            exitCode = 1;
        }
        catch (final IOException ex)
        {
            System.err.println("spindle produce: reading standard input failed: " + ex.getMessage());
            exitCode = 1;
        }

        report();
        Runtime.getRuntime().removeShutdownHook(reportOnSignal);
        return exitCode;
    }

    /**
     * Counts a line's outcome and, when it failed, says which line, how long and why.
     */
    private final class LineCallback implements ProducerCallback
    {
        private final long lineNumber;
        private final int length;
        private final int maxRecordSize;

        LineCallback(final long lineNumber, final int length, final int maxRecordSize)
        {
            this.lineNumber = lineNumber;
            this.length = length;
            this.maxRecordSize = maxRecordSize;
        }

        public void onCompletion(final int partition, final long offset, final ErrorCode code)
        {
            if (ErrorCode.NONE == code)
            {
                acked.incrementAndGet();
                return;
            }
            failed.incrementAndGet();
            String reason = "";
            if (ErrorCode.RECORD_TOO_LARGE == code)
            {
                reason = length + RecordBatch.RECORD_OVERHEAD > maxRecordSize ?
                    " (larger than the producer's max.record.size of " + maxRecordSize + " bytes)" :
                    " (larger than the topic's max.message.bytes)";
            }
            System.err.println("spindle produce: line " + lineNumber + " (" + length + " bytes) to partition " +
                partition + " failed: " + code + reason);
        }
    }

    private void report()
    {
        if (reported.compareAndSet(false, true))
        {
            System.err.println("acked " + acked.get());
            System.err.flush();
        }
    }
}
