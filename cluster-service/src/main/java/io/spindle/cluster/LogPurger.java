package io.spindle.cluster;

import java.io.File;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.client.ArchiveException;
import io.aeron.archive.client.RecordingDescriptorConsumer;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.RecordingLog;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.security.AuthenticationException;
import io.aeron.security.CredentialsSupplier;
import io.spindle.codecs.protocol.MemberSnapshotHeldEncoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Keeps a member's Raft log recording bounded: the log is purged, whole archive segments at a time, behind the
 * newest snapshot that every member holds.
 * <p>
 * Each member says, through the cluster's log (a {@code MemberSnapshotHeld} request on the cluster's ingress, so that
 * every member learns it at the same point and keeps it in its snapshots), the position of the newest snapshot its
 * consensus module has completed ({@link RecordingLog#getLatestSnapshot}). The lowest of those positions
 * ({@link SpindleClusteredService#purgeableLogPosition()}) is where no member needs the log below: a member restarts
 * from its newest snapshot and replays its own log after it, and a member that was down catches up from the leader's
 * log after its own log's end, which is at or beyond its snapshot. The segment holding that position is kept, so that
 * the log is purged to the base of the segment holding it. A member that never said (it has not joined, or took no
 * snapshot yet) holds the purge back, as does a member that is down: it still holds its older snapshot.
 * <p>
 * Nothing here is part of the replicated state but the announcement itself: the check runs on a daemon thread of its
 * own, every {@code checkIntervalNs}, with its own Aeron client on the member's driver.
 */
final class LogPurger implements Agent, AutoCloseable
{
    /**
     * Property: whether members purge their Raft log behind the snapshots every member holds (default true).
     */
    static final String PURGE_PROP_NAME = "spindle.node.log.purge";

    private static final long ANNOUNCE_RETRY_NS = 5_000_000_000L;
    private static final RecordingDescriptorConsumer NO_DESCRIPTOR =
        (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition, stopPosition,
        initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId, strippedChannel,
        originalChannel, sourceIdentity) -> {};

    private final int memberId;
    private final File clusterDir;
    private final String aeronDirectoryName;
    private final String ingressEndpoints;
    private final String egressHost;
    private final CredentialsSupplier credentials;
    private final SpindleClusteredService service;
    private final Consumer<String> messageLog;
    private final Consumer<Throwable> errorHandler;
    private final UnsafeBuffer message = new UnsafeBuffer(new byte[64]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MemberSnapshotHeldEncoder encoder = new MemberSnapshotHeldEncoder();
    private AgentRunner runner;
    private Aeron aeron;
    private AeronArchive archive;
    private RecordingLog recordingLog;
    private long lastAnnounceNs;
    private long announcedPosition = -1;
    private long nextCorrelationId = 1;
    private String lastFailure;
    private volatile long purgedPosition = -1;
    private volatile long purgedSegments;
    private volatile long announcements;
    private volatile long purgedSnapshots;
    private long highestPurgedSnapshotRecordingId = Aeron.NULL_VALUE;

    LogPurger(
        final int memberId,
        final File clusterDir,
        final String aeronDirectoryName,
        final String ingressEndpoints,
        final String egressHost,
        final CredentialsSupplier credentials,
        final SpindleClusteredService service,
        final Consumer<String> messageLog,
        final Consumer<Throwable> errorHandler)
    {
        this.memberId = memberId;
        this.clusterDir = clusterDir;
        this.aeronDirectoryName = aeronDirectoryName;
        this.ingressEndpoints = ingressEndpoints;
        this.egressHost = egressHost;
        this.credentials = credentials;
        this.service = service;
        this.messageLog = messageLog;
        this.errorHandler = errorHandler;
    }

    /**
     * Start checking on a daemon thread of its own.
     *
     * @param checkIntervalNs between checks.
     * @return this.
     */
    LogPurger start(final long checkIntervalNs)
    {
        runner = new AgentRunner(new SleepingIdleStrategy(checkIntervalNs), this::onError, null, this);
        AgentRunner.startOnThread(runner, (runnable) ->
        {
            final Thread thread = new Thread(runnable, "spindle-member-" + memberId + "-log-purger");
            thread.setDaemon(true);
            return thread;
        });
        return this;
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        if (null == recordingLog)
        {
            if (!new File(clusterDir, RecordingLog.RECORDING_LOG_FILE_NAME).exists())
            {
                return 0;
            }
            recordingLog = new RecordingLog(clusterDir, false);
        }
        recordingLog.reload();
        final RecordingLog.Entry latest = recordingLog.getLatestSnapshot(ConsensusModule.Configuration.SERVICE_ID);
        int work = 0;
        if (null != latest && latest.logPosition > service.heldSnapshotPosition(memberId))
        {
            work += announce(latest.logPosition);
        }

        final long purgeable = service.purgeableLogPosition();
        if (purgeable > purgedPosition && null != latest && purgeable <= latest.logPosition)
        {
            work += purge(purgeable);
        }
        return work;
    }

    private int announce(final long position)
    {
        final long nowNs = System.nanoTime();
        if (position == announcedPosition && nowNs - lastAnnounceNs < ANNOUNCE_RETRY_NS)
        {
            return 0;
        }
        lastAnnounceNs = nowNs;
        announcedPosition = position;
        encoder.wrapAndApplyHeader(message, 0, headerEncoder)
            .correlationId(nextCorrelationId++).memberId(memberId).logPosition(position);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        try (AeronCluster client = AeronCluster.connect(new AeronCluster.Context()
            .aeron(aeron())
            .ownsAeronClient(false)
            .ingressChannel("aeron:udp?term-length=64k")
            .ingressEndpoints(ingressEndpoints)
            .egressChannel("aeron:udp?endpoint=" + egressHost + ":0")
            .credentialsSupplier(credentials)
            .messageTimeoutNs(ANNOUNCE_RETRY_NS)
            .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))))
        {
            final long deadlineNs = nowNs + ANNOUNCE_RETRY_NS;
            long result;
            while ((result = client.offer(message, 0, length)) < 0 && System.nanoTime() - deadlineNs < 0)
            {
                if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result)
                {
                    break;
                }
                client.pollEgress();
                LockSupport.parkNanos(1_000_000L);
            }
            announcements++;
        }
        return 1;
    }

    private int purge(final long purgeable)
    {
        final long recordingId = recordingLog.findLastTermRecordingId();
        if (Aeron.NULL_VALUE == recordingId)
        {
            return 0;
        }
        final AeronArchive archive = archive();
        final long startPosition = archive.getStartPosition(recordingId);
        final int[] lengths = new int[2];
        archive.listRecording(recordingId,
            (controlSessionId, correlationId, id, startTimestamp, stopTimestamp, start, stop, initialTermId,
            segmentFileLength, termBufferLength, mtuLength, sessionId, streamId, strippedChannel, originalChannel,
            sourceIdentity) ->
            {
                lengths[0] = termBufferLength;
                lengths[1] = segmentFileLength;
            });
        final long base = AeronArchive.segmentFileBasePosition(startPosition, purgeable, lengths[0], lengths[1]);
        if (base > startPosition)
        {
            purgedSegments += archive.purgeSegments(recordingId, base);
        }
        purgeOlderSnapshots(archive, purgeable);
        purgedPosition = purgeable;
        lastFailure = null;
        return 1;
    }

    /**
     * A snapshot older than the one every member holds could only be restarted from with the log after it, which is
     * gone: its recordings go too (the recording log keeps their entries; a consensus module restarts from the newest).
     */
    private void purgeOlderSnapshots(final AeronArchive archive, final long purgeable)
    {
        long highest = highestPurgedSnapshotRecordingId;
        for (final RecordingLog.Entry entry : recordingLog.entries())
        {
            if (RecordingLog.ENTRY_TYPE_SNAPSHOT == entry.type && entry.logPosition < purgeable &&
                entry.recordingId > highestPurgedSnapshotRecordingId)
            {
                try
                {
                    if (1 == archive.listRecording(entry.recordingId, NO_DESCRIPTOR))
                    {
                        archive.purgeRecording(entry.recordingId);
                        purgedSnapshots++;
                    }
                }
                catch (final ArchiveException ex)
                {
                    // Purged already (before a restart of this member): nothing left to delete.
                }
                highest = Math.max(highest, entry.recordingId);
            }
        }
        highestPurgedSnapshotRecordingId = highest;
    }

    private Aeron aeron()
    {
        if (null == aeron)
        {
            // Not Aeron's default handler, which exits the JVM should the driver stop before this client closes.
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(aeronDirectoryName)
                .errorHandler((error) -> messageLog.accept("member " + memberId + " log purge client: " + error)));
        }
        return aeron;
    }

    private AeronArchive archive()
    {
        if (null == archive)
        {
            archive = AeronArchive.connect(new AeronArchive.Context()
                .aeron(aeron())
                .ownsAeronClient(false)
                .controlRequestChannel("aeron:ipc?term-length=64k")
                .controlResponseChannel("aeron:ipc?term-length=64k")
                .credentialsSupplier(credentials)
                .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000)));
        }
        return archive;
    }

    /**
     * A failed check (no leader to announce to, an archive busy replaying the segment) is tried again at the next
     * check; it is told once until a check succeeds. A rejected connect (a secret unlike the leader's) is also recorded
     * in the member's error log, each time.
     */
    private void onError(final Throwable error)
    {
        if (error instanceof AuthenticationException)
        {
            errorHandler.accept(new IllegalStateException(
                TierReporter.rejectedMessage("its snapshot announcements (and the Raft log's purge)"), error));
        }
        final String text = String.valueOf(error);
        if (!text.equals(lastFailure))
        {
            lastFailure = text;
            messageLog.accept("member " + memberId + " log purge: " + text);
        }
        CloseHelper.quietClose(archive);
        archive = null;
    }

    /**
     * The log position below which this member purged its Raft log (whole segments below the segment holding it).
     *
     * @return the position, or -1 before the first purge.
     */
    long purgedPosition()
    {
        return purgedPosition;
    }

    /**
     * Segment files of the Raft log this member deleted.
     *
     * @return the count since the member started.
     */
    long purgedSegments()
    {
        return purgedSegments;
    }

    /**
     * Snapshot recordings this member deleted: those older than the snapshot every member holds.
     *
     * @return the count since the member started.
     */
    long purgedSnapshots()
    {
        return purgedSnapshots;
    }

    /**
     * How often this member said which snapshot it holds.
     *
     * @return the count since the member started.
     */
    long announcements()
    {
        return announcements;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-log-purger";
    }

    /**
     * {@inheritDoc}
     */
    public void onClose()
    {
        CloseHelper.quietCloseAll(archive, recordingLog, aeron);
    }

    /**
     * Stop the thread; the clients close on it.
     */
    public void close()
    {
        CloseHelper.quietClose(runner);
    }
}
