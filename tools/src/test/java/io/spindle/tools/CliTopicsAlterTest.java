/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.spindle.log.LogConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.CliEndToEndTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle topics alter} and the sources {@code topics describe} names (issue #16), against a real broker over
 * UDP whose topics default to a segment.ms of its own: config overrides set and deleted, partitions added and used at
 * once by producers and consumers, and the refusals, each naming what was wrong and exiting 1.
 */
@Timeout(120)
class CliTopicsAlterTest
{
    @TempDir
    Path dir;

    private CliBroker broker;
    private String bootstrap;

    @BeforeEach
    void startBroker()
    {
        broker = CliBroker.start(dir.resolve("data"), "cli-alter", new LogConfig().segmentMs(3_600_000).conclude());
        bootstrap = broker.bootstrap();
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
    }

    @Test
    void alterSetsAndDeletesOverridesAndDescribeNamesEachSource()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "cfg",
            "--config", "retention.ms=60000").code());
        Map<String, List<String>> configs = describeConfigs("cfg");
        assertEquals(List.of("60000", "topic"), configs.get("retention.ms"));
        assertEquals(List.of("3600000", "broker"), configs.get("segment.ms"));
        assertEquals(List.of("1048576", "default"), configs.get("max.message.bytes"));
        assertEquals(List.of("delete", "default"), configs.get("cleanup.policy"));

        CliEndToEndTest.Result result = run("", "topics", "alter", "--bootstrap", bootstrap, "--topic", "cfg",
            "--config", "segment.bytes=1m,cleanup.policy=compact,delete", "--config", "retention.bytes=10m");
        assertEquals(0, result.code(), result.toString());
        assertEquals("altered topic cfg: segment.bytes=1m, cleanup.policy=compact,delete, retention.bytes=10m\n",
            result.out(), result.toString());
        configs = describeConfigs("cfg");
        assertEquals(List.of("1048576", "topic"), configs.get("segment.bytes"));
        assertEquals(List.of("compact,delete", "topic"), configs.get("cleanup.policy"),
            "a value holding commas stays whole");
        assertEquals(List.of("10485760", "topic"), configs.get("retention.bytes"));
        assertEquals(List.of("60000", "topic"), configs.get("retention.ms"), "an override not named stays");

        result = run("", "topics", "alter", "--bootstrap", bootstrap, "--topic", "cfg",
            "--delete-config", "retention.ms,cleanup.policy", "--delete-config", "segment.ms");
        assertEquals(0, result.code(), result.toString());
        configs = describeConfigs("cfg");
        assertEquals(List.of("604800000", "default"), configs.get("retention.ms"), "the default applies again");
        assertEquals(List.of("delete", "default"), configs.get("cleanup.policy"));
        assertEquals(List.of("3600000", "broker"), configs.get("segment.ms"), "deleting a key not set is harmless");
        assertEquals(List.of("1048576", "topic"), configs.get("segment.bytes"));

        result = run("", "topics", "describe", "--bootstrap", bootstrap, "--topic", "cfg");
        assertTrue(result.out().contains("\nConfigs: segment.bytes=1048576,retention.bytes=10485760\n"),
            result.toString());
    }

    @Test
    void aBadAlterIsRefusedNamingTheReasonAndChangesNothing()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "bad", "--partitions", "2",
            "--config", "retention.ms=60000").code());

        assertRefused("invalid retention.bytes=lots", "--topic", "bad", "--config", "retention.ms=1000",
            "--config", "retention.bytes=lots");
        assertRefused("unknown log config 'retention.minutes'", "--topic", "bad", "--config", "retention.minutes=5");
        assertRefused("must not exceed segment.bytes", "--topic", "bad", "--config", "max.message.bytes=1g");
        assertRefused("cannot delete unknown config 'nope'", "--topic", "bad", "--delete-config", "nope");
        assertRefused("topic 'bad' has 2 partitions and asked for 1: partitions can only be added",
            "--topic", "bad", "--partitions", "1");
        assertRefused("has 2 partitions and asked for 2", "--topic", "bad", "--partitions", "2");
        assertRefused("topic 'missing' does not exist", "--topic", "missing", "--config", "retention.ms=1000");
        assertRefused("nothing to alter", "--topic", "bad");
        assertRefused("--config expects KEY=VALUE, was 'retention.ms'", "--topic", "bad", "--config", "retention.ms");

        final Map<String, List<String>> configs = describeConfigs("bad");
        assertEquals(List.of("60000", "topic"), configs.get("retention.ms"), "all or nothing: " + configs);
        assertEquals(List.of("-1", "default"), configs.get("retention.bytes"));
        assertTrue(run("", "topics", "describe", "--bootstrap", bootstrap, "--topic", "bad").out()
            .contains("PartitionCount: 2"));
    }

    @Test
    void addedPartitionsTakeRecordsAtOnceAndConsumersReadThem()
    {
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "grow").code());
        assertEquals(0, run("a\nb\n", "produce", "--bootstrap", bootstrap, "--topic", "grow", "--partition", "0")
            .code());

        CliEndToEndTest.Result result = run("", "topics", "alter", "--bootstrap", bootstrap, "--topic", "grow",
            "--partitions", "3");
        assertEquals(0, result.code(), result.toString());
        assertEquals("topic grow now has 3 partitions\n", result.out(), result.toString());
        assertTrue(run("", "topics", "describe", "--bootstrap", bootstrap, "--topic", "grow").out()
            .contains("PartitionCount: 3"));

        result = run("c\nd\n", "produce", "--bootstrap", bootstrap, "--topic", "grow", "--partition", "2");
        assertEquals(0, result.code(), result.toString());
        assertTrue(result.err().contains("acked 2"), result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "grow", "--partition", "2",
            "--from-beginning", "--max-messages", "2", "--timeout-ms", "5000", "--print-offset");
        assertEquals(0, result.code(), result.toString());
        assertEquals("2:0\tc\n2:1\td\n", result.out(), result.toString());

        result = run("", "consume", "--bootstrap", bootstrap, "--topic", "grow", "--group", "growers",
            "--from-beginning", "--max-messages", "4", "--timeout-ms", "10000", "--print-offset");
        assertEquals(0, result.code(), result.toString());
        assertEquals(List.of("0:0\ta", "0:1\tb", "2:0\tc", "2:1\td"),
            List.of(result.out().split("\n")).stream().sorted().toList(), "a group reads every partition: " + result);
    }

    private void assertRefused(final String reason, final String... args)
    {
        final String[] all = new String[args.length + 4];
        all[0] = "topics";
        all[1] = "alter";
        all[2] = "--bootstrap";
        all[3] = bootstrap;
        System.arraycopy(args, 0, all, 4, args.length);
        final CliEndToEndTest.Result result = run("", all);
        assertEquals(1, result.code(), result.toString());
        assertEquals("", result.out(), result.toString());
        assertTrue(result.err().startsWith("spindle topics: ") && result.err().contains(reason), result.toString());
    }

    /**
     * The describe's effective configuration table: by key, the value and its source.
     */
    private Map<String, List<String>> describeConfigs(final String topic)
    {
        final CliEndToEndTest.Result result = run("", "topics", "describe", "--bootstrap", bootstrap, "--topic", topic);
        assertEquals(0, result.code(), result.toString());
        final String[] lines = result.out().split("\n");
        final Map<String, List<String>> configs = new LinkedHashMap<>();
        boolean inTable = false;
        for (final String line : lines)
        {
            final String[] cells = line.trim().split("\\s+");
            if (List.of(cells).equals(List.of("KEY", "VALUE", "SOURCE")))
            {
                inTable = true;
            }
            else if (inTable)
            {
                assertEquals(3, cells.length, result.toString());
                configs.put(cells[0], List.of(cells[1], cells[2]));
            }
        }
        assertEquals(new LogConfig().toMap().size(), configs.size(), "one row per topic setting: " + result);
        return configs;
    }
}
