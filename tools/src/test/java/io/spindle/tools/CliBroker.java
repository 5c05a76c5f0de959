/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.File;
import java.nio.file.Path;

import io.aeron.CommonContext;
import io.spindle.archive.ArchiveTier;
import io.spindle.host.StandaloneBroker;
import io.spindle.log.LogConfig;
import org.agrona.IoUtil;

/**
 * A broker for the command line tests: in this JVM, on an ephemeral UDP port on loopback, with an embedded driver in
 * a directory of its own, which {@link #close()} removes.
 */
final class CliBroker implements AutoCloseable
{
    private final StandaloneBroker broker;
    private final String aeronDir;

    private CliBroker(final StandaloneBroker broker, final String aeronDir)
    {
        this.broker = broker;
        this.aeronDir = aeronDir;
    }

    /**
     * Start one.
     *
     * @param dataDir where its logs go.
     * @param name    part of its driver directory's name, to tell the tests' directories apart.
     * @return the running broker.
     */
    static CliBroker start(final Path dataDir, final String name)
    {
        return start(dataDir, name, new LogConfig().conclude());
    }

    /**
     * Start one whose topics default to other log settings than the built-in ones.
     *
     * @param dataDir    where its logs go.
     * @param name       part of its driver directory's name, to tell the tests' directories apart.
     * @param logConfig  the broker's defaults for topics.
     * @return the running broker.
     */
    static CliBroker start(final Path dataDir, final String name, final LogConfig logConfig)
    {
        return start(dataDir, name, logConfig, false);
    }

    /**
     * Start one with tiered storage as {@code spindle broker} runs it without {@code --archive} (an embedded archive,
     * started once a topic has {@code remote.storage.enable}), and so with the tier's counters.
     *
     * @param dataDir where its logs go.
     * @param name    part of its driver directory's name, to tell the tests' directories apart.
     * @return the running broker.
     */
    static CliBroker startTiered(final Path dataDir, final String name)
    {
        return start(dataDir, name, new LogConfig().conclude(), true);
    }

    private static CliBroker start(
        final Path dataDir, final String name, final LogConfig logConfig, final boolean isTiered)
    {
        final String aeronDir = CommonContext.getAeronDirectoryName() + "-spindle-" + name + "-" + System.nanoTime();
        return new CliBroker(StandaloneBroker.launch(new StandaloneBroker.Context()
            .dataDir(dataDir)
            .logConfig(logConfig)
            .embeddedDriverDirectoryName(aeronDir)
            .driverDirDeleteOnStart(true)
            .tieredStorage(isTiered ? ArchiveTier.factory(null) : null)
            .listen("127.0.0.1", 0)), aeronDir);
    }

    /**
     * Where clients reach it: {@code 127.0.0.1:PORT}.
     *
     * @return the bootstrap address.
     */
    String bootstrap()
    {
        return broker.udpEndpoint();
    }

    /**
     * Its media driver's directory, for IPC clients.
     *
     * @return the directory.
     */
    String aeronDir()
    {
        return aeronDir;
    }

    /**
     * Stop it and remove its driver directory.
     */
    public void close()
    {
        broker.close();
        IoUtil.delete(new File(aeronDir), true);
    }
}
