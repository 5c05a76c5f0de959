package io.spindle.broker;

import java.util.Arrays;
import java.util.List;

/**
 * One member of a consumer group as the coordinator holds it: its ids, timeouts, the protocols it
 * supports with their metadata (opaque to the broker), its assignment, its session deadline and the
 * request it is waiting on an answer to (a JoinGroup or a SyncGroup held until the rebalance moves on).
 * <p>
 * Owned by the state machine's thread.
 */
final class GroupMember
{
    static final long NO_REQUEST = -1;
    static final byte[] EMPTY_BYTES = new byte[0];

    /**
     * A protocol a member supports: its name and metadata (a subscription, for consumers).
     *
     * @param name     such as {@code range}.
     * @param metadata opaque bytes.
     */
    record Protocol(String name, byte[] metadata)
    {
        boolean sameAs(final Protocol other)
        {
            return name.equals(other.name) && Arrays.equals(metadata, other.metadata);
        }
    }

    private String memberId;
    private final String groupInstanceId;
    private final long timerId;
    int sessionTimeoutMs;
    int rebalanceTimeoutMs;
    List<Protocol> protocols;
    byte[] assignment = EMPTY_BYTES;

    /**
     * The protocol metadata the leader computed this member's current assignment from (what it owned
     * and subscribed to at the last completed join); a static successor is told it, not its
     * predecessor's latest join, so a rebalance still owed is not forgotten across restarts.
     */
    byte[] assignedFrom = EMPTY_BYTES;
    long sessionDeadlineMs;
    long joinSessionId = NO_REQUEST;
    long joinCorrelationId = NO_REQUEST;
    long syncSessionId = NO_REQUEST;
    long syncCorrelationId = NO_REQUEST;

    /**
     * The client.id its latest join carried; empty from a client that does not send it.
     */
    String clientId = "";

    /**
     * The host name its latest join carried; empty from a client that does not send it.
     */
    String clientHost = "";

    GroupMember(
        final String memberId,
        final String groupInstanceId,
        final long timerId,
        final int sessionTimeoutMs,
        final int rebalanceTimeoutMs,
        final List<Protocol> protocols)
    {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
        this.timerId = timerId;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.protocols = protocols;
    }

    String memberId()
    {
        return memberId;
    }

    /**
     * A restarted static member takes over under a new member id; the old id is fenced.
     *
     * @param memberId the new id.
     */
    void memberId(final String memberId)
    {
        this.memberId = memberId;
    }

    /**
     * The static instance id, or the empty string for a dynamic member.
     *
     * @return the instance id.
     */
    String groupInstanceId()
    {
        return groupInstanceId;
    }

    boolean isStatic()
    {
        return !groupInstanceId.isEmpty();
    }

    long timerId()
    {
        return timerId;
    }

    boolean awaitingJoin()
    {
        return NO_REQUEST != joinCorrelationId;
    }

    boolean awaitingSync()
    {
        return NO_REQUEST != syncCorrelationId;
    }

    void awaitJoin(final long sessionId, final long correlationId)
    {
        joinSessionId = sessionId;
        joinCorrelationId = correlationId;
    }

    void clearJoin()
    {
        joinSessionId = NO_REQUEST;
        joinCorrelationId = NO_REQUEST;
    }

    void awaitSync(final long sessionId, final long correlationId)
    {
        syncSessionId = sessionId;
        syncCorrelationId = correlationId;
    }

    void clearSync()
    {
        syncSessionId = NO_REQUEST;
        syncCorrelationId = NO_REQUEST;
    }

    /**
     * The metadata this member sent for a protocol.
     *
     * @param name of the protocol.
     * @return the metadata, or null when the member does not support it.
     */
    byte[] metadata(final String name)
    {
        for (final Protocol protocol : protocols)
        {
            if (protocol.name.equals(name))
            {
                return protocol.metadata;
            }
        }
        return null;
    }

    /**
     * Whether a join carries exactly the protocols (names, order and metadata) this member has.
     *
     * @param others the protocols of a join.
     * @return true when nothing changed.
     */
    boolean sameProtocols(final List<Protocol> others)
    {
        if (others.size() != protocols.size())
        {
            return false;
        }
        for (int i = 0; i < others.size(); i++)
        {
            if (!protocols.get(i).sameAs(others.get(i)))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * The member's most preferred protocol among candidates.
     *
     * @param candidates protocols every member supports.
     * @return the name, or null.
     */
    String vote(final java.util.Set<String> candidates)
    {
        for (final Protocol protocol : protocols)
        {
            if (candidates.contains(protocol.name))
            {
                return protocol.name;
            }
        }
        return null;
    }
}
