/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleStrategiesTest
{
    @Test
    void aeronNamesResolveAsAeronResolvesThem()
    {
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategies.create("backoff"));
        assertInstanceOf(YieldingIdleStrategy.class, IdleStrategies.create("yield"));
        assertEquals("spin", IdleStrategies.create(" spin ").alias());
        assertInstanceOf(YieldingIdleStrategy.class, IdleStrategies.create(YieldingIdleStrategy.class.getName()));
    }

    @Test
    void parameterisedBackoffCarriesItsParameters()
    {
        final IdleStrategy strategy = IdleStrategies.create("backoff:7:300:2us:5ms");

        assertInstanceOf(BackoffIdleStrategy.class, strategy);
        // BackoffIdleStrategy's alias lists its parameters, so what was configured can be read back.
        final String alias = strategy.toString();
        assertTrue(alias.contains("maxSpins=7") && alias.contains("maxYields=300") &&
            alias.contains("minParkPeriodNs=2000") && alias.contains("maxParkPeriodNs=5000000"), alias);
    }

    @Test
    void brokerDefaultIsAParameterisedBackoff()
    {
        final IdleStrategy strategy = IdleStrategies.create(IdleStrategies.BROKER_DEFAULT);

        assertInstanceOf(BackoffIdleStrategy.class, strategy);
        assertTrue(strategy.toString().contains("maxYields=200"), strategy.toString());
        assertNotSame(strategy, IdleStrategies.create(IdleStrategies.BROKER_DEFAULT), "one instance per thread");
    }

    @Test
    void badSpecsAreRefusedWithTheReason()
    {
        assertMessage("no idle strategy given", "");
        assertMessage("unknown idle strategy 'sideways'", "sideways");
        assertMessage("expected backoff:SPINS:YIELDS:MIN_PARK:MAX_PARK", "backoff:10:200:1us");
        assertMessage("YIELDS must be a count", "backoff:10:lots:1us:1ms");
        assertMessage("SPINS must be a count", "backoff:-1:200:1us:1ms");
        assertMessage("MAX_PARK must be a duration", "backoff:10:200:1us:soon");
        assertMessage("0 < MIN_PARK <= MAX_PARK", "backoff:10:200:2ms:1ms");
    }

    private static void assertMessage(final String expected, final String spec)
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> IdleStrategies.create(spec), spec);
        assertTrue(ex.getMessage().contains(expected), () -> spec + " -> " + ex.getMessage());
        assertEquals(IllegalArgumentException.class, ex.getClass());
    }
}
