package io.spindle.client;

import java.util.function.Supplier;

import io.spindle.config.SystemPropertyOverrides;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Client settings given as {@code -D} system properties, written the way the README writes them ({@code 16k},
 * {@code 4m}, {@code 2s}), land in the contexts; a value that is not one is refused naming the property and the
 * value instead of being ignored for the default.
 */
class ClientSystemPropertiesTest
{
    private final SystemPropertyOverrides overrides = new SystemPropertyOverrides();

    @AfterEach
    void restore()
    {
        overrides.restore();
    }

    @Test
    void producerSizesAndDurationsWithSuffixesTakeEffect()
    {
        set("spindle.producer.batch.size", "32k");
        set("spindle.producer.max.record.size", "512k");
        set("spindle.producer.linger.us", "2ms");
        set("spindle.producer.delivery.timeout.ms", "1m");
        set("spindle.producer.max.in.flight", "3");
        set("spindle.producer.acks", "all");
        set("spindle.client.request.timeout.ms", "45s");
        set("spindle.client.reconnect.backoff.max.ms", "2s");

        final Producer.Context ctx = new Producer.Context();

        assertEquals(32 * 1024, ctx.batchSize());
        assertEquals(512 * 1024, ctx.maxRecordSize());
        assertEquals(2_000L, ctx.lingerUs());
        assertEquals(60_000L, ctx.deliveryTimeoutMs());
        assertEquals(3, ctx.maxInFlight());
        assertEquals(-1, ctx.acks());
        assertEquals(45_000L, ctx.requestTimeoutMs());
        assertEquals(2_000L, ctx.reconnectBackoffMaxMs());
    }

    @Test
    void consumerSizesAndDurationsWithSuffixesTakeEffect()
    {
        set("spindle.consumer.fetch.max.bytes", "4m");
        set("spindle.consumer.partition.max.bytes", "256k");
        set("spindle.consumer.credit.bytes", "1g");
        set("spindle.consumer.fetch.min.bytes", "1k");
        set("spindle.consumer.fetch.max.wait.ms", "2s");
        set("spindle.consumer.session.timeout.ms", "30s");
        set("spindle.consumer.auto.commit.interval.ms", "250ms");

        final Consumer.Context ctx = new Consumer.Context();

        assertEquals(4 * 1024 * 1024, ctx.fetchMaxBytes());
        assertEquals(256 * 1024, ctx.partitionMaxBytes());
        assertEquals(1024L * 1024 * 1024, ctx.creditBytes());
        assertEquals(1024, ctx.fetchMinBytes());
        assertEquals(2_000, ctx.fetchMaxWaitMs());
        assertEquals(30_000, ctx.sessionTimeoutMs());
        assertEquals(250L, ctx.autoCommitIntervalMs());
    }

    @Test
    void aBadValueIsRefusedNamingThePropertyAndTheValue()
    {
        assertRefused("spindle.producer.batch.size", "16q", Producer.Context::new,
            "invalid spindle.producer.batch.size=16q: expected a size such as 512, 16k, 4m or 1g");
        assertRefused("spindle.producer.linger.us", "soon", Producer.Context::new,
            "invalid spindle.producer.linger.us=soon: unknown duration unit 'soon'");
        assertRefused("spindle.producer.max.in.flight", "5k", Producer.Context::new,
            "invalid spindle.producer.max.in.flight=5k: expected a whole number");
        assertRefused("spindle.producer.acks", "2", Producer.Context::new,
            "invalid spindle.producer.acks=2: acks must be 0, 1, -1 or all");
        assertRefused("spindle.consumer.fetch.max.bytes", "3g", Consumer.Context::new,
            "invalid spindle.consumer.fetch.max.bytes=3g: must be at most 2147483647 bytes");
        assertRefused("spindle.consumer.fetch.max.wait.ms", "1500us", Consumer.Context::new,
            "invalid spindle.consumer.fetch.max.wait.ms=1500us: must be a whole number of milliseconds");
        assertRefused("spindle.client.request.timeout.ms", "30 seconds", ClientContext::new,
            "invalid spindle.client.request.timeout.ms=30 seconds: unknown duration unit 'seconds'");
    }

    private void assertRefused(
        final String property, final String value, final Supplier<ClientContext> newContext, final String message)
    {
        set(property, value);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, newContext::get);
        assertEquals(message, ex.getMessage().substring(0, Math.min(message.length(), ex.getMessage().length())));
        restore();
    }

    private void set(final String property, final String value)
    {
        overrides.set(property, value);
    }
}
