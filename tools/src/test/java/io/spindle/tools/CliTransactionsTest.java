/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.codecs.protocol.IsolationLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.CliEndToEndTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle produce --transactional-id} and {@code spindle consume --isolation-level} as a user drives them:
 * transactions of N input records, the counts they report, an open transaction aborted when the input goes bad,
 * and what each isolation level then reads.
 */
@Timeout(90)
class CliTransactionsTest
{
    @TempDir
    Path dir;

    private CliBroker broker;
    private String bootstrap;

    @BeforeEach
    void startBroker()
    {
        broker = CliBroker.start(dir.resolve("data"), "cli-txn");
        bootstrap = broker.bootstrap();
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "ledger", "--partitions",
            "1").code());
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
    }

    @Test
    void producesInTransactionsOfNRecordsAndReadCommittedSeesThemAll()
    {
        final CliEndToEndTest.Result result = run("e1\ne2\ne3\ne4\ne5\n", "produce", "--bootstrap", bootstrap,
            "--topic", "ledger", "--transactional-id", "ledger-writer", "--transaction-records", "2");
        assertEquals(0, result.code(), result.toString());
        assertTrue(result.err().contains("committed 3 transactions, acked 5"), result.toString());

        assertEquals("e1\ne2\ne3\ne4\ne5\n", consume("read_committed", 5).out());
    }

    @Test
    void aBadLineAbortsTheOpenTransactionAndOnlyCommittedOnesAreRead()
    {
        final CliEndToEndTest.Result result = run("a:1\nb:2\nc:3\nbad\n", "produce", "--bootstrap", bootstrap,
            "--topic", "ledger", "--key-separator", ":", "--transactional-id", "ledger-writer",
            "--transaction-records", "2");
        assertEquals(2, result.code(), result.toString());
        assertTrue(result.err().contains("line 4 has no key separator"), result.toString());
        assertTrue(result.err().contains("committed 1 transactions, acked 2"), result.toString());

        // Aborted, not left open: a record written after it is read_committed at once (an open transaction would
        // hold the last stable offset before it). The aborted record is in the log: only read_uncommitted sees it.
        assertEquals(0, run("4\n", "produce", "--bootstrap", bootstrap, "--topic", "ledger").code());
        assertEquals("1\n2\n3\n4\n", consume("read_uncommitted", 4).out());
        final CliEndToEndTest.Result committed = consume("read_committed", 3);
        assertEquals("1\n2\n4\n", committed.out(), committed.toString());
    }

    @Test
    void aReadCommittedGroupsLagIsMeasuredToTheLastStableOffset()
    {
        assertEquals(0, run("p0\np1\n", "produce", "--bootstrap", bootstrap, "--topic", "ledger").code());
        final Producer.Context producerCtx = new Producer.Context().transactionalId("open-writer");
        producerCtx.bootstrap(bootstrap);
        final Consumer.Context consumerCtx = new Consumer.Context()
            .groupId("auditors")
            .isolationLevel(IsolationLevel.READ_COMMITTED)
            .enableAutoCommit(false)
            .autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        consumerCtx.bootstrap(bootstrap);
        try (Producer producer = Producer.connect(producerCtx);
            Consumer consumer = Consumer.connect(consumerCtx))
        {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 3; i++)
            {
                producer.send("ledger", 0, null, ("t" + i).getBytes(StandardCharsets.UTF_8), null);
            }
            producer.flush();

            consumer.subscribe(List.of("ledger"));
            final int[] seen = {0};
            final long deadlineNs = System.nanoTime() + 20_000_000_000L;
            while (seen[0] < 2 && System.nanoTime() - deadlineNs < 0)
            {
                consumer.poll((record) -> seen[0]++, 10, 100);
            }
            assertEquals(2, seen[0], "read_committed consumer reads up to the open transaction");
            consumer.commitSync();

            // Offsets 2-4 belong to the open transaction: the group is not behind them yet.
            assertEquals("auditors ledger 0 2 2 0", row(describe()));

            producer.commitTransaction();
            // Committed (its marker is offset 5): now they are the group's to read.
            assertEquals("auditors ledger 0 2 6 4", row(describe()));
        }
    }

    @Test
    void anUnknownIsolationLevelIsRefused()
    {
        final CliEndToEndTest.Result result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ledger",
            "--isolation-level", "serializable", "--timeout-ms", "100");
        assertEquals(2, result.code(), result.toString());
        assertTrue(result.err().contains("read_committed or read_uncommitted"), result.toString());
    }

    private String describe()
    {
        final CliEndToEndTest.Result result = run("", "groups", "describe", "--bootstrap", bootstrap, "--group",
            "auditors");
        assertEquals(0, result.code(), result.toString());
        return result.out();
    }

    /**
     * The first data row's GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG, single-spaced.
     */
    private static String row(final String table)
    {
        final String[] columns = table.split("\n")[1].trim().split("\\s+");
        return String.join(" ", List.of(columns).subList(0, 6));
    }

    private CliEndToEndTest.Result consume(final String level, final int max)
    {
        return run("", "consume", "--bootstrap", bootstrap, "--topic", "ledger", "--from-beginning",
            "--isolation-level", level, "--max-messages", String.valueOf(max), "--timeout-ms", "2000");
    }
}
