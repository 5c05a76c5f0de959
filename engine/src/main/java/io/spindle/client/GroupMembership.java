package io.spindle.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.ErrorResponseDecoder;
import io.spindle.codecs.protocol.HeartbeatRequestEncoder;
import io.spindle.codecs.protocol.HeartbeatResponseDecoder;
import io.spindle.codecs.protocol.JoinGroupRequestEncoder;
import io.spindle.codecs.protocol.JoinGroupResponseDecoder;
import io.spindle.codecs.protocol.LeaveGroupRequestEncoder;
import io.spindle.codecs.protocol.LeaveGroupResponseDecoder;
import io.spindle.codecs.protocol.ListGroupsRequestEncoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.OffsetCommitRequestEncoder;
import io.spindle.codecs.protocol.OffsetCommitResponseDecoder;
import io.spindle.codecs.protocol.OffsetFetchRequestEncoder;
import io.spindle.codecs.protocol.OffsetFetchResponseDecoder;
import io.spindle.codecs.protocol.SyncGroupRequestEncoder;
import io.spindle.codecs.protocol.SyncGroupResponseDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;

/**
 * A consumer's membership of its group: the client side of Kafka's classic group protocol, driven
 * entirely from {@link #poll(long)} on the consumer's thread (there is no heartbeat thread).
 * <pre>
 *   UNJOINED --JoinGroup--> JOINING --answer; the leader assigns--> SYNCING --assignment--> STABLE
 *      ^                                                                                  |
 *      +-- REBALANCE_IN_PROGRESS / UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / poll gap ------+
 * </pre>
 * In STABLE a heartbeat goes out every {@code heartbeat.interval.ms}; its answer is how the member
 * learns of a rebalance. Eager protocols revoke everything before rejoining; the cooperative protocol
 * keeps fetching what it owns, revokes only what the new assignment takes away, and then rejoins once
 * more so those partitions can reach their new owners (KIP-429). The leader computes assignments with
 * the {@link PartitionAssignor} of the protocol the coordinator chose.
 * <p>
 * Liveness without a background thread: {@code poll} must be called at least every heartbeat
 * interval. On entry it checks the gap since the previous call: longer than {@code max.poll.interval.ms}
 * means the application stopped polling, so the member leaves the group (a dynamic one sends
 * LeaveGroup), reports its partitions lost and rejoins; longer than the session timeout since the last
 * heartbeat the coordinator acknowledged means the coordinator has probably expired it, so its
 * partitions are reported lost before any record of theirs is handed out.
 * <p>
 * Requests go through a {@link Client} seam: the consumer's control session in production, the state
 * machine itself in the simulation tests. Answers that arrive while something else waits are queued
 * and handled at the next poll, so no listener runs inside another call.
 * <p>
 * <b>Threading:</b> owned by the consumer's thread.
 */
final class GroupMembership
{
    /**
     * What the membership needs from its consumer.
     */
    interface Client
    {
        /**
         * A correlation id no other request of this client uses.
         *
         * @return the id.
         */
        long nextCorrelationId();

        /**
         * Send a request whose answer will arrive through {@link GroupMembership#onResponse}.
         *
         * @param buffer holding the request from offset 0.
         * @param length of the request.
         */
        void send(DirectBuffer buffer, int length);

        /**
         * Send a request and wait for its answer; answers to other requests that arrive meanwhile go
         * to {@link GroupMembership#onResponse}.
         *
         * @param buffer        holding the request from offset 0.
         * @param length        of the request.
         * @param correlationId of the request.
         * @param decoder       decodes the answer.
         */
        void call(DirectBuffer buffer, int length, long correlationId, BlockingCaller.ResponseDecoder decoder);

        /**
         * Hand answers to {@link GroupMembership#onResponse} until a condition holds or a timeout passes.
         *
         * @param timeoutMs how long to wait at most.
         * @param done      checked after each batch of answers.
         */
        void pollResponses(long timeoutMs, java.util.function.BooleanSupplier done);

        /**
         * The id of a topic.
         *
         * @param topic the name.
         * @return the id.
         * @throws SpindleException when there is no such topic.
         */
        int topicId(String topic);

        /**
         * The current partition count of a topic, looked up afresh.
         *
         * @param topic the name.
         * @return the count, or -1 when there is no such topic.
         */
        int partitionCount(String topic);

        /**
         * Fetch exactly these partitions from now on, keeping the positions of those already fetched.
         *
         * @param partitions the partitions.
         */
        void assign(Collection<TopicPartition> partitions);

        /**
         * The positions (next offset to hand out) of the fetched partitions that have one.
         *
         * @return by partition.
         */
        Map<TopicPartition, Long> positions();
    }

    enum State
    {
        UNJOINED, JOINING, SYNCING, STABLE
    }

    private static final long NONE = Long.MIN_VALUE;
    private static final long RETRY_BACKOFF_MS = 100;
    private static final long CLOSE_JOIN_WAIT_MS = 5_000;

    private record Member(String memberId, String groupInstanceId, byte[] metadata)
    {
    }

    private record JoinResult(
        long correlationId, ErrorCode code, String message, int generation, boolean skipAssignment,
        List<Member> members, String protocolName, String leader, String memberId)
    {
    }

    private record SyncResult(long correlationId, ErrorCode code, String message, byte[] assignment)
    {
    }

    private record HeartbeatResult(long correlationId, ErrorCode code, String message)
    {
    }

    private record CommitResult(long correlationId, SpindleException error)
    {
    }

    private record PendingCommit(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback)
    {
    }

    private final Client client;
    private final String groupId;
    private final String groupInstanceId;
    private final String clientId;
    private final String clientHost;
    private final int sessionTimeoutMs;
    private final int rebalanceTimeoutMs;
    private final long heartbeatIntervalMs;
    private final long maxPollIntervalMs;
    private final long metadataMaxAgeMs;
    private final long requestTimeoutMs;
    private final boolean autoCommit;
    private final long autoCommitIntervalMs;
    private final List<PartitionAssignor> assignors = new ArrayList<>();
    private final boolean cooperative;
    private final TreeSet<String> subscription = new TreeSet<>();
    private final TreeSet<TopicPartition> owned = new TreeSet<>();
    private final ArrayDeque<Object> inbox = new ArrayDeque<>();
    private final Map<Long, PendingCommit> asyncCommits = new LinkedHashMap<>();
    private final Map<String, Integer> assignedPartitionCounts = new TreeMap<>();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(1024);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private RebalanceListener listener = RebalanceListener.NO_OP;
    private boolean subscribed;
    private State state = State.UNJOINED;
    private String memberId = "";
    private int generation = -1;
    private String protocolName = "";
    private long joinCorrelationId = NONE;
    private long syncCorrelationId = NONE;
    private long heartbeatCorrelationId = NONE;
    private int heartbeatGeneration = -1;
    private long heartbeatSentMs;
    private long requestSentMs;
    private long lastSessionRefreshMs;
    private long lastPollMs = NONE;
    private long nextJoinAttemptMs;
    private long nextAutoCommitMs;
    private long nextMetadataCheckMs;
    private boolean rejoinNeeded;
    private GroupSubscription predecessor;
    private SpindleException fatal;
    private RuntimeException listenerError;

    private final boolean isReadCommitted;

    GroupMembership(final Client client, final Consumer.Context ctx)
    {
        this.client = client;
        this.groupId = ctx.groupId();
        this.isReadCommitted = io.spindle.codecs.protocol.IsolationLevel.READ_COMMITTED == ctx.isolationLevel();
        this.groupInstanceId = null == ctx.groupInstanceId() ? "" : ctx.groupInstanceId();
        this.clientId = null == ctx.clientId() ? "" : ctx.clientId();
        this.clientHost = localHostName();
        this.sessionTimeoutMs = ctx.sessionTimeoutMs();
        this.maxPollIntervalMs = ctx.maxPollIntervalMs();
        this.rebalanceTimeoutMs = ctx.rebalanceTimeoutMs() > 0 ? ctx.rebalanceTimeoutMs() :
            (int)Math.min(Integer.MAX_VALUE, ctx.maxPollIntervalMs());
        this.heartbeatIntervalMs = ctx.heartbeatIntervalMs();
        this.metadataMaxAgeMs = ctx.metadataMaxAgeMs();
        this.requestTimeoutMs = ctx.requestTimeoutMs();
        this.autoCommit = ctx.enableAutoCommit();
        this.autoCommitIntervalMs = ctx.autoCommitIntervalMs();
        boolean allCooperative = true;
        for (final String name : ctx.assignmentStrategy())
        {
            final PartitionAssignor assignor = PartitionAssignor.named(name);
            assignors.add(assignor);
            allCooperative &= assignor.cooperative();
        }
        if (assignors.isEmpty())
        {
            throw new IllegalArgumentException("partition.assignment.strategy is empty");
        }
        if (heartbeatIntervalMs >= sessionTimeoutMs)
        {
            throw new IllegalArgumentException("heartbeat.interval.ms (" + heartbeatIntervalMs +
                ") must be below session.timeout.ms (" + sessionTimeoutMs + ")");
        }
        this.cooperative = allCooperative;
    }

    /**
     * Join the group for these topics (replacing an earlier subscription), from the next poll.
     *
     * @param topics   the topics.
     * @param listener told of revoked, assigned and lost partitions.
     */
    void subscribe(final Collection<String> topics, final RebalanceListener listener)
    {
        if (topics.isEmpty())
        {
            throw new IllegalArgumentException("subscribe to at least one topic (or unsubscribe)");
        }
        final TreeSet<String> next = new TreeSet<>(topics);
        this.listener = null == listener ? RebalanceListener.NO_OP : listener;
        if (subscribed && !next.equals(subscription) && State.UNJOINED != state)
        {
            rejoinNeeded = true;
        }
        subscription.clear();
        subscription.addAll(next);
        subscribed = true;
    }

    boolean subscribed()
    {
        return subscribed;
    }

    List<String> subscription()
    {
        return List.copyOf(subscription);
    }

    State state()
    {
        return state;
    }

    String memberId()
    {
        return memberId;
    }

    int generation()
    {
        return generation;
    }

    GroupMetadata metadata()
    {
        return new GroupMetadata(groupId, generation, memberId, groupInstanceId);
    }

    /**
     * The partitions this member owns.
     *
     * @return a copy, sorted.
     */
    List<TopicPartition> owned()
    {
        return List.copyOf(owned);
    }

    /**
     * Handle answers, check liveness, join, heartbeat and auto-commit as due.
     *
     * @param nowMs the client's clock.
     */
    void poll(final long nowMs)
    {
        if (null != fatal)
        {
            throw fatal;
        }
        if (subscribed)
        {
            checkLiveness(nowMs);
            lastPollMs = nowMs;
        }
        processInbox(nowMs);
        if (subscribed && null == fatal)
        {
            drive(nowMs);
            processInbox(nowMs);
        }
        rethrowListenerError();
        if (null != fatal)
        {
            throw fatal;
        }
    }

    /**
     * An answer from the control stream that nothing was blocked waiting for.
     *
     * @param buffer holding it at its message header.
     * @param offset of the message header.
     * @param length of the message.
     */
    void onResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        headerDecoder.wrap(buffer, offset);
        switch (headerDecoder.templateId())
        {
            case JoinGroupResponseDecoder.TEMPLATE_ID:
                inbox.add(decodeJoin(buffer, offset));
                break;

            case SyncGroupResponseDecoder.TEMPLATE_ID:
            {
                final SyncGroupResponseDecoder decoder = new SyncGroupResponseDecoder()
                    .wrapAndApplyHeader(buffer, offset, headerDecoder);
                final long correlationId = decoder.correlationId();
                final ErrorCode code = decoder.errorCode();
                decoder.protocolType();
                decoder.protocolName();
                final byte[] assignment = new byte[decoder.assignmentLength()];
                decoder.getAssignment(assignment, 0, assignment.length);
                inbox.add(new SyncResult(correlationId, code, decoder.errorMessage(), assignment));
                break;
            }

            case HeartbeatResponseDecoder.TEMPLATE_ID:
            {
                final HeartbeatResponseDecoder decoder = new HeartbeatResponseDecoder()
                    .wrapAndApplyHeader(buffer, offset, headerDecoder);
                final long correlationId = decoder.correlationId();
                final ErrorCode code = decoder.errorCode();
                inbox.add(new HeartbeatResult(correlationId, code, decoder.errorMessage()));
                break;
            }

            case OffsetCommitResponseDecoder.TEMPLATE_ID:
            {
                final OffsetCommitResponseDecoder decoder = new OffsetCommitResponseDecoder()
                    .wrapAndApplyHeader(buffer, offset, headerDecoder);
                final long correlationId = decoder.correlationId();
                if (asyncCommits.containsKey(correlationId))
                {
                    inbox.add(new CommitResult(correlationId, commitError(decoder)));
                }
                break;
            }

            case ErrorResponseDecoder.TEMPLATE_ID:
            {
                final ErrorResponseDecoder decoder = new ErrorResponseDecoder()
                    .wrapAndApplyHeader(buffer, offset, headerDecoder);
                final long correlationId = decoder.correlationId();
                final ErrorCode code = decoder.errorCode();
                decoder.requestTemplateId();
                final String message = decoder.errorMessage();
                if (correlationId == joinCorrelationId)
                {
                    inbox.add(new JoinResult(correlationId, code, message, -1, false, List.of(), "", "", memberId));
                }
                else if (correlationId == syncCorrelationId)
                {
                    inbox.add(new SyncResult(correlationId, code, message, new byte[0]));
                }
                else if (correlationId == heartbeatCorrelationId)
                {
                    inbox.add(new HeartbeatResult(correlationId, code, message));
                }
                else if (asyncCommits.containsKey(correlationId))
                {
                    inbox.add(new CommitResult(correlationId, new SpindleException(code, message)));
                }
                break;
            }

            default:
                break;
        }
    }

    /**
     * The control session was lost and opened again: answers to requests in flight will never come.
     * A join or sync under way starts over (with the member id, so a coordinator that still knows the
     * member keeps it; one that forgot it answers UNKNOWN_MEMBER_ID and the member rejoins afresh); a
     * stable member heartbeats at once to learn where it stands; asynchronous commits in flight fail
     * to their callbacks (they may have been applied).
     *
     * @param nowMs the client's clock.
     */
    void onSessionLost(final long nowMs)
    {
        if (State.JOINING == state || State.SYNCING == state)
        {
            joinCorrelationId = NONE;
            syncCorrelationId = NONE;
            rejoinNow(nowMs);
        }
        else if (State.STABLE == state)
        {
            heartbeatCorrelationId = NONE;
            heartbeatSentMs = nowMs - heartbeatIntervalMs;
        }
        for (final Long correlationId : asyncCommits.keySet())
        {
            inbox.add(new CommitResult(correlationId, new SpindleException(ErrorCode.NETWORK_EXCEPTION,
                "the broker session was lost before the commit was answered (it may have been applied)")));
        }
    }

    /**
     * Commit offsets and wait for the answer. Inside a generation the commit carries it, and the
     * coordinator refuses it (ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID) when the
     * group moved on; outside one (no subscription) it is accepted only while the group has no members.
     *
     * @param offsets by partition.
     * @throws SpindleException when any partition failed.
     */
    void commitSync(final Map<TopicPartition, OffsetAndMetadata> offsets)
    {
        if (offsets.isEmpty())
        {
            return;
        }
        final long correlationId = client.nextCorrelationId();
        final int length = encodeCommit(correlationId, offsets);
        final SpindleException[] error = new SpindleException[1];
        client.call(buffer, length, correlationId, (templateId, buf, offset, len) ->
            error[0] = commitError(new OffsetCommitResponseDecoder().wrapAndApplyHeader(buf, offset, headerDecoder)));
        if (null != error[0])
        {
            throw error[0];
        }
    }

    /**
     * Send a commit and hand its outcome to a callback from a later poll.
     *
     * @param offsets  by partition.
     * @param callback told the outcome; may be null.
     */
    void commitAsync(final Map<TopicPartition, OffsetAndMetadata> offsets, final OffsetCommitCallback callback)
    {
        if (offsets.isEmpty())
        {
            if (null != callback)
            {
                callback.onComplete(offsets, null);
            }
            return;
        }
        final long correlationId = client.nextCorrelationId();
        final int length = encodeCommit(correlationId, offsets);
        asyncCommits.put(correlationId, new PendingCommit(Map.copyOf(offsets), callback));
        try
        {
            client.send(buffer, length);
        }
        catch (final SpindleException ex)
        {
            asyncCommits.remove(correlationId);
            if (null != callback)
            {
                callback.onComplete(offsets, ex);
            }
        }
    }

    /**
     * The group's committed offsets of partitions.
     *
     * @param partitions the partitions.
     * @return committed offsets by partition; partitions with none are absent.
     */
    Map<TopicPartition, OffsetAndMetadata> committed(final Collection<TopicPartition> partitions)
    {
        final Map<TopicPartition, OffsetAndMetadata> result = new TreeMap<>();
        if (partitions.isEmpty())
        {
            return result;
        }
        final Map<Long, TopicPartition> byKey = new HashMap<>();
        final long correlationId = client.nextCorrelationId();
        final OffsetFetchRequestEncoder encoder = new OffsetFetchRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .requireStable(BooleanType.FALSE);
        final OffsetFetchRequestEncoder.PartitionsEncoder entries = encoder.partitionsCount(partitions.size());
        for (final TopicPartition tp : partitions)
        {
            final int topicId = client.topicId(tp.topic());
            byKey.put(((long)topicId << 32) | tp.partition(), tp);
            entries.next().topicId(topicId).partition(tp.partition());
        }
        encoder.groupId(groupId);
        client.call(buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(), correlationId,
            (templateId, buf, offset, len) ->
            {
                final OffsetFetchResponseDecoder decoder = new OffsetFetchResponseDecoder()
                    .wrapAndApplyHeader(buf, offset, headerDecoder);
                decoder.correlationId();
                final ErrorCode code = decoder.errorCode();
                for (final OffsetFetchResponseDecoder.PartitionsDecoder entry : decoder.partitions())
                {
                    final int topicId = entry.topicId();
                    final int partition = entry.partition();
                    final long committed = entry.committedOffset();
                    entry.committedLeaderEpoch();
                    entry.errorCode();
                    final String metadata = entry.metadata();
                    final TopicPartition tp = byKey.get(((long)topicId << 32) | partition);
                    if (null != tp && committed >= 0)
                    {
                        result.put(tp, new OffsetAndMetadata(committed, metadata));
                    }
                }
                final String message = decoder.errorMessage();
                if (ErrorCode.NONE != code)
                {
                    throw new SpindleException(code, message);
                }
            });
        return result;
    }

    /**
     * Leave the group: commit (with auto-commit), revoke, and send LeaveGroup unless static (a static
     * member keeps its partitions for the session timeout, so a restart in time triggers no rebalance).
     * The consumer stays usable; subscribe again to rejoin.
     */
    void unsubscribe()
    {
        if (subscribed && null == fatal)
        {
            if (!owned.isEmpty())
            {
                if (autoCommit)
                {
                    commitQuietly(positionsOf(owned));
                }
                callRevoked(List.copyOf(owned));
                owned.clear();
                client.assign(List.of());
            }
            if (groupInstanceId.isEmpty() && memberId.isEmpty() && NONE != joinCorrelationId)
            {
                memberId = awaitFirstJoin();
            }
            if (!groupInstanceId.isEmpty() || memberId.isEmpty())
            {
                barrier();
            }
            else
            {
                leaveQuietly("the consumer is leaving");
            }
        }
        subscribed = false;
        subscription.clear();
        resetMember(true);
        state = State.UNJOINED;
        processInbox(NONE);
        rethrowListenerError();
    }

    /**
     * Leave the group and finish outstanding asynchronous commits, as far as the broker answers.
     */
    void close()
    {
        unsubscribe();
    }

    private void checkLiveness(final long nowMs)
    {
        if (NONE == lastPollMs)
        {
            return;
        }
        if (nowMs - lastPollMs > maxPollIntervalMs && (!memberId.isEmpty() || !owned.isEmpty()))
        {
            if (groupInstanceId.isEmpty() && !memberId.isEmpty())
            {
                sendLeave("poll was not called for " + (nowMs - lastPollMs) + " ms, more than max.poll.interval.ms " +
                    maxPollIntervalMs);
            }
            lose();
            resetMember(true);
            state = State.UNJOINED;
            nextJoinAttemptMs = nowMs;
        }
        else if (State.STABLE == state && nowMs - lastSessionRefreshMs > sessionTimeoutMs)
        {
            lose();
            resetMember(false);
            state = State.UNJOINED;
            nextJoinAttemptMs = nowMs;
        }
    }

    private void drive(final long nowMs)
    {
        switch (state)
        {
            case UNJOINED:
                if (nowMs >= nextJoinAttemptMs)
                {
                    sendJoin(nowMs);
                }
                break;

            case JOINING:
            case SYNCING:
                if (nowMs - requestSentMs > rebalanceTimeoutMs + requestTimeoutMs)
                {
                    joinCorrelationId = NONE;
                    syncCorrelationId = NONE;
                    state = State.UNJOINED;
                    nextJoinAttemptMs = nowMs;
                }
                break;

            case STABLE:
                if (rejoinNeeded)
                {
                    sendJoin(nowMs);
                    break;
                }
                if (NONE != heartbeatCorrelationId && nowMs - heartbeatSentMs > sessionTimeoutMs)
                {
                    heartbeatCorrelationId = NONE;
                }
                if (NONE == heartbeatCorrelationId && nowMs - heartbeatSentMs >= heartbeatIntervalMs)
                {
                    sendHeartbeat(nowMs);
                }
                if (autoCommit && nowMs >= nextAutoCommitMs)
                {
                    nextAutoCommitMs = nowMs + autoCommitIntervalMs;
                    final Map<TopicPartition, OffsetAndMetadata> positions = positionsOf(owned);
                    if (!positions.isEmpty())
                    {
                        commitAsync(positions, null);
                    }
                }
                if (nowMs >= nextMetadataCheckMs && !assignedPartitionCounts.isEmpty())
                {
                    nextMetadataCheckMs = nowMs + metadataMaxAgeMs;
                    for (final Map.Entry<String, Integer> entry : assignedPartitionCounts.entrySet())
                    {
                        if (client.partitionCount(entry.getKey()) != entry.getValue())
                        {
                            rejoinNeeded = true;
                            break;
                        }
                    }
                }
                break;

            default:
                break;
        }
    }

    private void processInbox(final long nowMs)
    {
        Object next;
        while (null != (next = inbox.poll()))
        {
            if (next instanceof JoinResult join)
            {
                onJoin(join, nowMs);
            }
            else if (next instanceof SyncResult sync)
            {
                onSync(sync, nowMs);
            }
            else if (next instanceof HeartbeatResult heartbeat)
            {
                onHeartbeat(heartbeat, nowMs);
            }
            else if (next instanceof CommitResult commit)
            {
                final PendingCommit pending = asyncCommits.remove(commit.correlationId);
                if (null != pending && null != pending.callback)
                {
                    try
                    {
                        pending.callback.onComplete(pending.offsets, commit.error);
                    }
                    catch (final RuntimeException ex)
                    {
                        recordListenerError(ex);
                    }
                }
            }
        }
    }

    private void sendJoin(final long nowMs)
    {
        rejoinNeeded = false;
        if (!cooperative && !owned.isEmpty())
        {
            if (autoCommit)
            {
                commitQuietly(positionsOf(owned));
            }
            callRevoked(List.copyOf(owned));
            owned.clear();
            client.assign(List.of());
        }

        // The generation is always sent, so a follower that rejoins a stable group presents changed
        // metadata and gets the rebalance it asked for (a static member restarted with other topics, a
        // cooperative member that revoked, a new subscription).
        final byte[] metadata = ConsumerProtocol.encodeSubscription(
            subscription, cooperative ? owned : List.of(), generation, isReadCommitted);
        final long correlationId = client.nextCorrelationId();
        final JoinGroupRequestEncoder encoder = new JoinGroupRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .sessionTimeoutMs(sessionTimeoutMs)
            .rebalanceTimeoutMs(rebalanceTimeoutMs);
        final JoinGroupRequestEncoder.ProtocolsEncoder protocols = encoder.protocolsCount(assignors.size());
        for (final PartitionAssignor assignor : assignors)
        {
            protocols.next().name(assignor.name()).putMetadata(metadata, 0, metadata.length);
        }
        encoder.groupId(groupId)
            .memberId(memberId)
            .groupInstanceId(groupInstanceId)
            .protocolType(ConsumerProtocol.PROTOCOL_TYPE)
            .reason("")
            .clientId(clientId)
            .clientHost(clientHost);
        joinCorrelationId = correlationId;
        syncCorrelationId = NONE;
        heartbeatCorrelationId = NONE;
        requestSentMs = nowMs;
        state = State.JOINING;
        client.send(buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    /**
     * This machine's host name, for the group's describe: the broker sees sessions by Aeron channel, not by
     * address. Empty when the name cannot be found.
     */
    private static String localHostName()
    {
        try
        {
            return java.net.InetAddress.getLocalHost().getHostName();
        }
        catch (final java.io.IOException | SecurityException ex)
        {
            return "";
        }
    }

    private void onJoin(final JoinResult result, final long nowMs)
    {
        if (result.correlationId != joinCorrelationId)
        {
            return;
        }
        joinCorrelationId = NONE;
        switch (result.code)
        {
            case NONE:
            {
                memberId = result.memberId;
                generation = result.generation;
                protocolName = result.protocolName;
                predecessor = result.skipAssignment ? predecessorSubscription(result) : null;
                final Map<String, byte[]> assignments = memberId.equals(result.leader) && !result.skipAssignment ?
                    assign(result, nowMs) : Map.of();
                final long correlationId = client.nextCorrelationId();
                final SyncGroupRequestEncoder encoder = new SyncGroupRequestEncoder()
                    .wrapAndApplyHeader(buffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .generationId(generation);
                final SyncGroupRequestEncoder.AssignmentsEncoder entries = encoder.assignmentsCount(assignments.size());
                for (final Map.Entry<String, byte[]> entry : assignments.entrySet())
                {
                    entries.next().memberId(entry.getKey()).putAssignment(entry.getValue(), 0, entry.getValue().length);
                }
                encoder.groupId(groupId)
                    .memberId(memberId)
                    .groupInstanceId(groupInstanceId)
                    .protocolType(ConsumerProtocol.PROTOCOL_TYPE)
                    .protocolName(protocolName);
                syncCorrelationId = correlationId;
                requestSentMs = nowMs;
                state = State.SYNCING;
                client.send(buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
                break;
            }

            case MEMBER_ID_REQUIRED:
                memberId = result.memberId;
                rejoinNow(nowMs);
                break;

            default:
                onGroupError(result.code, result.message, nowMs);
                break;
        }
    }

    /**
     * A static member that took its predecessor's place without a rebalance is told the subscription
     * its assignment was computed from.
     */
    private GroupSubscription predecessorSubscription(final JoinResult result)
    {
        for (final Member member : result.members)
        {
            if (member.memberId.equals(memberId))
            {
                try
                {
                    return ConsumerProtocol.decodeSubscription(member.metadata);
                }
                catch (final IllegalArgumentException ex)
                {
                    return new GroupSubscription(List.of(), List.of(), -1);
                }
            }
        }
        return null;
    }

    /**
     * Whether the predecessor of a restarted static member left a rebalance owed: it subscribed to other
     * topics, or it still had to revoke partitions and rejoin (cooperative) when it went away.
     */
    private boolean predecessorOwedRebalance(final List<TopicPartition> assigned)
    {
        if (null == predecessor)
        {
            return false;
        }
        final boolean owed = !new TreeSet<>(predecessor.topics()).equals(subscription) ||
            !assigned.containsAll(predecessor.ownedPartitions());
        predecessor = null;
        return owed;
    }

    private Map<String, byte[]> assign(final JoinResult result, final long nowMs)
    {
        PartitionAssignor assignor = null;
        for (final PartitionAssignor candidate : assignors)
        {
            if (candidate.name().equals(result.protocolName))
            {
                assignor = candidate;
            }
        }
        if (null == assignor)
        {
            throw new SpindleException(ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
                "the coordinator chose protocol '" + result.protocolName + "' which this consumer does not have");
        }

        final TreeMap<String, GroupSubscription> subscriptions = new TreeMap<>();
        final TreeSet<String> topics = new TreeSet<>();
        for (final Member member : result.members)
        {
            GroupSubscription decoded;
            try
            {
                decoded = ConsumerProtocol.decodeSubscription(member.metadata);
            }
            catch (final IllegalArgumentException ex)
            {
                decoded = new GroupSubscription(List.of(), List.of(), -1);
            }
            subscriptions.put(member.memberId, decoded);
            topics.addAll(decoded.topics());
        }
        final Map<String, Integer> partitionsPerTopic = new TreeMap<>();
        for (final String topic : topics)
        {
            final int count = client.partitionCount(topic);
            if (count > 0)
            {
                partitionsPerTopic.put(topic, count);
            }
        }
        assignedPartitionCounts.clear();
        for (final String topic : topics)
        {
            assignedPartitionCounts.put(topic, partitionsPerTopic.getOrDefault(topic, -1));
        }
        nextMetadataCheckMs = nowMs + metadataMaxAgeMs;

        final Map<String, List<TopicPartition>> assignment = assignor.assign(partitionsPerTopic, subscriptions);
        final Map<String, byte[]> encoded = new TreeMap<>();
        for (final String member : subscriptions.keySet())
        {
            encoded.put(member, ConsumerProtocol.encodeAssignment(assignment.getOrDefault(member, List.of())));
        }
        return encoded;
    }

    private void onSync(final SyncResult result, final long nowMs)
    {
        if (result.correlationId != syncCorrelationId)
        {
            return;
        }
        syncCorrelationId = NONE;
        if (ErrorCode.NONE != result.code)
        {
            onGroupError(result.code, result.message, nowMs);
            return;
        }

        lastSessionRefreshMs = requestSentMs;
        heartbeatSentMs = nowMs;
        state = State.STABLE;
        if (nextAutoCommitMs < nowMs)
        {
            nextAutoCommitMs = nowMs + autoCommitIntervalMs;
        }
        List<TopicPartition> assigned;
        try
        {
            assigned = ConsumerProtocol.decodeAssignment(result.assignment);
        }
        catch (final IllegalArgumentException ex)
        {
            assigned = List.of();
        }
        if (predecessorOwedRebalance(assigned))
        {
            rejoinNeeded = true;
        }
        final TreeSet<TopicPartition> next = new TreeSet<>();
        for (final TopicPartition tp : assigned)
        {
            if (subscription.contains(tp.topic()))
            {
                next.add(tp);
            }
            else
            {
                // Assigned for an older subscription (a static member restarted with new topics gets its
                // predecessor's assignment): rejoin with the current one, as Kafka does.
                rejoinNeeded = true;
            }
        }

        if (cooperative)
        {
            final List<TopicPartition> revoked = new ArrayList<>();
            for (final TopicPartition tp : owned)
            {
                if (!next.contains(tp))
                {
                    revoked.add(tp);
                }
            }
            final List<TopicPartition> added = new ArrayList<>();
            for (final TopicPartition tp : next)
            {
                if (!owned.contains(tp))
                {
                    added.add(tp);
                }
            }
            if (!revoked.isEmpty())
            {
                if (autoCommit)
                {
                    commitQuietly(positionsOf(revoked));
                }
                callRevoked(revoked);
                owned.removeAll(revoked);
                rejoinNeeded = true;
            }
            owned.addAll(added);
            client.assign(owned);
            callAssigned(added);
        }
        else
        {
            owned.clear();
            owned.addAll(next);
            client.assign(owned);
            callAssigned(List.copyOf(owned));
        }
    }

    private void sendHeartbeat(final long nowMs)
    {
        final long correlationId = client.nextCorrelationId();
        final HeartbeatRequestEncoder encoder = new HeartbeatRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .generationId(generation)
            .groupId(groupId)
            .memberId(memberId)
            .groupInstanceId(groupInstanceId);
        heartbeatCorrelationId = correlationId;
        heartbeatGeneration = generation;
        heartbeatSentMs = nowMs;
        client.send(buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
    }

    private void onHeartbeat(final HeartbeatResult result, final long nowMs)
    {
        if (result.correlationId != heartbeatCorrelationId)
        {
            return;
        }
        heartbeatCorrelationId = NONE;
        if (heartbeatGeneration != generation || State.STABLE != state)
        {
            return;
        }
        switch (result.code)
        {
            case NONE:
                lastSessionRefreshMs = heartbeatSentMs;
                break;

            case REBALANCE_IN_PROGRESS:
                lastSessionRefreshMs = heartbeatSentMs;
                rejoinNeeded = true;
                break;

            default:
                onGroupError(result.code, result.message, nowMs);
                break;
        }
    }

    private void onGroupError(final ErrorCode code, final String message, final long nowMs)
    {
        switch (code)
        {
            case UNKNOWN_MEMBER_ID:
                lose();
                resetMember(true);
                rejoinNow(nowMs);
                break;

            case ILLEGAL_GENERATION:
                lose();
                resetMember(false);
                rejoinNow(nowMs);
                break;

            case REBALANCE_IN_PROGRESS:
                rejoinNow(nowMs);
                break;

            case COORDINATOR_LOAD_IN_PROGRESS:
            case COORDINATOR_NOT_AVAILABLE:
            case NOT_COORDINATOR:
            case REQUEST_TIMED_OUT:
            case NETWORK_EXCEPTION:
            case BROKER_SHUTTING_DOWN:
                state = State.UNJOINED;
                nextJoinAttemptMs = nowMs + RETRY_BACKOFF_MS;
                break;

            default:
                lose();
                fatal = new SpindleException(code, "group '" + groupId + "': " + message);
                break;
        }
    }

    private void rejoinNow(final long nowMs)
    {
        state = State.UNJOINED;
        nextJoinAttemptMs = nowMs;
    }

    private void resetMember(final boolean forgetMemberId)
    {
        if (forgetMemberId)
        {
            memberId = "";
        }
        generation = -1;
        joinCorrelationId = NONE;
        syncCorrelationId = NONE;
        heartbeatCorrelationId = NONE;
        rejoinNeeded = false;
    }

    private void lose()
    {
        if (!owned.isEmpty())
        {
            try
            {
                listener.onPartitionsLost(List.copyOf(owned));
            }
            catch (final RuntimeException ex)
            {
                recordListenerError(ex);
            }
            owned.clear();
            client.assign(List.of());
        }
    }

    private void callRevoked(final List<TopicPartition> revoked)
    {
        try
        {
            listener.onPartitionsRevoked(revoked);
        }
        catch (final RuntimeException ex)
        {
            recordListenerError(ex);
        }
    }

    private void callAssigned(final List<TopicPartition> added)
    {
        try
        {
            listener.onPartitionsAssigned(added);
        }
        catch (final RuntimeException ex)
        {
            recordListenerError(ex);
        }
    }

    private void recordListenerError(final RuntimeException ex)
    {
        if (null == listenerError)
        {
            listenerError = ex;
        }
    }

    private void rethrowListenerError()
    {
        if (null != listenerError)
        {
            final RuntimeException ex = listenerError;
            listenerError = null;
            throw ex;
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> positionsOf(final Collection<TopicPartition> partitions)
    {
        final Map<TopicPartition, Long> positions = client.positions();
        final Map<TopicPartition, OffsetAndMetadata> result = new TreeMap<>();
        for (final TopicPartition tp : partitions)
        {
            final Long position = positions.get(tp);
            if (null != position && position >= 0)
            {
                result.put(tp, new OffsetAndMetadata(position));
            }
        }
        return result;
    }

    private void commitQuietly(final Map<TopicPartition, OffsetAndMetadata> offsets)
    {
        try
        {
            commitSync(offsets);
        }
        catch (final SpindleException ignore)
        {
            // The records will be delivered again to whoever owns the partitions next: at least once.
        }
    }

    private int encodeCommit(final long correlationId, final Map<TopicPartition, OffsetAndMetadata> offsets)
    {
        final boolean inGeneration = subscribed && generation >= 0 && !memberId.isEmpty();
        final OffsetCommitRequestEncoder encoder = new OffsetCommitRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId)
            .generationId(inGeneration ? generation : -1);
        final OffsetCommitRequestEncoder.OffsetsEncoder entries = encoder.offsetsCount(offsets.size());
        for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry : offsets.entrySet())
        {
            entries.next()
                .topicId(client.topicId(entry.getKey().topic()))
                .partition(entry.getKey().partition())
                .committedOffset(entry.getValue().offset())
                .committedLeaderEpoch(-1)
                .metadata(entry.getValue().metadata());
        }
        encoder.groupId(groupId)
            .memberId(inGeneration ? memberId : "")
            .groupInstanceId(inGeneration ? groupInstanceId : "");
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private static SpindleException commitError(final OffsetCommitResponseDecoder decoder)
    {
        decoder.correlationId();
        final ErrorCode code = decoder.errorCode();
        final StringBuilder failed = new StringBuilder();
        ErrorCode first = ErrorCode.NONE;
        for (final OffsetCommitResponseDecoder.PartitionsDecoder entry : decoder.partitions())
        {
            final int topicId = entry.topicId();
            final int partition = entry.partition();
            final ErrorCode partitionCode = entry.errorCode();
            if (ErrorCode.NONE != partitionCode && ErrorCode.NONE == code)
            {
                first = ErrorCode.NONE == first ? partitionCode : first;
                failed.append(failed.length() == 0 ? "" :
                    ", ").append("topic id ").append(topicId).append(" partition ")
                    .append(partition).append(": ").append(partitionCode);
            }
        }
        final String message = decoder.errorMessage();
        if (ErrorCode.NONE != code)
        {
            return new SpindleException(code, "commit refused: " + message);
        }
        if (ErrorCode.NONE != first)
        {
            return new SpindleException(first, "commit failed for " + failed);
        }
        return null;
    }

    private JoinResult decodeJoin(final DirectBuffer buffer, final int offset)
    {
        final JoinGroupResponseDecoder decoder = new JoinGroupResponseDecoder()
            .wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = decoder.correlationId();
        final ErrorCode code = decoder.errorCode();
        final int generationId = decoder.generationId();
        final boolean skip = BooleanType.TRUE == decoder.skipAssignment();
        final List<Member> members = new ArrayList<>();
        for (final JoinGroupResponseDecoder.MembersDecoder member : decoder.members())
        {
            final String id = member.memberId();
            final String instanceId = member.groupInstanceId();
            final byte[] metadata = new byte[member.metadataLength()];
            member.getMetadata(metadata, 0, metadata.length);
            members.add(new Member(id, instanceId, metadata));
        }
        decoder.protocolType();
        final String protocol = decoder.protocolName();
        final String leader = decoder.leader();
        final String id = decoder.memberId();
        final String message = decoder.errorMessage();
        return new JoinResult(correlationId, code, message, generationId, skip, members, protocol, leader, id);
    }

    private void sendLeave(final String reason)
    {
        try
        {
            client.send(buffer, encodeLeave(client.nextCorrelationId(), reason));
        }
        catch (final SpindleException ignore)
        {
            // The session timeout removes the member anyway.
        }
    }

    private void leaveQuietly(final String reason)
    {
        final long correlationId = client.nextCorrelationId();
        try
        {
            client.call(buffer, encodeLeave(correlationId, reason), correlationId, (templateId, buf, offset, len) ->
            {
                final LeaveGroupResponseDecoder decoder = new LeaveGroupResponseDecoder()
                    .wrapAndApplyHeader(buf, offset, headerDecoder);
                decoder.correlationId();
                decoder.errorCode();
            });
        }
        catch (final SpindleException ignore)
        {
            // The session timeout removes the member anyway.
        }
    }

    private int encodeLeave(final long correlationId, final String reason)
    {
        final LeaveGroupRequestEncoder encoder = new LeaveGroupRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.membersCount(1).next().memberId(memberId).groupInstanceId(groupInstanceId).reason(reason);
        encoder.groupId(groupId);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * A consumer closing during its first join does not know its member id yet, and a member left
     * behind would hold up the group until its session timeout: wait a little for the answer.
     *
     * @return the member id the coordinator gave, or the empty string.
     */
    private String awaitFirstJoin()
    {
        final String[] joined = {""};
        client.pollResponses(Math.min(requestTimeoutMs, CLOSE_JOIN_WAIT_MS), () ->
        {
            for (final Object answer : inbox)
            {
                if (answer instanceof JoinResult join && join.correlationId == joinCorrelationId)
                {
                    joined[0] = ErrorCode.NONE == join.code ? join.memberId : "";
                    return true;
                }
            }
            return false;
        });
        return joined[0];
    }

    /**
     * Wait for answers to everything sent so far: the control stream answers in order, so a round trip
     * of a request that changes nothing delivers the answers to earlier asynchronous commits.
     */
    private void barrier()
    {
        if (asyncCommits.isEmpty())
        {
            return;
        }
        final long correlationId = client.nextCorrelationId();
        final ListGroupsRequestEncoder encoder = new ListGroupsRequestEncoder()
            .wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.statesFilterCount(1).next().state("Dead");
        try
        {
            client.call(buffer, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength(), correlationId,
                (templateId, buf, offset, len) ->
                {
                });
        }
        catch (final SpindleException ignore)
        {
            // Nothing more will arrive.
        }
    }
}
