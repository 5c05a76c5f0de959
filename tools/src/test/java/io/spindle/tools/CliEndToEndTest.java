package io.spindle.tools;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.spindle.client.Consumer;
import io.spindle.host.StandaloneBroker;
import io.aeron.CommonContext;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command-line contract (flags and output format) against a real broker over UDP.
 */
@Timeout(120)
class CliEndToEndTest
{
    @TempDir
    Path dir;

    private StandaloneBroker broker;
    private String bootstrap;
    private String aeronDir;

    @BeforeEach
    void startBroker()
    {
        aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-cli-" + System.nanoTime();
        broker = StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("data"))
            .embeddedDriverDirectoryName(aeronDir)
            .driverDirDeleteOnStart(true)
            .listen("127.0.0.1", 0));
        bootstrap = broker.udpEndpoint();
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
        IoUtil.delete(new java.io.File(aeronDir), true);
    }

    @Test
    void topicsProduceAndConsumeFollowTheContract()
    {
        Result result = run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "cli", "--partitions", "2",
            "--config", "retention.ms=60000");
        assertEquals(0, result.code, result.toString());

        result = run("", "topics", "list", "--bootstrap", bootstrap);
        assertEquals("cli\n", result.out, result.toString());

        result = run("a|1\nb|2\nc|3\nplain\n", "produce", "--bootstrap", bootstrap, "--topic", "cli",
            "--key-separator", "|", "--allow-missing-key", "--partition", "1", "--acks", "all");
        assertEquals(0, result.code, result.toString());
        assertTrue(result.err.contains("acked 4"), result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "cli", "--from-beginning",
            "--max-messages", "4", "--timeout-ms", "5000", "--print-key", "--print-offset");
        assertEquals(0, result.code, result.toString());
        assertEquals("1:0\ta\t1\n1:1\tb\t2\n1:2\tc\t3\n1:3\tnull\tplain\n", result.out, result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "cli", "--partition", "1", "--offset", "2",
            "--timeout-ms", "500");
        assertEquals("3\nplain\n", result.out, result.toString());

        result = run("", "topics", "describe", "--bootstrap", bootstrap, "--topic", "cli");
        assertEquals(0, result.code, result.toString());
        assertTrue(result.out.contains("retention.ms=60000"), result.toString());

        result = run("x\n", "produce", "--bootstrap", bootstrap, "--topic", "missing", "--delivery-timeout-ms", "3000");
        assertEquals(1, result.code, result.toString());
        assertTrue(result.err.contains("acked 0"), result.toString());
        assertTrue(result.err.contains("UNKNOWN_TOPIC_OR_PARTITION"), result.toString());

        result = run("", "topics", "delete", "--bootstrap", bootstrap, "--topic", "cli");
        assertEquals(0, result.code, result.toString());
        result = run("", "topics", "list", "--bootstrap", bootstrap);
        assertEquals("", result.out, result.toString());
    }

    @Test
    void consumerGroupsFollowTheContract()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "gt", "--partitions",
            "2").code);
        assertEquals(0, run("a\nb\nc\n", "produce", "--bootstrap", bootstrap, "--topic", "gt", "--partition",
            "0").code);
        assertEquals(0, run("d\ne\nf\n", "produce", "--bootstrap", bootstrap, "--topic", "gt", "--partition",
            "1").code);

        Result result = run("", "consume", "--bootstrap", bootstrap, "--topic", "gt", "--group", "cli-group",
            "--from-beginning", "--max-messages", "4", "--timeout-ms", "10000");
        assertEquals(0, result.code, result.toString());
        assertEquals(4, result.out.split("\n").length, result.toString());

        result = run("", "groups", "list", "--bootstrap", bootstrap);
        assertEquals("cli-group\n", result.out, result.toString());

        result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "cli-group");
        assertEquals(0, result.code, result.toString());
        assertEquals("Consumer group 'cli-group' has no active members.\n", result.err, result.toString());
        Map<Integer, String[]> rows = describeRows(result.out);
        assertEquals(2, rows.size(), result.toString());
        long lag = 0;
        for (final String[] row : rows.values())
        {
            assertEquals("3", row[4], result.toString());
            assertEquals("-", row[6], "no owner while the group is empty: " + result);
            lag += Long.parseLong(row[5]);
        }
        assertEquals(2, lag, "4 of 6 records were printed and committed: " + result);

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "gt", "--group", "cli-group",
            "--from-beginning", "--timeout-ms", "1500");
        assertEquals(0, result.code, result.toString());
        assertEquals(2, result.out.split("\n").length, "only what was not committed: " + result);
        rows = describeRows(run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "cli-group").out);
        assertEquals("0", rows.get(0)[5]);
        assertEquals("0", rows.get(1)[5]);

        result = run("", "groups", "reset-offsets", "--bootstrap", bootstrap, "--group", "cli-group", "--topic", "gt",
            "--to-earliest", "--execute");
        assertEquals(0, result.code, result.toString());
        rows = describeRows(run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "cli-group").out);
        assertEquals("0", rows.get(0)[3]);
        assertEquals("3", rows.get(1)[5]);
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "gt", "--group", "cli-group",
            "--max-messages", "6", "--timeout-ms", "10000");
        assertEquals("a\nb\nc\nd\ne\nf\n", sortedLines(result.out), result.toString());

        assertEquals(0, run("", "groups", "reset-offsets", "--bootstrap", bootstrap, "--group", "cli-group",
            "--topic", "gt:1", "--to-offset", "1", "--execute").code);
        assertEquals(0, run("", "groups", "reset-offsets", "--bootstrap", bootstrap, "--group", "cli-group",
            "--topic", "gt:0", "--to-datetime", "2000-01-01T00:00:00Z", "--execute").code);
        rows = describeRows(run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "cli-group").out);
        assertEquals("0", rows.get(0)[3]);
        assertEquals("1", rows.get(1)[3]);
        assertEquals(0, run("", "groups", "reset-offsets", "--bootstrap", bootstrap, "--group", "cli-group",
            "--topic", "gt", "--to-datetime", "2999-01-01T00:00:00+01:00", "--execute").code);
        rows = describeRows(run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "cli-group").out);
        assertEquals("3", rows.get(0)[3]);
        assertEquals("3", rows.get(1)[3]);

        final Consumer.Context ctx = new Consumer.Context().groupId("cli-group").sessionTimeoutMs(5_000)
            .heartbeatIntervalMs(200);
        ctx.bootstrap("ipc").aeronDirectoryName(aeronDir);
        try (Consumer member = Consumer.connect(ctx))
        {
            member.subscribe(List.of("gt"));
            final long deadlineNs = System.nanoTime() + 20_000_000_000L;
            while (member.assignment().size() < 2 && System.nanoTime() < deadlineNs)
            {
                member.poll((record) -> {}, 10, 20);
            }
            assertEquals(2, member.assignment().size(), member.groupMetadata().toString());

            result = run("", "groups", "reset-offsets", "--bootstrap", bootstrap, "--group", "cli-group", "--topic",
                "gt", "--to-earliest", "--execute");
            assertEquals(1, result.code, result.toString());
            assertTrue(result.err.contains("active member"), result.toString());
            result = run("", "groups", "delete", "--bootstrap", bootstrap, "--group", "cli-group");
            assertEquals(1, result.code, result.toString());
            assertTrue(result.err.contains("NON_EMPTY_GROUP"), result.toString());

            result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "cli-group");
            assertEquals("", result.err, "a stable group needs no remark: " + result);
            rows = describeRows(result.out);
            assertEquals(member.groupMetadata().memberId(), rows.get(0)[6], result.toString());
            assertEquals(member.groupMetadata().memberId(), rows.get(1)[6], result.toString());
        }

        result = run("", "groups", "delete", "--bootstrap", bootstrap, "--group", "cli-group");
        assertEquals(0, result.code, result.toString());
        assertEquals("", run("", "groups", "list", "--bootstrap", bootstrap).out);
        result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group", "cli-group");
        assertEquals(1, result.code, result.toString());
        assertTrue(result.err.contains("GROUP_ID_NOT_FOUND"), result.toString());
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "gt", "--group", "g", "--partition", "0");
        assertEquals(2, result.code, result.toString());
    }

    /**
     * The rows of {@code groups describe} by partition, split on whitespace, checking the header first.
     */
    static Map<Integer, String[]> describeRows(final String out)
    {
        final Map<Integer, String[]> rows = new TreeMap<>();
        for (final String[] row : tableRows(out, DESCRIBE_HEADER))
        {
            rows.put(Integer.parseInt(row[2]), row);
        }
        return rows;
    }

    static final List<String> DESCRIBE_HEADER = List.of("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
        "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");

    /**
     * The rows of every table with this header in a command's output, each split on whitespace, checking that
     * there is such a table, that every row has a cell a column and that the columns line up: each cell
     * starts where its header does.
     */
    static List<String[]> tableRows(final String out, final List<String> header)
    {
        final List<String[]> rows = new java.util.ArrayList<>();
        int[] starts = null;
        for (final String line : out.split("\n"))
        {
            final String[] cells = line.trim().split("\\s+");
            if (List.of(cells).equals(header))
            {
                starts = columnStarts(line);
            }
            else if (line.isEmpty())
            {
                starts = null;
            }
            else if (null != starts)
            {
                assertEquals(header.size(), cells.length, "a cell for every column: " + line + "\n" + out);
                final int[] cellStarts = columnStarts(line);
                assertEquals(java.util.Arrays.toString(starts), java.util.Arrays.toString(cellStarts),
                    "aligned with the header:\n" + out);
                rows.add(cells);
            }
        }
        assertTrue(!rows.isEmpty(), "no rows under " + header + ":\n" + out);
        return rows;
    }

    private static int[] columnStarts(final String line)
    {
        final List<Integer> starts = new java.util.ArrayList<>();
        for (int i = 0; i < line.length(); i++)
        {
            if (line.charAt(i) != ' ' && (0 == i || line.charAt(i - 1) == ' '))
            {
                starts.add(i);
            }
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String sortedLines(final String out)
    {
        final List<String> lines = new java.util.ArrayList<>(List.of(out.split("\n")));
        java.util.Collections.sort(lines);
        return String.join("\n", lines) + "\n";
    }

    @Test
    void bootstrapServerIsTheBootstrapsKafkaSpelling()
    {
        Result result = run("", "topics", "create", "--bootstrap-server", bootstrap, "--topic", "ks");
        assertEquals(0, result.code, result.toString());
        result = run("a\nb\n", "produce", "--bootstrap-server", bootstrap, "--topic", "ks");
        assertEquals(0, result.code, result.toString());
        result = run("", "consume", "--bootstrap-server", bootstrap, "--topic", "ks", "--from-beginning",
            "--max-messages", "2", "--timeout-ms", "5000");
        assertEquals("a\nb\n", result.out, result.toString());
        result = run("", "topics", "list", "--bootstrap-server", bootstrap);
        assertEquals("ks\n", result.out, result.toString());
        result = run("", "groups", "list", "--bootstrap-server", bootstrap);
        assertEquals(0, result.code, result.toString());
    }

    @Test
    void topicsCreateIfNotExistsAndDeleteIfExistsSucceedWhenThereIsNothingToDo()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "once").code);
        Result result = run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "once");
        assertEquals(1, result.code, result.toString());
        assertTrue(result.err.contains("TOPIC_ALREADY_EXISTS"), result.toString());

        result = run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "once", "--if-not-exists");
        assertEquals(0, result.code, result.toString());
        assertEquals("topic once already exists\n", result.out, result.toString());

        result = run("", "topics", "delete", "--bootstrap", bootstrap, "--topic", "never");
        assertEquals(1, result.code, result.toString());
        result = run("", "topics", "delete", "--bootstrap", bootstrap, "--topic", "never", "--if-exists");
        assertEquals(0, result.code, result.toString());
        assertEquals("topic never does not exist\n", result.out, result.toString());

        result = run("", "topics", "delete", "--bootstrap", bootstrap, "--topic", "once", "--if-exists");
        assertEquals(0, result.code, result.toString());
        assertEquals("deleted topic once\n", result.out, result.toString());
        assertEquals("", run("", "topics", "list", "--bootstrap", bootstrap).out);
    }

    @Test
    void consumeOffsetTakesEarliestAndLatest()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "ends").code);
        assertEquals(0, run("a\nb\nc\n", "produce", "--bootstrap", bootstrap, "--topic", "ends").code);

        Result result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ends", "--offset", "earliest",
            "--max-messages", "3", "--timeout-ms", "5000");
        assertEquals(0, result.code, result.toString());
        assertEquals("a\nb\nc\n", result.out, result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ends", "--offset", "latest",
            "--timeout-ms", "300");
        assertEquals(0, result.code, result.toString());
        assertEquals("", result.out, result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ends", "--offset", "1",
            "--max-messages", "2", "--timeout-ms", "5000");
        assertEquals("b\nc\n", result.out, result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ends", "--offset", "first");
        assertEquals(2, result.code, result.toString());
        assertTrue(result.err.contains("earliest, latest"), result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ends", "--group", "ends-group",
            "--offset", "earliest", "--max-messages", "3", "--timeout-ms", "10000");
        assertEquals(0, result.code, result.toString());
        assertEquals("a\nb\nc\n", result.out, "a group without committed offsets starts at the earliest: " + result);
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ends", "--group", "ends-group",
            "--offset", "1");
        assertEquals(2, result.code, result.toString());
    }

    @Test
    void clientSettingsGoByTheirPropertyNamesAndExplicitFlagsWin()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "props").code);
        Result result = run("a\nb\n", "produce", "--bootstrap", bootstrap, "--topic", "props",
            "--producer-property", "acks=1", "--property", "linger.ms=0");
        assertEquals(0, result.code, result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "props",
            "--consumer-property", "auto.offset.reset=earliest", "--max-messages", "2", "--timeout-ms", "5000");
        assertEquals(0, result.code, result.toString());
        assertEquals("a\nb\n", result.out, "auto.offset.reset=earliest reads from the start: " + result);

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "props",
            "--property", "auto.offset.reset=earliest", "--offset", "latest", "--timeout-ms", "300");
        assertEquals(0, result.code, result.toString());
        assertEquals("", result.out, "the explicit --offset wins over the property: " + result);

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "props", "--consumer-property",
            "group.id=props-group", "--property", "auto.offset.reset=earliest", "--max-messages", "2",
            "--timeout-ms", "10000");
        assertEquals("a\nb\n", result.out, result.toString());
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "props", "--consumer-property",
            "group.id=props-group", "--property", "auto.offset.reset=earliest", "--timeout-ms", "500");
        assertEquals(0, result.code, result.toString());
        assertEquals("", result.out, "group.id joined the group, which committed what it printed: " + result);

        result = run("x".repeat(200) + "\n", "produce", "--bootstrap", bootstrap, "--topic", "props",
            "--producer-property", "max.record.size=100");
        assertEquals(1, result.code, result.toString());
        assertTrue(result.err.contains("max.record.size of 100 bytes"), result.toString());

        result = run("a\n", "produce", "--bootstrap", bootstrap, "--topic", "props", "--property", "nonsense=1");
        assertEquals(2, result.code, result.toString());
        assertTrue(result.err.contains("unknown producer property 'nonsense'") && result.err.contains("acks"),
            result.toString());
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "props",
            "--consumer-property", "auto.offset.reset=smallest");
        assertEquals(2, result.code, result.toString());
        assertTrue(result.err.contains("property auto.offset.reset takes earliest, latest or none, was 'smallest'"),
            result.toString());
        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "props", "--consumer-property", "acks");
        assertEquals(2, result.code, result.toString());
        assertTrue(result.err.contains("KEY=VALUE"), result.toString());
    }

    @Test
    void groupsDescribeAllGroupsDescribesEachGroup()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "ag").code);
        assertEquals(0, run("a\nb\n", "produce", "--bootstrap", bootstrap, "--topic", "ag").code);
        assertEquals(0, run("", "groups", "reset-offsets", "--bootstrap", bootstrap, "--group", "first",
            "--topic", "ag", "--to-earliest", "--execute").code);
        assertEquals(0, run("", "groups", "reset-offsets", "--bootstrap", bootstrap, "--group", "second",
            "--topic", "ag", "--to-latest", "--execute").code);

        final Result result = run("", "groups", "describe", "--bootstrap", bootstrap, "--all-groups");
        assertEquals(0, result.code, result.toString());
        final List<String[]> rows = tableRows(result.out, DESCRIBE_HEADER);
        assertEquals(2, rows.size(), result.toString());
        assertEquals(List.of("first", "ag", "0", "0", "2", "2", "-", "-", "-"), List.of(rows.get(0)),
            result.toString());
        assertEquals(List.of("second", "ag", "0", "2", "2", "0", "-", "-", "-"), List.of(rows.get(1)),
            result.toString());
        assertTrue(result.out.contains("\n\nGROUP "), "a blank line between the groups: " + result);
        assertEquals("Consumer group 'first' has no active members.\n" +
            "Consumer group 'second' has no active members.\n", result.err, result.toString());

        final Result members = run("", "groups", "describe", "--bootstrap", bootstrap, "--all-groups", "--members");
        assertEquals(0, members.code, members.toString());
        assertEquals("", members.out, "no members in either group, no tables, no blank lines: " + members);
        assertEquals(result.err, members.err, members.toString());

        final Result neither = run("", "groups", "describe", "--bootstrap", bootstrap);
        assertEquals(2, neither.code, neither.toString());
    }

    @Test
    void consumingATopicThatDoesNotExistSaysSoAndFails()
    {
        for (final String[] args : new String[][]{
            {"consume", "--bootstrap", bootstrap, "--topic", "nowhere", "--timeout-ms", "300"},
            {"consume", "--bootstrap", bootstrap, "--topic", "nowhere", "--group", "lost", "--timeout-ms", "300"}})
        {
            final Result result = run("", args);
            assertEquals(1, result.code, result.toString());
            assertEquals("spindle consume: UNKNOWN_TOPIC_OR_PARTITION: topic 'nowhere' does not exist\n", result.err,
                result.toString());
        }
    }

    @Test
    void produceToALostBrokerReportsWhatWasAckedAndFails()
    {
        final Result created = run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "lost");
        assertEquals(0, created.code, created.toString());
        broker.close();
        final long startNs = System.nanoTime();
        final Result result = run("one\ntwo\n", "produce", "--bootstrap", bootstrap, "--topic", "lost",
            "--delivery-timeout-ms", "3000");
        assertEquals(1, result.code, result.toString());
        assertTrue(result.err.contains("acked 0"), result.toString());
        assertTrue(System.nanoTime() - startNs < 30_000_000_000L, "produce hung");
        broker = StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("data"))
            .embeddedDriverDirectoryName(aeronDir)
            .driverDirDeleteOnStart(true)
            .udpEnabled(false));
    }

    @Test
    void produceReportsEachRecordTooLargeByLineAndSendsTheRest()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "sizes",
            "--config", "max.message.bytes=2000").code);
        final StringBuilder input = new StringBuilder();
        final StringBuilder expected = new StringBuilder();
        for (int line = 1; line <= 700; line++)
        {
            final String value = 501 == line ? "x".repeat(3000) : 601 == line ? "y".repeat(2 * 1024 * 1024) :
                "r-" + line;
            input.append(value).append('\n');
            if (501 != line && 601 != line)
            {
                expected.append(value).append('\n');
            }
        }

        final Result result = run(input.toString(), "produce", "--bootstrap", bootstrap, "--topic", "sizes");
        assertEquals(1, result.code, result.toString());
        assertTrue(result.err.contains("acked 698"), result.toString());
        assertTrue(result.err.contains("line 501 (3000 bytes) to partition 0 failed: RECORD_TOO_LARGE " +
            "(larger than the topic's max.message.bytes)"), result.toString());
        assertTrue(result.err.contains("line 601 (2097152 bytes) to partition 0 failed: RECORD_TOO_LARGE " +
            "(larger than the producer's max.record.size of 1048576 bytes)"), result.toString());
        assertEquals(2, result.err.split("failed").length - 1, result.toString());

        final Result consumed = run("", "consume", "--bootstrap", bootstrap, "--topic", "sizes", "--from-beginning",
            "--max-messages", "698", "--timeout-ms", "10000");
        assertEquals(0, consumed.code, consumed.toString());
        assertEquals(expected.toString(), consumed.out);
    }

    @Test
    void clientCommandsTakeTheBrokersDriverDirectoryAndLeaveItAlone()
    {
        Result result = run("", "topics", "create", "--bootstrap", "ipc", "--aeron-dir", aeronDir, "--topic", "d");
        assertEquals(0, result.code, result.toString());
        result = run("x\n", "produce", "--bootstrap", "ipc", "--aeron-dir", aeronDir, "--topic", "d");
        assertEquals(0, result.code, result.toString());
        result = run("", "consume", "--bootstrap", "ipc", "--aeron-dir", aeronDir, "--topic", "d", "--from-beginning",
            "--max-messages", "1", "--timeout-ms", "5000");
        assertEquals("x\n", result.out, result.toString());
        result = run("", "groups", "list", "--bootstrap", "ipc", "--aeron-dir", aeronDir);
        assertEquals(0, result.code, result.toString());

        // A UDP client given the broker's directory uses the broker's driver; it neither deletes nor replaces it.
        result = run("", "topics", "list", "--bootstrap", bootstrap, "--aeron-dir", aeronDir);
        assertEquals("d\n", result.out, result.toString());
        result = run("", "topics", "list", "--bootstrap", bootstrap);
        assertEquals("d\n", result.out, result.toString());
        assertEquals(null, broker.failure());
    }

    @Test
    void mistakesGetOneLineAndANonZeroStatus() throws Exception
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "busy").code);
        Result result = run("x\n", "produce", "--bootstrap", bootstrap, "--topic", "busy", "--partition", "-2");
        assertEquals(2, result.code, result.toString());
        assertEquals("spindle produce: --partition must be a partition number (0 or more), or -1 to choose by key, " +
            "was -2\n", result.err);

        final String badPort = "127.0.0.1:99999";
        for (final String[] args : new String[][]{
            {"topics", "list", "--bootstrap", badPort},
            {"groups", "list", "--bootstrap", badPort},
            {"consume", "--bootstrap", badPort, "--topic", "busy", "--timeout-ms", "100"},
            {"produce", "--bootstrap", badPort, "--topic", "busy"}})
        {
            result = run("x\n", args);
            assertTrue(result.code != 0, result.toString());
            assertTrue(result.err.startsWith("spindle " + args[0]) &&
                result.err.contains("bad port in bootstrap '127.0.0.1:99999': must be 1-65535") &&
                !result.err.contains("\tat "), result.toString());
            assertTrue(result.err.split("\n").length <= 2, "one line (and produce's count): " + result);
        }

        // A second broker on the running broker's driver directory.
        System.setProperty("spindle.embedded.driver.dir", aeronDir);
        try
        {
            result = run("", "broker", "--data-dir", dir.resolve("second").toString(), "--listen", "127.0.0.1:0");
        }
        finally
        {
            System.clearProperty("spindle.embedded.driver.dir");
        }
        assertEquals(1, result.code, result.toString());
        assertTrue(result.err.startsWith("spindle broker: a media driver is already running in " + aeronDir) &&
            result.err.split("\n").length == 1, result.toString());

        // A partition directory whose log is held open elsewhere.
        broker.close();
        final Path recoveryPoint = dir.resolve("data").resolve("busy-0").resolve("recovery-point");
        final String otherAeronDir = aeronDir + "-other";
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(recoveryPoint,
            java.nio.file.StandardOpenOption.WRITE);
            java.nio.channels.FileLock lock = channel.lock())
        {
            assertTrue(lock.isValid());
            System.setProperty("spindle.embedded.driver.dir", otherAeronDir);
            result = run("", "broker", "--data-dir", dir.resolve("data").toString(), "--listen", "127.0.0.1:0");
        }
        finally
        {
            System.clearProperty("spindle.embedded.driver.dir");
            IoUtil.delete(new java.io.File(otherAeronDir), true);
        }
        assertEquals(1, result.code, result.toString());
        assertTrue(result.err.startsWith("spindle broker: partition log directory is in use by another log") &&
            result.err.split("\n").length == 1, result.toString());

        broker = StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("data"))
            .embeddedDriverDirectoryName(aeronDir)
            .driverDirDeleteOnStart(true)
            .udpEnabled(false));
    }

    static Result run(final String stdin, final String... args)
    {
        final InputStream oldIn = System.in;
        final PrintStream oldOut = System.out;
        final PrintStream oldErr = System.err;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        try
        {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            final int code = SpindleCli.commandLine().execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    record Result(int code, String out, String err)
    {
    }
}
