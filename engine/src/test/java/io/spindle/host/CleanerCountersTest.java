/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Producer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broker owns its log cleaner: compacting a topic shows in its cleaner counters in the driver's counters file
 * (passes, bytes, records removed, no errors), and the cleaner's thread stops when the broker closes.
 */
@Timeout(60)
class CleanerCountersTest
{
    @TempDir
    Path dir;

    @Test
    void cleaningShowsInTheBrokersCountersAndTheCleanerStopsWithTheBroker()
    {
        final Map<String, Long> values;
        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            admin.createTopic("ref", 1, Map.of(
                "cleanup.policy", "compact", "segment.bytes", "4k", "max.message.bytes", "2k",
                "min.cleanable.dirty.ratio", "0.01"));
            assertTrue(isCleanerThreadAlive(), "the broker's cleaner thread runs");
            final CleanerCounters counters = broker.broker().cleanerCounters();
            try (Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(1))))
            {
                final long deadlineNs = System.nanoTime() + 30_000_000_000L;
                for (int i = 0; counters.recordsRemoved.get() == 0 && System.nanoTime() - deadlineNs < 0; i++)
                {
                    producer.sendSync("ref", 0, ("k" + (i % 5)).getBytes(StandardCharsets.UTF_8),
                        ("value " + i + " " + "x".repeat(100)).getBytes(StandardCharsets.UTF_8));
                    if (i > 200)
                    {
                        LockSupport.parkNanos(1_000_000L); // paced: the cleaner checks for work every second
                    }
                }
            }
            values = read(broker.aeronDir());
        }

        assertTrue(values.get("spindle-0: cleaner passes") > 0, values.toString());
        assertTrue(values.get("spindle-0: cleaner bytes cleaned") > 4096, values.toString());
        assertTrue(values.get("spindle-0: cleaner records removed") > 0, values.toString());
        assertEquals(0L, values.get("spindle-0: cleaner errors"), values.toString());
        assertFalse(isCleanerThreadAlive(), "the cleaner thread outlived its broker");
    }

    private static Map<String, Long> read(final String aeronDir)
    {
        final Map<String, Long> values = new HashMap<>();
        try (io.aeron.Aeron aeron = io.aeron.Aeron.connect(new io.aeron.Aeron.Context()
            .errorHandler(Throwable::printStackTrace).aeronDirectoryName(aeronDir)))
        {
            final CountersReader reader = aeron.countersReader();
            reader.forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (BrokerCounters.SPINDLE_COUNTER_TYPE_ID == typeId && label.contains(": cleaner "))
                {
                    values.put(label, reader.getCounterValue(counterId));
                }
            });
        }
        return values;
    }

    private static boolean isCleanerThreadAlive()
    {
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().startsWith("spindle-log-cleaner-") && thread.isAlive())
            {
                return true;
            }
        }
        return false;
    }
}
