/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

import io.spindle.config.SystemPropertyOverrides;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member's settings are checked by {@code conclude()} before anything starts, and a bad {@code spindle.node.*}
 * system property when the context reads it, each naming the property. Nothing here starts a member.
 */
class NodeContextConcludeTest
{
    private final SystemPropertyOverrides overrides = new SystemPropertyOverrides();

    @AfterEach
    void restore()
    {
        overrides.restore();
    }

    @Test
    void theDefaultsConclude()
    {
        context().conclude();
    }

    @Test
    void concludeNamesTheBadValuesProperty()
    {
        assertRefused(context().leaderHeartbeatTimeoutNs(1_000),
            "invalid spindle.node.leader.heartbeat.timeout=1000ns: must be at least 10ms");
        assertRefused(context().sessionTimeoutNs(0), "invalid spindle.node.session.timeout=0ns: must be at least 1ms");
        assertRefused(context().snapshotLogBytes(-1),
            "invalid spindle.node.snapshot.log.bytes=-1: must be 0 (off) or more");
    }

    @Test
    void badSystemPropertiesAreRefusedNamingThem()
    {
        assertRefusedProperty("spindle.node.log.purge", "yes",
            "invalid spindle.node.log.purge=yes: expected true or false");
        assertRefusedProperty("spindle.node.leader.heartbeat.timeout", "2 seconds",
            "invalid spindle.node.leader.heartbeat.timeout=2 seconds: unknown duration unit 'seconds', use ns, us, " +
            "ms, s, m, h or d");
        assertRefusedProperty("spindle.node.snapshot.log.bytes", "big",
            "invalid spindle.node.snapshot.log.bytes=big: expected a size such as 512, 16k, 4m or 1g");

        set("spindle.node.log.purge", "FALSE");
        set("spindle.storage.reserve.bytes", "0");
        final ClusterNode.Context ctx = context();
        assertFalse(NodeConfiguration.LOG_PURGE.bool());
        assertRefused(ctx, "invalid spindle.storage.reserve.bytes=0: must be 1 to 1g");
    }

    @Test
    void theSecretFilePropertyIsReadAtConcludeAndABadFileRefusedNamingIt(@TempDir final Path dir) throws Exception
    {
        final Path missing = dir.resolve("missing");
        set("spindle.node.secret.file", missing.toString());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, context()::conclude);
        assertTrue(ex.getMessage().startsWith("invalid spindle.node.secret.file=" + missing + ": cannot read it"),
            ex.getMessage());

        final Path file = dir.resolve("secret");
        Files.writeString(file, "0123456789abcdef\n");
        set("spindle.node.secret.file", file.toString());
        context().conclude();
        Files.writeString(file, "\n");
        assertRefused(context(), "invalid spindle.node.secret.file=" + file + ": the secret must have 16 to 1024 " +
            "bytes, it has 0 (e.g. openssl rand -hex 32 > FILE)");
    }

    private static ClusterNode.Context context()
    {
        return new ClusterNode.Context().memberId(0).members("0=127.0.0.1:20000").directory(Path.of("unused"));
    }

    private static void assertRefused(final ClusterNode.Context ctx, final String message)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, ctx::conclude);
        assertEquals(message, ex.getMessage());
    }

    private void assertRefusedProperty(final String property, final String value, final String message)
    {
        set(property, value);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, ClusterNode.Context::new);
        assertEquals(message, ex.getMessage());
        restore();
    }

    private void set(final String property, final String value)
    {
        overrides.set(property, value);
    }
}
