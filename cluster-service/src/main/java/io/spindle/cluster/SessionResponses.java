package io.spindle.cluster;

import java.nio.ByteOrder;
import java.util.Arrays;

import io.spindle.codecs.protocol.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * What makes a request resent after a leader change apply once: per cluster session, the correlation ids of the last
 * {@link #APPLIED_PER_SESSION} requests applied and the last {@link #RESPONSES_PER_SESSION} responses sent to it.
 * <p>
 * A client resends only what was unanswered when the leader changed, so a repeat follows its original by at most the
 * requests the client had in flight: far fewer than the ids kept (clients need not send ids in increasing order; a
 * producer holds back a partition's batch while others go ahead). A repeat is answered again from here when its
 * response is still kept, and otherwise dropped (its answer is still to come, as for a join waiting on a rebalance).
 * This is part of the replicated state: every member keeps the same entries, in its snapshot too, and forgets a
 * session when the cluster closes it.
 * <p>
 * <b>Threading:</b> the service thread only.
 */
final class SessionResponses
{
    /**
     * Responses kept per session: more than a producer's default requests in flight.
     */
    static final int RESPONSES_PER_SESSION = 16;

    /**
     * Correlation ids of applied requests kept per session: a repeat further back than this would be applied again.
     */
    static final int APPLIED_PER_SESSION = 256;

    private static final int CORRELATION_ID_OFFSET = MessageHeaderDecoder.ENCODED_LENGTH;

    private final Long2ObjectHashMap<Session> sessions = new Long2ObjectHashMap<>();
    private long duplicatesAnswered;
    private long duplicatesDropped;

    /**
     * Whether a request was applied already on its session; if so its kept response, if any, is given to the sender.
     *
     * @param sessionId     of the cluster session.
     * @param correlationId of the request.
     * @param resender      sends a kept response again.
     * @return true for a request seen before, which must not be applied again.
     */
    boolean isDuplicate(final long sessionId, final long correlationId, final Resender resender)
    {
        final Session session = sessions.get(sessionId);
        if (null == session || !session.wasApplied(correlationId))
        {
            return false;
        }
        final int index = session.find(correlationId);
        if (index >= 0)
        {
            duplicatesAnswered++;
            resender.resend(sessionId, session.responses[index], 0, session.lengths[index]);
        }
        else
        {
            duplicatesDropped++;
        }
        return true;
    }

    /**
     * A request is about to be applied.
     *
     * @param sessionId     of the cluster session.
     * @param correlationId of the request.
     */
    void onApply(final long sessionId, final long correlationId)
    {
        Session session = sessions.get(sessionId);
        if (null == session)
        {
            session = new Session();
            sessions.put(sessionId, session);
        }
        session.applied(correlationId);
    }

    /**
     * A response went to a session: keep it, in place of the oldest kept.
     *
     * @param sessionId of the cluster session.
     * @param buffer    holding the response, at its message header.
     * @param offset    of the response.
     * @param length    of the response.
     */
    void onResponse(final long sessionId, final DirectBuffer buffer, final int offset, final int length)
    {
        final Session session = sessions.get(sessionId);
        if (null == session || length < CORRELATION_ID_OFFSET + Long.BYTES)
        {
            return;
        }
        session.keep(buffer.getLong(offset + CORRELATION_ID_OFFSET, ByteOrder.LITTLE_ENDIAN), buffer, offset, length);
    }

    /**
     * The cluster closed a session.
     *
     * @param sessionId of the session.
     */
    void onSessionClosed(final long sessionId)
    {
        sessions.remove(sessionId);
    }

    /**
     * Requests applied already that were answered again.
     *
     * @return the count since start.
     */
    long duplicatesAnswered()
    {
        return duplicatesAnswered;
    }

    /**
     * Requests applied already whose response was no longer kept (or not yet sent).
     *
     * @return the count since start.
     */
    long duplicatesDropped()
    {
        return duplicatesDropped;
    }

    /**
     * Write every session, in session id order, after a given offset.
     *
     * @param buffer to write to.
     * @param offset where to begin.
     * @return the offset after the last byte written.
     */
    int snapshot(final MutableDirectBuffer buffer, final int offset)
    {
        final long[] ids = new long[sessions.size()];
        int count = 0;
        for (final Long2ObjectHashMap<Session>.KeyIterator it = sessions.keySet().iterator(); it.hasNext(); )
        {
            ids[count++] = it.nextLong();
        }
        // The map's iteration order depends on its resize history: sort, so every member writes the same bytes.
        Arrays.sort(ids);
        int position = offset;
        buffer.putInt(position, count);
        position += Integer.BYTES;
        for (final long id : ids)
        {
            final Session session = sessions.get(id);
            buffer.putLong(position, id);
            buffer.putInt(position + 8, session.appliedCount);
            position += 12;
            for (int i = 0; i < session.appliedCount; i++)
            {
                final int index = (session.nextApplied - session.appliedCount + i + APPLIED_PER_SESSION) %
                    APPLIED_PER_SESSION;
                buffer.putLong(position, session.appliedIds[index]);
                position += Long.BYTES;
            }
            final int kept = session.count;
            buffer.putInt(position, kept);
            position += Integer.BYTES;
            for (int i = 0; i < kept; i++)
            {
                // Oldest first, so that a restore keeps the same order of replacement.
                final int index = (session.next - kept + i + RESPONSES_PER_SESSION) % RESPONSES_PER_SESSION;
                final int length = session.lengths[index];
                buffer.putInt(position, length);
                buffer.putBytes(position + Integer.BYTES, session.responses[index], 0, length);
                position += Integer.BYTES + length;
            }
        }
        return position;
    }

    /**
     * Replace every session with those a snapshot holds.
     *
     * @param buffer holding the snapshot.
     * @param offset where {@link #snapshot} began writing.
     * @param end    the end of what it wrote.
     */
    void restore(final DirectBuffer buffer, final int offset, final int end)
    {
        sessions.clear();
        int position = offset;
        final int count = buffer.getInt(position);
        position += Integer.BYTES;
        for (int s = 0; s < count; s++)
        {
            final Session session = new Session();
            final long id = buffer.getLong(position);
            final int applied = buffer.getInt(position + 8);
            position += 12;
            for (int i = 0; i < applied; i++)
            {
                session.applied(buffer.getLong(position));
                position += Long.BYTES;
            }
            final int kept = buffer.getInt(position);
            position += Integer.BYTES;
            for (int i = 0; i < kept; i++)
            {
                final int length = buffer.getInt(position);
                final long correlationId = buffer.getLong(
                    position + Integer.BYTES + CORRELATION_ID_OFFSET, ByteOrder.LITTLE_ENDIAN);
                session.keep(correlationId, buffer, position + Integer.BYTES, length);
                position += Integer.BYTES + length;
            }
            sessions.put(id, session);
        }
        if (position != end)
        {
            throw new IllegalStateException("session responses in the snapshot end at " + position + ", not " + end);
        }
    }

    /**
     * Sends a kept response again.
     */
    @FunctionalInterface
    interface Resender
    {
        /**
         * Send a response to a session.
         *
         * @param sessionId of the session.
         * @param buffer    holding the response.
         * @param offset    of the response.
         * @param length    of the response.
         */
        void resend(long sessionId, DirectBuffer buffer, int offset, int length);
    }

    private static final class Session
    {
        private final long[] correlationIds = new long[RESPONSES_PER_SESSION];
        private final int[] lengths = new int[RESPONSES_PER_SESSION];
        private final ExpandableArrayBuffer[] responses = new ExpandableArrayBuffer[RESPONSES_PER_SESSION];
        private final long[] appliedIds = new long[APPLIED_PER_SESSION];
        private int nextApplied;
        private int appliedCount;
        private int next;
        private int count;

        private void applied(final long correlationId)
        {
            appliedIds[nextApplied] = correlationId;
            nextApplied = (nextApplied + 1) % APPLIED_PER_SESSION;
            appliedCount = Math.min(APPLIED_PER_SESSION, appliedCount + 1);
        }

        private boolean wasApplied(final long correlationId)
        {
            for (int i = 0; i < appliedCount; i++)
            {
                if (appliedIds[(nextApplied - 1 - i + APPLIED_PER_SESSION) % APPLIED_PER_SESSION] == correlationId)
                {
                    return true;
                }
            }
            return false;
        }

        private void keep(final long correlationId, final DirectBuffer buffer, final int offset, final int length)
        {
            ExpandableArrayBuffer copy = responses[next];
            if (null == copy)
            {
                copy = new ExpandableArrayBuffer(Math.max(64, length));
                responses[next] = copy;
            }
            copy.putBytes(0, buffer, offset, length);
            correlationIds[next] = correlationId;
            lengths[next] = length;
            next = (next + 1) % RESPONSES_PER_SESSION;
            count = Math.min(RESPONSES_PER_SESSION, count + 1);
        }

        private int find(final long correlationId)
        {
            for (int i = 0; i < count; i++)
            {
                final int index = (next - 1 - i + RESPONSES_PER_SESSION) % RESPONSES_PER_SESSION;
                if (correlationIds[index] == correlationId)
                {
                    return index;
                }
            }
            return -1;
        }
    }
}
