package io.spindle.cluster;

/**
 * Thrown on the service thread when this member cannot apply a command as the other members do (a storage failure):
 * the member must stop rather than answer differently. It is an {@link Error} so that the log adapter, which counts
 * and skips an {@link Exception} escaping a service callback, lets it end the service agent instead.
 */
public final class MemberStoppedError extends Error
{
    private static final long serialVersionUID = 1L;

    /**
     * Why the member stops.
     *
     * @param message what failed.
     * @param cause   the failure, may be null.
     */
    public MemberStoppedError(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
