/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.spindle.client.ClientContext;
import io.spindle.driver.SchedulerSlice;
import io.spindle.host.IdleStrategies;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

    @Test
    void theSchedulerSliceDefaultsToTheBrokersAndZeroTurnsItOff()
    {
        final Holder holder = new Holder();
        new CommandLine(holder).setCaseInsensitiveEnumValuesAllowed(true).parseArgs();
        assertEquals(SchedulerSlice.PROPERTY.duration(), holder.env.schedulerSliceNs());
        assertEquals("backoff:10:20:1us:100us, scheduler slice 100us", holder.env.clientIdleAndSlice());

        new CommandLine(holder).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--scheduler-slice", "0");
        assertEquals(0, holder.env.schedulerSliceNs());
        assertEquals("backoff:10:20:1us:100us, scheduler slice default", holder.env.clientIdleAndSlice());

        new CommandLine(holder).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--scheduler-slice", "50us");
        final IllegalArgumentException refused =
            assertThrows(IllegalArgumentException.class, () -> holder.env.schedulerSliceNs());
        assertEquals("invalid --scheduler-slice=50000ns: must be 0 (the kernel's default) or from 100us to 100ms",
            refused.getMessage());

        // Set for the broker, the property is the harness's default too: both systems' threads alike.
        System.setProperty(SchedulerSlice.PROPERTY.name(), "2ms");
        try
        {
            final Holder configured = new Holder();
            new CommandLine(configured).setCaseInsensitiveEnumValuesAllowed(true).parseArgs();
            assertEquals(2_000_000L, configured.env.schedulerSliceNs());
            assertEquals("backoff:10:20:1us:100us, scheduler slice 2ms", configured.env.clientIdleAndSlice());
        }
        finally
        {
            System.clearProperty(SchedulerSlice.PROPERTY.name());
        }
    }

    @CommandLine.Command(name = "holder")
    static final class Holder
    {
        @CommandLine.Mixin
        EnvironmentOptions env;
    }
}
