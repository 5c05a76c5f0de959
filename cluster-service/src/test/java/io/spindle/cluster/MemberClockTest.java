/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Producer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A new member's cluster clock counts nanoseconds; a member directory an earlier build made (its Raft log stamped in
 * milliseconds, no {@value MemberClock#FILE_NAME}) restarts with a millisecond clock, since Aeron refuses to replay a
 * log of another unit, and keeps what it held.
 */
@Timeout(60)
class MemberClockTest
{
    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void tearDown()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    @Test
    void aNewMemberCountsNanosecondsAndOneAnEarlierBuildMadeRestartsInMilliseconds() throws IOException
    {
        cluster = new TestCluster(dir.resolve("new"), 1);
        cluster.start();
        assertEquals("NANOSECONDS", unitFile(cluster.memberDir(0)));
        cluster.close();

        // A member as an earlier build ran it: a millisecond clock (then recorded nowhere).
        cluster = new TestCluster(dir.resolve("earlier"), 1);
        final Path memberDir = cluster.memberDir(0);
        final Path unitFile = memberDir.resolve("cluster").resolve(MemberClock.FILE_NAME);
        Files.createDirectories(unitFile.getParent());
        Files.writeString(unitFile, "MILLISECONDS\n", StandardCharsets.US_ASCII);
        cluster.start();
        try (Admin admin = Admin.connect(client(new ClientContext())))
        {
            admin.createTopic("kept", 1, Map.of());
        }
        produce(0);
        cluster.stop(0);
        Files.delete(unitFile);

        cluster.launch(0);
        cluster.await(() -> null != cluster.node(0) && cluster.node(0).isServing(),
            "the earlier build's member to replay its log and serve");
        produce(5);
        assertEquals("MILLISECONDS", unitFile(memberDir));
    }

    private void produce(final int firstOffset)
    {
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024))))
        {
            for (int i = 0; i < 5; i++)
            {
                assertEquals(firstOffset + i, producer.sendSync("kept", 0, null,
                    ("record-" + i).getBytes(StandardCharsets.UTF_8)), "the offset the member appended at");
            }
        }
    }

    private static String unitFile(final Path memberDir) throws IOException
    {
        return Files.readString(memberDir.resolve("cluster").resolve(MemberClock.FILE_NAME)).trim();
    }

    private <T extends ClientContext> T client(final T ctx)
    {
        ctx.bootstrap(cluster.bootstrap()).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }
}
