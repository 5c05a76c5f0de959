package io.spindle.broker;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.DeleteGroupsRequestEncoder;
import io.spindle.codecs.protocol.DeleteGroupsResponseDecoder;
import io.spindle.codecs.protocol.DeleteTopicsRequestEncoder;
import io.spindle.codecs.protocol.DescribeGroupsRequestEncoder;
import io.spindle.codecs.protocol.DescribeGroupsResponseDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.HeartbeatRequestEncoder;
import io.spindle.codecs.protocol.HeartbeatResponseDecoder;
import io.spindle.codecs.protocol.JoinGroupRequestEncoder;
import io.spindle.codecs.protocol.JoinGroupResponseDecoder;
import io.spindle.codecs.protocol.ListGroupsRequestEncoder;
import io.spindle.codecs.protocol.ListGroupsResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.OffsetCommitRequestEncoder;
import io.spindle.codecs.protocol.OffsetCommitResponseDecoder;
import io.spindle.codecs.protocol.OffsetFetchRequestEncoder;
import io.spindle.codecs.protocol.OffsetFetchResponseDecoder;
import io.spindle.codecs.protocol.SyncGroupRequestEncoder;
import io.spindle.codecs.protocol.SyncGroupResponseDecoder;
import io.spindle.log.LogConfig;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The group coordinator stepped directly, request by request, with a settable clock and a fake host
 * whose timers fire only when the test moves time: every error code of the protocol, the timeouts,
 * static membership, committed offsets and their snapshot.
 */
class GroupCoordinatorTest
{
    private static final long START_MS = 1_700_000_000_000L;
    private static final int SESSION_MS = 1_000;
    private static final int REBALANCE_MS = 3_000;

    @TempDir
    Path dir;

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ExpandableArrayBuffer request = new ExpandableArrayBuffer(1024);
    private final Map<Long, ArrayDeque<byte[]>> answers = new HashMap<>();
    private final TreeMap<Long, Long> timers = new TreeMap<>();
    private final Host host = new Host()
    {
        public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            answers.computeIfAbsent(sessionId, (s) -> new ArrayDeque<>()).add(copy);
        }

        public void scheduleTimer(final long correlationId, final long deadlineMs)
        {
            timers.put(correlationId, deadlineMs);
        }

        public void cancelTimer(final long correlationId)
        {
            timers.remove(correlationId);
        }

        public boolean timersSurviveRestore()
        {
            return false;
        }

        public void onStorageFailure(final String what, final Throwable cause)
        {
        }
    };
    private BrokerStateMachine machine;
    private long nowMs = START_MS;
    private int topicId;

    @BeforeEach
    void start()
    {
        machine = new BrokerStateMachine(dir.resolve("data"), 0, "h:1", new LogConfig().conclude(), host);
        topicId = createTopic("t", 4);
    }

    @AfterEach
    void stop()
    {
        machine.close();
    }

    @Test
    void firstMemberLeadsAndASecondJoinRebalancesEveryone()
    {
        final Join a = join(1, "g", "", "");
        assertEquals(ErrorCode.NONE, a.code);
        assertEquals("consumer-1", a.memberId);
        assertEquals(1, a.generation);
        assertEquals(a.memberId, a.leader);
        assertEquals(List.of(a.memberId), a.members);
        assertEquals(ErrorCode.NONE, sync(1, "g", a.memberId, "", 1, Map.of(a.memberId, bytes("A"))).code);
        assertEquals("Stable", describe("g").state);

        final long pending = joinAsync(2, "g", "", "");
        assertTrue(answers(2).isEmpty(), "a join waits until every member rejoined");
        assertEquals("PreparingRebalance", describe("g").state);
        assertEquals(ErrorCode.REBALANCE_IN_PROGRESS, heartbeat(1, "g", a.memberId, "", 1));
        assertEquals(ErrorCode.NONE, commit(1, "g", a.memberId, "", 1, 0, 5).code,
            "a member of the current generation commits what it processed before rejoining");
        assertEquals(ErrorCode.REBALANCE_IN_PROGRESS, sync(1, "g", a.memberId, "", 1, Map.of()).code);

        final Join rejoined = join(1, "g", a.memberId, "");
        final Join b = joinAnswer(2, pending);
        assertEquals(2, rejoined.generation);
        assertEquals(2, b.generation);
        assertEquals(a.memberId, rejoined.leader, "the leader stays the leader");
        assertEquals(List.of(a.memberId, b.memberId), rejoined.members, "the leader learns every subscription");
        assertEquals(List.of(), b.members);
        assertEquals("CompletingRebalance", describe("g").state);
        assertEquals(ErrorCode.REBALANCE_IN_PROGRESS, commit(1, "g", a.memberId, "", 2, 0, 6).code);

        final long bSync = syncAsync(2, "g", b.memberId, "", 2, Map.of());
        assertTrue(answers(2).isEmpty(), "followers wait for the leader's assignment");
        final Sync leader = sync(1, "g", a.memberId, "", 2, Map.of(a.memberId, bytes("A2"), b.memberId, bytes("B2")));
        assertArrayEquals(bytes("A2"), leader.assignment);
        final Sync follower = syncAnswer(2, bSync);
        assertArrayEquals(bytes("B2"), follower.assignment);
        final Group group = describe("g");
        assertEquals("Stable", group.state);
        assertEquals(2, group.generation);
        assertEquals("range", group.protocol);
    }

    @Test
    void staleAndUnknownMembersGetKafkasErrors()
    {
        final Join a = join(1, "g", "", "");
        sync(1, "g", a.memberId, "", 1, Map.of());
        assertEquals(ErrorCode.ILLEGAL_GENERATION, heartbeat(1, "g", a.memberId, "", 7));
        assertEquals(ErrorCode.UNKNOWN_MEMBER_ID, heartbeat(1, "g", "nobody", "", 1));
        assertEquals(ErrorCode.UNKNOWN_MEMBER_ID, heartbeat(1, "other", a.memberId, "", 1));
        assertEquals(ErrorCode.ILLEGAL_GENERATION, sync(1, "g", a.memberId, "", 0, Map.of()).code);
        assertEquals(ErrorCode.ILLEGAL_GENERATION, commit(1, "g", a.memberId, "", 3, 0, 1).code);
        assertEquals(ErrorCode.UNKNOWN_MEMBER_ID, join(1, "g", "nobody", "").code);
        assertEquals(ErrorCode.UNKNOWN_MEMBER_ID, join(1, "fresh", "nobody", "").code);
        assertEquals(ErrorCode.INVALID_GROUP_ID, join(1, "", "", "").code);
        assertEquals(ErrorCode.INVALID_SESSION_TIMEOUT, join(1, "g2", "", "", 10, "range").code);
        assertEquals(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, join(2, "g", "", "", SESSION_MS, "roundrobin").code);
        assertEquals(ErrorCode.NON_EMPTY_GROUP, commit(3, "g", "", "", -1, 0, 9).code,
            "offsets are reset outside a generation only while the group has no members");
        assertEquals(ErrorCode.NON_EMPTY_GROUP, deleteGroup("g"));
        assertEquals(ErrorCode.GROUP_ID_NOT_FOUND, deleteGroup("missing"));
        assertEquals(ErrorCode.GROUP_ID_NOT_FOUND, describe("missing").code);
        assertEquals(ErrorCode.UNKNOWN_TOPIC_ID, commitPartition(1, "g", a.memberId, 1, topicId + 9, 0, 1));
        assertEquals(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, commitPartition(1, "g", a.memberId, 1, topicId, 4, 1));
    }

    @Test
    void aMemberThatStopsHeartbeatingIsRemovedAfterItsSessionTimeout()
    {
        final Join a = join(1, "g", "", "");
        sync(1, "g", a.memberId, "", 1, Map.of());
        final long pending = joinAsync(2, "g", "", "");
        final Join aAgain = join(1, "g", a.memberId, "");
        final Join b = joinAnswer(2, pending);
        sync(1, "g", a.memberId, "", 2, Map.of());
        sync(2, "g", b.memberId, "", 2, Map.of());
        assertEquals(2, aAgain.generation);

        for (int i = 0; i < 4; i++)
        {
            advance(SESSION_MS / 2);
            heartbeat(1, "g", a.memberId, "", 2);
        }
        assertEquals(List.of(a.memberId), describe("g").members, "b expired after its session timeout");
        assertEquals(ErrorCode.REBALANCE_IN_PROGRESS, heartbeat(1, "g", a.memberId, "", 2));
        assertEquals(3, join(1, "g", a.memberId, "").generation);
        assertEquals(ErrorCode.UNKNOWN_MEMBER_ID, heartbeat(2, "g", b.memberId, "", 2));
    }

    @Test
    void membersThatDoNotRejoinWithinTheRebalanceTimeoutAreRemoved()
    {
        final Join a = join(1, "g", "", "");
        sync(1, "g", a.memberId, "", 1, Map.of());
        final long pendingB = joinAsync(2, "g", "", "");
        final Join aAgain = join(1, "g", a.memberId, "");
        final Join b = joinAnswer(2, pendingB);
        sync(1, "g", a.memberId, "", 2, Map.of());
        sync(2, "g", b.memberId, "", 2, Map.of());
        assertEquals(2, aAgain.generation);

        final long pendingC = joinAsync(3, "g", "", "");
        final long pendingA = joinAsync(1, "g", a.memberId, "");
        for (int waited = 0; waited < REBALANCE_MS - 200; waited += 200)
        {
            advance(200);
            assertEquals(ErrorCode.REBALANCE_IN_PROGRESS, heartbeat(2, "g", b.memberId, "", 2),
                "b heartbeats but never rejoins");
        }
        assertTrue(answers(1).isEmpty());
        advance(400);
        final Join aNext = joinAnswer(1, pendingA);
        final Join c = joinAnswer(3, pendingC);
        assertEquals(3, aNext.generation);
        assertEquals(List.of(a.memberId, c.memberId), aNext.members, "b is out of generation 3");
        assertEquals(ErrorCode.UNKNOWN_MEMBER_ID, heartbeat(2, "g", b.memberId, "", 2));
    }

    @Test
    void aStaticMemberRestartingWithinItsSessionTimeoutGetsItsAssignmentBackWithoutARebalance()
    {
        final Join a = join(1, "g", "", "inst-a");
        assertEquals("inst-a-1", a.memberId);
        sync(1, "g", a.memberId, "inst-a", 1, Map.of());
        final long pendingB = joinAsync(2, "g", "", "");
        join(1, "g", a.memberId, "inst-a");
        final Join b = joinAnswer(2, pendingB);
        sync(1, "g", a.memberId, "inst-a", 2, Map.of(a.memberId, bytes("A"), b.memberId, bytes("B")));
        sync(2, "g", b.memberId, "", 2, Map.of());

        advance(SESSION_MS / 2);
        final Join restarted = join(3, "g", "", "inst-a");
        assertEquals(ErrorCode.NONE, restarted.code);
        assertNotEquals(a.memberId, restarted.memberId);
        assertEquals(2, restarted.generation, "no new generation");
        assertTrue(restarted.skipAssignment);
        assertEquals("Stable", describe("g").state);
        assertArrayEquals(bytes("A"), sync(3, "g", restarted.memberId, "inst-a", 2, Map.of()).assignment);
        assertEquals(ErrorCode.NONE, heartbeat(2, "g", b.memberId, "", 2), "the other member sees no rebalance");

        assertEquals(ErrorCode.FENCED_INSTANCE_ID, heartbeat(1, "g", a.memberId, "inst-a", 2));
        assertEquals(ErrorCode.FENCED_INSTANCE_ID, commit(1, "g", a.memberId, "inst-a", 2, 0, 3).code);
        assertEquals(ErrorCode.FENCED_INSTANCE_ID, join(1, "g", a.memberId, "inst-a").code);
        assertEquals(ErrorCode.FENCED_INSTANCE_ID, sync(1, "g", a.memberId, "inst-a", 2, Map.of()).code);

        for (int i = 0; i < 3; i++)
        {
            advance(SESSION_MS * 2 / 5);
            assertEquals(i < 2 ? ErrorCode.NONE : ErrorCode.REBALANCE_IN_PROGRESS, heartbeat(2, "g", b.memberId, "", 2),
                "a static member that stays away longer than its session timeout is removed");
        }
    }

    @Test
    void committedOffsetsWithMetadataSurviveASnapshotAndGoWithTheirTopic()
    {
        final int other = createTopic("u", 1);
        assertEquals(ErrorCode.NONE, commit(1, "simple", "", "", -1, 2, 42).code, "a group of offsets only");
        final Join a = join(1, "g", "", "");
        sync(1, "g", a.memberId, "", 1, Map.of(a.memberId, bytes("A")));
        assertEquals(ErrorCode.NONE, commit(1, "g", a.memberId, "", 1, 1, 7).code);
        assertEquals(ErrorCode.NONE, commitPartition(1, "g", a.memberId, 1, other, 0, 3));
        assertEquals(Map.of(1, 7L), fetchOffsets("g", topicId));
        assertEquals("meta-7", lastFetchedMetadata);
        assertEquals(List.of("g", "simple"), listGroups());

        final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer();
        final int length = machine.snapshot(snapshot);
        machine.close();
        timers.clear();
        machine = new BrokerStateMachine(dir.resolve("data"), 0, "h:1", new LogConfig().conclude(), host);
        machine.restore(snapshot, 0, length, nowMs);
        machine.onTick(nowMs);
        assertEquals(2, timers.size(), "the member's session timer and the retention timer are armed again");
        assertTrue(timers.containsKey(BrokerStateMachine.RETENTION_TIMER_ID));
        assertEquals(Map.of(1, 7L), fetchOffsets("g", topicId));
        assertEquals(Map.of(2, 42L), fetchOffsets("simple", topicId));
        assertEquals(ErrorCode.NONE, heartbeat(1, "g", a.memberId, "", 1), "membership survived the restore");
        assertArrayEquals(bytes("A"), sync(1, "g", a.memberId, "", 1, Map.of()).assignment);
        final ExpandableArrayBuffer again = new ExpandableArrayBuffer();
        assertEquals(length, machine.snapshot(again));

        deleteTopic("t");
        assertEquals(Map.of(), fetchOffsets("g", topicId), "a deleted topic's offsets go with it");
        assertEquals(List.of("g"), listGroups(), "a memberless group whose offsets are all gone goes too");
        advance(SESSION_MS + 10);
        assertEquals(List.of("g"), listGroups(), "g still has offsets of topic u");
        assertEquals("Empty", describe("g").state);
        assertEquals(ErrorCode.NONE, deleteGroup("g"));
        assertEquals(List.of(), listGroups());
    }

    @Test
    void membersClientIdAndHostAreDescribedAndSurviveASnapshotOfEitherVersion()
    {
        joinClientId = "CID-MARK";
        joinClientHost = "HOST-MARK";
        final Join a = join(1, "g", "", "");
        sync(1, "g", a.memberId, "", 1, Map.of(a.memberId, bytes("A")));
        assertEquals(List.of(List.of(a.memberId, "CID-MARK", "HOST-MARK")), describeClients("g"));

        final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer();
        final int length = machine.snapshot(snapshot);
        machine.close();
        machine = new BrokerStateMachine(dir.resolve("data"), 0, "h:1", new LogConfig().conclude(), host);
        machine.restore(snapshot, 0, length, nowMs);
        assertEquals(List.of(List.of(a.memberId, "CID-MARK", "HOST-MARK")), describeClients("g"));

        // The same state as version 4 wrote it, without the member's client id and host: it still restores.
        final byte[] v5 = new byte[length];
        snapshot.getBytes(0, v5);
        final int at = new String(v5, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("CID-MARK") - 4;
        final int cut = 4 + "CID-MARK".length() + 4 + "HOST-MARK".length();
        final ExpandableArrayBuffer v4 = new ExpandableArrayBuffer();
        v4.putBytes(0, v5, 0, at);
        v4.putBytes(at, v5, at + cut, length - at - cut);
        v4.putInt(4, 4);
        machine.close();
        machine = new BrokerStateMachine(dir.resolve("data"), 0, "h:1", new LogConfig().conclude(), host);
        machine.restore(v4, 0, length - cut, nowMs);
        assertEquals(List.of(List.of(a.memberId, "", "")), describeClients("g"));
        assertEquals(ErrorCode.NONE, heartbeat(1, "g", a.memberId, "", 1), "membership survived the restore");

        joinClientId = "";
        joinClientHost = "";
        joinAsync(2, "g", "", "");
        final List<List<String>> clients = describeClients("g");
        assertEquals(2, clients.size(), clients.toString());
        assertEquals(List.of("", ""), clients.get(1).subList(1, 3), "a client that sends neither: " + clients);
    }

    @Test
    void aVersionOneSnapshotWithoutGroupsStillRestores()
    {
        final ExpandableArrayBuffer v1 = new ExpandableArrayBuffer();
        int p = 0;
        v1.putInt(p, 0x53504e44);
        v1.putInt(p + 4, 1);
        v1.putInt(p + 8, 5);
        v1.putInt(p + 12, 1);
        p += 16;
        v1.putInt(p, 3);
        v1.putInt(p + 4, 2);
        p += 8;
        p += v1.putStringUtf8(p, "old");
        v1.putInt(p, 0);
        p += 4;

        machine.close();
        machine = new BrokerStateMachine(dir.resolve("v1"), 0, "h:1", new LogConfig().conclude(), host);
        machine.restore(v1, 0, p, nowMs);
        assertEquals(3, machine.topic("old").id());
        assertEquals(List.of(), listGroups());
    }

    // ------------------------------------------------------------------------------------------------

    private record Join(ErrorCode code, String memberId, int generation, String leader, List<String> members,
        boolean skipAssignment)
    {
    }

    private record Sync(ErrorCode code, byte[] assignment)
    {
    }

    private record Group(ErrorCode code, String state, int generation, String protocol, List<String> members)
    {
    }

    private long nextCorrelationId = 100;
    private String lastFetchedMetadata;

    private void advance(final long ms)
    {
        final long target = nowMs + ms;
        while (true)
        {
            Map.Entry<Long, Long> due = null;
            for (final Map.Entry<Long, Long> entry : timers.entrySet())
            {
                if (entry.getValue() <= target && (null == due || entry.getValue() < due.getValue()))
                {
                    due = entry;
                }
            }
            if (null == due)
            {
                break;
            }
            final long id = due.getKey();
            final long deadline = due.getValue();
            timers.remove(id);
            nowMs = Math.max(nowMs, deadline);
            machine.onTimer(id, nowMs);
        }
        nowMs = target;
    }

    private ArrayDeque<byte[]> answers(final long sessionId)
    {
        return answers.computeIfAbsent(sessionId, (s) -> new ArrayDeque<>());
    }

    private void apply(final long sessionId, final int templateId, final int bodyLength)
    {
        assertTrue(machine.onRequest(sessionId, templateId, request, 0, MessageHeaderEncoder.ENCODED_LENGTH +
            bodyLength,
            nowMs));
    }

    private UnsafeBuffer answer(final long sessionId, final long correlationId)
    {
        for (final byte[] bytes : answers(sessionId))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
            if (buffer.getLong(MessageHeaderDecoder.ENCODED_LENGTH) == correlationId)
            {
                answers(sessionId).remove(bytes);
                return buffer;
            }
        }
        throw new AssertionError("no answer to " + correlationId + " on session " + sessionId);
    }

    private int createTopic(final String name, final int partitions)
    {
        final CreateTopicsRequestEncoder encoder = new CreateTopicsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder).correlationId(1).timeoutMs(1000)
            .validateOnly(BooleanType.FALSE);
        final CreateTopicsRequestEncoder.TopicsEncoder topic = encoder.topicsCount(1).next()
            .partitionCount(partitions).replicationFactor((short)-1);
        topic.configsCount(0);
        topic.name(name);
        apply(99, CreateTopicsRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        answers(99).clear();
        return machine.topic(name).id();
    }

    private void deleteTopic(final String name)
    {
        final DeleteTopicsRequestEncoder encoder = new DeleteTopicsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder).correlationId(1).timeoutMs(1000);
        encoder.topicsCount(1).next().name(name);
        apply(99, DeleteTopicsRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        answers(99).clear();
    }

    private Join join(final long sessionId, final String group, final String memberId, final String instanceId)
    {
        return join(sessionId, group, memberId, instanceId, SESSION_MS, "range");
    }

    private Join join(
        final long sessionId, final String group, final String memberId, final String instanceId,
        final int sessionTimeoutMs, final String protocol)
    {
        final long correlationId = encodeJoin(group, memberId, instanceId, sessionTimeoutMs, protocol);
        apply(sessionId, JoinGroupRequestEncoder.TEMPLATE_ID, joinLength);
        return joinAnswer(sessionId, correlationId);
    }

    private long joinAsync(final long sessionId, final String group, final String memberId, final String instanceId)
    {
        final long correlationId = encodeJoin(group, memberId, instanceId, SESSION_MS, "range");
        apply(sessionId, JoinGroupRequestEncoder.TEMPLATE_ID, joinLength);
        return correlationId;
    }

    private int joinLength;
    private String joinClientId = "app-1";
    private String joinClientHost = "host-1";

    private long encodeJoin(
        final String group, final String memberId, final String instanceId, final int sessionTimeoutMs,
        final String protocol)
    {
        final long correlationId = nextCorrelationId++;
        final JoinGroupRequestEncoder encoder = new JoinGroupRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId)
            .sessionTimeoutMs(sessionTimeoutMs)
            .rebalanceTimeoutMs(REBALANCE_MS);
        encoder.protocolsCount(1).next().name(protocol).putMetadata(bytes("sub"), 0, 3);
        encoder.groupId(group).memberId(memberId).groupInstanceId(instanceId).protocolType("consumer").reason("")
            .clientId(joinClientId).clientHost(joinClientHost);
        joinLength = encoder.encodedLength();
        return correlationId;
    }

    private Join joinAnswer(final long sessionId, final long correlationId)
    {
        final JoinGroupResponseDecoder decoder = new JoinGroupResponseDecoder()
            .wrapAndApplyHeader(answer(sessionId, correlationId), 0, headerDecoder);
        decoder.correlationId();
        final ErrorCode code = decoder.errorCode();
        final int generation = decoder.generationId();
        final boolean skip = BooleanType.TRUE == decoder.skipAssignment();
        final List<String> members = new ArrayList<>();
        for (final JoinGroupResponseDecoder.MembersDecoder member : decoder.members())
        {
            members.add(member.memberId());
            member.groupInstanceId();
            member.skipMetadata();
        }
        decoder.protocolType();
        decoder.protocolName();
        final String leader = decoder.leader();
        final String memberId = decoder.memberId();
        decoder.errorMessage();
        return new Join(code, memberId, generation, leader, members, skip);
    }

    private Sync sync(
        final long sessionId, final String group, final String memberId, final String instanceId, final int generation,
        final Map<String, byte[]> assignments)
    {
        return syncAnswer(sessionId, syncAsync(sessionId, group, memberId, instanceId, generation, assignments));
    }

    private long syncAsync(
        final long sessionId, final String group, final String memberId, final String instanceId, final int generation,
        final Map<String, byte[]> assignments)
    {
        final long correlationId = nextCorrelationId++;
        final SyncGroupRequestEncoder encoder = new SyncGroupRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId)
            .generationId(generation);
        final SyncGroupRequestEncoder.AssignmentsEncoder entries = encoder.assignmentsCount(assignments.size());
        for (final Map.Entry<String, byte[]> entry : new TreeMap<>(assignments).entrySet())
        {
            entries.next().memberId(entry.getKey()).putAssignment(entry.getValue(), 0, entry.getValue().length);
        }
        encoder.groupId(group).memberId(memberId).groupInstanceId(instanceId).protocolType("").protocolName("");
        apply(sessionId, SyncGroupRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        return correlationId;
    }

    private Sync syncAnswer(final long sessionId, final long correlationId)
    {
        final SyncGroupResponseDecoder decoder = new SyncGroupResponseDecoder()
            .wrapAndApplyHeader(answer(sessionId, correlationId), 0, headerDecoder);
        decoder.correlationId();
        final ErrorCode code = decoder.errorCode();
        decoder.protocolType();
        decoder.protocolName();
        final byte[] assignment = new byte[decoder.assignmentLength()];
        decoder.getAssignment(assignment, 0, assignment.length);
        return new Sync(code, assignment);
    }

    private ErrorCode heartbeat(
        final long sessionId, final String group, final String memberId, final String instanceId, final int generation)
    {
        final long correlationId = nextCorrelationId++;
        final HeartbeatRequestEncoder encoder = new HeartbeatRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId)
            .generationId(generation)
            .groupId(group)
            .memberId(memberId)
            .groupInstanceId(instanceId);
        apply(sessionId, HeartbeatRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        return new HeartbeatResponseDecoder().wrapAndApplyHeader(answer(sessionId, correlationId), 0, headerDecoder)
            .errorCode();
    }

    private Sync commit(
        final long sessionId, final String group, final String memberId, final String instanceId, final int generation,
        final int partition, final long offset)
    {
        final long correlationId = nextCorrelationId++;
        final OffsetCommitRequestEncoder encoder = new OffsetCommitRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId)
            .generationId(generation);
        encoder.offsetsCount(1).next().topicId(topicId).partition(partition).committedOffset(offset)
            .committedLeaderEpoch(-1).metadata("meta-" + offset);
        encoder.groupId(group).memberId(memberId).groupInstanceId(instanceId);
        apply(sessionId, OffsetCommitRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        final OffsetCommitResponseDecoder decoder = new OffsetCommitResponseDecoder()
            .wrapAndApplyHeader(answer(sessionId, correlationId), 0, headerDecoder);
        decoder.correlationId();
        final ErrorCode top = decoder.errorCode();
        ErrorCode code = top;
        for (final OffsetCommitResponseDecoder.PartitionsDecoder entry : decoder.partitions())
        {
            code = ErrorCode.NONE == top ? entry.errorCode() : top;
        }
        return new Sync(code, null);
    }

    private ErrorCode commitPartition(
        final long sessionId, final String group, final String memberId, final int generation, final int topic,
        final int partition, final long offset)
    {
        final int saved = topicId;
        topicId = topic;
        try
        {
            return commit(sessionId, group, memberId, "", generation, partition, offset).code;
        }
        finally
        {
            topicId = saved;
        }
    }

    private Map<Integer, Long> fetchOffsets(final String group, final int topic)
    {
        final long correlationId = nextCorrelationId++;
        final OffsetFetchRequestEncoder encoder = new OffsetFetchRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId)
            .requireStable(BooleanType.FALSE);
        encoder.partitionsCount(0);
        encoder.groupId(group);
        apply(98, OffsetFetchRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        final OffsetFetchResponseDecoder decoder = new OffsetFetchResponseDecoder()
            .wrapAndApplyHeader(answer(98, correlationId), 0, headerDecoder);
        final Map<Integer, Long> result = new TreeMap<>();
        for (final OffsetFetchResponseDecoder.PartitionsDecoder entry : decoder.partitions())
        {
            final int id = entry.topicId();
            final int partition = entry.partition();
            final long offset = entry.committedOffset();
            entry.committedLeaderEpoch();
            entry.errorCode();
            final String metadata = entry.metadata();
            if (id == topic)
            {
                result.put(partition, offset);
                lastFetchedMetadata = metadata;
            }
        }
        return result;
    }

    private Group describe(final String group)
    {
        final long correlationId = nextCorrelationId++;
        final DescribeGroupsRequestEncoder encoder = new DescribeGroupsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.groupsCount(1).next().groupId(group);
        apply(98, DescribeGroupsRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        final DescribeGroupsResponseDecoder decoder = new DescribeGroupsResponseDecoder()
            .wrapAndApplyHeader(answer(98, correlationId), 0, headerDecoder);
        final DescribeGroupsResponseDecoder.GroupsDecoder entry = decoder.groups().next();
        final ErrorCode code = entry.errorCode();
        final int generation = entry.generationId();
        final List<String> members = new ArrayList<>();
        for (final DescribeGroupsResponseDecoder.GroupsDecoder.MembersDecoder member : entry.members())
        {
            members.add(member.memberId());
            member.groupInstanceId();
            member.clientId();
            member.clientHost();
            member.skipMemberMetadata();
            member.skipMemberAssignment();
        }
        entry.groupId();
        final String state = entry.groupState();
        entry.protocolType();
        final String protocol = entry.protocolName();
        return new Group(code, state, generation, protocol, members);
    }

    private List<List<String>> describeClients(final String group)
    {
        final long correlationId = nextCorrelationId++;
        final DescribeGroupsRequestEncoder encoder = new DescribeGroupsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.groupsCount(1).next().groupId(group);
        apply(98, DescribeGroupsRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        final DescribeGroupsResponseDecoder decoder = new DescribeGroupsResponseDecoder()
            .wrapAndApplyHeader(answer(98, correlationId), 0, headerDecoder);
        final List<List<String>> members = new ArrayList<>();
        for (final DescribeGroupsResponseDecoder.GroupsDecoder.MembersDecoder member :
            decoder.groups().next().members())
        {
            final String memberId = member.memberId();
            member.groupInstanceId();
            members.add(List.of(memberId, member.clientId(), member.clientHost()));
            member.skipMemberMetadata();
            member.skipMemberAssignment();
        }
        return members;
    }

    private List<String> listGroups()
    {
        final long correlationId = nextCorrelationId++;
        final ListGroupsRequestEncoder encoder = new ListGroupsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.statesFilterCount(0);
        apply(98, ListGroupsRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        final ListGroupsResponseDecoder decoder = new ListGroupsResponseDecoder()
            .wrapAndApplyHeader(answer(98, correlationId), 0, headerDecoder);
        final List<String> result = new ArrayList<>();
        for (final ListGroupsResponseDecoder.GroupsDecoder entry : decoder.groups())
        {
            result.add(entry.groupId());
            entry.protocolType();
            entry.groupState();
        }
        return result;
    }

    private ErrorCode deleteGroup(final String group)
    {
        final long correlationId = nextCorrelationId++;
        final DeleteGroupsRequestEncoder encoder = new DeleteGroupsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(correlationId);
        encoder.groupsCount(1).next().groupId(group);
        apply(98, DeleteGroupsRequestEncoder.TEMPLATE_ID, encoder.encodedLength());
        final DeleteGroupsResponseDecoder decoder = new DeleteGroupsResponseDecoder()
            .wrapAndApplyHeader(answer(98, correlationId), 0, headerDecoder);
        decoder.correlationId();
        decoder.errorCode();
        return decoder.groups().next().errorCode();
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
