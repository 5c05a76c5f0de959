package io.spindle.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code spindle} command line: the entry point {@code bin/spindle} runs.
 */
@Command(
    name = "spindle",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Spindle: a Kafka-style commit log over Aeron.",
    subcommands = {
        VersionCommand.class,
        DemoCommand.class,
        BrokerCommand.class,
        NodeCommand.class,
        TopicsCommand.class,
        ProduceCommand.class,
        ConsumeCommand.class,
        GroupsCommand.class,
        CommandLine.HelpCommand.class
    })
public final class SpindleCli implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * With no subcommand, print the usage.
     */
    public void run()
    {
        spec.commandLine().usage(System.out);
    }

    /**
     * Build the command line with every subcommand registered.
     *
     * @return the command line, ready to execute.
     */
    public static CommandLine commandLine()
    {
        return new CommandLine(new SpindleCli()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /**
     * Run the command line and exit with its exit code.
     *
     * @param args the arguments as typed.
     */
    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }
}
