/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.nio.file.Path;
import java.util.zip.CRC32C;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.client.ArchiveException;
import io.aeron.security.CredentialsSupplier;
import io.spindle.broker.TopicTable;
import io.spindle.host.TieredStorage;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * A broker's tiered storage on Aeron Archive: the {@link SegmentArchiver} agent and its connection to the archive,
 * either a standalone archive named with {@code --archive HOST:PORT} (over UDP) or, without one, an archive embedded
 * in the broker on its own media driver, in {@code <data-dir>/archive}, started the first time a topic with
 * {@code remote.storage.enable} needs it. The embedded archive is a second copy on the same disk: good for trying the
 * path, not a real tier.
 * <p>
 * The connection is made lazily on the archiver's thread and dropped after a failure, so a restarted archive is
 * reconnected to on the next attempt. The tier's counters ({@link TierCounters}: copies, failures, purges, copy lag,
 * whether the archive answered) are allocated with it, on the broker's or member's driver, and freed by
 * {@link #close()}.
 */
public final class ArchiveTier implements TieredStorage
{
    /**
     * Name of the embedded archive's directory in the broker's data directory.
     */
    public static final String EMBEDDED_DIR = "archive";

    /**
     * Stream id of the recordings of segments in the archive.
     */
    public static final int RECORD_STREAM_ID = TierChannels.RECORD_STREAM_ID;

    static final int TERM_LENGTH = TierConfiguration.TERM_LENGTH.intSize();

    private final Aeron aeron;
    private final Path dataDir;
    private final String archiveEndpoint;
    private final ErrorHandler errorHandler;
    private final TierChannels channels;
    private final SegmentArchiver archiver;
    private final boolean isMemberArchive;
    private final CredentialsSupplier memberCredentials;
    private final TierCoordinator coordinator;
    private final TierCounters counters;
    private ArchiveServer embedded;
    private AeronArchive archive;
    private long nextConnectMs;
    private final CredentialsSupplier tierCredentials;
    private String secretWarning;
    private Consumer<String> statusLog = (line) -> {};
    private boolean isUnreachableSaid;

    private ArchiveTier(
        final Aeron aeron,
        final Supplier<TopicTable> topics,
        final Path dataDir,
        final String host,
        final String archiveEndpoint,
        final int nodeId,
        final ErrorHandler errorHandler,
        final TierCoordinator coordinator,
        final CredentialsSupplier memberCredentials)
    {
        this.isMemberArchive = null != coordinator && null == archiveEndpoint;
        this.memberCredentials = memberCredentials;
        this.coordinator = coordinator;
        this.aeron = aeron;
        this.dataDir = dataDir;
        this.archiveEndpoint = archiveEndpoint;
        this.errorHandler = errorHandler;
        final String localHost = "0.0.0.0".equals(host) ? "localhost" : host;
        this.channels = null == archiveEndpoint ? TierChannels.ipc(TERM_LENGTH) :
            TierChannels.udp(localHost, archiveEndpoint.substring(0, archiveEndpoint.lastIndexOf(':')), TERM_LENGTH);
        this.tierCredentials = null == archiveEndpoint ? null :
            TierAuthenticator.credentials(TierAuthenticator.configuredSecret((line) -> secretWarning = line));
        this.counters = new TierCounters(aeron, nodeId);
        this.archiver = new SegmentArchiver(this, aeron, topics, errorHandler, coordinator, counters);
    }

    /**
     * The tiered storage of a cluster member: its archiver copies the member's sealed segments into the member's own
     * tier, and a {@link TierCoordinator} decides, through the cluster's log, what local retention may delete and what
     * the tier keeps. Without an archive endpoint the tier is the archive the member already runs for its Raft log,
     * reached over IPC on the member's media driver (a second copy on the same disk: not a real tier).
     *
     * @param aeron           the member's client, on the driver its own archive runs on.
     * @param topics          the member's current topic table, readable from any thread.
     * @param host            the member's host, an address an archive on another machine can reach.
     * @param archiveEndpoint a standalone archive's control endpoint {@code host:port}, or null for the member's own.
     * @param memberId        of the member, part of the labels of the tier's counters.
     * @param credentials     what the member presents to its own archive (which admits only members once they share a
     *                        secret).
     * @param coordinator     the member's replicated side of tiered storage.
     * @param errorHandler    for failures the archiver recovers from.
     * @return the tiered storage; run its {@link #agent()} on a thread of its own, close it after.
     */
    public static ArchiveTier forClusterMember(
        final Aeron aeron,
        final Supplier<TopicTable> topics,
        final String host,
        final String archiveEndpoint,
        final int memberId,
        final CredentialsSupplier credentials,
        final TierCoordinator coordinator,
        final ErrorHandler errorHandler)
    {
        checkEndpoint(archiveEndpoint);
        return new ArchiveTier(
            aeron, topics, null, host, archiveEndpoint, memberId, errorHandler, coordinator, credentials);
    }

    /**
     * The factory to give {@link io.spindle.host.StandaloneBroker.Context#tieredStorage}.
     *
     * @param archiveEndpoint the standalone archive's control endpoint {@code host:port}, or null for an embedded
     *                        archive in the broker's data directory.
     * @return the factory.
     */
    public static TieredStorage.Factory factory(final String archiveEndpoint)
    {
        return factory(archiveEndpoint, (line) -> {});
    }

    /**
     * The factory to give {@link io.spindle.host.StandaloneBroker.Context#tieredStorage}, whose tier says on
     * {@code statusLog} when its archive cannot be reached and when it can again ({@link #statusLog}).
     *
     * @param archiveEndpoint the standalone archive's control endpoint {@code host:port}, or null for an embedded
     *                        archive in the broker's data directory.
     * @param statusLog       told those lines, on the archiver's thread (the broker's console).
     * @return the factory.
     */
    public static TieredStorage.Factory factory(final String archiveEndpoint, final Consumer<String> statusLog)
    {
        checkEndpoint(archiveEndpoint);
        return (aeron, topics, dataDir, host, nodeId, errorHandler) ->
            new ArchiveTier(aeron, topics, dataDir, host, archiveEndpoint, nodeId, errorHandler, null, null)
                .statusLog(statusLog);
    }

    /**
     * Where to say, once, that the archive cannot be reached (sealed segments then stay on local disk and reads below
     * the local log fail until it can), and once that it can again: an operator watching the console learns what
     * otherwise only the error log ({@code spindle errors}) holds. Set before the {@link #agent()} runs.
     *
     * @param statusLog told those lines, on the archiver's thread.
     * @return this.
     */
    public ArchiveTier statusLog(final Consumer<String> statusLog)
    {
        this.statusLog = statusLog;
        if (null != secretWarning)
        {
            statusLog.accept("tier: " + secretWarning);
            secretWarning = null;
        }
        return this;
    }

    private static void checkEndpoint(final String archiveEndpoint)
    {
        if (null != archiveEndpoint && archiveEndpoint.lastIndexOf(':') <= 0)
        {
            throw new IllegalArgumentException("--archive must be HOST:PORT, was '" + archiveEndpoint + "'");
        }
    }

    /**
     * {@inheritDoc}
     */
    public Agent agent()
    {
        return archiver;
    }

    /**
     * {@inheritDoc}
     */
    public long observedTableVersion()
    {
        return archiver.observedTableVersion();
    }

    /**
     * Segments copied to the archive since start; archiver thread or after it stopped.
     *
     * @return the count.
     */
    public long copiedSegments()
    {
        return archiver.copiedSegments();
    }

    /**
     * Scans of the topics the archiver has finished since start (those that failed too), for a caller waiting until
     * the archiver has looked at the state as it now is; any thread.
     *
     * @return the count.
     */
    public long completedScans()
    {
        return archiver.completedScans();
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        CloseHelper.closeAll(archive, embedded, counters);
        archive = null;
        embedded = null;
    }

    /**
     * Read one of this member's archived segments back from its tier, blocking the calling thread, on a connection
     * of its own: for a cluster member restoring a snapshot whose active segment local retention has deleted since.
     *
     * @param topicId    of the partition's topic.
     * @param partition  index.
     * @param baseOffset of the segment.
     * @param timeoutMs  how long to wait for the archive.
     * @return the segment's batches, checked against the manifest's length and CRC32C, or null if this member's
     * manifest does not list the segment.
     * @throws IllegalStateException if the archive cannot give it back in time or as the manifest says.
     */
    public byte[] readArchivedSegment(
        final int topicId, final int partition, final long baseOffset, final long timeoutMs)
    {
        final Path directory = coordinator.manifestDirectory(topicId, partition);
        if (!TierManifest.exists(directory))
        {
            return null;
        }
        TierManifest.Entry found = null;
        for (final TierManifest.Entry entry : TierManifest.load(directory).entries())
        {
            if (entry.baseOffset() == baseOffset)
            {
                found = entry;
            }
        }
        if (null == found)
        {
            return null;
        }
        final TierManifest.Entry entry = found;
        final long deadlineMs = System.currentTimeMillis() + timeoutMs;
        final byte[] bytes = new byte[(int)entry.bytes()];
        final int[] received = { 0 };
        try (AeronArchive client = isMemberArchive ? ArchiveServer.connectMember(aeron, memberCredentials) :
            ArchiveServer.connectRemote(aeron, archiveEndpoint, channels.localHost(), tierCredentials);
            Subscription subscription = channels.replay(aeron, client, entry.recordingId(),
                entry.startPosition(), entry.stopPosition() - entry.startPosition()))
        {
            final IdleStrategy idle = new BackoffIdleStrategy();
            while (received[0] < bytes.length)
            {
                final int fragments = subscription.poll((buffer, offset, length, header) ->
                {
                    if (received[0] + length > bytes.length)
                    {
                        throw new IllegalStateException("archived segment " + baseOffset + " is longer than " +
                            bytes.length + " bytes");
                    }
                    buffer.getBytes(offset, bytes, received[0], length);
                    received[0] += length;
                }, 64);
                if (System.currentTimeMillis() > deadlineMs)
                {
                    throw new IllegalStateException("reading archived segment " + baseOffset + " (recording " +
                        entry.recordingId() + ") timed out after " + received[0] + " of " + bytes.length + " bytes");
                }
                idle.idle(fragments);
            }
        }
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length);
        if ((int)crc.getValue() != entry.crc())
        {
            throw new IllegalStateException("archived segment " + baseOffset + " (recording " + entry.recordingId() +
                ") read back with CRC32C " + Integer.toHexString((int)crc.getValue()) + ", its manifest says " +
                Integer.toHexString(entry.crc()));
        }
        return bytes;
    }

    /**
     * The broker's or member's data directory.
     *
     * @return the directory.
     */
    Path dataDir()
    {
        return dataDir;
    }

    TierChannels channels()
    {
        return channels;
    }

    /**
     * The connected archive client, connecting (and starting an embedded archive) if needed; archiver thread.
     *
     * @return the client, or null if the archive cannot be reached now (the failure was reported).
     */
    AeronArchive archive()
    {
        if (null == archive && System.currentTimeMillis() >= nextConnectMs)
        {
            try
            {
                if (isMemberArchive)
                {
                    archive = ArchiveServer.connectMember(aeron, memberCredentials);
                }
                else if (null == archiveEndpoint)
                {
                    if (null == embedded)
                    {
                        // A broker killed a moment ago left its embedded archive's mark file active for a few
                        // seconds; this broker holds the data directory's lock, so that archive is gone: start once
                        // the file is stale instead of failing (and recording an error) until then.
                        final long nowMs = System.currentTimeMillis();
                        final long activeForMs =
                            ArchiveServer.markFileActiveForMs(dataDir.resolve(EMBEDDED_DIR).toFile(), nowMs);
                        if (activeForMs > 0)
                        {
                            nextConnectMs = nowMs + activeForMs;
                            return null;
                        }
                        embedded = ArchiveServer.launchEmbedded(
                            dataDir.resolve(EMBEDDED_DIR), aeron.context().aeronDirectoryName(), errorHandler);
                    }
                    archive = ArchiveServer.connectEmbedded(aeron);
                }
                else
                {
                    archive = ArchiveServer.connectRemote(
                        aeron, archiveEndpoint, channels.localHost(), tierCredentials);
                }
            }
            catch (final RuntimeException ex)
            {
                nextConnectMs = System.currentTimeMillis() + SegmentArchiver.RETRY_BACKOFF_MS;
                counters.archiveReachable(false);
                final String rejection = rejection(ex);
                errorHandler.onError(rejection.isEmpty() ? ex :
                    new IllegalStateException("cannot reach " + describe() + rejection, ex));
                if (!isUnreachableSaid)
                {
                    isUnreachableSaid = true;
                    statusLog.accept("tier: cannot reach " + describe() + " (" + ex.getMessage() + rejection +
                        "): sealed " +
                        "segments stay on local disk and reads below the local log fail until it answers; retrying " +
                        "every " + SegmentArchiver.RETRY_BACKOFF_MS + " ms (details: spindle errors)");
                }
                return null;
            }
            counters.archiveReachable(true);
            if (isUnreachableSaid)
            {
                isUnreachableSaid = false;
                statusLog.accept("tier: reached " + describe() + " again");
            }
        }
        return archive;
    }

    /**
     * Why the archive refused this tier, when it did: a standalone archive with a tier secret rejects a tier presenting
     * none or another.
     */
    private String rejection(final RuntimeException ex)
    {
        if (ex instanceof ArchiveException && ArchiveException.AUTHENTICATION_REJECTED == ((ArchiveException)ex)
            .errorCode())
        {
            return null == tierCredentials ?
                "; the archive admits only holders of its secret and this tier has no spindle.tier.secret.file" :
                "; the archive rejected this tier's spindle.tier.secret.file: it holds another secret";
        }
        return "";
    }

    private String describe()
    {
        return isMemberArchive ? "the member's own archive" : null == archiveEndpoint ?
            "the embedded archive" : "the archive at " + archiveEndpoint;
    }

    /**
     * Drop the connection after a failure that may be the archive's, to reconnect on the next attempt.
     *
     * @param ex the failure.
     */
    void onArchiveFailure(final Throwable ex)
    {
        if (ex instanceof io.aeron.exceptions.AeronException || ex instanceof io.aeron.exceptions.TimeoutException)
        {
            CloseHelper.quietClose(archive);
            archive = null;
        }
    }
}
