/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.Producer;
import io.spindle.config.SystemPropertyOverrides;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member started with {@code spindle.latency.log} set appends every interval's stage histograms to that file, tagged
 * by stage, as a standalone broker does: read back with HdrHistogram's own reader after a known number of produce
 * requests, each stage's intervals add up to the requests the member applied (and answered: it leads).
 */
@Timeout(60)
class ClusterLatencyLogTest
{
    private static final int PRODUCES = 25;

    @TempDir
    Path dir;

    private final SystemPropertyOverrides properties = new SystemPropertyOverrides();
    private TestCluster cluster;

    @AfterEach
    void tearDown()
    {
        if (null != cluster)
        {
            cluster.close();
        }
        properties.restore();
    }

    @Test
    void aMemberAppendsEveryIntervalTaggedByStageToTheLatencyLog() throws IOException
    {
        final Path log = dir.resolve("member-latency.hlog");
        properties.set("spindle.latency.log", log.toString());
        cluster = new TestCluster(dir, 1).customise((ctx) -> ctx.latencyIntervalMs(20));
        cluster.start();
        try (Admin admin = Admin.connect(client(new ClientContext())))
        {
            admin.createTopic("timed", 1, Map.of());
        }
        try (Producer producer = Producer.connect(client(new Producer.Context().maxRecordSize(8 * 1024))))
        {
            for (int i = 0; i < PRODUCES; i++)
            {
                producer.sendSync("timed", 0, null, ("record-" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        // Closing the member publishes the last interval and closes the log.
        cluster.close();
        cluster = null;

        final Map<String, long[]> countAndIntervals = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(log); HistogramLogReader reader = new HistogramLogReader(in))
        {
            EncodableHistogram histogram;
            while (null != (histogram = reader.nextIntervalHistogram()))
            {
                final long[] entry = countAndIntervals.computeIfAbsent(histogram.getTag(), (tag) -> new long[2]);
                entry[0] += ((Histogram)histogram).getTotalCount();
                entry[1]++;
            }
        }

        assertEquals(Arrays.asList(SpindleClusteredService.LATENCY_STAGES),
            countAndIntervals.keySet().stream().toList(), "the stages tagged, in order");
        for (final String stage : SpindleClusteredService.LATENCY_STAGES)
        {
            final long expected = "appended-pushed".equals(stage) ? 0 : PRODUCES;
            assertEquals(expected, countAndIntervals.get(stage)[0], stage + ": latencies over every interval");
            assertTrue(countAndIntervals.get(stage)[1] > 1, stage + ": one histogram per interval, more than one");
        }
        assertEquals(countAndIntervals.get("received-appended")[1], countAndIntervals.get("appended-pushed")[1],
            "every stage is written every interval");
    }

    private <T extends ClientContext> T client(final T ctx)
    {
        ctx.bootstrap(cluster.bootstrap()).requestTimeoutMs(20_000).connectTimeoutMs(20_000)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000));
        return ctx;
    }
}
