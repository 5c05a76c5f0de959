package io.spindle.tools;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.ConsumerRecord;
import io.spindle.client.Producer;
import io.spindle.client.ProducerCallback;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.check.History;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * The load of a chaos run: a producer thread sending records with {@code acks=all} on a fixed schedule, each
 * record's outcome recorded in a {@link History}, and a consumer thread reading both partitions along.
 * <p>
 * <b>Producer.</b> Record {@code n} of producer {@code pK} has the value {@code pK-n} and goes to partition
 * {@code n % partitions}. Its callback says how it ended: {@link ErrorCode#NONE} is acknowledged at its offset; a
 * timeout or a lost connection is in doubt; any other error is a refusal, so the record was not written. When the
 * producer throws (its cluster session is gone for good) it is closed, what it had not answered is in doubt, and a
 * new producer {@code pK+1} takes over. The longest unavailability is the longest time during which records were
 * waiting for an answer and none was acknowledged.
 * <p>
 * <b>Consumer.</b> Assigned both partitions from the earliest offset; a consumer that throws (its member gone for
 * longer than the reconnect timeout) is replaced by one that seeks to where the last one was. Offsets must follow
 * each other in each partition; a skip or a repeat is counted.
 */
final class ChaosLoad
{
    private static final long NULL_TIME = Long.MIN_VALUE;
    private static final long MAX_BACKLOG_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long THREAD_STOP_MS = 60_000;
    private static final long EPISODE_GAP_NS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_EPISODES = 20;

    private static final class InDoubtEpisode
    {
        private final long fromNs;
        private final String reason;
        private long lastNs;
        private int count = 1;

        InDoubtEpisode(final long fromNs, final String reason, final long lastNs)
        {
            this.fromNs = fromNs;
            this.reason = reason;
            this.lastNs = lastNs;
        }
    }

    private final String topic;
    private final int partitions;
    private final long intervalNs;
    private final PrintStream out;
    private final long startNs;
    private final ClientFactory clients;
    private final History history = new History();

    private volatile boolean isProducing = true;
    private volatile boolean isConsuming = true;
    private volatile long[] consumeUpTo;
    private final Thread producerThread;
    private final Thread consumerThread;
    private final AtomicReference<Throwable> threadFailure = new AtomicReference<>();

    // Written by the producer thread, read by others once it has stopped (or as a progress figure).
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong inDoubt = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong producersLost = new AtomicLong();
    private final AtomicLong longestUnavailableNs = new AtomicLong();
    private final AtomicLong longestUnavailableFromNs = new AtomicLong();
    private final Map<Long, Attempt> unanswered = new LinkedHashMap<>();
    private long waitingSinceNs = NULL_TIME;
    private final List<InDoubtEpisode> inDoubtEpisodes = new ArrayList<>();
    private String firstProducerLoss;

    // Written by the consumer thread.
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong consumerSkips = new AtomicLong();
    private final AtomicLong consumersLost = new AtomicLong();
    private final long[] nextOffsets;
    private volatile String firstConsumerSkip;

    /**
     * Makes the clients of the run: the bootstrap, driver and timeouts are the run's.
     */
    interface ClientFactory
    {
        /**
         * Fill in a client's context.
         *
         * @param ctx      to fill in.
         * @param clientId of the client.
         * @param <T>      the kind of context.
         * @return the context.
         */
        <T extends ClientContext> T client(T ctx, String clientId);
    }

    ChaosLoad(
        final String topic,
        final int partitions,
        final int rate,
        final ClientFactory clients,
        final PrintStream out,
        final long startNs)
    {
        this.topic = topic;
        this.partitions = partitions;
        this.intervalNs = TimeUnit.SECONDS.toNanos(1) / rate;
        this.clients = clients;
        this.out = out;
        this.startNs = startNs;
        this.nextOffsets = new long[partitions];
        producerThread = new Thread(this::produce, "chaos-producer");
        consumerThread = new Thread(this::consume, "chaos-consumer");
        producerThread.setUncaughtExceptionHandler((t, ex) -> threadFailure.compareAndSet(null, ex));
        consumerThread.setUncaughtExceptionHandler((t, ex) -> threadFailure.compareAndSet(null, ex));
    }

    void start()
    {
        producerThread.start();
        consumerThread.start();
    }

    /**
     * Stop producing: what is outstanding is flushed (bounded by the delivery timeout) and the producer closed.
     *
     * @return true if the producer thread ended in time.
     * @throws InterruptedException if interrupted.
     */
    boolean stopProducing() throws InterruptedException
    {
        isProducing = false;
        producerThread.join(THREAD_STOP_MS);
        return !producerThread.isAlive();
    }

    /**
     * Let the consumer read up to these offsets, then stop it, waiting at most the timeout.
     *
     * @param endOffsets per partition.
     * @param timeoutMs  how long the consumer may take.
     * @return true if it read up to every end offset.
     * @throws InterruptedException if interrupted.
     */
    boolean stopConsumingAt(final long[] endOffsets, final long timeoutMs) throws InterruptedException
    {
        consumeUpTo = endOffsets.clone();
        consumerThread.join(timeoutMs);
        final boolean isDone = !consumerThread.isAlive();
        isConsuming = false;
        consumerThread.join(THREAD_STOP_MS);
        return isDone;
    }

    /**
     * Stop the consumer at once, wherever it is.
     *
     * @throws InterruptedException if interrupted.
     */
    void stopConsuming() throws InterruptedException
    {
        isConsuming = false;
        consumerThread.join(THREAD_STOP_MS);
    }

    History history()
    {
        return history;
    }

    Throwable threadFailure()
    {
        return threadFailure.get();
    }

    long acknowledged()
    {
        return acknowledged.get();
    }

    long inDoubt()
    {
        return inDoubt.get();
    }

    long refused()
    {
        return refused.get();
    }

    long producersLost()
    {
        return producersLost.get();
    }

    String firstProducerLoss()
    {
        return firstProducerLoss;
    }

    long longestUnavailableNs()
    {
        return longestUnavailableNs.get();
    }

    /**
     * When the longest unavailability began, from the start of the run.
     *
     * @return nanoseconds since the run's start.
     */
    long longestUnavailableFromNs()
    {
        return longestUnavailableFromNs.get() - startNs;
    }

    /**
     * When records became in doubt and why, e.g. {@code 1200 REQUEST_TIMED_OUT at +35.2s}: bursts of the same reason
     * less than a second apart are one episode; the first few episodes are kept.
     *
     * @return the episodes, once the producer has stopped.
     */
    List<String> inDoubtEpisodes()
    {
        final List<String> episodes = new ArrayList<>();
        for (final InDoubtEpisode episode : inDoubtEpisodes)
        {
            episodes.add(String.format(Locale.ROOT, "%d %s at +%.1fs", episode.count, episode.reason,
                episode.fromNs / 1e9));
        }
        return episodes;
    }

    long consumed()
    {
        return consumed.get();
    }

    long consumerSkips()
    {
        return consumerSkips.get();
    }

    String firstConsumerSkip()
    {
        return firstConsumerSkip;
    }

    long consumersLost()
    {
        return consumersLost.get();
    }

    /**
     * One record sent by one producer and the callback that records how it ended.
     */
    private final class Attempt implements ProducerCallback
    {
        private final String producer;
        private final long sequence;
        private final int partition;
        private final byte[] value;

        Attempt(final String producer, final long sequence, final int partition)
        {
            this.producer = producer;
            this.sequence = sequence;
            this.partition = partition;
            this.value = (producer + "-" + sequence).getBytes(StandardCharsets.US_ASCII);
        }

        public void onCompletion(final int partition, final long offset, final ErrorCode errorCode)
        {
            if (null == unanswered.remove(sequence))
            {
                return;
            }
            if (ErrorCode.NONE == errorCode && offset >= 0)
            {
                history.acknowledged(producer, sequence, topic, this.partition, offset, value);
                acknowledged.incrementAndGet();
                final long nowNs = System.nanoTime();
                if (NULL_TIME != waitingSinceNs)
                {
                    onWaited(waitingSinceNs, nowNs);
                }
                waitingSinceNs = unanswered.isEmpty() ? NULL_TIME : nowNs;
            }
            else if (ErrorCode.REQUEST_TIMED_OUT == errorCode || ErrorCode.NETWORK_EXCEPTION == errorCode ||
                ErrorCode.NONE == errorCode)
            {
                history.inDoubt(producer, sequence, topic, this.partition, value);
                onInDoubt(errorCode.name());
            }
            else
            {
                history.failed(producer, sequence, topic, this.partition, value);
                refused.incrementAndGet();
            }
        }

        void inDoubt()
        {
            if (null != unanswered.remove(sequence))
            {
                history.inDoubt(producer, sequence, topic, partition, value);
                onInDoubt("unanswered when producer " + producer + " closed");
            }
        }
    }

    private void onInDoubt(final String reason)
    {
        inDoubt.incrementAndGet();
        final long nowNs = System.nanoTime();
        final InDoubtEpisode last = inDoubtEpisodes.isEmpty() ? null : inDoubtEpisodes.get(inDoubtEpisodes.size() - 1);
        if (null != last && last.reason.equals(reason) && nowNs - last.lastNs < EPISODE_GAP_NS)
        {
            last.count++;
            last.lastNs = nowNs;
        }
        else if (inDoubtEpisodes.size() < MAX_EPISODES)
        {
            inDoubtEpisodes.add(new InDoubtEpisode(nowNs - startNs, reason, nowNs));
        }
    }

    private void onWaited(final long fromNs, final long toNs)
    {
        if (toNs - fromNs > longestUnavailableNs.get())
        {
            longestUnavailableNs.set(toNs - fromNs);
            longestUnavailableFromNs.set(fromNs);
        }
    }

    private void produce()
    {
        final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 200_000);
        int generation = 0;
        long nextSendNs = System.nanoTime();
        while (isProducing)
        {
            final String name = "p" + (++generation);
            final Producer producer = connectProducer(name);
            if (null == producer)
            {
                break;
            }
            long sequence = 0;
            Attempt attempt = null;
            try
            {
                while (isProducing)
                {
                    final long nowNs = System.nanoTime();
                    if (nowNs - nextSendNs < 0)
                    {
                        idle.idle(producer.poll());
                        continue;
                    }
                    if (null == attempt)
                    {
                        attempt = new Attempt(name, sequence, (int)(sequence % partitions));
                        sequence++;
                        unanswered.put(attempt.sequence, attempt);
                        if (NULL_TIME == waitingSinceNs)
                        {
                            waitingSinceNs = nowNs;
                        }
                    }
                    final int result = producer.send(topic, attempt.partition, null, attempt.value, attempt);
                    if (Producer.BACK_PRESSURED == result)
                    {
                        idle.idle(producer.poll());
                        continue;
                    }
                    idle.reset();
                    attempt = null;
                    nextSendNs += intervalNs;
                    if (nowNs - nextSendNs > MAX_BACKLOG_NS)
                    {
                        // Far behind after an outage: do not try to send the whole backlog at once.
                        nextSendNs = nowNs;
                    }
                }
                producer.flush();
            }
            catch (final RuntimeException ex)
            {
                if (isProducing)
                {
                    producersLost.incrementAndGet();
                    if (null == firstProducerLoss)
                    {
                        firstProducerLoss = name + ": " + SpindleCli.reason(ex);
                    }
                    out.printf("%s producer %s lost: %s; a new producer takes over%n", elapsed(), name,
                        SpindleCli.reason(ex));
                }
                else
                {
                    out.printf("%s producer %s could not flush at the end: %s%n", elapsed(), name,
                        SpindleCli.reason(ex));
                }
            }
            finally
            {
                close(producer);
                // Never answered, never handed over, or its send threw: it may or may not be in the log.
                for (final Attempt left : new ArrayList<>(unanswered.values()))
                {
                    left.inDoubt();
                }
            }
        }
        if (NULL_TIME != waitingSinceNs)
        {
            onWaited(waitingSinceNs, System.nanoTime());
        }
    }

    private Producer connectProducer(final String name)
    {
        while (isProducing)
        {
            try
            {
                return Producer.connect(clients.client(new Producer.Context(), "chaos-" + name)
                    .acks(-1).lingerUs(0).maxRecordSize(8 * 1024).deliveryTimeoutMs(10_000));
            }
            catch (final RuntimeException ex)
            {
                out.printf("%s producer %s cannot connect yet: %s%n", elapsed(), name, SpindleCli.reason(ex));
                pause(500);
            }
        }
        return null;
    }

    private static void close(final Producer producer)
    {
        try
        {
            producer.close();
        }
        catch (final RuntimeException ex)
        {
            // Closing a producer whose session is gone: its records were failed through their callbacks.
        }
    }

    private void consume()
    {
        final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
        final Consumer.RecordHandler handler = this::onRecord;
        int generation = 0;
        while (isConsuming && !isConsumedUpTo())
        {
            final String name = "chaos-consumer-" + (++generation);
            final Consumer consumer;
            try
            {
                consumer = Consumer.connect(clients.client(new Consumer.Context(), name)
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST));
            }
            catch (final RuntimeException ex)
            {
                pause(500);
                continue;
            }
            try
            {
                final List<TopicPartition> assignment = new ArrayList<>();
                for (int p = 0; p < partitions; p++)
                {
                    assignment.add(new TopicPartition(topic, p));
                }
                consumer.assign(assignment);
                for (int p = 0; p < partitions; p++)
                {
                    if (nextOffsets[p] > 0)
                    {
                        consumer.seek(assignment.get(p), nextOffsets[p]);
                    }
                }
                while (isConsuming && !isConsumedUpTo())
                {
                    idle.idle(consumer.poll(handler, 256));
                }
            }
            catch (final RuntimeException ex)
            {
                consumersLost.incrementAndGet();
            }
            finally
            {
                try
                {
                    consumer.close();
                }
                catch (final RuntimeException ignore)
                {
                    // Its member is gone: nothing to close cleanly.
                }
            }
        }
    }

    private void onRecord(final ConsumerRecord record)
    {
        final int p = record.partition();
        if (record.offset() != nextOffsets[p])
        {
            consumerSkips.incrementAndGet();
            if (null == firstConsumerSkip)
            {
                firstConsumerSkip = "partition " + p + ": offset " + record.offset() + " where " + nextOffsets[p] +
                    " was next";
            }
        }
        nextOffsets[p] = Math.max(nextOffsets[p], record.offset() + 1);
        consumed.incrementAndGet();
    }

    private boolean isConsumedUpTo()
    {
        final long[] upTo = consumeUpTo;
        if (null == upTo)
        {
            return false;
        }
        for (int p = 0; p < partitions; p++)
        {
            if (nextOffsets[p] < upTo[p])
            {
                return false;
            }
        }
        return true;
    }

    private String elapsed()
    {
        return ChaosCommand.elapsed(startNs);
    }

    private static void pause(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
