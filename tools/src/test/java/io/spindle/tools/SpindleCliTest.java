package io.spindle.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void helpWorksOnEveryCommandAndSubcommand()
    {
        final List<List<String>> commands = new ArrayList<>();
        collectCommands(SpindleCli.commandLine(), new ArrayList<>(), commands);
        assertTrue(commands.size() > 15, () -> "the walk found too few commands: " + commands);
        for (final List<String> command : commands)
        {
            final StringWriter out = new StringWriter();
            final StringWriter err = new StringWriter();
            final CommandLine cli = SpindleCli.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(err));
            final List<String> args = new ArrayList<>(command);
            args.add("--help");

            final int code = cli.execute(args.toArray(new String[0]));
            assertEquals(0, code, () -> "spindle " + String.join(" ", args) + " exits " + code + ": " + err);
            assertTrue(out.toString().contains("Usage:"), () -> "spindle " + String.join(" ", args) + ": " + out);
        }
    }

    @Test
    void helpListsTheOptionsAKafkaUserLooksFor()
    {
        final Map<List<String>, List<String>> expected = Map.of(
            List.of("produce"), List.of("--header", "--key-separator", "--allow-missing-key", "--key-format",
                "--value-format", "base64"),
            List.of("consume"), List.of("--print-headers", "--print-timestamp", "--key-format", "--value-format"),
            List.of("groups", "describe"), List.of("--members", "--state", "--offsets", "--all-groups"),
            List.of("groups", "reset-offsets"), List.of("--execute", "--dry-run", "--shift-by", "--by-duration",
                "--all-topics", "--to-datetime"));
        for (final Map.Entry<List<String>, List<String>> entry : expected.entrySet())
        {
            final StringWriter out = new StringWriter();
            final CommandLine cli = SpindleCli.commandLine();
            cli.setOut(new PrintWriter(out));
            final List<String> args = new ArrayList<>(entry.getKey());
            args.add("--help");
            assertEquals(0, cli.execute(args.toArray(new String[0])));
            for (final String option : entry.getValue())
            {
                assertTrue(out.toString().contains(option), () -> "spindle " + String.join(" ", args) +
                    " does not list " + option + ":\n" + out);
            }
        }
    }

    private static void collectCommands(
        final CommandLine cli, final List<String> path, final List<List<String>> commands)
    {
        commands.add(path);
        for (final Map.Entry<String, CommandLine> sub : cli.getSubcommands().entrySet())
        {
            final List<String> subPath = new ArrayList<>(path);
            subPath.add(sub.getKey());
            collectCommands(sub.getValue(), subPath, commands);
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
    void produceAcksTakesZeroOneMinusOneAndAllAndRefusesTheRest()
    {
        for (final String[] acks : new String[][]{ { "all", "-1" }, { "ALL", "-1" }, { "-1", "-1" }, { "0", "0" },
            { "1", "1" } })
        {
            final CommandLine cli = SpindleCli.commandLine();
            cli.parseArgs("produce", "--bootstrap", "ipc", "--topic", "t", "--acks", acks[0]);
            final ProduceCommand produce = cli.getSubcommands().get("produce").getCommand();
            assertEquals(Integer.valueOf(acks[1]), produce.acks, acks[0]);
        }

        final StringWriter err = new StringWriter();
        final CommandLine cli = SpindleCli.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(2, cli.execute("produce", "--bootstrap", "ipc", "--topic", "t", "--acks", "some"));
        assertTrue(err.toString().contains("Invalid value for option '--acks': 0, 1, -1 or all, was 'some'"),
            err.toString());
    }

    @Test
    void unknownCommandIsAUsageError()
    {
        final CommandLine cli = SpindleCli.commandLine();
        cli.setErr(new PrintWriter(new StringWriter()));
        assertEquals(2, cli.execute("no-such-command"));
    }

    @Test
    void archiveRefusesATierSecretFileItCannotUseBeforeStarting(@TempDir final Path dir) throws java.io.IOException
    {
        final Path shortSecret = dir.resolve("short");
        Files.writeString(shortSecret, "too-short\n");
        for (final Path secretFile : List.of(shortSecret, dir.resolve("missing")))
        {
            final CommandLine cli = SpindleCli.commandLine();
            assertEquals(2, cli.execute("archive", "--dir", dir.resolve("archive").toString(),
                "--listen", "localhost:0", "--secret-file", secretFile.toString()), secretFile.toString());
        }
        assertFalse(Files.exists(dir.resolve("archive")), "no archive started");
    }
}
