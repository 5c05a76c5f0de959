package io.spindle.cluster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.service.ClusterCounters;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.spindle.archive.TierManifest;
import io.spindle.codecs.ProtocolValidator;
import io.spindle.codecs.ValidationResult;
import io.spindle.codecs.protocol.BooleanType;
import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.MemberFileReadRequestDecoder;
import io.spindle.codecs.protocol.MemberFileReadResponseEncoder;
import io.spindle.codecs.protocol.MemberFilesRequestDecoder;
import io.spindle.codecs.protocol.MemberFilesResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.host.DirectoryLock;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Serves a running member's files to a member being rebuilt ({@link NetworkRebuild}), on a stream of its own on the
 * member's client endpoint: lists of the files under {@code data/} (the partition logs' segment files, not their
 * indexes, which the rebuilt member recovers from the segments) and reads of a file's bytes at a position, each with
 * a CRC; and the member's tier manifests ({@code tier/<topicId>-<partition>/tier-manifest}), whose recordings the
 * rebuilt member replicates from this member's archive. Every file is named with its current version (its inode): a
 * read of a file that was deleted (retention) or replaced under the same name (the log cleaner's swap, a manifest's
 * atomic rewrite) is refused, so a reader never mixes two versions of a file.
 * <p>
 * With the members' secret ({@code spindle.node.secret.file}), only a member is served: a request must carry the
 * {@link MemberFileProof} of its bytes; one without, or with another, is answered INVALID_REQUEST and recorded in the
 * member's error log. Without a secret, any reader is served.
 * <p>
 * Requests are answered on the reader's response channel; an answer that cannot be sent at once (a publication not
 * connected yet, back pressure) is dropped and the reader asks again. Polled on the {@link MemberGateway}'s thread.
 */
final class MemberFileServer implements AutoCloseable
{
    /**
     * The stream on the member's client endpoint the server takes requests on.
     */
    static final int STREAM_ID = 1005;

    /**
     * The most bytes of a file one answer carries.
     */
    static final int MAX_CHUNK_LENGTH = 64 * 1024;

    private static final int FRAGMENT_LIMIT = 10;
    private static final int MAX_PUBLICATIONS = 16;
    private static final long PUBLICATION_IDLE_NS = 30_000_000_000L;
    private static final int ANSWER_OVERHEAD = 256;

    private final Aeron aeron;
    private final Path memberDir;
    private final ErrorHandler errorHandler;
    private final MemberFileProof proof;
    private final Subscription subscription;
    private final FragmentHandler handler = new FragmentAssembler(this::onFragment);
    private final ProtocolValidator validator = new ProtocolValidator();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MemberFilesRequestDecoder filesRequest = new MemberFilesRequestDecoder();
    private final MemberFilesResponseEncoder filesResponse = new MemberFilesResponseEncoder();
    private final MemberFileReadRequestDecoder readRequest = new MemberFileReadRequestDecoder();
    private final MemberFileReadResponseEncoder readResponse = new MemberFileReadResponseEncoder();
    private final ExpandableDirectByteBuffer answer = new ExpandableDirectByteBuffer(MAX_CHUNK_LENGTH + 1024);
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(MAX_CHUNK_LENGTH);
    private final UnsafeBuffer chunkBuffer = new UnsafeBuffer(chunk);
    private final CRC32C crc = new CRC32C();
    private final Map<String, Responder> responders = new HashMap<>();
    private long nowNs;
    private Responder current;

    /**
     * Take requests on a member's client channel.
     *
     * @param aeron        the gateway's client.
     * @param channel      the member's client channel, as its other servers subscribe to it.
     * @param memberDir    the member's directory.
     * @param secret       the members' secret, or null to serve any reader.
     * @param errorHandler for failures to answer and requests refused.
     */
    MemberFileServer(
        final Aeron aeron,
        final String channel,
        final Path memberDir,
        final byte[] secret,
        final ErrorHandler errorHandler)
    {
        this.proof = null == secret ? null : new MemberFileProof(secret);
        this.aeron = aeron;
        this.memberDir = memberDir.toAbsolutePath().normalize();
        this.errorHandler = errorHandler;
        this.subscription = aeron.addSubscription(channel, STREAM_ID);
    }

    /**
     * Answer what arrived.
     *
     * @param nowNs the gateway's time.
     * @return work done.
     */
    int poll(final long nowNs)
    {
        this.nowNs = nowNs;
        int work = 0;
        if (!responders.isEmpty())
        {
            // Only while a rebuild copies: iterating the map allocates, and this runs on every gateway duty cycle.
            for (final Responder responder : responders.values())
            {
                work += responder.flush();
            }
        }
        final int fragments = subscription.poll(handler, FRAGMENT_LIMIT);
        if (!responders.isEmpty() && 0 == fragments)
        {
            closeIdle(nowNs);
        }
        return work + fragments;
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        for (final Responder responder : responders.values())
        {
            CloseHelper.quietClose(responder.publication);
        }
        responders.clear();
        CloseHelper.quietClose(subscription);
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (ValidationResult.OK != validator.validate(buffer, offset, length))
        {
            return; // Not ours to answer: a reader sends only these two requests, and asks again when unanswered.
        }
        headerDecoder.wrap(buffer, offset);
        try
        {
            if (MemberFilesRequestDecoder.TEMPLATE_ID == headerDecoder.templateId())
            {
                filesRequest.wrapAndApplyHeader(buffer, offset, headerDecoder);
                onFilesRequest(buffer, offset);
            }
            else if (MemberFileReadRequestDecoder.TEMPLATE_ID == headerDecoder.templateId())
            {
                readRequest.wrapAndApplyHeader(buffer, offset, headerDecoder);
                onReadRequest(buffer, offset);
            }
        }
        catch (final RuntimeException ex)
        {
            errorHandler.onError(ex);
        }
    }

    private void onFilesRequest(final DirectBuffer buffer, final int offset)
    {
        final long correlationId = filesRequest.correlationId();
        final int responseStreamId = filesRequest.responseStreamId();
        final String responseChannel = filesRequest.responseChannel();
        final String directory = filesRequest.directory();
        final String after = filesRequest.after();
        final int signedLength = filesRequest.limit() - offset;
        final String presented = filesRequest.proof();
        final ExclusivePublication publication = responder(responseChannel, responseStreamId);
        if (null == publication)
        {
            return;
        }

        final List<Listed> listed = new ArrayList<>();
        String error = refusal(buffer, offset, signedLength, presented, directory);
        boolean isComplete = true;
        try
        {
            final Path dir = resolve(directory);
            if (null != error)
            {
                listed.clear();
            }
            else if (null == dir || !directory.equals("cluster") && !directory.equals("data") &&
                !directory.startsWith("data/") && !isTierDirectory(directory))
            {
                error = "not a directory a member serves: " + directory;
            }
            else if (!Files.isDirectory(dir) && isTierDirectory(directory))
            {
                error = null; // A member without a tier: nothing to list.
            }
            else
            {
                int room = publication.maxMessageLength() - ANSWER_OVERHEAD;
                for (final Path file : list(dir, directory))
                {
                    final String name = memberDir.relativize(file).toString();
                    if (!after.isEmpty() && name.compareTo(after) <= 0)
                    {
                        continue;
                    }
                    room -= MemberFilesResponseEncoder.FilesEncoder.sbeBlockLength() + 4 + name.length() * 3;
                    if (room < 0)
                    {
                        isComplete = false;
                        break;
                    }
                    final boolean isDirectory = Files.isDirectory(file);
                    listed.add(new Listed(name, isDirectory ? -1 : Files.size(file), isDirectory ? 0 : fileKey(file)));
                }
            }
        }
        catch (final IOException ex)
        {
            // A file deleted while listed: the reader lists again.
            listed.clear();
            error = "listing " + directory + ": " + ex;
        }

        filesResponse.wrapAndApplyHeader(answer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(null == error ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST)
            .commitPosition(commitPosition())
            .isComplete(isComplete ? BooleanType.TRUE : BooleanType.FALSE);
        final MemberFilesResponseEncoder.FilesEncoder files = filesResponse.filesCount(listed.size());
        for (final Listed file : listed)
        {
            files.next().length(file.length).fileKey(file.fileKey).name(file.name);
        }
        filesResponse.errorMessage(null == error ? "" : error);
        send(publication, MessageHeaderEncoder.ENCODED_LENGTH + filesResponse.encodedLength());
    }

    private void onReadRequest(final DirectBuffer buffer, final int offset)
    {
        final long correlationId = readRequest.correlationId();
        final int responseStreamId = readRequest.responseStreamId();
        final long fileKey = readRequest.fileKey();
        final long position = readRequest.position();
        final int length = readRequest.length();
        final String responseChannel = readRequest.responseChannel();
        final String name = readRequest.name();
        final int signedLength = readRequest.limit() - offset;
        final String presented = readRequest.proof();
        final ExclusivePublication publication = responder(responseChannel, responseStreamId);
        if (null == publication)
        {
            return;
        }

        ErrorCode code = ErrorCode.NONE;
        String error = "";
        int read = 0;
        chunk.clear().limit(0);
        final Path file = resolve(name);
        final String refusal = refusal(buffer, offset, signedLength, presented, name);
        if (null != refusal)
        {
            code = ErrorCode.INVALID_REQUEST;
            error = refusal;
        }
        else if (null == file || !name.startsWith("data/") && !name.equals("cluster/" + MemberClock.FILE_NAME) &&
            !isTierManifest(name) || position < 0 || length < 0)
        {
            code = ErrorCode.INVALID_REQUEST;
            error = "not a file a member serves: " + name;
        }
        else
        {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
            {
                // The file's version before and after the read: a file replaced in between is refused.
                if (fileKey(file) != fileKey)
                {
                    code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                    error = name + " was replaced";
                }
                else
                {
                    chunk.clear().limit(Math.min(Math.min(length, MAX_CHUNK_LENGTH),
                        publication.maxMessageLength() - ANSWER_OVERHEAD));
                    while (chunk.hasRemaining())
                    {
                        final int bytes = channel.read(chunk, position + chunk.position());
                        if (bytes < 0)
                        {
                            break;
                        }
                    }
                    read = chunk.position();
                    if (fileKey(file) != fileKey)
                    {
                        code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                        error = name + " was replaced";
                        read = 0;
                    }
                }
            }
            catch (final NoSuchFileException ex)
            {
                code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
                error = name + " is gone";
            }
            catch (final IOException ex)
            {
                code = ErrorCode.KAFKA_STORAGE_ERROR;
                error = "reading " + name + ": " + ex;
            }
        }

        crc.reset();
        chunk.flip();
        crc.update(chunk);
        readResponse.wrapAndApplyHeader(answer, 0, headerEncoder)
            .correlationId(correlationId)
            .errorCode(code)
            .position(position)
            .crc32c((int)crc.getValue())
            .putData(chunkBuffer, 0, read);
        readResponse.errorMessage(error);
        send(publication, MessageHeaderEncoder.ENCODED_LENGTH + readResponse.encodedLength());
    }

    /**
     * Why a request is refused: with a secret, its proof is missing or wrong (recorded).
     *
     * @return the refusal, or null to serve it.
     */
    private String refusal(
        final DirectBuffer buffer, final int offset, final int signedLength, final String presented, final String what)
    {
        if (null == proof || proof.verify(buffer, offset, signedLength, presented))
        {
            return null;
        }
        errorHandler.onError(new SecurityException("member file server: refused a request that does not prove the " +
            "members' secret (spindle.node.secret.file): only a member, rebuilt with the same file, is served"));
        return "refused " + what + ": this member has spindle.node.secret.file set and the request does not prove " +
            "the members' secret (rebuild with the same spindle.node.secret.file)";
    }

    /**
     * Send an answer, or keep it to send again at the next polls while the reader's window is full (back pressure):
     * a reader sends its next request only once answered.
     */
    private void send(final ExclusivePublication publication, final int length)
    {
        final long result = publication.offer(answer, 0, length);
        if (Publication.BACK_PRESSURED == result || Publication.ADMIN_ACTION == result)
        {
            current.pending.putBytes(0, answer, 0, length);
            current.pendingLength = length;
        }
    }

    /**
     * A publication to a reader, connected, or null while it connects or has an answer still to send (the reader
     * asks again).
     */
    private ExclusivePublication responder(final String channel, final int streamId)
    {
        final String key = streamId + " " + channel;
        Responder responder = responders.get(key);
        if (null == responder)
        {
            if (responders.size() >= MAX_PUBLICATIONS || !channel.startsWith("aeron:udp?"))
            {
                return null;
            }
            responder = new Responder(aeron.addExclusivePublication(channel, streamId));
            responders.put(key, responder);
        }
        responder.lastUsedNs = nowNs;
        current = responder;
        return responder.publication.isConnected() && 0 == responder.pendingLength ? responder.publication : null;
    }

    private void closeIdle(final long nowNs)
    {
        for (final Iterator<Responder> it = responders.values().iterator(); it.hasNext(); )
        {
            final Responder responder = it.next();
            if (nowNs - responder.lastUsedNs > PUBLICATION_IDLE_NS)
            {
                CloseHelper.quietClose(responder.publication);
                it.remove();
            }
        }
    }

    private long commitPosition()
    {
        final int counterId = ClusterCounters.find(
            aeron.countersReader(), ConsensusModule.Configuration.COMMIT_POSITION_TYPE_ID, 0);
        return counterId < 0 ? -1 : aeron.countersReader().getCounterValue(counterId);
    }

    /**
     * A name relative to the member's directory, or null when it leaves the directory.
     */
    private Path resolve(final String name)
    {
        final Path path = memberDir.resolve(name).normalize();
        return path.startsWith(memberDir) && !name.contains("..") ? path : null;
    }

    /**
     * The files a rebuilt member needs in a directory, by name: not the indexes (rebuilt from the segments), the
     * recovery point (the rebuilt member recovers every segment), the cleaner's files in progress or the lock.
     */
    private static List<Path> list(final Path dir, final String directory) throws IOException
    {
        if (directory.equals("cluster"))
        {
            final Path clock = dir.resolve(MemberClock.FILE_NAME);
            return Files.exists(clock) ? List.of(clock) : List.of();
        }
        if (directory.startsWith("tier/"))
        {
            final Path manifest = dir.resolve(TierManifest.FILE_NAME);
            return Files.exists(manifest) ? List.of(manifest) : List.of();
        }
        if (directory.equals("tier"))
        {
            try (Stream<Path> entries = Files.list(dir))
            {
                return entries.filter((path) -> isTierDirectory("tier/" + path.getFileName()) &&
                    Files.isDirectory(path)).sorted().toList();
            }
        }
        try (Stream<Path> entries = Files.list(dir))
        {
            return entries.filter((path) -> isServed(path.getFileName().toString())).sorted().toList();
        }
    }

    /**
     * The member's tier manifests' directory ({@code tier}) or one partition's ({@code tier/<topicId>-<partition>}).
     */
    static boolean isTierDirectory(final String directory)
    {
        return directory.equals("tier") || directory.matches("tier/[0-9]+-[0-9]+");
    }

    /**
     * A partition's tier manifest, {@code tier/<topicId>-<partition>/tier-manifest}: the one file of the tier served.
     */
    static boolean isTierManifest(final String name)
    {
        final int slash = name.lastIndexOf('/');
        return slash > 0 && isTierDirectory(name.substring(0, slash)) && !name.substring(0, slash).equals("tier") &&
            name.substring(slash + 1).equals(TierManifest.FILE_NAME);
    }

    static boolean isServed(final String name)
    {
        return !name.endsWith(".index") && !name.endsWith(".timeindex") && !name.endsWith(".cleaned") &&
            !name.endsWith(".swap") && !name.endsWith(".deleted") && !name.equals("recovery-point") &&
            !name.equals(DirectoryLock.FILE_NAME);
    }

    /**
     * The identity of a file's current version: its inode where the file system has one.
     *
     * @param file to name.
     * @return the identity.
     * @throws IOException when the file is gone.
     */
    static long fileKey(final Path file) throws IOException
    {
        try
        {
            return ((Number)Files.getAttribute(file, "unix:ino")).longValue();
        }
        catch (final UnsupportedOperationException | IllegalArgumentException ex)
        {
            final Object key = Files.readAttributes(file,
                java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            return null == key ? 0 : key.hashCode();
        }
    }

    private record Listed(String name, long length, long fileKey)
    {
    }

    private static final class Responder
    {
        private final ExclusivePublication publication;
        private final ExpandableDirectByteBuffer pending = new ExpandableDirectByteBuffer(1024);
        private int pendingLength;
        private long lastUsedNs;

        private Responder(final ExclusivePublication publication)
        {
            this.publication = publication;
        }

        private int flush()
        {
            if (0 == pendingLength)
            {
                return 0;
            }
            final long result = publication.offer(pending, 0, pendingLength);
            if (result > 0 || Publication.NOT_CONNECTED == result || Publication.CLOSED == result ||
                Publication.MAX_POSITION_EXCEEDED == result)
            {
                pendingLength = 0; // sent, or the reader is gone (it asks again if it comes back)
                return 1;
            }
            return 0;
        }
    }
}
