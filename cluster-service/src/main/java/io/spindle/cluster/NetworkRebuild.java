package io.spindle.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ClusterBackup;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.RecordingLog;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MemberFileReadRequestEncoder;
import io.spindle.codecs.protocol.MemberFileReadResponseDecoder;
import io.spindle.codecs.protocol.MemberFilesRequestEncoder;
import io.spindle.codecs.protocol.MemberFilesResponseDecoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.driver.DriverDirectory;
import io.spindle.host.DirectoryLock;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
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
 * </ol>
 * The member then starts as usual ({@link ClusterNode}): it restores the snapshot, replays the copied log and catches
 * up from the leader. A rebuild that fails leaves the directory without a Raft log, so it can be run again.
 */
public final class NetworkRebuild
{
    /**
     * The stream this process takes the donor's answers on.
     */
    static final int RESPONSE_STREAM_ID = 1006;

    private static final long RESEND_NS = 1_000_000_000L;
    private static final long PROGRESS_NS = 2_000_000_000L;
    private static final int COPY_ATTEMPTS = 20;
    private static final String BACKUP_MARK_DIR = "rebuild-backup";

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
     */
    public record Result(long snapshotPosition, long logPosition, int files, long bytes)
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
            clear(target);
            try
            {
                return new Run(ctx).run();
            }
            catch (final RuntimeException | Error ex)
            {
                clear(target);
                throw ex;
            }
        }
        finally
        {
            lock.close();
        }
    }

    private static void clear(final Path target)
    {
        for (final String part : new String[]{ "cluster", "archive", "data", BACKUP_MARK_DIR })
        {
            IoUtil.delete(target.resolve(part).toFile(), true);
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
        private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        private final MemberFilesRequestEncoder filesRequest = new MemberFilesRequestEncoder();
        private final MemberFilesResponseDecoder filesResponse = new MemberFilesResponseDecoder();
        private final MemberFileReadRequestEncoder readRequest = new MemberFileReadRequestEncoder();
        private final MemberFileReadResponseDecoder readResponse = new MemberFileReadResponseDecoder();
        private final ExpandableArrayBuffer requestBuffer = new ExpandableArrayBuffer(1024);
        private final CRC32C crc = new CRC32C();
        private final FragmentHandler handler = new FragmentAssembler(this::onFragment);
        private Aeron aeron;
        private ExclusivePublication requests;
        private Subscription answers;
        private String responseChannel;
        private long correlationId;
        private long awaitedCorrelationId = -1;
        private Answer answer;
        private Throwable backupError;
        private int filesCopied;
        private long bytesCopied;
        private long lastProgressNs;

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
                archive = Archive.launch(new Archive.Context()
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
                    .errorHandler(this::onBackupError));
                aeron = Aeron.connect(new Aeron.Context()
                    .aeronDirectoryName(ctx.aeronDirectoryName)
                    .errorHandler(this::onBackupError));
                connect();

                final Listing clock = list("cluster");
                ctx.progress.accept("rebuilding member " + ctx.memberId + " from member " + ctx.donorId + " (" +
                    donor.host() + ":" + donor.port() + "), which has committed log position " + clock.commitPosition);
                final long[] positions = backUpRaftLog(clock.commitPosition);
                copyClockUnit(clock);
                ctx.progress.accept("snapshot at log position " + positions[0] + ", Raft log copied to position " +
                    positions[1] + "; copying the partitions");
                copyPartitions();
                final Result result = new Result(positions[0], positions[1], filesCopied, bytesCopied);
                ctx.progress.accept("rebuilt member " + ctx.memberId + " from member " + ctx.donorId +
                    ": snapshot at log position " + result.snapshotPosition() + ", Raft log to " +
                    result.logPosition() + ", " + result.files() + " partition files (" + result.bytes() +
                    " bytes) in " + TimeUnit.NANOSECONDS.toMillis(SystemNanoClock.INSTANCE.nanoTime() - startNs) +
                    " ms");
                return result;
            }
            finally
            {
                CloseHelper.quietCloseAll(requests, answers, aeron, archive, driver);
                IoUtil.delete(ctx.directory.resolve(BACKUP_MARK_DIR).toFile(), true);
            }
        }

        private void onBackupError(final Throwable error)
        {
            backupError = error;
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
                .initialReplayStart(ClusterBackup.Configuration.ReplayStart.LATEST_SNAPSHOT)
                .clusterBackupCoolDownIntervalNs(1_000_000_000L)
                .idleStrategySupplier(() -> new BackoffIdleStrategy(10, 20, 1_000, 1_000_000))
                .errorHandler(this::onBackupError)
                .archiveContext(new AeronArchive.Context()
                    .errorHandler(this::onBackupError)
                    .controlRequestChannel("aeron:ipc?term-length=64k")
                    .controlResponseChannel("aeron:ipc?term-length=64k"))
                .clusterArchiveContext(new AeronArchive.Context()
                    .errorHandler(this::onBackupError)
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
                        ctx.progress.accept("copying the snapshot and Raft log: " + state.name().toLowerCase() +
                            (livePosition >= 0 ? ", log at position " + livePosition + " of " + commitPosition : ""));
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

        private void copyClockUnit(final Listing clock)
        {
            final Path file = ctx.directory.resolve("cluster").resolve(MemberClock.FILE_NAME);
            try
            {
                if (clock.files.isEmpty())
                {
                    // A donor without the file was made by an earlier build, whose clock counts milliseconds.
                    Files.writeString(file, TimeUnit.MILLISECONDS.name() + "\n", StandardCharsets.US_ASCII);
                }
                else
                {
                    copyFile(clock.files.get(0), file);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("writing " + file, ex);
            }
        }

        private void copyPartitions()
        {
            final Listing data = list("data");
            for (final Listed entry : data.files)
            {
                if (entry.length < 0)
                {
                    copyPartition(entry.name);
                }
                else
                {
                    copyWhole(entry);
                }
            }
        }

        /**
         * Copy one partition's files as one version: listed, copied, listed again until no file copied was deleted
         * or replaced meanwhile (files added after the listing are left out: they lie beyond the snapshot).
         */
        private void copyPartition(final String directory)
        {
            final Path localDir = ctx.directory.resolve(directory);
            final Map<String, Long> copied = new HashMap<>();
            for (int attempt = 1; attempt <= COPY_ATTEMPTS; attempt++)
            {
                final Listing listing = list(directory);
                boolean isChanged = false;
                try
                {
                    Files.createDirectories(localDir);
                    deleteUnlisted(localDir, listing, copied);
                    for (final Listed file : listing.files)
                    {
                        final Long key = copied.get(file.name);
                        if (file.length >= 0 && (null == key || key != file.fileKey))
                        {
                            copied.remove(file.name);
                            if (!copyFile(file, ctx.directory.resolve(file.name)))
                            {
                                isChanged = true;
                                break;
                            }
                            copied.put(file.name, file.fileKey);
                        }
                    }
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException("copying " + directory + " into " + localDir, ex);
                }
                if (!isChanged && isUnchanged(list(directory), copied))
                {
                    return;
                }
            }
            throw new IllegalStateException("rebuilding member " + ctx.memberId + ": member " + ctx.donorId +
                " changed " + directory + " in each of " + COPY_ATTEMPTS + " attempts to copy it");
        }

        private static boolean isUnchanged(final Listing now, final Map<String, Long> copied)
        {
            int found = 0;
            for (final Listed file : now.files)
            {
                final Long key = copied.get(file.name);
                if (null != key)
                {
                    if (key != file.fileKey)
                    {
                        return false;
                    }
                    found++;
                }
            }
            return found == copied.size();
        }

        private void deleteUnlisted(final Path localDir, final Listing listing, final Map<String, Long> copied)
            throws IOException
        {
            final List<String> names = new ArrayList<>();
            for (final Listed file : listing.files)
            {
                names.add(ctx.directory.resolve(file.name).getFileName().toString());
            }
            try (Stream<Path> files = Files.list(localDir))
            {
                for (final Path file : files.toList())
                {
                    if (!names.contains(file.getFileName().toString()))
                    {
                        Files.delete(file);
                        copied.remove(ctx.directory.relativize(file).toString());
                    }
                }
            }
        }

        private void copyWhole(final Listed file)
        {
            for (int attempt = 1; attempt <= COPY_ATTEMPTS; attempt++)
            {
                if (copyFile(file, ctx.directory.resolve(file.name)))
                {
                    return;
                }
            }
            throw new IllegalStateException("rebuilding member " + ctx.memberId + ": member " + ctx.donorId +
                " changed " + file.name + " in each of " + COPY_ATTEMPTS + " attempts to copy it");
        }

        /**
         * Copy a file's listed version up to its listed length, or for a segment up to the end of its batches (an
         * active segment is longer than its data). Each chunk is checked against its CRC.
         *
         * @return false when the file was deleted or replaced meanwhile (nothing of it is kept).
         */
        private boolean copyFile(final Listed file, final Path local)
        {
            final boolean isSegment = file.name.endsWith(".log");
            final ByteBuffer header = ByteBuffer.allocate(RecordBatch.BATCH_LENGTH_OFFSET + 4)
                .order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel out = FileChannel.open(local, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING))
            {
                long position = 0;
                long batchEnd = 0;
                while (position < file.length)
                {
                    final Answer chunk = read(file, position, (int)Math.min(MemberFileServer.MAX_CHUNK_LENGTH,
                        file.length - position));
                    if (ErrorCode.UNKNOWN_TOPIC_OR_PARTITION == chunk.code)
                    {
                        out.truncate(0);
                        Files.deleteIfExists(local);
                        return false;
                    }
                    if (chunk.data.length == 0)
                    {
                        break;
                    }
                    out.write(ByteBuffer.wrap(chunk.data), position);
                    position += chunk.data.length;
                    bytesCopied += chunk.data.length;
                    if (isSegment)
                    {
                        // Stop at the end of the batches: a zero header is where the donor appends next.
                        while (batchEnd + header.capacity() <= position)
                        {
                            header.clear();
                            out.read(header, batchEnd);
                            final long baseOffset = header.getLong(RecordBatch.BASE_OFFSET_OFFSET);
                            final int length = header.getInt(RecordBatch.BATCH_LENGTH_OFFSET);
                            if (length < RecordBatch.HEADER_LENGTH || 0 == length && 0 == baseOffset)
                            {
                                out.truncate(batchEnd);
                                bytesCopied -= position - batchEnd;
                                position = file.length;
                                break;
                            }
                            batchEnd += length;
                        }
                    }
                    progress();
                }
                filesCopied++;
                return true;
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("writing " + local, ex);
            }
        }

        private void progress()
        {
            final long nowNs = SystemNanoClock.INSTANCE.nanoTime();
            if (nowNs - lastProgressNs > PROGRESS_NS)
            {
                lastProgressNs = nowNs;
                ctx.progress.accept("copying the partitions: " + filesCopied + " files, " + bytesCopied + " bytes");
            }
        }

        private void connect()
        {
            requests = aeron.addExclusivePublication(
                "aeron:udp?endpoint=" + donor.host() + ":" + donor.port(), MemberFileServer.STREAM_ID);
            answers = aeron.addSubscription("aeron:udp?endpoint=" + self.host() + ":0", RESPONSE_STREAM_ID);
            String endpoint;
            while (null == (endpoint = answers.resolvedEndpoint()))
            {
                checkDeadline("its own response endpoint to open");
                idle.idle();
            }
            responseChannel = "aeron:udp?endpoint=" + endpoint;
        }

        private Listing list(final String directory)
        {
            final Listing listing = new Listing();
            String after = "";
            while (true)
            {
                final long id = ++correlationId;
                filesRequest.wrapAndApplyHeader(requestBuffer, 0, headerEncoder)
                    .correlationId(id)
                    .responseStreamId(RESPONSE_STREAM_ID)
                    .responseChannel(responseChannel)
                    .directory(directory)
                    .after(after);
                final Answer page = request(id, MessageHeaderEncoder.ENCODED_LENGTH + filesRequest.encodedLength(),
                    "the files of " + directory);
                if (ErrorCode.NONE != page.code)
                {
                    throw new IllegalStateException("rebuilding member " + ctx.memberId + ": member " + ctx.donorId +
                        " refused to list " + directory + ": " + page.message);
                }
                listing.commitPosition = page.commitPosition;
                listing.files.addAll(page.files);
                if (page.isComplete || page.files.isEmpty())
                {
                    return listing;
                }
                after = page.files.get(page.files.size() - 1).name;
            }
        }

        private Answer read(final Listed file, final long position, final int length)
        {
            while (true)
            {
                final long id = ++correlationId;
                readRequest.wrapAndApplyHeader(requestBuffer, 0, headerEncoder)
                    .correlationId(id)
                    .responseStreamId(RESPONSE_STREAM_ID)
                    .fileKey(file.fileKey)
                    .position(position)
                    .length(length)
                    .responseChannel(responseChannel)
                    .name(file.name);
                final Answer chunk = request(id, MessageHeaderEncoder.ENCODED_LENGTH + readRequest.encodedLength(),
                    file.name + " at " + position);
                if (ErrorCode.NONE == chunk.code || ErrorCode.UNKNOWN_TOPIC_OR_PARTITION == chunk.code)
                {
                    crc.reset();
                    crc.update(chunk.data);
                    if ((int)crc.getValue() == chunk.crc)
                    {
                        return chunk;
                    }
                    continue; // damaged in transit: asked again
                }
                throw new IllegalStateException("rebuilding member " + ctx.memberId + ": member " + ctx.donorId +
                    " could not read " + file.name + ": " + chunk.message);
            }
        }

        /**
         * Send a request until it is answered (an unanswered request is sent again every second).
         */
        private Answer request(final long id, final int length, final String what)
        {
            awaitedCorrelationId = id;
            answer = null;
            long sentNs = 0;
            while (null == answer)
            {
                final long nowNs = SystemNanoClock.INSTANCE.nanoTime();
                if (nowNs - sentNs > RESEND_NS)
                {
                    checkDeadline(what);
                    if (requests.offer(requestBuffer, 0, length) > 0)
                    {
                        sentNs = nowNs;
                    }
                }
                idle.idle(answers.poll(handler, 10));
            }
            return answer;
        }

        private void checkDeadline(final String what)
        {
            if (SystemNanoClock.INSTANCE.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("rebuilding member " + ctx.memberId + ": member " + ctx.donorId +
                    " (" + donor.host() + ":" + donor.port() + ") did not answer for " + what + " in time: is it " +
                    "running and serving clients?");
            }
        }

        private void onFragment(
            final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            headerDecoder.wrap(buffer, offset);
            if (MemberFilesResponseDecoder.TEMPLATE_ID == headerDecoder.templateId())
            {
                filesResponse.wrapAndApplyHeader(buffer, offset, headerDecoder);
                if (filesResponse.correlationId() != awaitedCorrelationId)
                {
                    return;
                }
                final Answer page = new Answer();
                page.code = filesResponse.errorCode();
                page.commitPosition = filesResponse.commitPosition();
                page.isComplete = BooleanType.TRUE == filesResponse.isComplete();
                for (final MemberFilesResponseDecoder.FilesDecoder file : filesResponse.files())
                {
                    page.files.add(new Listed(file.length(), file.fileKey(), file.name()));
                }
                page.message = filesResponse.errorMessage();
                answer = page;
            }
            else if (MemberFileReadResponseDecoder.TEMPLATE_ID == headerDecoder.templateId())
            {
                readResponse.wrapAndApplyHeader(buffer, offset, headerDecoder);
                if (readResponse.correlationId() != awaitedCorrelationId)
                {
                    return;
                }
                final Answer chunk = new Answer();
                chunk.code = readResponse.errorCode();
                chunk.crc = readResponse.crc32c();
                chunk.data = new byte[readResponse.dataLength()];
                readResponse.getData(chunk.data, 0, chunk.data.length);
                chunk.message = readResponse.errorMessage();
                answer = chunk;
            }
        }
    }

    private record Listed(long length, long fileKey, String name)
    {
    }

    private static final class Listing
    {
        private long commitPosition = -1;
        private final List<Listed> files = new ArrayList<>();
    }

    private static final class Answer
    {
        private ErrorCode code;
        private String message;
        private long commitPosition;
        private boolean isComplete;
        private final List<Listed> files = new ArrayList<>();
        private int crc;
        private byte[] data = new byte[0];
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
        }
    }
}
