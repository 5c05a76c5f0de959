package io.spindle.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.spindle.client.Admin;
import io.spindle.client.ClusterDescription;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicDescription;
import io.spindle.client.TopicListing;
import io.spindle.codecs.protocol.ErrorCode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle topics}: create, list, describe, alter and delete topics.
 */
@Command(name = "topics", mixinStandardHelpOptions = true,
    description = "Create, list, describe, alter and delete topics.",
    subcommands = {
        TopicsCommand.Create.class,
        TopicsCommand.ListTopics.class,
        TopicsCommand.Describe.class,
        TopicsCommand.Alter.class,
        TopicsCommand.Delete.class
    })
public final class TopicsCommand implements Runnable
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

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a topic.")
    static final class Create extends AdminCommand
    {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;

        @Option(names = "--partitions", defaultValue = "1", description = "Number of partitions (default: 1).")
        int partitions;

        @Option(names = "--config", description = "Per-topic setting key=value; repeatable.")
        Map<String, String> configs = new LinkedHashMap<>();

        @Option(names = "--if-not-exists", description = "If the topic exists, say so and exit 0 " +
            "(its partitions and configuration are left as they are).")
        boolean ifNotExists;

        int run(final Admin admin)
        {
            final int topicId;
            try
            {
                topicId = admin.createTopic(topic, partitions, configs);
            }
            catch (final SpindleException ex)
            {
                if (ifNotExists && ErrorCode.TOPIC_ALREADY_EXISTS == ex.errorCode())
                {
                    System.out.println("topic " + topic + " already exists");
                    return 0;
                }
                throw ex;
            }
            System.out.println("created topic " + topic + " (id " + topicId + ", " + partitions + " partitions)");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
        description = "List topics.")
    static final class ListTopics extends AdminCommand
    {
        int run(final Admin admin)
        {
            final List<TopicListing> topics = admin.listTopics();
            for (final TopicListing topic : topics)
            {
                System.out.println(topic.name());
            }
            return 0;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true,
        description = "Describe a topic: partitions, offsets, configuration.")
    static final class Describe extends AdminCommand
    {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;

        int run(final Admin admin)
        {
            final TopicDescription description = admin.describeTopic(topic);
            final ClusterDescription cluster = admin.describeCluster();
            final StringBuilder members = new StringBuilder();
            for (final ClusterDescription.Member member : cluster.members())
            {
                members.append(members.length() == 0 ? "" : ",").append(member.nodeId()).append('=')
                    .append(member.endpoint());
            }
            System.out.println("Members: " + members + "\tLeader: " + cluster.leaderId() + "\tLeaderEpoch: " +
                cluster.leaderEpoch());
            System.out.println("Topic: " + description.name() + "\tTopicId: " + description.topicId() +
                "\tPartitionCount: " + description.partitions().size());
            final StringBuilder configs = new StringBuilder();
            for (final String key : description.overrides())
            {
                configs.append(configs.length() == 0 ? "" : ",").append(key).append('=')
                    .append(description.configs().get(key));
            }
            System.out.println("Configs: " + configs);
            System.out.printf("%-10s %-7s %-15s %-15s %-15s %-15s%n",
                "PARTITION", "LEADER", "LOG-START", "LOCAL-START", "LOG-END", "HIGH-WATERMARK");
            for (final TopicDescription.PartitionDescription p : description.partitions())
            {
                System.out.printf("%-10d %-7d %-15d %-15d %-15d %-15d%n", p.partition(), p.leader(),
                    p.logStartOffset(), p.localLogStartOffset(), p.logEndOffset(), p.highWatermark());
            }
            System.out.println("Effective configuration:");
            int keyWidth = "KEY".length();
            int valueWidth = "VALUE".length();
            for (final Map.Entry<String, String> entry : description.configs().entrySet())
            {
                keyWidth = Math.max(keyWidth, entry.getKey().length());
                valueWidth = Math.max(valueWidth, entry.getValue().length());
            }
            final String format = "  %-" + keyWidth + "s %-" + valueWidth + "s %s%n";
            System.out.printf(format, "KEY", "VALUE", "SOURCE");
            for (final Map.Entry<String, String> entry : description.configs().entrySet())
            {
                System.out.printf(format, entry.getKey(), entry.getValue(), description.source(entry.getKey()));
            }
            return 0;
        }
    }

    @Command(name = "alter", mixinStandardHelpOptions = true,
        description = {"Change a topic's configuration or add partitions.",
            "Config changes apply to the live topic at once (retention and cleanup at the broker's next pass, " +
            "sizes from the next segment); a bad key or value changes nothing.",
            "Partitions can only be added. Keyed records map to partitions by the count, so after adding " +
            "partitions a key's new records may go to another partition than its old ones: per-key order " +
            "across the change is lost."})
    static final class Alter extends AdminCommand
    {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;

        @Option(names = "--config", paramLabel = "KEY=VALUE[,KEY=VALUE...]",
            description = "Set a topic override; repeatable, or comma-separated (a value may itself hold commas, " +
            "as in cleanup.policy=compact,delete).")
        List<String> configs = new ArrayList<>();

        @Option(names = "--delete-config", paramLabel = "KEY[,KEY...]", split = ",",
            description = "Remove a topic override, so the broker's default applies again; repeatable.")
        List<String> deleteConfigs = new ArrayList<>();

        @Option(names = "--partitions", description = "The new partition count, above the current one.")
        Integer partitions;

        int run(final Admin admin)
        {
            final Map<String, String> set = parseConfigs(configs);
            if (set.isEmpty() && deleteConfigs.isEmpty() && null == partitions)
            {
                throw new IllegalArgumentException("nothing to alter: give --config, --delete-config or --partitions");
            }
            if (!set.isEmpty() || !deleteConfigs.isEmpty())
            {
                admin.alterTopicConfigs(topic, set, deleteConfigs);
                final StringBuilder changes = new StringBuilder();
                for (final Map.Entry<String, String> entry : set.entrySet())
                {
                    changes.append(changes.length() == 0 ? "" : ", ").append(entry.getKey()).append('=')
                        .append(entry.getValue());
                }
                for (final String key : deleteConfigs)
                {
                    changes.append(changes.length() == 0 ? "" : ", ").append("deleted ").append(key);
                }
                System.out.println("altered topic " + topic + ": " + changes);
            }
            if (null != partitions)
            {
                admin.increasePartitions(topic, partitions);
                System.out.println("topic " + topic + " now has " + partitions + " partitions");
            }
            return 0;
        }

        /**
         * {@code k=v} settings, each argument possibly several joined by commas; a comma-separated piece without
         * {@code =} belongs to the value before it.
         */
        static Map<String, String> parseConfigs(final List<String> arguments)
        {
            final Map<String, String> result = new LinkedHashMap<>();
            for (final String argument : arguments)
            {
                String key = null;
                for (final String piece : argument.split(","))
                {
                    final int equals = piece.indexOf('=');
                    if (equals > 0)
                    {
                        key = piece.substring(0, equals).trim();
                        if (result.containsKey(key))
                        {
                            throw new IllegalArgumentException("--config " + key + " is given more than once");
                        }
                        result.put(key, piece.substring(equals + 1).trim());
                    }
                    else if (null != key)
                    {
                        result.put(key, result.get(key) + "," + piece.trim());
                    }
                    else
                    {
                        throw new IllegalArgumentException(
                            "--config expects KEY=VALUE, was '" + argument + "'");
                    }
                }
            }
            return result;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete a topic and its data.")
    static final class Delete extends AdminCommand
    {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;

        @Option(names = "--if-exists", description = "If there is no such topic, say so and exit 0.")
        boolean ifExists;

        int run(final Admin admin)
        {
            try
            {
                admin.deleteTopic(topic);
            }
            catch (final SpindleException ex)
            {
                if (ifExists && ErrorCode.UNKNOWN_TOPIC_OR_PARTITION == ex.errorCode())
                {
                    System.out.println("topic " + topic + " does not exist");
                    return 0;
                }
                throw ex;
            }
            System.out.println("deleted topic " + topic);
            return 0;
        }
    }
}
