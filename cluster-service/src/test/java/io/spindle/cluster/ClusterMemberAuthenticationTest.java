/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.aeron.Aeron;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.client.ArchiveException;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.security.AuthenticationException;
import io.aeron.security.CredentialsSupplier;
import io.aeron.security.NullCredentialsSupplier;
import io.spindle.codecs.protocol.MemberSnapshotHeldEncoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.SegmentArchivedEncoder;
import io.spindle.host.BrokerCounters;
import io.spindle.monitor.CncFile;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Members that share a secret ({@code spindle.node.secret.file}) on three members in this JVM: their own reports
 * through the log still apply (tiered segments are deleted locally once every member reported), reports from sessions
 * that are not the reporting member's (a client without credentials, a member reporting for another) are ignored and
 * counted alike on every member, a member that missed them included, and a session presenting another secret is
 * rejected at connect, which the leader's error log and a member with that secret both say.
 */
class ClusterMemberAuthenticationTest extends TieredClusterTestBase
{
    private static final String SECRET = "6f1c0ad4e2b95f3a7c8d1e0b4a6f9c2d";

    @Test
    @Timeout(90)
    void withASecretMembersOwnReportsApplyAndForgedOnesAreIgnoredAndCountedAlikeOnEveryMember()
    {
        final Path secretFile = secretFile("secret", SECRET);
        cluster = new TestCluster(dir, 3).customise((ctx) -> ctx.secretFile(secretFile));
        final int leader = cluster.start();
        final int absent = (leader + 1) % 3;
        final int other = (leader + 2) % 3;
        createTopic(Map.of());

        // One member is down: local deletion waits for its tier, which a forged report must not fake.
        cluster.stop(absent);
        final List<Ack> acked = new ArrayList<>();
        produce(0, 400, acked);
        for (final int m : running())
        {
            cluster.await(() -> highWaterMark(m) >= 400, "member " + m + " to apply every record");
            for (final int reporter : running())
            {
                cluster.await(() -> cluster.node(m).service().tier().memberEndOffset(1, 0, reporter) > 0,
                    "member " + m + " to apply member " + reporter + "'s own reports");
            }
        }
        final long sealedEnd = partition(leader).activeSegmentBaseOffset();
        assertTrue(sealedEnd > 0, "segments were sealed");

        // What any client reaching the ingress could send: the absent member archived every sealed segment, and every
        // member holds a snapshot; and a member's own session reporting for another.
        final int forged;
        try (AeronCluster client = connect(new NullCredentialsSupplier()))
        {
            offerSegmentArchived(client, absent, sealedEnd);
            for (int m = 0; m < 3; m++)
            {
                offerSnapshotHeld(client, m, 64);
            }
        }
        try (AeronCluster member = connect(MemberAuthenticator.credentials(leader,
            SECRET.getBytes(StandardCharsets.US_ASCII))))
        {
            offerSegmentArchived(member, absent, sealedEnd);
        }
        forged = 5;
        for (final int m : running())
        {
            final SpindleClusteredService service = cluster.node(m).service();
            cluster.await(() -> service.unauthenticatedReports() == forged, "member " + m + " to ignore the reports");
            assertEquals(-1, service.tier().memberEndOffset(1, 0, absent),
                "member " + m + ": the absent member's tier");
            assertEquals(0, partition(m).logStartOffset(), "member " + m + " deleted what the absent member lacks");
            for (int held = 0; held < 3; held++)
            {
                assertEquals(-1, service.heldSnapshotPosition(held),
                    "member " + m + ": member " + held + "'s snapshot");
            }
            assertEquals(-1, service.purgeableLogPosition(), "member " + m + "'s purgeable log position");
        }

        // Back, the absent member applies the same log (ignoring the same reports) and reports its own tier: every
        // member then deletes its archived segments alike.
        cluster.launch(absent);
        for (int m = 0; m < 3; m++)
        {
            final int member = m;
            final SpindleClusteredService service = cluster.node(m).service();
            cluster.await(() -> highWaterMark(member) >= 400 && service.tier().memberEndOffset(1, 0, absent) > 0,
                "member " + m + " to apply the returning member's own reports");
            cluster.await(() -> partition(member).logStartOffset() > 0 &&
                partition(member).logStartOffset() == partition(leader).logStartOffset(),
                () -> "member " + member + " to delete its archived segments alike: from " +
                partition(member).logStartOffset() + ", the leader from " + partition(leader).logStartOffset());
            assertEquals(forged, service.unauthenticatedReports(), "member " + m + "'s ignored reports");
            final String prefix = "spindle-" + m + ": ";
            cluster.await(() -> Long.valueOf(forged).equals(counters(member).get(prefix + "member reports " +
                "unauthenticated")), () -> "member " + member + "'s counter: " + counters(member));
            assertEquals(0L, counters(m).get(prefix + "member reports implausible"), counters(m).toString());
            final String errors = errors(cluster.node(m));
            assertTrue(errors.contains("ignored a report about member " + absent + " from a cluster session that " +
                "is not that member's"), errors);
        }
        final Map<Long, String> consumed = consumeAll(other, acked.size());
        for (final Ack ack : acked)
        {
            assertEquals(ack.value(), consumed.get(ack.offset()), "offset " + ack.offset() + " from member " + other);
        }
        check(acked);
    }

    @Test
    @Timeout(60)
    void aSessionPresentingAnotherSecretIsRejectedAtConnectAndAMemberWithOneSaysWhy()
    {
        final Path secretFile = secretFile("secret", SECRET);
        final Path otherSecretFile = secretFile("other-secret", "another-secret-of-32-characters!");
        cluster = new TestCluster(dir, 3).customise((ctx) -> ctx.secretFile(secretFile));
        cluster.launch(0);
        cluster.launch(1);
        final int leader = cluster.awaitLeader(-1);
        cluster.launch(2, (ctx) -> ctx.secretFile(otherSecretFile));
        cluster.await(() -> cluster.node(2).isServing(), "member 2 to join");

        // A client presenting member credentials with another secret, or credentials of any other kind, is rejected.
        assertThrows(AuthenticationException.class, () -> connect(MemberAuthenticator.credentials(0,
            "another-secret-of-32-characters!".getBytes(StandardCharsets.US_ASCII))).close());
        assertThrows(AuthenticationException.class, () -> connect(credentials("user:password")).close());
        connect(new NullCredentialsSupplier()).close();
        final ClusterNode leaderNode = cluster.node(leader);
        cluster.await(() -> errors(leaderNode).contains("rejected a cluster session claiming to be member 0 " +
            "with another secret than this member's spindle.node.secret.file"),
            () -> "the leader's errors: " + errors(leaderNode));

        // A member's archive (PORT+3: its Raft log, snapshots and tier) admits members only: a stranger presenting
        // nothing, or a member's credentials with another secret, is refused at connect and recorded.
        final int follower = leader == 0 ? 1 : 0;
        try (Aeron aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(cluster.node(2).aeronDirectoryName()).errorHandler((error) -> {})))
        {
            final ArchiveException stranger = assertThrows(ArchiveException.class,
                () -> connectArchive(aeron, follower, new NullCredentialsSupplier()).close());
            assertEquals(ArchiveException.AUTHENTICATION_REJECTED, stranger.errorCode(), stranger.toString());
            final ArchiveException otherSecret = assertThrows(ArchiveException.class,
                () -> connectArchive(aeron, follower, MemberAuthenticator.credentials(1,
                "another-secret-of-32-characters!".getBytes(StandardCharsets.US_ASCII))).close());
            assertEquals(ArchiveException.AUTHENTICATION_REJECTED, otherSecret.errorCode(), otherSecret.toString());
            assertThrows(ArchiveException.class, () -> connectArchive(aeron, follower, credentials("user:pw")).close());
            try (AeronArchive member = connectArchive(aeron, follower,
                MemberAuthenticator.credentials(2, SECRET.getBytes(StandardCharsets.US_ASCII))))
            {
                assertTrue(member.listRecordings(0, 100, (controlSessionId, correlationId, recordingId,
                    startTimestamp, stopTimestamp, startPosition, stopPosition, initialTermId, segmentFileLength,
                    termBufferLength, mtuLength, sessionId, streamId, strippedChannel, originalChannel,
                    sourceIdentity) -> {}) > 0, "the member's archive holds its Raft log");
            }
        }
        final ClusterNode followerNode = cluster.node(follower);
        cluster.await(() -> errors(followerNode).contains("rejected an archive control session presenting no " +
            "credentials: with spindle.node.secret.file set, only members may open a member's archive (PORT+3)") &&
            errors(followerNode).contains("rejected an archive control session claiming to be member 1 with " +
            "another secret") && errors(followerNode).contains("rejected an archive control session presenting " +
            "credentials that are not a member's"), () -> "member " + follower + "'s errors: " + errors(followerNode));

        // Member 2 archives with the other secret: the leader rejects its reporter, and member 2's error log says why;
        // none of its reports apply anywhere, so no member deletes a segment locally.
        createTopic(Map.of());
        final List<Ack> acked = new ArrayList<>();
        produce(0, 200, acked);
        final ClusterNode misconfigured = cluster.node(2);
        cluster.await(() -> errors(misconfigured).contains("the cluster's leader rejected this member's credentials, " +
            "so its segment reports go unheard: every member's spindle.node.secret.file must hold the same secret"),
            () -> "member 2's errors: " + errors(misconfigured));
        cluster.await(() -> errors(leaderNode).contains("rejected a cluster session claiming to be member 2"),
            () -> "the leader's errors: " + errors(leaderNode));
        for (int m = 0; m < 3; m++)
        {
            final MemberTier tier = cluster.node(m).service().tier();
            cluster.await(() -> tier.memberEndOffset(1, 0, 0) > 0 && tier.memberEndOffset(1, 0, 1) > 0,
                "member " + m + " to apply members 0 and 1's reports");
            assertEquals(-1, tier.memberEndOffset(1, 0, 2), "member " + m + ": member 2's tier");
            assertEquals(0, partition(m).logStartOffset(), "member " + m + "'s local log start");
        }
    }

    private Path secretFile(final String name, final String secret)
    {
        final Path file = dir.resolve(name);
        try
        {
            Files.writeString(file, secret + "\n");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return file;
    }

    private static CredentialsSupplier credentials(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return new CredentialsSupplier()
        {
            public byte[] encodedCredentials()
            {
                return bytes;
            }

            public byte[] onChallenge(final byte[] encodedChallenge)
            {
                return bytes;
            }
        };
    }

    private AeronCluster connect(final CredentialsSupplier credentials)
    {
        final ClusterNode via = cluster.node(running()[0]);
        return AeronCluster.connect(new AeronCluster.Context()
            .errorHandler(Throwable::printStackTrace)
            .aeronDirectoryName(via.aeronDirectoryName())
            .ingressChannel("aeron:udp?term-length=64k")
            .ingressEndpoints(ClusterNode.ingressEndpoints(ClusterNode.parseMembers(cluster.members())))
            .egressChannel("aeron:udp?endpoint=localhost:0")
            .credentialsSupplier(credentials)
            .messageTimeoutNs(TestCluster.AWAIT_NS));
    }

    private void offerSegmentArchived(final AeronCluster client, final int member, final long nextOffset)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final SegmentArchivedEncoder encoder = new SegmentArchivedEncoder();
        encoder.wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(1).memberId(member).topicId(1).partition(0).baseOffset(0).nextOffset(nextOffset)
            .bytes(1).maxTimestampMs(0).crc(0).recordingId(0);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        cluster.await(() -> client.offer(buffer, 0, length) > 0, "the report to be sent");
    }

    private void offerSnapshotHeld(final AeronCluster client, final int member, final long logPosition)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final MemberSnapshotHeldEncoder encoder = new MemberSnapshotHeldEncoder();
        encoder.wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(2).memberId(member).logPosition(logPosition);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        cluster.await(() -> client.offer(buffer, 0, length) > 0, "the announcement to be sent");
    }

    private Map<String, Long> counters(final int member)
    {
        final Map<String, Long> values = new HashMap<>();
        try (CncFile cnc = CncFile.open(cluster.node(member).aeronDirectoryName()))
        {
            cnc.counters().forEach((counterId, typeId, keyBuffer, label) ->
            {
                if (BrokerCounters.SPINDLE_COUNTER_TYPE_ID == typeId)
                {
                    values.put(label, cnc.counters().getCounterValue(counterId));
                }
            });
        }
        return values;
    }

    private static String errors(final ClusterNode node)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        node.errorLog().markFile().printErrors(new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
