package io.spindle.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.Agent;

/**
 * The one writer of {@code spindle.meta}: writes the snapshot the {@link ControlAgent} hands it (write, fsync,
 * atomic rename, fsync of the directory) on its own thread, so no produce acknowledgement waits for a disk flush.
 * <p>
 * <b>Hand-off.</b> One write at a time. The control agent encodes a snapshot into its buffer and calls
 * {@link #request(byte[], int, long)} with a sequence number one above the last; the buffer then belongs to the
 * persister until {@link #completedSequence()} or {@link #failedSequence()} reaches that number, and the control
 * agent neither touches it nor requests again before then. Whatever changes arrive meanwhile are coalesced into the
 * next snapshot (group commit). The sequence fields are volatile: the bytes written before a request are visible to
 * the persister, and the persister's outcome (and the buffer's release) to the control agent.
 * <p>
 * <b>Wake-ups.</b> Each side unparks the other's thread when it hands something over, so neither waits out its idle
 * strategy's park: a commit's answer costs the write and the fsync, not a park on top.
 * <p>
 * <b>Counters.</b> Writes, bytes written, failures and the longest write of the last second
 * ({@link MetadataCounters}), from this thread.
 */
final class MetadataPersister implements Agent
{
    /**
     * Writes a snapshot durably to a file; a seam for tests that block or fail the write.
     */
    @FunctionalInterface
    interface Writer
    {
        /**
         * Write the bytes so that they survive the process and, once this returns, a power cut.
         *
         * @param file   to replace.
         * @param bytes  holding the snapshot from index 0.
         * @param length of the snapshot.
         * @throws IOException when it could not be written; the file then still holds its previous content.
         */
        void write(Path file, byte[] bytes, int length) throws IOException;
    }

    /**
     * The default {@link Writer}: a temporary file written and forced, renamed over the file, the directory forced.
     */
    static final Writer ATOMIC_WRITER = MetadataPersister::writeAtomically;

    /**
     * How long the persister's thread parks when it has nothing to write: a request unparks it at once, so this only
     * bounds how late the longest-write counter turns over. (A backoff strategy's 1 ms parks woke it ~900 times a
     * second for nothing, each wake-up a chance to hold a CPU a latency-sensitive thread was about to need.)
     */
    static final long IDLE_PARK_NS = 100_000_000L;

    private static final long LONGEST_WRITE_WINDOW_NS = 1_000_000_000L;

    private final Path file;
    private final Writer writer;
    private final MetadataCounters counters;
    private long windowEndNs = System.nanoTime() + LONGEST_WRITE_WINDOW_NS;
    private long windowLongestNs;
    private byte[] bytes;
    private int length;
    private volatile long requestedSequence;
    private volatile long completedSequence;
    private volatile long failedSequence;
    private Exception failure;
    private long handledSequence;
    private volatile Thread persisterThread;
    private volatile Thread requesterThread;

    /**
     * @param file   the metadata file.
     * @param writer how it is written.
     * @param sequence the sequence the file on disk stands for (requests start above it).
     * @param counters of the writes.
     */
    MetadataPersister(final Path file, final Writer writer, final long sequence, final MetadataCounters counters)
    {
        this.file = file;
        this.writer = writer;
        this.counters = counters;
        this.requestedSequence = sequence;
        this.completedSequence = sequence;
        this.failedSequence = sequence;
        this.handledSequence = sequence;
    }

    /**
     * {@inheritDoc}
     */
    public void onStart()
    {
        persisterThread = Thread.currentThread();
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - windowEndNs >= 0)
        {
            counters.longestWriteUs.setRelease(windowLongestNs / 1000);
            windowLongestNs = 0;
            windowEndNs = nowNs + LONGEST_WRITE_WINDOW_NS;
        }
        final long sequence = requestedSequence;
        if (sequence == handledSequence)
        {
            return 0;
        }
        handledSequence = sequence;
        try
        {
            writer.write(file, bytes, length);
            onWritten(length, System.nanoTime() - nowNs);
            completedSequence = sequence;
        }
        catch (final IOException | RuntimeException ex)
        {
            // Reported to the control agent, which decides: stop the broker, or refuse the answers that waited.
            counters.writeFailures.incrementRelease();
            failure = ex;
            failedSequence = sequence;
        }
        final Thread requester = requesterThread;
        if (null != requester)
        {
            LockSupport.unpark(requester);
        }
        return 1;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-metadata";
    }

    /**
     * The counters this persister keeps, and the control agent its held answers in.
     *
     * @return the counters.
     */
    MetadataCounters counters()
    {
        return counters;
    }

    /**
     * The thread to wake when a write is done: the control agent's.
     *
     * @param thread that requests writes.
     */
    void requesterThread(final Thread thread)
    {
        this.requesterThread = thread;
    }

    /**
     * Hand over a snapshot; only when nothing is in flight.
     *
     * @param bytes    holding it from index 0; the persister's until the request's outcome is seen.
     * @param length   of the snapshot.
     * @param sequence one above the previous request's.
     */
    void request(final byte[] bytes, final int length, final long sequence)
    {
        this.bytes = bytes;
        this.length = length;
        requestedSequence = sequence;
        final Thread persister = persisterThread;
        if (null != persister)
        {
            LockSupport.unpark(persister);
        }
    }

    /**
     * The latest request written and forced to disk.
     *
     * @return its sequence.
     */
    long completedSequence()
    {
        return completedSequence;
    }

    /**
     * The latest request that could not be written; {@link #failure()} says why.
     *
     * @return its sequence.
     */
    long failedSequence()
    {
        return failedSequence;
    }

    /**
     * Why the request at {@link #failedSequence()} was not written; read after seeing that sequence.
     *
     * @return what failed, e.g. "could not write .../spindle.meta (No space left on device)".
     */
    String failure()
    {
        return "could not write " + file + " (" + failure.getMessage() + ")";
    }

    /**
     * Write on the calling thread, for the last snapshot at close; only when nothing is in flight.
     *
     * @param bytes  holding the snapshot from index 0.
     * @param length of the snapshot.
     * @throws UncheckedIOException when it could not be written.
     */
    void writeNow(final byte[] bytes, final int length)
    {
        try
        {
            writer.write(file, bytes, length);
            counters.writes.incrementRelease();
            counters.bytesWritten.getAndAddRelease(length);
        }
        catch (final IOException ex)
        {
            counters.writeFailures.incrementRelease();
            throw new UncheckedIOException("could not write " + file + " (" + ex.getMessage() + ")", ex);
        }
    }

    private void onWritten(final int length, final long durationNs)
    {
        counters.writes.incrementRelease();
        counters.bytesWritten.getAndAddRelease(length);
        windowLongestNs = Math.max(windowLongestNs, durationNs);
    }

    static void writeAtomically(final Path file, final byte[] bytes, final int length) throws IOException
    {
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(
            tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, length);
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ))
        {
            dir.force(true);
        }
        catch (final IOException ignore)
        {
            // Not every file system lets a directory be opened for fsync; the rename is still atomic.
        }
    }
}
