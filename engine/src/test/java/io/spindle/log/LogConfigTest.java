/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogConfigTest
{
    @Test
    void shouldHaveDocumentedDefaults()
    {
        final LogConfig config = new LogConfig().conclude();
        assertEquals(128 * 1024 * 1024, config.segmentBytes());
        assertEquals(7L * 24 * 3600 * 1000, config.segmentMs());
        assertEquals(4096, config.indexIntervalBytes());
        assertEquals(7L * 24 * 3600 * 1000, config.retentionMs());
        assertEquals(-1, config.retentionBytes());
        assertEquals(1024 * 1024, config.maxMessageBytes());
        assertEquals(FlushPolicy.NEVER, config.flushPolicy());
        assertEquals(1000, config.flushMs());
        assertEquals(60_000, config.fileDeleteDelayMs());
    }

    @Test
    void shouldParseSizesAndDurations()
    {
        final Map<String, String> topic = new LinkedHashMap<>();
        topic.put("segment.bytes", "64m");
        topic.put("index.interval.bytes", "8k");
        topic.put("max.message.bytes", "2MiB");
        topic.put("retention.bytes", "10g");
        topic.put("retention.ms", "7d");
        topic.put("segment.ms", "12h");
        topic.put("flush.policy", "every_batch");
        topic.put("flush.ms", "250ms");
        topic.put("file.delete.delay.ms", "30s");
        final LogConfig config = LogConfig.fromMap(topic);

        assertTrue(config.isConcluded());
        assertEquals(64 * 1024 * 1024, config.segmentBytes());
        assertEquals(8192, config.indexIntervalBytes());
        assertEquals(2 * 1024 * 1024, config.maxMessageBytes());
        assertEquals(10L * 1024 * 1024 * 1024, config.retentionBytes());
        assertEquals(7L * 86_400_000, config.retentionMs());
        assertEquals(12L * 3_600_000, config.segmentMs());
        assertEquals(FlushPolicy.EVERY_BATCH, config.flushPolicy());
        assertEquals(250, config.flushMs());
        assertEquals(30_000, config.fileDeleteDelayMs());
    }

    @Test
    void shouldRoundTripThroughTheMap()
    {
        final LogConfig config = LogConfig.fromMap(Map.of("segment.bytes", "1m", "retention.ms", "-1"));
        assertEquals(config.toMap(), LogConfig.fromMap(config.toMap()).toMap());
        assertEquals("1048576", config.toMap().get("segment.bytes"));
    }

    @Test
    void shouldRejectBadValuesNamingTheKey()
    {
        assertRejected("segment.bytes", "lots", "segment.bytes=lots");
        assertRejected("segment.bytes", "2g", "at most 2147483647");
        assertRejected("segment.bytes", "10", "at least 64");
        assertRejected("segment.ms", "0", "at least 1ms");
        assertRejected("retention.ms", "5x", "unknown duration unit 'x'");
        assertRejected("retention.ms", "-2", "must be -1 or at least 0");
        assertRejected("retention.bytes", "-5k", "size must be -1 or at least 0");
        assertRejected("index.interval.bytes", "-1", "must not be negative");
        assertRejected("flush.policy", "sometimes", "never, interval, every_batch");
        assertRejected("flush.ms", "", "expected a duration");
        assertRejected("max.message.bytes", "99999999999999999999", "expected a size");
        assertRejected("retention.bytes", "9999999999t", "overflows");
        assertRejected("remote.log.metadata.manager", "1d", "unknown log config 'remote.log.metadata.manager'");
        assertRejected("cleanup.policy", "shred", "expected delete, compact or compact,delete");
        assertRejected("cleanup.policy", "", "expected delete, compact or compact,delete");
        assertRejected("min.cleanable.dirty.ratio", "1.5", "must be from 0 to 1");
        assertRejected("min.cleanable.dirty.ratio", "half", "expected a ratio");
        assertRejected("delete.retention.ms", "-1", "must not be negative");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> LogConfig.fromMap(Map.of("segment.bytes", "1m", "max.message.bytes", "2m")));
        assertTrue(ex.getMessage().contains("max.message.bytes=2097152"), ex.getMessage());
        assertTrue(ex.getMessage().contains("segment.bytes=1048576"), ex.getMessage());
    }

    @Test
    void shouldBeImmutableOnceConcluded()
    {
        final LogConfig config = new LogConfig().conclude();
        assertThrows(IllegalStateException.class, () -> config.segmentBytes(1024 * 1024));
        assertThrows(IllegalStateException.class, () -> config.set("retention.ms", "1d"));
        final LogConfig copy = config.copy().retentionMs(1000);
        assertFalse(copy.isConcluded());
        assertEquals(1000, copy.conclude().retentionMs());
        assertEquals(config.segmentBytes(), copy.segmentBytes());
    }

    @Test
    void shouldTakeDefaultsFromSystemPropertiesAndNameABadOne()
    {
        final String property = LogConfig.Configuration.PROPERTY_PREFIX + LogConfig.RETENTION_MS;
        System.setProperty(property, "3d");
        try
        {
            assertEquals(3L * 86_400_000, new LogConfig().retentionMs());
            System.setProperty(property, "soon");
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, LogConfig::new);
            assertTrue(ex.getMessage().contains("system property spindle.log.retention.ms"), ex.getMessage());
        }
        finally
        {
            System.clearProperty(property);
        }
    }

    @Test
    void shouldRecogniseLogConfigKeys()
    {
        assertTrue(LogConfig.isLogConfig("retention.ms"));
        assertTrue(LogConfig.isLogConfig("cleanup.policy"));
        assertTrue(LogConfig.isLogConfig("local.retention.ms"));
        assertFalse(LogConfig.isLogConfig("remote.log.storage.manager.class.name"));
    }

    @Test
    void shouldParseCompactionSettingsInKafkasSpelling()
    {
        final LogConfig defaults = new LogConfig().conclude();
        assertEquals("delete", defaults.cleanupPolicy());
        assertTrue(defaults.isDelete());
        assertFalse(defaults.isCompact());
        assertEquals(86_400_000L, defaults.deleteRetentionMs());

        final LogConfig config = LogConfig.fromMap(Map.of(
            "cleanup.policy", "delete, compact",
            "min.cleanable.dirty.ratio", "0.25",
            "min.compaction.lag.ms", "1m",
            "max.compaction.lag.ms", "1h",
            "delete.retention.ms", "10s"));
        assertEquals("compact,delete", config.cleanupPolicy());
        assertTrue(config.isCompact());
        assertTrue(config.isDelete());
        assertEquals(0.25, config.minCleanableDirtyRatio());
        assertEquals(60_000, config.minCompactionLagMs());
        assertEquals(3_600_000, config.maxCompactionLagMs());
        assertEquals(10_000, config.deleteRetentionMs());
        assertEquals(config.toMap(), LogConfig.fromMap(config.toMap()).toMap());
        assertFalse(LogConfig.fromMap(Map.of("cleanup.policy", "compact")).isDelete());
        assertThrows(IllegalArgumentException.class,
            () -> LogConfig.fromMap(Map.of("min.compaction.lag.ms", "2h", "max.compaction.lag.ms", "1h")));
    }

    @Test
    void shouldParseTieredStorageSettingsWithKafkasDefaultsAndInterplay()
    {
        final LogConfig defaults = new LogConfig().conclude();
        assertFalse(defaults.remoteStorageEnable());
        assertEquals(LogConfig.SAME_AS_RETENTION, defaults.localRetentionMs());
        assertEquals(LogConfig.SAME_AS_RETENTION, defaults.localRetentionBytes());
        assertEquals(defaults.retentionMs(), defaults.effectiveLocalRetentionMs());

        final LogConfig tiered = LogConfig.fromMap(Map.of(
            "remote.storage.enable", "true",
            "retention.ms", "30d",
            "retention.bytes", "10g",
            "local.retention.ms", "1d",
            "local.retention.bytes", "1g"));
        assertTrue(tiered.remoteStorageEnable());
        assertEquals(86_400_000L, tiered.effectiveLocalRetentionMs());
        assertEquals(1L << 30, tiered.effectiveLocalRetentionBytes());
        assertEquals(30L * 86_400_000L, tiered.retentionMs());
        assertEquals(tiered.toMap(), LogConfig.fromMap(tiered.toMap()).toMap());

        // -2 is the same as the total; without remote storage the local settings do not apply.
        final LogConfig same = LogConfig.fromMap(Map.of("remote.storage.enable", "true", "retention.bytes", "5g"));
        assertEquals(5L << 30, same.effectiveLocalRetentionBytes());
        final LogConfig off = LogConfig.fromMap(Map.of("local.retention.ms", "1h"));
        assertEquals(off.retentionMs(), off.effectiveLocalRetentionMs());

        // Local may not keep more than the total; unlimited local under a finite total is more.
        assertRejectedMap(Map.of("retention.ms", "1d", "local.retention.ms", "2d"), "must not exceed retention.ms");
        assertRejectedMap(Map.of("retention.ms", "1d", "local.retention.ms", "-1"), "must not exceed retention.ms");
        assertRejectedMap(Map.of("retention.bytes", "1g", "local.retention.bytes", "2g"),
            "must not exceed retention.bytes");
        assertEquals(-1, LogConfig.fromMap(Map.of("retention.ms", "-1", "local.retention.ms", "-1"))
            .effectiveLocalRetentionMs());
        assertRejected("local.retention.ms", "-3", "local.retention.ms");
        assertRejected("remote.storage.enable", "yes", "expected true or false");
        assertRejectedMap(Map.of("remote.storage.enable", "true", "cleanup.policy", "compact"),
            "not supported with cleanup.policy=compact");
    }

    private static void assertRejectedMap(final Map<String, String> configs, final String expectedMessagePart)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> LogConfig.fromMap(configs), configs.toString());
        assertTrue(ex.getMessage().contains(expectedMessagePart), ex.getMessage());
    }

    private static void assertRejected(final String key, final String value, final String expectedMessagePart)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> LogConfig.fromMap(Map.of(key, value)), key + "=" + value);
        assertTrue(ex.getMessage().contains(expectedMessagePart), ex.getMessage());
        if (LogConfig.isLogConfig(key))
        {
            assertTrue(ex.getMessage().contains(key), ex.getMessage());
        }
    }
}
