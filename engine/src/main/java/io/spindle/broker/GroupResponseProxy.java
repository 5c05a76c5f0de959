package io.spindle.broker;

import java.util.List;
import java.util.Map;

import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.DeleteGroupsResponseEncoder;
import io.spindle.codecs.protocol.DescribeGroupsResponseEncoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.HeartbeatResponseEncoder;
import io.spindle.codecs.protocol.JoinGroupResponseEncoder;
import io.spindle.codecs.protocol.LeaveGroupResponseEncoder;
import io.spindle.codecs.protocol.ListGroupsResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.OffsetCommitResponseEncoder;
import io.spindle.codecs.protocol.OffsetFetchResponseEncoder;
import io.spindle.codecs.protocol.SyncGroupResponseEncoder;
import org.agrona.ExpandableDirectByteBuffer;

/**
 * Encodes the group coordinator's answers into the state machine's response buffer and sends them
 * through the host. It decides nothing: codes and messages come from the coordinator, and it counts no
 * errors. Answers with a repeating group whose entries the coordinator decides one by one are built in
 * three steps ({@code begin...}, one call per entry, {@code send...}) so no entry is held in between;
 * nothing else may be encoded into the response buffer until such an answer is sent.
 * <p>
 * <b>Threading:</b> the state machine's thread only; encoders are created once and reused.
 */
final class GroupResponseProxy
{
    private final Host host;
    private final ExpandableDirectByteBuffer responseBuffer;
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final JoinGroupResponseEncoder joinEncoder = new JoinGroupResponseEncoder();
    private final SyncGroupResponseEncoder syncEncoder = new SyncGroupResponseEncoder();
    private final HeartbeatResponseEncoder heartbeatEncoder = new HeartbeatResponseEncoder();
    private final LeaveGroupResponseEncoder leaveEncoder = new LeaveGroupResponseEncoder();
    private final OffsetCommitResponseEncoder commitEncoder = new OffsetCommitResponseEncoder();
    private final OffsetFetchResponseEncoder offsetFetchEncoder = new OffsetFetchResponseEncoder();
    private final DescribeGroupsResponseEncoder describeEncoder = new DescribeGroupsResponseEncoder();
    private final ListGroupsResponseEncoder listEncoder = new ListGroupsResponseEncoder();
    private final DeleteGroupsResponseEncoder deleteEncoder = new DeleteGroupsResponseEncoder();
    private OffsetCommitResponseEncoder.PartitionsEncoder commitPartitions;
    private OffsetFetchResponseEncoder.PartitionsEncoder fetchPartitions;
    private DeleteGroupsResponseEncoder.GroupsEncoder deletedGroups;

    GroupResponseProxy(final Host host, final ExpandableDirectByteBuffer responseBuffer)
    {
        this.host = host;
        this.responseBuffer = responseBuffer;
    }

    /**
     * A failed JoinGroup: no generation, no members.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request.
     * @param code          the error.
     * @param memberId      as the request named it.
     * @param message       for the client.
     */
    void sendJoinError(
        final long sessionId, final long correlationId, final ErrorCode code, final String memberId,
        final String message)
    {
        joinEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .generationId(-1)
            .skipAssignment(BooleanType.FALSE);
        joinEncoder.membersCount(0);
        joinEncoder.protocolType("").protocolName("").leader("").memberId(memberId).errorMessage(message);
        send(sessionId, joinEncoder.encodedLength());
    }

    /**
     * A JoinGroup answered with the group's generation, protocol and leader.
     *
     * @param sessionId      to answer.
     * @param correlationId  of the request.
     * @param group          the group.
     * @param member         the member answered.
     * @param withMembers    whether to list every member with its metadata for the chosen protocol (the leader's).
     * @param skipAssignment whether the member keeps its assignment without a rebalance.
     */
    void sendJoin(
        final long sessionId,
        final long correlationId,
        final ConsumerGroup group,
        final GroupMember member,
        final boolean withMembers,
        final boolean skipAssignment)
    {
        joinEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE)
            .generationId(group.generationId)
            .skipAssignment(skipAssignment ? BooleanType.TRUE : BooleanType.FALSE);
        final JoinGroupResponseEncoder.MembersEncoder members =
            joinEncoder.membersCount(withMembers ? group.memberCount() : 0);
        if (withMembers)
        {
            for (final GroupMember m : group.members())
            {
                final byte[] found = m.metadata(group.protocolName);
                final byte[] metadata = null == found ? GroupMember.EMPTY_BYTES : found;
                members.next()
                    .memberId(m.memberId())
                    .groupInstanceId(m.groupInstanceId())
                    .putMetadata(metadata, 0, metadata.length);
            }
        }
        joinEncoder.protocolType(group.protocolType)
            .protocolName(group.protocolName)
            .leader(group.leaderId)
            .memberId(member.memberId())
            .errorMessage("");
        send(sessionId, joinEncoder.encodedLength());
    }

    /**
     * The answer to a static member that took over its predecessor's place in a stable group: no
     * rebalance (skipAssignment), and as its only member entry the metadata its assignment was computed
     * from, so the member can tell when a rebalance is owed (it restarted with other topics, or its
     * predecessor went away before revoking and rejoining) and rejoin.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request.
     * @param group         the group.
     * @param member        the static member, under its new id.
     * @param assignedFrom  the metadata its assignment was computed from, or null for none.
     */
    void sendStaticRejoin(
        final long sessionId,
        final long correlationId,
        final ConsumerGroup group,
        final GroupMember member,
        final byte[] assignedFrom)
    {
        final byte[] metadata = null == assignedFrom ? GroupMember.EMPTY_BYTES : assignedFrom;
        joinEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE)
            .generationId(group.generationId)
            .skipAssignment(BooleanType.TRUE);
        joinEncoder.membersCount(1).next()
            .memberId(member.memberId())
            .groupInstanceId(member.groupInstanceId())
            .putMetadata(metadata, 0, metadata.length);
        joinEncoder.protocolType(group.protocolType)
            .protocolName(group.protocolName)
            .leader(group.leaderId)
            .memberId(member.memberId())
            .errorMessage("");
        send(sessionId, joinEncoder.encodedLength());
    }

    /**
     * A SyncGroup answer.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request.
     * @param code          the outcome.
     * @param group         the group, or null when there is none.
     * @param assignment    the member's assignment.
     * @param message       for the client.
     */
    void sendSync(
        final long sessionId,
        final long correlationId,
        final ErrorCode code,
        final ConsumerGroup group,
        final byte[] assignment,
        final String message)
    {
        syncEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .protocolType(null == group ? "" : group.protocolType)
            .protocolName(null == group ? "" : group.protocolName)
            .putAssignment(assignment, 0, assignment.length)
            .errorMessage(message);
        send(sessionId, syncEncoder.encodedLength());
    }

    /**
     * A Heartbeat answer.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request.
     * @param code          the outcome.
     * @param message       for the client.
     */
    void sendHeartbeat(final long sessionId, final long correlationId, final ErrorCode code, final String message)
    {
        heartbeatEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .errorMessage(message);
        send(sessionId, heartbeatEncoder.encodedLength());
    }

    /**
     * A LeaveGroup answer: one entry per member the request named, in its order.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request.
     * @param code          the request's outcome.
     * @param leaving       (memberId, groupInstanceId) as the request named them.
     * @param codes         the outcome for each.
     */
    void sendLeave(
        final long sessionId,
        final long correlationId,
        final ErrorCode code,
        final List<String[]> leaving,
        final ErrorCode[] codes)
    {
        leaveEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code);
        final LeaveGroupResponseEncoder.MembersEncoder responses = leaveEncoder.membersCount(leaving.size());
        for (int i = 0; i < leaving.size(); i++)
        {
            responses.next().errorCode(codes[i]).memberId(leaving.get(i)[0]).groupInstanceId(leaving.get(i)[1]);
        }
        leaveEncoder.errorMessage("");
        send(sessionId, leaveEncoder.encodedLength());
    }

    /**
     * Start an OffsetCommit answer; {@link #offsetCommitPartition} follows for each partition, then
     * {@link #sendOffsetCommit}.
     *
     * @param correlationId  of the request.
     * @param code           the request's outcome.
     * @param partitionCount entries to follow.
     */
    void beginOffsetCommit(final long correlationId, final ErrorCode code, final int partitionCount)
    {
        commitEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code);
        commitPartitions = commitEncoder.partitionsCount(partitionCount);
    }

    /**
     * The next partition of an OffsetCommit answer.
     *
     * @param topicId   of the partition.
     * @param partition its index.
     * @param code      its outcome.
     */
    void offsetCommitPartition(final int topicId, final int partition, final ErrorCode code)
    {
        commitPartitions.next().topicId(topicId).partition(partition).errorCode(code);
    }

    /**
     * Finish and send the OffsetCommit answer {@link #beginOffsetCommit} started.
     *
     * @param sessionId to answer.
     * @param message   for the client.
     */
    void sendOffsetCommit(final long sessionId, final String message)
    {
        commitEncoder.errorMessage(message);
        send(sessionId, commitEncoder.encodedLength());
    }

    /**
     * Start an OffsetFetch answer; {@link #offsetFetchPartition} follows for each partition, then
     * {@link #sendOffsetFetch}.
     *
     * @param correlationId  of the request.
     * @param code           the request's outcome.
     * @param partitionCount entries to follow.
     */
    void beginOffsetFetch(final long correlationId, final ErrorCode code, final int partitionCount)
    {
        offsetFetchEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code);
        fetchPartitions = offsetFetchEncoder.partitionsCount(partitionCount);
    }

    /**
     * The next partition of an OffsetFetch answer.
     *
     * @param topicId   of the partition.
     * @param partition its index.
     * @param committed its committed offset, or null for none (offset and epoch -1, no metadata).
     * @param code      its outcome.
     */
    void offsetFetchPartition(
        final int topicId, final int partition, final ConsumerGroup.CommittedOffset committed, final ErrorCode code)
    {
        fetchPartitions.next()
            .topicId(topicId)
            .partition(partition)
            .committedOffset(null == committed ? -1 : committed.offset())
            .committedLeaderEpoch(null == committed ? -1 : committed.leaderEpoch())
            .errorCode(code)
            .metadata(null == committed ? "" : committed.metadata());
    }

    /**
     * Finish and send the OffsetFetch answer {@link #beginOffsetFetch} started.
     *
     * @param sessionId to answer.
     * @param message   for the client.
     */
    void sendOffsetFetch(final long sessionId, final String message)
    {
        offsetFetchEncoder.errorMessage(message);
        send(sessionId, offsetFetchEncoder.encodedLength());
    }

    /**
     * A DescribeGroups answer: one entry per group id the request named, in its order, a missing group as
     * {@code Dead} with {@code GROUP_ID_NOT_FOUND}; members' assignments only while the group is stable.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request.
     * @param groupIds      as the request named them.
     * @param groups        the coordinator's groups, by id; only read.
     */
    void sendDescribe(
        final long sessionId,
        final long correlationId,
        final List<String> groupIds,
        final Map<String, ConsumerGroup> groups)
    {
        describeEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE);
        final DescribeGroupsResponseEncoder.GroupsEncoder responses = describeEncoder.groupsCount(groupIds.size());
        for (final String groupId : groupIds)
        {
            final ConsumerGroup group = groups.get(groupId);
            if (null == group)
            {
                responses.next().errorCode(ErrorCode.GROUP_ID_NOT_FOUND).generationId(-1);
                responses.membersCount(0);
                responses.groupId(groupId).groupState(GroupState.DEAD.displayName()).protocolType("").protocolName("");
                continue;
            }

            responses.next().errorCode(ErrorCode.NONE).generationId(group.generationId);
            final DescribeGroupsResponseEncoder.GroupsEncoder.MembersEncoder members =
                responses.membersCount(group.memberCount());
            final boolean stable = GroupState.STABLE == group.state();
            for (final GroupMember member : group.members())
            {
                final byte[] metadata = group.protocolName.isEmpty() ? null : member.metadata(group.protocolName);
                final byte[] assignment = stable ? member.assignment : GroupMember.EMPTY_BYTES;
                members.next()
                    .memberId(member.memberId())
                    .groupInstanceId(member.groupInstanceId())
                    .clientId(member.clientId)
                    .clientHost(member.clientHost)
                    .putMemberMetadata(null == metadata ? GroupMember.EMPTY_BYTES : metadata, 0,
                        null == metadata ? 0 : metadata.length)
                    .putMemberAssignment(assignment, 0, assignment.length);
            }
            responses.groupId(groupId)
                .groupState(group.state().displayName())
                .protocolType(group.protocolType)
                .protocolName(group.protocolName);
        }
        describeEncoder.errorMessage("");
        send(sessionId, describeEncoder.encodedLength());
    }

    /**
     * A ListGroups answer.
     *
     * @param sessionId     to answer.
     * @param correlationId of the request.
     * @param matching      the groups to list, in order.
     */
    void sendList(final long sessionId, final long correlationId, final List<ConsumerGroup> matching)
    {
        listEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE);
        final ListGroupsResponseEncoder.GroupsEncoder responses = listEncoder.groupsCount(matching.size());
        for (final ConsumerGroup group : matching)
        {
            responses.next()
                .groupId(group.groupId())
                .protocolType(group.protocolType)
                .groupState(group.state().displayName());
        }
        listEncoder.errorMessage("");
        send(sessionId, listEncoder.encodedLength());
    }

    /**
     * Start a DeleteGroups answer; {@link #deleteGroupResult} follows for each group, then {@link #sendDelete}.
     *
     * @param correlationId of the request.
     * @param groupCount    entries to follow.
     */
    void beginDelete(final long correlationId, final int groupCount)
    {
        deleteEncoder.wrapAndApplyHeader(responseBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(ErrorCode.NONE);
        deletedGroups = deleteEncoder.groupsCount(groupCount);
    }

    /**
     * The next group of a DeleteGroups answer.
     *
     * @param code    its outcome.
     * @param groupId as the request named it.
     */
    void deleteGroupResult(final ErrorCode code, final String groupId)
    {
        deletedGroups.next().errorCode(code).groupId(groupId);
    }

    /**
     * Finish and send the DeleteGroups answer {@link #beginDelete} started.
     *
     * @param sessionId to answer.
     * @param message   for the client.
     */
    void sendDelete(final long sessionId, final String message)
    {
        deleteEncoder.errorMessage(message);
        send(sessionId, deleteEncoder.encodedLength());
    }

    private void send(final long sessionId, final int bodyLength)
    {
        host.sendResponse(sessionId, responseBuffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength);
    }
}
