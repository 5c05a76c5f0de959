/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import io.aeron.security.Authenticator;
import io.aeron.security.CredentialsSupplier;
import io.aeron.security.SessionProxy;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * An Aeron {@link Authenticator} that decides each session once, from the credentials of its connect request, and
 * never challenges: the subclass says which principal credentials earn, or that they earn none (and records why); the
 * session is then authenticated with that principal or rejected once its response channel connects. Spindle's archive
 * authenticators (a member's archive, a standalone archive with a tier secret) share it.
 * <p>
 * <b>Threading:</b> runs on the conductor thread of the archive or consensus module it authenticates for; the static
 * helper on any.
 */
public abstract class VerdictAuthenticator implements Authenticator
{
    /**
     * A verdict older than this is of a session that never connected its response channel: dropped at the next
     * connect request (Aeron times such a session out long before).
     */
    private static final long STALE_VERDICT_MS = 60_000;

    private static final byte[] NO_CREDENTIALS = new byte[0];

    private final Long2ObjectHashMap<Verdict> verdicts = new Long2ObjectHashMap<>();

    private record Verdict(byte[] principal, long requestMs)
    {
    }

    /**
     * The principal credentials earn.
     *
     * @param sessionId   of the session presenting them, for messages.
     * @param credentials as presented at connect, empty for none.
     * @return the principal, or null to reject the session (the subclass records why).
     */
    protected abstract byte[] principal(long sessionId, byte[] credentials);

    /**
     * What a client presents at connect, and again if challenged.
     *
     * @param credentials the encoded credentials.
     * @return a supplier of them.
     */
    public static CredentialsSupplier presenting(final byte[] credentials)
    {
        return new CredentialsSupplier()
        {
            public byte[] encodedCredentials()
            {
                return credentials;
            }

            public byte[] onChallenge(final byte[] encodedChallenge)
            {
                return credentials;
            }
        };
    }

    /**
     * {@inheritDoc}
     */
    public final void onConnectRequest(final long sessionId, final byte[] encodedCredentials, final long nowMs)
    {
        if (verdicts.size() > 16)
        {
            verdicts.values().removeIf((verdict) -> nowMs - verdict.requestMs() > STALE_VERDICT_MS);
        }
        final byte[] credentials = null == encodedCredentials ? NO_CREDENTIALS : encodedCredentials;
        verdicts.put(sessionId, new Verdict(principal(sessionId, credentials), nowMs));
    }

    /**
     * {@inheritDoc}
     */
    public final void onChallengeResponse(final long sessionId, final byte[] encodedCredentials, final long nowMs)
    {
        // Never challenged.
    }

    /**
     * {@inheritDoc}
     */
    public final void onConnectedSession(final SessionProxy sessionProxy, final long nowMs)
    {
        final long sessionId = sessionProxy.sessionId();
        final Verdict verdict = verdicts.get(sessionId);
        if (null == verdict || null == verdict.principal())
        {
            verdicts.remove(sessionId);
            sessionProxy.reject();
        }
        else if (sessionProxy.authenticate(verdict.principal()))
        {
            verdicts.remove(sessionId);
        }
    }

    /**
     * {@inheritDoc}
     */
    public final void onChallengedSession(final SessionProxy sessionProxy, final long nowMs)
    {
        verdicts.remove(sessionProxy.sessionId());
        sessionProxy.reject();
    }
}
