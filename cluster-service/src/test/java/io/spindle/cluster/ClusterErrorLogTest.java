/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.spindle.codecs.Transport;
import io.spindle.monitor.SpindleMarkFile;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster member has a mark file in its directory, and what goes wrong on its gateway (here a malformed frame sent
 * to its client port) is recorded in that error log, readable from another process and after the member stops.
 */
@Timeout(60)
class ClusterErrorLogTest
{
    @TempDir
    Path dir;

    @Test
    void aMalformedFrameToAMembersGatewayIsInItsErrorLog()
    {
        final String expected = "io.spindle.monitor.MalformedRequestException: malformed request on the control " +
            "stream: TOO_SHORT";
        try (TestCluster cluster = new TestCluster(dir, 3))
        {
            cluster.start();
            final ClusterNode member = cluster.node(1);
            final String endpoint = cluster.members().split(",")[1].substring(2);
            try (Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(member.aeronDirectoryName()));
                Publication publication = aeron.addPublication(
                    Transport.udpChannel(endpoint.substring(0, endpoint.indexOf(':')),
                    Integer.parseInt(endpoint.substring(endpoint.indexOf(':') + 1))), Transport.CONTROL_STREAM_ID))
            {
                final UnsafeBuffer garbage = new UnsafeBuffer(new byte[]{ 7, 7 });
                cluster.await(() -> publication.offer(garbage) > 0, "the garbage frame to be sent");
                cluster.await(() -> errors(member.errorLog().markFile()).contains(expected),
                    "the member to record the frame");
            }
            assertTrue(errors(member.errorLog().markFile()).contains(expected), errors(member.errorLog().markFile()));
        }

        try (SpindleMarkFile stopped = SpindleMarkFile.open(dir.resolve("member-1")))
        {
            assertEquals(SpindleMarkFile.COMPONENT_CLUSTER_MEMBER, stopped.component());
            assertEquals(1, stopped.nodeId());
            assertTrue(errors(stopped).contains(expected), errors(stopped));
        }
    }

    private static String errors(final SpindleMarkFile markFile)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        markFile.printErrors(new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
