package io.spindle.client;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

import io.spindle.broker.BrokerStateMachine;
import io.spindle.broker.Host;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.CreateTopicsRequestEncoder;
import io.spindle.codecs.protocol.CreateTopicsResponseDecoder;
import io.spindle.codecs.protocol.DescribeGroupsRequestEncoder;
import io.spindle.codecs.protocol.DescribeGroupsResponseDecoder;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.log.LogConfig;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A broker state machine and any number of consumers' {@link GroupMembership}s on one simulated clock:
 * requests are applied to the state machine the moment they are sent, answers wait in their session's
 * queue until that consumer polls, and host timers fire in deadline order as time advances. Nothing
 * here reads the wall clock or a random source, so a run is a function of its inputs.
 */
final class GroupSimulation implements AutoCloseable
{
    private final Path dataDir;
    private final TreeMap<Long, Long> timerDeadlines = new TreeMap<>();
    private final Map<Long, ArrayDeque<byte[]>> queues = new HashMap<>();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ExpandableArrayBuffer request = new ExpandableArrayBuffer(1024);
    private final CRC32 digest = new CRC32();
    private final Host host = new Host()
    {
        public void sendResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            digest.update(copy);
            digest.update((int)sessionId);
            final ArrayDeque<byte[]> queue = queues.get(sessionId);
            if (null != queue)
            {
                queue.add(copy);
            }
        }

        public void scheduleTimer(final long correlationId, final long deadlineMs)
        {
            timerDeadlines.put(correlationId, deadlineMs);
        }

        public void cancelTimer(final long correlationId)
        {
            timerDeadlines.remove(correlationId);
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
    private long nowMs;
    private long nextSessionId = 100;
    private long responses;

    GroupSimulation(final Path dataDir, final long startMs)
    {
        this.dataDir = dataDir;
        this.nowMs = startMs;
        this.machine = new BrokerStateMachine(dataDir, 0, "sim:1", new LogConfig().conclude(), host);
    }

    long nowMs()
    {
        return nowMs;
    }

    BrokerStateMachine machine()
    {
        return machine;
    }

    /**
     * A digest of every answer the state machine gave, with the session it went to.
     *
     * @return the CRC32 of the answers so far.
     */
    long digest()
    {
        return digest.getValue();
    }

    String timers()
    {
        return "now " + nowMs + " timers " + timerDeadlines;
    }

    long responses()
    {
        return responses;
    }

    /**
     * Move the clock, firing due timers in deadline order (ties by timer id) at their deadlines.
     *
     * @param toMs the new time.
     */
    void advanceTo(final long toMs)
    {
        while (true)
        {
            Map.Entry<Long, Long> due = null;
            for (final Map.Entry<Long, Long> entry : timerDeadlines.entrySet())
            {
                if (entry.getValue() <= toMs && (null == due || entry.getValue() < due.getValue()))
                {
                    due = entry;
                }
            }
            if (null == due)
            {
                break;
            }
            // Copy before removing: a TreeMap reuses a removed entry for its successor.
            final long timerId = due.getKey();
            final long deadlineMs = due.getValue();
            timerDeadlines.remove(timerId);
            nowMs = Math.max(nowMs, deadlineMs);
            machine.onTimer(timerId, nowMs);
        }
        nowMs = Math.max(nowMs, toMs);
        machine.onTick(nowMs);
    }

    /**
     * Snapshot the state machine, close it and restore a new one over the same directory, dropping the
     * host's timers as a restarted host would.
     */
    void restart()
    {
        final ExpandableArrayBuffer snapshot = new ExpandableArrayBuffer();
        final int length = machine.snapshot(snapshot);
        machine.close();
        timerDeadlines.clear();
        machine = new BrokerStateMachine(dataDir, 0, "sim:1", new LogConfig().conclude(), host);
        machine.restore(snapshot, 0, length, nowMs);
        machine.onTick(nowMs);
    }

    /**
     * Apply a request from a session now.
     *
     * @param sessionId the session.
     * @param buffer    holding the request from offset 0.
     * @param length    of the request.
     */
    void deliver(final long sessionId, final DirectBuffer buffer, final int length)
    {
        final int templateId = buffer.getShort(2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (!machine.onRequest(sessionId, templateId, buffer, 0, length, nowMs))
        {
            throw new IllegalStateException("state machine did not take template " + templateId);
        }
        responses++;
    }

    /**
     * A new client session whose answers are queued.
     *
     * @return the session id.
     */
    long openSession()
    {
        final long sessionId = nextSessionId++;
        queues.put(sessionId, new ArrayDeque<>());
        return sessionId;
    }

    /**
     * Forget a session: its answers are dropped from now on, as for a crashed process.
     *
     * @param sessionId the session.
     */
    void closeSession(final long sessionId)
    {
        queues.remove(sessionId);
    }

    ArrayDeque<byte[]> queue(final long sessionId)
    {
        return queues.get(sessionId);
    }

    /**
     * Create a topic.
     *
     * @param name       of the topic.
     * @param partitions partition count.
     * @return the topic id.
     */
    int createTopic(final String name, final int partitions)
    {
        final long sessionId = openSession();
        final CreateTopicsRequestEncoder encoder = new CreateTopicsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(1).timeoutMs(1000).validateOnly(BooleanType.FALSE);
        final CreateTopicsRequestEncoder.TopicsEncoder topic = encoder.topicsCount(1).next()
            .partitionCount(partitions).replicationFactor((short)-1);
        topic.configsCount(0);
        topic.name(name);
        deliver(sessionId, request, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        final CreateTopicsResponseDecoder decoder = new CreateTopicsResponseDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(queues.get(sessionId).poll()), 0, new MessageHeaderDecoder());
        final CreateTopicsResponseDecoder.TopicsDecoder created = decoder.topics().next();
        if (ErrorCode.NONE != created.errorCode())
        {
            throw new IllegalStateException("create " + name + ": " + created.errorCode());
        }
        closeSession(sessionId);
        return created.topicId();
    }

    /**
     * The coordinator's view of a group, through DescribeGroups.
     *
     * @param groupId the group.
     * @return state, generation and each member's assignment; null when the group does not exist.
     */
    GroupView describe(final String groupId)
    {
        final long sessionId = openSession();
        final DescribeGroupsRequestEncoder encoder = new DescribeGroupsRequestEncoder()
            .wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(1);
        encoder.groupsCount(1).next().groupId(groupId);
        deliver(sessionId, request, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        final DescribeGroupsResponseDecoder decoder = new DescribeGroupsResponseDecoder()
            .wrapAndApplyHeader(new UnsafeBuffer(queues.get(sessionId).poll()), 0, new MessageHeaderDecoder());
        closeSession(sessionId);
        final DescribeGroupsResponseDecoder.GroupsDecoder group = decoder.groups().next();
        final ErrorCode code = group.errorCode();
        final int generation = group.generationId();
        final Map<String, List<TopicPartition>> assignments = new TreeMap<>();
        final Map<String, String> instances = new TreeMap<>();
        for (final DescribeGroupsResponseDecoder.GroupsDecoder.MembersDecoder member : group.members())
        {
            final String memberId = member.memberId();
            instances.put(memberId, member.groupInstanceId());
            member.clientId();
            member.clientHost();
            member.skipMemberMetadata();
            final byte[] assignment = new byte[member.memberAssignmentLength()];
            member.getMemberAssignment(assignment, 0, assignment.length);
            assignments.put(memberId, ConsumerProtocol.decodeAssignment(assignment));
        }
        group.groupId();
        final String state = group.groupState();
        group.protocolType();
        final String protocol = group.protocolName();
        return ErrorCode.NONE != code ? null : new GroupView(state, generation, protocol, assignments, instances);
    }

    /**
     * A group as the coordinator describes it.
     *
     * @param state       Kafka's state name.
     * @param generation  the generation.
     * @param protocol    the assignor chosen.
     * @param assignments by member id (empty lists unless Stable).
     * @param instances   static instance id by member id.
     */
    record GroupView(
        String state, int generation, String protocol, Map<String, List<TopicPartition>> assignments,
        Map<String, String> instances)
    {
    }

    /**
     * A simulated consumer: a real {@link GroupMembership} whose requests go straight to the state
     * machine, with partition positions kept here.
     */
    final class SimConsumer implements GroupMembership.Client
    {
        final String name;
        final long sessionId;
        final GroupMembership membership;
        final TreeMap<TopicPartition, Long> positions = new TreeMap<>();
        private final Map<String, Integer> topicIds;
        private long nextCorrelationId = 1;
        boolean crashed;
        long pausedUntilMs;

        SimConsumer(
            final String name, final Consumer.Context ctx, final Map<String, Integer> topicIds,
            final Collection<String> topics, final RebalanceListener listener)
        {
            this.name = name;
            this.sessionId = openSession();
            this.topicIds = topicIds;
            this.membership = new GroupMembership(this, ctx);
            membership.subscribe(topics, listener);
        }

        /**
         * Hand the queued answers over and poll the membership, as {@link Consumer#poll} does.
         */
        void poll()
        {
            final ArrayDeque<byte[]> queue = queue(sessionId);
            byte[] response;
            while (null != (response = queue.poll()))
            {
                membership.onResponse(new UnsafeBuffer(response), 0, response.length);
            }
            membership.poll(nowMs);
        }

        /**
         * Resolve positions as the consumer does: committed offset, else the log start.
         */
        void resolvePositions()
        {
            final List<TopicPartition> missing = new ArrayList<>();
            for (final Map.Entry<TopicPartition, Long> entry : positions.entrySet())
            {
                if (entry.getValue() < 0)
                {
                    missing.add(entry.getKey());
                }
            }
            if (missing.isEmpty())
            {
                return;
            }
            final Map<TopicPartition, OffsetAndMetadata> committed = membership.committed(missing);
            for (final TopicPartition tp : missing)
            {
                final OffsetAndMetadata offset = committed.get(tp);
                positions.put(tp, null == offset ? 0 : offset.offset());
            }
        }

        void crash()
        {
            crashed = true;
            closeSession(sessionId);
        }

        public long nextCorrelationId()
        {
            return nextCorrelationId++;
        }

        public void send(final DirectBuffer buffer, final int length)
        {
            if (crashed)
            {
                throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "crashed");
            }
            deliver(sessionId, buffer, length);
        }

        public void call(
            final DirectBuffer buffer, final int length, final long correlationId,
            final BlockingCaller.ResponseDecoder decoder)
        {
            send(buffer, length);
            final ArrayDeque<byte[]> queue = queue(sessionId);
            final MessageHeaderDecoder header = new MessageHeaderDecoder();
            byte[] response;
            while (null != (response = queue.poll()))
            {
                final UnsafeBuffer view = new UnsafeBuffer(response);
                header.wrap(view, 0);
                if (view.getLong(MessageHeaderDecoder.ENCODED_LENGTH, ByteOrder.LITTLE_ENDIAN) == correlationId)
                {
                    decoder.decode(header.templateId(), view, 0, response.length);
                    return;
                }
                membership.onResponse(view, 0, response.length);
            }
            throw new SpindleException(ErrorCode.REQUEST_TIMED_OUT, "no answer to " + correlationId);
        }

        public void pollResponses(final long timeoutMs, final java.util.function.BooleanSupplier done)
        {
            final ArrayDeque<byte[]> queue = queue(sessionId);
            byte[] response;
            while (!done.getAsBoolean() && null != queue && null != (response = queue.poll()))
            {
                membership.onResponse(new UnsafeBuffer(response), 0, response.length);
            }
        }

        public int topicId(final String topic)
        {
            final Integer id = topicIds.get(topic);
            if (null == id)
            {
                throw new SpindleException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topic);
            }
            return id;
        }

        public int partitionCount(final String topic)
        {
            final io.spindle.broker.Topic topicState = machine.topic(topic);
            return null == topicState ? -1 : topicState.partitionCount();
        }

        public void assign(final Collection<TopicPartition> partitions)
        {
            final TreeMap<TopicPartition, Long> next = new TreeMap<>();
            for (final TopicPartition tp : partitions)
            {
                next.put(tp, positions.getOrDefault(tp, -1L));
            }
            positions.clear();
            positions.putAll(next);
        }

        public Map<TopicPartition, Long> positions()
        {
            return new TreeMap<>(positions);
        }

        public String toString()
        {
            return name + "(" + membership.memberId() + " gen " + membership.generation() + " " + membership.state() +
                (crashed ? " crashed" : "") + (pausedUntilMs > nowMs ? " paused" : "") + " owns " +
                membership.owned() + ")";
        }
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        machine.close();
    }
}
