/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.aeron.Aeron;
import io.aeron.archive.client.AeronArchive;
import io.spindle.archive.ArchiveServer;
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
import io.spindle.log.LogConfig;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three members archiving into one standalone archive ({@code spindle node --archive HOST:PORT}) over UDP, each its
 * own copies: the archive stops while segments are being copied and comes back on the same port; nothing is lost,
 * nothing is recorded twice, and every member serves every record across the tier boundary.
 */
class ClusterStandaloneArchiveTest
{
    private static final String TOPIC = "tiered";
    private static final int SEGMENT_BYTES = 16 * 1024;

    @TempDir
    Path dir;

    private TestCluster cluster;
    private ArchiveServer archive;

    @AfterEach
    void tearDown()
    {
        CloseHelper.closeAll(cluster, archive);
    }

    @Test
    @Timeout(90)
    void everyMemberKeepsItsOwnCopiesOnceThroughAnArchiveRestart()
    {
        final Path archiveDir = dir.resolve("archive");
        final String archiveDriver = dir.resolve("archive-driver").toString();
        archive = ArchiveServer.launch(archiveDir, archiveDriver, "localhost", 0, Throwable::printStackTrace);
        final String endpoint = archive.controlEndpoint();
        final int port = Integer.parseInt(endpoint.substring(endpoint.indexOf(':') + 1));
        cluster = new TestCluster(dir, 3).customise((ctx) -> ctx.archiveEndpoint(endpoint));
        cluster.start();
        try (Admin admin = Admin.connect(client(new ClientContext(), cluster.bootstrap())))
        {
            admin.createTopic(TOPIC, 1, Map.of(LogConfig.REMOTE_STORAGE_ENABLE, "true",
                LogConfig.SEGMENT_BYTES, Integer.toString(SEGMENT_BYTES),
                LogConfig.LOCAL_RETENTION_BYTES, Integer.toString(2 * SEGMENT_BYTES)));
        }
        final List<String> values = new ArrayList<>();
        produce(0, 400, values);
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> manifestEntries(member).size() >= 2, "member " + m + " to archive");
        }

        // The archive goes away while the members roll and copy; it comes back on the same port and directory.
        archive.close();
        archive = null;
        produce(400, 800, values);
        archive = ArchiveServer.launch(archiveDir, archiveDriver, "localhost", port, Throwable::printStackTrace);
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            cluster.await(() -> highWaterMark(member) >= 800 && logStartOffset(member) > 400 &&
                logStartOffset(member) == logStartOffset(0), "member " + m + " to archive and delete locally");
        }

        // One archive, each member's copies: every recording is one of a member's manifest entries, once (once the
        // copies in flight are done: a recording left by an interrupted copy would stay unlisted and fail the wait).
        cluster.await(() -> listedRecordings().equals(recordings()),
            () -> "the archive's recordings " + recordings() + " to be the manifests' " + listedRecordings());
        int entries = 0;
        for (int m = 0; m < 3; m++)
        {
            long next = 0;
            for (final TierManifest.Entry entry : manifestEntries(m))
            {
                assertEquals(next, entry.baseOffset(), "member " + m + "'s manifest: " + manifestEntries(m));
                next = entry.nextOffset();
                entries++;
            }
        }
        assertEquals(entries, listedRecordings().size(), "no recording is in two members' manifests");

        for (int m = 0; m < 3; m++)
        {
            final Map<Long, String> consumed = consumeAll(m, values.size());
            for (int i = 0; i < values.size(); i++)
            {
                assertEquals(values.get(i), consumed.get((long)i), "offset " + i + " from member " + m);
            }
        }

        cluster.close();
        archive.close();
        archive = null;
        final History history = new History();
        for (int i = 0; i < values.size(); i++)
        {
            history.acknowledged("producer", i, TOPIC, 0, i, values.get(i).getBytes(StandardCharsets.UTF_8));
        }
        final ReplicationChecker checker = new ReplicationChecker(history);
        for (int m = 0; m < 3; m++)
        {
            checker.member(m, cluster.memberDir(m)).tierArchive(m, archiveDir);
        }
        final CheckResult result = checker.check();
        assertTrue(result.isValid(), result.toString());
        assertEquals(values.size(), result.found(), result.summary());
    }

    private long highWaterMark(final int member)
    {
        final Topic topic = cluster.node(member).service().topicTable().topic(1);
        return null == topic ? -1 : topic.partition(0).highWaterMark();
    }

    private long logStartOffset(final int member)
    {
        final Topic topic = cluster.node(member).service().topicTable().topic(1);
        return null == topic ? -1 : topic.partition(0).logStartOffset();
    }

    private List<TierManifest.Entry> manifestEntries(final int member)
    {
        final Path manifestDir = cluster.memberDir(member).resolve("tier").resolve("1-0");
        return TierManifest.exists(manifestDir) ? TierManifest.load(manifestDir).entries() : List.of();
    }

    private Set<Long> listedRecordings()
    {
        final Set<Long> listed = new HashSet<>();
        for (int m = 0; m < 3; m++)
        {
            manifestEntries(m).forEach((entry) -> listed.add(entry.recordingId()));
        }
        return listed;
    }

    private Set<Long> recordings()
    {
        final Set<Long> ids = new HashSet<>();
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(cluster.memberDir(0).resolve("aeron").toString())
            .errorHandler((error) -> {}));
            AeronArchive client = ArchiveServer.connectRemote(aeron, archive.controlEndpoint(), "localhost"))
        {
            client.listRecordings(0, Integer.MAX_VALUE,
                (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
                stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId,
                strippedChannel, originalChannel, sourceIdentity) ->
                {
                    if (ArchiveTier.RECORD_STREAM_ID == streamId)
                    {
                        ids.add(recordingId);
                    }
                });
        }
        return ids;
    }

    private void produce(final int from, final int to, final List<String> values)
    {
        final List<String> failed = new ArrayList<>();
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024)
            .batchSize(2 * 1024), cluster.bootstrap())))
        {
            for (int i = from; i < to; i++)
            {
                final String value = "r-" + i + "-" + "y".repeat(200);
                values.add(value);
                while (Producer.BACK_PRESSURED == producer.send(TOPIC, 0, null,
                    value.getBytes(StandardCharsets.UTF_8), (p, offset, code) ->
                    {
                        if (ErrorCode.NONE != code)
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

    private Map<Long, String> consumeAll(final int replica, final int count)
    {
        final Map<Long, String> consumed = new TreeMap<>();
        final Consumer.Context ctx = client(new Consumer.Context(), cluster.endpoint(replica));
        ctx.autoOffsetReset(Consumer.OffsetReset.EARLIEST);
        ctx.replica(replica);
        try (Consumer consumer = Consumer.connect(ctx))
        {
            consumer.assign(List.of(new TopicPartition(TOPIC, 0)));
            cluster.await(() ->
            {
                consumer.poll((record) -> consumed.put(record.offset(), record.valueAsString()), 1_000, 100);
                return consumed.size() >= count;
            }, () -> "the consumer to read every record from member " + replica + " (" + consumed.size() + ")");
        }
        return consumed;
    }

    private <T extends ClientContext> T client(final T ctx, final String bootstrap)
    {
        ctx.bootstrap(bootstrap).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }
}
