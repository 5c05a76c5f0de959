package io.spindle.client;

import java.util.List;

/**
 * A consumer group as {@link Admin#describeGroup(String)} describes it.
 *
 * @param groupId      the group id.
 * @param state        Kafka's state name ({@code Empty}, {@code PreparingRebalance},
 *                     {@code CompletingRebalance}, {@code Stable}).
 * @param generationId the current generation.
 * @param protocolType {@code consumer}, or empty.
 * @param protocolName the assignor in use, or empty.
 * @param members      the members in join order.
 */
public record GroupDescription(
    String groupId, String state, int generationId, String protocolType, String protocolName,
    List<MemberDescription> members)
{
    /**
     * One member.
     *
     * @param memberId        the member id the coordinator gave it.
     * @param groupInstanceId the static instance id, or empty.
     * @param topics          the topics it subscribes to.
     * @param assignment      its partitions (only while the group is Stable).
     * @param readCommitted   whether it reads committed records only (its lag is to the last stable offset).
     * @param clientId        the client.id it joined with, or empty from a client that does not send it.
     * @param clientHost      the host name it joined from, or empty from a client that does not send it.
     */
    public record MemberDescription(
        String memberId, String groupInstanceId, List<String> topics, List<TopicPartition> assignment,
        boolean readCommitted, String clientId, String clientHost)
    {
        /**
         * A member whose client id and host are not known.
         *
         * @param memberId        the member id.
         * @param groupInstanceId the static instance id, or empty.
         * @param topics          the topics it subscribes to.
         * @param assignment      its partitions.
         * @param readCommitted   whether it reads committed records only.
         */
        public MemberDescription(
            final String memberId, final String groupInstanceId, final List<String> topics,
            final List<TopicPartition> assignment, final boolean readCommitted)
        {
            this(memberId, groupInstanceId, topics, assignment, readCommitted, "", "");
        }

        /**
         * A member that reads uncommitted records.
         *
         * @param memberId        the member id.
         * @param groupInstanceId the static instance id, or empty.
         * @param topics          the topics it subscribes to.
         * @param assignment      its partitions.
         */
        public MemberDescription(
            final String memberId, final String groupInstanceId, final List<String> topics,
            final List<TopicPartition> assignment)
        {
            this(memberId, groupInstanceId, topics, assignment, false);
        }
    }
}
