package io.spindle.tools;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpindleCliTest
{
    @Test
    void helpListsEveryCommand()
    {
        final StringWriter out = new StringWriter();
        final CommandLine cli = SpindleCli.commandLine();
        cli.setOut(new PrintWriter(out));

        assertEquals(0, cli.execute("--help"));
        final String help = out.toString();
        for (final String command : cli.getSubcommands().keySet())
        {
            assertTrue(help.contains(command), () -> "help does not list " + command + ":\n" + help);
        }
    }

    @Test
    void versionNamesTheBuiltVersions()
    {
        final String[] lines = VersionCommand.versionLines();
        assertTrue(lines[0].matches("spindle \\d+\\.\\d+\\.\\d+.*"), lines[0]);
        assertTrue(lines[1].startsWith("aeron 1.51.0"), lines[1]);
    }

    @Test
    void unknownCommandIsAUsageError()
    {
        final CommandLine cli = SpindleCli.commandLine();
        cli.setErr(new PrintWriter(new StringWriter()));
        assertEquals(2, cli.execute("no-such-command"));
    }
}
