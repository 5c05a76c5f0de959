package io.spindle.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.config.ConfigValues;

import static java.util.concurrent.TimeUnit.MICROSECONDS;
import static java.util.concurrent.TimeUnit.MILLISECONDS;

/**
 * Client settings by property name: Kafka's name where Spindle has the setting, and Spindle's own
 * {@code spindle.client.*}, {@code spindle.producer.*} and {@code spindle.consumer.*} names (those its system
 * properties use). An unknown name or a value the setting cannot take is refused with an
 * {@link IllegalArgumentException} naming the property and what it accepts; nothing is ignored. Sizes and
 * durations are read by {@link ConfigValues}, as the system properties are: {@code batch.size=16k},
 * {@code linger.ms=5}, {@code request.timeout.ms=30s}.
 * <p>
 * A Kafka application's configuration ports as it is, less what Spindle does not have (serializers above all:
 * Spindle's clients take and hand out bytes):
 * <pre>{@code
 * final Properties props = new Properties();
 * props.put("bootstrap.servers", "127.0.0.1:7500");
 * props.put("acks", "all");
 * props.put("linger.ms", 5);
 * final Producer producer = Producer.connect(ClientProperties.producerContext(props));
 * }</pre>
 * <p>
 * Configuration only: none of this is on a hot path.
 */
public final class ClientProperties
{
    @FunctionalInterface
    private interface Setter<C>
    {
        void set(C ctx, String value);
    }

    private record Property<C>(String accepts, Setter<C> setter)
    {
    }

    private static final String MS = "a duration, 0 or more, such as 500ms, 30s or 2m (a plain number is milliseconds)";
    private static final String BYTES = "a size, 1 or more, such as 512, 16k or 4m (a plain number is bytes)";
    private static final String BOOLEAN = "true or false";

    private static final Map<String, Property<ClientContext>> CLIENT = new LinkedHashMap<>();
    private static final Map<String, Property<Producer.Context>> PRODUCER = new LinkedHashMap<>();
    private static final Map<String, Property<Consumer.Context>> CONSUMER = new LinkedHashMap<>();

    static
    {
        client("bootstrap.servers", "spindle.bootstrap", "ipc or HOST:PORT[,HOST:PORT...]",
            (c, v) -> c.bootstrap(v.trim()));
        client("client.id", "spindle.client.id", "a name", ClientContext::clientId);
        client("request.timeout.ms", "spindle.client.request.timeout.ms", MS,
            (c, v) -> c.requestTimeoutMs(ms(v, 0)));
        client("socket.connection.setup.timeout.ms", "spindle.client.connect.timeout.ms", MS,
            (c, v) -> c.connectTimeoutMs(ms(v, 0)));
        client("reconnect.backoff.ms", "spindle.client.reconnect.backoff.ms", MS,
            (c, v) -> c.reconnectBackoffMs(ms(v, 0)));
        client("reconnect.backoff.max.ms", "spindle.client.reconnect.backoff.max.ms", MS,
            (c, v) -> c.reconnectBackoffMaxMs(ms(v, 0)));
        client(null, "spindle.client.reconnect.timeout.ms", "a duration, 0 or more, or -1 for " +
            "request.timeout.ms", (c, v) -> c.reconnectTimeoutMs(ms(v, -1)));
        client(null, "spindle.client.aeron.dir", "a directory", ClientContext::aeronDirectoryName);
        client(null, "spindle.client.response.host", "an address or host name", ClientContext::responseHost);
        client(null, "spindle.client.replica", "a cluster member id, or -1 to let the client choose",
            (c, v) -> c.replica((int)atLeast(v, -1)));

        producer("acks", "spindle.producer.acks", "0, 1, -1 or all", (c, v) -> c.acks(parseAcks("acks", v)));
        producer("linger.ms", null, MS, (c, v) -> c.lingerUs(Math.multiplyExact(ms(v, 0), 1000L)));
        producer(null, "spindle.producer.linger.us", "a duration, 0 or more, such as 500us or 5ms (a plain number " +
            "is microseconds)", (c, v) -> c.lingerUs(us(v, 0)));
        producer("batch.size", "spindle.producer.batch.size", BYTES, (c, v) -> c.batchSize(intSize(v, 1)));
        producer("max.in.flight.requests.per.connection", "spindle.producer.max.in.flight", "a number, 1 or more",
            (c, v) -> c.maxInFlight(positiveInt(v)));
        producer("delivery.timeout.ms", "spindle.producer.delivery.timeout.ms", "a duration, 1ms or more, such as " +
            "30s (a plain number is milliseconds)", (c, v) -> c.deliveryTimeoutMs(ms(v, 1)));
        producer("max.record.size", "spindle.producer.max.record.size", "a size, at least " +
            RecordBatch.RECORD_OVERHEAD + " bytes, such as 512k or 1m",
            (c, v) -> c.maxRecordSize((int)Math.min(Integer.MAX_VALUE, size(v, RecordBatch.RECORD_OVERHEAD))));
        producer("metadata.max.age.ms", "spindle.producer.metadata.max.age.ms", "a duration, 1ms or more, such " +
            "as 5m (a plain number is milliseconds)", (c, v) -> c.metadataMaxAgeMs(ms(v, 1)));
        producer("transactional.id", "spindle.producer.transactional.id", "a transactional id",
            Producer.Context::transactionalId);
        producer("transaction.timeout.ms", "spindle.producer.transaction.timeout.ms", "a duration, 1ms or more, " +
            "such as 60s (a plain number is milliseconds)", (c, v) -> c.transactionTimeoutMs((int)Math.min(
            Integer.MAX_VALUE, ms(v, 1))));
        producer("enable.idempotence", "spindle.producer.enable.idempotence", BOOLEAN,
            (c, v) -> c.enableIdempotence(bool(v)));
        producer("compression.type", null, "none, lz4 or zstd",
            (c, v) -> c.compression(compression(v)));

        consumer("group.id", "spindle.consumer.group.id", "a group name", Consumer.Context::groupId);
        consumer("group.instance.id", "spindle.consumer.group.instance.id", "an id unique in the group",
            Consumer.Context::groupInstanceId);
        consumer("auto.offset.reset", "spindle.consumer.auto.offset.reset", "earliest, latest or none",
            (c, v) -> c.autoOffsetReset(Consumer.OffsetReset.valueOf(oneOf(v, "earliest", "latest", "none")
            .toUpperCase(Locale.ROOT))));
        consumer("isolation.level", "spindle.consumer.isolation.level", "read_committed or read_uncommitted",
            (c, v) -> c.isolationLevel(io.spindle.codecs.protocol.IsolationLevel.valueOf(
            oneOf(v, "read_committed", "read_uncommitted").toUpperCase(Locale.ROOT))));
        consumer("enable.auto.commit", "spindle.consumer.enable.auto.commit", BOOLEAN,
            (c, v) -> c.enableAutoCommit(bool(v)));
        consumer("auto.commit.interval.ms", "spindle.consumer.auto.commit.interval.ms", MS,
            (c, v) -> c.autoCommitIntervalMs(ms(v, 0)));
        consumer("session.timeout.ms", "spindle.consumer.session.timeout.ms", MS,
            (c, v) -> c.sessionTimeoutMs(intMs(v, 0)));
        consumer("heartbeat.interval.ms", "spindle.consumer.heartbeat.interval.ms", MS,
            (c, v) -> c.heartbeatIntervalMs(ms(v, 0)));
        consumer("max.poll.interval.ms", "spindle.consumer.max.poll.interval.ms", MS,
            (c, v) -> c.maxPollIntervalMs(ms(v, 0)));
        consumer(null, "spindle.consumer.rebalance.timeout.ms", "a duration, 0 or more, or -1 for " +
            "max.poll.interval.ms", (c, v) -> c.rebalanceTimeoutMs(intMs(v, -1)));
        consumer("partition.assignment.strategy", "spindle.consumer.partition.assignment.strategy",
            "a comma-separated list of range, roundrobin and cooperative-sticky",
            (c, v) -> c.assignmentStrategy(assignors(v)));
        consumer("metadata.max.age.ms", "spindle.consumer.metadata.max.age.ms", MS,
            (c, v) -> c.metadataMaxAgeMs(ms(v, 0)));
        consumer("fetch.max.bytes", "spindle.consumer.fetch.max.bytes", BYTES,
            (c, v) -> c.fetchMaxBytes(intSize(v, 1)));
        consumer("max.partition.fetch.bytes", "spindle.consumer.partition.max.bytes", BYTES,
            (c, v) -> c.partitionMaxBytes(intSize(v, 1)));
        consumer("fetch.max.wait.ms", "spindle.consumer.fetch.max.wait.ms", MS,
            (c, v) -> c.fetchMaxWaitMs(intMs(v, 0)));
        consumer("fetch.min.bytes", "spindle.consumer.fetch.min.bytes", "a size, 0 or more, such as 1 or 64k",
            (c, v) -> c.fetchMinBytes(intSize(v, 0)));
        consumer(null, "spindle.consumer.streaming", "true (streaming fetch) or false (long poll)",
            (c, v) -> c.streaming(bool(v)));
        consumer(null, "spindle.consumer.credit.bytes", BYTES, (c, v) -> c.creditBytes(size(v, 1)));
    }

    private ClientProperties()
    {
    }

    /**
     * Apply one property to a producer's configuration.
     *
     * @param ctx   the configuration.
     * @param key   the property name, Kafka's or Spindle's.
     * @param value the value as text.
     * @throws IllegalArgumentException naming the property when it is not a producer setting or the value does
     *                                  not fit it.
     */
    public static void apply(final Producer.Context ctx, final String key, final String value)
    {
        apply(ctx, key, value, PRODUCER, "producer");
    }

    /**
     * Apply one property to a consumer's configuration.
     *
     * @param ctx   the configuration.
     * @param key   the property name, Kafka's or Spindle's.
     * @param value the value as text.
     * @throws IllegalArgumentException naming the property when it is not a consumer setting or the value does
     *                                  not fit it.
     */
    public static void apply(final Consumer.Context ctx, final String key, final String value)
    {
        apply(ctx, key, value, CONSUMER, "consumer");
    }

    /**
     * Apply one property to a client's configuration: a producer's or consumer's settings when it is one, else
     * only those every client has.
     *
     * @param ctx   the configuration.
     * @param key   the property name, Kafka's or Spindle's.
     * @param value the value as text.
     * @throws IllegalArgumentException naming the property when it is not a setting of this client or the value
     *                                  does not fit it.
     */
    public static void apply(final ClientContext ctx, final String key, final String value)
    {
        if (ctx instanceof Producer.Context)
        {
            apply((Producer.Context)ctx, key, value);
        }
        else if (ctx instanceof Consumer.Context)
        {
            apply((Consumer.Context)ctx, key, value);
        }
        else
        {
            apply(ctx, key, value, Map.of(), "client");
        }
    }

    /**
     * Apply a {@code KEY=VALUE} assignment, as a command line gives it.
     *
     * @param ctx        the configuration.
     * @param assignment {@code KEY=VALUE}.
     * @throws IllegalArgumentException when it has no {@code =}, or as {@link #apply(ClientContext, String, String)}.
     */
    public static void apply(final ClientContext ctx, final String assignment)
    {
        final int equals = assignment.indexOf('=');
        if (equals <= 0)
        {
            throw new IllegalArgumentException("a property must be KEY=VALUE, was '" + assignment + "'");
        }
        apply(ctx, assignment.substring(0, equals).trim(), assignment.substring(equals + 1));
    }

    /**
     * A producer's configuration from Kafka-style properties, as {@code new KafkaProducer<>(props)} takes them:
     * each applied as {@link #apply(Producer.Context, String, String)}, over the defaults.
     *
     * @param properties a {@link Properties} (its defaults included) or a {@code Map<String, ?>}; values are text,
     *                   or numbers and booleans as Kafka accepts them.
     * @return the configuration.
     * @throws IllegalArgumentException naming the property when one is not a producer setting, or its value does
     *                                  not fit it or is not text, a number or a boolean.
     */
    public static Producer.Context producerContext(final Map<?, ?> properties)
    {
        final Producer.Context ctx = new Producer.Context();
        apply(ctx, properties);
        return ctx;
    }

    /**
     * A consumer's configuration from Kafka-style properties, as {@code new KafkaConsumer<>(props)} takes them:
     * each applied as {@link #apply(Consumer.Context, String, String)}, over the defaults.
     *
     * @param properties a {@link Properties} (its defaults included) or a {@code Map<String, ?>}; values are text,
     *                   or numbers and booleans as Kafka accepts them.
     * @return the configuration.
     * @throws IllegalArgumentException naming the property when one is not a consumer setting, or its value does
     *                                  not fit it or is not text, a number or a boolean.
     */
    public static Consumer.Context consumerContext(final Map<?, ?> properties)
    {
        final Consumer.Context ctx = new Consumer.Context();
        apply(ctx, properties);
        return ctx;
    }

    /**
     * Apply every property of a map to a client's configuration, as {@link #apply(ClientContext, String, String)}
     * does one.
     *
     * @param ctx        the configuration.
     * @param properties a {@link Properties} (its defaults included) or a {@code Map<String, ?>}; values are text,
     *                   or numbers and booleans as Kafka accepts them.
     * @throws IllegalArgumentException naming the property when one is not a setting of this client, or its value
     *                                  does not fit it or is not text, a number or a boolean.
     */
    public static void apply(final ClientContext ctx, final Map<?, ?> properties)
    {
        final Map<Object, Object> all = new LinkedHashMap<>();
        if (properties instanceof Properties)
        {
            final Properties withDefaults = (Properties)properties;
            for (final String name : withDefaults.stringPropertyNames())
            {
                all.put(name, withDefaults.getProperty(name));
            }
        }
        all.putAll(properties);
        for (final Map.Entry<Object, Object> entry : all.entrySet())
        {
            if (!(entry.getKey() instanceof String))
            {
                throw new IllegalArgumentException("a property name must be a string, was " + entry.getKey());
            }
            final String key = (String)entry.getKey();
            final Object value = entry.getValue();
            if (null != value && !(value instanceof String) && !(value instanceof Number) &&
                !(value instanceof Boolean))
            {
                throw new IllegalArgumentException("property " + key + " must be text, a number or a boolean, was " +
                    value.getClass().getName());
            }
            apply(ctx, key, null == value ? null : value.toString());
        }
    }

    /**
     * The property names a producer accepts.
     *
     * @return the names, Kafka's first where there is one.
     */
    public static List<String> producerKeys()
    {
        return keys(PRODUCER);
    }

    /**
     * The property names a consumer accepts.
     *
     * @return the names, Kafka's first where there is one.
     */
    public static List<String> consumerKeys()
    {
        return keys(CONSUMER);
    }

    @SuppressWarnings("unchecked")
    private static <C extends ClientContext> void apply(
        final C ctx, final String key, final String value, final Map<String, Property<C>> own, final String kind)
    {
        Property<C> property = own.get(key);
        if (null == property)
        {
            property = (Property<C>)(Property<?>)CLIENT.get(key);
        }
        if (null == property)
        {
            throw new IllegalArgumentException("unknown " + kind + " property '" + key + "'; " +
                (key.endsWith("serializer") ? "Spindle's clients send and hand out bytes: serialize in the " +
                "application; " : "") + "known: " + String.join(", ", keys(own)));
        }
        if (null == value)
        {
            throw new IllegalArgumentException("property " + key + " needs a value: " + property.accepts());
        }
        try
        {
            property.setter().set(ctx, value);
        }
        catch (final IllegalArgumentException | ArithmeticException ex)
        {
            throw new IllegalArgumentException("property " + key + " takes " + property.accepts() + ", was '" +
                value + "'");
        }
    }

    private static List<String> keys(final Map<String, ? extends Property<?>> own)
    {
        final List<String> keys = new ArrayList<>(own.keySet());
        keys.addAll(CLIENT.keySet());
        return keys;
    }

    private static void client(
        final String kafkaName, final String spindleName, final String accepts, final Setter<ClientContext> setter)
    {
        register(CLIENT, kafkaName, spindleName, accepts, setter);
    }

    private static void producer(
        final String kafkaName, final String spindleName, final String accepts, final Setter<Producer.Context> setter)
    {
        register(PRODUCER, kafkaName, spindleName, accepts, setter);
    }

    private static void consumer(
        final String kafkaName, final String spindleName, final String accepts, final Setter<Consumer.Context> setter)
    {
        register(CONSUMER, kafkaName, spindleName, accepts, setter);
    }

    private static <C> void register(
        final Map<String, Property<C>> map,
        final String kafkaName,
        final String spindleName,
        final String accepts,
        final Setter<C> setter)
    {
        final Property<C> property = new Property<>(accepts, setter);
        if (null != kafkaName)
        {
            map.put(kafkaName, property);
        }
        if (null != spindleName)
        {
            map.put(spindleName, property);
        }
    }

    /**
     * Parse an acknowledgement level as every property and command line takes it.
     *
     * @param name  of the property or option, for the error message.
     * @param value {@code 0}, {@code 1}, {@code -1} or {@code all}, in any case.
     * @return 0, 1 or -1 (all).
     * @throws IllegalArgumentException naming the property and value when it is none of these.
     */
    public static int parseAcks(final String name, final String value)
    {
        final String trimmed = null == value ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (trimmed)
        {
            case "0": return 0;
            case "1": return 1;
            case "-1":
            case "all": return -1;
            default: throw ConfigValues.invalid(name, value, "acks must be 0, 1, -1 or all");
        }
    }

    private static long atLeast(final long value, final long min)
    {
        if (value < min)
        {
            throw new IllegalArgumentException(Long.toString(value));
        }
        return value;
    }

    private static long atLeast(final String value, final long min)
    {
        return atLeast(ConfigValues.parseInt("value", value), min);
    }

    private static long ms(final String value, final long min)
    {
        return atLeast(ConfigValues.parseDuration("value", value, MILLISECONDS), min);
    }

    private static long us(final String value, final long min)
    {
        return atLeast(ConfigValues.parseDuration("value", value, MICROSECONDS), min);
    }

    private static long size(final String value, final long min)
    {
        return atLeast(ConfigValues.parseSize("value", value), min);
    }

    private static int intMs(final String value, final int min)
    {
        return (int)atLeast(ConfigValues.parseIntDuration("value", value, MILLISECONDS), min);
    }

    private static int intSize(final String value, final int min)
    {
        return (int)atLeast(ConfigValues.parseIntSize("value", value), min);
    }

    private static int positiveInt(final String value)
    {
        return (int)atLeast(value, 1);
    }

    private static boolean bool(final String value)
    {
        return Boolean.parseBoolean(oneOf(value, "true", "false"));
    }

    private static String oneOf(final String value, final String... allowed)
    {
        final String lower = value.trim().toLowerCase(Locale.ROOT);
        for (final String candidate : allowed)
        {
            if (candidate.equals(lower))
            {
                return candidate;
            }
        }
        throw new IllegalArgumentException(value);
    }

    private static int compression(final String value)
    {
        switch (oneOf(value, "none", "lz4", "zstd"))
        {
            case "lz4":
                return RecordBatch.COMPRESSION_LZ4;
            case "zstd":
                return RecordBatch.COMPRESSION_ZSTD;
            default:
                return RecordBatch.COMPRESSION_NONE;
        }
    }

    private static String[] assignors(final String value)
    {
        final String[] names = value.trim().split("\\s*,\\s*");
        for (int i = 0; i < names.length; i++)
        {
            names[i] = oneOf(names[i], RangeAssignor.NAME, RoundRobinAssignor.NAME, CooperativeStickyAssignor.NAME);
        }
        return names;
    }
}
