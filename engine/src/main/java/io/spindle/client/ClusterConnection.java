package io.spindle.client;

import java.nio.ByteOrder;
import java.util.concurrent.locks.LockSupport;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.codecs.EventCode;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.aeron.security.AuthenticationException;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.ProduceRequestDecoder;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * A client's session with a Spindle cluster: requests go through the cluster's ingress to the leader, responses come
 * back on the session's egress, and the session outlives leader changes.
 * <p>
 * Aeron Cluster never resends: a request the old leader took but did not commit is gone, and one it committed may
 * never be answered. So every request that expects an answer is kept until it is answered, and when a new leader is
 * elected every unanswered request is sent again, in the order first sent, before anything new. The cluster applies
 * each request once per session (it remembers the session's last correlation id and answers a repeat with the
 * response it gave), and a second answer to a request is dropped here, so the client sees one answer per request.
 * A session the cluster closed (no leader within the new-leader timeout, a session timeout) is not opened again
 * here: the owner opens a new one, and what was unanswered on the old one is in doubt.
 * <p>
 * <b>Threading:</b> owned by the thread of the client that made it.
 */
final class ClusterConnection implements BrokerConnection, EgressListener
{
    private static final long KEEP_ALIVE_INTERVAL_NS = 1_000_000_000L;
    private static final long FIRST_CONNECT_ATTEMPT_NS = 1_000_000_000L;
    private static final long MIN_CONNECT_ATTEMPT_NS = 100_000_000L;
    private static final long PAUSE_BETWEEN_CONNECT_ATTEMPTS_NS = 10_000_000L;
    private static final int ENTRY_HEADER_LENGTH = 16;
    private static final int CORRELATION_ID_OFFSET = MessageHeaderDecoder.ENCODED_LENGTH;

    private final AeronCluster cluster;
    private final int maxRequestLength;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ProduceRequestDecoder produceDecoder = new ProduceRequestDecoder();
    private final ExpandableArrayBuffer unanswered = new ExpandableArrayBuffer(64 * 1024);
    private int head;
    private int tail;
    private int resendPosition = -1;
    private FragmentHandler delegate;
    private String closedReason;
    private String lastEvent = "";
    private long lastSendNs;
    private long leadershipTermId;
    private int leaderMemberId;

    /**
     * Open a session with the cluster, waiting until the leader answers or the timeout passes.
     *
     * @param aeron            client of the local media driver.
     * @param ingressEndpoints every member's ingress, {@code ID=HOST:PORT,...}.
     * @param ingressChannel   the channel to publish requests on, its term sized for the longest request.
     * @param egressHost       the local address the cluster should answer to.
     * @param maxRequestLength the longest request the cluster's log carries, or 0.
     * @param timeoutMs        how long opening the session may take.
     * @param idleStrategy     used while connecting.
     * @throws SpindleException when no leader answers in time.
     */
    ClusterConnection(
        final Aeron aeron,
        final String ingressEndpoints,
        final String ingressChannel,
        final String egressHost,
        final int maxRequestLength,
        final long timeoutMs,
        final IdleStrategy idleStrategy)
    {
        this.maxRequestLength = maxRequestLength;
        // Connect attempts of a second, doubling, until the timeout: a member that still takes a dead leader for the
        // leader redirects a connect to it, and an attempt waits on that leader until it times out; the next attempt
        // asks every member again, by then electing or led by a new leader. One attempt of the whole timeout would
        // wait it out on the dead leader. A rejected authentication is not retried.
        final long timeoutNs = Math.max(1, timeoutMs) * 1_000_000L;
        final long deadlineNs = System.nanoTime() + timeoutNs;
        long sliceNs = FIRST_CONNECT_ATTEMPT_NS;
        AeronCluster connected = null;
        while (null == connected)
        {
            final long budgetNs = Math.min(Math.max(deadlineNs - System.nanoTime(), MIN_CONNECT_ATTEMPT_NS), sliceNs);
            sliceNs = Math.min(sliceNs * 2, timeoutNs);
            final AeronCluster.Context ctx = new AeronCluster.Context()
                .aeron(aeron)
                .ownsAeronClient(false)
                .aeronDirectoryName(aeron.context().aeronDirectoryName())
                .ingressChannel(ingressChannel)
                .ingressEndpoints(ingressEndpoints)
                .isIngressExclusive(true)
                .egressChannel("aeron:udp?endpoint=" + egressHost + ":0")
                .egressListener(this)
                .idleStrategy(idleStrategy)
                .messageTimeoutNs(budgetNs);
            // The new-leader timeout is left to Aeron, which sets it to twice the cluster's leader heartbeat timeout:
            // a failover takes about that timeout and more, so anything shorter would end the session during one.
            try
            {
                connected = AeronCluster.connect(ctx);
            }
            catch (final AuthenticationException ex)
            {
                throw new SpindleException(ErrorCode.NETWORK_EXCEPTION,
                    "the cluster at " + ingressEndpoints + " refused the session: " + ex.getMessage());
            }
            catch (final RuntimeException ex)
            {
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    throw new SpindleException(ErrorCode.NETWORK_EXCEPTION,
                        "no cluster leader answered at " + ingressEndpoints + " within " + timeoutMs + " ms: " +
                            ex.getMessage());
                }
                LockSupport.parkNanos(PAUSE_BETWEEN_CONNECT_ATTEMPTS_NS);
            }
        }
        cluster = connected;
        // After the connect, Aeron's message timeout bounds connecting to a new leader's ingress: the whole timeout.
        cluster.context().messageTimeoutNs(timeoutNs);
        leaderMemberId = cluster.leaderMemberId();
        leadershipTermId = cluster.leadershipTermId();
        lastSendNs = System.nanoTime();
    }

    /**
     * {@inheritDoc}
     */
    public long offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (!isConnected())
        {
            return Publication.CLOSED;
        }
        if (resendPosition >= 0)
        {
            final long resent = resend();
            if (resent < 0)
            {
                return resent;
            }
        }

        final long result = cluster.offer(buffer, offset, length);
        if (result > 0)
        {
            lastSendNs = System.nanoTime();
            if (expectsAnswer(buffer, offset, length))
            {
                keep(buffer, offset, length);
            }
        }
        else if (cluster.isClosed())
        {
            onClosed();
            return Publication.CLOSED;
        }
        else if (Publication.CLOSED == result)
        {
            // The ingress publication to a leader that went away is closed while the session waits for a new
            // leader: the session lives on, so the request is to be offered again, not failed.
            return Publication.NOT_CONNECTED;
        }

        return result;
    }

    /**
     * {@inheritDoc}
     */
    public int poll(final FragmentHandler handler, final int limit)
    {
        delegate = handler;
        if (cluster.isClosed())
        {
            onClosed();
            return 0;
        }
        final int work = cluster.pollEgress();
        if (cluster.isClosed())
        {
            onClosed();
        }

        return work;
    }

    /**
     * {@inheritDoc}
     */
    public int doHousekeeping(final long nowNs)
    {
        if (!isConnected())
        {
            return 0;
        }
        if (cluster.isClosed())
        {
            onClosed();
            return 1;
        }
        int work = 0;
        if (resendPosition >= 0 && resend() > 0)
        {
            work++;
        }
        if (nowNs - lastSendNs > KEEP_ALIVE_INTERVAL_NS)
        {
            cluster.sendKeepAlive();
            lastSendNs = nowNs;
            work++;
        }

        return work;
    }

    /**
     * {@inheritDoc}
     */
    public boolean isConnected()
    {
        return null == closedReason;
    }

    /**
     * {@inheritDoc}
     */
    public String closedReason()
    {
        return closedReason;
    }

    /**
     * {@inheritDoc}
     */
    public int maxRequestLength()
    {
        return maxRequestLength;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        if (null == closedReason)
        {
            closedReason = "closed";
        }
        CloseHelper.quietClose(cluster);
    }

    /**
     * {@inheritDoc}
     */
    public void onMessage(
        final long clusterSessionId,
        final long timestamp,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final Header header)
    {
        if (length < CORRELATION_ID_OFFSET + Long.BYTES)
        {
            return;
        }
        final long correlationId = buffer.getLong(offset + CORRELATION_ID_OFFSET, ByteOrder.LITTLE_ENDIAN);
        // A request sent again after a leader change can be answered twice; the client sees the first answer only.
        if ((answer(correlationId) || -1 == correlationId) && null != delegate)
        {
            delegate.onFragment(buffer, offset, length, header);
        }
    }

    /**
     * {@inheritDoc}
     */
    public void onSessionEvent(
        final long correlationId,
        final long clusterSessionId,
        final long leadershipTermId,
        final int leaderMemberId,
        final EventCode code,
        final String detail)
    {
        lastEvent = code + (null == detail || detail.isEmpty() ? "" : " " + detail);
    }

    /**
     * {@inheritDoc}
     */
    public void onNewLeader(
        final long clusterSessionId,
        final long leadershipTermId,
        final int leaderMemberId,
        final String ingressEndpoints)
    {
        this.leadershipTermId = leadershipTermId;
        this.leaderMemberId = leaderMemberId;
        resendPosition = head < tail ? head : -1;
    }

    private void onClosed()
    {
        if (null == closedReason)
        {
            closedReason = "cluster session closed" + (lastEvent.isEmpty() ? "" : " (" + lastEvent + ")") +
                " after leader " + leaderMemberId + " of term " + leadershipTermId;
        }
    }

    private boolean expectsAnswer(final DirectBuffer buffer, final int offset, final int length)
    {
        headerDecoder.wrap(buffer, offset);
        if (ProduceRequestDecoder.TEMPLATE_ID == headerDecoder.templateId())
        {
            produceDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
            return 0 != produceDecoder.acks();
        }

        return length >= CORRELATION_ID_OFFSET + Long.BYTES;
    }

    /**
     * Keep a copy of a sent request until it is answered: {@code [correlationId][length][answered]} and the bytes,
     * appended at the tail of one buffer, released from the head as answers arrive (in order, nearly always).
     */
    private void keep(final DirectBuffer buffer, final int offset, final int length)
    {
        final int entryLength = BitUtil.align(ENTRY_HEADER_LENGTH + length, Long.BYTES);
        if (head > 0 && tail + entryLength > unanswered.capacity())
        {
            unanswered.putBytes(0, unanswered, head, tail - head);
            tail -= head;
            resendPosition = resendPosition >= 0 ? resendPosition - head : -1;
            head = 0;
        }
        unanswered.putLong(tail, buffer.getLong(offset + CORRELATION_ID_OFFSET, ByteOrder.LITTLE_ENDIAN));
        unanswered.putInt(tail + 8, length);
        unanswered.putInt(tail + 12, 0);
        unanswered.putBytes(tail + ENTRY_HEADER_LENGTH, buffer, offset, length);
        tail += entryLength;
    }

    private boolean answer(final long correlationId)
    {
        boolean found = false;
        for (int position = head; position < tail; position += entryLength(position))
        {
            if (unanswered.getLong(position) == correlationId && 0 == unanswered.getInt(position + 12))
            {
                unanswered.putInt(position + 12, 1);
                found = true;
                break;
            }
        }
        while (head < tail && 0 != unanswered.getInt(head + 12))
        {
            head += entryLength(head);
        }
        if (head == tail)
        {
            head = 0;
            tail = 0;
            resendPosition = -1;
        }
        else if (resendPosition >= 0 && resendPosition < head)
        {
            resendPosition = head;
        }

        return found;
    }

    private long resend()
    {
        while (resendPosition >= 0 && resendPosition < tail)
        {
            if (0 == unanswered.getInt(resendPosition + 12))
            {
                final long result = cluster.offer(
                    unanswered, resendPosition + ENTRY_HEADER_LENGTH, unanswered.getInt(resendPosition + 8));
                if (result < 0)
                {
                    if (cluster.isClosed())
                    {
                        onClosed();
                        return Publication.CLOSED;
                    }
                    return Publication.NOT_CONNECTED == result ? result : Publication.BACK_PRESSURED;
                }
                lastSendNs = System.nanoTime();
            }
            resendPosition += entryLength(resendPosition);
        }
        resendPosition = -1;

        return 1;
    }

    private int entryLength(final int position)
    {
        return BitUtil.align(ENTRY_HEADER_LENGTH + unanswered.getInt(position + 8), Long.BYTES);
    }
}
