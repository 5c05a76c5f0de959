package io.spindle.tools;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

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
        final PrintStream original = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final int exit;
        try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8))
        {
            System.setOut(out);
            exit = SpindleCli.commandLine().execute("demo", "--cluster", "--records", "3000", "--rate", "1000");
        }
        finally
        {
            System.setOut(original);
        }
        final String output = captured.toString(StandardCharsets.UTF_8);
        System.out.println(output);
        assertEquals(0, exit, output);
        assertTrue(output.contains("failover: a new leader in "), output);
        assertTrue(output.contains("acknowledged 3,000, arrived 3,000, duplicates 0, failed sends 0"), output);
        assertTrue(output.contains("every acknowledged record arrived, in order, once"), output);
    }
}
