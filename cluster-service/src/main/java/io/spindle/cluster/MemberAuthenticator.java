/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.aeron.Aeron;
import io.aeron.security.Authenticator;
import io.aeron.security.CredentialsSupplier;
import io.aeron.security.SessionProxy;
import io.spindle.config.SecretFile;
import io.spindle.host.VerdictAuthenticator;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Who a session on the cluster's ingress is: a member, which presents the secret the members share, or an ordinary
 * client, which presents nothing. A session presenting anything else is rejected at connect, and the rejection is
 * recorded in this member's error log (a member with another secret must be loud, not quietly unheard).
 * <p>
 * A member connects with {@code spindle-member:ID:SECRET} and is authenticated with the principal
 * {@code spindle-member:ID}; a client with no credentials gets the empty principal. The principal travels in the
 * session's open event in the Raft log (and in the service's snapshot), so every member tells member sessions apart
 * from the same bytes ({@link #principalMemberId(byte[])}) and applies member reports alike. Secrets are compared as
 * SHA-256 digests with {@link MessageDigest#isEqual}: in constant time, whatever the presented length. The members are
 * not told apart by the secret (all hold the same): the id in the principal keeps a member from reporting for another
 * by mistake, not by malice.
 * <p>
 * A backup or heartbeat query ({@link io.aeron.cluster.ClusterBackup}, as {@link NetworkRebuild} runs it) reads the
 * Raft log and snapshots: it must present a member's credentials; one presenting none, or anything else, is rejected
 * and recorded. Such queries have no session id ({@link Aeron#NULL_VALUE}), so their verdicts cannot be told apart:
 * while a rejected query may still be pending (for the consensus module's session timeout after it arrived), every
 * query connecting is rejected, so that a stranger's query never connects on a member's verdict. A member's backup
 * retries after its cool-down.
 * <p>
 * <b>Threading:</b> the authenticator runs on the leader's consensus module thread; the static helpers on any.
 */
final class MemberAuthenticator implements Authenticator
{
    /**
     * How a member's principal and credentials begin.
     */
    static final String MEMBER_PREFIX = "spindle-member:";

    /**
     * Fewest bytes a secret may have.
     */
    static final int MIN_SECRET_LENGTH = SecretFile.MIN_LENGTH;

    /**
     * Most bytes a secret may have: it travels in every member's connect request.
     */
    static final int MAX_SECRET_LENGTH = SecretFile.MAX_LENGTH;

    /**
     * A verdict older than this is of a session that never connected its response channel: dropped at the next
     * connect request (the consensus module times such a session out long before).
     */
    private static final long STALE_VERDICT_MS = 60_000;

    private static final byte[] PREFIX_BYTES = MEMBER_PREFIX.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLIENT_PRINCIPAL = new byte[0];

    private final SecretCheck check;
    private final long sessionTimeoutMs;
    private final Consumer<Throwable> errorHandler;
    private final Long2ObjectHashMap<Verdict> verdicts = new Long2ObjectHashMap<>();
    private boolean hasRejectedBackup;
    private long rejectedBackupMs;

    private record Verdict(byte[] principal, long requestMs)
    {
    }

    /**
     * An authenticator for a cluster whose members share a secret.
     *
     * @param secret       the members' secret.
     * @param memberCount      members in the cluster: a member id presented must be below it.
     * @param sessionTimeoutNs the consensus module's session timeout: how long a rejected backup query may be
     *                         pending.
     * @param errorHandler     told of each rejected session (the member's error log).
     */
    MemberAuthenticator(
        final byte[] secret, final int memberCount, final long sessionTimeoutNs, final Consumer<Throwable> errorHandler)
    {
        this.check = new SecretCheck(secret, memberCount);
        this.sessionTimeoutMs = TimeUnit.NANOSECONDS.toMillis(sessionTimeoutNs) + 1;
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
        byte[] principal = principalOf(encodedCredentials);
        if (Aeron.NULL_VALUE == sessionId && CLIENT_PRINCIPAL == principal)
        {
            errorHandler.accept(new SecurityException("rejected a cluster backup query presenting no member " +
                "credentials: with spindle.node.secret.file set, only a member (spindle node " +
                "--rebuild-from-member, run with the members' secret file) may copy the Raft log and snapshots"));
            principal = null;
        }
        if (Aeron.NULL_VALUE == sessionId && null == principal)
        {
            hasRejectedBackup = true;
            rejectedBackupMs = nowMs;
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
     * <p>
     * A backup or heartbeat query has no session id of its own yet ({@link Aeron#NULL_VALUE}): its verdict is left for
     * the next such query to replace, so that two at once do not take each other's.
     */
    public void onConnectedSession(final SessionProxy sessionProxy, final long nowMs)
    {
        final long sessionId = sessionProxy.sessionId();
        final Verdict verdict = verdicts.get(sessionId);
        if (null == verdict || null == verdict.principal() ||
            (Aeron.NULL_VALUE == sessionId && hasRejectedBackup && nowMs - rejectedBackupMs <= sessionTimeoutMs))
        {
            verdicts.remove(sessionId);
            sessionProxy.reject();
        }
        else if (sessionProxy.authenticate(verdict.principal()) && Aeron.NULL_VALUE != sessionId)
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

    /**
     * The principal credentials earn: the empty one for none, a member's for a member's with the right secret.
     *
     * @return the principal, or null to reject (recorded).
     */
    private byte[] principalOf(final byte[] credentials)
    {
        if (0 == credentials.length)
        {
            return CLIENT_PRINCIPAL;
        }
        final int memberId = check.memberId(credentials);
        if (SecretCheck.NOT_A_MEMBER == memberId)
        {
            errorHandler.accept(new SecurityException("rejected a cluster session presenting credentials that are " +
                "not a member's: a client presents none (on a cluster with spindle.node.secret.file set)"));
            return null;
        }
        if (memberId < 0)
        {
            errorHandler.accept(new SecurityException("rejected a cluster session claiming to be member " +
                SecretCheck.claimedMemberId(credentials) + " with another secret than this member's " +
                "spindle.node.secret.file: every member's file must hold the same secret, or that member's reports " +
                "(tiered segments, snapshots held) go unheard"));
            return null;
        }
        return principal(memberId);
    }

    /**
     * Whether credentials are a member's, {@code spindle-member:ID:SECRET} with an id below the member count and the
     * members' secret: the one check the cluster's ingress and the members' archives
     * ({@link MemberArchiveAuthenticator}) share. Secrets are compared as SHA-256 digests with
     * {@link MessageDigest#isEqual}, in constant time whatever the presented length.
     */
    static final class SecretCheck
    {
        /**
         * {@link #memberId(byte[])} of credentials that are not a member's form at all.
         */
        static final int NOT_A_MEMBER = -1;

        /**
         * {@link #memberId(byte[])} of a member's credentials with another secret.
         */
        static final int OTHER_SECRET = -2;

        private final byte[] secretDigest;
        private final int memberCount;

        /**
         * A check against the members' secret.
         *
         * @param secret      the members' secret.
         * @param memberCount members in the cluster: a member id presented must be below it.
         */
        SecretCheck(final byte[] secret, final int memberCount)
        {
            this.secretDigest = SecretFile.sha256(secret, 0, secret.length);
            this.memberCount = memberCount;
        }

        /**
         * The member credentials authenticate.
         *
         * @param credentials as presented at connect.
         * @return the member id, {@link #NOT_A_MEMBER} or {@link #OTHER_SECRET}.
         */
        int memberId(final byte[] credentials)
        {
            final int memberId = parseMemberId(credentials);
            final int secretStart = memberId < 0 ? -1 : PREFIX_BYTES.length + digits(memberId) + 1;
            if (memberId < 0 || memberId >= memberCount || secretStart > credentials.length ||
                ':' != credentials[secretStart - 1])
            {
                return NOT_A_MEMBER;
            }
            final byte[] presented = SecretFile.sha256(credentials, secretStart, credentials.length - secretStart);
            return MessageDigest.isEqual(secretDigest, presented) ? memberId : OTHER_SECRET;
        }

        /**
         * The id credentials {@link #OTHER_SECRET} claim, for saying so.
         *
         * @param credentials as presented.
         * @return the claimed member id, or -1.
         */
        static int claimedMemberId(final byte[] credentials)
        {
            return parseMemberId(credentials);
        }
    }

    /**
     * A member's principal.
     *
     * @param memberId the member.
     * @return {@code spindle-member:ID}.
     */
    static byte[] principal(final int memberId)
    {
        return (MEMBER_PREFIX + memberId).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The member a session's principal names: the same answer on every member, from the bytes the log carries.
     * Allocates nothing.
     *
     * @param principal the session's encoded principal.
     * @return the member id, or -1 for a client's (empty) principal or any other.
     */
    static int principalMemberId(final byte[] principal)
    {
        final int memberId = parseMemberId(principal);
        return memberId >= 0 && PREFIX_BYTES.length + digits(memberId) == principal.length ? memberId : -1;
    }

    /**
     * What a member presents at connect.
     *
     * @param memberId the member.
     * @param secret   the members' secret.
     * @return the member's credentials.
     */
    static CredentialsSupplier credentials(final int memberId, final byte[] secret)
    {
        final byte[] id = (MEMBER_PREFIX + memberId + ":").getBytes(StandardCharsets.US_ASCII);
        final byte[] credentials = Arrays.copyOf(id, id.length + secret.length);
        System.arraycopy(secret, 0, credentials, id.length, secret.length);
        return VerdictAuthenticator.presenting(credentials);
    }

    /**
     * Read the members' secret from a file: its bytes without surrounding ASCII whitespace (so that a trailing
     * newline does not count), {@link #MIN_SECRET_LENGTH} to {@link #MAX_SECRET_LENGTH} of them.
     *
     * @param file       holding the secret.
     * @param messageLog told when others than the file's owner may read it.
     * @return the secret.
     * @throws IllegalArgumentException {@code invalid spindle.node.secret.file=FILE: reason}.
     */
    static byte[] readSecret(final Path file, final Consumer<String> messageLog)
    {
        return SecretFile.read(NodeConfiguration.SECRET_FILE.name(), file, messageLog);
    }

    /**
     * The id after {@link #MEMBER_PREFIX}: its digits, up to the end or a {@code ':'}.
     *
     * @return the id, or -1 when the bytes do not begin so.
     */
    private static int parseMemberId(final byte[] bytes)
    {
        if (bytes.length <= PREFIX_BYTES.length)
        {
            return -1;
        }
        for (int i = 0; i < PREFIX_BYTES.length; i++)
        {
            if (PREFIX_BYTES[i] != bytes[i])
            {
                return -1;
            }
        }
        int memberId = 0;
        int i = PREFIX_BYTES.length;
        for (; i < bytes.length && ':' != bytes[i]; i++)
        {
            final int digit = bytes[i] - '0';
            if (digit < 0 || digit > 9 || i - PREFIX_BYTES.length >= 6 || (0 == memberId && i > PREFIX_BYTES.length))
            {
                return -1;
            }
            memberId = memberId * 10 + digit;
        }
        return i == PREFIX_BYTES.length ? -1 : memberId;
    }

    private static int digits(final int memberId)
    {
        int digits = 1;
        for (int value = memberId; value >= 10; value /= 10)
        {
            digits++;
        }
        return digits;
    }
}
