/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.spindle.client.ClientContext;
import io.spindle.host.IdleStrategies;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The harness measures Spindle's defaults unless told otherwise: its idle strategy flags default to what the broker
 * and the clients use when nobody configures them.
 */
class EnvironmentOptionsTest
{
    @Test
    void idleDefaultsAreTheBrokersAndTheClients()
    {
        final Holder holder = new Holder();
        new CommandLine(holder).setCaseInsensitiveEnumValuesAllowed(true).parseArgs();

        assertEquals(IdleStrategies.BROKER_DEFAULT, holder.env.brokerIdle);
        // BackoffIdleStrategy's toString lists its parameters.
        assertEquals(new ClientContext().idleStrategy().toString(),
            EnvironmentOptions.idleStrategy(holder.env.clientIdle).toString());
    }

    @CommandLine.Command(name = "holder")
    static final class Holder
    {
        @CommandLine.Mixin
        EnvironmentOptions env;
    }
}
