package io.spindle.tools;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.spindle.client.ClientProperties;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.DeadLetterHandler;
import io.spindle.client.RebalanceListener;
import io.spindle.client.RetryTopicHandler;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.batch.RecordFlyweight;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.IsolationLevel;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code spindle consume}: print records, one per line; with {@code --group}, as a member of a consumer
 * group that commits what it has printed (every {@code --commit-interval-ms}, when partitions are
 * revoked, and on exit, SIGINT/SIGTERM included).
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
    description = "Print records one per line: " +
    "[CreateTime:<ms><TAB>][partition:offset<TAB>][headers<TAB>][key<TAB>]value, each bracketed part with its " +
    "flag (--print-timestamp, --print-offset, --print-headers, --print-key). With --group, join the consumer " +
    "group and commit what was printed.")
public final class ConsumeCommand implements Callable<Integer>
{
    private static final long EXIT_COMMIT_TIMEOUT_MS = 5_000;

    private volatile boolean stopping;

    @Option(names = {"--bootstrap", "--bootstrap-server"}, required = true,
        description = "ipc, or HOST:PORT[,HOST:PORT...] of the broker (tried in order until one answers).")
    String bootstrap;

    @Option(names = "--topic", required = true, description = "Topic name.")
    String topic;

    @Mixin
    AeronDirOption aeronDir;

    @Option(names = "--partition", defaultValue = "-1", description = "Read only this partition (default: all).")
    int partition;

    @ArgGroup(exclusive = true)
    StartAt startAt;

    static final class StartAt
    {
        @Option(names = "--from-beginning", description = "Start at the first record still in the log.")
        boolean fromBeginning;

        @Option(names = "--offset", description = "Start at this offset (with --partition, or in every " +
            "partition); earliest is --from-beginning, latest the default (with --group both apply only where the " +
            "group has no committed offset).")
        String offset;
    }

    @Option(names = "--isolation-level", paramLabel = "LEVEL",
        description = "read_uncommitted (default): every record below the high-water mark; read_committed: only " +
        "records outside transactions and of committed ones, up to the last stable offset.")
    String isolationLevel;

    @Option(names = "--max-messages", defaultValue = "-1", description = "Exit after this many records.")
    long maxMessages;

    @Option(names = "--timeout-ms", defaultValue = "-1",
        description = "Exit when nothing arrived for this long (default: wait forever).")
    long timeoutMs;

    @Option(names = "--print-key", description = "Print key<TAB>value.")
    boolean printKey;

    @Option(names = "--print-offset", description = "Prefix each line with partition:offset<TAB>.")
    boolean printOffset;

    @Option(names = "--print-timestamp", description = "Prefix each line with CreateTime:<ms since the epoch><TAB>.")
    boolean printTimestamp;

    @Option(names = "--print-headers",
        description = "Print the headers before the key and value: k1:v1,k2:v2<TAB>, or NO_HEADERS<TAB>.")
    boolean printHeaders;

    @Option(names = "--key-format", paramLabel = "FORMAT", defaultValue = "text",
        description = "How keys are printed: " + ByteFormat.CHOICES + " (a null key prints as null).")
    ByteFormat keyFormat;

    @Option(names = "--value-format", paramLabel = "FORMAT", defaultValue = "text",
        description = "How values are printed: " + ByteFormat.CHOICES + "; base64 and hex carry any bytes.")
    ByteFormat valueFormat;

    @Option(names = "--print-null-as", paramLabel = "S",
        description = "Print a null value (a tombstone) as S (default: null).")
    String printNullAs;

    @Option(names = "--dlq", description = "Read the topic's dead-letter topic (<topic>.dlq, where DeadLetterHandler " +
        "parks records its handler failed on) and prefix each record with where it came from and why: " +
        "topic-partition@offset<TAB>exception: message<TAB>.")
    boolean dlq;

    @Option(names = "--retry-tier", paramLabel = "N", description = "With --dlq: read retry tier N instead " +
        "(<topic>.retry for 1, <topic>.retry.N after, where RetryTopicHandler parks records to retry later), each " +
        "record prefixed as for --dlq and with due=<epoch ms><TAB>.")
    Integer retryTier;

    @Option(names = "--long-poll", description = "Long-poll instead of the default streaming fetch.")
    boolean longPoll;

    @Option(names = "--group", description = "Join this consumer group: share the topic's partitions with its " +
        "other members, start from its committed offsets (else as --from-beginning says), commit what was printed.")
    String group;

    @Option(names = "--replica", description = "Against a cluster: fetch from member N " +
        "(follower fetching; default: a member on this machine, else the one the bootstrap reached).")
    Integer replica;

    @Option(names = {"--consumer-property", "--property"}, paramLabel = "KEY=VALUE",
        description = "A consumer setting by its property name, Kafka's (group.id, auto.offset.reset, " +
        "fetch.max.bytes, ...) or Spindle's (spindle.consumer.*, spindle.client.*); repeatable. An explicit flag " +
        "(--group, --from-beginning, --offset, --long-poll, --replica, --aeron-dir, --bootstrap) wins over a " +
        "property.")
    List<String> properties = new ArrayList<>();

    @Option(names = "--commit-interval-ms", defaultValue = "100",
        description = "With --group: commit what was printed at least this often (default: 100; the broker " +
        "writes commits off its produce path, several to a write).")
    long commitIntervalMs;

    /**
     * Consume and print.
     *
     * @return the exit code.
     */
    public Integer call()
    {
        if (null != retryTier && (!dlq || retryTier < 1))
        {
            System.err.println("spindle consume: --retry-tier needs --dlq and a tier of at least 1");
            return 2;
        }
        topic = !dlq ? topic : null != retryTier ? RetryTopicHandler.retryTopic(topic, retryTier) :
            topic + DeadLetterHandler.DLQ_SUFFIX;
        final String offsetText = null == startAt ? null : startAt.offset;
        final boolean earliest = null != startAt && (startAt.fromBeginning || "earliest".equals(offsetText));
        long startOffset = -1;
        if (null != offsetText && !"earliest".equals(offsetText) && !"latest".equals(offsetText))
        {
            try
            {
                startOffset = Long.parseLong(offsetText);
            }
            catch (final NumberFormatException ignore)
            {
                // Reported below with the negative offsets.
            }
            if (startOffset < 0)
            {
                System.err.println("spindle consume: --offset must be earliest, latest or an offset (0 or more), " +
                    "was " + offsetText);
                return 2;
            }
        }
        final Consumer.Context ctx = new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.LATEST)
            .streaming(true)
            .enableAutoCommit(false);
        ctx.clientId("spindle-consume");
        try
        {
            for (final String property : properties)
            {
                ClientProperties.apply(ctx, property);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("spindle consume: " + ex.getMessage());
            return 2;
        }
        if (null != isolationLevel)
        {
            if (!"read_committed".equals(isolationLevel) && !"read_uncommitted".equals(isolationLevel))
            {
                System.err.println("spindle consume: --isolation-level must be read_committed or read_uncommitted, " +
                    "was " + isolationLevel);
                return 2;
            }
            ctx.isolationLevel(IsolationLevel.valueOf(isolationLevel.toUpperCase(Locale.ROOT)));
        }
        if (earliest)
        {
            ctx.autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        }
        else if ("latest".equals(offsetText))
        {
            ctx.autoOffsetReset(Consumer.OffsetReset.LATEST);
        }
        if (longPoll)
        {
            ctx.streaming(false);
        }
        if (null != group)
        {
            ctx.groupId(group);
        }
        if (null != replica)
        {
            ctx.replica(replica);
        }
        aeronDir.applyTo(ctx).bootstrap(bootstrap);
        final String groupId = ctx.groupId();

        if (null != groupId && (partition >= 0 || startOffset >= 0))
        {
            System.err.println("spindle consume: --group (or group.id) takes its partitions and offsets from the " +
                "group: it cannot be combined with --partition or --offset N");
            return 2;
        }
        final PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false,
            StandardCharsets.UTF_8);

        final long[] count = {0};
        final CountDownLatch finished = new CountDownLatch(1);
        final Thread stopOnSignal = new Thread(() ->
        {
            stopping = true;
            try
            {
                finished.await(EXIT_COMMIT_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }, "spindle-consume-stop");
        Runtime.getRuntime().addShutdownHook(stopOnSignal);
        try (Consumer consumer = Consumer.connect(ctx))
        {
            if (null != groupId)
            {
                consumer.partitionCount(topic); // A topic that does not exist fails here, not after "consumed 0".
                consumer.subscribe(List.of(topic), new CommitOnRevoke(consumer, out));
            }
            else
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
                if (startOffset >= 0)
                {
                    for (final TopicPartition tp : partitions)
                    {
                        consumer.seek(tp, startOffset);
                    }
                }
            }

            final Consumer.RecordHandler handler = (record) ->
            {
                print(out, record);
                count[0]++;
            };
            final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
            long lastRecordNs = System.nanoTime();
            long lastCommitNs = lastRecordNs;
            boolean uncommitted = false;
            while ((maxMessages < 0 || count[0] < maxMessages) && !stopping)
            {
                final int limit = maxMessages < 0 ? 1024 : (int)Math.min(1024, maxMessages - count[0]);
                final int received = consumer.poll(handler, limit);
                final long nowNs = System.nanoTime();
                if (received > 0)
                {
                    lastRecordNs = nowNs;
                    uncommitted = true;
                }
                else
                {
                    out.flush();
                    if (timeoutMs >= 0 && nowNs - lastRecordNs > timeoutMs * 1_000_000L)
                    {
                        break;
                    }
                }
                if (null != groupId && uncommitted && nowNs - lastCommitNs > commitIntervalMs * 1_000_000L)
                {
                    out.flush();
                    consumer.commitAsync(null);
                    lastCommitNs = nowNs;
                    uncommitted = false;
                }
                idle.idle(received);
            }
            out.flush();
            if (null != groupId)
            {
                commitBeforeExit(consumer);
            }
        }
        catch (final SpindleException | IllegalArgumentException | IllegalStateException ex)
        {
            out.flush();
            System.err.println("spindle consume: " + ex.getMessage());
            return 1;
        }
        finally
        {
            finished.countDown();
            removeHook(stopOnSignal);
        }
        out.flush();
        System.err.println("consumed " + count[0]);
        return 0;
    }

    /**
     * Commit the positions of everything printed, driving the group through a rebalance under way
     * (its revocations commit through {@link CommitOnRevoke}) for a bounded time.
     */
    private static void commitBeforeExit(final Consumer consumer)
    {
        final long deadlineNs = System.nanoTime() + EXIT_COMMIT_TIMEOUT_MS * 1_000_000L;
        final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
        while (true)
        {
            try
            {
                consumer.commitSync();
                return;
            }
            catch (final SpindleException ex)
            {
                final ErrorCode code = ex.errorCode();
                final boolean retriable = ErrorCode.REBALANCE_IN_PROGRESS == code ||
                    ErrorCode.ILLEGAL_GENERATION == code || ErrorCode.NON_EMPTY_GROUP == code;
                if (!retriable || System.nanoTime() - deadlineNs > 0)
                {
                    System.err.println("spindle consume: could not commit on exit: " + ex.getMessage());
                    return;
                }
            }
            consumer.poll((record) -> {}, 0);
            idle.idle();
        }
    }

    private static void removeHook(final Thread hook)
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ignore)
        {
            // Already shutting down: the hook is running and waits for this thread.
        }
    }

    /**
     * Before partitions leave this consumer, flush what was printed from them and commit it.
     */
    private static final class CommitOnRevoke implements RebalanceListener
    {
        private final Consumer consumer;
        private final PrintStream out;

        CommitOnRevoke(final Consumer consumer, final PrintStream out)
        {
            this.consumer = consumer;
            this.out = out;
        }

        public void onPartitionsRevoked(final Collection<TopicPartition> partitions)
        {
            out.flush();
            try
            {
                consumer.commitSync();
            }
            catch (final SpindleException ex)
            {
                System.err.println("spindle consume: could not commit revoked partitions: " + ex.getMessage());
            }
        }

        public void onPartitionsAssigned(final Collection<TopicPartition> partitions)
        {
        }

        public void onPartitionsLost(final Collection<TopicPartition> partitions)
        {
            out.flush();
        }
    }

    private void print(final PrintStream out, final ConsumerRecord record)
    {
        if (printTimestamp)
        {
            out.print("CreateTime:");
            out.print(record.timestamp());
            out.print('\t');
        }
        if (printOffset)
        {
            out.print(record.partition());
            out.print(':');
            out.print(record.offset());
            out.print('\t');
        }
        if (dlq)
        {
            printParkedFrom(out, record);
        }
        if (printHeaders)
        {
            printHeaders(out, record.flyweight());
            out.print('\t');
        }
        if (printKey)
        {
            out.print(keyFormat.encode(record.buffer(), record.keyOffset(), record.keyLength()));
            out.print('\t');
        }
        out.println(null != printNullAs && record.valueLength() < 0 ? printNullAs :
            valueFormat.encode(record.buffer(), record.valueOffset(), record.valueLength()));
    }

    /**
     * As Kafka's console consumer prints them: {@code k1:v1,k2:v2} with UTF-8 values ({@code null} for a null
     * value), or {@code NO_HEADERS}.
     */
    private static void printHeaders(final PrintStream out, final RecordFlyweight record)
    {
        if (0 == record.headerCount())
        {
            out.print("NO_HEADERS");
            return;
        }
        boolean first = true;
        while (record.nextHeader())
        {
            if (!first)
            {
                out.print(',');
            }
            first = false;
            out.print(ByteFormat.TEXT.encode(record.buffer(), record.headerKeyOffset(), record.headerKeyLength()));
            out.print(':');
            out.print(ByteFormat.TEXT.encode(record.buffer(), record.headerValueOffset(), record.headerValueLength()));
        }
    }

    private static void printParkedFrom(final PrintStream out, final ConsumerRecord record)
    {
        out.print(parkedHeader(record, DeadLetterHandler.HEADER_TOPIC) + '-' +
            parkedHeader(record, DeadLetterHandler.HEADER_PARTITION) + '@' +
            parkedHeader(record, DeadLetterHandler.HEADER_OFFSET) + '\t' +
            parkedHeader(record, DeadLetterHandler.HEADER_EXCEPTION_CLASS) + ": " +
            parkedHeader(record, DeadLetterHandler.HEADER_EXCEPTION_MESSAGE) + '\t');
        if (null != record.headers().lastHeader(RetryTopicHandler.HEADER_DUE))
        {
            out.print("due=" + parkedHeader(record, RetryTopicHandler.HEADER_DUE) + '\t');
        }
    }

    private static String parkedHeader(final ConsumerRecord record, final String key)
    {
        final ConsumerRecord.Header header = record.headers().lastHeader(key);
        return null == header || header.valueLength() < 0 ? "?" :
            header.buffer().getStringWithoutLengthUtf8(header.valueOffset(), header.valueLength());
    }
}
