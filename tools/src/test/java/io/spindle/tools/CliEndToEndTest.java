package io.spindle.tools;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

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
            "--key-separator", "|", "--partition", "1", "--acks", "all");
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

    private static Result run(final String stdin, final String... args)
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

    private record Result(int code, String out, String err)
    {
    }
}
