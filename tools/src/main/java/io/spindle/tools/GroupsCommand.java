package io.spindle.tools;

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
import io.spindle.client.GroupDescription;
import io.spindle.client.GroupListing;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicDescription;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
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
        description = "Print a group's state, then one row per partition: committed " +
        "offset, log end, lag and the owning member; with --all-groups, each group in turn.")
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

        int run(final Admin admin)
        {
            if (!which.allGroups)
            {
                describe(admin, which.group);
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
                if (null == describeGroupOrNull(admin, group))
                {
                    continue; // Deleted since it was listed.
                }
                if (!first)
                {
                    System.out.println();
                }
                first = false;
                describe(admin, group);
            }
            return 0;
        }

        private static void describe(final Admin admin, final String group)
        {
            final GroupDescription description = admin.describeGroup(group);
            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listGroupOffsets(group);
            System.out.println("Group: " + description.groupId() + "\tState: " + description.state() +
                "\tGeneration: " + description.generationId() + "\tProtocol: " +
                (description.protocolName().isEmpty() ? "-" : description.protocolName()) +
                "\tMembers: " + description.members().size());
            if (description.members().isEmpty())
            {
                System.out.println("Consumer group '" + group + "' has no active members.");
            }
            System.out.println();

            final Map<TopicPartition, String> owners = new TreeMap<>();
            for (final GroupDescription.MemberDescription member : description.members())
            {
                for (final TopicPartition tp : member.assignment())
                {
                    owners.put(tp, member.memberId());
                }
            }
            final TreeSet<TopicPartition> partitions = new TreeSet<>(committed.keySet());
            partitions.addAll(owners.keySet());
            final Map<String, TopicDescription> topics = new TreeMap<>();
            final List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{ "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                "CONSUMER-ID" });
            for (final TopicPartition tp : partitions)
            {
                final TopicDescription topic = topics.computeIfAbsent(tp.topic(), (name) -> describeOrNull(admin, name));
                long logEnd = -1;
                if (null != topic)
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
                rows.add(new String[]{
                    group,
                    tp.topic(),
                    Integer.toString(tp.partition()),
                    null == offset ? "-" : Long.toString(offset.offset()),
                    logEnd < 0 ? "-" : Long.toString(logEnd),
                    null == offset || logEnd < 0 ? "-" : Long.toString(Math.max(0, logEnd - offset.offset())),
                    owners.getOrDefault(tp, "-")
                });
            }
            printTable(rows);
        }
    }

    @Command(name = "reset-offsets", mixinStandardHelpOptions = true,
        description = "Set a group's committed offsets of a topic; refused while " +
        "the group has active members.")
    static final class ResetOffsets extends AdminCommand
    {
        @Option(names = "--group", required = true, description = "Group id.")
        String group;

        @Option(names = "--topic", required = true,
            description = "Topic, or TOPIC:P[,P...] for some of its partitions.")
        String topic;

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

            @Option(names = "--to-datetime", description = "The first offset at or after this time, ISO-8601: " +
                "2024-05-01T12:00:00Z, 2024-05-01T12:00:00+02:00, or local time 2024-05-01T12:00:00.")
            String datetime;
        }

        @Option(names = "--dry-run", description = "Print the new offsets without setting them.")
        boolean dryRun;

        int run(final Admin admin)
        {
            final GroupDescription existing = describeGroupOrNull(admin, group);
            if (null != existing && !existing.members().isEmpty())
            {
                System.err.println("spindle groups: group '" + group + "' has " + existing.members().size() +
                    " active member(s) (state " + existing.state() + "): stop its consumers before resetting offsets");
                return 1;
            }

            final long timestamp = null == target.datetime ? 0 : parseDateTime(target.datetime);
            final Map<TopicPartition, OffsetAndMetadata> offsets = new TreeMap<>();
            for (final TopicPartition tp : partitions(admin))
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
                    offset = Math.max(earliest, Math.min(latest, target.offset));
                }
                else
                {
                    final long atTime = admin.listOffset(tp, timestamp);
                    offset = atTime < 0 ? latest : atTime;
                }
                offsets.put(tp, new OffsetAndMetadata(offset));
            }

            if (!dryRun)
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
            if (dryRun)
            {
                System.out.println("(dry run: nothing was changed)");
            }
            return 0;
        }

        private List<TopicPartition> partitions(final Admin admin)
        {
            final int colon = topic.indexOf(':');
            final String name = colon < 0 ? topic : topic.substring(0, colon);
            final TopicDescription description = admin.describeTopic(name);
            final List<TopicPartition> result = new ArrayList<>();
            if (colon < 0)
            {
                for (final TopicDescription.PartitionDescription p : description.partitions())
                {
                    result.add(new TopicPartition(name, p.partition()));
                }
                return result;
            }
            for (final String part : topic.substring(colon + 1).split(","))
            {
                final int partition;
                try
                {
                    partition = Integer.parseInt(part.trim());
                }
                catch (final NumberFormatException ex)
                {
                    throw new IllegalArgumentException("--topic " + topic + ": '" + part + "' is not a partition number");
                }
                if (partition < 0 || partition >= description.partitions().size())
                {
                    throw new IllegalArgumentException("topic '" + name + "' has no partition " + partition);
                }
                result.add(new TopicPartition(name, partition));
            }
            return result;
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
     * Print rows as a table: columns as wide as their widest cell, one space apart, the topic column
     * right-aligned and the rest left-aligned, so the header reads
     * {@code GROUP ... TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID}.
     */
    private static void printTable(final List<String[]> rows)
    {
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
                final String cell = row[c];
                final String padding = " ".repeat(widths[c] - cell.length());
                if (c > 0)
                {
                    line.append(' ');
                }
                if (1 == c)
                {
                    line.append(padding).append(cell);
                }
                else if (c == columns - 1)
                {
                    line.append(cell);
                }
                else
                {
                    line.append(cell).append(padding);
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
