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
    "(e.g. too large) is reported on standard error with its line number and the rest of the input still sent; " +
    "a line that cannot become a record (no key separator, bad base64 or hex) ends the input there with exit 2.")
public final class ProduceCommand implements Callable<Integer>
{
    @Option(names = {"--bootstrap", "--bootstrap-server"}, required = true,
        description = "ipc, or HOST:PORT of the broker.")
    String bootstrap;

    @Option(names = "--topic", required = true, description = "Topic name.")
    String topic;

    @Mixin
    AeronDirOption aeronDir;

    @Option(names = "--acks", converter = AcksConverter.class, description = "0, 1, -1 or all (default: all).")
    Integer acks;

    @Option(names = "--key-separator", description = "Split each line into key<S>value at the first S; a line " +
        "without S is refused (exit 2, naming the line) unless --allow-missing-key.")
    String keySeparator;

    @Option(names = "--allow-missing-key",
        description = "With --key-separator: send a line without the separator as a value with a null key.")
    boolean allowMissingKey;

    @Option(names = "--header", paramLabel = "KEY=VALUE",
        description = "Put this header (UTF-8 value) on every record; repeatable.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--key-format", paramLabel = "FORMAT", defaultValue = "text",
        description = "How keys are written: " + ByteFormat.CHOICES + ".")
    ByteFormat keyFormat;

    @Option(names = "--value-format", paramLabel = "FORMAT", defaultValue = "text",
        description = "How values are written: " + ByteFormat.CHOICES + "; base64 and hex carry any bytes.")
    ByteFormat valueFormat;

    @Option(names = "--partition", defaultValue = "-1",
        description = "Send every record to this partition (default: -1, chosen by key).")
    int partition;

    @Option(names = "--delivery-timeout-ms",
        description = "Give up on a record not acknowledged within this time (default: 30000).")
    Long deliveryTimeoutMs;

    @Option(names = "--linger-us", description = "Batch linger in microseconds (default: 0).")
    Long lingerUs;

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

        final int acksValue = null == acks ? ctx.acks() : acks;

        if (partition < -1)
        {
            System.err.println("spindle produce: --partition must be a partition number (0 or more), or -1 to " +
                "choose by key, was " + partition);
            return 2;
        }

        final LineFormat format;
        try
        {
            format = new LineFormat(keySeparator, allowMissingKey, keyFormat, valueFormat, headers);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("spindle produce: " + ex.getMessage());
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
                final LineFormat.Line record = format.parse(line, lineNumber);
                final LineCallback callback = new LineCallback(lineNumber, record.length(), ctx.maxRecordSize());
                final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
                while (format.send(producer, topic, partition, record, callback) == Producer.BACK_PRESSURED)
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
        catch (final LineFormat.BadLineException ex)
        {
            System.err.println("spindle produce: " + ex.getMessage());
            exitCode = 2;
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
