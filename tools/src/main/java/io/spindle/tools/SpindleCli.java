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
        ChaosCommand.class,
        ArchiveCommand.class,
        TopicsCommand.class,
        ProduceCommand.class,
        ConsumeCommand.class,
        GroupsCommand.class,
        ErrorsCommand.class,
        StatCommand.class,
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
        final CommandLine cli = new CommandLine(new SpindleCli())
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setExecutionExceptionHandler(SpindleCli::onFailure);
        versionEverywhere(cli);
        return cli;
    }

    /**
     * {@code -V} on any command prints the versions, as {@code spindle version} does.
     */
    private static void versionEverywhere(final CommandLine command)
    {
        command.getCommandSpec().versionProvider(VersionCommand::versionLines);
        for (final CommandLine subcommand : command.getSubcommands().values())
        {
            versionEverywhere(subcommand);
        }
    }

    /**
     * A command that fails with an exception (a broker that cannot start, a bad address, a driver that
     * is not there) prints one line, {@code spindle <command>: <reason>}, and exits with 1; the stack
     * trace only with {@code -Dspindle.cli.stack.traces=true}.
     */
    private static int onFailure(
        final Exception ex, final CommandLine commandLine, final CommandLine.ParseResult parseResult)
    {
        commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + reason(ex));
        boolean stackTraces = false;
        try
        {
            stackTraces = CliConfiguration.STACK_TRACES.bool();
        }
        catch (final IllegalArgumentException badValue)
        {
            commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + badValue.getMessage());
        }
        if (stackTraces)
        {
            ex.printStackTrace(commandLine.getErr());
        }
        commandLine.getErr().flush();
        return 1;
    }

    /**
     * The exception's message followed by those of its causes that add to it, on one line.
     *
     * @param ex the failure.
     * @return the reason.
     */
    static String reason(final Throwable ex)
    {
        final StringBuilder reason = new StringBuilder();
        for (Throwable t = ex; null != t; t = t.getCause() == t ? null : t.getCause())
        {
            final String message = null != t.getMessage() ? t.getMessage() : t.getClass().getSimpleName();
            if (reason.indexOf(message) < 0)
            {
                reason.append(reason.length() == 0 ? "" : ": ").append(message);
            }
        }
        return reason.toString().replace('\n', ' ').trim();
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
