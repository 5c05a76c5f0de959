package io.spindle.broker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A consumer group: its state, generation, members (in join order, which decides the leader when
 * the old one is gone), static instance ids and committed offsets.
 * <p>
 * Owned by the state machine's thread. Every collection whose order reaches an answer or the snapshot
 * is ordered (members by join order, offsets by topic id and partition), so the same commands give the
 * same bytes on every host.
 */
final class ConsumerGroup
{
    /**
     * A committed offset of one partition.
     *
     * @param offset            the next offset the group will read.
     * @param leaderEpoch       as the client sent it.
     * @param metadata          the client's string.
     * @param commitTimestampMs the command's time when committed.
     */
    record CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestampMs)
    {
    }

    private final String groupId;
    private final long timerId;
    private GroupState state = GroupState.EMPTY;
    int generationId;
    String protocolType = "";
    String protocolName = "";
    String leaderId = "";
    long rebalanceDeadlineMs;
    private final LinkedHashMap<String, GroupMember> members = new LinkedHashMap<>();
    private final HashMap<String, String> memberIdByInstanceId = new HashMap<>();
    private final TreeMap<Long, CommittedOffset> offsets = new TreeMap<>();

    ConsumerGroup(final String groupId, final long timerId)
    {
        this.groupId = groupId;
        this.timerId = timerId;
    }

    String groupId()
    {
        return groupId;
    }

    long timerId()
    {
        return timerId;
    }

    GroupState state()
    {
        return state;
    }

    /**
     * Move to another state; an illegal transition is a coordinator bug and throws.
     *
     * @param next the new state.
     */
    void transitionTo(final GroupState next)
    {
        if (!next.canFollow(state))
        {
            throw new IllegalStateException("group '" + groupId + "' cannot go from " + state.displayName() +
                " to " + next.displayName());
        }
        state = next;
    }

    /**
     * Set the state without the transition check, when restoring a snapshot.
     *
     * @param state the restored state.
     */
    void restoreState(final GroupState state)
    {
        this.state = state;
    }

    boolean isEmpty()
    {
        return members.isEmpty();
    }

    int memberCount()
    {
        return members.size();
    }

    GroupMember member(final String memberId)
    {
        return members.get(memberId);
    }

    /**
     * The members in join order.
     *
     * @return the live collection; do not modify.
     */
    java.util.Collection<GroupMember> members()
    {
        return members.values();
    }

    boolean isLeader(final String memberId)
    {
        return leaderId.equals(memberId);
    }

    /**
     * The member id a static instance id currently maps to.
     *
     * @param groupInstanceId the instance id.
     * @return the member id, or null.
     */
    String staticMemberId(final String groupInstanceId)
    {
        return memberIdByInstanceId.get(groupInstanceId);
    }

    void add(final GroupMember member)
    {
        members.put(member.memberId(), member);
        if (member.isStatic())
        {
            memberIdByInstanceId.put(member.groupInstanceId(), member.memberId());
        }
    }

    void remove(final GroupMember member)
    {
        members.remove(member.memberId());
        if (member.isStatic() && member.memberId().equals(memberIdByInstanceId.get(member.groupInstanceId())))
        {
            memberIdByInstanceId.remove(member.groupInstanceId());
        }
        if (leaderId.equals(member.memberId()))
        {
            leaderId = "";
        }
    }

    /**
     * Give a static member a new member id in place, keeping its position in join order.
     *
     * @param member      the member.
     * @param newMemberId its new id.
     */
    void replaceMemberId(final GroupMember member, final String newMemberId)
    {
        final String oldMemberId = member.memberId();
        final List<GroupMember> ordered = new ArrayList<>(members.values());
        members.clear();
        member.memberId(newMemberId);
        for (final GroupMember m : ordered)
        {
            members.put(m.memberId(), m);
        }
        memberIdByInstanceId.put(member.groupInstanceId(), newMemberId);
        if (leaderId.equals(oldMemberId))
        {
            leaderId = newMemberId;
        }
    }

    boolean allMembersJoined()
    {
        for (final GroupMember member : members.values())
        {
            if (!member.awaitingJoin())
            {
                return false;
            }
        }
        return true;
    }

    int maxRebalanceTimeoutMs()
    {
        int max = 0;
        for (final GroupMember member : members.values())
        {
            max = Math.max(max, member.rebalanceTimeoutMs);
        }
        return max;
    }

    /**
     * Whether a member with these protocols may join: any protocols when the group is empty, else the
     * same protocol type and at least one protocol every member supports.
     *
     * @param type      the protocol type of the join.
     * @param protocols the protocols of the join.
     * @param except    a member whose protocols are being replaced, or null.
     * @return true when compatible.
     */
    boolean supports(final String type, final List<GroupMember.Protocol> protocols, final GroupMember except)
    {
        if (members.isEmpty() || members.size() == 1 && null != except)
        {
            return true;
        }
        if (!protocolType.isEmpty() && !protocolType.equals(type))
        {
            return false;
        }
        final Set<String> candidates = candidateProtocols(except);
        for (final GroupMember.Protocol protocol : protocols)
        {
            if (candidates.contains(protocol.name()))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * The protocols every member supports, sorted by name.
     *
     * @param except a member to leave out, or null.
     * @return the names.
     */
    Set<String> candidateProtocols(final GroupMember except)
    {
        Set<String> candidates = null;
        for (final GroupMember member : members.values())
        {
            if (member == except)
            {
                continue;
            }
            final Set<String> names = new TreeSet<>();
            for (final GroupMember.Protocol protocol : member.protocols)
            {
                names.add(protocol.name());
            }
            if (null == candidates)
            {
                candidates = names;
            }
            else
            {
                candidates.retainAll(names);
            }
        }
        return null == candidates ? new TreeSet<>() : candidates;
    }

    /**
     * Write committed offsets as snapshots hold them: int32 count, then per offset (in key order) int32 topicId,
     * int32 partition, int64 offset, int32 leaderEpoch, string metadata, int64 commitTimestampMs.
     *
     * @param buffer   to write to.
     * @param position to write at.
     * @param offsets  by {@link #offsetKey}.
     * @return the position after.
     */
    static int putOffsets(
        final MutableDirectBuffer buffer, final int position, final Map<Long, CommittedOffset> offsets)
    {
        int p = position;
        buffer.putInt(p, offsets.size());
        p += 4;
        for (final Map.Entry<Long, CommittedOffset> entry : offsets.entrySet())
        {
            final CommittedOffset committed = entry.getValue();
            buffer.putInt(p, topicIdOf(entry.getKey()));
            buffer.putInt(p + 4, partitionOf(entry.getKey()));
            buffer.putLong(p + 8, committed.offset());
            buffer.putInt(p + 16, committed.leaderEpoch());
            p += 20;
            p += buffer.putStringUtf8(p, committed.metadata());
            buffer.putLong(p, committed.commitTimestampMs());
            p += 8;
        }
        return p;
    }

    /**
     * Read offsets written by {@link #putOffsets}.
     *
     * @param buffer   holding them.
     * @param position they start at.
     * @param into     where they go, by {@link #offsetKey}.
     * @return the position after.
     */
    static int getOffsets(final DirectBuffer buffer, final int position, final Map<Long, CommittedOffset> into)
    {
        int p = position;
        final int count = buffer.getInt(p);
        p += 4;
        for (int i = 0; i < count; i++)
        {
            final long key = offsetKey(buffer.getInt(p), buffer.getInt(p + 4));
            final long committed = buffer.getLong(p + 8);
            final int leaderEpoch = buffer.getInt(p + 16);
            p += 20;
            final String metadata = buffer.getStringUtf8(p);
            p += 4 + buffer.getInt(p);
            into.put(key, new CommittedOffset(committed, leaderEpoch, metadata, buffer.getLong(p)));
            p += 8;
        }
        return p;
    }

    /**
     * Kafka's choice: every member votes for its most preferred candidate; most votes wins, ties go
     * to the name that sorts first.
     *
     * @return the protocol name, or the empty string when there are no members.
     */
    String selectProtocol()
    {
        final Set<String> candidates = candidateProtocols(null);
        final Map<String, Integer> votes = new TreeMap<>();
        for (final GroupMember member : members.values())
        {
            final String vote = member.vote(candidates);
            if (null != vote)
            {
                votes.merge(vote, 1, Integer::sum);
            }
        }
        String best = "";
        int bestVotes = 0;
        for (final Map.Entry<String, Integer> entry : votes.entrySet())
        {
            if (entry.getValue() > bestVotes)
            {
                best = entry.getKey();
                bestVotes = entry.getValue();
            }
        }
        return best;
    }

    static long offsetKey(final int topicId, final int partition)
    {
        return ((long)topicId << 32) | (partition & 0xFFFF_FFFFL);
    }

    static int topicIdOf(final long key)
    {
        return (int)(key >> 32);
    }

    static int partitionOf(final long key)
    {
        return (int)key;
    }

    /**
     * The committed offsets by {@link #offsetKey}, in topic id and partition order.
     *
     * @return the live map.
     */
    TreeMap<Long, CommittedOffset> offsets()
    {
        return offsets;
    }

    /**
     * Remove the committed offsets of a deleted topic.
     *
     * @param topicId of the topic.
     * @return true when any were removed.
     */
    boolean removeOffsetsOf(final int topicId)
    {
        final Map<Long, CommittedOffset> range = offsets.subMap(offsetKey(topicId, 0), true,
            offsetKey(topicId, -1), true);
        final boolean any = !range.isEmpty();
        range.clear();
        return any;
    }
}
