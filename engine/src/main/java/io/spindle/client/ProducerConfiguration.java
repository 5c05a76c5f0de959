/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import java.util.concurrent.TimeUnit;

import io.spindle.config.ConfigProperty;

/**
 * A producer's system properties, names and defaults in one place: {@link Producer.Context} takes its defaults
 * from them (and from {@link ClientConfiguration}'s) and {@link Producer.Context#conclude()} validates the result.
 */
public final class ProducerConfiguration
{
    /**
     * Acknowledgement level: {@code 0}, {@code 1}, {@code -1} or {@code all}.
     */
    public static final ConfigProperty ACKS = ConfigProperty.text("spindle.producer.acks", "all");

    /**
     * How long a batch may wait for more records; a plain number is microseconds.
     */
    public static final ConfigProperty LINGER = ConfigProperty.duration(
        "spindle.producer.linger.us", TimeUnit.MICROSECONDS, 0);

    /**
     * Size at which a batch is sent.
     */
    public static final ConfigProperty BATCH_SIZE = ConfigProperty.size("spindle.producer.batch.size", 16 * 1024);

    /**
     * Most requests unanswered at once.
     */
    public static final ConfigProperty MAX_IN_FLIGHT = ConfigProperty.integer("spindle.producer.max.in.flight", 5);

    /**
     * A record not acknowledged in this time fails.
     */
    public static final ConfigProperty DELIVERY_TIMEOUT = ConfigProperty.duration(
        "spindle.producer.delivery.timeout.ms", TimeUnit.MILLISECONDS, 30_000);

    /**
     * Largest record a producer accepts.
     */
    public static final ConfigProperty MAX_RECORD_SIZE = ConfigProperty.size(
        "spindle.producer.max.record.size", 1024 * 1024);

    /**
     * Idempotent delivery; unset: on when acks are awaited and at most five requests are in flight.
     */
    public static final ConfigProperty ENABLE_IDEMPOTENCE = ConfigProperty.text(
        "spindle.producer.enable.idempotence", null).derivedDefault();

    /**
     * The transactional id; unset: no transactions.
     */
    public static final ConfigProperty TRANSACTIONAL_ID = ConfigProperty.text(
        "spindle.producer.transactional.id", null);

    /**
     * How long a transaction may stay open before the broker aborts it.
     */
    public static final ConfigProperty TRANSACTION_TIMEOUT = ConfigProperty.duration(
        "spindle.producer.transaction.timeout.ms", TimeUnit.MILLISECONDS, 60_000);

    /**
     * How often a producer asks again for its topics' partition counts.
     */
    public static final ConfigProperty METADATA_MAX_AGE = ConfigProperty.duration(
        "spindle.producer.metadata.max.age.ms", TimeUnit.MILLISECONDS, 300_000);

    private ProducerConfiguration()
    {
    }

    /**
     * The acknowledgement level.
     *
     * @return 0, 1 or -1 (all).
     * @throws IllegalArgumentException naming the property if it is none of 0, 1, -1 or all.
     */
    static int acks()
    {
        return ClientProperties.parseAcks(ACKS.name(), ACKS.text());
    }

    /**
     * Whether idempotence was asked for or refused.
     *
     * @return true or false when set, null when unset (the default then depends on acks and max in flight).
     * @throws IllegalArgumentException naming the property if it is set to neither true nor false.
     */
    static Boolean enableIdempotence()
    {
        final String value = ENABLE_IDEMPOTENCE.text();
        return null == value ? null : io.spindle.config.ConfigValues.parseBoolean(ENABLE_IDEMPOTENCE.name(), value);
    }
}
