/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.config;

import java.util.concurrent.TimeUnit;

import io.aeron.driver.ThreadingMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Booleans and choices are parsed strictly: {@code yes} is not silently false and a misspelt mode is refused with
 * the property, the value and every accepted value, as sizes and durations already are.
 */
class StrictParsersTest
{
    private static final String PROPERTY = "spindle.test.strict";

    @AfterEach
    void clear()
    {
        System.clearProperty(PROPERTY);
    }

    @Test
    void booleansAreTrueOrFalseInAnyCaseAndNothingElse()
    {
        assertTrue(ConfigValues.parseBoolean(PROPERTY, "true"));
        assertTrue(ConfigValues.parseBoolean(PROPERTY, " TRUE "));
        assertFalse(ConfigValues.parseBoolean(PROPERTY, "False"));
        for (final String bad : new String[]{ "yes", "1", "on", "", "tru" })
        {
            final IllegalArgumentException ex = assertThrows(
                IllegalArgumentException.class, () -> ConfigValues.parseBoolean(PROPERTY, bad));
            assertEquals("invalid " + PROPERTY + "=" + bad + ": expected true or false", ex.getMessage());
        }
    }

    @Test
    void choicesTakeAnEnumConstantInAnyCaseAndListTheAcceptedOnes()
    {
        assertEquals(ThreadingMode.DEDICATED, ConfigValues.parseEnum(PROPERTY, "dedicated", ThreadingMode.class));
        assertEquals(ThreadingMode.SHARED_NETWORK,
            ConfigValues.parseEnum(PROPERTY, "shared-network", ThreadingMode.class));
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> ConfigValues.parseEnum(PROPERTY, "FOO", ThreadingMode.class));
        assertEquals("invalid " + PROPERTY + "=FOO: expected one of INVOKER, SHARED, SHARED_NETWORK or DEDICATED",
            ex.getMessage());

        final IllegalArgumentException notAccepted = assertThrows(IllegalArgumentException.class,
            () -> ConfigValues.parseEnum(PROPERTY, "invoker",
            new ThreadingMode[]{ ThreadingMode.SHARED, ThreadingMode.DEDICATED }));
        assertEquals("invalid " + PROPERTY + "=invoker: expected one of SHARED or DEDICATED", notAccepted.getMessage());
    }

    @Test
    void propertyReadersUseTheDefaultOnlyWhenUnset()
    {
        assertTrue(ConfigValues.booleanProperty(PROPERTY, true));
        System.setProperty(PROPERTY, "false");
        assertFalse(ConfigValues.booleanProperty(PROPERTY, true));
        System.setProperty(PROPERTY, "yes");
        assertThrows(IllegalArgumentException.class, () -> ConfigValues.booleanProperty(PROPERTY, false));

        System.clearProperty(PROPERTY);
        assertEquals(ThreadingMode.SHARED,
            ConfigValues.enumProperty(PROPERTY, ThreadingMode.class, ThreadingMode.SHARED));
        System.setProperty(PROPERTY, "Dedicated");
        assertEquals(ThreadingMode.DEDICATED,
            ConfigValues.enumProperty(PROPERTY, ThreadingMode.class, ThreadingMode.SHARED));
    }

    @Test
    void aConfigPropertyReadsItsKindAndRefusesABadValueNamingItself()
    {
        final ConfigProperty flag = ConfigProperty.bool(PROPERTY, true);
        assertTrue(flag.bool());
        System.setProperty(PROPERTY, "yes");
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, flag::bool);
        assertEquals("invalid " + PROPERTY + "=yes: expected true or false", ex.getMessage());

        final ConfigProperty mode = ConfigProperty.choice(PROPERTY, ThreadingMode.SHARED);
        System.setProperty(PROPERTY, "FOO");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> mode.choice(ThreadingMode.class))
            .getMessage().startsWith("invalid " + PROPERTY + "=FOO: expected one of INVOKER, SHARED, "));

        final ConfigProperty timeout = ConfigProperty.duration(PROPERTY, TimeUnit.MILLISECONDS, 500);
        System.setProperty(PROPERTY, "2s");
        assertEquals(2_000L, timeout.duration());
        assertEquals(500L, timeout.parse(timeout.defaultValue()));
        assertEquals(2_000L, timeout.parse("2000"));

        final ConfigProperty size = ConfigProperty.size(PROPERTY, 16 * 1024);
        assertEquals(size.parse("16k"), size.parse(size.defaultValue()));
        assertThrows(IllegalStateException.class, size::bool);
    }

    @Test
    void aConfigPropertyMustBeASpindleProperty()
    {
        assertThrows(IllegalArgumentException.class, () -> ConfigProperty.bool("aeron.something", true));
    }
}
