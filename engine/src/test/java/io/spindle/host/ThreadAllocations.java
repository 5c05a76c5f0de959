package io.spindle.host;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Per-thread heap allocation counters (the JVM's {@code ThreadMXBean}) of a set of threads: the calling thread and
 * those whose names match, for tests that prove a path allocates nothing per message.
 */
public final class ThreadAllocations
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private final long[] ids;

    private ThreadAllocations(final long[] ids)
    {
        this.ids = ids;
    }

    /**
     * The calling thread and every live thread whose name matches.
     *
     * @param names which other threads to count.
     * @return the set.
     */
    public static ThreadAllocations currentAnd(final Predicate<String> names)
    {
        final List<Long> ids = new ArrayList<>();
        ids.add(Thread.currentThread().getId());
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread != Thread.currentThread() && names.test(thread.getName()))
            {
                ids.add(thread.getId());
            }
        }
        final long[] result = new long[ids.size()];
        for (int i = 0; i < result.length; i++)
        {
            result[i] = ids.get(i);
        }
        return new ThreadAllocations(result);
    }

    /**
     * How many threads are counted.
     *
     * @return the count, the calling thread included.
     */
    public int size()
    {
        return ids.length;
    }

    /**
     * Bytes each thread has allocated so far.
     *
     * @return one total per thread, in the order of {@link #names()}.
     */
    public long[] allocated()
    {
        return THREADS.getThreadAllocatedBytes(ids);
    }

    /**
     * What each thread allocated between two readings of {@link #allocated()}, thread by thread.
     *
     * @param before the first reading.
     * @param after  the second reading.
     * @return e.g. {@code main 584 B; spindle-fetch 0 B; }.
     */
    public String describe(final long[] before, final long[] after)
    {
        final String[] names = names();
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++)
        {
            sb.append(names[i]).append(' ').append(after[i] - before[i]).append(" B; ");
        }
        return sb.toString();
    }

    /**
     * The total of a reading.
     *
     * @param values from {@link #allocated()}.
     * @return the sum, counting threads that ended as 0.
     */
    public static long sum(final long[] values)
    {
        long total = 0;
        for (final long value : values)
        {
            total += Math.max(0, value);
        }
        return total;
    }

    /**
     * The threads' names.
     *
     * @return one per thread, in the order of {@link #allocated()}.
     */
    public String[] names()
    {
        final String[] names = new String[ids.length];
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            for (int i = 0; i < ids.length; i++)
            {
                if (thread.getId() == ids[i])
                {
                    names[i] = thread.getName();
                }
            }
        }
        return names;
    }
}
