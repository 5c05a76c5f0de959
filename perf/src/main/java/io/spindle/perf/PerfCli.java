/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import io.spindle.tools.VersionCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code spindle perf}: the latency and throughput harness and the raw-Aeron baseline, run by {@code bin/spindle perf}
 * from the perf module's jar ({@code perf/target/spindle-benchmarks.jar}, which also runs the JMH suite).
 */
@Command(
    name = "spindle perf",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = {
        "Measure Spindle end to end and the raw Aeron transport under it, on this machine.",
        "Figures depend on the machine and its load: note the command, `nproc` and `lscpu` with every result." },
    subcommands = {
        LatencyCommand.class,
        ThroughputCommand.class,
        BaselineCommand.class,
        CompareCommand.class,
        CommandLine.HelpCommand.class
    })
public final class PerfCli implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * With no subcommand, print the usage.
     */
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Build the command line with every subcommand registered.
     *
     * @return the command line, ready to execute.
     */
    public static CommandLine commandLine()
    {
        // The percentile chart is drawn off screen: never look for a display.
        System.setProperty("java.awt.headless", "true");
        return new CommandLine(new PerfCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /**
     * Run the command line and exit with its exit code.
     *
     * @param args the arguments as typed after {@code spindle perf}.
     */
    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }
}
