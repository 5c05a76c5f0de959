package io.spindle.broker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.spindle.codecs.protocol.DeleteGroupsRequestDecoder;
import io.spindle.codecs.protocol.DescribeGroupsRequestDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.HeartbeatRequestDecoder;
import io.spindle.codecs.protocol.JoinGroupRequestDecoder;
import io.spindle.codecs.protocol.LeaveGroupRequestDecoder;
import io.spindle.codecs.protocol.ListGroupsRequestDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.OffsetCommitRequestDecoder;
import io.spindle.codecs.protocol.OffsetFetchRequestDecoder;
import io.spindle.codecs.protocol.SyncGroupRequestDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The group coordinator inside the state machine: Kafka's classic group protocol (JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup), static membership, committed offsets, and the admin queries
 * (describe, list, delete).
 * <p>
 * The broker is protocol-agnostic: subscriptions and assignments are opaque bytes chosen by the
 * clients, and the group leader (a client) computes the assignment. Time comes only from the host:
 * every handler takes the command's {@code nowMs}, and deadlines (session, rebalance) are state fields
 * checked when a host timer fires. A timer only wakes the coordinator; it compares the deadline in its
 * state with the host's time and re-arms when the deadline moved, so a heartbeat never touches the
 * host's timers. Member ids come from a counter in the state ({@code consumer-7}, or
 * {@code <group.instance.id>-7} for a static member), never from randomness.
 * <p>
 * It decides; {@link GroupResponseProxy} encodes and sends its answers, and {@link GroupSnapshot} writes
 * and reads its state.
 * <p>
 * <b>Threading:</b> the state machine's thread only.
 */
final class GroupCoordinator
{
    /**
     * Longest metadata string of a committed offset, in UTF-16 chars (Kafka's offset.metadata.max.bytes).
     */
    static final int MAX_OFFSET_METADATA_LENGTH = 4096;

    private static final long NOT_ARMED = Long.MIN_VALUE;

    /**
     * What the coordinator needs to know about topics.
     */
    interface Topics
    {
        /**
         * Partition count of a live topic.
         *
         * @param topicId of the topic.
         * @return the count, or -1 when no topic has the id.
         */
        int partitionCount(int topicId);
    }

    /**
     * Allocates timer correlation ids from the state machine's counter.
     */
    interface TimerIds
    {
        /**
         * A fresh id.
         *
         * @return the id.
         */
        long next();
    }

    private record MemberTimer(ConsumerGroup group, GroupMember member)
    {
    }

    private final Host host;
    private final GroupResponseProxy responseProxy;
    private final Topics topics;
    private final TimerIds timerIds;
    private final BrokerStats stats;
    private final int minSessionTimeoutMs;
    private final int maxSessionTimeoutMs;
    private final TreeMap<String, ConsumerGroup> groups = new TreeMap<>();
    private final Long2ObjectHashMap<Object> timers = new Long2ObjectHashMap<>();
    private final Long2LongHashMap armedDeadlines = new Long2LongHashMap(NOT_ARMED);
    private long nextMemberSeq = 1;
    private String joinClientId = "";
    private String joinClientHost = "";
    private long version;
    private boolean rearmTimers;

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final JoinGroupRequestDecoder joinDecoder = new JoinGroupRequestDecoder();
    private final SyncGroupRequestDecoder syncDecoder = new SyncGroupRequestDecoder();
    private final HeartbeatRequestDecoder heartbeatDecoder = new HeartbeatRequestDecoder();
    private final LeaveGroupRequestDecoder leaveDecoder = new LeaveGroupRequestDecoder();
    private final OffsetCommitRequestDecoder commitDecoder = new OffsetCommitRequestDecoder();
    private final OffsetFetchRequestDecoder offsetFetchDecoder = new OffsetFetchRequestDecoder();
    private final DescribeGroupsRequestDecoder describeDecoder = new DescribeGroupsRequestDecoder();
    private final ListGroupsRequestDecoder listDecoder = new ListGroupsRequestDecoder();
    private final DeleteGroupsRequestDecoder deleteDecoder = new DeleteGroupsRequestDecoder();

    GroupCoordinator(
        final Host host,
        final ExpandableDirectByteBuffer responseBuffer,
        final Topics topics,
        final TimerIds timerIds,
        final BrokerStats stats,
        final int minSessionTimeoutMs,
        final int maxSessionTimeoutMs)
    {
        this.host = host;
        this.responseProxy = new GroupResponseProxy(host, responseBuffer);
        this.topics = topics;
        this.timerIds = timerIds;
        this.stats = stats;
        this.minSessionTimeoutMs = minSessionTimeoutMs;
        this.maxSessionTimeoutMs = maxSessionTimeoutMs;
    }

    /**
     * Incremented whenever group state worth persisting changes: committed offsets, a completed
     * rebalance, a deleted group.
     *
     * @return the version.
     */
    long version()
    {
        return version;
    }

    /**
     * Whether a template id is a group request this coordinator serves.
     *
     * @param templateId of the request.
     * @return true for the group templates.
     */
    static boolean handles(final int templateId)
    {
        switch (templateId)
        {
            case JoinGroupRequestDecoder.TEMPLATE_ID:
            case SyncGroupRequestDecoder.TEMPLATE_ID:
            case HeartbeatRequestDecoder.TEMPLATE_ID:
            case LeaveGroupRequestDecoder.TEMPLATE_ID:
            case OffsetCommitRequestDecoder.TEMPLATE_ID:
            case OffsetFetchRequestDecoder.TEMPLATE_ID:
            case DescribeGroupsRequestDecoder.TEMPLATE_ID:
            case ListGroupsRequestDecoder.TEMPLATE_ID:
            case DeleteGroupsRequestDecoder.TEMPLATE_ID:
                return true;
            default:
                return false;
        }
    }

    /**
     * Apply a group request.
     *
     * @param sessionId  the session it came from.
     * @param templateId of the request, one {@link #handles} accepts.
     * @param buffer     holding the request at its message header.
     * @param offset     of the message header.
     * @param nowMs      the command's time.
     */
    void onRequest(final long sessionId, final int templateId, final DirectBuffer buffer, final int offset,
        final long nowMs)
    {
        rearmTimersIfRestored();
        headerDecoder.wrap(buffer, offset);
        switch (templateId)
        {
            case JoinGroupRequestDecoder.TEMPLATE_ID:
                onJoin(sessionId, buffer, offset, nowMs);
                break;
            case SyncGroupRequestDecoder.TEMPLATE_ID:
                onSync(sessionId, buffer, offset, nowMs);
                break;
            case HeartbeatRequestDecoder.TEMPLATE_ID:
                onHeartbeat(sessionId, buffer, offset, nowMs);
                break;
            case LeaveGroupRequestDecoder.TEMPLATE_ID:
                onLeave(sessionId, buffer, offset, nowMs);
                break;
            case OffsetCommitRequestDecoder.TEMPLATE_ID:
                onOffsetCommit(sessionId, buffer, offset, nowMs);
                break;
            case OffsetFetchRequestDecoder.TEMPLATE_ID:
                onOffsetFetch(sessionId, buffer, offset);
                break;
            case DescribeGroupsRequestDecoder.TEMPLATE_ID:
                onDescribe(sessionId, buffer, offset);
                break;
            case ListGroupsRequestDecoder.TEMPLATE_ID:
                onList(sessionId, buffer, offset);
                break;
            case DeleteGroupsRequestDecoder.TEMPLATE_ID:
                onDelete(sessionId, buffer, offset);
                break;
            default:
                throw new IllegalArgumentException("not a group request: template " + templateId);
        }
    }

    /**
     * A host timer fired.
     *
     * @param timerId the timer's correlation id.
     * @param nowMs   the host's time.
     * @return true when the timer was one of the coordinator's.
     */
    boolean onTimer(final long timerId, final long nowMs)
    {
        rearmTimersIfRestored();
        armedDeadlines.remove(timerId);
        final Object target = timers.get(timerId);
        if (target instanceof MemberTimer memberTimer)
        {
            onSessionTimer(memberTimer.group, memberTimer.member, nowMs);
            return true;
        }
        if (target instanceof ConsumerGroup group)
        {
            onRebalanceTimer(group, nowMs);
            return true;
        }
        return false;
    }

    /**
     * Periodic hook: re-arms the timers of a restored state once the host is running.
     */
    void onTick()
    {
        rearmTimersIfRestored();
    }

    /**
     * A topic was deleted: its committed offsets go with it.
     *
     * @param topicId of the deleted topic.
     */
    void onTopicDeleted(final int topicId)
    {
        final List<ConsumerGroup> emptied = new ArrayList<>();
        for (final ConsumerGroup group : groups.values())
        {
            if (group.removeOffsetsOf(topicId))
            {
                version++;
                emptied.add(group);
            }
        }
        for (final ConsumerGroup group : emptied)
        {
            removeIfEmptyWithoutOffsets(group);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // JoinGroup
    // ------------------------------------------------------------------------------------------------

    private void onJoin(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        joinDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = joinDecoder.correlationId();
        final int sessionTimeoutMs = joinDecoder.sessionTimeoutMs();
        final int requestedRebalanceTimeoutMs = joinDecoder.rebalanceTimeoutMs();
        final List<GroupMember.Protocol> protocols = new ArrayList<>();
        for (final JoinGroupRequestDecoder.ProtocolsDecoder protocol : joinDecoder.protocols())
        {
            final String name = protocol.name();
            final byte[] metadata = new byte[protocol.metadataLength()];
            protocol.getMetadata(metadata, 0, metadata.length);
            protocols.add(new GroupMember.Protocol(name, metadata));
        }
        final String groupId = joinDecoder.groupId();
        final String memberId = joinDecoder.memberId();
        final String instanceId = joinDecoder.groupInstanceId();
        final String protocolType = joinDecoder.protocolType();
        joinDecoder.reason();
        joinClientId = joinDecoder.clientId();
        joinClientHost = joinDecoder.clientHost();
        final int rebalanceTimeoutMs = requestedRebalanceTimeoutMs > 0 ? requestedRebalanceTimeoutMs : sessionTimeoutMs;

        if (groupId.isEmpty())
        {
            joinError(sessionId, correlationId, ErrorCode.INVALID_GROUP_ID, memberId, "group id is empty");
            return;
        }
        if (sessionTimeoutMs < minSessionTimeoutMs || sessionTimeoutMs > maxSessionTimeoutMs)
        {
            joinError(sessionId, correlationId, ErrorCode.INVALID_SESSION_TIMEOUT, memberId,
                "session timeout " + sessionTimeoutMs + " ms is outside [" + minSessionTimeoutMs + ", " +
                maxSessionTimeoutMs + "]");
            return;
        }
        if (protocolType.isEmpty() || protocols.isEmpty())
        {
            joinError(sessionId, correlationId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId,
                "a join needs a protocol type and at least one protocol");
            return;
        }

        ConsumerGroup group = groups.get(groupId);
        if (null == group && !memberId.isEmpty())
        {
            joinError(sessionId, correlationId, ErrorCode.UNKNOWN_MEMBER_ID, memberId,
                "group '" + groupId + "' has no member '" + memberId + "'");
            return;
        }

        final GroupMember existing;
        if (null == group)
        {
            existing = null;
        }
        else if (memberId.isEmpty())
        {
            final String staticId = instanceId.isEmpty() ? null : group.staticMemberId(instanceId);
            existing = null == staticId ? null : group.member(staticId);
        }
        else
        {
            existing = group.member(memberId);
        }
        if (null != group && !group.supports(protocolType, protocols, existing))
        {
            joinError(sessionId, correlationId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId,
                "protocol type '" + protocolType + "' or protocols do not match those of group '" + groupId +
                "' (type '" + group.protocolType + "', common protocols " + group.candidateProtocols(null) + ")");
            return;
        }

        if (null == group)
        {
            group = new ConsumerGroup(groupId, timerIds.next());
            groups.put(groupId, group);
            timers.put(group.timerId(), group);
        }

        if (memberId.isEmpty())
        {
            joinNewMember(group, sessionId, correlationId, instanceId, protocolType, sessionTimeoutMs,
                rebalanceTimeoutMs, protocols, existing, nowMs);
        }
        else
        {
            joinKnownMember(group, sessionId, correlationId, memberId, instanceId, sessionTimeoutMs,
                rebalanceTimeoutMs, protocols, nowMs);
        }
    }

    private void joinNewMember(
        final ConsumerGroup group,
        final long sessionId,
        final long correlationId,
        final String instanceId,
        final String protocolType,
        final int sessionTimeoutMs,
        final int rebalanceTimeoutMs,
        final List<GroupMember.Protocol> protocols,
        final GroupMember staticMember,
        final long nowMs)
    {
        final String newMemberId = (instanceId.isEmpty() ? protocolType : instanceId) + "-" + nextMemberSeq++;
        if (null != staticMember)
        {
            replaceStaticMember(group, staticMember, newMemberId, sessionId, correlationId, sessionTimeoutMs,
                rebalanceTimeoutMs, protocols, nowMs);
            return;
        }

        if (group.isEmpty())
        {
            group.protocolType = protocolType;
        }
        final GroupMember member = new GroupMember(
            newMemberId, instanceId, timerIds.next(), sessionTimeoutMs, rebalanceTimeoutMs, protocols);
        member.clientId = joinClientId;
        member.clientHost = joinClientHost;
        member.awaitJoin(sessionId, correlationId);
        group.add(member);
        timers.put(member.timerId(), new MemberTimer(group, member));
        touchSession(member, nowMs);
        if (GroupState.PREPARING_REBALANCE != group.state())
        {
            prepareRebalance(group, nowMs);
        }
        tryCompleteJoin(group, nowMs);
    }

    /**
     * A static member restarted (joined with its instance id and no member id): it takes over the
     * old member's place under a new id, fencing the old id. In a stable group whose protocol stays
     * the same it gets its old assignment back with no rebalance (KIP-345).
     */
    private void replaceStaticMember(
        final ConsumerGroup group,
        final GroupMember member,
        final String newMemberId,
        final long sessionId,
        final long correlationId,
        final int sessionTimeoutMs,
        final int rebalanceTimeoutMs,
        final List<GroupMember.Protocol> protocols,
        final long nowMs)
    {
        final String oldMemberId = member.memberId();
        member.clientId = joinClientId;
        member.clientHost = joinClientHost;
        if (member.awaitingJoin())
        {
            joinError(member.joinSessionId, member.joinCorrelationId, ErrorCode.FENCED_INSTANCE_ID, oldMemberId,
                "instance '" + member.groupInstanceId() + "' joined again as '" + newMemberId + "'");
            member.clearJoin();
        }
        if (member.awaitingSync())
        {
            syncResponse(member.syncSessionId, member.syncCorrelationId, ErrorCode.FENCED_INSTANCE_ID, group,
                GroupMember.EMPTY_BYTES, "instance '" + member.groupInstanceId() + "' joined again");
            member.clearSync();
        }
        final byte[] assignedFrom = group.protocolName.isEmpty() ? null : member.assignedFrom;
        group.replaceMemberId(member, newMemberId);
        member.sessionTimeoutMs = sessionTimeoutMs;
        member.rebalanceTimeoutMs = rebalanceTimeoutMs;
        member.protocols = protocols;
        touchSession(member, nowMs);

        switch (group.state())
        {
            case STABLE:
                if (group.protocolName.equals(group.selectProtocol()))
                {
                    version++;
                    responseProxy.sendStaticRejoin(sessionId, correlationId, group, member, assignedFrom);
                }
                else
                {
                    member.awaitJoin(sessionId, correlationId);
                    prepareRebalance(group, nowMs);
                    tryCompleteJoin(group, nowMs);
                }
                break;

            case COMPLETING_REBALANCE:
                member.awaitJoin(sessionId, correlationId);
                prepareRebalance(group, nowMs);
                tryCompleteJoin(group, nowMs);
                break;

            case PREPARING_REBALANCE:
                member.awaitJoin(sessionId, correlationId);
                tryCompleteJoin(group, nowMs);
                break;

            default:
                throw new IllegalStateException("static member of group '" + group.groupId() + "' in state " +
                    group.state().displayName());
        }
    }

    private void joinKnownMember(
        final ConsumerGroup group,
        final long sessionId,
        final long correlationId,
        final String memberId,
        final String instanceId,
        final int sessionTimeoutMs,
        final int rebalanceTimeoutMs,
        final List<GroupMember.Protocol> protocols,
        final long nowMs)
    {
        final ErrorCode code = validateMember(group, memberId, instanceId);
        if (ErrorCode.NONE != code)
        {
            joinError(sessionId, correlationId, code, memberId, memberError(group, memberId, instanceId, code));
            return;
        }

        final GroupMember member = group.member(memberId);
        member.clientId = joinClientId;
        member.clientHost = joinClientHost;
        final boolean sameProtocols = member.sameProtocols(protocols);
        switch (group.state())
        {
            case PREPARING_REBALANCE:
                updateAndAwaitJoin(member, sessionId, correlationId, sessionTimeoutMs, rebalanceTimeoutMs, protocols);
                touchSession(member, nowMs);
                tryCompleteJoin(group, nowMs);
                break;

            case COMPLETING_REBALANCE:
                if (sameProtocols)
                {
                    // It missed the join response: give it again.
                    touchSession(member, nowMs);
                    responseProxy.sendJoin(sessionId, correlationId, group, member, group.isLeader(memberId), false);
                }
                else
                {
                    updateAndAwaitJoin(member, sessionId, correlationId, sessionTimeoutMs, rebalanceTimeoutMs,
                        protocols);
                    prepareRebalance(group, nowMs);
                    tryCompleteJoin(group, nowMs);
                }
                break;

            case STABLE:
                if (sameProtocols && !group.isLeader(memberId))
                {
                    touchSession(member, nowMs);
                    responseProxy.sendJoin(sessionId, correlationId, group, member, false, false);
                }
                else
                {
                    updateAndAwaitJoin(member, sessionId, correlationId, sessionTimeoutMs, rebalanceTimeoutMs,
                        protocols);
                    prepareRebalance(group, nowMs);
                    tryCompleteJoin(group, nowMs);
                }
                break;

            default:
                joinError(sessionId, correlationId, ErrorCode.UNKNOWN_MEMBER_ID, memberId,
                    "group '" + group.groupId() + "' is " + group.state().displayName());
                break;
        }
    }

    private void updateAndAwaitJoin(
        final GroupMember member,
        final long sessionId,
        final long correlationId,
        final int sessionTimeoutMs,
        final int rebalanceTimeoutMs,
        final List<GroupMember.Protocol> protocols)
    {
        if (member.awaitingJoin())
        {
            joinError(member.joinSessionId, member.joinCorrelationId, ErrorCode.REBALANCE_IN_PROGRESS,
                member.memberId(), "superseded by a newer join from the same member");
        }
        member.sessionTimeoutMs = sessionTimeoutMs;
        member.rebalanceTimeoutMs = rebalanceTimeoutMs;
        member.protocols = protocols;
        member.awaitJoin(sessionId, correlationId);
    }

    private void prepareRebalance(final ConsumerGroup group, final long nowMs)
    {
        if (GroupState.COMPLETING_REBALANCE == group.state())
        {
            for (final GroupMember member : group.members())
            {
                if (member.awaitingSync())
                {
                    syncResponse(member.syncSessionId, member.syncCorrelationId, ErrorCode.REBALANCE_IN_PROGRESS,
                        group, GroupMember.EMPTY_BYTES, "the group is rebalancing: join again");
                    member.clearSync();
                }
                member.assignment = GroupMember.EMPTY_BYTES;
            }
        }
        group.transitionTo(GroupState.PREPARING_REBALANCE);
        group.rebalanceDeadlineMs = nowMs + group.maxRebalanceTimeoutMs();
        arm(group.timerId(), group.rebalanceDeadlineMs);
    }

    private void tryCompleteJoin(final ConsumerGroup group, final long nowMs)
    {
        if (GroupState.PREPARING_REBALANCE == group.state() && group.allMembersJoined())
        {
            completeJoin(group, nowMs);
        }
    }

    /**
     * Close the join phase: members that did not rejoin are removed, the generation moves on, a
     * protocol and a leader are chosen and every waiting join is answered (the leader's with every
     * member's metadata).
     */
    private void completeJoin(final ConsumerGroup group, final long nowMs)
    {
        for (final GroupMember member : new ArrayList<>(group.members()))
        {
            if (!member.awaitingJoin())
            {
                removeMember(group, member);
            }
        }
        group.generationId++;
        version++;
        if (group.isEmpty())
        {
            group.protocolName = "";
            group.leaderId = "";
            group.transitionTo(GroupState.EMPTY);
            disarm(group.timerId());
            removeIfEmptyWithoutOffsets(group);
            return;
        }

        group.protocolName = group.selectProtocol();
        if (group.leaderId.isEmpty() || null == group.member(group.leaderId))
        {
            group.leaderId = group.members().iterator().next().memberId();
        }
        group.transitionTo(GroupState.COMPLETING_REBALANCE);
        group.rebalanceDeadlineMs = nowMs + group.maxRebalanceTimeoutMs();
        arm(group.timerId(), group.rebalanceDeadlineMs);

        for (final GroupMember member : group.members())
        {
            final long sessionId = member.joinSessionId;
            final long correlationId = member.joinCorrelationId;
            member.clearJoin();
            final byte[] metadata = member.metadata(group.protocolName);
            member.assignedFrom = null == metadata ? GroupMember.EMPTY_BYTES : metadata;
            touchSession(member, nowMs);
            responseProxy.sendJoin(sessionId, correlationId, group, member, group.isLeader(member.memberId()), false);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // SyncGroup
    // ------------------------------------------------------------------------------------------------

    private void onSync(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        syncDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = syncDecoder.correlationId();
        final int generationId = syncDecoder.generationId();
        final List<String> assignedIds = new ArrayList<>();
        final List<byte[]> assignments = new ArrayList<>();
        for (final SyncGroupRequestDecoder.AssignmentsDecoder entry : syncDecoder.assignments())
        {
            assignedIds.add(entry.memberId());
            final byte[] bytes = new byte[entry.assignmentLength()];
            entry.getAssignment(bytes, 0, bytes.length);
            assignments.add(bytes);
        }
        final String groupId = syncDecoder.groupId();
        final String memberId = syncDecoder.memberId();
        final String instanceId = syncDecoder.groupInstanceId();
        final String protocolType = syncDecoder.protocolType();
        final String protocolName = syncDecoder.protocolName();

        final ConsumerGroup group = groups.get(groupId);
        ErrorCode code = null == group ? ErrorCode.UNKNOWN_MEMBER_ID : validateMember(group, memberId, instanceId);
        String message = null == group ? "group '" + groupId + "' does not exist" :
            memberError(group, memberId, instanceId, code);
        if (ErrorCode.NONE == code && generationId != group.generationId)
        {
            code = ErrorCode.ILLEGAL_GENERATION;
            message = "generation " + generationId + " is not the group's " + group.generationId;
        }
        if (ErrorCode.NONE == code && (!protocolType.isEmpty() && !protocolType.equals(group.protocolType) ||
            !protocolName.isEmpty() && !protocolName.equals(group.protocolName)))
        {
            code = ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
            message = "the group uses " + group.protocolType + "/" + group.protocolName;
        }
        if (ErrorCode.NONE == code)
        {
            code = group.state().sync();
            message = ErrorCode.NONE == code ? "" : "group '" + groupId + "' is " + group.state().displayName();
        }
        if (ErrorCode.NONE != code)
        {
            syncResponse(sessionId, correlationId, code, group, GroupMember.EMPTY_BYTES, message);
            return;
        }

        final GroupMember member = group.member(memberId);
        touchSession(member, nowMs);
        if (GroupState.STABLE == group.state())
        {
            syncResponse(sessionId, correlationId, ErrorCode.NONE, group, member.assignment, "");
            return;
        }

        member.awaitSync(sessionId, correlationId);
        if (group.isLeader(memberId))
        {
            for (final GroupMember m : group.members())
            {
                m.assignment = GroupMember.EMPTY_BYTES;
            }
            for (int i = 0; i < assignedIds.size(); i++)
            {
                final GroupMember target = group.member(assignedIds.get(i));
                if (null != target)
                {
                    target.assignment = assignments.get(i);
                }
            }
            group.transitionTo(GroupState.STABLE);
            disarm(group.timerId());
            version++;
            for (final GroupMember m : group.members())
            {
                if (m.awaitingSync())
                {
                    final long syncSessionId = m.syncSessionId;
                    final long syncCorrelationId = m.syncCorrelationId;
                    m.clearSync();
                    syncResponse(syncSessionId, syncCorrelationId, ErrorCode.NONE, group, m.assignment, "");
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Heartbeat and LeaveGroup
    // ------------------------------------------------------------------------------------------------

    private void onHeartbeat(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        heartbeatDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = heartbeatDecoder.correlationId();
        final int generationId = heartbeatDecoder.generationId();
        final String groupId = heartbeatDecoder.groupId();
        final String memberId = heartbeatDecoder.memberId();
        final String instanceId = heartbeatDecoder.groupInstanceId();

        final ConsumerGroup group = groups.get(groupId);
        ErrorCode code = null == group ? ErrorCode.UNKNOWN_MEMBER_ID : validateMember(group, memberId, instanceId);
        String message = null == group ? "group '" + groupId + "' does not exist" :
            memberError(group, memberId, instanceId, code);
        if (ErrorCode.NONE == code && generationId != group.generationId)
        {
            code = ErrorCode.ILLEGAL_GENERATION;
            message = "generation " + generationId + " is not the group's " + group.generationId;
        }
        if (ErrorCode.NONE == code)
        {
            touchSession(group.member(memberId), nowMs);
            code = group.state().heartbeat();
            message = ErrorCode.NONE == code ? "" : "group '" + groupId + "' is " + group.state().displayName();
        }
        if (ErrorCode.NONE != code && ErrorCode.REBALANCE_IN_PROGRESS != code)
        {
            stats.onError(code);
        }

        responseProxy.sendHeartbeat(sessionId, correlationId, code, message);
    }

    private void onLeave(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        leaveDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = leaveDecoder.correlationId();
        final List<String[]> leaving = new ArrayList<>();
        for (final LeaveGroupRequestDecoder.MembersDecoder entry : leaveDecoder.members())
        {
            final String memberId = entry.memberId();
            final String instanceId = entry.groupInstanceId();
            entry.reason();
            leaving.add(new String[]{ memberId, instanceId });
        }
        final String groupId = leaveDecoder.groupId();
        final ConsumerGroup group = groups.get(groupId);

        // Decide and apply first, answer last: removals answer other members' held requests, and each
        // answer is encoded and sent whole.
        final ErrorCode[] codes = new ErrorCode[leaving.size()];
        boolean removed = false;
        for (int i = 0; i < leaving.size(); i++)
        {
            final String memberId = leaving.get(i)[0];
            final String instanceId = leaving.get(i)[1];
            ErrorCode code = ErrorCode.NONE;
            GroupMember member = null;
            if (null == group)
            {
                code = ErrorCode.UNKNOWN_MEMBER_ID;
            }
            else if (!instanceId.isEmpty())
            {
                final String mapped = group.staticMemberId(instanceId);
                if (null == mapped)
                {
                    code = ErrorCode.UNKNOWN_MEMBER_ID;
                }
                else if (!memberId.isEmpty() && !memberId.equals(mapped))
                {
                    code = ErrorCode.FENCED_INSTANCE_ID;
                }
                else
                {
                    member = group.member(mapped);
                }
            }
            else
            {
                member = group.member(memberId);
                if (null == member)
                {
                    code = ErrorCode.UNKNOWN_MEMBER_ID;
                }
            }

            if (null != member)
            {
                removeMember(group, member);
                removed = true;
            }
            else
            {
                stats.onError(code);
            }
            codes[i] = code;
        }
        if (removed)
        {
            afterMemberRemoved(group, nowMs);
        }

        responseProxy.sendLeave(
            sessionId, correlationId, groupId.isEmpty() ? ErrorCode.INVALID_GROUP_ID : ErrorCode.NONE, leaving, codes);
    }

    private void onSessionTimer(final ConsumerGroup group, final GroupMember member, final long nowMs)
    {
        if (group.member(member.memberId()) != member)
        {
            return;
        }
        if (member.awaitingJoin() || member.awaitingSync())
        {
            // A member waiting on the coordinator cannot heartbeat: it is alive by definition, so its
            // deadline moves on. The timer is always armed at the state's deadline (touchSession too),
            // so it fires at that deadline whether or not the state was restored in between.
            member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
            arm(member.timerId(), member.sessionDeadlineMs);
        }
        else if (nowMs < member.sessionDeadlineMs)
        {
            arm(member.timerId(), member.sessionDeadlineMs);
        }
        else
        {
            removeMember(group, member);
            afterMemberRemoved(group, nowMs);
        }
    }

    private void onRebalanceTimer(final ConsumerGroup group, final long nowMs)
    {
        final GroupState state = group.state();
        if (GroupState.PREPARING_REBALANCE != state && GroupState.COMPLETING_REBALANCE != state)
        {
            return;
        }
        if (nowMs < group.rebalanceDeadlineMs)
        {
            arm(group.timerId(), group.rebalanceDeadlineMs);
            return;
        }
        if (GroupState.PREPARING_REBALANCE == state)
        {
            completeJoin(group, nowMs);
        }
        else
        {
            // The leader never sent its assignment: whoever has not synced is gone; the rest rejoin.
            for (final GroupMember member : new ArrayList<>(group.members()))
            {
                if (!member.awaitingSync())
                {
                    removeMember(group, member);
                }
            }
            afterMemberRemoved(group, nowMs);
        }
    }

    private void removeMember(final ConsumerGroup group, final GroupMember member)
    {
        if (member.awaitingJoin())
        {
            joinError(member.joinSessionId, member.joinCorrelationId, ErrorCode.UNKNOWN_MEMBER_ID, member.memberId(),
                "removed from group '" + group.groupId() + "'");
            member.clearJoin();
        }
        if (member.awaitingSync())
        {
            syncResponse(member.syncSessionId, member.syncCorrelationId, ErrorCode.UNKNOWN_MEMBER_ID, group,
                GroupMember.EMPTY_BYTES, "removed from group '" + group.groupId() + "'");
            member.clearSync();
        }
        group.remove(member);
        timers.remove(member.timerId());
        disarm(member.timerId());
    }

    private void afterMemberRemoved(final ConsumerGroup group, final long nowMs)
    {
        version++;
        switch (group.state())
        {
            case STABLE:
            case COMPLETING_REBALANCE:
                prepareRebalance(group, nowMs);
                tryCompleteJoin(group, nowMs);
                break;

            case PREPARING_REBALANCE:
                tryCompleteJoin(group, nowMs);
                break;

            default:
                break;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Offsets
    // ------------------------------------------------------------------------------------------------

    private void onOffsetCommit(final long sessionId, final DirectBuffer buffer, final int offset, final long nowMs)
    {
        commitDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = commitDecoder.correlationId();
        final int generationId = commitDecoder.generationId();
        final List<long[]> entries = new ArrayList<>();
        final List<String> metadata = new ArrayList<>();
        for (final OffsetCommitRequestDecoder.OffsetsDecoder entry : commitDecoder.offsets())
        {
            entries.add(new long[]{ entry.topicId(), entry.partition(), entry.committedOffset(),
                entry.committedLeaderEpoch() });
            metadata.add(entry.metadata());
        }
        final String groupId = commitDecoder.groupId();
        final String memberId = commitDecoder.memberId();
        final String instanceId = commitDecoder.groupInstanceId();

        ConsumerGroup group = groups.get(groupId);
        ErrorCode code = ErrorCode.NONE;
        String message = "";
        GroupMember member = null;
        if (groupId.isEmpty())
        {
            code = ErrorCode.INVALID_GROUP_ID;
            message = "group id is empty";
        }
        else if (generationId < 0)
        {
            if (null != group && !group.isEmpty())
            {
                code = ErrorCode.NON_EMPTY_GROUP;
                message = "group '" + groupId + "' has " + group.memberCount() + " active member(s): offsets " +
                    "can be committed outside a generation (or reset) only while it has none";
            }
        }
        else if (null == group)
        {
            code = ErrorCode.ILLEGAL_GENERATION;
            message = "group '" + groupId + "' does not exist, so it has no generation " + generationId;
        }
        else
        {
            code = validateMember(group, memberId, instanceId);
            message = memberError(group, memberId, instanceId, code);
            if (ErrorCode.NONE == code && generationId != group.generationId)
            {
                code = ErrorCode.ILLEGAL_GENERATION;
                message = "generation " + generationId + " is not the group's " + group.generationId +
                    ": the group rebalanced";
            }
            if (ErrorCode.NONE == code)
            {
                code = group.state().memberCommit();
                message = ErrorCode.NONE == code ? "" : "group '" + groupId + "' is " + group.state().displayName();
            }
            if (ErrorCode.NONE == code)
            {
                member = group.member(memberId);
            }
        }

        responseProxy.beginOffsetCommit(correlationId, code, entries.size());
        boolean stored = false;
        for (int i = 0; i < entries.size(); i++)
        {
            final long[] entry = entries.get(i);
            final int topicId = (int)entry[0];
            final int partition = (int)entry[1];
            final long committed = entry[2];
            final String text = metadata.get(i);
            ErrorCode partitionCode = code;
            if (ErrorCode.NONE == partitionCode)
            {
                final int partitionCount = topics.partitionCount(topicId);
                if (partitionCount < 0)
                {
                    partitionCode = ErrorCode.UNKNOWN_TOPIC_ID;
                }
                else if (partition < 0 || partition >= partitionCount)
                {
                    partitionCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                }
                else if (committed < 0)
                {
                    partitionCode = ErrorCode.INVALID_REQUEST;
                }
                else if (text.length() > MAX_OFFSET_METADATA_LENGTH)
                {
                    partitionCode = ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
                }
            }
            if (ErrorCode.NONE == partitionCode)
            {
                if (null == group)
                {
                    group = new ConsumerGroup(groupId, timerIds.next());
                    groups.put(groupId, group);
                    timers.put(group.timerId(), group);
                }
                group.offsets().put(ConsumerGroup.offsetKey(topicId, partition),
                    new ConsumerGroup.CommittedOffset(committed, (int)entry[3], text, nowMs));
                stored = true;
            }
            else
            {
                stats.onError(partitionCode);
            }
            responseProxy.offsetCommitPartition(topicId, partition, partitionCode);
        }
        if (null != member)
        {
            touchSession(member, nowMs);
        }
        if (stored)
        {
            version++;
        }
        responseProxy.sendOffsetCommit(sessionId, message);
    }

    /**
     * Apply the offsets a transaction committed: stored as an offset commit outside any generation would be, the
     * group made if it does not exist yet.
     *
     * @param groupId  the group.
     * @param offsets  by {@link ConsumerGroup#offsetKey}.
     * @param timerIds for a group made here.
     */
    void commitTransactional(
        final String groupId, final Map<Long, ConsumerGroup.CommittedOffset> offsets, final TimerIds timerIds)
    {
        ConsumerGroup group = groups.get(groupId);
        if (null == group)
        {
            group = new ConsumerGroup(groupId, timerIds.next());
            groups.put(groupId, group);
            timers.put(group.timerId(), group);
        }
        group.offsets().putAll(offsets);
        version++;
    }

    private void onOffsetFetch(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        offsetFetchDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = offsetFetchDecoder.correlationId();
        offsetFetchDecoder.requireStable();
        final List<Long> keys = new ArrayList<>();
        for (final OffsetFetchRequestDecoder.PartitionsDecoder entry : offsetFetchDecoder.partitions())
        {
            keys.add(ConsumerGroup.offsetKey(entry.topicId(), entry.partition()));
        }
        final String groupId = offsetFetchDecoder.groupId();
        final ConsumerGroup group = groups.get(groupId);
        if (keys.isEmpty() && null != group)
        {
            keys.addAll(group.offsets().keySet());
        }

        responseProxy.beginOffsetFetch(
            correlationId, groupId.isEmpty() ? ErrorCode.INVALID_GROUP_ID : ErrorCode.NONE,
            groupId.isEmpty() ? 0 : keys.size());
        if (!groupId.isEmpty())
        {
            for (final long key : keys)
            {
                final int topicId = ConsumerGroup.topicIdOf(key);
                final ConsumerGroup.CommittedOffset committed = null == group ? null : group.offsets().get(key);
                responseProxy.offsetFetchPartition(topicId, ConsumerGroup.partitionOf(key), committed,
                    topics.partitionCount(topicId) < 0 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.NONE);
            }
        }
        responseProxy.sendOffsetFetch(sessionId, groupId.isEmpty() ? "group id is empty" : "");
    }

    // ------------------------------------------------------------------------------------------------
    // Describe, list, delete
    // ------------------------------------------------------------------------------------------------

    private void onDescribe(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        describeDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = describeDecoder.correlationId();
        final List<String> groupIds = new ArrayList<>();
        for (final DescribeGroupsRequestDecoder.GroupsDecoder entry : describeDecoder.groups())
        {
            groupIds.add(entry.groupId());
        }

        responseProxy.sendDescribe(sessionId, correlationId, groupIds, groups);
    }

    private void onList(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        listDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = listDecoder.correlationId();
        final List<String> states = new ArrayList<>();
        for (final ListGroupsRequestDecoder.StatesFilterDecoder entry : listDecoder.statesFilter())
        {
            states.add(entry.state());
        }
        final List<ConsumerGroup> matching = new ArrayList<>();
        for (final ConsumerGroup group : groups.values())
        {
            boolean match = states.isEmpty();
            for (final String state : states)
            {
                match |= group.state().displayName().equalsIgnoreCase(state);
            }
            if (match)
            {
                matching.add(group);
            }
        }

        responseProxy.sendList(sessionId, correlationId, matching);
    }

    private void onDelete(final long sessionId, final DirectBuffer buffer, final int offset)
    {
        deleteDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = deleteDecoder.correlationId();
        final List<String> groupIds = new ArrayList<>();
        for (final DeleteGroupsRequestDecoder.GroupsDecoder entry : deleteDecoder.groups())
        {
            groupIds.add(entry.groupId());
        }

        responseProxy.beginDelete(correlationId, groupIds.size());
        final StringBuilder message = new StringBuilder();
        for (final String groupId : groupIds)
        {
            final ConsumerGroup group = groups.get(groupId);
            ErrorCode code = ErrorCode.NONE;
            if (null == group)
            {
                code = ErrorCode.GROUP_ID_NOT_FOUND;
                message.append(message.length() == 0 ? "" : "; ").append("group '").append(groupId)
                    .append("' does not exist");
            }
            else if (!group.isEmpty())
            {
                code = ErrorCode.NON_EMPTY_GROUP;
                message.append(message.length() == 0 ? "" : "; ").append("group '").append(groupId).append("' has ")
                    .append(group.memberCount()).append(" active member(s)");
            }
            else
            {
                group.transitionTo(GroupState.DEAD);
                removeGroup(group);
                version++;
            }
            if (ErrorCode.NONE != code)
            {
                stats.onError(code);
            }
            responseProxy.deleteGroupResult(code, groupId);
        }
        responseProxy.sendDelete(sessionId, message.toString());
    }

    // ------------------------------------------------------------------------------------------------
    // Snapshot
    // ------------------------------------------------------------------------------------------------

    /**
     * Write every group into a snapshot, after the state machine's part, as {@link GroupSnapshot} lays them out.
     *
     * @param buffer   to write into.
     * @param position where to start.
     * @return the position after the groups.
     */
    int snapshot(final ExpandableArrayBuffer buffer, final int position)
    {
        return GroupSnapshot.write(buffer, position, nextMemberSeq, groups);
    }

    /**
     * Read the groups of a snapshot written by {@link #snapshot}. Deadlines are restored as they were
     * (the state must be the same on every host); the host's timers are armed on the next tick.
     *
     * @param buffer      holding the snapshot.
     * @param position    where the groups start.
     * @param hasClientIds whether members carry their client id and host (snapshot version 5 on).
     * @return the position after the groups.
     */
    int restore(final DirectBuffer buffer, final int position, final boolean hasClientIds)
    {
        if (!groups.isEmpty())
        {
            throw new IllegalStateException("restore into a coordinator that already has groups");
        }
        nextMemberSeq = GroupSnapshot.nextMemberSeq(buffer, position);
        final int p = GroupSnapshot.read(buffer, position, hasClientIds, groups);
        for (final ConsumerGroup group : groups.values())
        {
            for (final GroupMember member : group.members())
            {
                timers.put(member.timerId(), new MemberTimer(group, member));
            }
            timers.put(group.timerId(), group);
        }
        // Cluster timers are restored with the consensus module's snapshot; other hosts' timers are armed again.
        rearmTimers = !groups.isEmpty() && !host.timersSurviveRestore();
        return p;
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------------

    void rearmTimersIfRestored()
    {
        if (rearmTimers)
        {
            rearmTimers = false;
            for (final ConsumerGroup group : groups.values())
            {
                if (GroupState.PREPARING_REBALANCE == group.state() || GroupState.COMPLETING_REBALANCE == group.state())
                {
                    arm(group.timerId(), group.rebalanceDeadlineMs);
                }
                for (final GroupMember member : group.members())
                {
                    arm(member.timerId(), member.sessionDeadlineMs);
                }
            }
        }
    }

    private void touchSession(final GroupMember member, final long nowMs)
    {
        member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
        // Armed exactly at the deadline, never earlier: an early firing would depend on timer history
        // that a snapshot does not carry, and the state must replay the same after a restore.
        if (armedDeadlines.get(member.timerId()) != member.sessionDeadlineMs)
        {
            arm(member.timerId(), member.sessionDeadlineMs);
        }
    }

    private void arm(final long timerId, final long deadlineMs)
    {
        armedDeadlines.put(timerId, deadlineMs);
        host.scheduleTimer(timerId, deadlineMs);
    }

    private void disarm(final long timerId)
    {
        if (NOT_ARMED != armedDeadlines.remove(timerId))
        {
            host.cancelTimer(timerId);
        }
    }

    private void removeIfEmptyWithoutOffsets(final ConsumerGroup group)
    {
        if (GroupState.EMPTY == group.state() && group.isEmpty() && group.offsets().isEmpty())
        {
            group.transitionTo(GroupState.DEAD);
            removeGroup(group);
        }
    }

    private void removeGroup(final ConsumerGroup group)
    {
        groups.remove(group.groupId());
        timers.remove(group.timerId());
        disarm(group.timerId());
    }

    private static ErrorCode validateMember(final ConsumerGroup group, final String memberId, final String instanceId)
    {
        if (!instanceId.isEmpty())
        {
            final String mapped = group.staticMemberId(instanceId);
            if (null != mapped && !mapped.equals(memberId))
            {
                return ErrorCode.FENCED_INSTANCE_ID;
            }
        }
        final GroupMember member = group.member(memberId);
        if (null == member)
        {
            return ErrorCode.UNKNOWN_MEMBER_ID;
        }
        if (!instanceId.equals(member.groupInstanceId()))
        {
            return ErrorCode.FENCED_INSTANCE_ID;
        }
        return ErrorCode.NONE;
    }

    private static String memberError(
        final ConsumerGroup group, final String memberId, final String instanceId, final ErrorCode code)
    {
        switch (code)
        {
            case NONE:
                return "";
            case FENCED_INSTANCE_ID:
                return "instance '" + instanceId + "' of group '" + group.groupId() + "' is now member '" +
                    group.staticMemberId(instanceId) + "', not '" + memberId + "'";
            case UNKNOWN_MEMBER_ID:
                return "group '" + group.groupId() + "' has no member '" + memberId + "'";
            default:
                return code.name();
        }
    }

    private void joinError(
        final long sessionId, final long correlationId, final ErrorCode code, final String memberId,
        final String message)
    {
        stats.onError(code);
        responseProxy.sendJoinError(sessionId, correlationId, code, memberId, message);
    }

    private void syncResponse(
        final long sessionId,
        final long correlationId,
        final ErrorCode code,
        final ConsumerGroup group,
        final byte[] assignment,
        final String message)
    {
        if (ErrorCode.NONE != code && ErrorCode.REBALANCE_IN_PROGRESS != code)
        {
            stats.onError(code);
        }
        responseProxy.sendSync(sessionId, correlationId, code, group, assignment, message);
    }

    /**
     * Groups held, empty ones included.
     *
     * @return the count.
     */
    int groupCount()
    {
        return groups.size();
    }

    /**
     * Members of all groups.
     *
     * @return the count.
     */
    int memberCount()
    {
        int count = 0;
        for (final ConsumerGroup group : groups.values())
        {
            count += group.memberCount();
        }

        return count;
    }
}
