/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.spindle.codecs.Transport;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.tools.CliEndToEndTest.Result;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.spindle.tools.CliEndToEndTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spindle errors} shows what a broker recorded in its mark file's error log: the torn tail it cut from a
 * segment at recovery, and malformed frames sent to it, counted by kind, with first and last times; found from the
 * data directory or from the driver directory; still there after the broker stopped; saved aside by the next start.
 */
@Timeout(60)
class CliErrorsTest
{
    private static final int TORN_BYTES = 100;

    @TempDir
    Path dir;

    @Test
    void aTornTailCutAtRecoveryIsAWarningInTheErrorLog() throws IOException
    {
        final Path dataDir = dir.resolve("data");
        try (CliBroker broker = CliBroker.start(dataDir, "cli-errors-torn"))
        {
            assertEquals(0, run("", "topics", "create", "--bootstrap", broker.bootstrap(), "--topic", "t",
                "--config", "segment.bytes=1m").code());
            assertEquals(0, run("a\nb\nc\n", "produce", "--bootstrap", broker.bootstrap(), "--topic", "t").code());
        }
        tearTail(dataDir.resolve("t-0").resolve("00000000000000000000.log"));

        try (CliBroker broker = CliBroker.start(dataDir, "cli-errors-torn"))
        {
            final Result errors = run("", "errors", "--data-dir", dataDir.toString());
            assertEquals(0, errors.code(), errors.toString());
            assertTrue(errors.out().contains("1 observations from "), errors.out());
            assertTrue(errors.out().contains("io.spindle.monitor.SpindleWarning: partition t-0 recovered after a "),
                errors.out());
            assertTrue(errors.out().contains(
                "segment 0: cut 1 batch(es), " + TORN_BYTES + " bytes of torn tail"), errors.out());
            assertTrue(errors.out().contains("1 distinct errors observed."), errors.out());

            final Result consumed = run("", "consume", "--bootstrap", broker.bootstrap(), "--topic", "t",
                "--from-beginning", "--max-messages", "3", "--timeout-ms", "5000");
            assertEquals("a\nb\nc\n", consumed.out(), "the valid batches before the torn tail are kept");
        }
    }

    @Test
    void malformedFramesAreCountedByKindAndFoundFromTheDataOrDriverDirectory() throws InterruptedException
    {
        final Path dataDir = dir.resolve("data");
        try (CliBroker broker = CliBroker.start(dataDir, "cli-errors-malformed"))
        {
            try (Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(broker.aeronDir()));
                Publication publication = aeron.addPublication(Transport.IPC_CHANNEL, Transport.CONTROL_STREAM_ID))
            {
                final UnsafeBuffer garbage = new UnsafeBuffer(new byte[]{ 1, 2, 3 });
                int sent = 0;
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (sent < 3 && System.nanoTime() < deadlineNs)
                {
                    if (publication.offer(garbage) > 0)
                    {
                        sent++;
                    }
                    else
                    {
                        Thread.sleep(1);
                    }
                }
                assertEquals(3, sent, "frames sent");
            }

            final String expected = "3 observations from ";
            Result errors = run("", "errors", "--data-dir", dataDir.toString());
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!errors.out().contains(expected) && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(20);
                errors = run("", "errors", "--data-dir", dataDir.toString());
            }
            assertTrue(errors.out().contains(expected), errors.out());
            assertTrue(errors.out().contains(
                "io.spindle.monitor.MalformedRequestException: malformed request on the control stream: TOO_SHORT"),
                errors.out());
            assertTrue(errors.out().contains("3 errors observed"), errors.out());

            final Result fromDriver = run("", "errors", "--aeron-dir", broker.aeronDir());
            assertEquals(0, fromDriver.code(), fromDriver.toString());
            assertTrue(fromDriver.out().startsWith("media driver " + broker.aeronDir()), fromDriver.out());
            assertTrue(fromDriver.out().contains("broker 0 (" + dataDir.toAbsolutePath()), fromDriver.out());
            assertTrue(fromDriver.out().contains("malformed request on the control stream: TOO_SHORT"),
                fromDriver.out());
        }

        final Result afterStop = run("", "errors", "--data-dir", dataDir.toString());
        assertTrue(afterStop.out().contains("malformed request on the control stream: TOO_SHORT"), afterStop.out());

        final CliBroker restartedBroker = CliBroker.start(dataDir, "cli-errors-malformed");
        try
        {
            final Result restarted = run("", "errors", "--data-dir", dataDir.toString());
            assertTrue(restarted.out().contains("0 distinct errors observed."), restarted.out());
            assertTrue(restarted.out().contains("errors of earlier runs: spindle-errors-"), restarted.out());
        }
        finally
        {
            restartedBroker.close();
        }
    }

    @Test
    void refusesADirectoryWithoutAMarkFile()
    {
        final Result result = run("", "errors", "--data-dir", dir.toString());
        assertEquals(1, result.code(), result.toString());
        assertTrue(result.err().contains("no spindle-mark.dat in " + dir), result.toString());
    }

    /**
     * Non-zero bytes right after the last batch, as a crash in the middle of writing one leaves them.
     */
    private static void tearTail(final Path segment) throws IOException
    {
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw"))
        {
            final byte[] bytes = new byte[(int)file.length()];
            file.readFully(bytes);
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            int end = 0;
            int batches = 0;
            while (end + RecordBatch.HEADER_LENGTH <= bytes.length &&
                buffer.getInt(end + RecordBatch.BATCH_LENGTH_OFFSET, RecordBatch.BYTE_ORDER) > 0)
            {
                end += buffer.getInt(end + RecordBatch.BATCH_LENGTH_OFFSET, RecordBatch.BYTE_ORDER);
                batches++;
            }
            assertTrue(batches > 0, "the segment holds the batches");
            final byte[] torn = new byte[TORN_BYTES];
            java.util.Arrays.fill(torn, (byte)0x5A);
            file.seek(end);
            file.write(torn);
        }
    }
}
