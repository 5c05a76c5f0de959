/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.ArrayList;
import java.util.List;

import io.spindle.client.ClientProperties;
import io.spindle.client.Producer;
import picocli.CommandLine.Option;

/**
 * Producer settings beyond the harness's own ({@code --acks}, linger 0), as Kafka-style properties
 * ({@link ClientProperties}), e.g. {@code --producer-property enable.idempotence=false} to measure the producer
 * without idempotence (on by default). Applied after the harness's settings, so they win.
 */
final class ProducerOptions
{
    @Option(names = "--producer-property", paramLabel = "KEY=VALUE", description = "A producer setting by its " +
        "Kafka or Spindle property name, applied after the harness's own (repeatable), e.g. " +
        "enable.idempotence=false (default: none; the producer is idempotent unless --acks 0).")
    List<String> properties = new ArrayList<>();

    /**
     * Check every property against a fresh configuration; the message names the property.
     *
     * @throws IllegalArgumentException for an unknown property or a value it cannot take.
     */
    void validate()
    {
        apply(new Producer.Context());
    }

    /**
     * Apply the properties to a producer's configuration.
     *
     * @param ctx the configuration, with the harness's settings made.
     * @return the configuration.
     */
    Producer.Context apply(final Producer.Context ctx)
    {
        for (final String property : properties)
        {
            ClientProperties.apply(ctx, property);
        }
        return ctx;
    }

    /**
     * Add the properties as given and whether the producer is idempotent with them to a JSON object.
     *
     * @param settings   the object being written.
     * @param idempotent whether the producer of the run is idempotent.
     */
    void describe(final Json settings, final boolean idempotent)
    {
        settings.field("producer_properties", String.join(" ", properties))
            .field("idempotent", idempotent);
    }
}
