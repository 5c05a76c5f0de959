/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.util.function.Consumer;

import io.spindle.host.VerdictAuthenticator;

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
final class MemberArchiveAuthenticator extends VerdictAuthenticator
{
    private final MemberAuthenticator.SecretCheck check;
    private final Consumer<Throwable> errorHandler;

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
    protected byte[] principal(final long sessionId, final byte[] credentials)
    {
        final int memberId = check.memberId(credentials);
        if (memberId >= 0)
        {
            return MemberAuthenticator.principal(memberId);
        }
        if (MemberAuthenticator.SecretCheck.OTHER_SECRET == memberId)
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
        return null;
    }
}
