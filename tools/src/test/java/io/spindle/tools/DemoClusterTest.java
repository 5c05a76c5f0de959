package io.spindle.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle demo --cluster}, small: three members in this JVM, the leader stopped halfway, and the demo's own
 * verdict that every acknowledged record arrived, in order, once.
 */
class DemoClusterTest
{
    @Test
    @Timeout(120)
    void theClusterDemoSurvivesItsLeaderAndSaysSo()
    {
        final CliEndToEndTest.Result result = CliEndToEndTest.run("",
            "demo", "--cluster", "--records", "3000", "--rate", "1000");
        final String output = result.out();
        System.out.println(output + result.err());
        assertEquals(0, result.code(), output + result.err());
        assertTrue(output.contains("failover: a new leader in "), output);
        assertTrue(output.contains("acknowledged 3,000, arrived 3,000, duplicates 0, failed sends 0"), output);
        assertTrue(output.contains("every acknowledged record arrived, in order, once"), output);
    }
}
