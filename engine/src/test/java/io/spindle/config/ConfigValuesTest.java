package io.spindle.config;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static java.util.concurrent.TimeUnit.MICROSECONDS;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigValuesTest
{
    @Test
    void sizesTakeBinarySuffixesAndPlainBytes()
    {
        assertEquals(512, ConfigValues.parseSize("p", "512"));
        assertEquals(16 * 1024, ConfigValues.parseSize("p", "16k"));
        assertEquals(16 * 1024, ConfigValues.parseSize("p", " 16K "));
        assertEquals(4L * 1024 * 1024, ConfigValues.parseSize("p", "4m"));
        assertEquals(1024L * 1024 * 1024, ConfigValues.parseSize("p", "1g"));
        assertEquals(2L << 40, ConfigValues.parseSize("p", "2t"));
        assertEquals(64 * 1024, ConfigValues.parseSize("p", "64KiB"));
        assertEquals(8 * 1024, ConfigValues.parseSize("p", "8kb"));
        assertEquals(100, ConfigValues.parseSize("p", "100b"));
        assertEquals(-1, ConfigValues.parseSize("p", "-1"));
        assertEquals(Integer.MAX_VALUE, ConfigValues.parseIntSize("p", Integer.toString(Integer.MAX_VALUE)));
    }

    @Test
    void durationsTakeUnitsAndAPlainNumberIsInThePropertysUnit()
    {
        assertEquals(10, ConfigValues.parseDuration("p", "10ms", MILLISECONDS));
        assertEquals(5_000, ConfigValues.parseDuration("p", "5s", MILLISECONDS));
        assertEquals(120_000, ConfigValues.parseDuration("p", "2m", MILLISECONDS));
        assertEquals(120_000, ConfigValues.parseDuration("p", "2min", MILLISECONDS));
        assertEquals(3_600_000, ConfigValues.parseDuration("p", "1h", MILLISECONDS));
        assertEquals(86_400_000, ConfigValues.parseDuration("p", "1d", MILLISECONDS));
        assertEquals(1500, ConfigValues.parseDuration("p", "1500", MILLISECONDS));
        assertEquals(1500, ConfigValues.parseDuration("p", "1500", MICROSECONDS));
        assertEquals(1500, ConfigValues.parseDuration("p", "1500", NANOSECONDS));
        assertEquals(2_000, ConfigValues.parseDuration("p", "2ms", MICROSECONDS));
        assertEquals(2, ConfigValues.parseDuration("p", "2000us", MILLISECONDS));
        assertEquals(3, ConfigValues.parseDuration("p", "3000000NS", MILLISECONDS));
        assertEquals(10_000_000_000L, ConfigValues.parseDuration("p", "10s", NANOSECONDS));
        assertEquals(-1, ConfigValues.parseDuration("p", "-1", MILLISECONDS));
        assertEquals(45_000, ConfigValues.parseIntDuration("p", "45s", MILLISECONDS));
    }

    @Test
    void plainNumbers()
    {
        assertEquals(5, ConfigValues.parseInt("p", " 5 "));
        assertEquals(-1, ConfigValues.parseInt("p", "-1"));
    }

    @Test
    void badValuesAreRefusedNamingThePropertyAndTheValue()
    {
        assertRefused(() -> ConfigValues.parseSize("spindle.x.bytes", "16q"),
            "invalid spindle.x.bytes=16q: expected a size such as 512, 16k, 4m or 1g");
        assertRefused(() -> ConfigValues.parseSize("s", "lots"), "invalid s=lots: expected a size");
        assertRefused(() -> ConfigValues.parseSize("s", ""), "invalid s=: expected a size");
        assertRefused(() -> ConfigValues.parseSize("s", null), "invalid s=null: expected a size");
        assertRefused(() -> ConfigValues.parseSize("s", "-5k"), "invalid s=-5k: a size must be -1 or at least 0");
        assertRefused(() -> ConfigValues.parseSize("s", "-2"), "invalid s=-2: a size must be -1 or at least 0");
        assertRefused(() -> ConfigValues.parseSize("s", "9999999999t"), "invalid s=9999999999t: size overflows");
        assertRefused(() -> ConfigValues.parseIntSize("s", "2g"), "invalid s=2g: must be at most 2147483647");

        assertRefused(() -> ConfigValues.parseDuration("d.ms", "5x", MILLISECONDS),
            "invalid d.ms=5x: unknown duration unit 'x'");
        assertRefused(() -> ConfigValues.parseDuration("d.ms", "soon", MILLISECONDS),
            "invalid d.ms=soon: unknown duration unit 'soon'");
        assertRefused(() -> ConfigValues.parseDuration("d.ms", "ms", MILLISECONDS),
            "invalid d.ms=ms: expected a duration such as 10ms, 5s, 2m or 1h");
        assertRefused(() -> ConfigValues.parseDuration("d.ms", "1500us", MILLISECONDS),
            "invalid d.ms=1500us: must be a whole number of milliseconds");
        assertRefused(() -> ConfigValues.parseDuration("d.ms", "-2", MILLISECONDS),
            "invalid d.ms=-2: a duration must be -1 or at least 0");
        assertRefused(() -> ConfigValues.parseDuration("d.ms", "-1s", MILLISECONDS),
            "invalid d.ms=-1s: a duration must be -1 or at least 0");
        assertRefused(() -> ConfigValues.parseDuration("d.ns", "999999d", TimeUnit.NANOSECONDS),
            "invalid d.ns=999999d: duration overflows a 64-bit number of nanoseconds");
        assertRefused(() -> ConfigValues.parseIntDuration("d.ms", "30d", MILLISECONDS),
            "invalid d.ms=30d: must be at most 2147483647 milliseconds");

        assertRefused(() -> ConfigValues.parseInt("n", "5k"), "invalid n=5k: expected a whole number");
        assertRefused(() -> ConfigValues.parseInt("n", "3000000000"), "invalid n=3000000000: must be between");
    }

    @Test
    void propertiesAreReadThroughTheSameParserAndFallBackOnlyWhenUnset()
    {
        final String size = "spindle.test.config.values.size";
        final String duration = "spindle.test.config.values.duration.ms";
        final String number = "spindle.test.config.values.count";
        assertEquals(7, ConfigValues.intSizeProperty(size, 7));
        assertEquals(7L, ConfigValues.sizeProperty(size, 7L));
        assertEquals(9L, ConfigValues.durationProperty(duration, MILLISECONDS, 9L));
        assertEquals(9, ConfigValues.intDurationProperty(duration, MILLISECONDS, 9));
        assertEquals(3, ConfigValues.intProperty(number, 3));
        System.setProperty(size, "16k");
        System.setProperty(duration, "2s");
        System.setProperty(number, "12");
        try
        {
            assertEquals(16_384, ConfigValues.intSizeProperty(size, 7));
            assertEquals(16_384L, ConfigValues.sizeProperty(size, 7L));
            assertEquals(2_000L, ConfigValues.durationProperty(duration, MILLISECONDS, 9L));
            assertEquals(2_000, ConfigValues.intDurationProperty(duration, MILLISECONDS, 9));
            assertEquals(12, ConfigValues.intProperty(number, 3));

            System.setProperty(size, "16kk");
            assertRefused(() -> ConfigValues.intSizeProperty(size, 7), "invalid " + size + "=16kk: expected a size");
        }
        finally
        {
            System.clearProperty(size);
            System.clearProperty(duration);
            System.clearProperty(number);
        }
    }

    private static void assertRefused(final Executable parse, final String expectedMessageStart)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, parse);
        if (!ex.getMessage().startsWith(expectedMessageStart))
        {
            assertEquals(expectedMessageStart, ex.getMessage());
        }
    }
}
