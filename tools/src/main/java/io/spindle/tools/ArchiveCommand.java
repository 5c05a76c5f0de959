/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.aeron.CommonContext;
import io.spindle.archive.ArchiveServer;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle archive}: run a standalone Aeron Archive, the remote tier of tiered storage, until SIGTERM or SIGINT.
 */
@Command(name = "archive", mixinStandardHelpOptions = true,
    description = "Run an Aeron Archive for tiered storage (brokers name it with --archive HOST:PORT) until " +
        "SIGTERM/SIGINT.")
public final class ArchiveCommand implements Callable<Integer>
{
    @Option(names = "--dir", required = true, description = "Where recordings and the catalog live.")
    Path dir;

    @Option(names = "--listen", description = "Control endpoint HOST:PORT, port 0 for any free one " +
        "(default: ${DEFAULT-VALUE}).", defaultValue = "localhost:8010")
    String listen;

    @Option(names = "--aeron-dir", description = "Directory of the archive's own media driver " +
        "(default: Aeron's default directory with -archive-PORT appended).")
    String aeronDir;

    /**
     * Start the archive, print {@code listening HOST:PORT}, wait for a signal, close cleanly.
     *
     * @return the exit code.
     */
    public Integer call()
    {
        final int colon = listen.lastIndexOf(':');
        final int port;
        try
        {
            port = colon > 0 ? Integer.parseInt(listen.substring(colon + 1)) : -1;
        }
        catch (final NumberFormatException ex)
        {
            System.err.println("spindle archive: bad port in --listen '" + listen + "'");
            return 2;
        }
        if (port < 0 || port > 65535)
        {
            System.err.println("spindle archive: --listen must be HOST:PORT, was '" + listen + "'");
            return 2;
        }
        final String host = listen.substring(0, colon);
        final String driverDir = null != aeronDir ? aeronDir :
            CommonContext.getAeronDirectoryName() + "-archive-" + port;

        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
            ArchiveServer archive = ArchiveServer.launch(dir, driverDir, host, port, Throwable::printStackTrace))
        {
            System.out.println("archive dir " + dir.toAbsolutePath());
            System.out.println("listening " + archive.controlEndpoint());
            System.out.flush();
            barrier.await();
            System.out.println("shutting down");
        }
        return 0;
    }
}
