/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import io.spindle.cluster.check.CheckResult.Anomaly;
import io.spindle.cluster.check.History.Attempt;
import io.spindle.cluster.check.History.Outcome;
import io.spindle.cluster.check.MemberPartitionLog.Batch;
import io.spindle.codecs.batch.RecordBatchFlyweight;
import io.spindle.codecs.batch.RecordBatchValidator;
import io.spindle.codecs.batch.RecordFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Judges a replicated run after the fact, in the style of Jepsen's queue workload: a {@link History} of what
 * producers were told, against the partition logs every member holds on disk once settled, plus optionally a
 * {@link HighWaterMarkMonitor} of the marks seen while it ran. See the package documentation for what it guarantees.
 * <pre>{@code
 * final CheckResult result = new ReplicationChecker(history)
 *     .member(0, member0Dir).member(1, member1Dir).member(2, member2Dir)
 *     .highWaterMarks(monitor)
 *     .check();
 * assertTrue(result.isValid(), result::toString);
 * }</pre>
 * Partitions checked: every partition the history attempted, and any added with {@link #partition}. A member's log
 * of {@code topic} partition {@code p} is read from {@link #partitionDirectory} ({@code <memberDir>/data/<topic>-<p>})
 * read-only, without opening it as a {@code PartitionLog}. Not thread-safe; {@link #check()} may be called again
 * (it rereads everything).
 */
public final class ReplicationChecker
{
    /**
     * Examples kept per anomaly by default.
     */
    public static final int MAX_EXAMPLES_DEFAULT = 5;

    /**
     * A member's partition logs live in this subdirectory of its directory.
     */
    public static final String DATA_DIR_NAME = "data";

    private record PartitionId(String topic, int partition)
    {
        public String toString()
        {
            return topic + "-" + partition;
        }
    }

    private static final Comparator<PartitionId> PARTITION_ORDER =
        Comparator.comparing(PartitionId::topic).thenComparingInt(PartitionId::partition);

    /**
     * One anomalous record in one partition and the members it was seen on.
     */
    private static final class Finding
    {
        final String description;
        final LongArrayList offsets;
        final TreeSet<Integer> memberIds = new TreeSet<>();

        Finding(final String description, final LongArrayList offsets)
        {
            this.description = description;
            this.offsets = offsets;
        }
    }

    private final History history;
    private final TreeMap<Integer, Path> memberDirs = new TreeMap<>();
    private final TreeMap<Integer, Path> archiveDirs = new TreeMap<>();
    private final List<PartitionId> extraPartitions = new ArrayList<>();
    private HighWaterMarkMonitor highWaterMarks;
    private int maxExamples = MAX_EXAMPLES_DEFAULT;

    /**
     * A checker of a history.
     *
     * @param history of the produce attempts; every record produced to a checked partition must be in it.
     */
    public ReplicationChecker(final History history)
    {
        this.history = Objects.requireNonNull(history, "history");
    }

    /**
     * Where a member keeps one partition's log.
     *
     * @param memberDir the member's directory (its {@code --data-dir}).
     * @param topic     of the partition.
     * @param partition index.
     * @return {@code <memberDir>/data/<topic>-<partition>}.
     */
    public static Path partitionDirectory(final Path memberDir, final String topic, final int partition)
    {
        return memberDir.resolve(DATA_DIR_NAME).resolve(topic + "-" + partition);
    }

    /**
     * Add a member whose logs to read; the member must not be running.
     *
     * @param memberId  of the member; the lowest id is the reference others are compared with.
     * @param memberDir the member's directory, holding {@code data/}.
     * @return this for a fluent API.
     */
    public ReplicationChecker member(final int memberId, final Path memberDir)
    {
        if (null != memberDirs.putIfAbsent(memberId, Objects.requireNonNull(memberDir, "memberDir")))
        {
            throw new IllegalArgumentException("member " + memberId + " added twice");
        }

        return this;
    }

    /**
     * Where a member's tier of tiered storage is, when not in the archive the member runs for its Raft log
     * ({@code <memberDir>/archive}): the directory of the standalone archive it was started with
     * ({@code --archive}); the archive must not be running.
     *
     * @param memberId   of a member added with {@link #member}.
     * @param archiveDir the archive's directory.
     * @return this for a fluent API.
     */
    public ReplicationChecker tierArchive(final int memberId, final Path archiveDir)
    {
        archiveDirs.put(memberId, Objects.requireNonNull(archiveDir, "archiveDir"));
        return this;
    }

    private Path archiveDirectory(final int memberId)
    {
        final Path dir = archiveDirs.get(memberId);
        return null != dir ? dir : memberDirs.get(memberId).resolve("archive");
    }

    private static long firstLocalBaseOffset(final Path partitionDir)
    {
        final String[] names = partitionDir.toFile().list();
        long first = Long.MAX_VALUE;
        if (null != names)
        {
            for (final String name : names)
            {
                if (name.length() == 20 + MemberPartitionLog.LOG_SUFFIX.length() &&
                    name.endsWith(MemberPartitionLog.LOG_SUFFIX) && name.chars().limit(20).allMatch(Character::isDigit))
                {
                    first = Math.min(first, Long.parseLong(name.substring(0, 20)));
                }
            }
        }
        return first;
    }

    /**
     * Also check a partition the history may have no attempt in, so any record found there is unexpected.
     *
     * @param topic     of the partition.
     * @param partition index.
     * @return this for a fluent API.
     */
    public ReplicationChecker partition(final String topic, final int partition)
    {
        extraPartitions.add(new PartitionId(Objects.requireNonNull(topic, "topic"), partition));
        return this;
    }

    /**
     * Include the regressions a monitor saw.
     *
     * @param monitor of the members' high-water marks, or null for none.
     * @return this for a fluent API.
     */
    public ReplicationChecker highWaterMarks(final HighWaterMarkMonitor monitor)
    {
        this.highWaterMarks = monitor;
        return this;
    }

    /**
     * How many examples of each anomaly to describe.
     *
     * @param maxExamples per anomaly; all are counted.
     * @return this for a fluent API.
     */
    public ReplicationChecker maxExamples(final int maxExamples)
    {
        if (maxExamples < 0)
        {
            throw new IllegalArgumentException("maxExamples=" + maxExamples);
        }

        this.maxExamples = maxExamples;
        return this;
    }

    /**
     * Read every member's logs of every checked partition and judge the history against them.
     *
     * @return what was found.
     * @throws IllegalStateException if no member was added.
     */
    public CheckResult check()
    {
        if (memberDirs.isEmpty())
        {
            throw new IllegalStateException("no members to check");
        }

        final TreeMap<PartitionId, Map<ValueKey, Attempt>> attemptsByPartition = new TreeMap<>(PARTITION_ORDER);
        for (final Attempt attempt : history.attempts())
        {
            attemptsByPartition
                .computeIfAbsent(new PartitionId(attempt.topic(), attempt.partition()), (k) -> new LinkedHashMap<>())
                .put(attempt.valueKey(), attempt);
        }

        for (final PartitionId partition : extraPartitions)
        {
            attemptsByPartition.computeIfAbsent(partition, (k) -> new LinkedHashMap<>());
        }

        final CheckResult.Builder result = new CheckResult.Builder(maxExamples)
            .memberCount(memberDirs.size())
            .partitionCount(attemptsByPartition.size());
        final RecordBatchFlyweight batch = new RecordBatchFlyweight();
        try (RecordBatchValidator validator = new RecordBatchValidator();
            RecordFlyweight records = new RecordFlyweight())
        {
            for (final Map.Entry<PartitionId, Map<ValueKey, Attempt>> entry : attemptsByPartition.entrySet())
            {
                checkPartition(entry.getKey(), entry.getValue(), result, validator, batch, records);
            }
        }

        if (null != highWaterMarks)
        {
            result.hwm(highWaterMarks.samples(), highWaterMarks.regressions(), highWaterMarks.regressionExamples());
        }

        return result.build();
    }

    private void checkPartition(
        final PartitionId partition,
        final Map<ValueKey, Attempt> attempts,
        final CheckResult.Builder result,
        final RecordBatchValidator validator,
        final RecordBatchFlyweight batch,
        final RecordFlyweight records)
    {
        final List<MemberPartitionLog> logs = new ArrayList<>();
        try
        {
            for (final Map.Entry<Integer, Path> member : memberDirs.entrySet())
            {
                final Path dir = partitionDirectory(member.getValue(), partition.topic(), partition.partition());
                List<MemberTierSegments.Segment> tier = List.of();
                String tierFailure = null;
                try
                {
                    tier = MemberTierSegments.read(member.getValue(), dir, archiveDirectory(member.getKey()),
                        firstLocalBaseOffset(dir));
                }
                catch (final UncheckedIOException ex)
                {
                    tierFailure = ex.getMessage();
                }
                final MemberPartitionLog log = MemberPartitionLog.read(
                    member.getKey(), dir.toFile(), tier, validator, batch, records);
                logs.add(log);
                if (null != tierFailure)
                {
                    result.anomaly(Anomaly.UNREADABLE, partition + " on member " + member.getKey() + ": its tier: " +
                        tierFailure);
                }
            }

            for (final MemberPartitionLog log : logs)
            {
                if (null != log.unreadable())
                {
                    result.anomaly(Anomaly.UNREADABLE, partition + " on member " + log.memberId + ": " +
                        log.unreadable() + "; read up to offset " + log.logEndOffset);
                }
            }

            final List<Map<ValueKey, LongArrayList>> offsetsByMember = scanRecords(partition, attempts, logs, result);
            checkAttempts(partition, attempts, logs, offsetsByMember, result);
            checkDivergence(partition, logs, result);
        }
        finally
        {
            for (final MemberPartitionLog log : logs)
            {
                log.close();
            }
        }
    }

    /**
     * Walk each member's records in offset order: duplicates, records never attempted or failed, and producer order.
     */
    private static List<Map<ValueKey, LongArrayList>> scanRecords(
        final PartitionId partition,
        final Map<ValueKey, Attempt> attempts,
        final List<MemberPartitionLog> logs,
        final CheckResult.Builder result)
    {
        final Map<ValueKey, Finding> duplicates = new LinkedHashMap<>();
        final Map<ValueKey, Finding> unexpected = new LinkedHashMap<>();
        final Map<ValueKey, Finding> outOfOrder = new LinkedHashMap<>();
        final List<Map<ValueKey, LongArrayList>> offsetsByMember = new ArrayList<>();
        for (final MemberPartitionLog log : logs)
        {
            final Map<ValueKey, LongArrayList> offsets = new HashMap<>();
            final Map<String, Attempt> lastByProducer = new HashMap<>();
            final Map<String, Long> lastOffsetByProducer = new HashMap<>();
            for (int i = 0, n = log.recordValues.size(); i < n; i++)
            {
                final ValueKey value = log.recordValues.get(i);
                final long offset = log.recordOffsets.getLong(i);
                final LongArrayList seen = offsets.get(value);
                if (null != seen)
                {
                    // Reported once as a duplicate; the copy is not also judged for order.
                    seen.addLong(offset);
                    duplicates.computeIfAbsent(value, (k) -> new Finding(partition + " " + value, seen))
                        .memberIds.add(log.memberId);
                    continue;
                }

                final LongArrayList first = new LongArrayList();
                first.addLong(offset);
                offsets.put(value, first);

                final Attempt attempt = attempts.get(value);
                if (null == attempt || Outcome.FAILED == attempt.outcome())
                {
                    final String why = null == attempt ? "never attempted" : "its attempt failed";
                    unexpected.computeIfAbsent(value, (k) -> new Finding(
                        partition + " offset " + offset + " " + value + ": " + why, null)).memberIds.add(log.memberId);
                    continue;
                }

                final Attempt last = lastByProducer.get(attempt.producer());
                if (null != last && attempt.sequence() <= last.sequence())
                {
                    final long lastOffset = lastOffsetByProducer.get(attempt.producer());
                    outOfOrder.computeIfAbsent(value, (k) -> new Finding(
                        partition + " offset " + offset + " " + value + " (" + attempt.producer() + " seq " +
                        attempt.sequence() + ") after seq " + last.sequence() + " at offset " + lastOffset, null))
                        .memberIds.add(log.memberId);
                }
                else
                {
                    lastByProducer.put(attempt.producer(), attempt);
                    lastOffsetByProducer.put(attempt.producer(), offset);
                }
            }
            offsetsByMember.add(offsets);
        }

        report(Anomaly.DUPLICATE, duplicates, result);
        report(Anomaly.UNEXPECTED, unexpected, result);
        report(Anomaly.OUT_OF_ORDER, outOfOrder, result);
        return offsetsByMember;
    }

    private static void report(
        final Anomaly anomaly, final Map<ValueKey, Finding> findings, final CheckResult.Builder result)
    {
        for (final Finding finding : findings.values())
        {
            final String offsets = null == finding.offsets ? "" : " at offsets " + finding.offsets;
            result.anomaly(anomaly, finding.description + offsets + " on " + members(finding.memberIds));
        }
    }

    /**
     * Every acknowledged record at its offset on every member; whether each in-doubt record is anywhere.
     */
    private static void checkAttempts(
        final PartitionId partition,
        final Map<ValueKey, Attempt> attempts,
        final List<MemberPartitionLog> logs,
        final List<Map<ValueKey, LongArrayList>> offsetsByMember,
        final CheckResult.Builder result)
    {
        for (final Map.Entry<ValueKey, Attempt> entry : attempts.entrySet())
        {
            final ValueKey value = entry.getKey();
            final Attempt attempt = entry.getValue();
            switch (attempt.outcome())
            {
                case ACKNOWLEDGED:
                {
                    result.acknowledged();
                    final TreeSet<Integer> absentOn = new TreeSet<>();
                    final List<String> elsewhere = new ArrayList<>();
                    for (int m = 0; m < logs.size(); m++)
                    {
                        final int memberId = logs.get(m).memberId;
                        final LongArrayList offsets = offsetsByMember.get(m).get(value);
                        if (null == offsets)
                        {
                            absentOn.add(memberId);
                            result.lostOn(memberId);
                        }
                        else if (!offsets.containsLong(attempt.offset()))
                        {
                            elsewhere.add("at offset " + offsets + " on member " + memberId);
                            result.wrongOffsetOn(memberId);
                        }
                    }

                    final String record = partition + " offset " + attempt.offset() + " " + value + " (" +
                        attempt.producer() + " seq " + attempt.sequence() + ")";
                    if (!absentOn.isEmpty())
                    {
                        result.anomaly(Anomaly.LOST, record + ": absent on " + members(absentOn));
                    }
                    else if (!elsewhere.isEmpty())
                    {
                        result.anomaly(Anomaly.WRONG_OFFSET, record + ": " + String.join(", ", elsewhere));
                    }
                    else
                    {
                        result.found();
                    }
                    break;
                }

                case IN_DOUBT:
                {
                    boolean isPresent = false;
                    for (final Map<ValueKey, LongArrayList> offsets : offsetsByMember)
                    {
                        isPresent |= offsets.containsKey(value);
                    }
                    result.inDoubt(isPresent);
                    break;
                }

                case FAILED:
                    result.failed();
                    break;
            }
        }
    }

    /**
     * Every member's log byte-identical to the lowest member's: same log start, end, segments and batch bytes.
     */
    private static void checkDivergence(
        final PartitionId partition, final List<MemberPartitionLog> logs, final CheckResult.Builder result)
    {
        final MemberPartitionLog reference = logs.get(0);
        final List<String> differences = new ArrayList<>();
        for (int m = 1; m < logs.size(); m++)
        {
            final MemberPartitionLog log = logs.get(m);
            final List<String> reasons = differences(reference, log);
            if (!reasons.isEmpty())
            {
                differences.add("member " + log.memberId + " " + String.join(", ", reasons));
            }
        }

        if (!differences.isEmpty())
        {
            result.anomaly(Anomaly.DIVERGENT, partition + ": " + String.join("; ", differences) +
                " (compared with member " + reference.memberId + ")");
        }
    }

    private static List<String> differences(final MemberPartitionLog reference, final MemberPartitionLog log)
    {
        final List<String> reasons = new ArrayList<>();
        if (reference.exists != log.exists)
        {
            reasons.add(log.exists ? "has the partition directory" : "has no partition directory");
        }

        // With tiered storage each member's tier may still hold what the others purged already: the local logs
        // must be alike, the tiers wherever they overlap.
        if (reference.localStartOffset != log.localStartOffset)
        {
            reasons.add("log start " + log.localStartOffset + " vs " + reference.localStartOffset);
        }

        if (reference.logEndOffset != log.logEndOffset)
        {
            reasons.add("log end " + log.logEndOffset + " vs " + reference.logEndOffset);
        }

        final long[] referenceSegments = reference.segmentBaseOffsets.toLongArray();
        final long[] segments = log.segmentBaseOffsets.toLongArray();
        if (!Arrays.equals(referenceSegments, segments))
        {
            reasons.add("segments " + Arrays.toString(segments) + " vs " + Arrays.toString(referenceSegments));
        }

        final String batches = firstBatchDifference(reference, log);
        if (null != batches)
        {
            reasons.add(batches);
        }

        return reasons;
    }

    /**
     * Compare the batches of the offset range both logs hold, in order.
     *
     * @return the first difference, or null if the common range is byte-identical.
     */
    private static String firstBatchDifference(final MemberPartitionLog reference, final MemberPartitionLog log)
    {
        final long from = Math.max(reference.logStartOffset, log.logStartOffset);
        final long to = Math.min(reference.logEndOffset, log.logEndOffset);
        int i = firstBatchFrom(reference.batches, from);
        int j = firstBatchFrom(log.batches, from);
        while (i < reference.batches.size() && j < log.batches.size())
        {
            final Batch a = reference.batches.get(i++);
            final Batch b = log.batches.get(j++);
            if (a.baseOffset() >= to && b.baseOffset() >= to)
            {
                break;
            }

            if (a.baseOffset() != b.baseOffset() || a.lastOffset() != b.lastOffset())
            {
                return "batch offsets " + b.baseOffset() + ".." + b.lastOffset() + " vs " + a.baseOffset() + ".." +
                    a.lastOffset();
            }

            final int index = mismatch(a.buffer(), a.position(), a.length(), b.buffer(), b.position(), b.length());
            if (index >= 0)
            {
                return "batch at offset " + a.baseOffset() + " differs from its byte " + index +
                    " (lengths " + b.length() + " vs " + a.length() + ")";
            }
        }

        return null;
    }

    private static int firstBatchFrom(final List<Batch> batches, final long offset)
    {
        int i = 0;
        while (i < batches.size() && batches.get(i).baseOffset() < offset)
        {
            i++;
        }

        return i;
    }

    /**
     * Index of the first byte where two regions differ, or -1 if they are equal.
     */
    private static int mismatch(
        final DirectBuffer a, final int aOffset, final int aLength,
        final DirectBuffer b, final int bOffset, final int bLength)
    {
        final int length = Math.min(aLength, bLength);
        int i = 0;
        while (i + Long.BYTES <= length && a.getLong(aOffset + i) == b.getLong(bOffset + i))
        {
            i += Long.BYTES;
        }

        while (i < length && a.getByte(aOffset + i) == b.getByte(bOffset + i))
        {
            i++;
        }

        return i == length && aLength == bLength ? -1 : i;
    }

    private static String members(final TreeSet<Integer> memberIds)
    {
        return (1 == memberIds.size() ? "member " + memberIds.first() : "members " + memberIds);
    }
}
