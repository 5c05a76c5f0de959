/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@code spindle broker} started with a bad {@code -D} value stops at once with one line naming the property, the
 * value and what it takes, and exit status 1, before it creates anything: a misspelt threading mode used to end in a
 * bare "No enum constant" stack trace, and {@code spindle.udp.enabled=yes} was silently false.
 */
@Timeout(60)
class CliBadPropertyTest
{
    @TempDir
    Path dir;

    @Test
    void aBadThreadingModeStopsTheBrokerWithOneLineNamingIt() throws Exception
    {
        assertRefused("-Dspindle.broker.threading.mode=FOO",
            "spindle broker: invalid spindle.broker.threading.mode=FOO: expected one of SHARED or DEDICATED");
    }

    @Test
    void aBooleanThatIsNotTrueOrFalseStopsTheBroker() throws Exception
    {
        assertRefused("-Dspindle.udp.enabled=yes",
            "spindle broker: invalid spindle.udp.enabled=yes: expected true or false");
    }

    private void assertRefused(final String option, final String message) throws Exception
    {
        final Path data = dir.resolve("data");
        try (SpindleProcess broker = SpindleProcess.start(List.of(option), "broker", "--data-dir", data.toString()))
        {
            assertEquals(1, broker.awaitExit(30_000), () -> "output: " + outputOf(broker));
            assertEquals(List.of(message), broker.output());
        }
        assertFalse(data.toFile().exists(), "the data directory was created before the configuration was checked");
    }

    private static String outputOf(final SpindleProcess process)
    {
        try
        {
            return String.join("\n", process.output());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
