package io.spindle.cluster;

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
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The reading side of {@link MemberFileServer}: copies a running member's partition files (and its clock unit file)
 * into a member's directory for {@link NetworkRebuild}. One request at a time, sent again every second until
 * answered; each chunk checked against its CRC; a partition copied as one version of its files (listed, copied,
 * listed again until no copied file was deleted or replaced meanwhile).
 */
final class MemberFileClient implements AutoCloseable
{
    /**
     * The stream this process takes the donor's answers on.
     */
    static final int RESPONSE_STREAM_ID = 1006;

    private static final long RESEND_NS = 1_000_000_000L;
    private static final long PROGRESS_NS = 2_000_000_000L;
    private static final int COPY_ATTEMPTS = 20;
    private static final long FIRST_ANSWER_TIMEOUT_NS = 30_000_000_000L;

    private final Aeron aeron;
    private final int memberId;
    private final int donorId;
    private final ClusterNode.Endpoint self;
    private final ClusterNode.Endpoint donor;
    private final Path memberDir;
    private final long deadlineNs;
    private final Consumer<String> progress;
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
    private ExclusivePublication requests;
    private Subscription answers;
    private String responseChannel;
    private long correlationId;
    private long awaitedCorrelationId = -1;
    private Answer answer;
    private Answer lastAnswer;
    private long firstContactDeadlineNs;
    private int filesCopied;
    private long bytesCopied;
    private int changedCopies;
    private long lastProgressNs;
    private MemberFileProof proof;
    private Runnable afterCopyHook = () -> {};

    /**
     * A client of a donor's file server.
     *
     * @param aeron      the rebuild's client.
     * @param memberId   the member being rebuilt.
     * @param self       its client endpoint (its host answers are sent to).
     * @param donorId    the member copied from.
     * @param donor      its client endpoint.
     * @param memberDir  the directory being filled.
     * @param deadlineNs when to give up ({@link SystemNanoClock}).
     * @param progress   told how far the copy is, every two seconds.
     */
    MemberFileClient(
        final Aeron aeron,
        final int memberId,
        final ClusterNode.Endpoint self,
        final int donorId,
        final ClusterNode.Endpoint donor,
        final Path memberDir,
        final long deadlineNs,
        final Consumer<String> progress)
    {
        this.aeron = aeron;
        this.memberId = memberId;
        this.self = self;
        this.donorId = donorId;
        this.donor = donor;
        this.memberDir = memberDir;
        this.deadlineNs = deadlineNs;
        this.progress = progress;
    }

    /**
     * @param secret the members' secret, or null: each request then proves it ({@link MemberFileProof}), as a donor
     *               with the secret requires.
     * @return this.
     */
    MemberFileClient secret(final byte[] secret)
    {
        this.proof = null == secret ? null : new MemberFileProof(secret);
        return this;
    }

    /**
     * For tests: run after each file of a partition is copied, before the partition is listed again.
     *
     * @param hook to run.
     * @return this.
     */
    MemberFileClient afterCopyHook(final Runnable hook)
    {
        this.afterCopyHook = hook;
        return this;
    }

    /**
     * @return files copied so far.
     */
    int filesCopied()
    {
        return filesCopied;
    }

    /**
     * @return bytes of files copied so far.
     */
    long bytesCopied()
    {
        return bytesCopied;
    }

    /**
     * @return how many times a partition was copied again because the donor deleted or replaced one of its files.
     */
    int changedCopies()
    {
        return changedCopies;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        CloseHelper.quietCloseAll(requests, answers);
    }

    void copyClockUnit(final Listing clock)
    {
        final Path file = memberDir.resolve("cluster").resolve(MemberClock.FILE_NAME);
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

    void copyPartitions()
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
     * Copy the donor's tier manifests, {@code tier/<topicId>-<partition>/tier-manifest}, into the member's
     * {@code tier/}: each as one version (a manifest the donor rewrites meanwhile is listed and copied again).
     *
     * @return the member's directories that received a manifest.
     */
    List<Path> copyTierManifests()
    {
        final List<Path> copied = new ArrayList<>();
        for (final Listed directory : list("tier").files)
        {
            if (directory.length >= 0 || !MemberFileServer.isTierDirectory(directory.name))
            {
                continue;
            }
            for (int attempt = 1; ; attempt++)
            {
                final Listing listing = list(directory.name);
                if (listing.files.isEmpty())
                {
                    break; // The donor deleted the topic meanwhile.
                }
                final Listed manifest = listing.files.get(0);
                final Path local = localTier(manifest.name);
                try
                {
                    Files.createDirectories(local.getParent());
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException("creating " + local.getParent(), ex);
                }
                if (copyFile(manifest, local))
                {
                    copied.add(local.getParent());
                    break;
                }
                if (attempt == COPY_ATTEMPTS)
                {
                    throw new IllegalStateException("rebuilding member " + memberId + ": member " + donorId +
                        " changed " + manifest.name + " in each of " + COPY_ATTEMPTS + " attempts to copy it");
                }
            }
        }
        return copied;
    }

    /**
     * Where a tier manifest the donor listed goes: the member's own {@code tier/<topicId>-<partition>/}, nowhere else.
     */
    private Path localTier(final String name)
    {
        final Path tier = memberDir.resolve("tier").normalize();
        final Path path = memberDir.resolve(name).normalize();
        if (name.contains("..") || !MemberFileServer.isTierManifest(name) || !path.startsWith(tier))
        {
            throw new IllegalStateException("rebuilding member " + memberId + ": member " + donorId +
                " listed a file that is not a tier manifest: " + name);
        }
        return path;
    }

    /**
     * Copy one partition's files as one version: listed, copied, listed again until no file copied was deleted
     * or replaced meanwhile (files added after the listing are left out: they lie beyond the snapshot).
     */
    void copyPartition(final String directory)
    {
        final Path localDir = local(directory);
        final Map<String, Long> copied = new HashMap<>();
        String lastSegment = null;
        for (int attempt = 1; attempt <= COPY_ATTEMPTS; attempt++)
        {
            final Listing listing = list(directory);
            if (null == lastSegment)
            {
                lastSegment = "";
                for (final Listed file : listing.files)
                {
                    lastSegment = isSegment(file) && file.name.compareTo(lastSegment) > 0 ? file.name : lastSegment;
                }
            }
            // Segments rolled since the first listing lie beyond the snapshot: left out, so that the last segment
            // copied stays the last one here (its tail, cut where the copy stopped, is recovered as the active one).
            final String limit = lastSegment;
            listing.files.removeIf((file) -> isSegment(file) && file.name.compareTo(limit) > 0);
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
                        if (!copyFile(file, local(file.name)))
                        {
                            isChanged = true;
                            break;
                        }
                        copied.put(file.name, file.fileKey);
                        afterCopyHook.run();
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
            changedCopies++;
            progress.accept("member " + donorId + " deleted or replaced a file of " + directory +
                " while it was copied: copying it again");
        }
        throw new IllegalStateException("rebuilding member " + memberId + ": member " + donorId +
            " changed " + directory + " in each of " + COPY_ATTEMPTS + " attempts to copy it");
    }

    private static boolean isSegment(final Listed file)
    {
        return file.name.endsWith(".log");
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
            names.add(memberDir.resolve(file.name).getFileName().toString());
        }
        try (Stream<Path> files = Files.list(localDir))
        {
            for (final Path file : files.toList())
            {
                if (!names.contains(file.getFileName().toString()))
                {
                    Files.delete(file);
                    copied.remove(memberDir.relativize(file).toString());
                }
            }
        }
    }

    /**
     * Where a file the donor listed goes: under the member's {@code data/}, nowhere else.
     */
    private Path local(final String name)
    {
        final Path data = memberDir.resolve("data").normalize();
        final Path path = memberDir.resolve(name).normalize();
        if (name.contains("..") || !path.startsWith(data) || path.equals(data))
        {
            throw new IllegalStateException("rebuilding member " + memberId + ": member " + donorId +
                " listed a file outside its data directory: " + name);
        }
        return path;
    }

    void copyWhole(final Listed file)
    {
        for (int attempt = 1; attempt <= COPY_ATTEMPTS; attempt++)
        {
            if (copyFile(file, local(file.name)))
            {
                return;
            }
        }
        throw new IllegalStateException("rebuilding member " + memberId + ": member " + donorId +
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
            progress.accept("copying the partitions: " + filesCopied + " files, " + bytesCopied + " bytes");
        }
    }

    void connect()
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

    Listing list(final String directory)
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
                .after(after)
                .proof(null == proof ? "" : proof.sign(requestBuffer, 0, filesRequest.limit()));
            final Answer page = request(id, MessageHeaderEncoder.ENCODED_LENGTH + filesRequest.encodedLength(),
                "the files of " + directory);
            if (ErrorCode.NONE != page.code)
            {
                throw new IllegalStateException("rebuilding member " + memberId + ": member " + donorId +
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
                .name(file.name)
                .proof(null == proof ? "" : proof.sign(requestBuffer, 0, readRequest.limit()));
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
            throw new IllegalStateException("rebuilding member " + memberId + ": member " + donorId +
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
        final long nowNs = SystemNanoClock.INSTANCE.nanoTime();
        if (0 == firstContactDeadlineNs)
        {
            firstContactDeadlineNs = nowNs + FIRST_ANSWER_TIMEOUT_NS;
        }
        if (nowNs - deadlineNs > 0 || null == lastAnswer && nowNs - firstContactDeadlineNs > 0)
        {
            throw new IllegalStateException("rebuilding member " + memberId + ": member " + donorId +
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
            lastAnswer = page;
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
            lastAnswer = chunk;
        }
    }

    record Listed(long length, long fileKey, String name)
    {
    }

    static final class Listing
    {
        long commitPosition = -1;
        final List<Listed> files = new ArrayList<>();
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
}
