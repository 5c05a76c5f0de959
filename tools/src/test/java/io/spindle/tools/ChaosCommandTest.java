package io.spindle.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle chaos} as a user runs it: a short run of three {@code spindle node} processes whose first nemesis
 * action kills the leader with SIGKILL under acks=all load, judged by the replication checker; and the options it
 * refuses. Long runs are the same command with {@code --minutes}.
 */
class ChaosCommandTest
{
    private static final Pattern COUNTS = Pattern.compile(
        "acknowledged (\\d+), found (\\d+), lost (\\d+), .*consumed (\\d+), failovers (\\d+), .*" +
        "kills (\\d+) \\((\\d+) of the leader\\)");

    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void aShortRunKillsTheLeaderUnderLoadAndLosesNothing() throws Exception
    {
        final Path runDir = dir.resolve("run");
        try (SpindleProcess chaos = SpindleProcess.start(List.of(), "chaos", "--members", "3", "--seconds", "15",
            "--rate", "200", "--first-kill", "leader", "--seed", "42", "--dir", runDir.toString()))
        {
            final int status = chaos.awaitExit(170_000);
            final String output = String.join("\n", chaos.output());
            assertEquals(0, status, output);

            final String summary = chaos.output().stream().filter((line) -> line.startsWith("summary: "))
                .findFirst().orElseThrow(() -> new AssertionError("no summary line:\n" + output));
            assertTrue(summary.endsWith(": VALID"), output);
            final Matcher counts = COUNTS.matcher(summary);
            assertTrue(counts.find(), summary);
            final long acknowledged = Long.parseLong(counts.group(1));
            assertTrue(acknowledged > 0, summary);
            assertEquals(acknowledged, Long.parseLong(counts.group(2)), "found: " + summary);
            assertEquals(0, Long.parseLong(counts.group(3)), "lost: " + summary);
            assertTrue(Long.parseLong(counts.group(4)) >= acknowledged, "the consumer read less: " + summary);
            assertTrue(Long.parseLong(counts.group(5)) >= 1, "no failover: " + summary);
            assertTrue(Long.parseLong(counts.group(7)) >= 1, "the leader was never killed: " + summary);
        }
        assertEquals(List.of(), entries(runDir), "a valid run leaves nothing in --dir");
    }

    @Test
    void refusesTooFewMembersAndTwoDurations()
    {
        assertEquals(2, execute("chaos", "--members", "2"));
        assertEquals(2, execute("chaos", "--seconds", "10", "--minutes", "1"));
        assertEquals(2, execute("chaos", "--rate", "0"));
    }

    @Test
    void refusesADirectoryThatIsNotEmpty() throws IOException
    {
        Files.writeString(dir.resolve("something"), "data");
        assertEquals(2, execute("chaos", "--seconds", "1", "--dir", dir.toString()));
        assertEquals(List.of(dir.resolve("something")), entries(dir));
    }

    private static int execute(final String... args)
    {
        final CommandLine cli = SpindleCli.commandLine();
        cli.setErr(new PrintWriter(new StringWriter()));
        return cli.execute(args);
    }

    private static List<Path> entries(final Path directory) throws IOException
    {
        if (!Files.exists(directory))
        {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(directory))
        {
            return entries.toList();
        }
    }
}
