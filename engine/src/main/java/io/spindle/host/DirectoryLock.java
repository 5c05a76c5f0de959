package io.spindle.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.CloseHelper;

/**
 * An exclusive lock on a broker's data directory, held for the broker's life: a second broker on the
 * same directory, in this process or another, is refused with the holder's pid rather than both writing
 * the same logs and metadata. The lock is the operating system's file lock on {@link #FILE_NAME} inside
 * the directory, so a killed holder releases it; the file is left in place (removing it could let two
 * brokers lock two different files of the same name) and holds the holder's pid, for the message.
 */
public final class DirectoryLock implements AutoCloseable
{
    /**
     * Name of the lock file inside the locked directory.
     */
    public static final String FILE_NAME = "spindle.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(final FileChannel channel, final FileLock lock)
    {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Lock a directory, creating it if needed.
     *
     * @param directory to lock.
     * @param role what holds it, for the message: "broker".
     * @return the held lock; close it to release.
     * @throws IllegalStateException naming the holder when another one holds it.
     */
    public static DirectoryLock acquire(final Path directory, final String role)
    {
        final Path file = directory.resolve(FILE_NAME);
        FileChannel channel = null;
        try
        {
            Files.createDirectories(directory);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
            FileLock lock;
            String holder;
            try
            {
                lock = channel.tryLock();
                holder = "another process";
            }
            catch (final OverlappingFileLockException ex)
            {
                // File locks belong to the JVM: a second broker in this process gets here.
                lock = null;
                holder = "this process";
            }
            if (null == lock)
            {
                throw new IllegalStateException("data directory " + directory + " is in use by another " + role +
                    " (" + holder + ", pid " + readHolder(channel) + "); stop it or use another directory");
            }
            final byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
            return new DirectoryLock(channel, lock);
        }
        catch (final IOException ex)
        {
            CloseHelper.quietClose(channel);
            throw new UncheckedIOException("cannot lock data directory " + directory + ": " + ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(channel);
            throw ex;
        }
    }

    private static String readHolder(final FileChannel channel) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(32);
        final int length = channel.read(buffer, 0);
        final String pid = length > 0 ? new String(buffer.array(), 0, length, StandardCharsets.US_ASCII).trim() : "";
        return pid.isEmpty() ? "unknown" : pid;
    }

    /**
     * Release the lock.
     */
    public void close()
    {
        try
        {
            lock.release();
        }
        catch (final IOException ignore)
        {
            // Closing the channel releases it too.
        }
        CloseHelper.quietClose(channel);
    }
}
