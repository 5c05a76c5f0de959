/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle demo}, the README's first command, small: both phases on the embedded broker, the demo's own verdict,
 * the latency percentiles, and whether the host froze a CPU while they were measured.
 */
class DemoTest
{
    @Test
    @Timeout(120)
    void theDemoRunsBothPhasesAndSaysEveryRecordArrivedInOrder()
    {
        final CliEndToEndTest.Result result = CliEndToEndTest.run("",
            "demo", "--records", "5000", "--rate", "5000");
        final String output = result.out();
        System.out.println(output + result.err());
        assertEquals(0, result.code(), output + result.err());
        assertTrue(output.contains("throughput phase: 5,000 records of 100 bytes"), output);
        assertTrue(output.contains("latency phase: 5,000 records of 100 bytes, acks=1 at a fixed 5,000 records/s"),
            output);
        assertEquals(2, output.split("every record arrived, in order", -1).length - 1, output);
        assertTrue(output.contains("end-to-end (intended send -> consumer) us: p50 "), output);

        final Matcher freezes = Pattern.compile("host freezes: (none|(\\d+), longest)").matcher(output);
        assertTrue(freezes.find(), output);
        if (null != freezes.group(2))
        {
            // Frozen: the records outside the freezes are some of the 5,000, and have their own percentiles.
            final Matcher outside = Pattern.compile("([\\d,]+) records were not in flight during one").matcher(output);
            assertTrue(outside.find(), output);
            final int count = Integer.parseInt(outside.group(1).replace(",", ""));
            assertTrue(count <= 5_000, output);
            assertTrue(output.contains("outside host freezes                   us: p50 "), output);
        }
    }
}
