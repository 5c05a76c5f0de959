package io.spindle.driver;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import org.agrona.IoUtil;

/**
 * Media driver directories as Spindle's hosts and clients see them: whose driver a directory belongs
 * to, whether that driver is alive, and where an embedded client driver gets a directory of its own.
 * <p>
 * A driver's {@code cnc.dat} names its process id. A process killed with SIGKILL cannot remove its
 * directory, so the owner's pid is what tells a leftover from a directory in use: a leftover is removed,
 * a directory in use is never touched.
 */
public final class DriverDirectory
{
    /**
     * Process id returned when a directory has no readable {@code cnc.dat}.
     */
    public static final long NULL_PID = -1;

    /**
     * Prefix of the directories of clients' embedded drivers: {@code spindle-client-<pid>-<n>}.
     */
    public static final String CLIENT_PREFIX = "spindle-client-";

    private static final AtomicInteger CLIENT_DIRECTORY_COUNT = new AtomicInteger();

    private DriverDirectory()
    {
    }

    /**
     * The process id written in the directory's {@code cnc.dat} by the driver that created it.
     *
     * @param aeronDir the driver's directory.
     * @return the pid, or {@link #NULL_PID} if there is no readable cnc file.
     */
    public static long ownerPid(final File aeronDir)
    {
        final File cncFile = new File(aeronDir, CncFileDescriptor.CNC_FILE);
        if (!cncFile.isFile() || cncFile.length() < CncFileDescriptor.META_DATA_LENGTH)
        {
            return NULL_PID;
        }
        MappedByteBuffer mapped = null;
        try
        {
            mapped = IoUtil.mapExistingFile(cncFile, "cnc");
            final long pid = CncFileDescriptor.pid(CncFileDescriptor.createMetaDataBuffer(mapped));
            return pid > 0 ? pid : NULL_PID;
        }
        catch (final RuntimeException ignore)
        {
            // Removed under us or not a cnc file: no owner to name.
            return NULL_PID;
        }
        finally
        {
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
        }
    }

    /**
     * Whether the process is known to be gone: a pid of a live process, this one included, is not dead.
     *
     * @param pid the process id.
     * @return true if no process has this pid.
     */
    public static boolean isDead(final long pid)
    {
        if (pid <= 0)
        {
            return false;
        }
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        return process.isEmpty() || !process.get().isAlive();
    }

    /**
     * Whether a live media driver uses the directory: its cnc file is there and its heartbeat is fresh.
     *
     * @param aeronDir the directory.
     * @return true if a driver is active in it.
     */
    public static boolean isDriverActive(final File aeronDir)
    {
        try
        {
            return CommonContext.isDriverActive(aeronDir, CommonContext.DEFAULT_DRIVER_TIMEOUT_MS, (message) -> {});
        }
        catch (final RuntimeException ex)
        {
            // A cnc file being created, or of another Aeron version: treat as in use, never as free.
            return true;
        }
    }

    /**
     * Whether a media driver runs in the directory and can be used: it is active by its heartbeat and its process is
     * not known to be gone (a driver killed a moment ago still looks active for the driver timeout).
     *
     * @param aeronDir the directory.
     * @return true if a driver runs in it.
     */
    public static boolean isDriverRunning(final File aeronDir)
    {
        return !isDead(ownerPid(aeronDir)) && isDriverActive(aeronDir);
    }

    /**
     * Where clients' embedded drivers get their directories: beside Aeron's default directory
     * ({@code /dev/shm} on Linux).
     *
     * @return the parent directory.
     */
    public static File clientDirectoryParent()
    {
        final File parent = new File(CommonContext.AERON_DIR_PROP_DEFAULT).getAbsoluteFile().getParentFile();
        return null != parent ? parent : new File(System.getProperty("java.io.tmpdir"));
    }

    /**
     * A directory no other driver uses, for a client's embedded driver:
     * {@code <parent>/spindle-client-<pid>-<n>}.
     *
     * @return the directory (not created).
     */
    public static File newClientDirectory()
    {
        return new File(clientDirectoryParent(),
            CLIENT_PREFIX + ProcessHandle.current().pid() + "-" + CLIENT_DIRECTORY_COUNT.incrementAndGet());
    }

    /**
     * Remove the directories of clients' embedded drivers whose process is gone (killed with SIGKILL, or
     * before its shutdown hook ran). A directory whose owner is alive, or cannot be told, stays.
     *
     * @param parent where the client directories are.
     * @return how many were removed.
     */
    public static int sweepDeadClientDirectories(final File parent)
    {
        final File[] entries = parent.listFiles((dir, name) -> name.startsWith(CLIENT_PREFIX));
        if (null == entries)
        {
            return 0;
        }
        int removed = 0;
        for (final File entry : entries)
        {
            long pid = ownerPid(entry);
            if (NULL_PID == pid)
            {
                // Killed before its driver wrote the cnc file: the name still says whose it was.
                pid = pidInName(entry.getName());
            }
            if (isDead(pid) && entry.isDirectory())
            {
                IoUtil.delete(entry, true);
                removed++;
            }
        }
        return removed;
    }

    private static long pidInName(final String name)
    {
        final int end = name.indexOf('-', CLIENT_PREFIX.length());
        try
        {
            return end > CLIENT_PREFIX.length() ?
                Long.parseLong(name.substring(CLIENT_PREFIX.length(), end)) : NULL_PID;
        }
        catch (final NumberFormatException ex)
        {
            return NULL_PID;
        }
    }
}
