/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import java.util.function.Supplier;

import io.spindle.config.SystemPropertyOverrides;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every client setting is checked by {@code conclude()}, which {@code connect} calls before it touches a driver,
 * naming the property of a bad value; booleans and choices given as {@code -D} are parsed strictly.
 */
class ClientContextConcludeTest
{
    private final SystemPropertyOverrides overrides = new SystemPropertyOverrides();

    @AfterEach
    void restore()
    {
        overrides.restore();
    }

    @Test
    void theDefaultsConclude()
    {
        new ClientContext().conclude();
        new Producer.Context().conclude();
        new Consumer.Context().conclude();
    }

    @Test
    void producerConcludeNamesTheProperty()
    {
        assertRefused(() -> new Producer.Context().maxInFlight(0),
            "invalid spindle.producer.max.in.flight=0: must be at least 1");
        assertRefused(() -> new Producer.Context().batchSize(0), "invalid spindle.producer.batch.size=0: ");
        assertRefused(() -> new Producer.Context().lingerUs(-5), "invalid spindle.producer.linger.us=-5: ");
        assertRefused(() -> new Producer.Context().deliveryTimeoutMs(0),
            "invalid spindle.producer.delivery.timeout.ms=0: must be at least 1ms");
        assertRefused(() -> new Producer.Context().maxRecordSize(3), "invalid spindle.producer.max.record.size=3: ");
        assertRefused(() -> new Producer.Context().metadataMaxAgeMs(0),
            "invalid spindle.producer.metadata.max.age.ms=0: ");
        assertRefused(() -> new Producer.Context().transactionTimeoutMs(0),
            "invalid spindle.producer.transaction.timeout.ms=0: ");
    }

    @Test
    void consumerConcludeNamesTheProperty()
    {
        assertRefused(() -> new Consumer.Context().fetchMaxBytes(0), "invalid spindle.consumer.fetch.max.bytes=0: ");
        assertRefused(() -> new Consumer.Context().creditBytes(0), "invalid spindle.consumer.credit.bytes=0: ");
        assertRefused(() -> new Consumer.Context().fetchMaxWaitMs(-2),
            "invalid spindle.consumer.fetch.max.wait.ms=-2: ");
        assertRefused(() -> new Consumer.Context().groupId("g").sessionTimeoutMs(1_000).heartbeatIntervalMs(3_000),
            "invalid spindle.consumer.heartbeat.interval.ms=3000: must be below " +
            "spindle.consumer.session.timeout.ms=1000");
        assertRefused(() -> new Consumer.Context().assignmentStrategy("range", "sticky"),
            "invalid spindle.consumer.partition.assignment.strategy=range,sticky: unknown assignor 'sticky'");
        assertRefused(() -> new Consumer.Context().rebalanceTimeoutMs(-3),
            "invalid spindle.consumer.rebalance.timeout.ms=-3: ");
    }

    @Test
    void clientConcludeNamesTheProperty()
    {
        assertRefused(() -> new ClientContext().bootstrap("localhost"), "invalid spindle.bootstrap=localhost: ");
        assertRefused(() -> new ClientContext().bootstrap("h:99999"), "invalid spindle.bootstrap=h:99999: ");
        assertRefused(() -> new ClientContext().requestTimeoutMs(0),
            "invalid spindle.client.request.timeout.ms=0: must be at least 1ms");
        assertRefused(() -> new ClientContext().reconnectBackoffMs(500).reconnectBackoffMaxMs(100),
            "invalid spindle.client.reconnect.backoff.max.ms=100: must be at least " +
            "spindle.client.reconnect.backoff.ms=500");
        assertRefused(() -> new ClientContext().replica(-2), "invalid spindle.client.replica=-2: ");
        assertRefused(() -> new ClientContext().clientId(""), "invalid spindle.client.id=: ");
    }

    @Test
    void booleansAndChoicesFromSystemPropertiesAreStrict()
    {
        assertRefusedProperty("spindle.consumer.streaming", "no", Consumer.Context::new,
            "invalid spindle.consumer.streaming=no: expected true or false");
        assertRefusedProperty("spindle.consumer.enable.auto.commit", "1", Consumer.Context::new,
            "invalid spindle.consumer.enable.auto.commit=1: expected true or false");
        assertRefusedProperty("spindle.producer.enable.idempotence", "yes", Producer.Context::new,
            "invalid spindle.producer.enable.idempotence=yes: expected true or false");
        assertRefusedProperty("spindle.consumer.auto.offset.reset", "smallest", Consumer.Context::new,
            "invalid spindle.consumer.auto.offset.reset=smallest: expected one of EARLIEST, LATEST or NONE");
        assertRefusedProperty("spindle.consumer.isolation.level", "null_val", Consumer.Context::new,
            "invalid spindle.consumer.isolation.level=null_val: expected one of READ_UNCOMMITTED or READ_COMMITTED");
        assertRefusedProperty("spindle.consumer.partition.assignment.strategy", "range,fair", Consumer.Context::new,
            "invalid spindle.consumer.partition.assignment.strategy=range,fair: unknown assignor 'fair'");

        set("spindle.consumer.streaming", "FALSE");
        set("spindle.producer.enable.idempotence", "false");
        set("spindle.consumer.isolation.level", "read_committed");
        assertFalse(new Consumer.Context().streaming());
        assertFalse(new Producer.Context().isIdempotent());
        assertEquals(io.spindle.codecs.protocol.IsolationLevel.READ_COMMITTED,
            new Consumer.Context().isolationLevel());
        set("spindle.producer.enable.idempotence", "TRUE");
        assertTrue(new Producer.Context().isIdempotent());
    }

    private static void assertRefused(final Supplier<ClientContext> ctx, final String message)
    {
        final ClientContext context = ctx.get();
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, context::conclude);
        assertEquals(message, ex.getMessage().substring(0, Math.min(message.length(), ex.getMessage().length())),
            ex.getMessage());
    }

    private void assertRefusedProperty(
        final String property, final String value, final Supplier<ClientContext> newContext, final String message)
    {
        set(property, value);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, newContext::get);
        assertEquals(message, ex.getMessage().substring(0, Math.min(message.length(), ex.getMessage().length())),
            ex.getMessage());
        restore();
    }

    private void set(final String property, final String value)
    {
        overrides.set(property, value);
    }
}
