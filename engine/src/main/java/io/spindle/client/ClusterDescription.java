package io.spindle.client;

import java.util.List;

/**
 * The brokers serving a client, as {@link Admin#describeCluster()} reports them: a standalone broker alone, or every
 * member of a cluster with the member that leads it.
 *
 * @param members     every broker or member, by node id.
 * @param leaderId    the node that takes requests: the cluster's leader, or the standalone broker.
 * @param leaderEpoch the leader's term (0 on a standalone broker); it grows with every election.
 */
public record ClusterDescription(List<Member> members, int leaderId, int leaderEpoch)
{
    /**
     * One broker or cluster member.
     *
     * @param nodeId   its id.
     * @param endpoint {@code HOST:PORT} clients reach it on.
     */
    public record Member(int nodeId, String endpoint)
    {
    }
}
