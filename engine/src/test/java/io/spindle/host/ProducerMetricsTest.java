/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.batch.RecordBatchBuilder;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Producer#metrics()} after a known workload against a real broker: what was acknowledged, refused, put on
 * the wire (batches and their bytes, checked against a batch built independently and against what a consumer
 * fetches back), what is in flight, and how long answers took.
 */
@Timeout(60)
class ProducerMetricsTest
{
    private static final byte[] KEY = "key".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = new byte[100];

    @TempDir
    Path dir;

    @Test
    void countersDescribeAKnownWorkload()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("m", 1, Map.of());
            }
            final Map<String, Number> before;
            final Map<String, Number> after;
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1)
                .maxRecordSize(1000))))
            {
                before = producer.metrics();
                for (int i = 0; i < 10; i++)
                {
                    assertEquals(i, producer.sendSync("m", 0, KEY, VALUE));
                }
                final ErrorCode[] refused = {null};
                assertEquals(Producer.REFUSED, producer.send("m", 0, null, new byte[1000],
                    (partition, offset, code) -> refused[0] = code));
                assertEquals(ErrorCode.RECORD_TOO_LARGE, refused[0]);
                after = producer.metrics();
            }

            assertEquals(List.of("record-send-total", "record-error-total", "record-retry-total", "batch-send-total",
                "byte-send-total", "reconnects-total", "requests-in-flight"), List.copyOf(before.keySet()),
                "no latency before the first answer: " + before);
            assertEquals(0L, before.get("record-send-total"));

            assertEquals(10L, after.get("record-send-total"), after.toString());
            assertEquals(1L, after.get("record-error-total"), after.toString());
            assertEquals(0L, after.get("record-retry-total"), after.toString());
            assertEquals(10L, after.get("batch-send-total"), "each sendSync sends its own batch: " + after);
            assertEquals(10L * oneRecordBatchLength(), after.get("byte-send-total"), after.toString());
            assertEquals(0L, after.get("reconnects-total"), after.toString());
            assertEquals(0, after.get("requests-in-flight"), "sendSync waited for every answer: " + after);
            final double avg = after.get("request-latency-avg").doubleValue();
            final double max = after.get("request-latency-max").doubleValue();
            assertTrue(avg > 0 && max >= avg && max < TimeUnit.SECONDS.toMillis(30), after.toString());

            assertEquals(after.get("byte-send-total"), bytesConsumed(broker, 10),
                "the batches are stored and served as sent");
        }
    }

    @Test
    void pipelinedSendsAreCountedOnceEachAndInFlightDrains()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("p", 2, Map.of());
            }
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1)
                .lingerUs(TimeUnit.MILLISECONDS.toMicros(5)))))
            {
                int sent = 0;
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (sent < 500 && System.nanoTime() - deadlineNs < 0)
                {
                    if (Producer.OK == producer.send("p", sent % 2, null, VALUE, null))
                    {
                        sent++;
                    }
                }
                producer.flush();
                final Map<String, Number> metrics = producer.metrics();
                assertEquals(500L, metrics.get("record-send-total"), metrics.toString());
                assertEquals(0L, metrics.get("record-error-total"), metrics.toString());
                final long batches = metrics.get("batch-send-total").longValue();
                assertTrue(batches >= 2 && batches < 500, "records share batches: " + metrics);
                assertTrue(metrics.get("byte-send-total").longValue() > 500L * VALUE.length, metrics.toString());
                assertEquals(0, metrics.get("requests-in-flight"), metrics.toString());
            }
        }
    }

    /**
     * A batch of one record as the producer builds it: the producer id fields have a fixed width, set or not.
     */
    private static int oneRecordBatchLength()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
        final RecordBatchBuilder builder = new RecordBatchBuilder().wrap(buffer, 0, buffer.capacity());
        assertTrue(builder.append(System.currentTimeMillis(), KEY, VALUE));
        final int length = builder.build();
        assertTrue(length > RecordBatch.HEADER_LENGTH + VALUE.length);
        return length;
    }

    private static long bytesConsumed(final TestBroker broker, final int records)
    {
        final int[] count = {0};
        try (Consumer consumer = Consumer.connect(broker.ipc(new Consumer.Context()
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
        {
            consumer.assign(List.of(new TopicPartition("m", 0)));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (count[0] < records && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll((record) -> count[0]++, 100, 100);
            }
            assertEquals(records, count[0]);
            return consumer.metrics().get("bytes-consumed-total").longValue();
        }
    }
}
