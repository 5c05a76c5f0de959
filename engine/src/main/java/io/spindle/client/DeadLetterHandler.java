/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import io.spindle.codecs.batch.RecordHeaders;
import io.spindle.codecs.protocol.ErrorCode;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link Consumer.RecordHandler} that retries a failing handler with backoff and then parks the record on a
 * dead-letter topic, so one poison record neither stops a pipeline nor is lost.
 * <p>
 * For each record: call the delegate; if it throws, call it again after {@code backoffMs}, doubling up to
 * {@code maxBackoffMs}, for at most {@code maxAttempts} calls in all; if the last one throws too, send the record
 * (same key, value and headers) to {@code <topic>.dlq} with headers {@value #HEADER_TOPIC},
 * {@value #HEADER_PARTITION}, {@value #HEADER_OFFSET}, {@value #HEADER_TIMESTAMP}, {@value #HEADER_EXCEPTION_CLASS},
 * {@value #HEADER_EXCEPTION_MESSAGE} and {@value #HEADER_ATTEMPTS} (UTF-8 text), and wait for the acknowledgement.
 * <p>
 * {@link #onRecord} returns only once the record was processed or parked, so the consumer's position, and so
 * whatever it commits, never passes a record that is neither. If parking fails, the handler seeks the consumer back
 * to the record and throws: the record is delivered again after the failure is dealt with, and a commit made
 * meanwhile does not pass it.
 * <p>
 * Runs on the consumer's thread, which must also own the producer. The backoff parks that thread: keep
 * {@code maxAttempts * maxBackoffMs} well inside a group's session and poll limits. Not thread-safe. The
 * {@code <topic>.dlq} topic must exist. Retry topics with delays ({@code <topic>.retry}) are not implemented.
 * <pre>{@code
 * try (Consumer consumer = Consumer.connect(ctx); Producer producer = Producer.connect(producerCtx))
 * {
 *     final DeadLetterHandler handler = new DeadLetterHandler(consumer, producer, record -> process(record), 3, 100,
 *         1000);
 *     consumer.subscribe(List.of("orders"));
 *     while (running)
 *     {
 *         consumer.poll(handler, 100, 100);
 *         consumer.commitAsync(null);
 *     }
 * }
 * }</pre>
 */
public final class DeadLetterHandler implements Consumer.RecordHandler
{
    /**
     * Suffix of the dead-letter topic: {@code <topic>.dlq}.
     */
    public static final String DLQ_SUFFIX = ".dlq";

    /**
     * Header with the topic the record was read from.
     */
    public static final String HEADER_TOPIC = "spindle.dlq.topic";

    /**
     * Header with the partition the record was read from, in decimal.
     */
    public static final String HEADER_PARTITION = "spindle.dlq.partition";

    /**
     * Header with the offset the record had, in decimal.
     */
    public static final String HEADER_OFFSET = "spindle.dlq.offset";

    /**
     * Header with the record's timestamp in ms, in decimal.
     */
    public static final String HEADER_TIMESTAMP = "spindle.dlq.timestamp";

    /**
     * Header with the class name of the handler's last exception.
     */
    public static final String HEADER_EXCEPTION_CLASS = "spindle.dlq.exception.class";

    /**
     * Header with the message of the handler's last exception (empty if it had none).
     */
    public static final String HEADER_EXCEPTION_MESSAGE = "spindle.dlq.exception.message";

    /**
     * Header with the number of times the handler was called for the record.
     */
    public static final String HEADER_ATTEMPTS = "spindle.dlq.attempts";

    private final Consumer consumer;
    private final Producer producer;
    private final Consumer.RecordHandler delegate;
    private final int maxAttempts;
    private final long backoffMs;
    private final long maxBackoffMs;
    private final RecordHeaders headers = new RecordHeaders();
    private final ErrorCode[] parkResult = new ErrorCode[1];
    private final ProducerCallback parkCallback = (partition, offset, code) -> parkResult[0] = code;
    private long processedCount;
    private long retriedCount;
    private long parkedCount;

    /**
     * Wrap a handler.
     *
     * @param consumer     delivering the records, to seek back if parking fails.
     * @param producer     owned by the consumer's thread, to send to the dead-letter topic.
     * @param delegate     the application's handler; a {@link RuntimeException} from it is a failure.
     * @param maxAttempts  calls of the delegate per record before parking it, at least 1.
     * @param backoffMs    wait before the first retry, at least 0.
     * @param maxBackoffMs cap on the doubling wait, at least backoffMs.
     */
    public DeadLetterHandler(
        final Consumer consumer,
        final Producer producer,
        final Consumer.RecordHandler delegate,
        final int maxAttempts,
        final long backoffMs,
        final long maxBackoffMs)
    {
        if (maxAttempts < 1 || backoffMs < 0 || maxBackoffMs < backoffMs)
        {
            throw new IllegalArgumentException("maxAttempts=" + maxAttempts + " backoffMs=" + backoffMs +
                " maxBackoffMs=" + maxBackoffMs);
        }

        this.consumer = consumer;
        this.producer = producer;
        this.delegate = delegate;
        this.maxAttempts = maxAttempts;
        this.backoffMs = backoffMs;
        this.maxBackoffMs = maxBackoffMs;
    }

    /**
     * Process the record, retrying, or park it on the dead-letter topic.
     *
     * @param record the record.
     * @throws SpindleException if the record could not be parked; the consumer was sought back to it.
     */
    public void onRecord(final ConsumerRecord record)
    {
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

        park(record, failure);
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
     * Calls of the delegate that failed and were retried.
     *
     * @return count.
     */
    public long retriedCount()
    {
        return retriedCount;
    }

    /**
     * Records parked on a dead-letter topic.
     *
     * @return count.
     */
    public long parkedCount()
    {
        return parkedCount;
    }

    private void park(final ConsumerRecord record, final RuntimeException failure)
    {
        headers.clear();
        for (final ConsumerRecord.Header header : record.headers())
        {
            headers.add(header.buffer(), header.keyOffset(), header.keyLength(),
                header.buffer(), header.valueOffset(), header.valueLength());
        }
        add(HEADER_TOPIC, record.topic());
        add(HEADER_PARTITION, Integer.toString(record.partition()));
        add(HEADER_OFFSET, Long.toString(record.offset()));
        add(HEADER_TIMESTAMP, Long.toString(record.timestamp()));
        add(HEADER_EXCEPTION_CLASS, failure.getClass().getName());
        add(HEADER_EXCEPTION_MESSAGE, null == failure.getMessage() ? "" : failure.getMessage());
        add(HEADER_ATTEMPTS, Integer.toString(maxAttempts));

        final String dlqTopic = record.topic() + DLQ_SUFFIX;
        parkResult[0] = null;
        try
        {
            while (producer.send(dlqTopic, -1,
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
                " on " + dlqTopic + " after " + maxAttempts + " failed attempts (" + failure + ")");
        }
        parkedCount++;
    }

    private void add(final String key, final String value)
    {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
