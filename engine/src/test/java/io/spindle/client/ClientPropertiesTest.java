package io.spindle.client;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.spindle.codecs.batch.RecordBatch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each property name lands in the setting it names; unknown names and bad values are refused, naming the property.
 */
class ClientPropertiesTest
{
    @Test
    void producerPropertiesLandInTheirSettings()
    {
        final Producer.Context ctx = new Producer.Context();
        ClientProperties.apply(ctx, "acks", "0");
        assertEquals(0, ctx.acks());
        ClientProperties.apply(ctx, "acks", "all");
        assertEquals(-1, ctx.acks());
        ClientProperties.apply(ctx, "spindle.producer.acks", "1");
        assertEquals(1, ctx.acks());
        ClientProperties.apply(ctx, "linger.ms", "5");
        assertEquals(5_000L, ctx.lingerUs());
        ClientProperties.apply(ctx, "spindle.producer.linger.us", "7");
        assertEquals(7L, ctx.lingerUs());
        ClientProperties.apply(ctx, "batch.size", "32768");
        assertEquals(32_768, ctx.batchSize());
        ClientProperties.apply(ctx, "batch.size", "64k");
        assertEquals(65_536, ctx.batchSize());
        ClientProperties.apply(ctx, "linger.ms", "2s");
        assertEquals(2_000_000L, ctx.lingerUs());
        ClientProperties.apply(ctx, "spindle.producer.linger.us", "3ms");
        assertEquals(3_000L, ctx.lingerUs());
        ClientProperties.apply(ctx, "max.record.size", "1m");
        assertEquals(1024 * 1024, ctx.maxRecordSize());
        ClientProperties.apply(ctx, "delivery.timeout.ms", "2m");
        assertEquals(120_000L, ctx.deliveryTimeoutMs());
        ClientProperties.apply(ctx, "max.in.flight.requests.per.connection", "2");
        assertEquals(2, ctx.maxInFlight());
        ClientProperties.apply(ctx, "spindle.producer.max.in.flight", "3");
        assertEquals(3, ctx.maxInFlight());
        ClientProperties.apply(ctx, "delivery.timeout.ms", "1234");
        assertEquals(1_234L, ctx.deliveryTimeoutMs());
        ClientProperties.apply(ctx, "max.record.size", "4096");
        assertEquals(4_096, ctx.maxRecordSize());
        ClientProperties.apply(ctx, "compression.type", "zstd");
        assertEquals(RecordBatch.COMPRESSION_ZSTD, ctx.compression());
        assertEquals(300_000L, ctx.metadataMaxAgeMs(), "Kafka's default");
        ClientProperties.apply(ctx, "metadata.max.age.ms", "30s");
        assertEquals(30_000L, ctx.metadataMaxAgeMs());
        ClientProperties.apply(ctx, "compression.type", "LZ4");
        assertEquals(RecordBatch.COMPRESSION_LZ4, ctx.compression());
        ClientProperties.apply(ctx, "client.id", "porter");
        assertEquals("porter", ctx.clientId());
        ClientProperties.apply(ctx, "request.timeout.ms", "2500");
        assertEquals(2_500L, ctx.requestTimeoutMs());
        ClientProperties.apply(ctx, "spindle.client.connect.timeout.ms", "900");
        assertEquals(900L, ctx.connectTimeoutMs());
        ClientProperties.apply(ctx, "bootstrap.servers", "127.0.0.1:9092");
        assertEquals("127.0.0.1:9092", ctx.bootstrap());
        ClientProperties.apply(ctx, "spindle.client.reconnect.timeout.ms", "4000");
        assertEquals(4_000L, ctx.reconnectTimeoutMs());
        ClientProperties.apply(ctx, "reconnect.backoff.ms", "10");
        assertEquals(10L, ctx.reconnectBackoffMs());
        ClientProperties.apply(ctx, "reconnect.backoff.max.ms", "20");
        assertEquals(20L, ctx.reconnectBackoffMaxMs());
        ClientProperties.apply((ClientContext)ctx, "acks=0");
        assertEquals(0, ctx.acks(), "the ClientContext overload reaches the producer's settings");
    }

    @Test
    void consumerPropertiesLandInTheirSettings()
    {
        final Consumer.Context ctx = new Consumer.Context();
        ClientProperties.apply(ctx, "group.id", "g");
        assertEquals("g", ctx.groupId());
        ClientProperties.apply(ctx, "group.instance.id", "i");
        assertEquals("i", ctx.groupInstanceId());
        ClientProperties.apply(ctx, "auto.offset.reset", "earliest");
        assertEquals(Consumer.OffsetReset.EARLIEST, ctx.autoOffsetReset());
        ClientProperties.apply(ctx, "auto.offset.reset", "none");
        assertEquals(Consumer.OffsetReset.NONE, ctx.autoOffsetReset());
        ClientProperties.apply(ctx, "spindle.consumer.auto.offset.reset", "latest");
        assertEquals(Consumer.OffsetReset.LATEST, ctx.autoOffsetReset());
        ClientProperties.apply(ctx, "enable.auto.commit", "false");
        assertFalse(ctx.enableAutoCommit());
        ClientProperties.apply(ctx, "enable.auto.commit", "TRUE");
        assertTrue(ctx.enableAutoCommit());
        ClientProperties.apply(ctx, "auto.commit.interval.ms", "250");
        assertEquals(250L, ctx.autoCommitIntervalMs());
        ClientProperties.apply(ctx, "session.timeout.ms", "6000");
        assertEquals(6_000, ctx.sessionTimeoutMs());
        ClientProperties.apply(ctx, "heartbeat.interval.ms", "2000");
        assertEquals(2_000L, ctx.heartbeatIntervalMs());
        ClientProperties.apply(ctx, "max.poll.interval.ms", "60000");
        assertEquals(60_000L, ctx.maxPollIntervalMs());
        ClientProperties.apply(ctx, "spindle.consumer.rebalance.timeout.ms", "7000");
        assertEquals(7_000, ctx.rebalanceTimeoutMs());
        ClientProperties.apply(ctx, "partition.assignment.strategy", "range, roundrobin");
        assertEquals(List.of("range", "roundrobin"), ctx.assignmentStrategy());
        ClientProperties.apply(ctx, "metadata.max.age.ms", "1000");
        assertEquals(1_000L, ctx.metadataMaxAgeMs());
        ClientProperties.apply(ctx, "fetch.max.bytes", "65536");
        assertEquals(65_536, ctx.fetchMaxBytes());
        ClientProperties.apply(ctx, "max.partition.fetch.bytes", "32768");
        assertEquals(32_768, ctx.partitionMaxBytes());
        ClientProperties.apply(ctx, "fetch.max.wait.ms", "100");
        assertEquals(100, ctx.fetchMaxWaitMs());
        ClientProperties.apply(ctx, "fetch.min.bytes", "10");
        assertEquals(10, ctx.fetchMinBytes());
        ClientProperties.apply(ctx, "spindle.consumer.streaming", "false");
        assertFalse(ctx.streaming());
        ClientProperties.apply(ctx, "spindle.consumer.credit.bytes", "8192");
        assertEquals(8_192L, ctx.creditBytes());
        ClientProperties.apply(ctx, "fetch.max.bytes", "4m");
        assertEquals(4 * 1024 * 1024, ctx.fetchMaxBytes());
        ClientProperties.apply(ctx, "max.partition.fetch.bytes", "512k");
        assertEquals(512 * 1024, ctx.partitionMaxBytes());
        ClientProperties.apply(ctx, "spindle.consumer.credit.bytes", "1g");
        assertEquals(1024L * 1024 * 1024, ctx.creditBytes());
        ClientProperties.apply(ctx, "session.timeout.ms", "10s");
        assertEquals(10_000, ctx.sessionTimeoutMs());
        ClientProperties.apply(ctx, "fetch.max.wait.ms", "1s");
        assertEquals(1_000, ctx.fetchMaxWaitMs());
        ClientProperties.apply(ctx, "spindle.client.id", "reader");
        assertEquals("reader", ctx.clientId());
        ClientProperties.apply(ctx, "spindle.client.replica", "2");
        assertEquals(2, ctx.replica());
    }

    @Test
    void everyListedKeyIsKnown()
    {
        for (final String key : ClientProperties.producerKeys())
        {
            assertRefusedOnlyForItsValue(() -> ClientProperties.apply(new Producer.Context(), key, "\u0000"), key);
        }
        for (final String key : ClientProperties.consumerKeys())
        {
            assertRefusedOnlyForItsValue(() -> ClientProperties.apply(new Consumer.Context(), key, "\u0000"), key);
        }
    }

    @Test
    void unknownKeysAreRefusedNamingTheKeyAndWhatIsKnown()
    {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(new Producer.Context(), "nonsense", "1"));
        assertTrue(ex.getMessage().contains("'nonsense'"), ex.getMessage());
        assertTrue(ex.getMessage().contains("acks"), ex.getMessage());

        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(new Producer.Context(), "group.id", "g"));
        assertTrue(ex.getMessage().contains("unknown producer property 'group.id'"), ex.getMessage());

        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(new Consumer.Context(), "acks", "1"));
        assertTrue(ex.getMessage().contains("unknown consumer property 'acks'"), ex.getMessage());
        assertTrue(ex.getMessage().contains("auto.offset.reset"), ex.getMessage());

        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(new Consumer.Context(), "auto.offset.reset"));
        assertTrue(ex.getMessage().contains("KEY=VALUE"), ex.getMessage());
    }

    @Test
    void badValuesAreRefusedNamingTheKeyAndWhatItTakesAndChangeNothing()
    {
        final Producer.Context producer = new Producer.Context();
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(producer, "acks", "2"));
        assertEquals("property acks takes 0, 1, -1 or all, was '2'", ex.getMessage());
        assertEquals(-1, producer.acks());

        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(producer, "metadata.max.age.ms", "0"));
        assertTrue(ex.getMessage().startsWith("property metadata.max.age.ms takes a duration, 1ms or more"),
            ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.apply(producer, "linger.ms", "-1"));
        assertTrue(ex.getMessage().startsWith("property linger.ms takes a duration, 0 or more"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(producer, "request.timeout.ms", "1500us"));
        assertEquals("property request.timeout.ms takes a duration, 0 or more, such as 500ms, 30s or 2m (a plain " +
            "number is milliseconds), was '1500us'", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.apply(producer, "batch.size", "16q"));
        assertEquals("property batch.size takes a size, 1 or more, such as 512, 16k or 4m (a plain number is bytes), " +
            "was '16q'", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.apply(producer, "batch.size", "big"));
        assertTrue(ex.getMessage().startsWith("property batch.size takes"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(producer, "compression.type", "gzip"));
        assertEquals("property compression.type takes none, lz4 or zstd, was 'gzip'", ex.getMessage());

        final Consumer.Context consumer = new Consumer.Context();
        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(consumer, "auto.offset.reset", "smallest"));
        assertEquals("property auto.offset.reset takes earliest, latest or none, was 'smallest'", ex.getMessage());
        assertEquals(Consumer.OffsetReset.LATEST, consumer.autoOffsetReset());
        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(consumer, "enable.auto.commit", "yes"));
        assertEquals("property enable.auto.commit takes true or false, was 'yes'", ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(consumer, "session.timeout.ms", "99999999999"));
        assertTrue(ex.getMessage().startsWith("property session.timeout.ms takes"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.apply(consumer, "partition.assignment.strategy", "range,sticky"));
        assertTrue(ex.getMessage().startsWith("property partition.assignment.strategy takes"), ex.getMessage());
    }

    @Test
    void contextsComeFromKafkaStylePropertiesAsAKafkaApplicationWritesThem()
    {
        final Properties defaults = new Properties();
        defaults.setProperty("client.id", "from-defaults");
        final Properties props = new Properties(defaults);
        props.put("bootstrap.servers", "127.0.0.1:7500");
        props.put("acks", "all");
        props.put("linger.ms", 5);
        props.put("batch.size", 32_768);
        props.put("compression.type", "lz4");
        final Producer.Context producer = ClientProperties.producerContext(props);
        assertEquals("127.0.0.1:7500", producer.bootstrap());
        assertEquals(-1, producer.acks());
        assertEquals(5_000L, producer.lingerUs(), "an Integer value, as Kafka accepts it");
        assertEquals(32_768, producer.batchSize());
        assertEquals(RecordBatch.COMPRESSION_LZ4, producer.compression());
        assertEquals("from-defaults", producer.clientId(), "a Properties' defaults count");

        props.put("acks", -1);
        assertEquals(-1, ClientProperties.producerContext(props).acks());
        props.put("acks", "1");
        assertEquals(1, ClientProperties.producerContext(props).acks());

        final Map<String, String> map = new HashMap<>();
        map.put("bootstrap.servers", "ipc");
        map.put("group.id", "billing");
        map.put("auto.offset.reset", "earliest");
        map.put("enable.auto.commit", "false");
        map.put("max.poll.interval.ms", "60000");
        final Consumer.Context consumer = ClientProperties.consumerContext(map);
        assertEquals("billing", consumer.groupId());
        assertEquals(Consumer.OffsetReset.EARLIEST, consumer.autoOffsetReset());
        assertFalse(consumer.enableAutoCommit());
        assertEquals(60_000L, consumer.maxPollIntervalMs());

        final Map<String, Object> typed = new HashMap<>();
        typed.put("enable.auto.commit", Boolean.TRUE);
        typed.put("fetch.min.bytes", 64L);
        final Consumer.Context fromTyped = new Consumer.Context();
        ClientProperties.apply(fromTyped, typed);
        assertTrue(fromTyped.enableAutoCommit());
        assertEquals(64, fromTyped.fetchMinBytes());
    }

    @Test
    void kafkaStylePropertiesAreRefusedNamingTheProperty()
    {
        final Properties props = new Properties();
        props.put("bootstrap.servers", "127.0.0.1:7500");
        props.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ClientProperties.producerContext(props));
        assertTrue(ex.getMessage().startsWith("unknown producer property 'key.serializer'; Spindle's clients send " +
            "and hand out bytes"), ex.getMessage());

        final Map<String, Object> consumer = new HashMap<>();
        consumer.put("value.deserializer", "x");
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.consumerContext(consumer));
        assertTrue(ex.getMessage().contains("'value.deserializer'; Spindle's clients"), ex.getMessage());

        consumer.clear();
        consumer.put("acks", "all");
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.consumerContext(consumer));
        assertTrue(ex.getMessage().startsWith("unknown consumer property 'acks'"), ex.getMessage());

        final Properties bad = new Properties();
        bad.put("acks", 2);
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.producerContext(bad));
        assertEquals("property acks takes 0, 1, -1 or all, was '2'", ex.getMessage());

        bad.clear();
        bad.put("linger.ms", List.of(5));
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.producerContext(bad));
        assertTrue(ex.getMessage().startsWith("property linger.ms must be text, a number or a boolean"),
            ex.getMessage());

        bad.clear();
        bad.put(42, "x");
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.producerContext(bad));
        assertEquals("a property name must be a string, was 42", ex.getMessage());

        consumer.clear();
        consumer.put("group.id", null);
        ex = assertThrows(IllegalArgumentException.class, () -> ClientProperties.consumerContext(consumer));
        assertTrue(ex.getMessage().startsWith("property group.id needs a value"), ex.getMessage());
    }

    private static void assertRefusedOnlyForItsValue(final Runnable apply, final String key)
    {
        try
        {
            apply.run();
        }
        catch (final IllegalArgumentException ex)
        {
            assertTrue(ex.getMessage().startsWith("property " + key + " takes "), ex.getMessage());
        }
    }
}
