/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.File;
import java.nio.file.Path;

import io.aeron.CommonContext;
import io.spindle.host.StandaloneBroker;
import org.agrona.IoUtil;
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

    private StandaloneBroker broker;
    private String bootstrap;
    private String aeronDir;

    @BeforeEach
    void startBroker()
    {
        aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-cli-txn-" + System.nanoTime();
        broker = StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dir.resolve("data"))
            .embeddedDriverDirectoryName(aeronDir)
            .driverDirDeleteOnStart(true)
            .listen("127.0.0.1", 0));
        bootstrap = broker.udpEndpoint();
        assertEquals(0, run("", "topics", "create", "--bootstrap", bootstrap, "--topic", "ledger", "--partitions",
            "1").code());
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
        IoUtil.delete(new File(aeronDir), true);
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
    void anUnknownIsolationLevelIsRefused()
    {
        final CliEndToEndTest.Result result = run("", "consume", "--bootstrap", bootstrap, "--topic", "ledger",
            "--isolation-level", "serializable", "--timeout-ms", "100");
        assertEquals(2, result.code(), result.toString());
        assertTrue(result.err().contains("read_committed or read_uncommitted"), result.toString());
    }

    private CliEndToEndTest.Result consume(final String level, final int max)
    {
        return run("", "consume", "--bootstrap", bootstrap, "--topic", "ledger", "--from-beginning",
            "--isolation-level", level, "--max-messages", String.valueOf(max), "--timeout-ms", "2000");
    }
}
