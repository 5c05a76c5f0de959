package io.spindle.cluster;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.client.ArchiveException;
import io.aeron.archive.client.ReplicationParams;
import io.aeron.archive.codecs.RecordingSignal;
import io.aeron.cluster.ClusterBackup;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.RecordingLog;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.security.CredentialsSupplier;
import io.aeron.security.NullCredentialsSupplier;
import io.spindle.archive.TierManifest;
import io.spindle.driver.DriverDirectory;
import io.spindle.host.DirectoryLock;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Rebuilds a member whose directory was lost (or a new machine taking a dead member's id) from another member that
 * is running, while the cluster keeps serving:
 * <ol>
 *     <li>the Raft log and snapshots: Aeron's {@link ClusterBackup}, run in this process against the donor only,
 *     copies the donor's latest snapshots and its log from the snapshot's position into the member's own archive and
 *     writes its recording log, until the copied log reaches what the donor had committed when the rebuild began;</li>
 *     <li>the partitions: the snapshot holds the state machine's metadata, not the partition files, so each
 *     partition's segment files are then copied from the donor's {@link MemberFileServer}. They are copied after the
 *     snapshot was taken, so they cover it; the member truncates them to the snapshot when it starts and replays the
 *     log after it. A file the donor deletes (retention) or replaces (the log cleaner) while it is copied is noticed
 *     and the partition listed and copied again: no two versions of a file are mixed.</li>
 *     <li>the tier (topics with {@code remote.storage.enable}), for a member archiving into its own embedded
 *     archive: the donor's tier manifests, and the recordings they list replicated from the donor's archive.</li>
 * </ol>
 * The member then starts as usual ({@link ClusterNode}): it restores the snapshot, replays the copied log and catches
 * up from the leader. A rebuild that fails leaves the directory without a Raft log, so it can be run again.
 */
public final class NetworkRebuild
{
    private static final long PROGRESS_NS = 2_000_000_000L;
    private static final String BACKUP_MARK_DIR = "rebuild-backup";
    private static final int REPLAY_STREAM_ID = 1_700_003;

    private NetworkRebuild()
    {
    }

    /**
     * What a rebuild copied.
     *
     * @param snapshotPosition log position of the snapshot the member restores.
     * @param logPosition      how far the copied Raft log reaches.
     * @param files            partition files copied.
     * @param bytes            bytes of partition files copied.
     * @param recopies         partitions copied again because the donor deleted or replaced a file meanwhile.
     * @param tierSegments     archived segments of the donor's tier replicated into the member's own archive.
     * @param tierUncopied     archived segments of the donor's tier not copied (its tier lacks them: such reads
     *                         are answered KAFKA_STORAGE_ERROR by this member and served by the others).
     */
    public record Result(
        long snapshotPosition, long logPosition, int files, long bytes, int recopies, int tierSegments,
        int tierUncopied)
    {
    }

    /**
     * Fill a member directory that holds no Raft log from a running member.
     *
     * @param ctx the rebuild.
     * @return what was copied.
     * @throws IllegalArgumentException when the directory holds a Raft log, or the donor is this member.
     * @throws IllegalStateException    when the donor does not answer or the copy cannot complete in time; the
     *                                  directory is then left without a Raft log.
     */
    public static Result rebuild(final Context ctx)
    {
        ctx.conclude();
        final Path target = ctx.directory;
        final DirectoryLock lock = DirectoryLock.acquire(target, "member rebuild");
        try
        {
            if (MemberRebuild.hasRaftLog(target))
            {
                throw new IllegalArgumentException("the member's directory " + target + " already holds a Raft " +
                    "log: a member is rebuilt only into an empty (or wiped) directory");
            }
            final boolean hasOwnTier = null == ctx.sharedArchive;
            clear(target, hasOwnTier);
            try
            {
                return new Run(ctx).run();
            }
            catch (final RuntimeException | Error ex)
            {
                clear(target, hasOwnTier);
                throw ex;
            }
        }
        finally
        {
            lock.close();
        }
    }

    private static void clear(final Path target, final boolean hasOwnTier)
    {
        for (final String part : new String[]{ "cluster", "archive", "data", BACKUP_MARK_DIR })
        {
            IoUtil.delete(target.resolve(part).toFile(), true);
        }
        if (hasOwnTier)
        {
            // Its manifests list recordings of the archive just deleted.
            IoUtil.delete(target.resolve("tier").toFile(), true);
        }
    }

    /**
     * One rebuild: its driver, archive, client and the donor's answers.
     */
    private static final class Run
    {
        private final Context ctx;
        private final ClusterNode.Endpoint self;
        private final ClusterNode.Endpoint donor;
        private final long deadlineNs;
        private final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
        private Aeron aeron;
        private MemberFileClient files;
        private Throwable backupError;
        private long lastProgressNs;
        private int tierSegments;
        private int tierUncopied;
        private long replicationId = Aeron.NULL_VALUE;
        private long replicatedRecordingId = Aeron.NULL_VALUE;
        private boolean isReplicationEnded;
        private Throwable replicationError;

        Run(final Context ctx)
        {
            this.ctx = ctx;
            this.self = ctx.members.get(ctx.memberId);
            this.donor = ctx.members.get(ctx.donorId);
            this.deadlineNs = SystemNanoClock.INSTANCE.nanoTime() + ctx.timeoutNs;
        }

        Result run()
        {
            final long startNs = SystemNanoClock.INSTANCE.nanoTime();
            final File driverDir = new File(ctx.aeronDirectoryName);
            MediaDriver driver = null;
            Archive archive = null;
            try
            {
                if (!DriverDirectory.isDriverRunning(driverDir))
                {
                    if (DriverDirectory.isDead(DriverDirectory.ownerPid(driverDir)))
                    {
                        // Left by the member's driver killed a moment ago: its heartbeat still looks fresh.
                        IoUtil.delete(driverDir, true);
                    }
                    driver = MediaDriver.launch(new MediaDriver.Context()
                        .aeronDirectoryName(ctx.aeronDirectoryName)
                        .threadingMode(ThreadingMode.SHARED)
                        .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                        .dirDeleteOnStart(true)
                        .dirDeleteOnShutdown(true)
                        .termBufferSparseFile(true));
                }
                else
                {
                    // A driver of its own keeps running: the killed member's archive may still hold its id there.
                    MemberDriver.awaitIdsFree(driverDir, ctx.memberId, 0);
                }
                final Archive.Context archiveCtx = new Archive.Context()
                    .aeronDirectoryName(ctx.aeronDirectoryName)
                    .archiveDir(ctx.directory.resolve("archive").toFile())
                    .archiveId(ctx.memberId)
                    .controlChannel("aeron:udp?endpoint=" + self.host() + ":" + (self.port() + 3))
                    .localControlChannel("aeron:ipc?term-length=64k")
                    .replicationChannel("aeron:udp?endpoint=" + self.host() + ":" + (self.port() + 4))
                    .recordingEventsEnabled(false)
                    .threadingMode(ArchiveThreadingMode.SHARED)
                    .idleStrategySupplier(() -> new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                    .segmentFileLength(ctx.archiveSegmentLength)
                    .errorHandler(this::onBackupError);
                if (null != ctx.secret)
                {
                    // As the member's own archive: only members open it, and it presents the member's credentials
                    // to the donor's archive it replicates the Raft log, snapshots and tier recordings from.
                    // The archive gives its client context its own Aeron client and error handler.
                    // CHECKSTYLE.OFF: aeronClientErrorHandler
                    archiveCtx
                        .authenticatorSupplier(() -> new MemberArchiveAuthenticator(ctx.secret, ctx.members.size(),
                            (error) -> ctx.progress.accept("warning: " + error.getMessage())))
                        .archiveClientContext(new AeronArchive.Context().credentialsSupplier(memberCredentials()));
                    // CHECKSTYLE.ON: aeronClientErrorHandler
                }
                archive = Archive.launch(archiveCtx);
                aeron = Aeron.connect(new Aeron.Context()
                    .aeronDirectoryName(ctx.aeronDirectoryName)
                    .errorHandler(this::onBackupError));
                files = new MemberFileClient(aeron, ctx.memberId, self, ctx.donorId, donor, ctx.directory, deadlineNs,
                    ctx.progress).secret(ctx.secret).afterCopyHook(ctx.afterCopyHook);
                files.connect();

                final MemberFileClient.Listing clock = files.list("cluster");
                ctx.progress.accept("rebuilding member " + ctx.memberId + " from member " + ctx.donorId + " (" +
                    donor.host() + ":" + donor.port() + "), which has committed log position " + clock.commitPosition);
                final long[] positions = backUpRaftLog(clock.commitPosition);
                files.copyClockUnit(clock);
                ctx.progress.accept("snapshot at log position " + positions[0] + ", Raft log copied to position " +
                    positions[1] + "; copying the partitions");
                files.copyPartitions();
                final int partitionFiles = files.filesCopied();
                final long partitionBytes = files.bytesCopied();
                copyTier();
                final Result result = new Result(positions[0], positions[1], partitionFiles, partitionBytes,
                    files.changedCopies(), tierSegments, tierUncopied);
                ctx.progress.accept("rebuilt member " + ctx.memberId + " from member " + ctx.donorId +
                    ": snapshot at log position " + result.snapshotPosition() + ", Raft log to " +
                    result.logPosition() + ", " + result.files() + " partition files (" + result.bytes() +
                    " bytes), " + result.tierSegments() + " archived segments in " +
                    TimeUnit.NANOSECONDS.toMillis(SystemNanoClock.INSTANCE.nanoTime() - startNs) + " ms");
                return result;
            }
            finally
            {
                CloseHelper.quietCloseAll(files, aeron, archive, driver);
                IoUtil.delete(ctx.directory.resolve(BACKUP_MARK_DIR).toFile(), true);
            }
        }

        private void onBackupError(final Throwable error)
        {
            backupError = error;
        }

        /**
         * What the rebuilding member presents to the donor's backup queries and archive, and to its own archive.
         */
        private CredentialsSupplier memberCredentials()
        {
            return null == ctx.secret ? new NullCredentialsSupplier() :
                MemberAuthenticator.credentials(ctx.memberId, ctx.secret);
        }

        /**
         * The donor's tier, for a member whose tier is its own embedded archive: its manifests over the file server,
         * and each recording they list replicated from the donor's archive into the member's (the copy keeps the
         * recording's channel, so its alias tag, which names the manifest's tier id and the segment); each copy
         * checked against the manifest's start and stop positions and, read back, its CRC32C, the manifest then
         * rewritten with the new recording ids. A segment whose copy fails (the donor's tier purged it meanwhile) is
         * left out with every segment below it: the manifest stays contiguous, and the member answers reads its tier
         * lacks with a retriable error. A member archiving into a shared archive gets no copy: the copies would carry
         * the donor's tier id in the same archive, where the donor's own archiver would take them for its own.
         */
        private void copyTier()
        {
            if (null != ctx.sharedArchive)
            {
                ctx.progress.accept("the member archives into " + ctx.sharedArchive + ", shared with member " +
                    ctx.donorId + ": its tier is not copied; it archives its local segments from now on, and reads " +
                    "below its local log start that its tier lacks are answered KAFKA_STORAGE_ERROR (other members " +
                    "serve them)");
                return;
            }
            final List<Path> manifests = files.copyTierManifests();
            if (manifests.isEmpty())
            {
                return;
            }
            final String donorArchive = "aeron:udp?endpoint=" + donor.host() + ":" + (donor.port() + 3);
            try (AeronArchive local = AeronArchive.connect(new AeronArchive.Context()
                .aeron(aeron)
                .controlRequestChannel("aeron:ipc?term-length=64k")
                .controlResponseChannel("aeron:ipc?term-length=64k")
                .credentialsSupplier(memberCredentials())
                .recordingSignalConsumer(this::onSignal)
                .errorHandler(this::onReplicationError)))
            {
                for (final Path directory : manifests)
                {
                    final TierManifest manifest = TierManifest.load(directory);
                    final List<TierManifest.Entry> copied = new ArrayList<>();
                    int uncopied = 0;
                    for (final TierManifest.Entry entry : manifest.entries())
                    {
                        final long recordingId = replicate(local, donorArchive, manifest, entry);
                        if (Aeron.NULL_VALUE == recordingId)
                        {
                            uncopied += copied.size() + 1;
                            copied.clear();
                            continue;
                        }
                        copied.add(new TierManifest.Entry(entry.baseOffset(), entry.nextOffset(), entry.bytes(),
                            entry.crc(), recordingId, entry.startPosition(), entry.stopPosition(),
                            entry.maxTimestampMs()));
                    }
                    manifest.replaceEntries(copied);
                    tierSegments += copied.size();
                    tierUncopied += uncopied;
                    ctx.progress.accept("tier of " + directory.getFileName() + ": " + copied.size() +
                        " archived segments copied from member " + ctx.donorId + "'s archive" +
                        (uncopied > 0 ? ", " + uncopied + " not (its tier lacks them)" : ""));
                }
            }
        }

        /**
         * Replicate one recording of the donor's tier into the member's archive and check it.
         *
         * @return the copy's recording id, or {@link Aeron#NULL_VALUE} when it could not be copied whole.
         */
        private long replicate(
            final AeronArchive local, final String donorArchive, final TierManifest manifest,
            final TierManifest.Entry entry)
        {
            replicationId = Aeron.NULL_VALUE;
            replicatedRecordingId = Aeron.NULL_VALUE;
            isReplicationEnded = false;
            replicationError = null;
            try
            {
                replicationId = local.replicate(entry.recordingId(), AeronArchive.Configuration.controlStreamId(),
                    donorArchive, new ReplicationParams());
                while (!isReplicationEnded && null == replicationError)
                {
                    if (SystemNanoClock.INSTANCE.nanoTime() - deadlineNs > 0)
                    {
                        local.tryStopReplication(replicationId);
                        throw new IllegalStateException("rebuilding member " + ctx.memberId + ": archived segment " +
                            entry.baseOffset() + " (recording " + entry.recordingId() + " of member " + ctx.donorId +
                            ") was not copied in time");
                    }
                    idle.idle(local.pollForRecordingSignals());
                }
            }
            catch (final ArchiveException ex)
            {
                replicationError = ex;
            }
            final long recordingId = replicatedRecordingId;
            if (null != replicationError || Aeron.NULL_VALUE == recordingId)
            {
                ctx.progress.accept("archived segment " + entry.baseOffset() + " (recording " + entry.recordingId() +
                    " of member " + ctx.donorId + ") not copied: " + replicationError);
                return Aeron.NULL_VALUE;
            }
            final String[] channel = new String[1];
            final long[] startPosition = { Aeron.NULL_VALUE };
            local.listRecording(recordingId, (controlSessionId, correlationId, id, startTimestamp, stopTimestamp,
                start, stop, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId, streamId,
                strippedChannel, originalChannel, sourceIdentity) ->
                {
                    channel[0] = originalChannel;
                    startPosition[0] = start;
                });
            long stopPosition;
            while (AeronArchive.NULL_POSITION == (stopPosition = local.getStopPosition(recordingId)))
            {
                // The copy's recording stops a moment after the replication ended.
                if (SystemNanoClock.INSTANCE.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("rebuilding member " + ctx.memberId + ": the copy of archived " +
                        "segment " + entry.baseOffset() + " (recording " + recordingId + ") did not stop in time");
                }
                idle.idle();
            }
            if (startPosition[0] != entry.startPosition() || stopPosition != entry.stopPosition() ||
                null == channel[0] || !channel[0].contains("alias=" + manifest.recordingTag(entry.baseOffset())))
            {
                ctx.progress.accept("archived segment " + entry.baseOffset() + " copied as recording " +
                    recordingId + " from " + startPosition[0] + " to " + stopPosition + " on " + channel[0] +
                    ", the manifest says " + entry.startPosition() + " to " + entry.stopPosition() + ": left out");
                local.purgeRecording(recordingId);
                return Aeron.NULL_VALUE;
            }
            final int crc = replayCrc(local, recordingId, entry);
            if (crc != entry.crc())
            {
                ctx.progress.accept("archived segment " + entry.baseOffset() + " copied as recording " +
                    recordingId + " reads back with CRC32C " + Integer.toHexString(crc) + ", the manifest says " +
                    Integer.toHexString(entry.crc()) + ": left out");
                local.purgeRecording(recordingId);
                return Aeron.NULL_VALUE;
            }
            return recordingId;
        }

        /**
         * Read a copy back from the member's archive, as the member will to serve it, and take its CRC32C.
         */
        private int replayCrc(final AeronArchive local, final long recordingId, final TierManifest.Entry entry)
        {
            final long length = entry.stopPosition() - entry.startPosition();
            final long replaySessionId = local.startReplay(
                recordingId, entry.startPosition(), length, "aeron:ipc", REPLAY_STREAM_ID);
            final CRC32C crc = new CRC32C();
            final byte[] chunk = new byte[64 * 1024];
            final long[] bytes = { 0 };
            final FragmentHandler handler = (buffer, offset, fragmentLength, header) ->
            {
                for (int i = 0; i < fragmentLength; i += chunk.length)
                {
                    final int part = Math.min(chunk.length, fragmentLength - i);
                    buffer.getBytes(offset + i, chunk, 0, part);
                    crc.update(chunk, 0, part);
                }
                bytes[0] += fragmentLength;
            };
            try (Subscription replay = aeron.addSubscription(
                "aeron:ipc?session-id=" + (int)replaySessionId, REPLAY_STREAM_ID))
            {
                while (bytes[0] < entry.bytes())
                {
                    final int fragments = replay.poll(handler, 64);
                    if (0 == fragments && replay.imageCount() > 0 && replay.imageAtIndex(0).isEndOfStream())
                    {
                        break;
                    }
                    if (SystemNanoClock.INSTANCE.nanoTime() - deadlineNs > 0)
                    {
                        throw new IllegalStateException("rebuilding member " + ctx.memberId + ": the copy of " +
                            "archived segment " + entry.baseOffset() + " (recording " + recordingId + ") was not " +
                            "read back in time");
                    }
                    idle.idle(fragments);
                }
            }
            return bytes[0] == entry.bytes() ? (int)crc.getValue() : ~entry.crc();
        }

        private void onSignal(
            final long controlSessionId,
            final long correlationId,
            final long recordingId,
            final long subscriptionId,
            final long position,
            final RecordingSignal signal)
        {
            if (correlationId != replicationId)
            {
                return;
            }
            if (Aeron.NULL_VALUE != recordingId)
            {
                replicatedRecordingId = recordingId;
            }
            if (RecordingSignal.REPLICATE_END == signal)
            {
                isReplicationEnded = true;
            }
        }

        private void onReplicationError(final Throwable error)
        {
            if (!(error instanceof ArchiveException ex) || ex.correlationId() == replicationId ||
                Aeron.NULL_VALUE == ex.correlationId())
            {
                replicationError = error;
            }
        }

        /**
         * Run {@link ClusterBackup} against the donor until its copy of the log reaches the commit position.
         *
         * @return the restored snapshot's log position and how far the copied log reaches.
         */
        private long[] backUpRaftLog(final long commitPosition)
        {
            final File clusterDir = ctx.directory.resolve("cluster").toFile();
            // Its own Aeron client (it must rethrow subscriber errors and run on the backup's thread).
            final ClusterBackup.Context backupCtx = new ClusterBackup.Context()
                .aeronDirectoryName(ctx.aeronDirectoryName)
                .clusterDir(clusterDir)
                .markFileDir(ctx.directory.resolve(BACKUP_MARK_DIR).toFile())
                .deleteDirOnStart(false)
                .clusterConsensusEndpoints(donor.host() + ":" + (donor.port() + 1))
                .consensusChannel("aeron:udp?endpoint=" + self.host() + ":" + (self.port() + 1))
                .catchupEndpoint(self.host() + ":0")
                .sourceType(ClusterBackup.SourceType.ANY)
                .credentialsSupplier(null != ctx.backupCredentials ? ctx.backupCredentials : memberCredentials())
                .initialReplayStart(ClusterBackup.Configuration.ReplayStart.LATEST_SNAPSHOT)
                .clusterBackupCoolDownIntervalNs(1_000_000_000L)
                .idleStrategySupplier(() -> new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                .errorHandler(this::onBackupError)
                .archiveContext(new AeronArchive.Context()
                    .errorHandler(this::onBackupError)
                    .controlRequestChannel("aeron:ipc?term-length=64k")
                    .controlResponseChannel("aeron:ipc?term-length=64k")
                    .credentialsSupplier(memberCredentials()))
                .clusterArchiveContext(new AeronArchive.Context()
                    .errorHandler(this::onBackupError)
                    .credentialsSupplier(memberCredentials())
                    .controlRequestChannel("aeron:udp?endpoint=" + donor.host() + ":" + (donor.port() + 3))
                    .controlResponseChannel("aeron:udp?endpoint=" + self.host() + ":0"));
            long livePosition = -1;
            final ClusterBackup backup = ClusterBackup.launch(backupCtx);
            try
            {
                while (true)
                {
                    final ClusterBackup.State state = ClusterBackup.State.get(backupCtx.stateCounter());
                    livePosition = backupCtx.liveLogPositionCounter().get();
                    if (ClusterBackup.State.BACKING_UP == state && livePosition >= commitPosition)
                    {
                        break;
                    }
                    final long nowNs = SystemNanoClock.INSTANCE.nanoTime();
                    if (nowNs - deadlineNs > 0 || ClusterBackup.State.CLOSED == state)
                    {
                        throw new IllegalStateException("rebuilding member " + ctx.memberId + " from member " +
                            ctx.donorId + ": its Raft log was not copied in time (backup state " + state +
                            ", log copied to " + livePosition + " of " + commitPosition + ")" +
                            (null != backupError ? ": " + backupError : ""));
                    }
                    if (nowNs - lastProgressNs > PROGRESS_NS)
                    {
                        lastProgressNs = nowNs;
                        ctx.progress.accept("copying the snapshot and Raft log (" +
                            state.name().toLowerCase(Locale.ROOT) + ")" + (livePosition > 0 ?
                            ": log at position " + livePosition + " of " + commitPosition : ""));
                    }
                    idle.idle();
                }
            }
            finally
            {
                backup.close();
            }
            try (RecordingLog recordingLog = new RecordingLog(clusterDir, false))
            {
                final RecordingLog.Entry snapshot = recordingLog.getLatestSnapshot(
                    ConsensusModule.Configuration.SERVICE_ID);
                return new long[]{ null == snapshot ? 0 : snapshot.logPosition, livePosition };
            }
        }

    }

    /**
     * What to rebuild, and from which member.
     */
    public static final class Context
    {
        private int memberId = -1;
        private List<ClusterNode.Endpoint> members;
        private int donorId = -1;
        private Path directory;
        private String aeronDirectoryName;
        private int archiveSegmentLength = 128 * 1024 * 1024;
        private long timeoutNs = TimeUnit.MINUTES.toNanos(10);
        private Consumer<String> progress = System.out::println;
        private Runnable afterCopyHook = () -> {};
        private String sharedArchive;
        private Path secretFile = NodeConfiguration.secretFile();
        private byte[] secret;
        private CredentialsSupplier backupCredentials;

        /**
         * For tests: what the backup queries present instead of the member's credentials.
         *
         * @param credentials to present.
         * @return this.
         */
        Context backupCredentials(final CredentialsSupplier credentials)
        {
            this.backupCredentials = credentials;
            return this;
        }

        /**
         * @param file holding the secret the members share (default {@code spindle.node.secret.file}, none): the
         *             rebuild presents it as the member being rebuilt, as the donor requires when it has one.
         * @return this.
         */
        public Context secretFile(final Path file)
        {
            this.secretFile = file;
            return this;
        }

        /**
         * For tests: run after each partition file is copied.
         *
         * @param hook to run.
         * @return this.
         */
        Context afterCopyHook(final Runnable hook)
        {
            this.afterCopyHook = hook;
            return this;
        }

        /**
         * @param endpoint the archive the member archives into ({@code spindle node --archive}), or null for its own
         *                 embedded archive: only a member with its own archive gets a copy of the donor's tier.
         * @return this.
         */
        public Context sharedArchive(final String endpoint)
        {
            this.sharedArchive = endpoint;
            return this;
        }

        /**
         * @param memberId the member being rebuilt.
         * @return this.
         */
        public Context memberId(final int memberId)
        {
            this.memberId = memberId;
            return this;
        }

        /**
         * @param members {@code 0=HOST:PORT,1=HOST:PORT,...}, as the members are started with.
         * @return this.
         */
        public Context members(final String members)
        {
            this.members = ClusterNode.parseMembers(members);
            return this;
        }

        /**
         * @param donorId the running member to copy from: any member other than this one (a follower spares the
         *                leader the reads).
         * @return this.
         */
        public Context donorId(final int donorId)
        {
            this.donorId = donorId;
            return this;
        }

        /**
         * @param directory the member's directory: empty, or holding no Raft log.
         * @return this.
         */
        public Context directory(final Path directory)
        {
            this.directory = directory;
            return this;
        }

        /**
         * @param aeronDirectoryName the member's media driver directory: a driver running there is used, otherwise
         *                           one is started there for the rebuild and stopped after.
         * @return this.
         */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        /**
         * @param length of the archive's segment files, as the member will run with.
         * @return this.
         */
        public Context archiveSegmentLength(final int length)
        {
            this.archiveSegmentLength = length;
            return this;
        }

        /**
         * @param timeoutNs for the whole rebuild (default 10 minutes).
         * @return this.
         */
        public Context timeoutNs(final long timeoutNs)
        {
            this.timeoutNs = timeoutNs;
            return this;
        }

        /**
         * @param progress told what the rebuild does, one line at a time.
         * @return this.
         */
        public Context progress(final Consumer<String> progress)
        {
            this.progress = progress;
            return this;
        }

        void conclude()
        {
            if (null == members || memberId < 0 || memberId >= members.size())
            {
                throw new IllegalArgumentException("member id " + memberId + " is not in the members list");
            }
            if (donorId < 0 || donorId >= members.size() || donorId == memberId)
            {
                throw new IllegalArgumentException("member " + donorId + " cannot rebuild member " + memberId +
                    ": name another member of the members list (0.." + (members.size() - 1) + ")");
            }
            if (null == directory)
            {
                throw new IllegalArgumentException("the member's directory must be given");
            }
            directory = directory.toAbsolutePath();
            if (null == aeronDirectoryName)
            {
                aeronDirectoryName = directory.resolve("aeron").toString();
            }
            secret = null == secretFile ? null : MemberAuthenticator.readSecret(secretFile, progress);
        }
    }
}
