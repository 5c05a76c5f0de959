package io.spindle.cluster;

import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import io.aeron.Aeron;
import io.aeron.archive.client.AeronArchive;
import io.aeron.security.CredentialsSupplier;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.BackoffIdleStrategy;

/**
 * A member that starts with no Raft log of its own (a new directory, or one that was wiped) catches up by replaying
 * the whole log from another member's archive: Aeron 1.51's election cannot send it a snapshot. Once the other members
 * have purged their log behind snapshots ({@link LogPurger}), that cannot succeed, and the member would retry its
 * election for ever. This check asks the other members' archives, until the member joins, where their Raft log
 * recording begins; if one begins above 0, the member stops with a message that says how to rebuild it.
 */
final class PurgedLogCheck implements Runnable
{
    private static final long CONNECT_TIMEOUT_NS = 2_000_000_000L;
    private static final long INTERVAL_NS = 500_000_000L;

    /**
     * How long closing the member waits for the check to end (one archive connect at most, once interrupted).
     */
    static final long CLOSE_TIMEOUT_MS = CONNECT_TIMEOUT_NS / 1_000_000L + 1_000L;

    private final int memberId;
    private final List<ClusterNode.Endpoint> members;
    private final String aeronDirectoryName;
    private final int logStreamId;
    private final CredentialsSupplier credentials;
    private final BooleanSupplier isClosed;
    private final BooleanSupplier hasJoined;
    private final Consumer<Throwable> onPurged;
    private final ErrorHandler clientErrorHandler;

    /**
     * A check for a member that starts with no Raft log.
     *
     * @param memberId           of the member.
     * @param members            every member's client endpoint; archive control is on {@code PORT+3}.
     * @param aeronDirectoryName of the member's running media driver.
     * @param logStreamId        of the cluster's log.
     * @param credentials        what the member presents to the others' archives (theirs once they share a secret).
     * @param isClosed           whether the member closed (the check ends).
     * @param hasJoined          whether the member joined the cluster (it caught up: the check ends).
     * @param onPurged           told why the member cannot rejoin; it closes the member.
     * @param clientErrorHandler for errors of the check's Aeron client (never Aeron's default, which exits the JVM
     *                           when the driver stops first).
     */
    PurgedLogCheck(
        final int memberId,
        final List<ClusterNode.Endpoint> members,
        final String aeronDirectoryName,
        final int logStreamId,
        final CredentialsSupplier credentials,
        final BooleanSupplier isClosed,
        final BooleanSupplier hasJoined,
        final Consumer<Throwable> onPurged,
        final ErrorHandler clientErrorHandler)
    {
        this.memberId = memberId;
        this.members = members;
        this.aeronDirectoryName = aeronDirectoryName;
        this.logStreamId = logStreamId;
        this.credentials = credentials;
        this.isClosed = isClosed;
        this.hasJoined = hasJoined;
        this.onPurged = onPurged;
        this.clientErrorHandler = clientErrorHandler;
    }

    /**
     * Ask every other member in turn until the member joins or closes, or one's log begins above 0.
     */
    public void run()
    {
        // One client for the whole check, closed before the member closes its driver (it joins this thread).
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(aeronDirectoryName)
            .errorHandler(clientErrorHandler)))
        {
            check(aeron);
        }
        catch (final RuntimeException ex)
        {
            if (!isClosed.getAsBoolean())
            {
                clientErrorHandler.onError(ex);
            }
        }
    }

    private void check(final Aeron aeron)
    {
        while (!isClosed.getAsBoolean() && !hasJoined.getAsBoolean() && !Thread.currentThread().isInterrupted())
        {
            for (int peer = 0; peer < members.size(); peer++)
            {
                if (peer == memberId || isClosed.getAsBoolean() || hasJoined.getAsBoolean())
                {
                    continue;
                }
                final long start = logStartPosition(aeron, peer);
                if (start > 0)
                {
                    onPurged.accept(new MemberStoppedError("member " + memberId + " cannot rejoin the cluster: it " +
                        "started with no Raft log of its own (an empty or wiped directory), and member " + peer +
                        "'s Raft log now begins at position " + start + ", purged behind the snapshots every " +
                        "member held (spindle.node.log.purge). Aeron 1.51 cannot send a snapshot to a member, so " +
                        "this one cannot catch up by replaying the log: rebuild it from a running member (spindle " +
                        "node ... --rebuild-from-member " + peer + ") or from a copy of a stopped member's " +
                        "directory (--rebuild-from DIR), see the README", null));
                    return;
                }
            }
            LockSupport.parkNanos(INTERVAL_NS);
        }
    }

    /**
     * Where a member's newest Raft log recording begins.
     *
     * @param aeron the check's client.
     * @param peer  the member asked.
     * @return the start position, or -1 when the member's archive did not answer or holds no log.
     */
    private long logStartPosition(final Aeron aeron, final int peer)
    {
        final ClusterNode.Endpoint self = members.get(memberId);
        final ClusterNode.Endpoint other = members.get(peer);
        final long[] newest = { -1, -1 };
        try (AeronArchive archive = AeronArchive.connect(new AeronArchive.Context()
            .aeron(aeron)
            .ownsAeronClient(false)
            .controlRequestChannel("aeron:udp?endpoint=" + other.host() + ":" + (other.port() + 3))
            .controlResponseChannel("aeron:udp?endpoint=" + self.host() + ":0")
            .messageTimeoutNs(CONNECT_TIMEOUT_NS)
            .credentialsSupplier(credentials)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))))
        {
            archive.listRecordingsForUri(0, Integer.MAX_VALUE, "", logStreamId,
                (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
                stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId,
                strippedChannel, originalChannel, sourceIdentity) ->
                {
                    if (recordingId > newest[0])
                    {
                        newest[0] = recordingId;
                        newest[1] = startPosition;
                    }
                });
        }
        catch (final RuntimeException ex)
        {
            // Not reachable now (down, or starting): asked again at the next round.
            return -1;
        }
        return newest[1];
    }
}
