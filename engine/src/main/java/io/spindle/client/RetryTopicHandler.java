/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import io.spindle.codecs.batch.RecordHeaders;
import io.spindle.codecs.protocol.ErrorCode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link Consumer.RecordHandler} that retries a failing handler in process with backoff, then parks the record on
 * delayed retry topics, one per configured delay, and finally on the dead-letter topic, so a record that fails for a
 * while (a dependency down) is retried later without holding up the records behind it.
 * <p>
 * For a record of {@code T}: call the delegate, retrying after {@code backoffMs} (doubling up to
 * {@code maxBackoffMs}) for at most {@code maxAttempts} calls; if all fail, send it (key, value, headers) to the
 * first retry tier {@code T.retry} due {@code retryDelaysMs[0]} later; a record of tier {@code n} that fails
 * again goes to tier {@code n + 1} ({@code T.retry.2}, {@code T.retry.3}, ...), and one that fails on the last tier
 * to {@code T.dlq}. Each parked record carries the headers of {@link DeadLetterHandler} about where it came from
 * (the original topic, partition, offset and timestamp, the last exception's class and message, the handler calls
 * so far) and, on a retry tier, {@value #HEADER_TIER} and {@value #HEADER_DUE} (epoch ms). The topics must exist.
 * <p>
 * A record of a retry tier that is not yet due is not processed: the handler seeks its partition back to it and
 * pauses the partition (the consumer then hands over nothing more from it), and {@link #poll} resumes the
 * partition once the record is due. Only that partition waits; within a tier records are due in offset order, as
 * every one waits the same delay. Subscribe (or assign) the consumer to {@link #topics} and poll through
 * {@link #poll}.
 * <p>
 * {@link #onRecord} returns only once the record was processed or its parking acknowledged, so the consumer's
 * position, and so whatever it commits, never passes a record that is neither; if parking fails, the partition is
 * sought back to the record and {@link SpindleException} thrown. A crash between parking and the next commit parks
 * the record again when it is delivered again (at least once). Runs on the consumer's thread, which must own the
 * producer; not thread-safe.
 * <pre>{@code
 * final RetryTopicHandler handler = new RetryTopicHandler(consumer, producer, record -> process(record), 2, 50, 200,
 *     new long[]{ 1_000, 10_000 });
 * consumer.subscribe(RetryTopicHandler.topics("orders", 2));
 * while (running)
 * {
 *     handler.poll(100, 100);
 *     consumer.commitSync();
 * }
 * }</pre>
 */
public final class RetryTopicHandler implements Consumer.RecordHandler
{
    /**
     * Suffix of the first retry tier; tier {@code n > 1} is {@code <topic>.retry.n}.
     */
    public static final String RETRY_SUFFIX = ".retry";

    /**
     * Header with the retry tier a record was parked on, 1 for {@code <topic>.retry}, in decimal.
     */
    public static final String HEADER_TIER = "spindle.retry.tier";

    /**
     * Header with the time (epoch ms, decimal) before which a record of a retry tier is not processed.
     */
    public static final String HEADER_DUE = "spindle.retry.due";

    private static final String HEADER_PREFIX_DLQ = "spindle.dlq.";
    private static final String HEADER_PREFIX_RETRY = "spindle.retry.";

    private final Consumer consumer;
    private final Producer producer;
    private final Consumer.RecordHandler delegate;
    private final int maxAttempts;
    private final long backoffMs;
    private final long maxBackoffMs;
    private final long[] retryDelaysMs;
    private final Map<TopicPartition, Long> waiting = new HashMap<>();
    private final RecordHeaders headers = new RecordHeaders();
    private final ErrorCode[] parkResult = new ErrorCode[1];
    private final ProducerCallback parkCallback = (partition, offset, code) -> parkResult[0] = code;
    private long processedCount;
    private long retriedCount;
    private long delayedCount;
    private long parkedCount;

    /**
     * Wrap a handler.
     *
     * @param consumer      delivering the records of the topic and its retry tiers.
     * @param producer      owned by the consumer's thread, to send to the retry and dead-letter topics.
     * @param delegate      the application's handler; a {@link RuntimeException} from it is a failure.
     * @param maxAttempts   calls of the delegate per delivery before parking the record, at least 1.
     * @param backoffMs     wait before an in-process retry, at least 0.
     * @param maxBackoffMs  cap on the doubling wait, at least backoffMs.
     * @param retryDelaysMs delay of each retry tier, in tier order, each at least 0; empty to park on the
     *                      dead-letter topic straight away.
     */
    public RetryTopicHandler(
        final Consumer consumer,
        final Producer producer,
        final Consumer.RecordHandler delegate,
        final int maxAttempts,
        final long backoffMs,
        final long maxBackoffMs,
        final long[] retryDelaysMs)
    {
        if (maxAttempts < 1 || backoffMs < 0 || maxBackoffMs < backoffMs)
        {
            throw new IllegalArgumentException("maxAttempts=" + maxAttempts + " backoffMs=" + backoffMs +
                " maxBackoffMs=" + maxBackoffMs);
        }
        for (final long delayMs : retryDelaysMs)
        {
            if (delayMs < 0)
            {
                throw new IllegalArgumentException("negative retry delay " + delayMs);
            }
        }

        this.consumer = consumer;
        this.producer = producer;
        this.delegate = delegate;
        this.maxAttempts = maxAttempts;
        this.backoffMs = backoffMs;
        this.maxBackoffMs = maxBackoffMs;
        this.retryDelaysMs = retryDelaysMs.clone();
    }

    /**
     * The retry tier topic of a topic.
     *
     * @param topic the original topic.
     * @param tier  1 for the first tier.
     * @return {@code <topic>.retry} for tier 1, else {@code <topic>.retry.<tier>}.
     */
    public static String retryTopic(final String topic, final int tier)
    {
        return 1 == tier ? topic + RETRY_SUFFIX : topic + RETRY_SUFFIX + "." + tier;
    }

    /**
     * The topics a consumer using this handler reads: the topic and its retry tiers.
     *
     * @param topic the original topic.
     * @param tiers number of retry delays.
     * @return the topic names.
     */
    public static List<String> topics(final String topic, final int tiers)
    {
        final List<String> topics = new ArrayList<>();
        topics.add(topic);
        for (int tier = 1; tier <= tiers; tier++)
        {
            topics.add(retryTopic(topic, tier));
        }
        return topics;
    }

    /**
     * Resume the partitions whose waiting record is due, then poll the consumer with this handler, for no longer
     * than until the next waiting record is due.
     *
     * @param maxRecords most records to hand over.
     * @param timeoutMs  longest wait for records.
     * @return records handed over (including those found not yet due).
     */
    public int poll(final int maxRecords, final long timeoutMs)
    {
        final long nowMs = System.currentTimeMillis();
        long nextDueMs = Long.MAX_VALUE;
        final List<TopicPartition> due = new ArrayList<>();
        for (final Iterator<Map.Entry<TopicPartition, Long>> it = waiting.entrySet().iterator(); it.hasNext(); )
        {
            final Map.Entry<TopicPartition, Long> entry = it.next();
            if (entry.getValue() <= nowMs)
            {
                due.add(entry.getKey());
                it.remove();
            }
            else
            {
                nextDueMs = Math.min(nextDueMs, entry.getValue());
            }
        }
        if (!due.isEmpty())
        {
            consumer.resume(due);
        }

        final long waitMs = Long.MAX_VALUE == nextDueMs ? timeoutMs : Math.min(timeoutMs, nextDueMs - nowMs);
        return consumer.poll(this, maxRecords, Math.max(0, waitMs));
    }

    /**
     * Process the record, retrying, or park it on the next retry tier or the dead-letter topic; a record of a retry
     * tier that is not due yet makes its partition wait.
     *
     * @param record the record.
     * @throws SpindleException if the record could not be parked; the consumer was sought back to it.
     */
    public void onRecord(final ConsumerRecord record)
    {
        final int tier = (int)longHeader(record, HEADER_TIER, 0);
        if (tier > 0)
        {
            final long dueMs = longHeader(record, HEADER_DUE, 0);
            if (System.currentTimeMillis() < dueMs)
            {
                final TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                consumer.seek(tp, record.offset());
                consumer.pause(List.of(tp));
                waiting.put(tp, dueMs);
                delayedCount++;
                return;
            }
        }

        long waitMs = backoffMs;
        RuntimeException failure = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++)
        {
            try
            {
                delegate.onRecord(record);
                processedCount++;
                return;
            }
            catch (final RuntimeException ex)
            {
                failure = ex;
            }

            if (attempt < maxAttempts)
            {
                retriedCount++;
                if (waitMs > 0)
                {
                    LockSupport.parkNanos(waitMs * 1_000_000L);
                }
                waitMs = Math.min(maxBackoffMs, waitMs * 2);
            }
        }

        park(record, tier, failure);
    }

    /**
     * Records the delegate processed.
     *
     * @return count.
     */
    public long processedCount()
    {
        return processedCount;
    }

    /**
     * Calls of the delegate that failed and were retried in process.
     *
     * @return count.
     */
    public long retriedCount()
    {
        return retriedCount;
    }

    /**
     * Deliveries of retry-tier records found not yet due (their partition then waited).
     *
     * @return count.
     */
    public long delayedCount()
    {
        return delayedCount;
    }

    /**
     * Records parked, on a retry tier or the dead-letter topic.
     *
     * @return count.
     */
    public long parkedCount()
    {
        return parkedCount;
    }

    private void park(final ConsumerRecord record, final int tier, final RuntimeException failure)
    {
        final boolean isFirstParking = 0 == tier;
        final String originTopic = isFirstParking ? record.topic() : header(record, DeadLetterHandler.HEADER_TOPIC);
        final String partition = isFirstParking ? Integer.toString(record.partition()) :
            header(record, DeadLetterHandler.HEADER_PARTITION);
        final String offset = isFirstParking ? Long.toString(record.offset()) :
            header(record, DeadLetterHandler.HEADER_OFFSET);
        final String timestamp = isFirstParking ? Long.toString(record.timestamp()) :
            header(record, DeadLetterHandler.HEADER_TIMESTAMP);
        final long attempts = longHeader(record, DeadLetterHandler.HEADER_ATTEMPTS, 0) + maxAttempts;

        headers.clear();
        for (final ConsumerRecord.Header header : record.headers())
        {
            final String key = header.key();
            if (!key.startsWith(HEADER_PREFIX_DLQ) && !key.startsWith(HEADER_PREFIX_RETRY))
            {
                headers.add(header.buffer(), header.keyOffset(), header.keyLength(),
                    header.buffer(), header.valueOffset(), header.valueLength());
            }
        }
        add(DeadLetterHandler.HEADER_TOPIC, originTopic);
        add(DeadLetterHandler.HEADER_PARTITION, partition);
        add(DeadLetterHandler.HEADER_OFFSET, offset);
        add(DeadLetterHandler.HEADER_TIMESTAMP, timestamp);
        add(DeadLetterHandler.HEADER_EXCEPTION_CLASS, failure.getClass().getName());
        add(DeadLetterHandler.HEADER_EXCEPTION_MESSAGE, null == failure.getMessage() ? "" : failure.getMessage());
        add(DeadLetterHandler.HEADER_ATTEMPTS, Long.toString(attempts));

        final String target;
        if (tier < retryDelaysMs.length)
        {
            target = retryTopic(originTopic, tier + 1);
            add(HEADER_TIER, Integer.toString(tier + 1));
            add(HEADER_DUE, Long.toString(System.currentTimeMillis() + retryDelaysMs[tier]));
        }
        else
        {
            target = originTopic + DeadLetterHandler.DLQ_SUFFIX;
        }

        parkResult[0] = null;
        try
        {
            while (producer.send(target, -1,
                record.buffer(), record.keyOffset(), record.keyLength(),
                record.buffer(), record.valueOffset(), record.valueLength(),
                headers, parkCallback) == Producer.BACK_PRESSURED)
            {
                producer.poll();
            }
            producer.flush();
        }
        catch (final SpindleException ex)
        {
            parkResult[0] = ex.errorCode();
        }

        if (ErrorCode.NONE != parkResult[0])
        {
            consumer.seek(new TopicPartition(record.topic(), record.partition()), record.offset());
            throw new SpindleException(null == parkResult[0] ? ErrorCode.REQUEST_TIMED_OUT : parkResult[0],
                "could not park offset " + record.offset() + " of " + record.topic() + "-" + record.partition() +
                " on " + target + " (" + failure + ")");
        }
        parkedCount++;
    }

    private static String header(final ConsumerRecord record, final String key)
    {
        final ConsumerRecord.Header header = record.headers().lastHeader(key);
        return null == header ? "" : header.valueAsString();
    }

    private static long longHeader(final ConsumerRecord record, final String key, final long defaultValue)
    {
        final String value = header(record, key);
        if (value.isEmpty())
        {
            return defaultValue;
        }
        try
        {
            return Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            return defaultValue;
        }
    }

    private void add(final String key, final String value)
    {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
