/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicDescription;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Partitions added to a topic while clients are connected, against a real broker: the producer that knew the old
 * count sends to a new partition, another learns the new count by itself after metadata.max.age.ms, a consumer
 * assigns it, a group's leader notices and rebalances onto it, and the change and a config change survive the
 * broker's restart.
 */
@Timeout(60)
class PartitionsAddedTest
{
    @TempDir
    Path dir;

    @Test
    void connectedClientsUseAddedPartitionsAndTheChangeSurvivesARestart()
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data")))
        {
            try (Admin admin = Admin.connect(broker.ipc(new ClientContext()));
                Producer producer = Producer.connect(broker.ipc(new Producer.Context().acks(-1)));
                Producer keyed = Producer.connect(broker.ipc(new Producer.Context().acks(-1).metadataMaxAgeMs(100)));
                Consumer member = Consumer.connect(broker.ipc(new Consumer.Context().groupId("g")
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST).metadataMaxAgeMs(200)
                    .heartbeatIntervalMs(100).sessionTimeoutMs(5_000)));
                Consumer assigned = Consumer.connect(broker.ipc(new Consumer.Context()
                    .autoOffsetReset(Consumer.OffsetReset.EARLIEST))))
            {
                admin.createTopic("t", 1, Map.of());
                assertEquals(0, producer.sendSync("t", 0, null, bytes("old")));
                assertEquals(1, producer.partitionCount("t"));
                assertEquals(1, keyed.sendSync("t", -1, bytes("k"), bytes("keyed")));
                assigned.assign(List.of(new TopicPartition("t", 0)));
                member.subscribe(List.of("t"));
                final List<String> groupRead = new ArrayList<>();
                pollUntil(member, groupRead, 2);

                final SpindleException refused = assertThrows(SpindleException.class,
                    () -> admin.increasePartitions("t", 1));
                assertEquals(ErrorCode.INVALID_PARTITIONS, refused.errorCode());
                admin.increasePartitions("t", 3);
                admin.alterTopicConfigs("t", Map.of("retention.ms", "1h"), List.of());

                assertEquals(0, producer.sendSync("t", 2, null, bytes("new")), "the producer looks again");
                assertEquals(3, producer.partitionCount("t"));
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (keyed.partitionCount("t") < 3 && System.nanoTime() - deadlineNs < 0)
                {
                    keyed.poll();
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
                assertEquals(3, keyed.partitionCount("t"), "metadata.max.age.ms later, without being asked");

                assigned.assign(List.of(new TopicPartition("t", 0), new TopicPartition("t", 2)));
                final List<String> assignedRead = new ArrayList<>();
                pollUntil(assigned, assignedRead, 3);
                assertEquals(List.of("0:keyed", "0:old", "2:new"), new ArrayList<>(new TreeSet<>(assignedRead)));

                pollUntil(member, groupRead, 3);
                assertEquals(List.of("0:old", "0:keyed", "2:new"), groupRead,
                    "the group rebalanced onto the new partitions");
                assertEquals(3, member.assignment().size());
            }
        }

        try (TestBroker broker = TestBroker.start(dir.resolve("data"));
            Admin admin = Admin.connect(broker.ipc(new ClientContext())))
        {
            final TopicDescription description = admin.describeTopic("t");
            assertEquals(3, description.partitions().size());
            assertEquals(1, description.partitions().get(2).logEndOffset());
            assertEquals("3600000", description.configs().get("retention.ms"));
            assertEquals(TopicDescription.SOURCE_TOPIC, description.source("retention.ms"));
            assertEquals(TopicDescription.SOURCE_DEFAULT, description.source("retention.bytes"));
        }
    }

    private static void pollUntil(final Consumer consumer, final List<String> read, final int count)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (read.size() < count && System.nanoTime() - deadlineNs < 0)
        {
            consumer.poll((record) -> read.add(record.partition() + ":" +
                new String(record.valueBytes(), StandardCharsets.UTF_8)), 100, 50);
        }
        assertEquals(count, read.size(), read.toString());
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
