package io.spindle.tools;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.spindle.client.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.CliEndToEndTest.DESCRIBE_HEADER;
import static io.spindle.tools.CliEndToEndTest.describeRows;
import static io.spindle.tools.CliEndToEndTest.run;
import static io.spindle.tools.CliEndToEndTest.tableRows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command-line habits a Kafka user brings (issue #16): reset-offsets that plans unless told to execute,
 * Kafka's describe views, headers, timestamps and binary keys and values; against a real broker over UDP.
 */
@Timeout(120)
class CliKafkaHabitsTest
{
    @TempDir
    Path dir;

    private CliBroker broker;
    private String bootstrap;

    @BeforeEach
    void startBroker()
    {
        broker = CliBroker.start(dir.resolve("data"), "cli-habits");
        bootstrap = broker.bootstrap();
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
    }

    @Test
    void resetOffsetsPrintsThePlanAndChangesNothingWithoutExecute()
    {
        createAndFill("plan", "a\nb\nc\nd\ne\n", "f\ng\nh\n");
        assertEquals(0, reset("planner", "--topic", "plan", "--to-offset", "2", "--execute").code());
        assertCommitted("planner", 2, 2);

        CliEndToEndTest.Result result = reset("planner", "--topic", "plan", "--to-earliest");
        assertEquals(0, result.code(), result.toString());
        assertEquals(
            "GROUP   TOPIC PARTITION NEW-OFFSET\n" +
            "planner plan  0         0\n" +
            "planner plan  1         0\n", result.out(), result.toString());
        assertTrue(result.err().contains("nothing was changed"), result.toString());
        assertCommitted("planner", 2, 2);

        result = reset("planner", "--topic", "plan", "--to-latest", "--dry-run");
        assertEquals(0, result.code(), result.toString());
        assertEquals(List.of(List.of("planner", "plan", "0", "5"), List.of("planner", "plan", "1", "3")),
            planRows(result.out()), result.toString());
        assertCommitted("planner", 2, 2);

        result = reset("planner", "--topic", "plan", "--to-latest", "--dry-run", "--execute");
        assertEquals(2, result.code(), result.toString());
        assertCommitted("planner", 2, 2);

        result = reset("planner", "--topic", "plan", "--to-latest", "--execute");
        assertEquals(0, result.code(), result.toString());
        assertEquals(List.of(List.of("planner", "plan", "0", "5"), List.of("planner", "plan", "1", "3")),
            planRows(result.out()), result.toString());
        assertTrue(!result.err().contains("nothing was changed"), result.toString());
        assertCommitted("planner", 5, 3);
    }

    @Test
    void resetOffsetsShiftsFromTheCommittedOffsetWithinTheLog()
    {
        createAndFill("shift", "a\nb\nc\nd\ne\n", "f\ng\nh\n");
        assertEquals(0, reset("shifter", "--topic", "shift", "--to-offset", "2", "--execute").code());

        CliEndToEndTest.Result result = reset("shifter", "--topic", "shift", "--shift-by", "-1", "--execute");
        assertEquals(0, result.code(), result.toString());
        assertCommitted("shifter", 1, 1);

        result = reset("shifter", "--topic", "shift:0", "--shift-by", "3", "--execute");
        assertEquals(0, result.code(), result.toString());
        assertCommitted("shifter", 4, 1);

        result = reset("shifter", "--topic", "shift", "--shift-by", "10", "--execute");
        assertEquals(List.of(List.of("shifter", "shift", "0", "5"), List.of("shifter", "shift", "1", "3")),
            planRows(result.out()), "clamped to the log end: " + result);
        assertCommitted("shifter", 5, 3);

        result = reset("shifter", "--topic", "shift", "--shift-by", "-100");
        assertEquals(List.of(List.of("shifter", "shift", "0", "0"), List.of("shifter", "shift", "1", "0")),
            planRows(result.out()), "clamped to the log start: " + result);
        assertCommitted("shifter", 5, 3);

        result = reset("newcomer", "--topic", "shift", "--shift-by", "1", "--execute");
        assertEquals(1, result.code(), result.toString());
        assertTrue(
            result.err().contains("cannot shift the offset of shift:0: group 'newcomer' has no committed offset"),
            result.toString());
        assertEquals("shifter\n", run("", "groups", "list", "--bootstrap", bootstrap).out(),
            "a refused reset creates no group");
    }

    @Test
    void resetOffsetsAllTopicsTakesEveryPartitionTheGroupHasCommitted()
    {
        createAndFill("one", "a\nb\nc\n", "d\ne\n");
        createAndFill("two", "f\ng\n", "h\n");
        assertEquals(0, reset("wide", "--topic", "one:1", "--topic", "two", "--to-offset", "1", "--execute").code());

        CliEndToEndTest.Result result = reset("wide", "--all-topics", "--to-latest", "--execute");
        assertEquals(0, result.code(), result.toString());
        assertEquals(List.of(List.of("wide", "one", "1", "2"), List.of("wide", "two", "0", "2"),
            List.of("wide", "two", "1", "1")), planRows(result.out()), result.toString());
        final List<String[]> rows = tableRows(run("", "groups", "describe", "--bootstrap", bootstrap, "--group",
            "wide").out(), DESCRIBE_HEADER);
        assertEquals(3, rows.size(), "one:0 has no committed offset and got none");
        for (final String[] row : rows)
        {
            assertEquals("0", row[5], "reset to the log end, no lag: " + List.of(row));
        }

        result = reset("nobody", "--all-topics", "--to-earliest", "--execute");
        assertEquals(1, result.code(), result.toString());
        assertTrue(result.err().contains("group 'nobody' has no committed offsets"), result.toString());

        result = reset("wide", "--all-topics", "--topic", "one", "--to-earliest");
        assertEquals(2, result.code(), "--all-topics or --topic, not both: " + result);
    }

    @Test
    void resetOffsetsByDurationStartsAtTheFirstRecordThatRecent() throws InterruptedException
    {
        createAndFill("aged", "old-1\nold-2\n", "");
        final long oldProducedMs = System.currentTimeMillis();
        final long gapMs = 2_000;
        while (System.currentTimeMillis() < oldProducedMs + gapMs)
        {
            Thread.sleep(50); // The condition is the wall clock itself: records stamped later than old-2.
        }
        assertEquals(0, run("new-1\nnew-2\n", "produce", "--bootstrap", bootstrap, "--topic", "aged",
            "--partition", "0").code());

        final long sinceMidGapMs = System.currentTimeMillis() - (oldProducedMs + gapMs / 2);
        CliEndToEndTest.Result result = reset("aging", "--topic", "aged:0", "--by-duration",
            java.time.Duration.ofMillis(sinceMidGapMs).toString(), "--execute");
        assertEquals(0, result.code(), result.toString());
        assertEquals(List.of(List.of("aging", "aged", "0", "2")), planRows(result.out()), result.toString());

        result = reset("aging", "--topic", "aged:0", "--by-duration", "PT1H", "--execute");
        assertEquals(List.of(List.of("aging", "aged", "0", "0")), planRows(result.out()), result.toString());
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "aged", "--group", "aging",
            "--max-messages", "4", "--timeout-ms", "10000");
        assertEquals("old-1\nold-2\nnew-1\nnew-2\n", result.out(), result.toString());

        result = reset("aging", "--topic", "aged:0", "--by-duration", "P1DT2H3M");
        assertEquals(List.of(List.of("aging", "aged", "0", "0")), planRows(result.out()), result.toString());
        result = reset("aging", "--topic", "aged:0", "--by-duration", "P40000D");
        assertEquals(List.of(List.of("aging", "aged", "0", "0")), planRows(result.out()),
            "longer ago than 1970 is the log start: " + result);

        result = reset("aging", "--topic", "aged:0", "--by-duration", "1h");
        assertEquals(1, result.code(), result.toString());
        assertTrue(result.err().contains("--by-duration '1h' is not an ISO-8601 duration"), result.toString());
        result = reset("aging", "--topic", "aged", "--by-duration=-PT1H");
        assertEquals(1, result.code(), result.toString());
        assertTrue(result.err().contains("is negative"), result.toString());
    }

    @Test
    void describeShowsKafkasColumnsAndMembersAndStateViews()
    {
        createAndFill("views", "a\nb\n", "c\n");
        assertEquals(0, reset("viewers", "--topic", "views:0", "--to-offset", "1", "--execute").code());

        CliEndToEndTest.Result result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "viewers");
        assertEquals(0, result.code(), result.toString());
        assertEquals(
            "GROUP   TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID\n" +
            "viewers views 0         1              2              1   -           -    -\n", result.out(),
            result.toString());
        assertEquals("Consumer group 'viewers' has no active members.\n", result.err(), result.toString());

        result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "viewers", "--members");
        assertEquals(0, result.code(), result.toString());
        assertEquals("", result.out(), "no members, no table: " + result);
        assertEquals("Consumer group 'viewers' has no active members.\n", result.err(), result.toString());

        result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "viewers", "--state");
        assertEquals(0, result.code(), result.toString());
        assertStateLine(result, "viewers", "-", "Empty", 0);

        final Consumer.Context ctx = new Consumer.Context().groupId("viewers").sessionTimeoutMs(5_000)
            .heartbeatIntervalMs(200).assignmentStrategy("range");
        ctx.bootstrap("ipc").aeronDirectoryName(broker.aeronDir()).clientId("viewer-app");
        final String host = localHostName();
        try (Consumer member = Consumer.connect(ctx))
        {
            member.subscribe(List.of("views"));
            final long deadlineNs = System.nanoTime() + 20_000_000_000L;
            while (member.assignment().size() < 2 && System.nanoTime() < deadlineNs)
            {
                member.poll((record) -> {}, 10, 20);
            }
            assertEquals(2, member.assignment().size(), member.groupMetadata().toString());
            final String memberId = member.groupMetadata().memberId();

            result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "viewers");
            assertEquals("", result.err(), result.toString());
            final Map<Integer, String[]> rows = describeRows(result.out());
            assertEquals(List.of("viewers", "views", "0", "1", "2", "1", memberId, host, "viewer-app"),
                List.of(rows.get(0)), result.toString());
            assertEquals(List.of("viewers", "views", "1", "-", "1", "-", memberId, host, "viewer-app"),
                List.of(rows.get(1)), "assigned without a committed offset: " + result);

            result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "viewers", "--members");
            assertEquals(0, result.code(), result.toString());
            final List<String[]> members = tableRows(result.out(),
                List.of("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"));
            assertEquals(1, members.size(), result.toString());
            assertEquals(List.of("viewers", memberId, host, "viewer-app", "2"), List.of(members.get(0)),
                result.toString());

            result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "viewers", "--state");
            assertStateLine(result, "viewers", "range", "Stable", 1);

            result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "viewers", "--members",
                "--state");
            assertEquals(2, result.code(), "one view at a time: " + result);
        }
    }

    @Test
    void produceHeadersAndConsumePrintsTimestampsAndHeaders()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "hdr").code());
        final long beforeMs = System.currentTimeMillis();
        CliEndToEndTest.Result result = run("k1|v1\nk2|v2\n", "produce", "--bootstrap", bootstrap, "--topic", "hdr",
            "--partition", "0", "--key-separator", "|", "--header", "trace=abc-1", "--header", "env=a=b",
            "--header", "empty=");
        assertEquals(0, result.code(), result.toString());
        assertTrue(result.err().contains("acked 2"), result.toString());
        final long afterMs = System.currentTimeMillis();
        assertEquals(0, run("plain\n", "produce", "--bootstrap", bootstrap, "--topic", "hdr", "--partition",
            "0").code());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "hdr", "--from-beginning",
            "--max-messages", "3", "--timeout-ms", "5000", "--print-timestamp", "--print-offset", "--print-headers",
            "--print-key");
        assertEquals(0, result.code(), result.toString());
        final String[] lines = result.out().split("\n");
        assertEquals(3, lines.length, result.toString());
        final Pattern line = Pattern.compile("CreateTime:(\\d+)\t(.*)");
        final String[] rest = {
            "0:0\ttrace:abc-1,env:a=b,empty:\tk1\tv1",
            "0:1\ttrace:abc-1,env:a=b,empty:\tk2\tv2",
            "0:2\tNO_HEADERS\tnull\tplain"
        };
        for (int i = 0; i < 3; i++)
        {
            final Matcher matcher = line.matcher(lines[i]);
            assertTrue(matcher.matches(), lines[i]);
            assertEquals(rest[i], matcher.group(2));
            if (i < 2)
            {
                final long timestamp = Long.parseLong(matcher.group(1));
                assertTrue(timestamp >= beforeMs && timestamp <= afterMs, "stamped when produced: " + lines[i]);
            }
        }

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "hdr", "--from-beginning",
            "--max-messages", "1", "--timeout-ms", "5000", "--print-headers");
        assertEquals("trace:abc-1,env:a=b,empty:\tv1\n", result.out(), result.toString());

        result = run("x\n", "produce", "--bootstrap", bootstrap, "--topic", "hdr", "--header", "novalue");
        assertEquals(2, result.code(), result.toString());
        assertEquals("spindle produce: --header takes KEY=VALUE (a non-empty key), was 'novalue'\n", result.err());
    }

    @Test
    void produceRefusesALineWithoutTheKeySeparatorUnlessAllowed()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "keys").code());
        CliEndToEndTest.Result result = run("a|1\nnokey\nb|2\n", "produce", "--bootstrap", bootstrap, "--topic",
            "keys", "--key-separator", "|");
        assertEquals(2, result.code(), result.toString());
        assertTrue(result.err().contains("spindle produce: line 2 has no key separator '|'") &&
            result.err().contains("--allow-missing-key"), result.toString());
        assertTrue(result.err().contains("acked 1"), "the line before it was sent: " + result);
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "keys", "--from-beginning",
            "--print-key", "--timeout-ms", "1000");
        assertEquals("a\t1\n", result.out(), "nothing from or after the refused line: " + result);

        result = run("c|3\nnokey\n", "produce", "--bootstrap", bootstrap, "--topic", "keys", "--key-separator", "|",
            "--allow-missing-key");
        assertEquals(0, result.code(), result.toString());
        assertTrue(result.err().contains("acked 2"), result.toString());
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "keys", "--offset", "1",
            "--print-key", "--max-messages", "2", "--timeout-ms", "5000");
        assertEquals("c\t3\nnull\tnokey\n", result.out(), result.toString());
    }

    @Test
    void binaryKeysAndValuesRoundTripAsBase64AndHex()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "bin").code());
        // Key bytes 00 ff 7c ('|' inside the key's bytes, not in its hex); value bytes 00 01 02 ff 0a (a newline).
        CliEndToEndTest.Result result = run("00FF7c|AAEC/wo=\n", "produce", "--bootstrap", bootstrap, "--topic",
            "bin", "--key-separator", "|", "--key-format", "hex", "--value-format", "base64");
        assertEquals(0, result.code(), result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "bin", "--from-beginning",
            "--max-messages", "1", "--timeout-ms", "5000", "--print-key", "--key-format", "base64",
            "--value-format", "hex");
        assertEquals(0, result.code(), result.toString());
        assertEquals("AP98\t000102ff0a\n", result.out(), result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "bin", "--from-beginning",
            "--max-messages", "1", "--timeout-ms", "5000", "--print-key", "--key-format", "hex",
            "--value-format", "base64");
        assertEquals("00ff7c\tAAEC/wo=\n", result.out(), "both ways give back the bytes: " + result);

        result = run("AAEC/w==\nnot base64!\nAA==\n", "produce", "--bootstrap", bootstrap, "--topic", "bin",
            "--value-format", "base64");
        assertEquals(2, result.code(), result.toString());
        assertTrue(result.err().contains("spindle produce: line 2: the value is not base64"), result.toString());
        assertTrue(result.err().contains("acked 1"), result.toString());

        result = run("abc\n", "produce", "--bootstrap", bootstrap, "--topic", "bin", "--value-format", "hex");
        assertEquals(2, result.code(), result.toString());
        assertTrue(result.err().contains("line 1: the value is not hex"), result.toString());

        result = run("x\n", "produce", "--bootstrap", bootstrap, "--topic", "bin", "--value-format", "octal");
        assertEquals(2, result.code(), result.toString());
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "bin", "--value-format", "octal");
        assertEquals(2, result.code(), result.toString());
    }

    private static String localHostName()
    {
        try
        {
            return java.net.InetAddress.getLocalHost().getHostName();
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private void createAndFill(final String topic, final String partition0, final String partition1)
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", topic, "--partitions",
            "2").code());
        if (!partition0.isEmpty())
        {
            assertEquals(0, run(partition0, "produce", "--bootstrap", bootstrap, "--topic", topic, "--partition",
                "0").code());
        }
        if (!partition1.isEmpty())
        {
            assertEquals(0, run(partition1, "produce", "--bootstrap", bootstrap, "--topic", topic, "--partition",
                "1").code());
        }
    }

    private CliEndToEndTest.Result reset(final String group, final String... args)
    {
        final String[] all = new String[args.length + 6];
        all[0] = "groups";
        all[1] = "reset-offsets";
        all[2] = "--bootstrap";
        all[3] = bootstrap;
        all[4] = "--group";
        all[5] = group;
        System.arraycopy(args, 0, all, 6, args.length);
        return run("", all);
    }

    private void assertCommitted(final String group, final long partition0, final long partition1)
    {
        final CliEndToEndTest.Result result = run("", "groups", "describe", "--bootstrap", bootstrap,
            "--group", group);
        final Map<Integer, String[]> rows = describeRows(result.out());
        assertEquals(List.of(Long.toString(partition0), Long.toString(partition1)),
            List.of(rows.get(0)[3], rows.get(1)[3]), "committed offsets: " + result);
    }

    private static List<List<String>> planRows(final String out)
    {
        return tableRows(out, List.of("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")).stream().map(List::of).toList();
    }

    private void assertStateLine(
        final CliEndToEndTest.Result result, final String group, final String strategy, final String state,
        final int members)
    {
        final String[] lines = result.out().split("\n");
        assertEquals(2, lines.length, result.toString());
        assertTrue(lines[0].matches("GROUP +COORDINATOR \\(ID\\) +ASSIGNMENT-STRATEGY +STATE +#MEMBERS"),
            result.toString());
        final Matcher matcher = Pattern.compile("(\\S+) +(\\S+:\\d+) \\((\\d+)\\) +(\\S+) +(\\S+) +(\\d+)")
            .matcher(lines[1]);
        assertTrue(matcher.matches(), result.toString());
        assertEquals(List.of(group, "0", strategy, state, Integer.toString(members)),
            List.of(matcher.group(1), matcher.group(3), matcher.group(4), matcher.group(5), matcher.group(6)),
            result.toString());
        assertEquals(lines[0].indexOf("STATE"), lines[1].indexOf(state), "aligned: " + result);
    }
}
