/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.client;

import java.util.concurrent.TimeUnit;

import io.spindle.config.ConfigProperty;
import io.spindle.config.ConfigValues;

/**
 * The system properties every client reads, names and defaults in one place: {@link ClientContext} takes its
 * defaults from them and {@link ClientContext#conclude()} validates the result. {@link ClientProperties} takes the
 * same names (and Kafka's) as {@code KEY=VALUE} settings.
 */
public final class ClientConfiguration
{
    /**
     * Where the broker is: {@code ipc} or {@code HOST:PORT[,HOST:PORT...]}.
     */
    public static final ConfigProperty BOOTSTRAP = ConfigProperty.text("spindle.bootstrap", "ipc");

    /**
     * The media driver directory (IPC: the broker's); unset uses Aeron's default or an embedded UDP driver.
     */
    public static final ConfigProperty AERON_DIR = ConfigProperty.text("spindle.client.aeron.dir", null);

    /**
     * The client's name in the broker's logs.
     */
    public static final ConfigProperty CLIENT_ID = ConfigProperty.text("spindle.client.id", "spindle-client");

    /**
     * The address a UDP broker answers to; unset: 127.0.0.1 for a loopback broker, else the wildcard address.
     */
    public static final ConfigProperty RESPONSE_HOST = ConfigProperty.text("spindle.client.response.host", null)
        .derivedDefault();

    /**
     * How long a blocking call waits for its answer.
     */
    public static final ConfigProperty REQUEST_TIMEOUT = ConfigProperty.duration(
        "spindle.client.request.timeout.ms", TimeUnit.MILLISECONDS, 30_000);

    /**
     * How long opening a session may take.
     */
    public static final ConfigProperty CONNECT_TIMEOUT = ConfigProperty.duration(
        "spindle.client.connect.timeout.ms", TimeUnit.MILLISECONDS, 10_000);

    /**
     * How long a call that finds its session lost keeps trying to open it again; -1: the request timeout.
     */
    public static final ConfigProperty RECONNECT_TIMEOUT = ConfigProperty.duration(
        "spindle.client.reconnect.timeout.ms", TimeUnit.MILLISECONDS, -1).derivedDefault();

    /**
     * First pause between reconnect attempts (doubling).
     */
    public static final ConfigProperty RECONNECT_BACKOFF = ConfigProperty.duration(
        "spindle.client.reconnect.backoff.ms", TimeUnit.MILLISECONDS, 100);

    /**
     * Longest pause between reconnect attempts.
     */
    public static final ConfigProperty RECONNECT_BACKOFF_MAX = ConfigProperty.duration(
        "spindle.client.reconnect.backoff.max.ms", TimeUnit.MILLISECONDS, 1_000);

    /**
     * The cluster member to fetch from; -1 lets the client choose.
     */
    public static final ConfigProperty REPLICA = ConfigProperty.integer("spindle.client.replica", -1);

    private ClientConfiguration()
    {
    }

    /**
     * The exception for a bad value, in the form every configuration error has.
     *
     * @param property the property the value is for.
     * @param value    as given.
     * @param reason   what is wrong.
     * @return the exception, to throw.
     */
    static IllegalArgumentException invalid(final ConfigProperty property, final Object value, final String reason)
    {
        return ConfigValues.invalid(property.name(), value, reason);
    }
}
