package io.spindle.tools;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import io.spindle.client.Admin;
import io.spindle.client.ClusterDescription;
import io.spindle.client.GroupDescription;
import io.spindle.client.GroupListing;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicDescription;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.IsolationLevel;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle groups}: list, describe, reset the offsets of, and delete consumer groups.
 */
@Command(name = "groups", mixinStandardHelpOptions = true,
    description = "List, describe, reset the offsets of, and delete consumer groups.",
    subcommands = {
        GroupsCommand.ListGroups.class,
        GroupsCommand.Describe.class,
        GroupsCommand.ResetOffsets.class,
        GroupsCommand.Delete.class
    })
public final class GroupsCommand implements Runnable
{
    /**
     * Shown for a host or client id a member did not send (a client older than the protocol's version 2), or
     * for a partition no member owns.
     */
    static final String UNKNOWN = "-";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Without a subcommand, print the usage.
     */
    public void run()
    {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
        description = "List consumer groups, one per line.")
    static final class ListGroups extends AdminCommand
    {
        int run(final Admin admin)
        {
            for (final GroupListing group : admin.listGroups())
            {
                System.out.println(group.groupId());
            }
            return 0;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
        description = "As Kafka's kafka-consumer-groups --describe prints it: by default one row per partition " +
        "the group has committed or been assigned (GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG " +
        "CONSUMER-ID HOST CLIENT-ID; for a group whose members read_committed, LOG-END-OFFSET and LAG are to the " +
        "last stable offset); --members one row per member; --state the group's state. '-' where there " +
        "is no value. An empty or rebalancing group is also said so on standard error.")
    static final class Describe extends AdminCommand
    {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        static final class Which
        {
            @Option(names = "--group", required = true, description = "Group id.")
            String group;

            @Option(names = "--all-groups", required = true, description = "Every group, in order of group id.")
            boolean allGroups;
        }

        @ArgGroup(exclusive = true)
        View view;

        static final class View
        {
            @Option(names = "--offsets", description = "One row per partition (the default).")
            boolean offsets;

            @Option(names = "--members", description = "One row per member: GROUP CONSUMER-ID HOST CLIENT-ID " +
                "#PARTITIONS.")
            boolean members;

            @Option(names = "--state", description = "The group's state: GROUP COORDINATOR (ID) " +
                "ASSIGNMENT-STRATEGY STATE #MEMBERS.")
            boolean state;
        }

        int run(final Admin admin)
        {
            if (!which.allGroups)
            {
                printTable(describe(admin, admin.describeGroup(which.group)));
                return 0;
            }
            final TreeSet<String> groups = new TreeSet<>();
            for (final GroupListing listing : admin.listGroups())
            {
                groups.add(listing.groupId());
            }
            boolean first = true;
            for (final String group : groups)
            {
                final GroupDescription description = describeGroupOrNull(admin, group);
                if (null == description)
                {
                    continue; // Deleted since it was listed.
                }
                final List<String[]> rows = describe(admin, description);
                if (rows.isEmpty())
                {
                    continue;
                }
                if (!first)
                {
                    System.out.println();
                }
                first = false;
                printTable(rows);
            }
            return 0;
        }

        /**
         * The table of the chosen view, header first, or no rows when there is nothing to show; an empty or
         * rebalancing group is said so on standard error, as Kafka's tool does.
         */
        private List<String[]> describe(final Admin admin, final GroupDescription description)
        {
            if (null != view && view.state)
            {
                return describeState(admin, description);
            }
            final String group = description.groupId();
            final String state = description.state();
            if ("Empty".equals(state))
            {
                System.err.println("Consumer group '" + group + "' has no active members.");
            }
            else if (state.endsWith("Rebalance"))
            {
                System.err.println("Warning: Consumer group '" + group + "' is rebalancing.");
            }
            return null != view && view.members ? describeMembers(description) : describeOffsets(admin, description);
        }

        private static List<String[]> describeOffsets(final Admin admin, final GroupDescription description)
        {
            final String group = description.groupId();
            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listGroupOffsets(group);
            final Map<TopicPartition, GroupDescription.MemberDescription> owners = new TreeMap<>();
            for (final GroupDescription.MemberDescription member : description.members())
            {
                for (final TopicPartition tp : member.assignment())
                {
                    owners.put(tp, member);
                }
            }
            final TreeSet<TopicPartition> partitions = new TreeSet<>(committed.keySet());
            partitions.addAll(owners.keySet());
            if (partitions.isEmpty())
            {
                return List.of();
            }
            // A group whose members read committed records only is behind the last stable offset, not the
            // high-water mark: records of open transactions are not theirs to read yet.
            boolean readCommitted = false;
            for (final GroupDescription.MemberDescription member : description.members())
            {
                readCommitted |= member.readCommitted();
            }
            final Map<String, TopicDescription> topics = new TreeMap<>();
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{ "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                "CONSUMER-ID", "HOST", "CLIENT-ID" });
            for (final TopicPartition tp : partitions)
            {
                final TopicDescription topic = topics.computeIfAbsent(tp.topic(), (name) -> describeOrNull(admin,
                    name));
                long logEnd = -1;
                if (readCommitted && null != topic)
                {
                    logEnd = admin.listOffset(tp, -1, IsolationLevel.READ_COMMITTED);
                }
                else if (null != topic)
                {
                    for (final TopicDescription.PartitionDescription p : topic.partitions())
                    {
                        if (p.partition() == tp.partition())
                        {
                            logEnd = p.highWatermark();
                        }
                    }
                }
                final OffsetAndMetadata offset = committed.get(tp);
                final GroupDescription.MemberDescription owner = owners.get(tp);
                rows.add(new String[]{
                    group,
                    tp.topic(),
                    Integer.toString(tp.partition()),
                    null == offset ? "-" : Long.toString(offset.offset()),
                    logEnd < 0 ? "-" : Long.toString(logEnd),
                    null == offset || logEnd < 0 ? "-" : Long.toString(Math.max(0, logEnd - offset.offset())),
                    null == owner ? UNKNOWN : owner.memberId(),
                    null == owner ? UNKNOWN : orUnknown(owner.clientHost()),
                    null == owner ? UNKNOWN : orUnknown(owner.clientId())
                });
            }
            return rows;
        }

        private static String orUnknown(final String value)
        {
            return null == value || value.isEmpty() ? UNKNOWN : value;
        }

        private static List<String[]> describeMembers(final GroupDescription description)
        {
            if (description.members().isEmpty())
            {
                return List.of();
            }
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{ "GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS" });
            for (final GroupDescription.MemberDescription member : description.members())
            {
                rows.add(new String[]{ description.groupId(), member.memberId(), orUnknown(member.clientHost()),
                    orUnknown(member.clientId()), Integer.toString(member.assignment().size()) });
            }
            return rows;
        }

        private static List<String[]> describeState(final Admin admin, final GroupDescription description)
        {
            final ClusterDescription cluster = admin.describeCluster();
            String coordinator = "-";
            for (final ClusterDescription.Member member : cluster.members())
            {
                if (member.nodeId() == cluster.leaderId())
                {
                    coordinator = member.endpoint() + " (" + member.nodeId() + ")";
                }
            }
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{ "GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS" });
            rows.add(new String[]{ description.groupId(), coordinator,
                description.protocolName().isEmpty() ? "-" : description.protocolName(), description.state(),
                Integer.toString(description.members().size()) });
            return rows;
        }
    }

    @Command(name = "reset-offsets", mixinStandardHelpOptions = true,
        description = "Plan, and with --execute set, a group's committed offsets: prints GROUP TOPIC PARTITION " +
        "NEW-OFFSET and, without --execute, changes nothing (as Kafka's kafka-consumer-groups --reset-offsets). " +
        "Refused while the group has active members.")
    static final class ResetOffsets extends AdminCommand
    {
        @Option(names = "--group", required = true, description = "Group id.")
        String group;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        static final class Scope
        {
            @Option(names = "--topic", required = true, paramLabel = "TOPIC[:P,...]",
                description = "Topic, or TOPIC:P[,P...] for some of its partitions; repeatable.")
            List<String> topics;

            @Option(names = "--all-topics", required = true,
                description = "Every partition the group has a committed offset for.")
            boolean allTopics;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        static final class Target
        {
            @Option(names = "--to-earliest", description = "The first offset still in the log.")
            boolean earliest;

            @Option(names = "--to-latest", description = "The log end (nothing left to read).")
            boolean latest;

            @Option(names = "--to-offset", description = "This offset (clamped to the log's range).")
            Long offset;

            @Option(names = "--shift-by", paramLabel = "N", description = "The committed offset plus N (N < 0 " +
                "goes back), clamped to the log's range; every partition must have a committed offset.")
            Long shiftBy;

            @Option(names = "--to-datetime", description = "The first offset at or after this time, ISO-8601: " +
                "2024-05-01T12:00:00Z, 2024-05-01T12:00:00+02:00, or local time 2024-05-01T12:00:00.")
            String datetime;

            @Option(names = "--by-duration", paramLabel = "PnDTnHnM", description = "The first offset at or " +
                "after this long ago, an ISO-8601 duration: PT30M, PT2H, P1DT12H.")
            String duration;
        }

        @ArgGroup(exclusive = true)
        Mode mode;

        static final class Mode
        {
            @Option(names = "--execute", description = "Set the offsets (without it, only print the plan).")
            boolean execute;

            @Option(names = "--dry-run", description = "Only print the plan (the default).")
            boolean dryRun;
        }

        int run(final Admin admin)
        {
            final boolean execute = null != mode && mode.execute;
            long timestamp = 0;
            if (null != target.datetime)
            {
                timestamp = parseDateTime(target.datetime);
            }
            else if (null != target.duration)
            {
                final Duration ago = parseDuration(target.duration);
                final long nowMs = System.currentTimeMillis();
                timestamp = ago.compareTo(Duration.ofMillis(nowMs)) >= 0 ? 0 : nowMs - ago.toMillis();
            }
            timestamp = Math.max(0, timestamp); // Before 1970 is the first record: -1 and -2 mean the log's ends.

            final GroupDescription existing = describeGroupOrNull(admin, group);
            if (null != existing && !existing.members().isEmpty())
            {
                System.err.println("spindle groups: group '" + group + "' has " + existing.members().size() +
                    " active member(s) (state " + existing.state() + "): stop its consumers before resetting offsets");
                return 1;
            }

            final Map<TopicPartition, OffsetAndMetadata> committed = scope.allTopics || null != target.shiftBy ?
                admin.listGroupOffsets(group) : Map.of();
            final List<TopicPartition> partitions = scope.allTopics ?
                new ArrayList<>(committed.keySet()) : partitions(admin);
            if (partitions.isEmpty())
            {
                System.err.println("spindle groups: group '" + group + "' has no committed offsets: name the " +
                    "topics with --topic");
                return 1;
            }

            final Map<TopicPartition, OffsetAndMetadata> offsets = new TreeMap<>();
            for (final TopicPartition tp : partitions)
            {
                final long earliest = admin.listOffset(tp, -2);
                final long latest = admin.listOffset(tp, -1);
                final long offset;
                if (target.earliest)
                {
                    offset = earliest;
                }
                else if (target.latest)
                {
                    offset = latest;
                }
                else if (null != target.offset)
                {
                    offset = clamp(target.offset, earliest, latest);
                }
                else if (null != target.shiftBy)
                {
                    final OffsetAndMetadata current = committed.get(tp);
                    if (null == current)
                    {
                        throw new IllegalArgumentException("cannot shift the offset of " + tp.topic() + ":" +
                            tp.partition() + ": group '" + group + "' has no committed offset there");
                    }
                    final long shifted = current.offset() + target.shiftBy;
                    final boolean overflow = ((current.offset() ^ shifted) & (target.shiftBy ^ shifted)) < 0;
                    offset = overflow ? (target.shiftBy < 0 ? earliest : latest) : clamp(shifted, earliest, latest);
                }
                else
                {
                    final long atTime = admin.listOffset(tp, timestamp);
                    offset = atTime < 0 ? latest : atTime;
                }
                offsets.put(tp, new OffsetAndMetadata(offset));
            }

            if (execute)
            {
                admin.alterGroupOffsets(group, offsets);
            }
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{ "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET" });
            for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry : offsets.entrySet())
            {
                rows.add(new String[]{ group, entry.getKey().topic(), Integer.toString(entry.getKey().partition()),
                    Long.toString(entry.getValue().offset()) });
            }
            printTable(rows);
            if (!execute)
            {
                System.err.println("(plan only: nothing was changed; add --execute to set these offsets)");
            }
            return 0;
        }

        private static long clamp(final long offset, final long earliest, final long latest)
        {
            return Math.max(earliest, Math.min(latest, offset));
        }

        private List<TopicPartition> partitions(final Admin admin)
        {
            final TreeSet<TopicPartition> result = new TreeSet<>();
            for (final String spec : scope.topics)
            {
                final int colon = spec.indexOf(':');
                final String name = colon < 0 ? spec : spec.substring(0, colon);
                final TopicDescription description = admin.describeTopic(name);
                if (colon < 0)
                {
                    for (final TopicDescription.PartitionDescription p : description.partitions())
                    {
                        result.add(new TopicPartition(name, p.partition()));
                    }
                    continue;
                }
                for (final String part : spec.substring(colon + 1).split(","))
                {
                    final int partition;
                    try
                    {
                        partition = Integer.parseInt(part.trim());
                    }
                    catch (final NumberFormatException ex)
                    {
                        throw new IllegalArgumentException(
                            "--topic " + spec + ": '" + part + "' is not a partition number");
                    }
                    if (partition < 0 || partition >= description.partitions().size())
                    {
                        throw new IllegalArgumentException("topic '" + name + "' has no partition " + partition);
                    }
                    result.add(new TopicPartition(name, partition));
                }
            }
            return new ArrayList<>(result);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete a group and its committed offsets; refused while it has " +
        "active members.")
    static final class Delete extends AdminCommand
    {
        @Option(names = "--group", required = true, description = "Group id.")
        String group;

        int run(final Admin admin)
        {
            admin.deleteGroup(group);
            System.out.println("deleted group " + group);
            return 0;
        }
    }

    /**
     * Parse an ISO-8601 date-time: with a zone or offset, or local time in this machine's zone.
     *
     * @param text the date-time.
     * @return milliseconds since the epoch.
     */
    static long parseDateTime(final String text)
    {
        try
        {
            return Instant.parse(text).toEpochMilli();
        }
        catch (final DateTimeParseException ignore)
        {
            // Not UTC with a Z: try an offset, then local time.
        }
        try
        {
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        }
        catch (final DateTimeParseException ignore)
        {
            // Not with an offset either.
        }
        try
        {
            return LocalDateTime.parse(text).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
        }
        catch (final DateTimeParseException ex)
        {
            throw new IllegalArgumentException("--to-datetime '" + text + "' is not ISO-8601, e.g. " +
                "2024-05-01T12:00:00Z or 2024-05-01T12:00:00+02:00");
        }
    }

    /**
     * Parse an ISO-8601 duration such as {@code PT30M} or {@code P1DT12H}, as {@link Duration#parse} does.
     *
     * @param text the duration.
     * @return the duration, zero or longer.
     */
    static Duration parseDuration(final String text)
    {
        final Duration duration;
        try
        {
            duration = Duration.parse(text);
        }
        catch (final DateTimeParseException ex)
        {
            throw new IllegalArgumentException("--by-duration '" + text + "' is not an ISO-8601 duration " +
                "PnDTnHnMn.nS, e.g. PT30M, PT2H or P1DT12H");
        }
        if (duration.isNegative())
        {
            throw new IllegalArgumentException("--by-duration '" + text + "' is negative: it is how long ago");
        }
        return duration;
    }

    /**
     * Print rows as Kafka's tool does: every column left-aligned and as wide as its widest cell, one space
     * apart, the last column not padded.
     */
    private static void printTable(final List<String[]> rows)
    {
        if (rows.isEmpty())
        {
            return;
        }
        final int columns = rows.get(0).length;
        final int[] widths = new int[columns];
        for (final String[] row : rows)
        {
            for (int c = 0; c < columns; c++)
            {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        final StringBuilder line = new StringBuilder();
        for (final String[] row : rows)
        {
            line.setLength(0);
            for (int c = 0; c < columns; c++)
            {
                if (c > 0)
                {
                    line.append(' ');
                }
                line.append(row[c]);
                if (c < columns - 1)
                {
                    line.append(" ".repeat(widths[c] - row[c].length()));
                }
            }
            System.out.println(line);
        }
    }

    private static TopicDescription describeOrNull(final Admin admin, final String topic)
    {
        try
        {
            return admin.describeTopic(topic);
        }
        catch (final SpindleException ex)
        {
            return null;
        }
    }

    private static GroupDescription describeGroupOrNull(final Admin admin, final String group)
    {
        try
        {
            return admin.describeGroup(group);
        }
        catch (final SpindleException ex)
        {
            if (ErrorCode.GROUP_ID_NOT_FOUND == ex.errorCode())
            {
                return null;
            }
            throw ex;
        }
    }
}
