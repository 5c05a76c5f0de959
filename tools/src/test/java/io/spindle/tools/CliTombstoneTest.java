/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import io.spindle.client.Consumer;
import io.spindle.client.DeadLetterHandler;
import io.spindle.client.Producer;
import io.spindle.client.RetryTopicHandler;
import io.spindle.client.TopicPartition;
import io.spindle.tools.CliEndToEndTest.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.spindle.tools.CliEndToEndTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle produce --null-marker} sends tombstones and {@code spindle consume --print-null-as} shows them, on
 * a compacted topic, which refuses a line without a key; {@code spindle consume --dlq} shows what a
 * {@link DeadLetterHandler} parked.
 */
@Timeout(60)
class CliTombstoneTest
{
    @TempDir
    Path dir;

    private CliBroker broker;
    private String bootstrap;

    @BeforeEach
    void startBroker()
    {
        broker = CliBroker.start(dir.resolve("data"), "cli-tombstone");
        bootstrap = broker.bootstrap();
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
    }

    @Test
    void nullMarkerSendsTombstonesAndPrintNullAsShowsThem()
    {
        Result result = run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "ref", "--partitions", "1",
            "--config", "cleanup.policy=compact");
        assertEquals(0, result.code(), result.toString());

        result = run("a|1\nb|2\na|<delete>\nb|<delete>x\n", "produce", "--bootstrap", bootstrap, "--topic", "ref",
            "--key-separator", "|", "--null-marker", "<delete>");
        assertEquals(0, result.code(), result.toString());
        assertTrue(result.err().contains("acked 4"), result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ref", "--from-beginning",
            "--max-messages", "4", "--timeout-ms", "5000", "--print-key", "--print-null-as", "TOMBSTONE");
        assertEquals(0, result.code(), result.toString());
        assertEquals("a\t1\nb\t2\na\tTOMBSTONE\nb\t<delete>x\n", result.out(), result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ref", "--from-beginning",
            "--max-messages", "4", "--timeout-ms", "5000");
        assertEquals("1\n2\nnull\n<delete>x\n", result.out(), "without the flag a tombstone prints as null");

        result = run("no key\n", "produce", "--bootstrap", bootstrap, "--topic", "ref", "--key-separator", "|",
            "--allow-missing-key");
        assertEquals(1, result.code(), result.toString());
        assertTrue(result.err().contains("INVALID_RECORD"), result.toString());
    }

    @Test
    void dlqPrintsParkedRecordsWithWhereTheyCameFromAndWhy()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "orders").code());
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "orders.dlq").code());
        assertEquals(0, run("a|fine\nb|poison\n", "produce", "--bootstrap", bootstrap, "--topic", "orders",
            "--key-separator", "|", "--partition", "0").code());

        final Consumer.Context consumerContext = new Consumer.Context().autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        consumerContext.bootstrap(bootstrap);
        final Producer.Context producerContext = new Producer.Context();
        producerContext.bootstrap(bootstrap);
        try (Consumer consumer = Consumer.connect(consumerContext); Producer producer =
            Producer.connect(producerContext))
        {
            final DeadLetterHandler handler = new DeadLetterHandler(consumer, producer, (record) ->
            {
                if ("poison".equals(record.valueAsString()))
                {
                    throw new IllegalStateException("cannot price " + record.keyAsString());
                }
            }, 2, 0, 0);
            final TopicPartition tp = new TopicPartition("orders", 0);
            consumer.assign(List.of(tp));
            final long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (consumer.position(tp) < 2 && System.nanoTime() < deadlineNs)
            {
                consumer.poll(handler, 10, 100);
            }
            assertEquals(1, handler.parkedCount());
        }

        final Result result = run("", "consume", "--bootstrap", bootstrap, "--topic", "orders", "--dlq",
            "--from-beginning", "--max-messages", "1", "--timeout-ms", "5000", "--print-key");
        assertEquals(0, result.code(), result.toString());
        assertEquals("orders-0@1\tjava.lang.IllegalStateException: cannot price b\tb\tpoison\n", result.out(),
            result.toString());
    }

    @Test
    void dlqRetryTierPrintsRecordsWaitingForTheirRetry()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "jobs").code());
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "jobs.retry").code());
        assertEquals(0, run("k|flaky\n", "produce", "--bootstrap", bootstrap, "--topic", "jobs",
            "--key-separator", "|", "--partition", "0").code());

        final Consumer.Context consumerContext = new Consumer.Context().autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        consumerContext.bootstrap(bootstrap);
        final Producer.Context producerContext = new Producer.Context();
        producerContext.bootstrap(bootstrap);
        final long beforeMs = System.currentTimeMillis();
        try (Consumer consumer = Consumer.connect(consumerContext); Producer producer =
            Producer.connect(producerContext))
        {
            final RetryTopicHandler handler = new RetryTopicHandler(consumer, producer, (record) ->
            {
                throw new IllegalStateException("busy");
            }, 1, 0, 0, new long[]{ 60_000 });
            final TopicPartition tp = new TopicPartition("jobs", 0);
            consumer.assign(List.of(tp));
            final long deadlineNs = System.nanoTime() + 10_000_000_000L;
            while (consumer.position(tp) < 1 && System.nanoTime() < deadlineNs)
            {
                handler.poll(10, 100);
            }
            assertEquals(1, handler.parkedCount());
        }

        final Result result = run("", "consume", "--bootstrap", bootstrap, "--topic", "jobs", "--dlq",
            "--retry-tier", "1", "--from-beginning", "--max-messages", "1", "--timeout-ms", "5000");
        assertEquals(0, result.code(), result.toString());
        final String[] fields = result.out().trim().split("\t");
        assertEquals(4, fields.length, result.toString());
        assertEquals("jobs-0@0", fields[0]);
        assertEquals("java.lang.IllegalStateException: busy", fields[1]);
        final long dueMs = Long.parseLong(fields[2].substring("due=".length()));
        assertTrue(dueMs >= beforeMs + 60_000 && dueMs <= System.currentTimeMillis() + 60_000, fields[2]);
        assertEquals("flaky", fields[3]);

        assertEquals(2, run("", "consume", "--bootstrap", bootstrap, "--topic", "jobs", "--retry-tier", "1").code());
    }
}
