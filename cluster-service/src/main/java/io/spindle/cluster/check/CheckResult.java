/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the {@link ReplicationChecker} found: counts of records by outcome and of each {@link Anomaly}, with the
 * first few examples of each, and whether the run was {@link #isValid() valid} (no anomaly at all).
 * <p>
 * Acknowledged records are counted once however many members there are: {@link #found()} at their acknowledged
 * offset on every member, else {@link #lost()} if absent from at least one member, else at another offset on some
 * member ({@link #wrongOffset()}); so acknowledged = found + lost + wrong offset. Per-member counts say which
 * member lost what. Immutable.
 */
public final class CheckResult
{
    /**
     * A kind of violation; any one of them makes the result invalid.
     */
    public enum Anomaly
    {
        /**
         * An acknowledged record absent from a member's log.
         */
        LOST("lost"),

        /**
         * An acknowledged record present on every member but, on some member, not at its acknowledged offset.
         */
        WRONG_OFFSET("wrong offset"),

        /**
         * A record of a producer after a record of the same producer with a higher sequence, in one partition.
         */
        OUT_OF_ORDER("out of order"),

        /**
         * A record whose value appears more than once in a partition's log.
         */
        DUPLICATE("duplicates"),

        /**
         * A record in the log that was never attempted in that partition, or whose attempt failed.
         */
        UNEXPECTED("unexpected"),

        /**
         * A partition whose logs are not byte-identical on every member.
         */
        DIVERGENT("divergent"),

        /**
         * A member's partition log that could not be read to its end (invalid batch, gap, I/O error).
         */
        UNREADABLE("unreadable"),

        /**
         * A member's high-water mark of a partition lower than the one observed before it.
         */
        HWM_REGRESSION("hwm regressions");

        private final String label;

        Anomaly(final String label)
        {
            this.label = label;
        }

        /**
         * How the summary names it.
         *
         * @return the label.
         */
        public String label()
        {
            return label;
        }
    }

    private final int memberCount;
    private final int partitionCount;
    private final long acknowledged;
    private final long found;
    private final long inDoubt;
    private final long inDoubtPresent;
    private final long failed;
    private final long hwmSamples;
    private final EnumMap<Anomaly, Long> counts;
    private final EnumMap<Anomaly, List<String>> examples;
    private final Map<Integer, Long> lostByMember;
    private final Map<Integer, Long> wrongOffsetByMember;

    private CheckResult(final Builder builder)
    {
        memberCount = builder.memberCount;
        partitionCount = builder.partitionCount;
        acknowledged = builder.acknowledged;
        found = builder.found;
        inDoubt = builder.inDoubt;
        inDoubtPresent = builder.inDoubtPresent;
        failed = builder.failed;
        hwmSamples = builder.hwmSamples;
        counts = new EnumMap<>(builder.counts);
        examples = new EnumMap<>(Anomaly.class);
        for (final Map.Entry<Anomaly, List<String>> entry : builder.examples.entrySet())
        {
            examples.put(entry.getKey(), Collections.unmodifiableList(new ArrayList<>(entry.getValue())));
        }
        lostByMember = Collections.unmodifiableMap(new TreeMap<>(builder.lostByMember));
        wrongOffsetByMember = Collections.unmodifiableMap(new TreeMap<>(builder.wrongOffsetByMember));
    }

    /**
     * True when no anomaly of any kind was found.
     *
     * @return whether the run kept every guarantee the checker checks.
     */
    public boolean isValid()
    {
        for (final Anomaly anomaly : Anomaly.values())
        {
            if (count(anomaly) > 0)
            {
                return false;
            }
        }

        return true;
    }

    /**
     * How many of one anomaly were found.
     *
     * @param anomaly kind.
     * @return the count.
     */
    public long count(final Anomaly anomaly)
    {
        return counts.getOrDefault(anomaly, 0L);
    }

    /**
     * The first few of one anomaly, described.
     *
     * @param anomaly kind.
     * @return an unmodifiable list, empty if none.
     */
    public List<String> examples(final Anomaly anomaly)
    {
        return examples.getOrDefault(anomaly, Collections.emptyList());
    }

    /**
     * Members whose logs were read.
     *
     * @return the member count.
     */
    public int memberCount()
    {
        return memberCount;
    }

    /**
     * Partitions checked.
     *
     * @return the partition count.
     */
    public int partitionCount()
    {
        return partitionCount;
    }

    /**
     * Records acknowledged to their producers.
     *
     * @return the count.
     */
    public long acknowledged()
    {
        return acknowledged;
    }

    /**
     * Acknowledged records at their acknowledged offset on every member.
     *
     * @return the count.
     */
    public long found()
    {
        return found;
    }

    /**
     * Acknowledged records absent from at least one member.
     *
     * @return the count.
     */
    public long lost()
    {
        return count(Anomaly.LOST);
    }

    /**
     * Acknowledged records absent from one member.
     *
     * @param memberId of the member.
     * @return the count.
     */
    public long lost(final int memberId)
    {
        return lostByMember.getOrDefault(memberId, 0L);
    }

    /**
     * Acknowledged records present on every member but not at their acknowledged offset on some.
     *
     * @return the count.
     */
    public long wrongOffset()
    {
        return count(Anomaly.WRONG_OFFSET);
    }

    /**
     * Acknowledged records present on one member at another offset than the acknowledged one.
     *
     * @param memberId of the member.
     * @return the count.
     */
    public long wrongOffset(final int memberId)
    {
        return wrongOffsetByMember.getOrDefault(memberId, 0L);
    }

    /**
     * Records found after a record of the same producer with a higher sequence, in the same partition.
     *
     * @return the count of such records, each counted once however many members hold it.
     */
    public long outOfOrder()
    {
        return count(Anomaly.OUT_OF_ORDER);
    }

    /**
     * Records appearing more than once in their partition on some member.
     *
     * @return the count of such records, each counted once however many copies and members.
     */
    public long duplicates()
    {
        return count(Anomaly.DUPLICATE);
    }

    /**
     * Records in a log that were never attempted in that partition or whose attempt failed.
     *
     * @return the count of such records, each counted once however many members hold it.
     */
    public long unexpected()
    {
        return count(Anomaly.UNEXPECTED);
    }

    /**
     * Records whose outcome the producer never learned.
     *
     * @return the count.
     */
    public long inDoubt()
    {
        return inDoubt;
    }

    /**
     * In-doubt records present on at least one member.
     *
     * @return the count.
     */
    public long inDoubtPresent()
    {
        return inDoubtPresent;
    }

    /**
     * In-doubt records present on no member.
     *
     * @return the count.
     */
    public long inDoubtAbsent()
    {
        return inDoubt - inDoubtPresent;
    }

    /**
     * Records whose attempt definitely failed.
     *
     * @return the count.
     */
    public long failed()
    {
        return failed;
    }

    /**
     * Partitions whose logs differ between members.
     *
     * @return the count.
     */
    public long divergentPartitions()
    {
        return count(Anomaly.DIVERGENT);
    }

    /**
     * Member partition logs that could not be read to their end.
     *
     * @return the count.
     */
    public long unreadable()
    {
        return count(Anomaly.UNREADABLE);
    }

    /**
     * High-water marks observed, 0 if no monitor was given.
     *
     * @return the number of observations.
     */
    public long hwmSamples()
    {
        return hwmSamples;
    }

    /**
     * Times a member's high-water mark of a partition moved backwards.
     *
     * @return the count.
     */
    public long hwmRegressions()
    {
        return count(Anomaly.HWM_REGRESSION);
    }

    /**
     * One line with every count, for a chaos command or a test failure message, e.g. {@code acknowledged 12000,
     * found 12000, lost 0, duplicates 0, in doubt 3 (2 present), divergent 0, ...: VALID}.
     *
     * @return the line.
     */
    public String summary()
    {
        return "acknowledged " + acknowledged +
            ", found " + found +
            ", lost " + lost() +
            ", duplicates " + duplicates() +
            ", in doubt " + inDoubt + " (" + inDoubtPresent + " present)" +
            ", divergent " + divergentPartitions() +
            ", wrong offset " + wrongOffset() +
            ", out of order " + outOfOrder() +
            ", unexpected " + unexpected() +
            ", failed " + failed +
            ", unreadable " + unreadable() +
            ", hwm regressions " + hwmRegressions() + " of " + hwmSamples + " samples" +
            ": " + (isValid() ? "VALID" : "INVALID");
    }

    /**
     * The summary line, then the per-member losses and the examples of each anomaly found, one per line.
     *
     * @return the report.
     */
    public String toString()
    {
        final StringBuilder sb = new StringBuilder(summary());
        if (!lostByMember.isEmpty())
        {
            sb.append(System.lineSeparator()).append("  lost by member: ").append(lostByMember);
        }

        if (!wrongOffsetByMember.isEmpty())
        {
            sb.append(System.lineSeparator()).append("  wrong offset by member: ").append(wrongOffsetByMember);
        }

        for (final Anomaly anomaly : Anomaly.values())
        {
            final long count = count(anomaly);
            final List<String> list = examples(anomaly);
            for (final String example : list)
            {
                sb.append(System.lineSeparator()).append("  ").append(anomaly.label()).append(": ").append(example);
            }

            if (count > list.size())
            {
                sb.append(System.lineSeparator()).append("  ").append(anomaly.label()).append(": ... ")
                    .append(count - list.size()).append(" more");
            }
        }

        return sb.toString();
    }

    /**
     * Collects the counts while the checker runs.
     */
    static final class Builder
    {
        private final int maxExamples;
        private int memberCount;
        private int partitionCount;
        private long acknowledged;
        private long found;
        private long inDoubt;
        private long inDoubtPresent;
        private long failed;
        private long hwmSamples;
        private final EnumMap<Anomaly, Long> counts = new EnumMap<>(Anomaly.class);
        private final EnumMap<Anomaly, List<String>> examples = new EnumMap<>(Anomaly.class);
        private final Map<Integer, Long> lostByMember = new TreeMap<>();
        private final Map<Integer, Long> wrongOffsetByMember = new TreeMap<>();

        Builder(final int maxExamples)
        {
            this.maxExamples = maxExamples;
        }

        Builder memberCount(final int memberCount)
        {
            this.memberCount = memberCount;
            return this;
        }

        Builder partitionCount(final int partitionCount)
        {
            this.partitionCount = partitionCount;
            return this;
        }

        void acknowledged()
        {
            acknowledged++;
        }

        void found()
        {
            found++;
        }

        void inDoubt(final boolean isPresent)
        {
            inDoubt++;
            if (isPresent)
            {
                inDoubtPresent++;
            }
        }

        void failed()
        {
            failed++;
        }

        void lostOn(final int memberId)
        {
            lostByMember.merge(memberId, 1L, Long::sum);
        }

        void wrongOffsetOn(final int memberId)
        {
            wrongOffsetByMember.merge(memberId, 1L, Long::sum);
        }

        void hwm(final long samples, final long regressions, final List<String> regressionExamples)
        {
            hwmSamples = samples;
            counts.put(Anomaly.HWM_REGRESSION, regressions);
            final List<String> list = examples.computeIfAbsent(Anomaly.HWM_REGRESSION, (k) -> new ArrayList<>());
            for (final String example : regressionExamples)
            {
                if (list.size() < maxExamples)
                {
                    list.add(example);
                }
            }
        }

        void anomaly(final Anomaly anomaly, final String example)
        {
            counts.merge(anomaly, 1L, Long::sum);
            final List<String> list = examples.computeIfAbsent(anomaly, (k) -> new ArrayList<>());
            if (list.size() < maxExamples)
            {
                list.add(example);
            }
        }

        CheckResult build()
        {
            return new CheckResult(this);
        }
    }
}
