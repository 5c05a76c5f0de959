package io.spindle.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * The snapshot codec of the group coordinator's state: its member id counter and every group, with the
 * group's members and committed offsets, written in a fixed order so every host writes the same bytes.
 * <pre>
 *   int64 nextMemberSeq, int32 groupCount, then per group (by group id):
 *     string groupId, int64 timerId, int32 state, int32 generationId, string protocolType,
 *     string protocolName, string leaderId, int64 rebalanceDeadlineMs,
 *     int32 memberCount, then per member (join order):
 *       string memberId, string groupInstanceId, int64 timerId, int32 sessionTimeoutMs,
 *       int32 rebalanceTimeoutMs, int64 sessionDeadlineMs, int64 joinSessionId, int64 joinCorrelationId,
 *       int64 syncSessionId, int64 syncCorrelationId,
 *       int32 protocolCount, then per protocol: string name, bytes metadata;
 *       bytes assignment, bytes assignedFrom (the metadata the assignment was computed from),
 *       string clientId, string clientHost (snapshot version 5 on)
 *     int32 offsetCount, then per offset (topic id, partition order):
 *       int32 topicId, int32 partition, int64 offset, int32 leaderEpoch, string metadata,
 *       int64 commitTimestampMs
 *   string = int32 length + UTF-8; bytes = int32 length + bytes; little-endian
 * </pre>
 * Deadlines are written and read as they are: arming the host's timers for them is the coordinator's job.
 * <p>
 * <b>Threading:</b> stateless; called on the state machine's thread.
 */
final class GroupSnapshot
{
    private GroupSnapshot()
    {
    }

    /**
     * Write the member id counter and every group, after the state machine's part.
     *
     * @param buffer        to write into.
     * @param position      where to start.
     * @param nextMemberSeq the coordinator's member id counter.
     * @param groups        by group id.
     * @return the position after the groups.
     */
    static int write(
        final ExpandableArrayBuffer buffer,
        final int position,
        final long nextMemberSeq,
        final SortedMap<String, ConsumerGroup> groups)
    {
        int p = position;
        buffer.putLong(p, nextMemberSeq);
        p += 8;
        buffer.putInt(p, groups.size());
        p += 4;
        for (final ConsumerGroup group : groups.values())
        {
            p += buffer.putStringUtf8(p, group.groupId());
            buffer.putLong(p, group.timerId());
            p += 8;
            buffer.putInt(p, group.state().ordinal());
            p += 4;
            buffer.putInt(p, group.generationId);
            p += 4;
            p += buffer.putStringUtf8(p, group.protocolType);
            p += buffer.putStringUtf8(p, group.protocolName);
            p += buffer.putStringUtf8(p, group.leaderId);
            buffer.putLong(p, group.rebalanceDeadlineMs);
            p += 8;
            buffer.putInt(p, group.memberCount());
            p += 4;
            for (final GroupMember member : group.members())
            {
                p += buffer.putStringUtf8(p, member.memberId());
                p += buffer.putStringUtf8(p, member.groupInstanceId());
                buffer.putLong(p, member.timerId());
                p += 8;
                buffer.putInt(p, member.sessionTimeoutMs);
                p += 4;
                buffer.putInt(p, member.rebalanceTimeoutMs);
                p += 4;
                buffer.putLong(p, member.sessionDeadlineMs);
                p += 8;
                buffer.putLong(p, member.joinSessionId);
                p += 8;
                buffer.putLong(p, member.joinCorrelationId);
                p += 8;
                buffer.putLong(p, member.syncSessionId);
                p += 8;
                buffer.putLong(p, member.syncCorrelationId);
                p += 8;
                buffer.putInt(p, member.protocols.size());
                p += 4;
                for (final GroupMember.Protocol protocol : member.protocols)
                {
                    p += buffer.putStringUtf8(p, protocol.name());
                    p = putBytes(buffer, p, protocol.metadata());
                }
                p = putBytes(buffer, p, member.assignment);
                p = putBytes(buffer, p, member.assignedFrom);
                p += buffer.putStringUtf8(p, member.clientId);
                p += buffer.putStringUtf8(p, member.clientHost);
            }
            p = ConsumerGroup.putOffsets(buffer, p, group.offsets());
        }
        return p;
    }

    /**
     * The member id counter at the start of groups written by {@link #write}.
     *
     * @param buffer   holding the snapshot.
     * @param position where the groups start.
     * @return the counter.
     */
    static long nextMemberSeq(final DirectBuffer buffer, final int position)
    {
        return buffer.getLong(position);
    }

    /**
     * Read the groups written by {@link #write}, deadlines as they were.
     *
     * @param buffer       holding the snapshot.
     * @param position     where the groups start.
     * @param hasClientIds whether members carry their client id and host (snapshot version 5 on).
     * @param groups       to put the groups into, by group id.
     * @return the position after the groups.
     */
    static int read(
        final DirectBuffer buffer, final int position, final boolean hasClientIds,
        final SortedMap<String, ConsumerGroup> groups)
    {
        int p = position;
        p += 8; // the member id counter, which the coordinator reads through nextMemberSeq
        final int groupCount = buffer.getInt(p);
        p += 4;
        for (int g = 0; g < groupCount; g++)
        {
            final String groupId = buffer.getStringUtf8(p);
            p += 4 + buffer.getInt(p);
            final ConsumerGroup group = new ConsumerGroup(groupId, buffer.getLong(p));
            p += 8;
            group.restoreState(GroupState.get(buffer.getInt(p)));
            p += 4;
            group.generationId = buffer.getInt(p);
            p += 4;
            group.protocolType = buffer.getStringUtf8(p);
            p += 4 + buffer.getInt(p);
            group.protocolName = buffer.getStringUtf8(p);
            p += 4 + buffer.getInt(p);
            final String leaderId = buffer.getStringUtf8(p);
            p += 4 + buffer.getInt(p);
            group.rebalanceDeadlineMs = buffer.getLong(p);
            p += 8;
            final int memberCount = buffer.getInt(p);
            p += 4;
            for (int m = 0; m < memberCount; m++)
            {
                final String memberId = buffer.getStringUtf8(p);
                p += 4 + buffer.getInt(p);
                final String instanceId = buffer.getStringUtf8(p);
                p += 4 + buffer.getInt(p);
                final long timerId = buffer.getLong(p);
                p += 8;
                final int sessionTimeoutMs = buffer.getInt(p);
                p += 4;
                final int rebalanceTimeoutMs = buffer.getInt(p);
                p += 4;
                final long sessionDeadlineMs = buffer.getLong(p);
                p += 8;
                final long joinSessionId = buffer.getLong(p);
                final long joinCorrelationId = buffer.getLong(p + 8);
                final long syncSessionId = buffer.getLong(p + 16);
                final long syncCorrelationId = buffer.getLong(p + 24);
                p += 32;
                final int protocolCount = buffer.getInt(p);
                p += 4;
                final List<GroupMember.Protocol> protocols = new ArrayList<>(protocolCount);
                for (int i = 0; i < protocolCount; i++)
                {
                    final String name = buffer.getStringUtf8(p);
                    p += 4 + buffer.getInt(p);
                    final byte[] metadata = getBytes(buffer, p);
                    p += 4 + metadata.length;
                    protocols.add(new GroupMember.Protocol(name, metadata));
                }
                final GroupMember member = new GroupMember(
                    memberId, instanceId, timerId, sessionTimeoutMs, rebalanceTimeoutMs, protocols);
                member.assignment = getBytes(buffer, p);
                p += 4 + member.assignment.length;
                member.assignedFrom = getBytes(buffer, p);
                p += 4 + member.assignedFrom.length;
                if (hasClientIds)
                {
                    member.clientId = buffer.getStringUtf8(p);
                    p += 4 + buffer.getInt(p);
                    member.clientHost = buffer.getStringUtf8(p);
                    p += 4 + buffer.getInt(p);
                }
                member.sessionDeadlineMs = sessionDeadlineMs;
                member.joinSessionId = joinSessionId;
                member.joinCorrelationId = joinCorrelationId;
                member.syncSessionId = syncSessionId;
                member.syncCorrelationId = syncCorrelationId;
                group.add(member);
            }
            group.leaderId = leaderId;
            p = ConsumerGroup.getOffsets(buffer, p, group.offsets());
            groups.put(groupId, group);
        }
        return p;
    }

    private static int putBytes(final ExpandableArrayBuffer buffer, final int position, final byte[] bytes)
    {
        buffer.putInt(position, bytes.length);
        buffer.putBytes(position + 4, bytes);
        return position + 4 + bytes.length;
    }

    private static byte[] getBytes(final DirectBuffer buffer, final int position)
    {
        final byte[] bytes = new byte[buffer.getInt(position)];
        buffer.getBytes(position + 4, bytes);
        return bytes;
    }
}
