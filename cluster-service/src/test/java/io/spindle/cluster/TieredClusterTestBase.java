/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.aeron.Aeron;
import io.aeron.archive.client.AeronArchive;
import io.aeron.security.CredentialsSupplier;
import io.spindle.archive.ArchiveTier;
import io.spindle.archive.TierManifest;
import io.spindle.broker.Topic;
import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Consumer;
import io.spindle.client.Producer;
import io.spindle.client.TopicPartition;
import io.spindle.cluster.check.CheckResult;
import io.spindle.cluster.check.History;
import io.spindle.cluster.check.ReplicationChecker;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.host.BrokerCounters;
import io.spindle.log.LogConfig;
import io.spindle.log.PartitionLog;
import io.spindle.monitor.CncFile;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the tiered-storage cluster tests share: three members in this JVM, a topic with {@code remote.storage.enable},
 * small segments and a small local retention, and ways to look at each member's logs, manifest and archive.
 */
abstract class TieredClusterTestBase
{
    static final String TOPIC = "tiered";
    static final int SEGMENT_BYTES = 16 * 1024;
    static final int LOCAL_RETENTION_BYTES = 32 * 1024;
    static final int VALUE_BYTES = 200;

    @TempDir
    Path dir;

    TestCluster cluster;

    @AfterEach
    void tearDown()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    void createTopic(final Map<String, String> extra)
    {
        final Map<String, String> configs = new HashMap<>(Map.of(LogConfig.REMOTE_STORAGE_ENABLE, "true",
            LogConfig.SEGMENT_BYTES, Integer.toString(SEGMENT_BYTES),
            LogConfig.LOCAL_RETENTION_BYTES, Integer.toString(LOCAL_RETENTION_BYTES)));
        configs.putAll(extra);
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.createTopic(TOPIC, 1, configs);
        }
    }

    /**
     * Close the cluster and check every member's logs across both tiers.
     */
    void check(final List<Ack> acked)
    {
        awaitSettled();
        cluster.close();
        final CheckResult result = checker(acked).check();
        assertTrue(result.isValid(), result.toString());
        assertEquals(acked.size(), result.found(), result.summary());
    }

    /**
     * Wait until nothing more will move on the running members: every member's report of every sealed segment in its
     * tier applied on every member (none before the first roll), the same local log start and end everywhere, and
     * each member's files starting there (a segment deleted locally leaves the disk a moment later, once no reader
     * holds it). Members apply the log at their own pace: files compared before then can differ with no member
     * wrong, which the checker calls divergent (seen once, a member's files still from 64 while the others' were from
     * 253).
     */
    void awaitSettled()
    {
        cluster.await(this::isSettled, () -> "the running members to settle: " + describeLocalLogs());
    }

    private boolean isSettled()
    {
        final int[] members = running();
        long start = -1;
        long end = -1;
        for (int i = 0; i < members.length; i++)
        {
            final int m = members[i];
            final PartitionLog log = partition(m);
            if (null == log)
            {
                return false;
            }
            final long sealedEnd = log.activeSegmentBaseOffset();
            for (final int reporter : members)
            {
                final long reported = cluster.node(m).service().tier().memberEndOffset(1, 0, reporter);
                if (Math.max(0, reported) < sealedEnd)
                {
                    return false;
                }
            }
            if (0 == i)
            {
                start = log.logStartOffset();
                end = log.logEndOffset();
            }
            else if (start != log.logStartOffset() || end != log.logEndOffset())
            {
                return false;
            }
            if (firstLocalBaseOffset(m) != start)
            {
                return false;
            }
        }
        return true;
    }

    private String describeLocalLogs()
    {
        final StringBuilder sb = new StringBuilder();
        for (final int m : running())
        {
            final PartitionLog log = partition(m);
            sb.append("member ").append(m).append(": ").append(null == log ? "no partition" :
                "log " + log.logStartOffset() + ".." + log.logEndOffset() + ", files from " + firstLocalBaseOffset(m) +
                ", sealed up to " + log.activeSegmentBaseOffset()).append("; ");
        }
        return sb.toString();
    }

    private long firstLocalBaseOffset(final int member)
    {
        final Path partitionDir = ReplicationChecker.partitionDirectory(cluster.memberDir(member), TOPIC, 0);
        try (Stream<Path> files = Files.list(partitionDir))
        {
            return files.map((f) -> f.getFileName().toString()).filter((n) -> n.endsWith(".log"))
                .mapToLong((n) -> Long.parseLong(n.substring(0, n.length() - 4))).min().orElse(-1);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    ReplicationChecker checker(final List<Ack> acked)
    {
        final History history = new History();
        for (final Ack ack : acked)
        {
            history.acknowledged("producer", ack.sequence(), TOPIC, 0, ack.offset(),
                ack.value().getBytes(StandardCharsets.UTF_8));
        }
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, cluster.memberDir(m));
        }
        return checker;
    }

    static Set<Long> recordingIds(final List<TierManifest.Entry> entries)
    {
        final Set<Long> ids = new HashSet<>();
        entries.forEach((entry) -> ids.add(entry.recordingId()));
        return ids;
    }

    int[] running()
    {
        final List<Integer> ids = new ArrayList<>();
        for (int m = 0; m < 3; m++)
        {
            if (null != cluster.node(m))
            {
                ids.add(m);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * A member's tier counters as {@code spindle stat} reads them from its driver's counters file, by label without
     * the {@code spindle-<member>: tier } prefix.
     */
    Map<String, Long> tierCounters(final int member)
    {
        final String prefix = "spindle-" + member + ": tier ";
        final Map<String, Long> values = new HashMap<>();
        try (CncFile cnc = CncFile.open(cluster.node(member).aeronDirectoryName()))
        {
            cnc.counters().forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (BrokerCounters.SPINDLE_COUNTER_TYPE_ID == typeId && label.startsWith(prefix))
                {
                    values.put(label.substring(prefix.length()), cnc.counters().getCounterValue(counterId));
                }
            });
        }
        return values;
    }

    PartitionLog partition(final int member)
    {
        final Topic topic = cluster.node(member).service().topicTable().topic(1);
        return null == topic ? null : topic.partition(0);
    }

    long highWaterMark(final int member)
    {
        final ClusterNode node = cluster.node(member);
        final Topic topic = null == node ? null : node.service().topicTable().topic(1);
        return null == topic ? -1 : topic.partition(0).highWaterMark();
    }

    Path manifestDir(final int member)
    {
        return cluster.memberDir(member).resolve("tier").resolve("1-0");
    }

    static List<TierManifest.Entry> manifestEntries(final Path directory)
    {
        return TierManifest.exists(directory) ? TierManifest.load(directory).entries() : List.of();
    }

    static byte[] read(final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static void write(final Path file, final byte[] bytes)
    {
        try
        {
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static long end(final List<TierManifest.Entry> entries)
    {
        return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).nextOffset();
    }

    long localBytes(final int member)
    {
        final Path partitionDir = ReplicationChecker.partitionDirectory(cluster.memberDir(member), TOPIC, 0);
        try (Stream<Path> files = Files.list(partitionDir))
        {
            return files.filter((f) -> f.toString().endsWith(".log")).mapToLong((f) -> f.toFile().length()).sum();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * A client of a member's archive from outside the member, over UDP to its control endpoint ({@code PORT+3}), as
     * anyone reaching the member's ports could open one.
     *
     * @param aeron       a client of a media driver of the caller's.
     * @param member      whose archive.
     * @param credentials what the client presents.
     * @return the connected archive client.
     */
    AeronArchive connectArchive(final Aeron aeron, final int member, final CredentialsSupplier credentials)
    {
        final ClusterNode.Endpoint endpoint = ClusterNode.parseMembers(cluster.members()).get(member);
        return AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
            .controlRequestChannel("aeron:udp?endpoint=" + endpoint.host() + ":" + (endpoint.port() + 3))
            .controlResponseChannel("aeron:udp?endpoint=localhost:0")
            .credentialsSupplier(credentials)
            .messageTimeoutNs(TestCluster.AWAIT_NS));
    }

    /**
     * The recordings of segments in a member's archive, through a client of its own on the member's driver.
     */
    Set<Long> tierRecordings(final int member)
    {
        return new HashSet<>(tierRecordingChannels(member).keySet());
    }

    /**
     * The original channel of each recording of a segment in a member's archive, by recording id, through a client
     * of its own on the member's driver.
     */
    Map<Long, String> tierRecordingChannels(final int member)
    {
        final Map<Long, String> channels = new HashMap<>();
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(cluster.memberDir(member).resolve("aeron").toString())
            .errorHandler((error) -> {}));
            AeronArchive archive = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                .controlRequestChannel("aeron:ipc?term-length=64k")
                .controlResponseChannel("aeron:ipc?term-length=64k")))
        {
            archive.listRecordings(0, Integer.MAX_VALUE,
                (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
                stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId,
                strippedChannel, originalChannel, sourceIdentity) ->
                {
                    if (ArchiveTier.RECORD_STREAM_ID == streamId)
                    {
                        channels.put(recordingId, originalChannel);
                    }
                });
        }
        return channels;
    }

    void produce(final int from, final int to, final List<Ack> acked)
    {
        produce(from, to, acked, () -> {});
    }

    /**
     * Produce, running something once the producer is connected (a fault to inject while records arrive, not while
     * the producer connects: a connect answered by a follower is redirected to the leader it knows, and a leader
     * killed just then leaves the connect waiting on it until its timeout).
     */
    void produce(final int from, final int to, final List<Ack> acked, final Runnable onConnected)
    {
        final List<String> failed = new ArrayList<>();
        // Batches of a few records, so that a segment holds many and rolls between them.
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024)
            .batchSize(2 * 1024), cluster.bootstrap())))
        {
            onConnected.run();
            for (int i = from; i < to; i++)
            {
                final int sequence = i;
                final String value = "r-" + i + "-" + "x".repeat(VALUE_BYTES);
                while (Producer.BACK_PRESSURED == producer.send(TOPIC, 0, null,
                    value.getBytes(StandardCharsets.UTF_8), (p, offset, code) ->
                    {
                        if (ErrorCode.NONE == code)
                        {
                            synchronized (acked)
                            {
                                acked.add(new Ack(offset, value, sequence));
                            }
                        }
                        else
                        {
                            failed.add(value + ": " + code);
                        }
                    }))
                {
                    producer.poll();
                    TestCluster.sleep(1);
                }
            }
            producer.flush();
        }
        assertEquals(List.of(), failed, "failed sends");
    }

    Map<Long, String> consumeAll(final int replica, final int count)
    {
        final Map<Long, String> consumed = new TreeMap<>();
        final Consumer.Context ctx = client(new Consumer.Context(), cluster.endpoint(replica));
        ctx.autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        ctx.replica(replica);
        final List<String> problems = new ArrayList<>();
        final long[] last = { -1 };
        try (Consumer consumer = Consumer.connect(ctx))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            cluster.await(() ->
            {
                consumer.poll((record) ->
                {
                    if (record.offset() <= last[0])
                    {
                        problems.add("offset " + record.offset() + " after " + last[0]);
                    }
                    last[0] = record.offset();
                    consumed.put(record.offset(), record.valueAsString());
                }, 1_000, 100);
                return consumed.size() >= count;
            }, () -> "the consumer to read every record from member " + replica + " (" + consumed.size() + ")");
        }
        assertNull(problems.isEmpty() ? null : problems, "records out of order or twice from member " + replica);
        return new HashMap<>(consumed);
    }

    <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }

    record Ack(long offset, String value, long sequence)
    {
    }
}
