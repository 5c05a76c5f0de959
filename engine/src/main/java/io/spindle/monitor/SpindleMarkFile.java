/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.text.SimpleDateFormat;
import java.util.Date;

import org.agrona.IoUtil;
import org.agrona.MarkFile;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.DistinctErrorLog;
import org.agrona.concurrent.errors.ErrorLogReader;

/**
 * The mark file of a broker or cluster member, {@value #FILE_NAME} in its data directory: who runs there (pid, node
 * id, start time, media driver directory) and the {@link DistinctErrorLog} every thread of it reports into through
 * {@link CountedErrorLog}. It stays after the process ends so that {@code spindle errors} can still read it; the
 * next start saves the errors it holds to {@code spindle-errors-<time>.log} beside it and starts an empty log.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Version (0 until ready)                       |
 *  +---------------------------------------------------------------+
 *  |                 Component (1 broker, 2 cluster member)        |
 *  +---------------------------------------------------------------+
 *  |                 Activity timestamp, ms since epoch            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Start timestamp, ms since epoch               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Process id                                    |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Node id                                       |
 *  +---------------------------------------------------------------+
 *  |                 Header length                                 |
 *  +---------------------------------------------------------------+
 *  |                 Error log length                              |
 *  +---------------------------------------------------------------+
 *  |                 Aeron directory length                        |
 *  +---------------------------------------------------------------+
 *  |                 Errors observed                               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Aeron directory, UTF-8                       ...
 *  ...                                                             |
 *  +---------------------------------------------------------------+  HEADER_LENGTH
 *  |                 Distinct error log                           ...
 *  ...                                                             |
 *  +---------------------------------------------------------------+
 * </pre>
 * <b>Threading:</b> the owner writes the header fields once at start (the activity timestamp from one thread);
 * the error log and the error count may be written from any thread; readers in other processes map it read-only.
 */
public final class SpindleMarkFile implements AutoCloseable
{
    /**
     * Name of the mark file in a data directory.
     */
    public static final String FILE_NAME = "spindle-mark.dat";

    /**
     * Layout version, written last at start: a reader that finds 0 sees a file still being set up.
     */
    public static final int VERSION = 1;

    /**
     * The component is a standalone broker.
     */
    public static final int COMPONENT_BROKER = 1;

    /**
     * The component is a cluster member.
     */
    public static final int COMPONENT_CLUSTER_MEMBER = 2;

    /**
     * Length of the header before the error log.
     */
    public static final int HEADER_LENGTH = 4096;

    /**
     * Default length of the error log: system property {@code spindle.error.buffer.length}, default 1m.
     */
    public static final int ERROR_BUFFER_LENGTH_DEFAULT = 1024 * 1024;

    static final int VERSION_OFFSET = 0;
    static final int COMPONENT_OFFSET = 4;
    static final int ACTIVITY_TIMESTAMP_OFFSET = 8;
    static final int START_TIMESTAMP_OFFSET = 16;
    static final int PID_OFFSET = 24;
    static final int NODE_ID_OFFSET = 32;
    static final int HEADER_LENGTH_OFFSET = 36;
    static final int ERROR_BUFFER_LENGTH_OFFSET = 40;
    static final int AERON_DIR_LENGTH_OFFSET = 44;
    static final int ERROR_COUNT_OFFSET = 48;
    static final int AERON_DIR_OFFSET = 56;
    static final int MAX_AERON_DIR_LENGTH = HEADER_LENGTH - AERON_DIR_OFFSET;

    private final MarkFile markFile;
    private final MappedByteBuffer readOnlyMapping;
    private final UnsafeBuffer buffer;
    private final UnsafeBuffer errorBuffer;
    private final DistinctErrorLog errorLog;
    private final File savedErrors;
    private final File file;

    private SpindleMarkFile(final File file, final MarkFile markFile, final EpochClock clock, final File savedErrors)
    {
        this.file = file;
        this.markFile = markFile;
        this.readOnlyMapping = null;
        this.buffer = markFile.buffer();
        this.errorBuffer = new UnsafeBuffer(buffer, HEADER_LENGTH, buffer.getInt(ERROR_BUFFER_LENGTH_OFFSET));
        this.errorLog = new DistinctErrorLog(errorBuffer, clock);
        this.savedErrors = savedErrors;
    }

    private SpindleMarkFile(final File file, final MappedByteBuffer mapping)
    {
        this.file = file;
        this.markFile = null;
        this.readOnlyMapping = mapping;
        this.buffer = new UnsafeBuffer(mapping);
        if (buffer.capacity() < HEADER_LENGTH)
        {
            IoUtil.unmap(mapping);
            throw new IllegalStateException("not a spindle mark file (or one still being set up): " +
                buffer.capacity() + " bytes");
        }
        final int headerLength = buffer.getInt(HEADER_LENGTH_OFFSET);
        final int errorLength = buffer.getInt(ERROR_BUFFER_LENGTH_OFFSET);
        if (headerLength != HEADER_LENGTH || errorLength < 0 || headerLength + errorLength > buffer.capacity())
        {
            IoUtil.unmap(mapping);
            throw new IllegalStateException("not a spindle mark file (or one still being set up): header length " +
                headerLength + ", error log length " + errorLength + ", file length " + buffer.capacity());
        }
        this.errorBuffer = new UnsafeBuffer(buffer, headerLength, errorLength);
        this.errorLog = null;
        this.savedErrors = null;
    }

    /**
     * Create the mark file of a component starting in a directory it holds exclusively (its {@code DirectoryLock}):
     * the errors a previous run left are saved to a text file beside it first.
     *
     * @param directory         the data directory.
     * @param component         {@link #COMPONENT_BROKER} or {@link #COMPONENT_CLUSTER_MEMBER}.
     * @param nodeId            of the broker or member.
     * @param errorBufferLength of the error log, at least 64k.
     * @param clock             for timestamps.
     * @return the mark file, ready.
     */
    public static SpindleMarkFile create(
        final Path directory,
        final int component,
        final int nodeId,
        final int errorBufferLength,
        final EpochClock clock)
    {
        if (errorBufferLength < 64 * 1024)
        {
            throw new IllegalArgumentException(
                "spindle.error.buffer.length must be at least 64k, was " + errorBufferLength);
        }
        final File file = directory.resolve(FILE_NAME).toFile();
        final int length = HEADER_LENGTH + errorBufferLength;
        File saved = null;
        MappedByteBuffer mapping = null;
        if (file.exists())
        {
            saved = saveErrors(directory, file, clock.time());
            if (file.length() == length)
            {
                // Reused in place: its blocks are allocated already, so a full disk does not stop a restart.
                mapping = IoUtil.mapExistingFile(file, FILE_NAME);
                new UnsafeBuffer(mapping).setMemory(0, length, (byte)0);
            }
            else
            {
                IoUtil.delete(file, false);
            }
        }

        final MarkFile markFile = new MarkFile(
            null != mapping ? mapping : mapAllocated(file, length), VERSION_OFFSET, ACTIVITY_TIMESTAMP_OFFSET);
        final UnsafeBuffer buffer = markFile.buffer();
        final long nowMs = clock.time();
        buffer.putInt(COMPONENT_OFFSET, component);
        buffer.putLong(START_TIMESTAMP_OFFSET, nowMs);
        buffer.putLong(PID_OFFSET, ProcessHandle.current().pid());
        buffer.putInt(NODE_ID_OFFSET, nodeId);
        buffer.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        buffer.putInt(ERROR_BUFFER_LENGTH_OFFSET, errorBufferLength);
        markFile.timestampRelease(nowMs);
        markFile.signalReady(VERSION);

        return new SpindleMarkFile(file, markFile, clock, saved);
    }

    /**
     * A new file of this length with every block written, then mapped: writing to a mapped page the file system has
     * not allocated yet faults the process (SIGBUS) when the disk is full, the very moment errors must be recorded.
     */
    private static MappedByteBuffer mapAllocated(final File file, final int length)
    {
        try (FileChannel channel = FileChannel.open(file.toPath(),
            StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
            long position = 0;
            while (position < length)
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), length - position));
                position += channel.write(zeros, position);
            }
            channel.force(true);
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
        catch (final IOException ex)
        {
            IoUtil.deleteIfExists(file);
            throw new UncheckedIOException("could not create the mark file " + file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Map the mark file in a data directory read-only, for tools.
     *
     * @param directory the data directory.
     * @return the mark file; close it to unmap.
     * @throws IllegalStateException if there is none or it is not one.
     */
    public static SpindleMarkFile open(final Path directory)
    {
        final File file = directory.resolve(FILE_NAME).toFile();
        if (!file.exists())
        {
            throw new IllegalStateException("no " + FILE_NAME + " in " + directory +
                " (is it the data directory of a broker or node that has run?)");
        }

        return new SpindleMarkFile(file, IoUtil.mapExistingFile(file, FileChannel.MapMode.READ_ONLY, FILE_NAME));
    }

    /**
     * The file.
     *
     * @return the mark file's path.
     */
    public File file()
    {
        return file;
    }

    /**
     * The errors a previous run left, saved when this one started.
     *
     * @return the file, or null if there were none.
     */
    public File savedErrors()
    {
        return savedErrors;
    }

    /**
     * Record the media driver directory the component uses, so tools given the data directory can find its
     * counters.
     *
     * @param aeronDirectoryName the driver's directory.
     */
    public void aeronDirectory(final String aeronDirectoryName)
    {
        final byte[] bytes = aeronDirectoryName.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_AERON_DIR_LENGTH)
        {
            throw new IllegalArgumentException("aeron directory name longer than " + MAX_AERON_DIR_LENGTH + " bytes");
        }
        buffer.putBytes(AERON_DIR_OFFSET, bytes);
        buffer.putIntRelease(AERON_DIR_LENGTH_OFFSET, bytes.length);
    }

    /**
     * The media driver directory the component uses.
     *
     * @return the directory, or null if not recorded yet.
     */
    public String aeronDirectory()
    {
        final int length = buffer.getIntVolatile(AERON_DIR_LENGTH_OFFSET);
        if (length <= 0 || length > MAX_AERON_DIR_LENGTH)
        {
            return null;
        }
        final byte[] bytes = new byte[length];
        buffer.getBytes(AERON_DIR_OFFSET, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The distinct error log in the file; owner only.
     *
     * @return the log.
     */
    public DistinctErrorLog errorLog()
    {
        return errorLog;
    }

    /**
     * The error log's buffer, for {@link ErrorLogReader}.
     *
     * @return the buffer.
     */
    public UnsafeBuffer errorBuffer()
    {
        return errorBuffer;
    }

    /**
     * Count one error observation; any thread of the owner.
     */
    public void countError()
    {
        buffer.getAndAddLong(ERROR_COUNT_OFFSET, 1);
    }

    /**
     * Errors observed, distinct or not, since the component started.
     *
     * @return the count.
     */
    public long errorCount()
    {
        return buffer.getLongVolatile(ERROR_COUNT_OFFSET);
    }

    /**
     * Process id of the component.
     *
     * @return the pid.
     */
    public long pid()
    {
        return buffer.getLong(PID_OFFSET);
    }

    /**
     * Node (or member) id of the component.
     *
     * @return the id.
     */
    public int nodeId()
    {
        return buffer.getInt(NODE_ID_OFFSET);
    }

    /**
     * {@link #COMPONENT_BROKER} or {@link #COMPONENT_CLUSTER_MEMBER}.
     *
     * @return the component type.
     */
    public int component()
    {
        return buffer.getInt(COMPONENT_OFFSET);
    }

    /**
     * When the component started.
     *
     * @return ms since the epoch.
     */
    public long startTimestampMs()
    {
        return buffer.getLong(START_TIMESTAMP_OFFSET);
    }

    /**
     * When the component last said it was alive.
     *
     * @return ms since the epoch.
     */
    public long activityTimestampMs()
    {
        return buffer.getLongVolatile(ACTIVITY_TIMESTAMP_OFFSET);
    }

    /**
     * Say the component is alive; one thread of the owner.
     *
     * @param nowMs ms since the epoch.
     */
    public void updateActivityTimestamp(final long nowMs)
    {
        markFile.timestampRelease(nowMs);
    }

    /**
     * Print the distinct errors as {@code spindle errors} does, Aeron's ErrorStat format.
     *
     * @param out where to print.
     * @return the count of distinct errors.
     */
    public int printErrors(final PrintStream out)
    {
        return printErrors(errorBuffer, out);
    }

    /**
     * Print the distinct errors of an error log buffer: count, first and last time, the error and its stack.
     *
     * @param errorBuffer holding a {@link DistinctErrorLog}.
     * @param out         where to print.
     * @return the count of distinct errors.
     */
    public static int printErrors(final org.agrona.concurrent.AtomicBuffer errorBuffer, final PrintStream out)
    {
        final SimpleDateFormat format = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSSZ");
        return ErrorLogReader.read(errorBuffer, (count, firstMs, lastMs, encodedException) ->
        {
            out.println();
            out.println(count + " observations from " + format.format(new Date(firstMs)) + " to " +
                format.format(new Date(lastMs)) + " for:");
            out.println(encodedException);
        });
    }

    /**
     * Unmap the file; the owner's stays on disk for tools to read after the process ends.
     */
    public void close()
    {
        if (null != markFile)
        {
            markFile.close();
        }
        else
        {
            IoUtil.unmap(readOnlyMapping);
        }
    }

    private static File saveErrors(final Path directory, final File file, final long nowMs)
    {
        try (SpindleMarkFile previous = new SpindleMarkFile(
            file, IoUtil.mapExistingFile(file, FileChannel.MapMode.READ_ONLY, FILE_NAME)))
        {
            if (!ErrorLogReader.hasErrors(previous.errorBuffer))
            {
                return null;
            }
            final String time = new SimpleDateFormat("yyyy-MM-dd-HH-mm-ss-SSS").format(new Date(nowMs));
            final File saved = directory.resolve("spindle-errors-" + time + ".log").toFile();
            try (PrintStream out = new PrintStream(Files.newOutputStream(saved.toPath()), false,
                StandardCharsets.UTF_8))
            {
                out.println("errors of pid " + previous.pid() + ", started " +
                    new SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSSZ").format(new Date(previous.startTimestampMs())));
                previous.printErrors(out);
            }
            return saved;
        }
        catch (final IllegalStateException ex)
        {
            // A file cut short by a crash during set-up holds nothing worth saving.
            return null;
        }
        catch (final IOException ex)
        {
            // A full disk must not keep the broker from starting: the old errors are lost, not the service.
            return null;
        }
    }
}
