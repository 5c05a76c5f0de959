package io.spindle.host;

import java.io.File;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.aeron.logbuffer.LogBufferDescriptor;
import io.aeron.protocol.HeaderFlyweight;
import io.aeron.protocol.SetupFlyweight;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.codecs.Transport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What one forged Aeron SETUP frame sent to the broker's UDP port makes the broker's driver allocate. Aeron
 * 1.51 has no receiver-side cap on the term length a SETUP names, so an image log of three such terms is
 * created; the broker keeps it sparse (address space and apparent size, no memory) even when the operator
 * asked for pre-allocated term buffers, keeps serving, and the log goes when its sender goes quiet.
 */
@Timeout(120)
class ForgedSetupTest
{
    private static final int FORGED_TERM_LENGTH = 64 * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void aForgedSetupFrameCostsNoMemoryAndNothingOnceItsSenderStops() throws Exception
    {
        final String sparseProperty = "aeron.term.buffer.sparse.file";
        final String before = System.getProperty(sparseProperty);
        final TestBroker broker;
        System.setProperty(sparseProperty, "false");
        try
        {
            broker = TestBroker.start(dir.resolve("data"));
        }
        finally
        {
            if (null == before)
            {
                System.clearProperty(sparseProperty);
            }
            else
            {
                System.setProperty(sparseProperty, before);
            }
        }

        try (broker; DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)))
        {
            final String endpoint = broker.broker().udpEndpoint();
            final InetSocketAddress target = new InetSocketAddress("127.0.0.1",
                Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)));
            final byte[] frame = forgedSetup(0x5eed, FORGED_TERM_LENGTH);
            final File images = new File(broker.aeronDir(), "images");

            File image = null;
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (null == image && System.nanoTime() < deadlineNs)
            {
                socket.send(new DatagramPacket(frame, frame.length, target));
                image = awaitImage(images, 100);
            }
            assertTrue(null != image, "no image log for the forged SETUP");

            assertEquals(3L * FORGED_TERM_LENGTH + LogBufferDescriptor.LOG_META_DATA_LENGTH, image.length(),
                "the term length a SETUP names is taken as it is");
            final long allocated = allocatedBytes(image);
            assertTrue(allocated < 1024 * 1024, "the forged image's log holds memory: " + allocated + " bytes");

            try (Admin admin = Admin.connect(broker.ipc(new ClientContext())))
            {
                admin.createTopic("served", 1, Map.of());
            }

            // Silent sender: the image times out (aeron.image.liveness.timeout, 10 s) and its log is removed.
            final long goneDeadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (image.exists() && System.nanoTime() < goneDeadlineNs)
            {
                awaitImage(images, 200);
            }
            assertTrue(!image.exists(), "the forged image's log outlived its sender");
        }
    }

    private static byte[] forgedSetup(final int sessionId, final int termLength)
    {
        final byte[] bytes = new byte[SetupFlyweight.HEADER_LENGTH];
        final SetupFlyweight setup = new SetupFlyweight(new UnsafeBuffer(bytes));
        setup.frameLength(SetupFlyweight.HEADER_LENGTH);
        setup.version(HeaderFlyweight.CURRENT_VERSION);
        setup.flags((short)0);
        setup.headerType(HeaderFlyweight.HDR_TYPE_SETUP);
        setup.termOffset(0)
            .sessionId(sessionId)
            .streamId(Transport.CONTROL_STREAM_ID)
            .initialTermId(7)
            .activeTermId(7)
            .termLength(termLength)
            .mtuLength(1408)
            .ttl(0);
        return bytes;
    }

    /**
     * The image log in the directory, waiting up to the given time for one to appear.
     */
    private static File awaitImage(final File images, final long waitMs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        do
        {
            final File[] logs = images.listFiles((d, name) -> name.endsWith(".logbuffer"));
            if (null != logs && logs.length > 0)
            {
                return logs[0];
            }
            Thread.sleep(10);
        }
        while (System.nanoTime() < deadlineNs);
        return null;
    }

    private static long allocatedBytes(final File file) throws IOException, InterruptedException
    {
        final Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.getPath()).start();
        final String out = new String(stat.getInputStream().readAllBytes()).trim();
        assumeTrue(stat.waitFor(10, TimeUnit.SECONDS) && 0 == stat.exitValue(), "no stat(1) to read allocated blocks");
        final String[] fields = out.split(" ");
        return Long.parseLong(fields[0]) * Long.parseLong(fields[1]);
    }
}
