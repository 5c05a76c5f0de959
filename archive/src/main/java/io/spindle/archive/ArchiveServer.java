/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.io.File;
import java.nio.file.Path;

import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveMarkFile;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.ArchivingMediaDriver;
import io.aeron.archive.client.AeronArchive;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.security.CredentialsSupplier;
import io.aeron.security.NullCredentialsSupplier;
import io.spindle.host.FreePorts;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;

/**
 * An Aeron Archive holding the archive tier of Spindle's tiered storage: either standalone, with a media driver
 * of its own and its control channel on a UDP endpoint ({@code spindle archive}), or embedded in a broker, on the
 * broker's media driver and reached over IPC only.
 * <p>
 * Both run the archive's agents on one thread ({@link ArchiveThreadingMode#SHARED}) and the driver's on one more,
 * all with back-off idle strategies, so an idle archive costs next to no CPU. Recording files are
 * {@link #SEGMENT_FILE_LENGTH} long (system property {@code spindle.archive.segment.file.length}, default 16m), sparse,
 * one recording per log segment.
 */
public final class ArchiveServer implements AutoCloseable
{
    /**
     * Length of the archive's recording files: a power of two, at least the recorded stream's term length.
     */
    public static final int SEGMENT_FILE_LENGTH = TierConfiguration.SEGMENT_FILE_LENGTH.intSize();

    /**
     * How long a broker waits for its archive to answer a control request: system property
     * {@code spindle.tier.message.timeout}, default 5s.
     */
    public static final long MESSAGE_TIMEOUT_NS = TierConfiguration.MESSAGE_TIMEOUT.duration();

    /**
     * How long after its last activity timestamp an archive's mark file is stale, so that a new archive may start in
     * its directory: Aeron Archive's liveness timeout (10 updates of 1 s) with a margin.
     */
    public static final long MARK_FILE_STALE_AFTER_MS = 11_000;

    private final ArchivingMediaDriver standalone;
    private final Archive embedded;
    private final String host;
    private final int port;

    private ArchiveServer(
        final ArchivingMediaDriver standalone, final Archive embedded, final String host, final int port)
    {
        this.standalone = standalone;
        this.embedded = embedded;
        this.host = host;
        this.port = port;
    }

    /**
     * Start a standalone archive with its own media driver, answering anyone.
     *
     * @param archiveDir   where recordings and the catalog live; created if missing.
     * @param aeronDir     the media driver's directory (deleted on start and on close).
     * @param host         of the control endpoint, an address brokers can reach.
     * @param port         of the control endpoint; 0 picks a free one.
     * @param errorHandler for errors of the archive's and the driver's agents.
     * @return the running archive.
     */
    public static ArchiveServer launch(
        final Path archiveDir, final String aeronDir, final String host, final int port,
        final ErrorHandler errorHandler)
    {
        return launch(archiveDir, aeronDir, host, port, null, errorHandler);
    }

    /**
     * Start a standalone archive with its own media driver, admitting only clients presenting {@code secret}
     * ({@link TierAuthenticator}) when there is one.
     *
     * @param archiveDir   where recordings and the catalog live; created if missing.
     * @param aeronDir     the media driver's directory (deleted on start and on close).
     * @param host         of the control endpoint, an address brokers can reach.
     * @param port         of the control endpoint; 0 picks a free one.
     * @param secret       the tier secret clients must present, or null to answer anyone.
     * @param errorHandler for errors of the archive's and the driver's agents, and for rejected sessions.
     * @return the running archive.
     */
    public static ArchiveServer launch(
        final Path archiveDir, final String aeronDir, final String host, final int port, final byte[] secret,
        final ErrorHandler errorHandler)
    {
        final int controlPort = 0 == port ? FreePorts.range(host, 1) : port;
        final MediaDriver.Context driverCtx = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .spiesSimulateConnection(true)
            .errorHandler(notClosed(errorHandler));
        final Archive.Context archiveCtx = archiveContext(archiveDir, host, errorHandler)
            .aeronDirectoryName(aeronDir)
            .controlChannel("aeron:udp?endpoint=" + host + ":" + controlPort);
        if (null != secret)
        {
            final ErrorHandler rejections = notClosed(errorHandler);
            archiveCtx.authenticatorSupplier(() -> new TierAuthenticator(secret, rejections));
        }
        return new ArchiveServer(ArchivingMediaDriver.launch(driverCtx, archiveCtx), null, host, controlPort);
    }

    /**
     * Start an archive on a running media driver, reachable only over IPC from that driver's clients
     * ({@link #connectEmbedded(io.aeron.Aeron)}).
     *
     * @param archiveDir   where recordings and the catalog live; created if missing.
     * @param aeronDir     of the running media driver.
     * @param errorHandler for errors of the archive's agents.
     * @return the running archive.
     */
    public static ArchiveServer launchEmbedded(
        final Path archiveDir, final String aeronDir, final ErrorHandler errorHandler)
    {
        final Archive.Context archiveCtx = archiveContext(archiveDir, "localhost", errorHandler)
            .aeronDirectoryName(aeronDir)
            .controlChannelEnabled(false)
            .archiveClientContext(new AeronArchive.Context().controlResponseChannel("aeron:ipc")
                .errorHandler(notClosed(errorHandler)));
        return new ArchiveServer(null, Archive.launch(archiveCtx), null, 0);
    }

    /**
     * A connection to an embedded archive, over IPC.
     *
     * @param aeron a client of the archive's media driver.
     * @return the connected archive client.
     */
    public static AeronArchive connectEmbedded(final io.aeron.Aeron aeron)
    {
        return AeronArchive.connect(new AeronArchive.Context()
            .aeron(aeron)
            .ownsAeronClient(false)
            .messageTimeoutNs(MESSAGE_TIMEOUT_NS)
            .controlRequestChannel("aeron:ipc")
            .controlResponseChannel("aeron:ipc"));
    }

    /**
     * A connection to the archive a cluster member runs for its Raft log, over IPC on the member's media driver (its
     * local control channel, {@code aeron:ipc?term-length=64k}, on the default local control stream).
     *
     * @param aeron       a client of the member's media driver.
     * @param credentials what the member presents (its archive admits only members once they share a secret).
     * @return the connected archive client.
     */
    public static AeronArchive connectMember(final io.aeron.Aeron aeron, final CredentialsSupplier credentials)
    {
        return AeronArchive.connect(new AeronArchive.Context()
            .aeron(aeron)
            .ownsAeronClient(false)
            .messageTimeoutNs(MESSAGE_TIMEOUT_NS)
            .credentialsSupplier(credentials)
            .controlRequestChannel("aeron:ipc?term-length=64k")
            .controlResponseChannel("aeron:ipc?term-length=64k"));
    }

    /**
     * A connection to a standalone archive, over UDP, presenting the tier secret when
     * {@link TierConfiguration#SECRET_FILE} names one (read now).
     *
     * @param aeron     the broker's client.
     * @param endpoint  the archive's control endpoint, {@code host:port}.
     * @param localHost an address of this machine the archive can answer to.
     * @return the connected archive client.
     * @throws IllegalArgumentException when the secret file is set but invalid.
     */
    public static AeronArchive connectRemote(final io.aeron.Aeron aeron, final String endpoint, final String localHost)
    {
        return connectRemote(aeron, endpoint, localHost,
            TierAuthenticator.credentials(TierAuthenticator.configuredSecret((line) -> {})));
    }

    /**
     * A connection to a standalone archive, over UDP.
     *
     * @param aeron       the broker's client.
     * @param endpoint    the archive's control endpoint, {@code host:port}.
     * @param localHost   an address of this machine the archive can answer to.
     * @param credentials what to present ({@link TierAuthenticator#credentials(byte[])}), or null for nothing.
     * @return the connected archive client.
     */
    public static AeronArchive connectRemote(
        final io.aeron.Aeron aeron, final String endpoint, final String localHost,
        final CredentialsSupplier credentials)
    {
        return AeronArchive.connect(new AeronArchive.Context()
            .aeron(aeron)
            .ownsAeronClient(false)
            .messageTimeoutNs(MESSAGE_TIMEOUT_NS)
            .credentialsSupplier(null == credentials ? new NullCredentialsSupplier() : credentials)
            .controlRequestChannel("aeron:udp?endpoint=" + endpoint)
            .controlResponseChannel("aeron:udp?endpoint=" + localHost + ":0"));
    }

    /**
     * The control endpoint of a standalone archive.
     *
     * @return {@code host:port}, or null for an embedded archive.
     */
    public String controlEndpoint()
    {
        return null == standalone ? null : host + ":" + port;
    }

    /**
     * The control port of a standalone archive, the one to launch it on again to keep its clients' endpoint.
     *
     * @return the port, or 0 for an embedded archive.
     */
    public int controlPort()
    {
        return null == standalone ? 0 : port;
    }

    /**
     * The archive's context.
     *
     * @return the context.
     */
    public Archive.Context archiveContext()
    {
        return null != standalone ? standalone.archive().context() : embedded.context();
    }

    /**
     * Stop the archive and, for a standalone one, its media driver.
     */
    public void close()
    {
        CloseHelper.closeAll(standalone, embedded);
    }

    private static Archive.Context archiveContext(final Path archiveDir, final String host, final ErrorHandler handler)
    {
        return new Archive.Context()
            .archiveDir(archiveDir.toFile())
            .replicationChannel("aeron:udp?endpoint=" + host + ":0")
            .recordingEventsEnabled(false)
            .threadingMode(ArchiveThreadingMode.SHARED)
            .idleStrategySupplier(BackoffIdleStrategy::new)
            .segmentFileLength(SEGMENT_FILE_LENGTH)
            .deleteArchiveOnStart(false)
            .errorHandler(notClosed(handler));
    }

    /**
     * The handler as one Aeron's contexts do not close: an archive's or a driver's context closes an
     * {@link AutoCloseable} error handler when it closes, also when its launch fails. A broker's handler is its error
     * log, which maps the broker's mark file: closing it with an embedded archive that could not start (its killed
     * run's mark file still active) unmapped the mark file under the broker's other agents, and the JVM died of
     * SIGSEGV at their next activity timestamp. The caller owns the handler and closes it.
     */
    private static ErrorHandler notClosed(final ErrorHandler handler)
    {
        return handler::onError;
    }

    /**
     * How long until the mark file an archive left in its directory goes stale: Aeron Archive refuses to start over
     * an active one ("active mark file detected"). Only a caller that knows no archive runs there (it holds the
     * directory's lock) should wait it out: a killed archive's mark file stays active for
     * {@link #MARK_FILE_STALE_AFTER_MS} after its last update.
     *
     * @param archiveDir the archive's directory.
     * @param nowMs      epoch time now.
     * @return milliseconds to wait, at most {@link #MARK_FILE_STALE_AFTER_MS}; 0 when there is no mark file, it is
     *         stale, or it cannot be read (torn by the crash: the archive's own start decides).
     */
    public static long markFileActiveForMs(final File archiveDir, final long nowMs)
    {
        if (!new File(archiveDir, ArchiveMarkFile.FILENAME).exists())
        {
            return 0;
        }
        final long activityMs;
        try (ArchiveMarkFile markFile = new ArchiveMarkFile(
            archiveDir, ArchiveMarkFile.FILENAME, SystemEpochClock.INSTANCE, 0, (message) -> {}))
        {
            activityMs = markFile.activityTimestampVolatile();
        }
        catch (final RuntimeException ex)
        {
            return 0;
        }
        return Math.max(0, Math.min(activityMs + MARK_FILE_STALE_AFTER_MS - nowMs, MARK_FILE_STALE_AFTER_MS));
    }
}
