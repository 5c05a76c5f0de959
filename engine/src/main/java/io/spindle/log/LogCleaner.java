/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.concurrent.locks.LockSupport;

/**
 * Runs {@link LogCleaning} tasks, the heavy part of compaction (reading sealed segments, building the latest offset
 * per key, writing {@code .cleaned} files), off the thread that appends and the threads that serve fetches.
 * <p>
 * A {@link PartitionLog} with {@code cleanup.policy} containing {@code compact} decides on its writer thread when a
 * cleaning is due and submits it here; the cleaner thread writes the cleaned files and marks the task done; the
 * writer swaps them in on a later {@link PartitionLog#doWork} (see {@link LogCleaning} for the swap protocol).
 * The cleaner changes no state a reader or the writer sees, so it needs no lock: its only link to the log is the
 * task, published through a concurrent queue and completed with a volatile state.
 * <p>
 * Throttled to {@code spindle.log.cleaner.io.max.bytes.per.second} (system property, default 16m) of segment bytes
 * read, by parking the cleaner thread: once it is {@value #MIN_SLEEP_NS} ns or more ahead of the rate it sleeps until
 * it is not, so it runs in short bursts and never spins. Every task runs in one {@link CleanerWorkspace} the cleaner
 * creates on its first task and keeps (its key map takes {@code spindle.log.cleaner.dedupe.buffer.size}, default
 * 16m, off heap), so a cleaning allocates nothing per record and makes no garbage for the collector to stop the
 * broker's threads for. {@link #shared()} is one daemon thread per process that every log uses
 * unless given its own (a standalone broker owns one, started and stopped with it, and counts its work in
 * {@link #counters counters}); {@link #inline()} runs each task on the submitting thread, for tests and tools.
 */
public final class LogCleaner implements AutoCloseable
{
    /**
     * Default throttle: bytes of segments read per second.
     */
    public static final long MAX_BYTES_PER_SECOND_DEFAULT = 16L * 1024 * 1024;

    /**
     * The throttle sleeps once the cleaner is this far ahead of its rate: fewer, longer sleeps than one a batch.
     */
    static final long MIN_SLEEP_NS = 250_000;

    private static final Object SHARED_LOCK = new Object();
    private static LogCleaner shared;

    private final ManyToOneConcurrentLinkedQueue<LogCleaning> tasks = new ManyToOneConcurrentLinkedQueue<>();
    private final long maxBytesPerSecond;
    private final long dedupeBufferBytes;
    private final Thread thread;
    private final Object workspaceLock = new Object();
    private CleanerWorkspace workspace;
    private volatile boolean isClosed;
    private volatile long bytesCleaned;
    private volatile long passes;
    private volatile long recordsRemoved;
    private volatile long errors;
    private AtomicCounter passesCounter;
    private AtomicCounter bytesCounter;
    private AtomicCounter recordsRemovedCounter;
    private AtomicCounter errorsCounter;

    private LogCleaner(final long maxBytesPerSecond, final boolean isBackground)
    {
        this(maxBytesPerSecond, StorageConfiguration.cleanerDedupeBufferBytes(), isBackground, "spindle-log-cleaner");
    }

    private LogCleaner(
        final long maxBytesPerSecond, final long dedupeBufferBytes, final boolean isBackground, final String threadName)
    {
        if (maxBytesPerSecond < 1)
        {
            throw new IllegalArgumentException("maxBytesPerSecond=" + maxBytesPerSecond);
        }
        if (dedupeBufferBytes < StorageConfiguration.MIN_DEDUPE_BUFFER_BYTES)
        {
            throw new IllegalArgumentException("dedupeBufferBytes=" + dedupeBufferBytes);
        }

        this.maxBytesPerSecond = maxBytesPerSecond;
        this.dedupeBufferBytes = dedupeBufferBytes;
        if (isBackground)
        {
            thread = new Thread(this::run, threadName);
            thread.setDaemon(true);
            thread.start();
        }
        else
        {
            thread = null;
        }
    }

    /**
     * A cleaner with its own background daemon thread.
     *
     * @param maxBytesPerSecond throttle on the segment bytes read per second.
     * @return the started cleaner; {@link #close()} stops its thread.
     */
    public static LogCleaner background(final long maxBytesPerSecond)
    {
        return new LogCleaner(maxBytesPerSecond, true);
    }

    /**
     * A cleaner with its own background daemon thread of a given name, as a broker owns one.
     *
     * @param maxBytesPerSecond throttle on the segment bytes read per second.
     * @param threadName        of the cleaner thread.
     * @return the started cleaner; {@link #close()} stops its thread.
     */
    public static LogCleaner background(final long maxBytesPerSecond, final String threadName)
    {
        return new LogCleaner(maxBytesPerSecond, StorageConfiguration.cleanerDedupeBufferBytes(), true, threadName);
    }

    /**
     * A cleaner that runs each task on the thread that submits it, unthrottled, with a key map of a given size:
     * tests and tools.
     *
     * @param dedupeBufferBytes memory for the key map; a smaller map cleans fewer segments a pass.
     * @return the cleaner.
     */
    public static LogCleaner inline(final long dedupeBufferBytes)
    {
        return new LogCleaner(Long.MAX_VALUE, dedupeBufferBytes, false, "spindle-log-cleaner");
    }

    /**
     * Also count this cleaner's work in counters (say the broker's, in the driver's counters file); before the
     * first task is submitted.
     *
     * @param passes         cleanings finished and ready to swap in.
     * @param bytes          bytes of segments read.
     * @param recordsRemoved records (and markers) the finished cleanings removed.
     * @param errors         cleanings that failed, in the cleaner or while being swapped in.
     * @return this.
     */
    public LogCleaner counters(
        final AtomicCounter passes,
        final AtomicCounter bytes,
        final AtomicCounter recordsRemoved,
        final AtomicCounter errors)
    {
        passesCounter = passes;
        bytesCounter = bytes;
        recordsRemovedCounter = recordsRemoved;
        errorsCounter = errors;
        return this;
    }

    /**
     * Cleanings finished and ready to swap in since the cleaner started.
     *
     * @return count.
     */
    public long passes()
    {
        return passes;
    }

    /**
     * Records (and transaction markers) removed by finished cleanings since the cleaner started.
     *
     * @return count.
     */
    public long recordsRemoved()
    {
        return recordsRemoved;
    }

    /**
     * Cleanings that failed since the cleaner started, in the cleaner or while being swapped in.
     *
     * @return count.
     */
    public long errors()
    {
        return errors;
    }

    /**
     * A task ended; the thread that ran it.
     *
     * @param isDone         it finished and its output can be swapped in.
     * @param isFailed       it failed.
     * @param removedRecords records it removed.
     */
    void onTaskEnded(final boolean isDone, final boolean isFailed, final long removedRecords)
    {
        if (isDone)
        {
            passes++;
            recordsRemoved += removedRecords;
            if (null != passesCounter)
            {
                passesCounter.incrementOrdered();
                recordsRemovedCounter.getAndAddOrdered(removedRecords);
            }
        }
        else if (isFailed)
        {
            onError();
        }
    }

    /**
     * A cleaning failed while being swapped in; the log's writer thread.
     */
    void onError()
    {
        synchronized (this)
        {
            errors++;
        }
        if (null != errorsCounter)
        {
            errorsCounter.increment();
        }
    }

    /**
     * A cleaner that runs each task on the thread that submits it, unthrottled; tests and tools.
     *
     * @return the cleaner.
     */
    public static LogCleaner inline()
    {
        return new LogCleaner(Long.MAX_VALUE, false);
    }

    /**
     * The process-wide background cleaner, started on first use, throttled by
     * {@code spindle.log.cleaner.io.max.bytes.per.second}.
     *
     * @return the shared cleaner.
     */
    public static LogCleaner shared()
    {
        synchronized (SHARED_LOCK)
        {
            if (null == shared)
            {
                shared = background(StorageConfiguration.cleanerIoMaxBytesPerSecond());
            }

            return shared;
        }
    }

    /**
     * Hand a task to the cleaner; it runs once, in submission order, and then reports done.
     *
     * @param task to run.
     */
    void submit(final LogCleaning task)
    {
        if (null == thread)
        {
            runTask(task);
        }
        else if (isClosed)
        {
            task.cancel();
            runTask(task);
        }
        else
        {
            tasks.offer(task);
            LockSupport.unpark(thread);
        }
    }

    /**
     * Bytes of segments read by finished and running tasks since the cleaner started, for throughput figures.
     *
     * @return bytes read.
     */
    public long bytesCleaned()
    {
        return bytesCleaned;
    }

    /**
     * Stop the background thread after the task it is running, if any; queued tasks are reported cancelled.
     */
    public void close()
    {
        isClosed = true;
        if (null != thread)
        {
            LockSupport.unpark(thread);
            try
            {
                thread.join(10_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        else
        {
            closeWorkspace();
        }
    }

    /**
     * Account for segment bytes read and park the cleaner thread long enough to hold the throttle.
     *
     * @param bytes   just read.
     * @param startNs when the task started, {@link System#nanoTime()}.
     * @param total   bytes the task has read so far, including these.
     */
    void throttle(final int bytes, final long startNs, final long total)
    {
        bytesCleaned += bytes;
        if (null != bytesCounter)
        {
            bytesCounter.getAndAddOrdered(bytes);
        }
        if (Long.MAX_VALUE == maxBytesPerSecond)
        {
            return;
        }

        final long dueNs = (long)(total * 1e9 / maxBytesPerSecond);
        long aheadNs = dueNs - (System.nanoTime() - startNs);
        while (aheadNs >= MIN_SLEEP_NS && !isClosed)
        {
            LockSupport.parkNanos(Math.min(aheadNs, 100_000_000L));
            aheadNs = dueNs - (System.nanoTime() - startNs);
        }
    }

    private void run()
    {
        while (!isClosed)
        {
            final LogCleaning task = tasks.poll();
            if (null == task)
            {
                LockSupport.parkNanos(50_000_000L);
                continue;
            }

            runTask(task);
        }

        LogCleaning task;
        while (null != (task = tasks.poll()))
        {
            task.cancel();
            runTask(task);
        }
        closeWorkspace();
    }

    private void runTask(final LogCleaning task)
    {
        // An inline cleaner may be shared by logs on different threads: one task at a time owns the workspace.
        synchronized (workspaceLock)
        {
            if (null == workspace)
            {
                workspace = new CleanerWorkspace(dedupeBufferBytes);
            }
            task.run(this, workspace);
        }
    }

    private void closeWorkspace()
    {
        synchronized (workspaceLock)
        {
            if (null != workspace)
            {
                workspace.close();
                workspace = null;
            }
        }
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "LogCleaner{maxBytesPerSecond=" + maxBytesPerSecond + ", dedupeBufferBytes=" + dedupeBufferBytes +
            ", bytesCleaned=" + bytesCleaned +
            ", passes=" + passes + ", recordsRemoved=" + recordsRemoved + ", errors=" + errors + '}';
    }
}
