/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.config.ConfigValues;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

/**
 * Settings of one partition log, per topic, with Kafka's topic-config names and Spindle's defaults.
 * <p>
 * A fluent context: defaults come from {@link Configuration} (system properties {@code spindle.log.<key>}, else
 * the {@code _DEFAULT} constants), per-topic values arrive as strings through {@link #set(String, String)}, and
 * {@link #conclude()} validates the combination and freezes the instance, after which it is immutable and safe
 * to share between threads. {@link PartitionLog#open} concludes the config it is given.
 * <table>
 *     <caption>Topic configs</caption>
 *     <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *     <tr><td>segment.bytes</td><td>128m</td><td>roll when the active segment would exceed this; also the size
 *     each active segment file is preallocated (sparse) and mapped at, so at most 2g - 1</td></tr>
 *     <tr><td>segment.ms</td><td>7d</td><td>roll when the active segment's first append is this old</td></tr>
 *     <tr><td>index.interval.bytes</td><td>4k</td><td>bytes of batches between offset/time index entries</td></tr>
 *     <tr><td>retention.ms</td><td>7d</td><td>delete sealed segments whose largest timestamp is older; -1 keeps
 *     them forever</td></tr>
 *     <tr><td>retention.bytes</td><td>-1</td><td>delete the oldest sealed segments while the partition stays at
 *     least this big without them; -1 has no limit</td></tr>
 *     <tr><td>max.message.bytes</td><td>1m</td><td>largest batch accepted, at most segment.bytes</td></tr>
 *     <tr><td>flush.policy</td><td>never</td><td>never, interval or every_batch; see {@link FlushPolicy}</td></tr>
 *     <tr><td>flush.ms</td><td>1s</td><td>interval between forces for the interval policy</td></tr>
 *     <tr><td>file.delete.delay.ms</td><td>1min</td><td>how long a deleted or truncated-away segment stays
 *     mapped for readers that may still be on it before it is unmapped</td></tr>
 *     <tr><td>cleanup.policy</td><td>delete</td><td>delete (retention deletes old segments), compact (the
 *     {@link LogCleaner} keeps the latest record per key; retention deletes nothing) or compact,delete (both)</td></tr>
 *     <tr><td>min.cleanable.dirty.ratio</td><td>0.5</td><td>clean when at least this share of the cleanable
 *     bytes was written since the last cleaning</td></tr>
 *     <tr><td>min.compaction.lag.ms</td><td>0</td><td>a segment is cleanable only once its largest timestamp is
 *     this old</td></tr>
 *     <tr><td>max.compaction.lag.ms</td><td>max long</td><td>clean regardless of the dirty ratio once the oldest
 *     uncleaned sealed segment's largest timestamp is this old</td></tr>
 *     <tr><td>delete.retention.ms</td><td>1d</td><td>how long a tombstone (null value) survives cleaning, judged
 *     from its timestamp</td></tr>
 *     <tr><td>remote.storage.enable</td><td>false</td><td>copy sealed segments to the archive tier; retention.ms and
 *     retention.bytes then span both tiers and the local.retention.* settings say what stays on local disk; not
 *     with compaction</td></tr>
 *     <tr><td>local.retention.ms</td><td>-2</td><td>with remote storage, how long a sealed segment that is already
 *     archived stays on local disk; -2 means retention.ms, -1 unlimited; at most retention.ms</td></tr>
 *     <tr><td>local.retention.bytes</td><td>-2</td><td>with remote storage, the local size archived segments are
 *     deleted down to; -2 means retention.bytes, -1 unlimited; at most retention.bytes</td></tr>
 * </table>
 * Sizes and durations are read by {@link ConfigValues}: sizes take a {@code k}, {@code m} or {@code g} suffix (powers
 * of 1024) and durations {@code ms}, {@code s}, {@code m}/{@code min}, {@code h} or {@code d}; a bare number is bytes
 * or milliseconds, as in Kafka.
 */
public final class LogConfig
{
    /**
     * Topic-config key for the segment size in bytes.
     */
    public static final String SEGMENT_BYTES = "segment.bytes";

    /**
     * Topic-config key for the segment age that forces a roll.
     */
    public static final String SEGMENT_MS = "segment.ms";

    /**
     * Topic-config key for the bytes between index entries.
     */
    public static final String INDEX_INTERVAL_BYTES = "index.interval.bytes";

    /**
     * Topic-config key for time-based retention.
     */
    public static final String RETENTION_MS = "retention.ms";

    /**
     * Topic-config key for size-based retention.
     */
    public static final String RETENTION_BYTES = "retention.bytes";

    /**
     * Topic-config key for the largest batch accepted.
     */
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";

    /**
     * Topic-config key for the {@link FlushPolicy}.
     */
    public static final String FLUSH_POLICY = "flush.policy";

    /**
     * Topic-config key for the interval of the {@link FlushPolicy#INTERVAL} policy.
     */
    public static final String FLUSH_MS = "flush.ms";

    /**
     * Topic-config key for how long removed segments stay mapped before they are unmapped.
     */
    public static final String FILE_DELETE_DELAY_MS = "file.delete.delay.ms";

    /**
     * Topic-config key for what happens to old data: {@code delete}, {@code compact} or {@code compact,delete}.
     */
    public static final String CLEANUP_POLICY = "cleanup.policy";

    /**
     * Topic-config key for the share of dirty bytes that makes a compacted log worth cleaning.
     */
    public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";

    /**
     * Topic-config key for how old a record must be before it may be compacted.
     */
    public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";

    /**
     * Topic-config key for how old a dirty record may get before cleaning is forced whatever the dirty ratio.
     */
    public static final String MAX_COMPACTION_LAG_MS = "max.compaction.lag.ms";

    /**
     * Topic-config key for how long a tombstone survives compaction.
     */
    public static final String DELETE_RETENTION_MS = "delete.retention.ms";

    /**
     * Topic-config key for copying sealed segments to the archive tier (tiered storage, as Kafka's KIP-405).
     */
    public static final String REMOTE_STORAGE_ENABLE = "remote.storage.enable";

    /**
     * Topic-config key for how long archived segments stay on local disk when remote storage is enabled.
     */
    public static final String LOCAL_RETENTION_MS = "local.retention.ms";

    /**
     * Topic-config key for the local size archived segments are deleted down to when remote storage is enabled.
     */
    public static final String LOCAL_RETENTION_BYTES = "local.retention.bytes";

    /**
     * Value of {@link #LOCAL_RETENTION_MS} and {@link #LOCAL_RETENTION_BYTES} meaning "the same as the total
     * retention", Kafka's convention.
     */
    public static final long SAME_AS_RETENTION = -2;

    /**
     * Value of {@link #RETENTION_MS} and {@link #RETENTION_BYTES} meaning no limit.
     */
    public static final long UNLIMITED = -1;

    /**
     * Smallest segment size accepted: one batch header.
     */
    public static final int SEGMENT_BYTES_MIN = RecordBatch.HEADER_LENGTH;

    /**
     * Every key this class understands, in table order.
     */
    private static final String[] KEYS =
    {
        SEGMENT_BYTES, SEGMENT_MS, INDEX_INTERVAL_BYTES, RETENTION_MS, RETENTION_BYTES, MAX_MESSAGE_BYTES,
        FLUSH_POLICY, FLUSH_MS, FILE_DELETE_DELAY_MS, CLEANUP_POLICY, MIN_CLEANABLE_DIRTY_RATIO,
        MIN_COMPACTION_LAG_MS, MAX_COMPACTION_LAG_MS, DELETE_RETENTION_MS, REMOTE_STORAGE_ENABLE, LOCAL_RETENTION_MS,
        LOCAL_RETENTION_BYTES
    };

    /**
     * Broker-wide defaults: system property names, default values and readers.
     */
    public static final class Configuration
    {
        /**
         * Prefix of the system properties that override the defaults, followed by the topic-config key.
         */
        public static final String PROPERTY_PREFIX = "spindle.log.";

        /**
         * Default segment size, 128 MiB: an eighth of Kafka's 1 GiB so that recovery after an unclean shutdown
         * (which scans at most the active segment) and retention granularity stay small.
         */
        public static final int SEGMENT_BYTES_DEFAULT = 128 * 1024 * 1024;

        /**
         * Default segment age before a roll, 7 days, as Kafka.
         */
        public static final long SEGMENT_MS_DEFAULT = 7L * 24 * 60 * 60 * 1000;

        /**
         * Default bytes between index entries, 4 KiB, as Kafka.
         */
        public static final int INDEX_INTERVAL_BYTES_DEFAULT = 4096;

        /**
         * Default time-based retention, 7 days, as Kafka.
         */
        public static final long RETENTION_MS_DEFAULT = 7L * 24 * 60 * 60 * 1000;

        /**
         * Default size-based retention: unlimited, as Kafka.
         */
        public static final long RETENTION_BYTES_DEFAULT = UNLIMITED;

        /**
         * Default largest batch, 1 MiB.
         */
        public static final int MAX_MESSAGE_BYTES_DEFAULT = 1024 * 1024;

        /**
         * Default flush policy: leave write-back to the OS, as Kafka.
         */
        public static final FlushPolicy FLUSH_POLICY_DEFAULT = FlushPolicy.NEVER;

        /**
         * Default interval for {@link FlushPolicy#INTERVAL}, 1 s.
         */
        public static final long FLUSH_MS_DEFAULT = 1000;

        /**
         * Default delay before a removed segment is unmapped and its files deleted, 60 s, as Kafka.
         */
        public static final long FILE_DELETE_DELAY_MS_DEFAULT = 60_000;

        /**
         * Default cleanup policy: delete by retention, as Kafka.
         */
        public static final String CLEANUP_POLICY_DEFAULT = "delete";

        /**
         * Default dirty ratio that triggers cleaning, 0.5, as Kafka.
         */
        public static final double MIN_CLEANABLE_DIRTY_RATIO_DEFAULT = 0.5;

        /**
         * Default minimum compaction lag: none, as Kafka.
         */
        public static final long MIN_COMPACTION_LAG_MS_DEFAULT = 0;

        /**
         * Default maximum compaction lag: unbounded, as Kafka.
         */
        public static final long MAX_COMPACTION_LAG_MS_DEFAULT = Long.MAX_VALUE;

        /**
         * Default tombstone retention, 1 day, as Kafka.
         */
        public static final long DELETE_RETENTION_MS_DEFAULT = 24L * 60 * 60 * 1000;

        /**
         * Default for remote storage: off, as Kafka.
         */
        public static final boolean REMOTE_STORAGE_ENABLE_DEFAULT = false;

        /**
         * Default local retention time: the same as retention.ms, as Kafka.
         */
        public static final long LOCAL_RETENTION_MS_DEFAULT = SAME_AS_RETENTION;

        /**
         * Default local retention size: the same as retention.bytes, as Kafka.
         */
        public static final long LOCAL_RETENTION_BYTES_DEFAULT = SAME_AS_RETENTION;

        private Configuration()
        {
        }

        /**
         * The default for a key: the system property {@code spindle.log.<key>} if set, else the built-in default.
         *
         * @param key topic-config key.
         * @return the default as a string.
         * @throws IllegalArgumentException if the key is not a log config key.
         */
        public static String defaultValue(final String key)
        {
            return System.getProperty(PROPERTY_PREFIX + key, builtInValue(key));
        }

        /**
         * The built-in default for a key, the {@code _DEFAULT} constant, whatever the system properties say.
         *
         * @param key topic-config key.
         * @return the built-in default as a string, in the form {@link LogConfig#toMap()} gives it.
         * @throws IllegalArgumentException if the key is not a log config key.
         */
        public static String builtInValue(final String key)
        {
            final String builtIn;
            switch (key)
            {
                case SEGMENT_BYTES: builtIn = Integer.toString(SEGMENT_BYTES_DEFAULT); break;
                case SEGMENT_MS: builtIn = Long.toString(SEGMENT_MS_DEFAULT); break;
                case INDEX_INTERVAL_BYTES: builtIn = Integer.toString(INDEX_INTERVAL_BYTES_DEFAULT); break;
                case RETENTION_MS: builtIn = Long.toString(RETENTION_MS_DEFAULT); break;
                case RETENTION_BYTES: builtIn = Long.toString(RETENTION_BYTES_DEFAULT); break;
                case MAX_MESSAGE_BYTES: builtIn = Integer.toString(MAX_MESSAGE_BYTES_DEFAULT); break;
                case FLUSH_POLICY: builtIn = FLUSH_POLICY_DEFAULT.name().toLowerCase(Locale.ROOT); break;
                case FLUSH_MS: builtIn = Long.toString(FLUSH_MS_DEFAULT); break;
                case FILE_DELETE_DELAY_MS: builtIn = Long.toString(FILE_DELETE_DELAY_MS_DEFAULT); break;
                case CLEANUP_POLICY: builtIn = CLEANUP_POLICY_DEFAULT; break;
                case MIN_CLEANABLE_DIRTY_RATIO: builtIn = Double.toString(MIN_CLEANABLE_DIRTY_RATIO_DEFAULT); break;
                case MIN_COMPACTION_LAG_MS: builtIn = Long.toString(MIN_COMPACTION_LAG_MS_DEFAULT); break;
                case MAX_COMPACTION_LAG_MS: builtIn = Long.toString(MAX_COMPACTION_LAG_MS_DEFAULT); break;
                case DELETE_RETENTION_MS: builtIn = Long.toString(DELETE_RETENTION_MS_DEFAULT); break;
                case REMOTE_STORAGE_ENABLE: builtIn = Boolean.toString(REMOTE_STORAGE_ENABLE_DEFAULT); break;
                case LOCAL_RETENTION_MS: builtIn = Long.toString(LOCAL_RETENTION_MS_DEFAULT); break;
                case LOCAL_RETENTION_BYTES: builtIn = Long.toString(LOCAL_RETENTION_BYTES_DEFAULT); break;
                default: throw unknownKey(key);
            }

            return builtIn;
        }
    }

    private int segmentBytes;
    private long segmentMs;
    private int indexIntervalBytes;
    private long retentionMs;
    private long retentionBytes;
    private int maxMessageBytes;
    private FlushPolicy flushPolicy;
    private long flushMs;
    private long fileDeleteDelayMs;
    private boolean isCompact;
    private boolean isDelete;
    private double minCleanableDirtyRatio;
    private long minCompactionLagMs;
    private long maxCompactionLagMs;
    private long deleteRetentionMs;
    private boolean isRemoteStorageEnabled;
    private long localRetentionMs;
    private long localRetentionBytes;
    private boolean isConcluded;

    /**
     * A config holding the defaults of {@link Configuration}, including any {@code spindle.log.*} overrides.
     *
     * @throws IllegalArgumentException if a {@code spindle.log.*} system property has a bad value.
     */
    public LogConfig()
    {
        for (final String key : KEYS)
        {
            try
            {
                set(key, Configuration.defaultValue(key));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(
                    "system property " + Configuration.PROPERTY_PREFIX + key + ": " + ex.getMessage(), ex);
            }
        }
    }

    /**
     * A config from per-topic key/values over the defaults.
     *
     * @param topicConfigs keys and values, all of which must be log config keys; see {@link #isLogConfig(String)}.
     * @return a concluded config.
     * @throws IllegalArgumentException naming the key and value if a key is unknown or a value is bad.
     */
    public static LogConfig fromMap(final Map<String, String> topicConfigs)
    {
        final LogConfig config = new LogConfig();
        for (final Map.Entry<String, String> entry : topicConfigs.entrySet())
        {
            config.set(entry.getKey(), entry.getValue());
        }

        return config.conclude();
    }

    /**
     * Whether a topic-config key is one of the log's, so a host can route the rest elsewhere.
     *
     * @param key topic-config key.
     * @return true if {@link #set(String, String)} understands it.
     */
    public static boolean isLogConfig(final String key)
    {
        for (final String k : KEYS)
        {
            if (k.equals(key))
            {
                return true;
            }
        }

        return false;
    }

    /**
     * A new, unconcluded config with the same values, to derive an altered config from.
     *
     * @return the copy.
     */
    public LogConfig copy()
    {
        final LogConfig copy = new LogConfig();
        copy.segmentBytes = segmentBytes;
        copy.segmentMs = segmentMs;
        copy.indexIntervalBytes = indexIntervalBytes;
        copy.retentionMs = retentionMs;
        copy.retentionBytes = retentionBytes;
        copy.maxMessageBytes = maxMessageBytes;
        copy.flushPolicy = flushPolicy;
        copy.flushMs = flushMs;
        copy.fileDeleteDelayMs = fileDeleteDelayMs;
        copy.isCompact = isCompact;
        copy.isDelete = isDelete;
        copy.minCleanableDirtyRatio = minCleanableDirtyRatio;
        copy.minCompactionLagMs = minCompactionLagMs;
        copy.maxCompactionLagMs = maxCompactionLagMs;
        copy.deleteRetentionMs = deleteRetentionMs;
        copy.isRemoteStorageEnabled = isRemoteStorageEnabled;
        copy.localRetentionMs = localRetentionMs;
        copy.localRetentionBytes = localRetentionBytes;
        return copy;
    }

    /**
     * Set one value from its topic-config string form.
     *
     * @param key   topic-config key, e.g. {@code segment.bytes}.
     * @param value e.g. {@code 64m}, {@code 7d}, {@code -1} or {@code every_batch}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException naming the key and value if the key is unknown or the value is bad.
     * @throws IllegalStateException    if the config has been concluded.
     */
    public LogConfig set(final String key, final String value)
    {
        if (null == value)
        {
            throw new IllegalArgumentException(key + " has no value");
        }

        switch (key)
        {
            case SEGMENT_BYTES: return segmentBytes(ConfigValues.parseIntSize(key, value));
            case SEGMENT_MS: return segmentMs(ConfigValues.parseDuration(key, value, MILLISECONDS));
            case INDEX_INTERVAL_BYTES: return indexIntervalBytes(ConfigValues.parseIntSize(key, value));
            case RETENTION_MS: return retentionMs(ConfigValues.parseDuration(key, value, MILLISECONDS));
            case RETENTION_BYTES: return retentionBytes(ConfigValues.parseSize(key, value));
            case MAX_MESSAGE_BYTES: return maxMessageBytes(ConfigValues.parseIntSize(key, value));
            case FLUSH_POLICY: return flushPolicy(FlushPolicy.parse(value));
            case FLUSH_MS: return flushMs(ConfigValues.parseDuration(key, value, MILLISECONDS));
            case FILE_DELETE_DELAY_MS: return fileDeleteDelayMs(ConfigValues.parseDuration(key, value, MILLISECONDS));
            case CLEANUP_POLICY: return cleanupPolicy(value);
            case MIN_CLEANABLE_DIRTY_RATIO: return minCleanableDirtyRatio(parseRatio(key, value));
            case MIN_COMPACTION_LAG_MS: return minCompactionLagMs(ConfigValues.parseDuration(key, value, MILLISECONDS));
            case MAX_COMPACTION_LAG_MS: return maxCompactionLagMs(ConfigValues.parseDuration(key, value, MILLISECONDS));
            case DELETE_RETENTION_MS: return deleteRetentionMs(ConfigValues.parseDuration(key, value, MILLISECONDS));
            case REMOTE_STORAGE_ENABLE: return remoteStorageEnable(parseBoolean(key, value));
            case LOCAL_RETENTION_MS: return localRetentionMs(isSameAsRetention(value) ? SAME_AS_RETENTION :
                ConfigValues.parseDuration(key, value, MILLISECONDS));
            case LOCAL_RETENTION_BYTES: return localRetentionBytes(isSameAsRetention(value) ? SAME_AS_RETENTION :
                ConfigValues.parseSize(key, value));
            default: throw unknownKey(key);
        }
    }

    /**
     * Validate the combination of values and freeze the config.
     *
     * @return this, now immutable.
     * @throws IllegalArgumentException naming the key and value of the first bad setting.
     */
    public LogConfig conclude()
    {
        if (isConcluded)
        {
            return this;
        }

        if (segmentBytes < SEGMENT_BYTES_MIN)
        {
            throw bad(SEGMENT_BYTES, segmentBytes, "must be at least " + SEGMENT_BYTES_MIN);
        }
        if (segmentMs < 1)
        {
            throw bad(SEGMENT_MS, segmentMs, "must be at least 1ms");
        }
        if (indexIntervalBytes < 0)
        {
            throw bad(INDEX_INTERVAL_BYTES, indexIntervalBytes, "must not be negative");
        }
        if (retentionMs < UNLIMITED)
        {
            throw bad(RETENTION_MS, retentionMs, "must be -1 (unlimited) or at least 0");
        }
        if (retentionBytes < UNLIMITED)
        {
            throw bad(RETENTION_BYTES, retentionBytes, "must be -1 (unlimited) or at least 0");
        }
        if (maxMessageBytes < RecordBatch.HEADER_LENGTH)
        {
            throw bad(MAX_MESSAGE_BYTES, maxMessageBytes, "must be at least " + RecordBatch.HEADER_LENGTH);
        }
        if (maxMessageBytes > segmentBytes)
        {
            throw bad(MAX_MESSAGE_BYTES, maxMessageBytes, "must not exceed segment.bytes=" + segmentBytes);
        }
        if (flushMs < 1)
        {
            throw bad(FLUSH_MS, flushMs, "must be at least 1ms");
        }
        if (fileDeleteDelayMs < 0)
        {
            throw bad(FILE_DELETE_DELAY_MS, fileDeleteDelayMs, "must not be negative");
        }
        if (!(minCleanableDirtyRatio >= 0 && minCleanableDirtyRatio <= 1))
        {
            throw bad(MIN_CLEANABLE_DIRTY_RATIO, minCleanableDirtyRatio, "must be from 0 to 1");
        }
        if (minCompactionLagMs < 0)
        {
            throw bad(MIN_COMPACTION_LAG_MS, minCompactionLagMs, "must not be negative");
        }
        if (maxCompactionLagMs < 1 || maxCompactionLagMs < minCompactionLagMs)
        {
            throw bad(MAX_COMPACTION_LAG_MS, maxCompactionLagMs,
                "must be at least 1ms and at least min.compaction.lag.ms=" + minCompactionLagMs);
        }
        if (deleteRetentionMs < 0)
        {
            throw bad(DELETE_RETENTION_MS, deleteRetentionMs, "must not be negative");
        }
        if (isRemoteStorageEnabled && isCompact)
        {
            throw bad(REMOTE_STORAGE_ENABLE, true, "is not supported with cleanup.policy=" + cleanupPolicy());
        }
        checkLocalRetention(LOCAL_RETENTION_MS, localRetentionMs, RETENTION_MS, retentionMs);
        checkLocalRetention(LOCAL_RETENTION_BYTES, localRetentionBytes, RETENTION_BYTES, retentionBytes);

        isConcluded = true;
        return this;
    }

    /**
     * Whether {@link #conclude()} has frozen this config.
     *
     * @return true once concluded.
     */
    public boolean isConcluded()
    {
        return isConcluded;
    }

    /**
     * The effective values as topic-config key/value strings, in table order, for describing a topic.
     *
     * @return a new map of key to value.
     */
    public Map<String, String> toMap()
    {
        final Map<String, String> map = new LinkedHashMap<>();
        map.put(SEGMENT_BYTES, Integer.toString(segmentBytes));
        map.put(SEGMENT_MS, Long.toString(segmentMs));
        map.put(INDEX_INTERVAL_BYTES, Integer.toString(indexIntervalBytes));
        map.put(RETENTION_MS, Long.toString(retentionMs));
        map.put(RETENTION_BYTES, Long.toString(retentionBytes));
        map.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
        map.put(FLUSH_POLICY, flushPolicy.name().toLowerCase(Locale.ROOT));
        map.put(FLUSH_MS, Long.toString(flushMs));
        map.put(FILE_DELETE_DELAY_MS, Long.toString(fileDeleteDelayMs));
        map.put(CLEANUP_POLICY, cleanupPolicy());
        map.put(MIN_CLEANABLE_DIRTY_RATIO, Double.toString(minCleanableDirtyRatio));
        map.put(MIN_COMPACTION_LAG_MS, Long.toString(minCompactionLagMs));
        map.put(MAX_COMPACTION_LAG_MS, Long.toString(maxCompactionLagMs));
        map.put(DELETE_RETENTION_MS, Long.toString(deleteRetentionMs));
        map.put(REMOTE_STORAGE_ENABLE, Boolean.toString(isRemoteStorageEnabled));
        map.put(LOCAL_RETENTION_MS, Long.toString(localRetentionMs));
        map.put(LOCAL_RETENTION_BYTES, Long.toString(localRetentionBytes));
        return map;
    }

    /**
     * Segment size in bytes at which the active segment rolls.
     *
     * @return segment size in bytes.
     */
    public int segmentBytes()
    {
        return segmentBytes;
    }

    /**
     * Set the segment size in bytes at which the active segment rolls.
     *
     * @param segmentBytes segment size in bytes, {@link #SEGMENT_BYTES_MIN} to {@link Integer#MAX_VALUE}.
     * @return this for a fluent API.
     */
    public LogConfig segmentBytes(final int segmentBytes)
    {
        checkNotConcluded();
        this.segmentBytes = segmentBytes;
        return this;
    }

    /**
     * Age in milliseconds of the active segment's first append at which it rolls.
     *
     * @return segment age limit in milliseconds.
     */
    public long segmentMs()
    {
        return segmentMs;
    }

    /**
     * Set the age in milliseconds of the active segment's first append at which it rolls.
     *
     * @param segmentMs segment age limit in milliseconds, at least 1.
     * @return this for a fluent API.
     */
    public LogConfig segmentMs(final long segmentMs)
    {
        checkNotConcluded();
        this.segmentMs = segmentMs;
        return this;
    }

    /**
     * Bytes of batches between entries of the offset and time indexes.
     *
     * @return index interval in bytes.
     */
    public int indexIntervalBytes()
    {
        return indexIntervalBytes;
    }

    /**
     * Set the bytes of batches between entries of the offset and time indexes; 0 indexes every batch.
     *
     * @param indexIntervalBytes index interval in bytes, at least 0.
     * @return this for a fluent API.
     */
    public LogConfig indexIntervalBytes(final int indexIntervalBytes)
    {
        checkNotConcluded();
        this.indexIntervalBytes = indexIntervalBytes;
        return this;
    }

    /**
     * Age in milliseconds of a sealed segment's largest timestamp after which it is deleted, or -1.
     *
     * @return retention in milliseconds, or {@link #UNLIMITED}.
     */
    public long retentionMs()
    {
        return retentionMs;
    }

    /**
     * Set the age in milliseconds of a sealed segment's largest timestamp after which it is deleted.
     *
     * @param retentionMs retention in milliseconds, or {@link #UNLIMITED}.
     * @return this for a fluent API.
     */
    public LogConfig retentionMs(final long retentionMs)
    {
        checkNotConcluded();
        this.retentionMs = retentionMs;
        return this;
    }

    /**
     * Partition size in bytes the oldest segments are deleted down to, or -1.
     *
     * @return retention in bytes, or {@link #UNLIMITED}.
     */
    public long retentionBytes()
    {
        return retentionBytes;
    }

    /**
     * Set the partition size in bytes the oldest segments are deleted down to.
     *
     * @param retentionBytes retention in bytes, or {@link #UNLIMITED}.
     * @return this for a fluent API.
     */
    public LogConfig retentionBytes(final long retentionBytes)
    {
        checkNotConcluded();
        this.retentionBytes = retentionBytes;
        return this;
    }

    /**
     * Largest batch in bytes that append accepts.
     *
     * @return maximum batch length in bytes.
     */
    public int maxMessageBytes()
    {
        return maxMessageBytes;
    }

    /**
     * Set the largest batch in bytes that append accepts.
     *
     * @param maxMessageBytes maximum batch length in bytes, from the header length to segment.bytes.
     * @return this for a fluent API.
     */
    public LogConfig maxMessageBytes(final int maxMessageBytes)
    {
        checkNotConcluded();
        this.maxMessageBytes = maxMessageBytes;
        return this;
    }

    /**
     * When segments are forced to the device.
     *
     * @return the flush policy.
     */
    public FlushPolicy flushPolicy()
    {
        return flushPolicy;
    }

    /**
     * Set when segments are forced to the device.
     *
     * @param flushPolicy the flush policy.
     * @return this for a fluent API.
     */
    public LogConfig flushPolicy(final FlushPolicy flushPolicy)
    {
        checkNotConcluded();
        this.flushPolicy = java.util.Objects.requireNonNull(flushPolicy, FLUSH_POLICY);
        return this;
    }

    /**
     * Interval in milliseconds between forces under {@link FlushPolicy#INTERVAL}.
     *
     * @return flush interval in milliseconds.
     */
    public long flushMs()
    {
        return flushMs;
    }

    /**
     * Set the interval in milliseconds between forces under {@link FlushPolicy#INTERVAL}.
     *
     * @param flushMs flush interval in milliseconds, at least 1.
     * @return this for a fluent API.
     */
    public LogConfig flushMs(final long flushMs)
    {
        checkNotConcluded();
        this.flushMs = flushMs;
        return this;
    }

    /**
     * Milliseconds a removed segment stays mapped for in-flight readers before it is unmapped and deleted.
     *
     * @return delay in milliseconds.
     */
    public long fileDeleteDelayMs()
    {
        return fileDeleteDelayMs;
    }

    /**
     * Set the milliseconds a removed segment stays mapped for in-flight readers before it is unmapped.
     *
     * @param fileDeleteDelayMs delay in milliseconds, at least 0.
     * @return this for a fluent API.
     */
    public LogConfig fileDeleteDelayMs(final long fileDeleteDelayMs)
    {
        checkNotConcluded();
        this.fileDeleteDelayMs = fileDeleteDelayMs;
        return this;
    }

    /**
     * The cleanup policy in Kafka's spelling: {@code delete}, {@code compact} or {@code compact,delete}.
     *
     * @return the policy.
     */
    public String cleanupPolicy()
    {
        return isCompact ? (isDelete ? "compact,delete" : "compact") : "delete";
    }

    /**
     * Set the cleanup policy from Kafka's spelling: a comma-separated list of {@code delete} and {@code compact}.
     *
     * @param policy such as {@code compact} or {@code compact,delete}.
     * @return this for a fluent API.
     * @throws IllegalArgumentException if the list is empty or names anything else.
     */
    public LogConfig cleanupPolicy(final String policy)
    {
        checkNotConcluded();
        boolean compact = false;
        boolean delete = false;
        for (final String part : policy.split(",", -1))
        {
            switch (part.trim().toLowerCase(Locale.ROOT))
            {
                case "compact": compact = true; break;
                case "delete": delete = true; break;
                default: throw bad(CLEANUP_POLICY, policy, "expected delete, compact or compact,delete");
            }
        }

        isCompact = compact;
        isDelete = delete;
        return this;
    }

    /**
     * Whether the log is compacted: the cleaner keeps the latest record per key and records need keys.
     *
     * @return true for {@code compact} and {@code compact,delete}.
     */
    public boolean isCompact()
    {
        return isCompact;
    }

    /**
     * Whether retention deletes old segments.
     *
     * @return true for {@code delete} and {@code compact,delete}.
     */
    public boolean isDelete()
    {
        return isDelete;
    }

    /**
     * Share of the cleanable bytes written since the last cleaning at which a compacted log is cleaned.
     *
     * @return ratio from 0 to 1.
     */
    public double minCleanableDirtyRatio()
    {
        return minCleanableDirtyRatio;
    }

    /**
     * Set the share of dirty bytes at which a compacted log is cleaned.
     *
     * @param ratio from 0 to 1.
     * @return this for a fluent API.
     */
    public LogConfig minCleanableDirtyRatio(final double ratio)
    {
        checkNotConcluded();
        this.minCleanableDirtyRatio = ratio;
        return this;
    }

    /**
     * How old, in milliseconds, a segment's largest timestamp must be before the segment may be compacted.
     *
     * @return lag in milliseconds.
     */
    public long minCompactionLagMs()
    {
        return minCompactionLagMs;
    }

    /**
     * Set how old a segment's largest timestamp must be before the segment may be compacted.
     *
     * @param lagMs lag in milliseconds, at least 0.
     * @return this for a fluent API.
     */
    public LogConfig minCompactionLagMs(final long lagMs)
    {
        checkNotConcluded();
        this.minCompactionLagMs = lagMs;
        return this;
    }

    /**
     * How old, in milliseconds, the oldest uncleaned sealed segment may get before cleaning is forced.
     *
     * @return lag in milliseconds.
     */
    public long maxCompactionLagMs()
    {
        return maxCompactionLagMs;
    }

    /**
     * Set how old the oldest uncleaned sealed segment may get before cleaning is forced.
     *
     * @param lagMs lag in milliseconds, at least 1 and at least min.compaction.lag.ms.
     * @return this for a fluent API.
     */
    public LogConfig maxCompactionLagMs(final long lagMs)
    {
        checkNotConcluded();
        this.maxCompactionLagMs = lagMs;
        return this;
    }

    /**
     * How long, in milliseconds after its timestamp, a tombstone survives compaction.
     *
     * @return retention in milliseconds.
     */
    public long deleteRetentionMs()
    {
        return deleteRetentionMs;
    }

    /**
     * Set how long, in milliseconds after its timestamp, a tombstone survives compaction.
     *
     * @param retentionMs retention in milliseconds, at least 0.
     * @return this for a fluent API.
     */
    public LogConfig deleteRetentionMs(final long retentionMs)
    {
        checkNotConcluded();
        this.deleteRetentionMs = retentionMs;
        return this;
    }

    /**
     * Whether sealed segments are copied to the archive tier and local retention is the local.retention.* settings.
     *
     * @return true if remote storage is enabled.
     */
    public boolean remoteStorageEnable()
    {
        return isRemoteStorageEnabled;
    }

    /**
     * Set whether sealed segments are copied to the archive tier.
     *
     * @param enable true to enable remote storage.
     * @return this for a fluent API.
     */
    public LogConfig remoteStorageEnable(final boolean enable)
    {
        checkNotConcluded();
        this.isRemoteStorageEnabled = enable;
        return this;
    }

    /**
     * How long an archived segment stays on local disk, as configured.
     *
     * @return milliseconds, {@link #UNLIMITED} or {@link #SAME_AS_RETENTION}.
     */
    public long localRetentionMs()
    {
        return localRetentionMs;
    }

    /**
     * Set how long an archived segment stays on local disk.
     *
     * @param retentionMs milliseconds, {@link #UNLIMITED} or {@link #SAME_AS_RETENTION}.
     * @return this for a fluent API.
     */
    public LogConfig localRetentionMs(final long retentionMs)
    {
        checkNotConcluded();
        this.localRetentionMs = retentionMs;
        return this;
    }

    /**
     * The local size archived segments are deleted down to, as configured.
     *
     * @return bytes, {@link #UNLIMITED} or {@link #SAME_AS_RETENTION}.
     */
    public long localRetentionBytes()
    {
        return localRetentionBytes;
    }

    /**
     * Set the local size archived segments are deleted down to.
     *
     * @param retentionBytes bytes, {@link #UNLIMITED} or {@link #SAME_AS_RETENTION}.
     * @return this for a fluent API.
     */
    public LogConfig localRetentionBytes(final long retentionBytes)
    {
        checkNotConcluded();
        this.localRetentionBytes = retentionBytes;
        return this;
    }

    /**
     * The time limit local retention applies: local.retention.ms with remote storage (-2 resolved to retention.ms),
     * else retention.ms.
     *
     * @return milliseconds or {@link #UNLIMITED}.
     */
    public long effectiveLocalRetentionMs()
    {
        return isRemoteStorageEnabled && SAME_AS_RETENTION != localRetentionMs ? localRetentionMs : retentionMs;
    }

    /**
     * The size limit local retention applies: local.retention.bytes with remote storage (-2 resolved to
     * retention.bytes), else retention.bytes.
     *
     * @return bytes or {@link #UNLIMITED}.
     */
    public long effectiveLocalRetentionBytes()
    {
        return isRemoteStorageEnabled && SAME_AS_RETENTION != localRetentionBytes ?
            localRetentionBytes : retentionBytes;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "LogConfig" + toMap();
    }

    private static double parseRatio(final String key, final String value)
    {
        try
        {
            return Double.parseDouble(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw bad(key, value, "expected a ratio such as 0.5");
        }
    }

    private static boolean isSameAsRetention(final String value)
    {
        return Long.toString(SAME_AS_RETENTION).equals(value.trim());
    }

    private static boolean parseBoolean(final String key, final String value)
    {
        final String s = value.trim().toLowerCase(Locale.ROOT);
        if ("true".equals(s) || "false".equals(s))
        {
            return "true".equals(s);
        }
        throw bad(key, value, "expected true or false");
    }

    private static void checkLocalRetention(
        final String localKey, final long local, final String totalKey, final long total)
    {
        if (local < SAME_AS_RETENTION)
        {
            throw bad(localKey, local, "must be -2 (same as " + totalKey + "), -1 (unlimited) or at least 0");
        }
        if (SAME_AS_RETENTION != local && UNLIMITED != total && (UNLIMITED == local || local > total))
        {
            throw bad(localKey, local, "must not exceed " + totalKey + "=" + total);
        }
    }

    private void checkNotConcluded()
    {
        if (isConcluded)
        {
            throw new IllegalStateException("LogConfig is concluded and immutable; use copy()");
        }
    }

    private static IllegalArgumentException bad(final String key, final Object value, final String reason)
    {
        return ConfigValues.invalid(key, value, reason);
    }

    private static IllegalArgumentException unknownKey(final String key)
    {
        return new IllegalArgumentException("unknown log config '" + key + "', expected one of " +
            String.join(", ", KEYS));
    }
}
