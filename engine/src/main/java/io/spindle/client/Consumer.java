package io.spindle.client;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import io.aeron.Publication;
import io.aeron.logbuffer.FragmentHandler;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.IsolationLevel;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.IdleStrategy;


/**
 * Reads records from assigned partitions.
 * <p>
 * By default the broker streams: one streaming fetch covers every assigned, unpaused partition and
 * the broker pushes batches as they land, paced by the credit this consumer grants as it hands
 * records to the application. With {@code streaming(false)} each poll long-polls instead
 * ({@code fetchMaxWaitMs}, {@code fetchMinBytes}).
 * <p>
 * A partition without a position gets one from the group's committed offset when the consumer has a
 * {@code groupId}, else from {@code auto.offset.reset}: {@code EARLIEST}, {@code LATEST}, or
 * {@code NONE} (poll throws OFFSET_OUT_OF_RANGE). The same policy applies when the position falls out
 * of the log (retention moved past it).
 * <p>
 * Partitions come either from {@link #assign} (no group membership needed) or, with a {@code groupId},
 * from {@link #subscribe}: the consumers sharing the group id split the topics' partitions, and
 * {@link GroupMembership} keeps this consumer's share up to date from {@link #poll}, which must
 * therefore be called at least every {@code heartbeatIntervalMs} (see {@link GroupMembership}).
 * Committed offsets ({@link #commitSync()}, {@link #commitAsync}, {@link #committed}) need a
 * {@code groupId} in either mode.
 * <p>
 * A session lost to a broker restart, to a pause longer than the broker's session timeout, or to the
 * broker closing it is opened again from the next call, with back-off, for up to
 * {@link ClientContext#reconnectTimeoutMs()}; that call blocks meanwhile. The fetch resumes from the
 * positions (the next record not yet handed out), so nothing is skipped or handed out twice; a group
 * member rejoins when the coordinator has forgotten it. Only when the timeout passes does the call fail.
 * <p>
 * <b>Threading:</b> a consumer belongs to one thread at a time, as in Kafka: a call made while another
 * thread is inside one fails at once with {@link ConcurrentModificationException}. Handing it from one
 * thread to another between calls (with a happens-before edge, such as {@link Thread#start()}) is fine.
 * The one call any other thread may make at any time is {@link #wakeup()}, which makes the owner's {@link #poll}
 * throw {@link WakeupException}.
 */
public final class Consumer implements AutoCloseable
{
    /**
     * What to do when a partition has no valid position.
     */
    public enum OffsetReset
    {
        /**
         * Start at the first record still in the log.
         */
        EARLIEST,
        /**
         * Start after the last record (only new records).
         */
        LATEST,
        /**
         * Fail: the application must seek.
         */
        NONE
    }

    /**
     * Receives records from {@link #poll(RecordHandler, int)}.
     */
    @FunctionalInterface
    public interface RecordHandler
    {
        /**
         * One record, valid only during this call.
         *
         * @param record the zero-copy view.
         */
        void onRecord(ConsumerRecord record);
    }

    /**
     * Told when each fetch response arrives, for attributing latency ({@code spindle perf latency --stages}): called
     * on the polling thread as a response is taken off the fetch stream, before its records are handed over; it must
     * neither block nor allocate.
     */
    @FunctionalInterface
    public interface ArrivalTrace
    {
        /**
         * A response carrying records of a partition arrived.
         *
         * @param topicId    the topic's id.
         * @param partition  the partition.
         * @param nextOffset the offset after the response's last record: every record below it not reported before
         *                   arrived now.
         * @param timeNs     {@link System#nanoTime()} on arrival.
         */
        void onArrived(int topicId, int partition, long nextOffset, long timeNs);
    }

    /**
     * Configuration of a consumer.
     */
    public static final class Context extends ClientContext
    {
        private static final int FETCH_RESPONSE_SLACK = 64 * 1024;
        private static final int MAX_RESPONSE_LENGTH = 16 * 1024 * 1024;

        private OffsetReset autoOffsetReset = ConsumerConfiguration.AUTO_OFFSET_RESET.choice(OffsetReset.class);
        private boolean streaming = ConsumerConfiguration.STREAMING.bool();
        private int fetchMaxBytes = ConsumerConfiguration.FETCH_MAX_BYTES.intSize();
        private int partitionMaxBytes = ConsumerConfiguration.PARTITION_MAX_BYTES.intSize();
        private int fetchMaxWaitMs = ConsumerConfiguration.FETCH_MAX_WAIT.intDuration();
        private int fetchMinBytes = ConsumerConfiguration.FETCH_MIN_BYTES.intSize();
        private long creditBytes = ConsumerConfiguration.CREDIT_BYTES.size();
        private ArrivalTrace arrivalTrace;
        private String groupId = ConsumerConfiguration.GROUP_ID.text();
        private String groupInstanceId = ConsumerConfiguration.GROUP_INSTANCE_ID.text();
        private int sessionTimeoutMs = ConsumerConfiguration.SESSION_TIMEOUT.intDuration();
        private long heartbeatIntervalMs = ConsumerConfiguration.HEARTBEAT_INTERVAL.duration();
        private long maxPollIntervalMs = ConsumerConfiguration.MAX_POLL_INTERVAL.duration();
        private int rebalanceTimeoutMs = ConsumerConfiguration.REBALANCE_TIMEOUT.intDuration();
        private List<String> assignmentStrategy = ConsumerConfiguration.assignmentStrategy();
        private boolean enableAutoCommit = ConsumerConfiguration.ENABLE_AUTO_COMMIT.bool();
        private long autoCommitIntervalMs = ConsumerConfiguration.AUTO_COMMIT_INTERVAL.duration();
        private long metadataMaxAgeMs = ConsumerConfiguration.METADATA_MAX_AGE.duration();
        private IsolationLevel isolationLevel = ConsumerConfiguration.ISOLATION_LEVEL.choice(IsolationLevel.class);

        /**
         * Check every setting before connecting, naming the property of the first that cannot work (as a
         * {@code spindle.consumer.*} name, whether it came from a system property or was set here).
         *
         * @return this.
         * @throws IllegalArgumentException {@code invalid NAME=VALUE: reason}.
         */
        public Context conclude()
        {
            super.conclude();
            if (null == autoOffsetReset)
            {
                throw ClientConfiguration.invalid(ConsumerConfiguration.AUTO_OFFSET_RESET, null,
                    "expected EARLIEST, LATEST or NONE");
            }
            atLeast(ConsumerConfiguration.FETCH_MAX_BYTES, fetchMaxBytes, 1);
            atLeast(ConsumerConfiguration.PARTITION_MAX_BYTES, partitionMaxBytes, 1);
            atLeast(ConsumerConfiguration.FETCH_MAX_WAIT, fetchMaxWaitMs, 0);
            atLeast(ConsumerConfiguration.FETCH_MIN_BYTES, fetchMinBytes, 0);
            atLeast(ConsumerConfiguration.CREDIT_BYTES, creditBytes, 1);
            atLeast(ConsumerConfiguration.SESSION_TIMEOUT, sessionTimeoutMs, 1);
            atLeast(ConsumerConfiguration.HEARTBEAT_INTERVAL, heartbeatIntervalMs, 1);
            if (null != groupId && heartbeatIntervalMs >= sessionTimeoutMs)
            {
                throw ClientConfiguration.invalid(ConsumerConfiguration.HEARTBEAT_INTERVAL, heartbeatIntervalMs,
                    "must be below " + ConsumerConfiguration.SESSION_TIMEOUT.name() + "=" + sessionTimeoutMs);
            }
            atLeast(ConsumerConfiguration.MAX_POLL_INTERVAL, maxPollIntervalMs, 1);
            atLeast(ConsumerConfiguration.REBALANCE_TIMEOUT, rebalanceTimeoutMs, -1);
            ConsumerConfiguration.checkAssignors(assignmentStrategy);
            atLeast(ConsumerConfiguration.AUTO_COMMIT_INTERVAL, autoCommitIntervalMs, 0);
            atLeast(ConsumerConfiguration.METADATA_MAX_AGE, metadataMaxAgeMs, 0);
            return this;
        }

        /**
         * Which records a consumer reads (Kafka's {@code isolation.level}): {@code READ_UNCOMMITTED} (the default)
         * everything below the high-water mark; {@code READ_COMMITTED} only records outside transactions and those
         * of committed transactions, up to the last stable offset (the first offset of a transaction still open).
         * Transaction markers are never handed to the application in either.
         *
         * @param level the isolation level.
         * @return this.
         */
        public Context isolationLevel(final IsolationLevel level)
        {
            if (IsolationLevel.NULL_VAL == level || null == level)
            {
                throw new IllegalArgumentException("isolation level must be READ_COMMITTED or READ_UNCOMMITTED");
            }
            this.isolationLevel = level;
            return this;
        }

        /**
         * The isolation level.
         *
         * @return READ_UNCOMMITTED or READ_COMMITTED.
         */
        public IsolationLevel isolationLevel()
        {
            return isolationLevel;
        }

        /**
         * The reset policy for partitions without a valid position.
         *
         * @param reset the policy.
         * @return this.
         */
        public Context autoOffsetReset(final OffsetReset reset)
        {
            this.autoOffsetReset = reset;
            return this;
        }

        /**
         * Streaming fetch (default) or long-poll.
         *
         * @param streaming true to stream.
         * @return this.
         */
        public Context streaming(final boolean streaming)
        {
            this.streaming = streaming;
            return this;
        }

        /**
         * Most bytes in one fetch response.
         *
         * @param bytes the bound.
         * @return this.
         */
        public Context fetchMaxBytes(final int bytes)
        {
            this.fetchMaxBytes = bytes;
            return this;
        }

        /**
         * Long poll: how long the broker may hold a fetch waiting for data.
         *
         * @param waitMs the bound.
         * @return this.
         */
        public Context fetchMaxWaitMs(final int waitMs)
        {
            this.fetchMaxWaitMs = waitMs;
            return this;
        }

        /**
         * Long poll: bytes the broker waits for before answering.
         *
         * @param bytes the threshold.
         * @return this.
         */
        public Context fetchMinBytes(final int bytes)
        {
            this.fetchMinBytes = bytes;
            return this;
        }

        /**
         * Streaming: bytes the broker may push ahead of the application.
         *
         * @param bytes the credit.
         * @return this.
         */
        public Context creditBytes(final long bytes)
        {
            this.creditBytes = bytes;
            return this;
        }

        /**
         * Report when each fetch response arrives: a diagnostic, off by default.
         *
         * @param trace told on the polling thread, or null for none.
         * @return this.
         */
        public Context arrivalTrace(final ArrivalTrace trace)
        {
            this.arrivalTrace = trace;
            return this;
        }

        ArrivalTrace arrivalTrace()
        {
            return arrivalTrace;
        }

        /**
         * Most bytes of one partition in one fetch response.
         *
         * @param bytes the bound.
         * @return this.
         */
        public Context partitionMaxBytes(final int bytes)
        {
            this.partitionMaxBytes = bytes;
            return this;
        }

        /**
         * The reset policy for partitions without a valid position.
         *
         * @return the policy.
         */
        public OffsetReset autoOffsetReset()
        {
            return autoOffsetReset;
        }

        /**
         * Whether the fetch streams (else long-polls).
         *
         * @return true when streaming.
         */
        public boolean streaming()
        {
            return streaming;
        }

        /**
         * Most bytes in one fetch response.
         *
         * @return the bound.
         */
        public int fetchMaxBytes()
        {
            return fetchMaxBytes;
        }

        /**
         * {@inheritDoc}
         * <p>
         * A response carries at most {@link #fetchMaxBytes()} of records, and its partitions' fields beside them;
         * no Aeron message is longer than 16 MiB.
         */
        int fetchResponseCapacity()
        {
            return (int)Math.min(MAX_RESPONSE_LENGTH, (long)fetchMaxBytes + FETCH_RESPONSE_SLACK);
        }

        /**
         * Most bytes of one partition in one fetch response.
         *
         * @return the bound.
         */
        public int partitionMaxBytes()
        {
            return partitionMaxBytes;
        }

        /**
         * Long poll: how long the broker may hold a fetch.
         *
         * @return the bound in ms.
         */
        public int fetchMaxWaitMs()
        {
            return fetchMaxWaitMs;
        }

        /**
         * Long poll: bytes the broker waits for before answering.
         *
         * @return the threshold.
         */
        public int fetchMinBytes()
        {
            return fetchMinBytes;
        }

        /**
         * Streaming: bytes the broker may push ahead of the application.
         *
         * @return the credit.
         */
        public long creditBytes()
        {
            return creditBytes;
        }

        /**
         * The consumer group: needed by {@link Consumer#subscribe} and by committed offsets.
         *
         * @param groupId the group id, or null for none.
         * @return this.
         */
        public Context groupId(final String groupId)
        {
            this.groupId = groupId;
            return this;
        }

        /**
         * The consumer group.
         *
         * @return the group id, or null.
         */
        public String groupId()
        {
            return groupId;
        }

        /**
         * Static membership: a member that restarts with the same instance id within the session
         * timeout gets its partitions back with no rebalance; it does not leave the group on close.
         *
         * @param groupInstanceId unique within the group, or null for a dynamic member.
         * @return this.
         */
        public Context groupInstanceId(final String groupInstanceId)
        {
            this.groupInstanceId = groupInstanceId;
            return this;
        }

        /**
         * The static instance id.
         *
         * @return the id, or null.
         */
        public String groupInstanceId()
        {
            return groupInstanceId;
        }

        /**
         * How long the coordinator waits for a heartbeat before removing the member.
         *
         * @param timeoutMs the timeout (the broker accepts 500 ms to 30 min by default).
         * @return this.
         */
        public Context sessionTimeoutMs(final int timeoutMs)
        {
            this.sessionTimeoutMs = timeoutMs;
            return this;
        }

        /**
         * The session timeout.
         *
         * @return the timeout in ms.
         */
        public int sessionTimeoutMs()
        {
            return sessionTimeoutMs;
        }

        /**
         * How often a member heartbeats from poll; below the session timeout, typically a third of it.
         *
         * @param intervalMs the interval.
         * @return this.
         */
        public Context heartbeatIntervalMs(final long intervalMs)
        {
            this.heartbeatIntervalMs = intervalMs;
            return this;
        }

        /**
         * The heartbeat interval.
         *
         * @return the interval in ms.
         */
        public long heartbeatIntervalMs()
        {
            return heartbeatIntervalMs;
        }

        /**
         * Longest gap between polls before the member leaves the group (noticed at the next poll).
         *
         * @param intervalMs the interval.
         * @return this.
         */
        public Context maxPollIntervalMs(final long intervalMs)
        {
            this.maxPollIntervalMs = intervalMs;
            return this;
        }

        /**
         * The max poll interval.
         *
         * @return the interval in ms.
         */
        public long maxPollIntervalMs()
        {
            return maxPollIntervalMs;
        }

        /**
         * How long the coordinator waits for members to rejoin in a rebalance; -1 (default) means
         * {@code maxPollIntervalMs}, as in Kafka.
         *
         * @param timeoutMs the timeout, or -1.
         * @return this.
         */
        public Context rebalanceTimeoutMs(final int timeoutMs)
        {
            this.rebalanceTimeoutMs = timeoutMs;
            return this;
        }

        /**
         * The rebalance timeout.
         *
         * @return the timeout in ms, or -1 for the max poll interval.
         */
        public int rebalanceTimeoutMs()
        {
            return rebalanceTimeoutMs;
        }

        /**
         * The assignors this member offers, most preferred first: {@code range}, {@code roundrobin},
         * {@code cooperative-sticky}. The cooperative protocol is used when every one is cooperative.
         *
         * @param names the assignor names.
         * @return this.
         */
        public Context assignmentStrategy(final String... names)
        {
            this.assignmentStrategy = List.of(names);
            return this;
        }

        /**
         * The assignors offered.
         *
         * @return the names.
         */
        public List<String> assignmentStrategy()
        {
            return assignmentStrategy;
        }

        /**
         * Commit the positions of owned partitions from poll every {@code autoCommitIntervalMs}, before
         * partitions are revoked, and on close; the records poll handed out before are processed by
         * then, so this is at-least-once.
         *
         * @param enable true to auto-commit.
         * @return this.
         */
        public Context enableAutoCommit(final boolean enable)
        {
            this.enableAutoCommit = enable;
            return this;
        }

        /**
         * Whether offsets are committed automatically.
         *
         * @return true when auto-committing.
         */
        public boolean enableAutoCommit()
        {
            return enableAutoCommit;
        }

        /**
         * The auto-commit interval.
         *
         * @param intervalMs the interval.
         * @return this.
         */
        public Context autoCommitIntervalMs(final long intervalMs)
        {
            this.autoCommitIntervalMs = intervalMs;
            return this;
        }

        /**
         * The auto-commit interval.
         *
         * @return the interval in ms.
         */
        public long autoCommitIntervalMs()
        {
            return autoCommitIntervalMs;
        }

        /**
         * How often the group leader checks subscribed topics for new partitions or newly created
         * topics, rebalancing when they changed.
         *
         * @param ageMs the interval.
         * @return this.
         */
        public Context metadataMaxAgeMs(final long ageMs)
        {
            this.metadataMaxAgeMs = ageMs;
            return this;
        }

        /**
         * The metadata check interval.
         *
         * @return the interval in ms.
         */
        public long metadataMaxAgeMs()
        {
            return metadataMaxAgeMs;
        }

        private static void atLeast(final io.spindle.config.ConfigProperty property, final long value, final long min)
        {
            if (value < min)
            {
                throw ClientConfiguration.invalid(property, value, "must be at least " + min);
            }
        }
    }

    private final Context ctx;
    private final ClientTransport transport;
    private final IdleStrategy idleStrategy;
    private final GroupMembership group;
    private final BlockingCaller controlCaller;
    private final FragmentHandler controlHandler;
    private final Map<String, TopicMetadata> topicMetadata = new HashMap<>();
    private final List<AssignedPartition> assigned = new ArrayList<>();
    private final ExpandableArrayBuffer requestBuffer = new ExpandableArrayBuffer(4096);
    private final Fetcher fetcher;
    private BrokerConnection control;
    private long nextCorrelationId = 1;
    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private int ownerDepth;
    private boolean closing;
    private final AtomicBoolean wakeupRequested = new AtomicBoolean();
    private long pollCalls;
    private long reconnects;

    private Consumer(final Context ctx)
    {
        this.ctx = ctx;
        this.idleStrategy = ctx.idleStrategy();
        this.group = null == ctx.groupId ? null : new GroupMembership(new GroupClient(), ctx);
        this.controlHandler = null == group ? null :
            (buffer, offset, length, header) -> group.onResponse(buffer, offset, length);
        this.controlCaller = new BlockingCaller(controlHandler);
        this.transport = new ClientTransport(ctx);
        this.fetcher = new Fetcher(ctx, transport, idleStrategy, assigned);
    }

    /**
     * Connect a consumer.
     *
     * @param ctx its configuration.
     * @return the connected consumer.
     */
    public static Consumer connect(final Context ctx)
    {
        ctx.conclude();
        final Consumer consumer = new Consumer(ctx);
        try
        {
            consumer.control = consumer.transport.control();
            consumer.fetcher.connect();
        }
        catch (final RuntimeException ex)
        {
            consumer.transport.close();
            throw ex;
        }
        return consumer;
    }

    /**
     * Number of partitions of a topic.
     *
     * @param topic the topic name.
     * @return the partition count.
     * @throws SpindleException UNKNOWN_TOPIC_OR_PARTITION when there is no such topic.
     */
    public int partitionCount(final String topic)
    {
        acquire();
        try
        {
            return metadata(topic).partitionCount();
        }
        finally
        {
            release();
        }
    }

    /**
     * Read exactly these partitions from now on (replacing any earlier assignment), without group
     * membership. Positions of partitions kept from the earlier assignment are kept.
     *
     * @param partitions the partitions.
     * @throws IllegalStateException when the consumer is subscribed.
     */
    public void assign(final Collection<TopicPartition> partitions)
    {
        acquire();
        try
        {
            if (null != group && group.subscribed())
            {
                throw new IllegalStateException("the consumer is subscribed to " + group.subscription() +
                    ": unsubscribe before assigning partitions");
            }
            assignPartitions(partitions);
        }
        finally
        {
            release();
        }
    }

    /**
     * Join the consumer group ({@code groupId}) for these topics: the group's members split their
     * partitions, and {@link #poll} keeps this consumer's share, telling the listener what it gains and
     * loses. Replaces an earlier subscription.
     *
     * @param topics   the topics.
     * @param listener told of revoked, assigned and lost partitions.
     * @throws IllegalStateException without a {@code groupId}, or when partitions were assigned.
     */
    public void subscribe(final Collection<String> topics, final RebalanceListener listener)
    {
        acquire();
        try
        {
            if (null == group)
            {
                throw new IllegalStateException("subscribe needs a group id: set Consumer.Context.groupId");
            }
            if (!group.subscribed() && !assigned.isEmpty())
            {
                throw new IllegalStateException("partitions were assigned: assign(List.of()) before subscribing");
            }
            group.subscribe(topics, listener);
        }
        finally
        {
            release();
        }
    }

    /**
     * Join the consumer group for these topics with no rebalance listener.
     *
     * @param topics the topics.
     */
    public void subscribe(final Collection<String> topics)
    {
        acquire();
        try
        {
            subscribe(topics, RebalanceListener.NO_OP);
        }
        finally
        {
            release();
        }
    }

    /**
     * Leave the group (committing first with auto-commit, telling the listener what is revoked);
     * a static member does not send LeaveGroup, so its partitions wait for it for the session timeout.
     */
    public void unsubscribe()
    {
        acquire();
        try
        {
            if (null != group)
            {
                group.unsubscribe();
            }
        }
        finally
        {
            release();
        }
    }

    /**
     * The subscribed topics.
     *
     * @return the topics, empty when not subscribed.
     */
    public List<String> subscription()
    {
        acquire();
        try
        {
            return null == group ? List.of() : group.subscription();
        }
        finally
        {
            release();
        }
    }

    /**
     * This consumer's group membership.
     *
     * @return the group id, generation and member id, or null without a group id.
     */
    public GroupMetadata groupMetadata()
    {
        acquire();
        try
        {
            return null == group ? null : group.metadata();
        }
        finally
        {
            release();
        }
    }

    /**
     * Commit the positions of every assigned partition (the records handed out so far) and wait.
     *
     * @throws SpindleException when the group refused the commit, e.g. ILLEGAL_GENERATION or
     *                          REBALANCE_IN_PROGRESS during a rebalance (the records will be delivered
     *                          again to the next owner: at least once).
     */
    public void commitSync()
    {
        acquire();
        try
        {
            commitSync(positions());
        }
        finally
        {
            release();
        }
    }

    /**
     * Commit offsets and wait.
     *
     * @param offsets the next offset to read, by partition.
     * @throws SpindleException when the group refused the commit or a partition failed.
     */
    public void commitSync(final Map<TopicPartition, OffsetAndMetadata> offsets)
    {
        acquire();
        try
        {
            requireGroup().commitSync(offsets);
        }
        finally
        {
            release();
        }
    }

    /**
     * Commit the positions of every assigned partition without waiting; the callback runs from a
     * later poll.
     *
     * @param callback told the outcome; may be null.
     */
    public void commitAsync(final OffsetCommitCallback callback)
    {
        acquire();
        try
        {
            commitAsync(positions(), callback);
        }
        finally
        {
            release();
        }
    }

    /**
     * Commit offsets without waiting; the callback runs from a later poll.
     *
     * @param offsets  the next offset to read, by partition.
     * @param callback told the outcome; may be null.
     */
    public void commitAsync(final Map<TopicPartition, OffsetAndMetadata> offsets, final OffsetCommitCallback callback)
    {
        acquire();
        try
        {
            requireGroup().commitAsync(offsets, callback);
        }
        finally
        {
            release();
        }
    }

    /**
     * The group's committed offset of a partition.
     *
     * @param tp the partition (need not be assigned).
     * @return the committed offset, or null when none.
     */
    public OffsetAndMetadata committed(final TopicPartition tp)
    {
        acquire();
        try
        {
            return committed(List.of(tp)).get(tp);
        }
        finally
        {
            release();
        }
    }

    /**
     * The group's committed offsets of partitions.
     *
     * @param partitions the partitions (need not be assigned).
     * @return by partition; partitions with nothing committed are absent.
     */
    public Map<TopicPartition, OffsetAndMetadata> committed(final Collection<TopicPartition> partitions)
    {
        acquire();
        try
        {
            return requireGroup().committed(partitions);
        }
        finally
        {
            release();
        }
    }

    private GroupMembership requireGroup()
    {
        if (null == group)
        {
            throw new IllegalStateException("committed offsets need a group id: set Consumer.Context.groupId");
        }
        return group;
    }

    private Map<TopicPartition, OffsetAndMetadata> positions()
    {
        final Map<TopicPartition, OffsetAndMetadata> result = new TreeMap<>();
        for (final AssignedPartition state : assigned)
        {
            if (state.position >= 0)
            {
                result.put(state.tp, new OffsetAndMetadata(state.position));
            }
        }
        return result;
    }

    private void assignPartitions(final Collection<TopicPartition> partitions)
    {
        final List<AssignedPartition> next = new ArrayList<>();
        for (final TopicPartition tp : partitions)
        {
            AssignedPartition state = find(tp);
            if (null == state)
            {
                TopicMetadata metadata = metadata(tp.topic());
                if (tp.partition() >= metadata.partitionCount())
                {
                    // Partitions may have been added since the topic was looked up: look again.
                    topicMetadata.remove(tp.topic());
                    metadata = metadata(tp.topic());
                }
                if (tp.partition() < 0 || tp.partition() >= metadata.partitionCount())
                {
                    throw new SpindleException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        "topic '" + tp.topic() + "' has no partition " + tp.partition());
                }
                state = new AssignedPartition(tp, metadata.topicId());
            }
            next.add(state);
        }
        assigned.clear();
        assigned.addAll(next);
        fetcher.restart();
    }

    /**
     * The assigned partitions.
     *
     * @return a copy of the assignment.
     */
    public List<TopicPartition> assignment()
    {
        acquire();
        try
        {
            final List<TopicPartition> result = new ArrayList<>();
            for (final AssignedPartition state : assigned)
            {
                result.add(state.tp);
            }
            return result;
        }
        finally
        {
            release();
        }
    }

    /**
     * Read a partition from an offset on the next poll.
     *
     * @param tp     an assigned partition.
     * @param offset the next offset to read.
     */
    public void seek(final TopicPartition tp, final long offset)
    {
        acquire();
        try
        {
            if (offset < 0)
            {
                throw new IllegalArgumentException("offset must be >= 0, was " + offset);
            }
            state(tp).position = offset;
            fetcher.restart();
        }
        finally
        {
            release();
        }
    }

    /**
     * Read partitions from their first record still in the log.
     *
     * @param partitions assigned partitions.
     */
    public void seekToBeginning(final Collection<TopicPartition> partitions)
    {
        acquire();
        try
        {
            resolve(partitions, -2);
        }
        finally
        {
            release();
        }
    }

    /**
     * Read partitions from after their last record.
     *
     * @param partitions assigned partitions.
     */
    public void seekToEnd(final Collection<TopicPartition> partitions)
    {
        acquire();
        try
        {
            resolve(partitions, -1);
        }
        finally
        {
            release();
        }
    }

    /**
     * The offset of the next record the application will get from a partition, resolving it with
     * the reset policy first when it has none.
     *
     * @param tp an assigned partition.
     * @return the position.
     */
    public long position(final TopicPartition tp)
    {
        acquire();
        try
        {
            final AssignedPartition state = state(tp);
            if (state.position < 0)
            {
                resolvePositions();
            }
            return state.position;
        }
        finally
        {
            release();
        }
    }

    /**
     * The first offset still in the log of each partition, as Kafka's {@code beginningOffsets}: one ListOffsets
     * request, blocking for at most the request timeout. Does not change any position.
     *
     * @param partitions any partitions of existing topics (need not be assigned).
     * @return the offset by partition, in the order given; unmodifiable.
     * @throws SpindleException UNKNOWN_TOPIC_OR_PARTITION for a topic or partition that does not exist.
     */
    public Map<TopicPartition, Long> beginningOffsets(final Collection<TopicPartition> partitions)
    {
        acquire();
        try
        {
            return listOffsets(partitions, -2);
        }
        finally
        {
            release();
        }
    }

    /**
     * The end of each partition, as Kafka's {@code endOffsets} under {@code read_uncommitted}: the high-water mark,
     * the offset the next committed record will get, up to which a consumer can read. One ListOffsets request,
     * blocking for at most the request timeout. Does not change any position.
     *
     * @param partitions any partitions of existing topics (need not be assigned).
     * @return the offset by partition, in the order given; unmodifiable.
     * @throws SpindleException UNKNOWN_TOPIC_OR_PARTITION for a topic or partition that does not exist.
     */
    public Map<TopicPartition, Long> endOffsets(final Collection<TopicPartition> partitions)
    {
        acquire();
        try
        {
            return listOffsets(partitions, -1);
        }
        finally
        {
            release();
        }
    }

    /**
     * For each partition, the first offset at or after a point in time, as Kafka's {@code offsetsForTimes}, at
     * batch granularity: the first offset of the first batch holding a record whose timestamp is at or after the
     * time (records before it in that batch may be older). One ListOffsets request, blocking for at most the
     * request timeout; {@link #seek} to the offsets to read from there.
     * <p>
     * Kafka answers with an {@code OffsetAndTimestamp} per partition, {@code null} where no record is that recent;
     * here the answer is the offset alone (the broker looks batches up by their newest timestamp and does not read
     * the record), and such a partition is absent, so {@code get(tp)} is {@code null} for it as in Kafka.
     *
     * @param timestamps by partition, a time in ms since the epoch (0 or more); the partitions need not be
     *                   assigned.
     * @return the offset by partition, in the order given; unmodifiable.
     * @throws IllegalArgumentException for a negative timestamp.
     * @throws SpindleException         UNKNOWN_TOPIC_OR_PARTITION for a topic or partition that does not exist.
     */
    public Map<TopicPartition, Long> offsetsForTimes(final Map<TopicPartition, Long> timestamps)
    {
        acquire();
        try
        {
            for (final Map.Entry<TopicPartition, Long> entry : timestamps.entrySet())
            {
                if (null == entry.getValue() || entry.getValue() < 0)
                {
                    throw new IllegalArgumentException("the timestamp of " + entry.getKey() +
                        " must be 0 or more (ms since the epoch), was " + entry.getValue());
                }
            }
            return listOffsets(timestamps);
        }
        finally
        {
            release();
        }
    }

    /**
     * How far the consumer is behind the end of an assigned partition, as Kafka's {@code currentLag}: the
     * high-water mark the broker reported with its last fetch answer for the partition, less the position. No
     * request is sent; use {@link #endOffsets} for the end as of now. A streaming fetch from the very end of a
     * partition is answered only when a record arrives, so a partition that has had nothing to read since it was
     * assigned (or since the consumer connected) has no known lag yet.
     *
     * @param tp an assigned partition.
     * @return the lag in records, or empty while the position or the high-water mark is not yet known (before the
     * first fetch answer for the partition).
     * @throws IllegalStateException when the partition is not assigned.
     */
    public OptionalLong currentLag(final TopicPartition tp)
    {
        acquire();
        try
        {
            final AssignedPartition state = state(tp);
            final long end = end(state);
            return state.position < 0 || end < 0 ? OptionalLong.empty() : OptionalLong.of(end - state.position);
        }
        finally
        {
            release();
        }
    }

    /**
     * Stop fetching from partitions until resumed; their positions are kept.
     *
     * @param partitions assigned partitions.
     */
    public void pause(final Collection<TopicPartition> partitions)
    {
        acquire();
        try
        {
            for (final TopicPartition tp : partitions)
            {
                state(tp).paused = true;
            }
            fetcher.restart();
        }
        finally
        {
            release();
        }
    }

    /**
     * Fetch again from paused partitions.
     *
     * @param partitions assigned partitions.
     */
    public void resume(final Collection<TopicPartition> partitions)
    {
        acquire();
        try
        {
            for (final TopicPartition tp : partitions)
            {
                state(tp).paused = false;
            }
            fetcher.restart();
        }
        finally
        {
            release();
        }
    }

    /**
     * Hand up to {@code limit} records to the handler, fetching as needed; returns at once when
     * nothing is available, unless the broker session was lost: then it first opens it again, waiting
     * up to {@link ClientContext#reconnectTimeoutMs()}.
     *
     * @param handler receives the records.
     * @param limit   most records to hand over.
     * @return records handed over.
     * @throws WakeupException when {@link #wakeup()} was called since the last poll.
     */
    public int poll(final RecordHandler handler, final int limit)
    {
        acquire();
        try
        {
            if (wakeupRequested.get() && wakeupRequested.getAndSet(false))
            {
                throw new WakeupException();
            }
            if (1 == ownerDepth)
            {
                pollCalls++;
            }
            final SpindleException error = fetcher.takeError();
            if (null != error)
            {
                throw error;
            }
            fetcher.switchReplicaIfAsked();
            if (!fetcher.connection().isConnected() || !control.isConnected())
            {
                reconnect();
            }
            if (null != group)
            {
                control.poll(controlHandler, 16);
                group.poll(System.nanoTime() / 1_000_000L);
            }

            int delivered = fetcher.deliver(handler, limit);
            if (delivered < limit)
            {
                if (fetcher.isFetchDue())
                {
                    resolvePositions();
                    fetcher.start();
                }
                fetcher.poll();
                delivered += fetcher.deliver(handler, limit - delivered);
            }
            final long nowNs = System.nanoTime();
            fetcher.doHousekeeping(nowNs);
            control.doHousekeeping(nowNs);

            return delivered;
        }
        finally
        {
            release();
        }
    }

    /**
     * Poll until at least one record arrives or the timeout passes.
     *
     * @param handler   receives the records.
     * @param limit     most records to hand over.
     * @param timeoutMs how long to wait.
     * @return records handed over.
     * @throws WakeupException when {@link #wakeup()} is called before or while it waits (it returns within one
     *                         idle period of the idle strategy).
     */
    public int poll(final RecordHandler handler, final int limit, final long timeoutMs)
    {
        acquire();
        try
        {
            pollCalls++;
            final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
            idleStrategy.reset();
            int delivered;
            while ((delivered = poll(handler, limit)) == 0 && System.nanoTime() - deadlineNs < 0)
            {
                idleStrategy.idle();
            }
            return delivered;
        }
        finally
        {
            release();
        }
    }

    /**
     * Make the owner's {@link #poll} throw {@link WakeupException}, as Kafka's {@code wakeup}: a poll waiting for
     * records returns within one idle period, and when no poll is running the next one throws at once. Each call
     * wakes up one poll. The usual way to stop a poll loop from another thread (a shutdown hook, say); the owner
     * then closes the consumer.
     * <p>
     * The one method any thread may call at any time: it sets a flag that poll checks, and nothing else.
     */
    public void wakeup()
    {
        wakeupRequested.set(true);
    }

    /**
     * The consumer's own counters, as Kafka's {@code metrics()} but as plain numbers by name, read when called:
     * <ul>
     *     <li>{@code records-consumed-total}: records handed to the application;</li>
     *     <li>{@code bytes-consumed-total}: bytes of the record batches those records came in, as fetched;</li>
     *     <li>{@code poll-calls-total}: calls of {@link #poll} by the application;</li>
     *     <li>{@code fetch-responses-total}: fetch answers (streamed pushes or long-poll answers) received;</li>
     *     <li>{@code reconnects-total}: broker sessions opened again after they were lost;</li>
     *     <li>{@code replica-switches-total}: times fetching moved to another cluster member because the one fetched
     *     from could not serve an offset the cluster holds (KAFKA_STORAGE_ERROR);</li>
     *     <li>{@code assigned-partitions}: partitions assigned now;</li>
     *     <li>{@code records-lag-max} and {@code records-lag-sum}: the largest and the total {@link #currentLag} of
     *     the assigned partitions whose lag is known, present only when one is.</li>
     * </ul>
     * Counting costs the poll path no allocation; this call allocates the map.
     *
     * @return the values by name; unmodifiable.
     */
    public Map<String, Number> metrics()
    {
        acquire();
        try
        {
            final Map<String, Number> metrics = new LinkedHashMap<>();
            metrics.put("records-consumed-total", fetcher.recordsConsumed());
            metrics.put("bytes-consumed-total", fetcher.bytesConsumed());
            metrics.put("poll-calls-total", pollCalls);
            metrics.put("fetch-responses-total", fetcher.fetchResponses());
            metrics.put("reconnects-total", reconnects);
            metrics.put("replica-switches-total", fetcher.replicaSwitches());
            metrics.put("assigned-partitions", assigned.size());
            long lagMax = Long.MIN_VALUE;
            long lagSum = 0;
            for (final AssignedPartition state : assigned)
            {
                if (state.position >= 0 && end(state) >= 0)
                {
                    final long lag = end(state) - state.position;
                    lagMax = Math.max(lagMax, lag);
                    lagSum += lag;
                }
            }
            if (Long.MIN_VALUE != lagMax)
            {
                metrics.put("records-lag-max", lagMax);
                metrics.put("records-lag-sum", lagSum);
            }
            return Collections.unmodifiableMap(metrics);
        }
        finally
        {
            release();
        }
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        acquire();
        try
        {
            // Closing does not wait for a lost session to come back: the group's session timeout ends the member.
            closing = true;
            if (null != group && null != control && control.isConnected())
            {
                try
                {
                    group.close();
                }
                catch (final RuntimeException ignore)
                {
                    // Closing anyway: the session timeout removes the member.
                }
            }
            fetcher.close();
            transport.close();
        }
        finally
        {
            release();
        }
    }

    private void acquire()
    {
        final Thread thread = Thread.currentThread();
        final Thread current = owner.get();
        if (current != thread && !owner.compareAndSet(null, thread))
        {
            throw new ConcurrentModificationException("a Consumer belongs to one thread at a time: thread '" +
                thread.getName() + "' called it while thread '" + (null == current ? "?" : current.getName()) +
                "' was using it");
        }
        ownerDepth++;
    }

    private void release()
    {
        if (0 == --ownerDepth)
        {
            owner.set(null);
        }
    }

    /**
     * The end a consumer's lag is measured to: the last stable offset for read_committed, else the high-water mark.
     */
    private long end(final AssignedPartition state)
    {
        return IsolationLevel.READ_COMMITTED == ctx.isolationLevel ? state.lastStableOffset : state.highWatermark;
    }

    /**
     * Open both sessions again after either was lost (a broker restart or a session the broker timed
     * out ends both), with back-off, until {@link ClientContext#reconnectTimeoutMs()} passes; then the
     * fetch restarts from the positions and the group learns that its requests in flight are void.
     */
    private void reconnect()
    {
        final ServerConnection fetch = fetcher.connection();
        final String reason = !fetch.isConnected() ? fetch.closedReason() :
            !control.isConnected() ? control.closedReason() : "session lost";
        fetch.close();
        control.close();
        final long deadlineNs = System.nanoTime() + ctx.reconnectTimeoutMs() * 1_000_000L;
        long backoffNs = Math.max(1, ctx.reconnectBackoffMs()) * 1_000_000L;
        while (true)
        {
            try
            {
                control = transport.control();
                fetcher.connect();
                break;
            }
            catch (final SpindleException ex)
            {
                if (System.nanoTime() + backoffNs - deadlineNs > 0)
                {
                    throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "lost the broker session (" + reason +
                        ") and could not open it again within " + ctx.reconnectTimeoutMs() + " ms: " + ex.getMessage());
                }
                LockSupport.parkNanos(backoffNs);
                backoffNs = Math.min(backoffNs * 2, Math.max(1, ctx.reconnectBackoffMaxMs()) * 1_000_000L);
            }
        }
        reconnects++;
        fetcher.restart();
        if (null != group)
        {
            group.onSessionLost(System.nanoTime() / 1_000_000L);
        }
    }

    /**
     * Run a call on the control session, opening the session again and repeating the call when it
     * was lost meanwhile (only calls safe to repeat come here: reads and offset commits).
     */
    private void runWithControl(final Runnable call)
    {
        withControl(() ->
        {
            call.run();
            return null;
        });
    }

    private <T> T withControl(final Supplier<T> call)
    {
        if (closing)
        {
            return call.get();
        }
        final long deadlineNs = System.nanoTime() + ctx.reconnectTimeoutMs() * 1_000_000L;
        while (true)
        {
            if (!control.isConnected() || !fetcher.connection().isConnected())
            {
                reconnect();
            }
            try
            {
                return call.get();
            }
            catch (final SpindleException ex)
            {
                if (control.isConnected() || System.nanoTime() - deadlineNs > 0)
                {
                    throw ex;
                }
            }
        }
    }

    private void resolvePositions()
    {
        final List<TopicPartition> missing = new ArrayList<>();
        for (final AssignedPartition state : assigned)
        {
            if (state.position < 0)
            {
                missing.add(state.tp);
            }
        }
        if (null != group && !missing.isEmpty())
        {
            final Map<TopicPartition, OffsetAndMetadata> committed = group.committed(missing);
            for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry : committed.entrySet())
            {
                state(entry.getKey()).position = entry.getValue().offset();
                missing.remove(entry.getKey());
            }
        }
        if (missing.isEmpty())
        {
            return;
        }
        if (OffsetReset.NONE == ctx.autoOffsetReset)
        {
            throw new SpindleException(ErrorCode.OFFSET_OUT_OF_RANGE,
                "no position for " + missing + " and auto.offset.reset is NONE: seek first");
        }
        resolve(missing, OffsetReset.EARLIEST == ctx.autoOffsetReset ? -2 : -1);
    }

    private void resolve(final Collection<TopicPartition> partitions, final long timestamp)
    {
        if (partitions.isEmpty())
        {
            return;
        }
        final List<TopicPartition> list = new ArrayList<>(partitions);
        final int[] topicIds = new int[list.size()];
        final long[] timestamps = new long[list.size()];
        for (int i = 0; i < topicIds.length; i++)
        {
            topicIds[i] = state(list.get(i)).topicId;
            timestamps[i] = timestamp;
        }
        final long[] offsets = listOffsets(list, topicIds, timestamps);
        for (int i = 0; i < offsets.length; i++)
        {
            state(list.get(i)).position = offsets[i];
        }
        fetcher.restart();
    }

    private long[] listOffsets(final List<TopicPartition> partitions, final int[] topicIds, final long[] timestamps)
    {
        return withControl(() -> Admin.listOffsets(
            control, controlCaller, ctx, requestBuffer, nextCorrelationId++, partitions, topicIds, timestamps,
            ctx.isolationLevel));
    }

    private Map<TopicPartition, Long> listOffsets(final Map<TopicPartition, Long> timestamps)
    {
        final List<TopicPartition> partitions = new ArrayList<>(timestamps.keySet());
        final int[] topicIds = new int[partitions.size()];
        final long[] times = new long[partitions.size()];
        for (int i = 0; i < topicIds.length; i++)
        {
            topicIds[i] = metadata(partitions.get(i).topic()).topicId();
            times[i] = timestamps.get(partitions.get(i));
        }
        final long[] offsets = partitions.isEmpty() ? new long[0] : listOffsets(partitions, topicIds, times);
        final Map<TopicPartition, Long> result = new LinkedHashMap<>();
        for (int i = 0; i < offsets.length; i++)
        {
            if (offsets[i] >= 0)
            {
                result.put(partitions.get(i), offsets[i]);
            }
        }
        return Collections.unmodifiableMap(result);
    }

    private Map<TopicPartition, Long> listOffsets(final Collection<TopicPartition> partitions, final long timestamp)
    {
        final Map<TopicPartition, Long> timestamps = new LinkedHashMap<>();
        for (final TopicPartition tp : partitions)
        {
            timestamps.put(tp, timestamp);
        }
        return listOffsets(timestamps);
    }

    /**
     * The consumer's side of its group membership: the control session and its own assignment.
     */
    private final class GroupClient implements GroupMembership.Client
    {
        public long nextCorrelationId()
        {
            return nextCorrelationId++;
        }

        public void send(final DirectBuffer buffer, final int length)
        {
            final long deadlineNs = System.nanoTime() + ctx.requestTimeoutMs() * 1_000_000L;
            idleStrategy.reset();
            long result;
            while ((result = control.offer(buffer, 0, length)) < 0)
            {
                final long nowNs = System.nanoTime();
                control.doHousekeeping(nowNs);
                if (!control.isConnected())
                {
                    // Lost with the session: the next poll opens it again and tells the group, which
                    // sends again what it still needs.
                    return;
                }
                if (Publication.MAX_POSITION_EXCEEDED == result || nowNs - deadlineNs > 0)
                {
                    throw new SpindleException(ErrorCode.NETWORK_EXCEPTION, "cannot send a group request: " +
                        ServerConnection.describe(result));
                }
                idleStrategy.idle();
            }
        }

        public void call(
            final DirectBuffer buffer,
            final int length,
            final long correlationId,
            final BlockingCaller.ResponseDecoder decoder)
        {
            runWithControl(() -> controlCaller.call(
                control, buffer, length, correlationId, decoder, ctx.requestTimeoutMs(), idleStrategy));
        }

        public void pollResponses(final long timeoutMs, final java.util.function.BooleanSupplier done)
        {
            final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
            idleStrategy.reset();
            while (!done.getAsBoolean() && control.isConnected() && System.nanoTime() - deadlineNs < 0)
            {
                final int work = control.poll(controlHandler, 16);
                control.doHousekeeping(System.nanoTime());
                idleStrategy.idle(work);
            }
        }

        public int topicId(final String topic)
        {
            return metadata(topic).topicId();
        }

        public int partitionCount(final String topic)
        {
            try
            {
                final TopicMetadata fresh = withControl(
                    () -> Admin.metadata(control, controlCaller, ctx, nextCorrelationId++, topic));
                topicMetadata.put(topic, fresh);
                return fresh.partitionCount();
            }
            catch (final SpindleException ex)
            {
                if (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION == ex.errorCode())
                {
                    topicMetadata.remove(topic);
                    return -1;
                }
                throw ex;
            }
        }

        public void assign(final Collection<TopicPartition> partitions)
        {
            final List<TopicPartition> known = new ArrayList<>();
            for (final TopicPartition tp : partitions)
            {
                try
                {
                    final TopicMetadata metadata = metadata(tp.topic());
                    if (tp.partition() < metadata.partitionCount())
                    {
                        known.add(tp);
                    }
                }
                catch (final SpindleException ex)
                {
                    // A topic deleted since the leader assigned it: nothing to fetch.
                }
            }
            assignPartitions(known);
        }

        public Map<TopicPartition, Long> positions()
        {
            final Map<TopicPartition, Long> result = new HashMap<>();
            for (final AssignedPartition state : assigned)
            {
                result.put(state.tp, state.position);
            }
            return result;
        }
    }

    private TopicMetadata metadata(final String topic)
    {
        TopicMetadata metadata = topicMetadata.get(topic);
        if (null == metadata)
        {
            metadata = withControl(() -> Admin.metadata(control, controlCaller, ctx, nextCorrelationId++, topic));
            topicMetadata.put(topic, metadata);
        }
        return metadata;
    }

    private AssignedPartition state(final TopicPartition tp)
    {
        final AssignedPartition state = find(tp);
        if (null == state)
        {
            throw new IllegalStateException(tp + " is not assigned to this consumer");
        }
        return state;
    }

    private AssignedPartition find(final TopicPartition tp)
    {
        for (final AssignedPartition state : assigned)
        {
            if (state.tp.equals(tp))
            {
                return state;
            }
        }
        return null;
    }
}
