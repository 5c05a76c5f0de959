/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every perf command's {@code --acks} takes what {@code spindle produce --acks} and the {@code acks} property take:
 * {@code 0}, {@code 1}, {@code -1} and {@code all}; anything else is a usage error naming the option.
 */
class AcksOptionTest
{
    private static final String[] LOAD_COMMANDS = { "latency", "baseline", "compare" };

    @Test
    void allAndMinusOneMeanAcknowledgedByAllEverywhere()
    {
        for (final String command : LOAD_COMMANDS)
        {
            assertEquals(-1, loadAcks(command, "all"), command);
            assertEquals(-1, loadAcks(command, "ALL"), command);
            assertEquals(-1, loadAcks(command, "-1"), command);
            assertEquals(0, loadAcks(command, "0"), command);
            assertEquals(1, loadAcks(command, "1"), command);
        }
        assertEquals(-1, throughputAcks("all"));
        assertEquals(-1, throughputAcks("-1"));
        assertEquals(0, throughputAcks("0"));
    }

    @Test
    void anythingElseIsAUsageErrorNamingTheOption()
    {
        for (final String command : new String[]{ "latency", "baseline", "compare", "throughput" })
        {
            final StringWriter err = new StringWriter();
            final int exitCode = PerfCli.commandLine()
                .setOut(new PrintWriter(new StringWriter()))
                .setErr(new PrintWriter(err))
                .execute(command, "--acks", "2");

            assertEquals(2, exitCode, command + ": " + err);
            assertTrue(err.toString().contains("Invalid value for option '--acks': 0, 1, -1 or all, was '2'"),
                command + ": " + err);
        }
    }

    private static int loadAcks(final String command, final String acks)
    {
        final CommandLine cli = PerfCli.commandLine();
        cli.parseArgs(command, "--acks", acks);
        final Object parsed = cli.getSubcommands().get(command).getCommand();
        if (parsed instanceof LatencyCommand)
        {
            return ((LatencyCommand)parsed).load.acks;
        }
        if (parsed instanceof BaselineCommand)
        {
            return ((BaselineCommand)parsed).load.acks;
        }
        return ((CompareCommand)parsed).load.acks;
    }

    private static int throughputAcks(final String acks)
    {
        final CommandLine cli = PerfCli.commandLine();
        cli.parseArgs("throughput", "--acks", acks);
        return ((ThroughputCommand)cli.getSubcommands().get("throughput").getCommand()).acks;
    }
}
