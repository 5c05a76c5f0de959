/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.spindle.broker.Topic;
import io.spindle.broker.TopicTable;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.SpindleException;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.log.LogConfig;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiered storage is not built for cluster members (a member runs no archiver): a topic asking for
 * {@code remote.storage.enable=true}, at creation or by a change, is refused with INVALID_CONFIG naming the key and
 * why, by the state machine, so every member applies the same refusal and holds the same topics afterwards; and a
 * member whose default would turn it on for every topic refuses to start.
 */
class ClusterRemoteStorageTest
{
    private static final int MEMBERS = 3;

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
    @Timeout(90)
    void creatingOrChangingATopicToUseRemoteStorageIsRefusedAlikeOnEveryMember()
    {
        cluster = new TestCluster(dir, MEMBERS);
        cluster.start();
        try (Admin admin = Admin.connect(new ClientContext().bootstrap(cluster.bootstrap())
            .requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))))
        {
            final SpindleException refusedCreate = assertThrows(SpindleException.class, () -> admin.createTopic(
                "tiered", 1, Map.of(LogConfig.REMOTE_STORAGE_ENABLE, "true", LogConfig.LOCAL_RETENTION_BYTES, "4k")));
            assertRefusal(refusedCreate);

            admin.createTopic("orders", 1, Map.of(LogConfig.RETENTION_MS, "3600000"));
            final SpindleException refusedAlter = assertThrows(SpindleException.class, () -> admin.alterTopicConfigs(
                "orders", Map.of(LogConfig.REMOTE_STORAGE_ENABLE, "true", LogConfig.RETENTION_MS, "7200000"),
                List.of()));
            assertRefusal(refusedAlter);

            // Off is still accepted, and a later change goes through: the refusal changed nothing.
            admin.alterTopicConfigs("orders", Map.of(LogConfig.REMOTE_STORAGE_ENABLE, "false"), List.of());
            admin.createTopic("plain", 1, Map.of());
            assertEquals("false", admin.describeTopic("orders").configs().get(LogConfig.REMOTE_STORAGE_ENABLE));
        }

        // Every member applied the same requests with the same outcome.
        for (int i = 0; i < MEMBERS; i++)
        {
            final SpindleClusteredService service = cluster.node(i).service();
            final int member = i;
            cluster.await(() -> null != topic(service.topicTable(), "plain"), "member " + member + " to apply all");
            final TopicTable table = service.topicTable();
            assertNull(topic(table, "tiered"), "member " + i + " created no remote-storage topic");
            final Topic orders = topic(table, "orders");
            assertEquals("3600000", orders.configs().get(LogConfig.RETENTION_MS),
                "member " + i + " kept the topic's settings: the refused change was all or nothing");
            assertFalse(orders.partition(0).config().remoteStorageEnable(), "member " + i);
        }
    }

    @Test
    void aMemberWhoseDefaultTurnsRemoteStorageOnRefusesToStart()
    {
        final ClusterNode.Context ctx = new ClusterNode.Context().memberId(0).members("0=localhost:20000")
            .directory(dir.resolve("member")).logConfig(new LogConfig().remoteStorageEnable(true));
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, ctx::conclude);
        assertTrue(refused.getMessage().contains("remote.storage.enable is true"), refused.getMessage());
        assertTrue(refused.getMessage().contains("standalone brokers only"), refused.getMessage());
    }

    private static void assertRefusal(final SpindleException refused)
    {
        assertEquals(ErrorCode.INVALID_CONFIG, refused.errorCode(), refused.getMessage());
        assertTrue(refused.getMessage().contains("remote.storage.enable=true"), refused.getMessage());
        assertTrue(refused.getMessage().contains("standalone brokers only"), refused.getMessage());
    }

    private static Topic topic(final TopicTable table, final String name)
    {
        for (int i = 0; i < table.topicCount(); i++)
        {
            if (name.equals(table.topicAt(i).name()))
            {
                return table.topicAt(i);
            }
        }
        return null;
    }
}
