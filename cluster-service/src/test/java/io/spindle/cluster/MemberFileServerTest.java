package io.spindle.cluster;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.archive.TierManifest;
import io.spindle.codecs.batch.RecordBatch;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member's file server and its reader over UDP: a partition's segments are copied up to the end of their batches
 * (not an active segment's preallocated zeros), its indexes are not; a file read as another version than the one
 * listed is refused; names outside the member's data directory are refused by both sides; of the tier, the
 * manifests alone are served.
 */
@Timeout(30)
class MemberFileServerTest
{
    @TempDir
    Path dir;

    private MediaDriver driver;
    private Aeron aeron;
    private MemberFileServer server;
    private Thread serving;
    private final AtomicBoolean stop = new AtomicBoolean();
    private MemberFileClient client;

    @BeforeEach
    void start()
    {
        driver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(dir.resolve("aeron").toString())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
            .dirDeleteOnShutdown(true));
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir.resolve("aeron").toString())
            .errorHandler(Throwable::printStackTrace));
        final int port = ClusterNode.freeLoopbackPorts(1);
        server = new MemberFileServer(aeron, "aeron:udp?endpoint=localhost:" + port, dir.resolve("donor"), null,
            Throwable::printStackTrace);
        serving = new Thread(() ->
        {
            final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
            while (!stop.get())
            {
                idle.idle(server.poll(SystemNanoClock.INSTANCE.nanoTime()));
            }
        });
        serving.start();
        client = new MemberFileClient(aeron, 1, new ClusterNode.Endpoint("localhost", 0), 0,
            new ClusterNode.Endpoint("localhost", port), dir.resolve("target"),
            SystemNanoClock.INSTANCE.nanoTime() + 10_000_000_000L, (line) -> {});
        client.connect();
    }

    @AfterEach
    void close() throws InterruptedException
    {
        stop.set(true);
        if (null != serving)
        {
            serving.join(5_000);
        }
        CloseHelper.quietCloseAll(client, server, aeron, driver);
    }

    @Test
    void copiesAPartitionsSegmentsUpToTheirBatchesAndNotItsIndexes() throws Exception
    {
        final Path partition = Files.createDirectories(dir.resolve("donor/data/orders-0"));
        final byte[] sealed = batches(100, 80);
        Files.write(partition.resolve("00000000000000000000.log"), sealed);
        final byte[] active = Arrays.copyOf(batches(120), 4096); // preallocated: zeros after the batches
        Files.write(partition.resolve("00000000000000000002.log"), active);
        Files.write(partition.resolve("00000000000000000002.index"), new byte[64]);
        Files.write(partition.resolve("partition.metadata"), "topic_id: 1\n".getBytes());

        client.copyPartition("data/orders-0");

        final Path copy = dir.resolve("target/data/orders-0");
        assertArrayEquals(sealed, Files.readAllBytes(copy.resolve("00000000000000000000.log")));
        assertArrayEquals(batches(120), Files.readAllBytes(copy.resolve("00000000000000000002.log")));
        assertArrayEquals("topic_id: 1\n".getBytes(), Files.readAllBytes(copy.resolve("partition.metadata")));
        assertFalse(Files.exists(copy.resolve("00000000000000000002.index")));
    }

    @Test
    void refusesAFileOfAnotherVersionAndNamesOutsideTheDataDirectory() throws Exception
    {
        final Path partition = Files.createDirectories(dir.resolve("donor/data/orders-0"));
        final Path segment = partition.resolve("00000000000000000000.log");
        Files.write(segment, batches(100));
        Files.createDirectories(dir.resolve("target/data/orders-0"));
        final long key = MemberFileServer.fileKey(segment);

        final IllegalStateException replaced = assertThrows(IllegalStateException.class, () -> client.copyWhole(
            new MemberFileClient.Listed(100, key + 1, "data/orders-0/00000000000000000000.log")));
        assertTrue(replaced.getMessage().contains("changed data/orders-0/00000000000000000000.log"),
            replaced.getMessage());

        Files.createDirectories(dir.resolve("donor/cluster"));
        Files.write(dir.resolve("donor/cluster/recording.log"), new byte[16]);
        final IllegalStateException outside = assertThrows(IllegalStateException.class, () -> client.copyWhole(
            new MemberFileClient.Listed(16, 0, "data/../cluster/recording.log")));
        assertTrue(outside.getMessage().contains("outside its data directory"), outside.getMessage());
        final IllegalStateException listing = assertThrows(IllegalStateException.class,
            () -> client.list("data/../cluster"));
        assertTrue(listing.getMessage().contains("refused to list"), listing.getMessage());
    }

    @Test
    void copiesTheTierManifestsAndNothingElseOfTheTier() throws Exception
    {
        final Path tier = Files.createDirectories(dir.resolve("donor/tier/1-0"));
        Files.writeString(tier.resolve(TierManifest.FILE_NAME), "spindle-tier-manifest 1 abc\n");
        Files.writeString(tier.resolve("tier-manifest.tmp"), "half written");
        Files.createDirectories(dir.resolve("donor/tier/not-a-partition"));

        assertEquals(List.of(dir.resolve("target/tier/1-0")), client.copyTierManifests());
        assertEquals("spindle-tier-manifest 1 abc\n",
            Files.readString(dir.resolve("target/tier/1-0").resolve(TierManifest.FILE_NAME)));
        assertFalse(Files.exists(dir.resolve("target/tier/1-0/tier-manifest.tmp")));
        assertFalse(Files.exists(dir.resolve("target/tier/not-a-partition")));

        // Only a manifest: not another file of the tier, not a name that leaves it, on either side.
        final IllegalStateException other = assertThrows(IllegalStateException.class, () -> client.copyWhole(
            new MemberFileClient.Listed(12, MemberFileServer.fileKey(tier.resolve("tier-manifest.tmp")),
            "tier/1-0/tier-manifest.tmp")));
        assertTrue(other.getMessage().contains("outside its data directory"), other.getMessage());
        final IllegalStateException listing = assertThrows(IllegalStateException.class,
            () -> client.list("tier/../cluster"));
        assertTrue(listing.getMessage().contains("refused to list"), listing.getMessage());
        assertFalse(MemberFileServer.isTierManifest("tier/1-0/../../cluster/tier-manifest"));
        assertFalse(MemberFileServer.isTierManifest("tier/tier-manifest"));
        assertTrue(MemberFileServer.isTierManifest("tier/12-3/tier-manifest"));
    }

    @Test
    void withASecretOnlyAReaderProvingItIsServed() throws Exception
    {
        final byte[] secret = "5e2b8d0f4a6c1e3b9d7f5a2c4e6b8d0f".getBytes(StandardCharsets.US_ASCII);
        final Path partition = Files.createDirectories(dir.resolve("donor/data/orders-0"));
        final Path segment = partition.resolve("00000000000000000000.log");
        Files.write(segment, batches(100, 80));
        final long key = MemberFileServer.fileKey(segment);
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final int port = ClusterNode.freeLoopbackPorts(1);
        final AtomicBoolean stopSecured = new AtomicBoolean();
        final MemberFileServer secured = new MemberFileServer(aeron, "aeron:udp?endpoint=localhost:" + port,
            dir.resolve("donor"), secret, errors::add);
        final Thread securedServing = new Thread(() ->
        {
            final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
            while (!stopSecured.get())
            {
                idle.idle(secured.poll(SystemNanoClock.INSTANCE.nanoTime()));
            }
        });
        securedServing.start();
        final byte[] wrong = secret.clone();
        wrong[0] ^= 1;
        try (MemberFileClient member = reader(port, secret); MemberFileClient none = reader(port, null);
            MemberFileClient other = reader(port, wrong))
        {
            member.copyPartition("data/orders-0");
            assertArrayEquals(batches(100, 80),
                Files.readAllBytes(dir.resolve("target/data/orders-0/00000000000000000000.log")));
            assertEquals(List.of(), errors);

            for (final MemberFileClient stranger : List.of(none, other))
            {
                final IllegalStateException listing = assertThrows(IllegalStateException.class,
                    () -> stranger.list("data/orders-0"));
                assertTrue(listing.getMessage().contains("refused to list data/orders-0: refused data/orders-0: " +
                    "this member has spindle.node.secret.file set"), listing.getMessage());
                final IllegalStateException read = assertThrows(IllegalStateException.class,
                    () -> stranger.copyWhole(new MemberFileClient.Listed(180, key,
                    "data/orders-0/00000000000000000000.log")));
                assertTrue(read.getMessage().contains("does not prove the members' secret"), read.getMessage());
            }
            assertTrue(errors.size() >= 4, errors.toString());
            assertTrue(errors.get(0).getMessage().startsWith("member file server: refused a request that does " +
                "not prove the members' secret"), errors.get(0).getMessage());
        }
        finally
        {
            stopSecured.set(true);
            securedServing.join(5_000);
            secured.close();
        }
    }

    private MemberFileClient reader(final int port, final byte[] secret)
    {
        final MemberFileClient reader = new MemberFileClient(aeron, 1, new ClusterNode.Endpoint("localhost", 0), 0,
            new ClusterNode.Endpoint("localhost", port), dir.resolve("target"),
            SystemNanoClock.INSTANCE.nanoTime() + 10_000_000_000L, (line) -> {}).secret(secret);
        reader.connect();
        return reader;
    }

    /**
     * Record batches as the reader walks them: base offset and total length in the header, the rest filler.
     */
    private static byte[] batches(final int... lengths)
    {
        int total = 0;
        for (final int length : lengths)
        {
            total += length;
        }
        final ByteBuffer buffer = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        long baseOffset = 0;
        for (final int length : lengths)
        {
            final int start = buffer.position();
            buffer.putLong(start + RecordBatch.BASE_OFFSET_OFFSET, baseOffset++);
            buffer.putInt(start + RecordBatch.BATCH_LENGTH_OFFSET, length);
            for (int i = RecordBatch.BATCH_LENGTH_OFFSET + 4; i < length; i++)
            {
                buffer.put(start + i, (byte)(i + 1));
            }
            buffer.position(start + length);
        }
        return buffer.array();
    }
}
