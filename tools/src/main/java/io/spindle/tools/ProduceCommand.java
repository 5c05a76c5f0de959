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
    description = "Send one record per line of standard input (in transactions with --transactional-id); " +
    "prints 'acked N' to " +
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

    @Option(names = "--null-marker", paramLabel = "S",
        description = "Send a record whose value is exactly S with a null value: a tombstone on a compacted topic.")
    String nullMarker;

    @Option(names = {"--producer-property", "--property"}, paramLabel = "KEY=VALUE",
        description = "A producer setting by its property name, Kafka's (acks, linger.ms, batch.size, ...) or " +
        "Spindle's (spindle.producer.*, spindle.client.*); repeatable. An explicit flag (--acks, --linger-us, " +
        "--delivery-timeout-ms, --aeron-dir, --bootstrap) wins over a property.")
    List<String> properties = new ArrayList<>();

    @Option(names = "--transactional-id", paramLabel = "ID",
        description = "Send in transactions under this transactional id: a read_committed consumer sees each " +
        "transaction's records all at once or never. An older producer with the same id is fenced and what it " +
        "left open aborted. SIGINT, SIGTERM or an error abort the open transaction. Prints 'committed T " +
        "transactions, acked N' (records of committed transactions) at the end.")
    String transactionalId;

    @Option(names = "--transaction-records", paramLabel = "N",
        description = "With --transactional-id: commit a transaction every N input records (default: one " +
        "transaction, committed at the end of the input).")
    Long transactionRecords;

    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong committedTransactions = new AtomicLong();
    private final AtomicLong committedRecords = new AtomicLong();
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean isTransactional;
    private final AtomicLong failed = new AtomicLong();
    private final AtomicBoolean reported = new AtomicBoolean();

    /**
     * Read, send, report.
     *
     * @return 0 when every record read was acknowledged.
     */
    public Integer call()
    {
        // Defaults from the spindle.producer.* system properties (acks all, linger 0, delivery timeout 30 s unless
        // set), then --property settings, then the explicit flags.
        final Producer.Context ctx = new Producer.Context();
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
            format = new LineFormat(keySeparator, allowMissingKey, keyFormat, valueFormat, headers, nullMarker);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("spindle produce: " + ex.getMessage());
            return 2;
        }

        if (null != transactionRecords && (null == transactionalId || transactionRecords < 1))
        {
            System.err.println("spindle produce: --transaction-records needs --transactional-id and a count of 1 or " +
                "more");
            return 2;
        }
        isTransactional = null != transactionalId;
        ctx.transactionalId(transactionalId);
        final Thread reportOnSignal = new Thread(this::onSignal, "spindle-produce-report");
        Runtime.getRuntime().addShutdownHook(reportOnSignal);

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
            final long sent;
            try
            {
                sent = produceAll(producer, format, timeoutMs, ctx.maxRecordSize());
            }
            catch (final Exception ex)
            {
                // Before the producer closes: an open transaction is aborted, so no read_committed reader waits on it.
                abortOpen(producer);
                throw ex;
            }
            // Transactional: every record read is in a committed transaction.
            exitCode = (isTransactional ? committedRecords.get() : acked.get()) == sent && 0 == failed.get() ? 0 : 1;
        }
        catch (final StoppedBySignal ex)
        {
            exitCode = 1;
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
        finished.countDown();
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

    /**
     * Send every line of standard input, in transactions when asked; return how many were sent.
     */
    private long produceAll(final Producer producer, final LineFormat format, final long timeoutMs,
        final int maxRecordSize) throws IOException
    {
        final QueuedLines in = new QueuedLines(stopRequested, producer::poll);
        if (isTransactional)
        {
            producer.initTransactions();
            producer.beginTransaction();
        }
        long sent = 0;
        long lineNumber = 0;
        long inTransaction = 0;
        String line;
        while (null != (line = in.next()))
        {
            lineNumber++;
            final LineFormat.Line record = format.parse(line, lineNumber);
            final LineCallback callback = new LineCallback(lineNumber, record.length(), maxRecordSize);
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
            if (isTransactional && ++inTransaction == (null == transactionRecords ? Long.MAX_VALUE :
                transactionRecords))
            {
                commit(producer);
                inTransaction = 0;
                producer.beginTransaction();
            }
        }
        if (isTransactional && stopRequested.get())
        {
            throw new StoppedBySignal();
        }
        if (isTransactional && inTransaction > 0)
        {
            commit(producer);
        }
        producer.flush();
        return sent;
    }

    private void commit(final Producer producer)
    {
        producer.commitTransaction();
        committedTransactions.incrementAndGet();
        // Every record acknowledged so far is in a committed transaction now.
        committedRecords.set(acked.get());
    }

    /**
     * An error or a signal ends the input with a transaction open: abort it, so none of its records is ever read by
     * a read_committed consumer; the records it had acknowledged do not count as acked.
     */
    private void abortOpen(final Producer producer)
    {
        if (!isTransactional || null == producer)
        {
            return;
        }
        try
        {
            producer.abortTransaction();
        }
        catch (final RuntimeException ex)
        {
            System.err.println("spindle produce: aborting the open transaction failed (the broker aborts it at " +
                "its timeout): " + ex.getMessage());
        }
    }

    /**
     * SIGINT or SIGTERM: a transactional run is asked to stop and given a few seconds to abort its open
     * transaction on its own thread (the producer belongs to it); then the counts are printed.
     */
    private void onSignal()
    {
        if (isTransactional)
        {
            stopRequested.set(true);
            try
            {
                finished.await(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        report();
    }

    private void report()
    {
        if (reported.compareAndSet(false, true))
        {
            System.err.println(isTransactional ?
                "committed " + committedTransactions.get() + " transactions, acked " + committedRecords.get() :
                "acked " + acked.get());
            System.err.flush();
        }
    }

    /**
     * The input loop saw a stop request: the open transaction is aborted.
     */
    private static final class StoppedBySignal extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        StoppedBySignal()
        {
            super("stopped by a signal", null, false, false);
        }
    }

    /**
     * Standard input read on a thread of its own, so that while the input is quiet the producing thread goes on
     * sending what it holds (an answer frees the partition for its next batch) and sees a stop request (a blocked
     * read would not let it abort its transaction).
     */
    private static final class QueuedLines
    {
        private static final String END = new String("end of input");

        private final java.util.concurrent.BlockingQueue<String> lines =
            new java.util.concurrent.ArrayBlockingQueue<>(4096);
        private final AtomicBoolean stopRequested;
        private final Runnable whileWaiting;
        private volatile IOException failure;

        QueuedLines(final AtomicBoolean stopRequested, final Runnable whileWaiting)
        {
            this.stopRequested = stopRequested;
            this.whileWaiting = whileWaiting;
            // Standard input as it is now, on this thread: the reader starts later.
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            final Thread reader = new Thread(() -> readAll(in), "spindle-produce-stdin");
            reader.setDaemon(true);
            reader.start();
        }

        String next() throws IOException
        {
            try
            {
                while (!stopRequested.get())
                {
                    String line = lines.poll();
                    if (null == line)
                    {
                        whileWaiting.run();
                        line = lines.poll(1, java.util.concurrent.TimeUnit.MILLISECONDS);
                    }
                    if (END == line)
                    {
                        if (null != failure)
                        {
                            throw failure;
                        }
                        return null;
                    }
                    if (null != line)
                    {
                        return line;
                    }
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            return null;
        }

        private void readAll(final BufferedReader in)
        {
            try
            {
                String line;
                while (null != (line = in.readLine()))
                {
                    lines.put(line);
                }
            }
            catch (final IOException ex)
            {
                failure = ex;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            try
            {
                lines.put(END);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
