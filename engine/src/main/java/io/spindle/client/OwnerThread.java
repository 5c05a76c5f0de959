package io.spindle.client;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ConcurrentModificationException;

/**
 * The thread a client belongs to: a call from any other thread fails at once with a
 * {@link ConcurrentModificationException}, before it touches the client's state, instead of corrupting it.
 * <p>
 * The first thread to call the client after it connected becomes its owner, so a client may be connected on one
 * thread and handed to another. Ownership passes on only when the owner gives it up with {@link #release()} (the
 * next thread to call claims it) or has terminated (a thread that sees it terminated has seen all its writes).
 * <p>
 * {@link #check()} on the owner's thread is one volatile read and a compare: no allocation, no atomic operation.
 */
final class OwnerThread
{
    private static final VarHandle OWNER;

    static
    {
        try
        {
            OWNER = MethodHandles.lookup().findVarHandle(OwnerThread.class, "owner", Thread.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final String client;
    private volatile Thread owner;

    /**
     * A client with no owner yet.
     *
     * @param client what the client is, for the error message, e.g. "Producer".
     */
    OwnerThread(final String client)
    {
        this.client = client;
    }

    /**
     * Claim the client for the calling thread, or fail if another live thread owns it.
     *
     * @throws ConcurrentModificationException when another live thread owns the client.
     */
    void check()
    {
        if (owner != Thread.currentThread())
        {
            claim();
        }
    }

    /**
     * Give the client up: the next thread to call it becomes its owner. Only the owner may do this.
     *
     * @throws ConcurrentModificationException when another live thread owns the client.
     */
    void release()
    {
        check();
        owner = null;
    }

    private void claim()
    {
        final Thread thread = Thread.currentThread();
        while (true)
        {
            final Thread current = owner;
            if (current == thread)
            {
                return;
            }
            if (null != current && current.isAlive())
            {
                throw new ConcurrentModificationException("this " + client + " belongs to thread '" +
                    current.getName() + "' and was called from thread '" + thread.getName() +
                    "': a client is used by one thread only (its owner can hand it over with releaseOwnership())");
            }
            if (OWNER.compareAndSet(this, current, thread))
            {
                return;
            }
        }
    }
}
