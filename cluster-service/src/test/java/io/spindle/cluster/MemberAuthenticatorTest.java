/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.security.SessionProxy;
import io.spindle.log.LogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The members' authenticator on its own, driven as the consensus module drives it (a connect request, then the
 * session's response channel connected) through a fake session: clients without credentials are clients, members with
 * the secret are members by id, anything else is rejected and recorded; and the principal every member reads back.
 */
class MemberAuthenticatorTest
{
    private static final long TIMEOUT_NS = 10_000_000_000L;
    private static final byte[] SECRET = "0123456789abcdef-the-members-secret".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private final List<Throwable> errors = new ArrayList<>();
    private final MemberAuthenticator authenticator = new MemberAuthenticator(SECRET, 3, TIMEOUT_NS, errors::add);
    private long nextSessionId = 1;

    @Test
    void aSessionWithoutCredentialsIsAClientWithTheEmptyPrincipal()
    {
        final FakeSession session = connect(new byte[0]);
        assertArrayEquals(new byte[0], session.principal);
        assertEquals(-1, MemberAuthenticator.principalMemberId(session.principal));
        assertEquals(List.of(), errors);
    }

    @Test
    void aMemberPresentingTheSecretIsThatMember()
    {
        for (int member = 0; member < 3; member++)
        {
            final FakeSession session = connect(
                MemberAuthenticator.credentials(member, SECRET.clone()).encodedCredentials());
            assertEquals("spindle-member:" + member, new String(session.principal, StandardCharsets.US_ASCII));
            assertEquals(member, MemberAuthenticator.principalMemberId(session.principal));
        }
        assertEquals(List.of(), errors);
    }

    @Test
    void anythingElseIsRejectedAndRecorded()
    {
        final byte[] wrong = SECRET.clone();
        wrong[wrong.length - 1] ^= 1;
        final String[] refused = {
            "spindle-member:1:" + new String(wrong, StandardCharsets.US_ASCII),
            "spindle-member:1:" + new String(SECRET, StandardCharsets.US_ASCII) + "x",
            "spindle-member:1:",
            "spindle-member:3:" + new String(SECRET, StandardCharsets.US_ASCII),
            "spindle-member:01:" + new String(SECRET, StandardCharsets.US_ASCII),
            "spindle-member::" + new String(SECRET, StandardCharsets.US_ASCII),
            "spindle-member:1",
            "user:password",
        };
        for (final String credentials : refused)
        {
            final FakeSession session = connect(credentials.getBytes(StandardCharsets.US_ASCII));
            assertTrue(session.isRejected, credentials);
            assertNull(session.principal, credentials);
        }
        assertEquals(refused.length, errors.size());
        assertTrue(errors.get(0).getMessage().contains("claiming to be member 1 with another secret than this " +
            "member's spindle.node.secret.file"), errors.get(0).getMessage());
        assertTrue(errors.get(7).getMessage().contains("not a member's"), errors.get(7).getMessage());
    }

    @Test
    void aMembersArchiveAdmitsMembersPresentingTheSecretOnlyAndRecordsTheOthers()
    {
        final MemberArchiveAuthenticator archive = new MemberArchiveAuthenticator(SECRET, 3, errors::add);
        final byte[] wrong = SECRET.clone();
        wrong[0] ^= 1;
        final byte[][] refused = {
            new byte[0],
            MemberAuthenticator.credentials(2, wrong).encodedCredentials(),
            MemberAuthenticator.credentials(3, SECRET.clone()).encodedCredentials(),
            "user:password".getBytes(StandardCharsets.US_ASCII),
        };
        for (final byte[] credentials : refused)
        {
            final FakeSession session = new FakeSession(nextSessionId++);
            archive.onConnectRequest(session.sessionId(), credentials, 0);
            archive.onConnectedSession(session, 0);
            assertTrue(session.isRejected, new String(credentials, StandardCharsets.US_ASCII));
            assertNull(session.principal);
        }
        assertEquals(refused.length, errors.size());
        assertTrue(errors.get(0).getMessage().contains("rejected an archive control session presenting no " +
            "credentials"), errors.get(0).getMessage());
        assertTrue(errors.get(1).getMessage().contains("claiming to be member 2 with another secret"),
            errors.get(1).getMessage());
        assertTrue(errors.get(3).getMessage().contains("credentials that are not a member's"),
            errors.get(3).getMessage());

        final FakeSession member = new FakeSession(nextSessionId++);
        archive.onConnectRequest(member.sessionId(), MemberAuthenticator.credentials(1, SECRET.clone())
            .encodedCredentials(), 0);
        archive.onConnectedSession(member, 0);
        assertFalse(member.isRejected);
        assertEquals("spindle-member:1", new String(member.principal, StandardCharsets.US_ASCII));
        final FakeSession unseen = new FakeSession(nextSessionId++);
        archive.onConnectedSession(unseen, 0);
        assertTrue(unseen.isRejected);
        assertEquals(refused.length, errors.size());
    }

    @Test
    void aSessionWhoseConnectRequestWasNotSeenIsRejected()
    {
        final FakeSession session = new FakeSession(42);
        authenticator.onConnectedSession(session, 0);
        assertTrue(session.isRejected);
    }

    @Test
    void backupQueriesWithoutASessionIdMustPresentAMembersCredentialsAndEachGetTheirOwnVerdict()
    {
        final byte[] member = MemberAuthenticator.credentials(2, SECRET.clone()).encodedCredentials();
        authenticator.onConnectRequest(Aeron.NULL_VALUE, member, 0);
        final FakeSession first = new FakeSession(Aeron.NULL_VALUE);
        authenticator.onConnectedSession(first, 0);
        final FakeSession second = new FakeSession(Aeron.NULL_VALUE);
        authenticator.onConnectedSession(second, 0);
        assertEquals("spindle-member:2", new String(first.principal, StandardCharsets.US_ASCII));
        assertEquals("spindle-member:2", new String(second.principal, StandardCharsets.US_ASCII));
        assertEquals(List.of(), errors);

        // A query presenting nothing (as a client would) is rejected and recorded.
        authenticator.onConnectRequest(Aeron.NULL_VALUE, new byte[0], 1_000);
        final FakeSession stranger = new FakeSession(Aeron.NULL_VALUE);
        authenticator.onConnectedSession(stranger, 1_000);
        assertTrue(stranger.isRejected);
        assertNull(stranger.principal);
        assertEquals(1, errors.size());
        assertTrue(errors.get(0).getMessage().startsWith("rejected a cluster backup query presenting no member " +
            "credentials"), errors.get(0).getMessage());
    }

    @Test
    void whileARejectedBackupQueryMayBePendingNoBackupQueryConnectsOnAMembersVerdict()
    {
        final byte[] member = MemberAuthenticator.credentials(1, SECRET.clone()).encodedCredentials();
        authenticator.onConnectRequest(Aeron.NULL_VALUE, new byte[0], 1_000);
        authenticator.onConnectRequest(Aeron.NULL_VALUE, member, 2_000);
        // The stranger's session connects after the member's query replaced the verdict: rejected all the same.
        final FakeSession stranger = new FakeSession(Aeron.NULL_VALUE);
        authenticator.onConnectedSession(stranger, 2_001);
        assertTrue(stranger.isRejected);

        // Once the stranger's query has timed out, a member's query connects again.
        final long later = 1_000 + TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NS) + 2;
        authenticator.onConnectRequest(Aeron.NULL_VALUE, member, later);
        final FakeSession rebuilding = new FakeSession(Aeron.NULL_VALUE);
        authenticator.onConnectedSession(rebuilding, later);
        assertFalse(rebuilding.isRejected);
        assertEquals("spindle-member:1", new String(rebuilding.principal, StandardCharsets.US_ASCII));
    }

    @Test
    void onlyAMembersExactPrincipalNamesIt()
    {
        assertEquals(12, MemberAuthenticator.principalMemberId(MemberAuthenticator.principal(12)));
        for (final String other : new String[]{ "", "spindle-member:", "spindle-member:1:", "spindle-member:1x",
            "spindle-member:-1", "spindle-member:01", "member:1", "spindle-member:1234567" })
        {
            assertEquals(-1, MemberAuthenticator.principalMemberId(other.getBytes(StandardCharsets.US_ASCII)), other);
        }
    }

    @Test
    void theSecretFileIsReadWithoutSurroundingWhitespaceAndABadOneIsRefusedNamingTheProperty() throws Exception
    {
        final Path file = dir.resolve("secret");
        Files.writeString(file, "  0123456789abcdef\n");
        assertArrayEquals("0123456789abcdef".getBytes(StandardCharsets.US_ASCII),
            MemberAuthenticator.readSecret(file, (line) -> {}));

        Files.writeString(file, "short\n");
        assertEquals("invalid spindle.node.secret.file=" + file + ": the secret must have 16 to 1024 bytes, it has " +
            "5 (e.g. openssl rand -hex 32 > FILE)", assertThrows(IllegalArgumentException.class,
            () -> MemberAuthenticator.readSecret(file, (line) -> {})).getMessage());

        final Path missing = dir.resolve("missing");
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> MemberAuthenticator.readSecret(missing, (line) -> {})).getMessage()
            .startsWith("invalid spindle.node.secret.file=" + missing + ": cannot read it"));
    }

    @Test
    void whetherReportsMustBeAuthenticatedIsASettingEveryMemberMustShareAndNoneWithoutASecret()
    {
        final SpindleClusteredService service = new SpindleClusteredService(dir.resolve("data"), 0, "localhost:1",
            new LogConfig(), 500, 1_800_000);
        final String without = service.configuration();
        assertFalse(without.contains("member.reports"), without);
        final String with = service.memberReportsAuthenticated(true).configuration();
        assertEquals(without + "member.reports=authenticated\n", with);
    }

    private FakeSession connect(final byte[] credentials)
    {
        final FakeSession session = new FakeSession(nextSessionId++);
        authenticator.onConnectRequest(session.sessionId, credentials, 0);
        authenticator.onConnectedSession(session, 0);
        return session;
    }

    /**
     * What the consensus module's session proxy is told.
     */
    private static final class FakeSession implements SessionProxy
    {
        private final long sessionId;
        private byte[] principal;
        private boolean isRejected;

        FakeSession(final long sessionId)
        {
            this.sessionId = sessionId;
        }

        public long sessionId()
        {
            return sessionId;
        }

        public boolean challenge(final byte[] encodedChallenge)
        {
            throw new AssertionError("members are never challenged");
        }

        public boolean authenticate(final byte[] encodedPrincipal)
        {
            principal = encodedPrincipal;
            return true;
        }

        public void reject()
        {
            isRejected = true;
        }
    }
}
