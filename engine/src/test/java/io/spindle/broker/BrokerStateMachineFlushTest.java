package io.spindle.broker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import io.spindle.log.LogConfig;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link BrokerStateMachine#flush}, which a cluster member runs before it writes a snapshot: every partition's
 * recovery point (what a restart trusts as on the device) reaches its log end, under the default {@code never} flush
 * policy too.
 */
class BrokerStateMachineFlushTest
{
    @TempDir
    Path dir;

    private final BrokerRequests requests = new BrokerRequests();
    private final ExpandableArrayBuffer request = requests.buffer();

    @Test
    void flushAdvancesEveryPartitionsRecoveryPointToItsLogEnd() throws IOException
    {
        try (BrokerStateMachine machine = new BrokerStateMachine(
            dir, 0, "h:1", new LogConfig().conclude(), new NoHost()))
        {
            machine.onRequest(1, CreateTopicsRequestEncoder.TEMPLATE_ID, request, 0,
                requests.createTopic("t", 2, Map.of()), 1000);
            final int topicId = machine.topic("t").id();
            for (int i = 0; i < 5; i++)
            {
                machine.onRequest(1, ProduceRequestEncoder.TEMPLATE_ID, request, 0,
                    requests.produce(topicId, 1, 3, 1_000L), 2000);
            }
            assertEquals(15, machine.topic("t").partition(1).logEndOffset());
            assertEquals(List.of(0L, 0L), recoveryPoints(), "flushed before it was asked to");

            machine.flush(3000);
            assertEquals(List.of(0L, 15L), recoveryPoints());
        }
    }

    /**
     * The valid recovery points of the partitions, in order; a new, torn or damaged file counts as 0.
     */
    private List<Long> recoveryPoints() throws IOException
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            return files.filter((path) -> path.getFileName().toString().equals("recovery-point"))
                .map(BrokerStateMachineFlushTest::recoveryPoint).sorted().toList();
        }
    }

    private static long recoveryPoint(final Path file)
    {
        try
        {
            final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            return bytes.capacity() >= 16 && bytes.getLong(8) == ~bytes.getLong(0) ? bytes.getLong(0) : 0;
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private static final class NoHost implements Host
    {
        public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
        {
        }

        public void scheduleTimer(final long correlationId, final long deadlineMs)
        {
        }

        public void cancelTimer(final long correlationId)
        {
        }

        public boolean timersSurviveRestore()
        {
            return false;
        }

        public void onStorageFailure(final String what, final Throwable cause)
        {
        }
    }
}
