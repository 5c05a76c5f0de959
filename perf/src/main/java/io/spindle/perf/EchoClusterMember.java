/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.File;
import java.nio.file.Path;
import java.util.function.Supplier;

import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ClusteredMediaDriver;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.service.ClusteredServiceContainer;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.cluster.NodeConfiguration;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;

/**
 * One member of the cluster baseline: media driver, archive, consensus module and a service container hosting
 * {@link ClusterEchoService}, configured as {@code io.spindle.cluster.ClusterNode} configures a Spindle member with
 * its defaults, so that the baseline differs from Spindle's cluster by Spindle's service (and the member gateway) only.
 * <p>
 * The settings below are ClusterNode's, setting by setting and in its order: the same driver (SHARED, no async
 * executor, sparse 16 MiB terms for IPC, UDP, ingress and log), the same archive (SHARED, 128 MiB segments, no
 * recording events), the same election and heartbeat timings derived from {@code spindle.node.leader.heartbeat.timeout}
 * (default 10 s), the same session timeout ({@code spindle.node.session.timeout}), one idle strategy supplier for
 * every agent, and the same port layout from the member's client port. <b>Keep the two in step</b> when ClusterNode's
 * settings change: a baseline configured differently makes the ratio meaningless.
 */
final class EchoClusterMember implements AutoCloseable
{
    /**
     * Consecutive ports a member uses from its client port (ingress, consensus, log, archive control, archive
     * replication, log replication), as ClusterNode lays them out.
     */
    static final int PORT_COUNT = 6;

    /**
     * ClusterNode's default term length of the driver's publications, the ingress and the log.
     */
    static final int TERM_LENGTH = 16 * 1024 * 1024;

    private static final int ARCHIVE_SEGMENT_LENGTH = 128 * 1024 * 1024;

    private final ClusterEchoService service = new ClusterEchoService();
    private final ClusteredMediaDriver clusteredMediaDriver;
    private final ClusteredServiceContainer container;

    /**
     * Launch a member.
     *
     * @param memberId  this member's id.
     * @param layout    every member's ports.
     * @param directory the member's directory (its {@code cluster/} and {@code archive/} go there).
     * @param aeronDir  the member's media driver directory; deleted on start and close.
     * @param idle      supplies the idle strategy of every agent of the member.
     */
    EchoClusterMember(
        final int memberId,
        final ClusterLayout layout,
        final Path directory,
        final String aeronDir,
        final Supplier<IdleStrategy> idle)
    {
        final String host = ClusterLayout.HOST;
        final int port = layout.port(memberId);
        final int termLength = TERM_LENGTH;
        final long leaderHeartbeatTimeoutNs = NodeConfiguration.LEADER_HEARTBEAT_TIMEOUT.duration();
        final long sessionTimeoutNs = NodeConfiguration.SESSION_TIMEOUT.duration();

        final MediaDriver.Context driverCtx = new MediaDriver.Context()
            .aeronDirectoryName(aeronDir)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(idle.get())
            .asyncExecutorEnabled(false)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .termBufferSparseFile(true)
            .publicationTermBufferLength(termLength)
            .ipcTermBufferLength(termLength)
            .spiesSimulateConnection(true);

        final Archive.Context archiveCtx = new Archive.Context()
            .aeronDirectoryName(aeronDir)
            .archiveDir(new File(directory.toFile(), "archive"))
            .archiveId(memberId)
            .controlChannel("aeron:udp?endpoint=" + host + ":" + (port + 3))
            .localControlChannel("aeron:ipc?term-length=64k")
            .replicationChannel("aeron:udp?endpoint=" + host + ":" + (port + 4))
            .recordingEventsEnabled(false)
            .threadingMode(ArchiveThreadingMode.SHARED)
            .idleStrategySupplier(idle::get)
            .segmentFileLength(ARCHIVE_SEGMENT_LENGTH);

        // The consensus module and the service container each give their copy their own client and error handler.
        // CHECKSTYLE.OFF: aeronClientErrorHandler
        final AeronArchive.Context archiveClient = new AeronArchive.Context()
            .controlRequestChannel("aeron:ipc?term-length=64k")
            .controlResponseChannel("aeron:ipc?term-length=64k")
            .aeronDirectoryName(aeronDir);
        // CHECKSTYLE.ON: aeronClientErrorHandler

        final ConsensusModule.Context consensusCtx = new ConsensusModule.Context()
            .clusterMemberId(memberId)
            .clusterMembers(aeronMembers(layout))
            .clusterDir(new File(directory.toFile(), "cluster"))
            .aeronDirectoryName(aeronDir)
            .ingressChannel("aeron:udp?term-length=" + termLength)
            .logChannel("aeron:udp?term-length=" + termLength)
            .replicationChannel("aeron:udp?endpoint=" + host + ":" + (port + 5))
            .archiveContext(archiveClient.clone())
            .idleStrategySupplier(idle::get)
            .leaderHeartbeatTimeoutNs(leaderHeartbeatTimeoutNs)
            .leaderHeartbeatIntervalNs(leaderHeartbeatTimeoutNs / 10)
            .electionTimeoutNs(leaderHeartbeatTimeoutNs / 2)
            .electionStatusIntervalNs(leaderHeartbeatTimeoutNs / 10)
            .startupCanvassTimeoutNs(leaderHeartbeatTimeoutNs * 2)
            .terminationTimeoutNs(leaderHeartbeatTimeoutNs)
            .sessionTimeoutNs(sessionTimeoutNs);

        ClusteredMediaDriver driver = null;
        try
        {
            driver = ClusteredMediaDriver.launch(driverCtx, archiveCtx, consensusCtx);
            container = ClusteredServiceContainer.launch(new ClusteredServiceContainer.Context()
                .aeronDirectoryName(aeronDir)
                .clusterDir(new File(directory.toFile(), "cluster"))
                .archiveContext(archiveClient.clone())
                .idleStrategySupplier(idle::get)
                .clusteredService(service));
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(driver);
            throw ex;
        }
        clusteredMediaDriver = driver;
    }

    /**
     * The hosted echo service.
     *
     * @return the service.
     */
    ClusterEchoService service()
    {
        return service;
    }

    /**
     * Stop the service container, the consensus module, the archive and the driver.
     */
    public void close()
    {
        CloseHelper.closeAll(container, clusteredMediaDriver);
    }

    /**
     * Aeron's members string for the layout: {@code id,ingress,consensus,log,catchup,archive|...}, the catch-up
     * endpoint ephemeral, as ClusterNode writes it.
     */
    static String aeronMembers(final ClusterLayout layout)
    {
        final String host = ClusterLayout.HOST;
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < layout.size(); i++)
        {
            final int port = layout.port(i);
            sb.append(i > 0 ? "|" : "").append(i)
                .append(',').append(host).append(':').append(port)
                .append(',').append(host).append(':').append(port + 1)
                .append(',').append(host).append(':').append(port + 2)
                .append(',').append(host).append(":0")
                .append(',').append(host).append(':').append(port + 3);
        }
        return sb.toString();
    }

    /**
     * The client ingress endpoints in Aeron's {@code id=host:port,...} form.
     *
     * @param layout every member's ports.
     * @return the endpoints.
     */
    static String ingressEndpoints(final ClusterLayout layout)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < layout.size(); i++)
        {
            sb.append(i > 0 ? "," : "").append(i).append('=').append(ClusterLayout.HOST).append(':')
                .append(layout.port(i));
        }
        return sb.toString();
    }
}
