/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.util.function.Consumer;

import io.aeron.security.Authenticator;
import io.aeron.security.SessionProxy;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Who may open a control session on a member's archive once the members share a secret: only a member, presenting
 * {@code spindle-member:ID:SECRET} as on the cluster's ingress ({@link MemberAuthenticator.SecretCheck}). The archive
 * holds the member's Raft log, snapshots and tier recordings, and its control endpoint (the member's {@code PORT+3})
 * lets whoever connects read, replicate, truncate or purge them: a session presenting no credentials or anything else
 * is rejected (the client sees {@code ArchiveException} {@code AUTHENTICATION_REJECTED}), and the rejection is
 * recorded in the member's error log, which counts it.
 * <p>
 * The member's own clients (its consensus module, service container, tier archiver, log purger) open control sessions
 * on this archive too, over IPC: the authenticator cannot tell them from a remote one, so they present the member's
 * credentials like a peer's archive replicating from this one.
 * <p>
 * <b>Threading:</b> runs on the archive's conductor thread.
 */
final class MemberArchiveAuthenticator implements Authenticator
{
    /**
     * A verdict older than this is of a session that never connected its response channel: dropped at the next
     * connect request (the archive times such a session out long before).
     */
    private static final long STALE_VERDICT_MS = 60_000;

    private final MemberAuthenticator.SecretCheck check;
    private final Consumer<Throwable> errorHandler;
    private final Long2ObjectHashMap<Verdict> verdicts = new Long2ObjectHashMap<>();

    private record Verdict(byte[] principal, long requestMs)
    {
    }

    /**
     * An authenticator for a member's archive.
     *
     * @param secret       the members' secret.
     * @param memberCount  members in the cluster: a member id presented must be below it.
     * @param errorHandler told of each rejected session (the member's error log).
     */
    MemberArchiveAuthenticator(final byte[] secret, final int memberCount, final Consumer<Throwable> errorHandler)
    {
        this.check = new MemberAuthenticator.SecretCheck(secret, memberCount);
        this.errorHandler = errorHandler;
    }

    /**
     * {@inheritDoc}
     */
    public void onConnectRequest(final long sessionId, final byte[] encodedCredentials, final long nowMs)
    {
        if (verdicts.size() > 16)
        {
            verdicts.values().removeIf((verdict) -> nowMs - verdict.requestMs() > STALE_VERDICT_MS);
        }
        final byte[] credentials = null == encodedCredentials ? new byte[0] : encodedCredentials;
        final int memberId = check.memberId(credentials);
        byte[] principal = null;
        if (memberId >= 0)
        {
            principal = MemberAuthenticator.principal(memberId);
        }
        else if (MemberAuthenticator.SecretCheck.OTHER_SECRET == memberId)
        {
            errorHandler.accept(new SecurityException("rejected an archive control session claiming to be member " +
                MemberAuthenticator.SecretCheck.claimedMemberId(credentials) + " with another secret than this " +
                "member's spindle.node.secret.file: every member's file must hold the same secret, or that member " +
                "cannot replicate the Raft log, snapshots or tier recordings from this one"));
        }
        else
        {
            errorHandler.accept(new SecurityException("rejected an archive control session presenting " +
                (0 == credentials.length ? "no credentials" : "credentials that are not a member's") + ": with " +
                "spindle.node.secret.file set, only members may open a member's archive (PORT+3), which holds its " +
                "Raft log, snapshots and tier recordings"));
        }
        verdicts.put(sessionId, new Verdict(principal, nowMs));
    }

    /**
     * {@inheritDoc}
     */
    public void onChallengeResponse(final long sessionId, final byte[] encodedCredentials, final long nowMs)
    {
        // Never challenged.
    }

    /**
     * {@inheritDoc}
     */
    public void onConnectedSession(final SessionProxy sessionProxy, final long nowMs)
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
    public void onChallengedSession(final SessionProxy sessionProxy, final long nowMs)
    {
        verdicts.remove(sessionProxy.sessionId());
        sessionProxy.reject();
    }
}
