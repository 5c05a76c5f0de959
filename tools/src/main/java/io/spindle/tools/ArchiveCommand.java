/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.File;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.aeron.CommonContext;
import io.spindle.archive.ArchiveServer;
import io.spindle.archive.TierAuthenticator;
import io.spindle.archive.TierConfiguration;
import io.spindle.config.SecretFile;
import io.spindle.host.DirectoryLock;
import io.spindle.host.FreePorts;
import org.agrona.CloseHelper;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spindle archive}: run a standalone Aeron Archive, the remote tier of tiered storage, until SIGTERM or SIGINT.
 * <p>
 * It holds its directory's lock for its life, so a second archive on the same directory is refused at once. Restarted
 * right after SIGKILL, it waits (at most {@link ArchiveServer#MARK_FILE_STALE_AFTER_MS} ms, saying so) for the killed
 * run's archive mark file to go stale, which Aeron Archive otherwise refuses ("active mark file detected"): the lock
 * says its owner is gone. Port 0 is resolved to a free port before the media driver's default directory is named after
 * it, so two archives started with port 0 do not share (and delete) one driver directory.
 * <p>
 * With a tier secret ({@code --secret-file} or {@code spindle.tier.secret.file}) it admits only control sessions
 * presenting it ({@link TierAuthenticator}); each rejection is printed on its error output.
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

    @Option(names = "--secret-file", description = "A file holding the tier secret (16 to 1024 bytes): only " +
        "brokers and nodes presenting it (their spindle.tier.secret.file) may open the archive " +
        "(default: the property spindle.tier.secret.file; unset, the archive answers anyone).")
    Path secretFile;

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
        final int controlPort;
        try
        {
            controlPort = 0 == port ? FreePorts.range(host, 1) : port;
        }
        catch (final IllegalStateException ex)
        {
            System.err.println("spindle archive: " + ex.getMessage());
            return 1;
        }
        final byte[] secret;
        try
        {
            secret = null != secretFile ?
                SecretFile.read(TierConfiguration.SECRET_FILE.name(), secretFile, System.out::println) :
                TierAuthenticator.configuredSecret(System.out::println);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("spindle archive: " + ex.getMessage());
            return 2;
        }
        final String driverDir = null != aeronDir ? aeronDir :
            CommonContext.getAeronDirectoryName() + "-archive-" + controlPort;

        DirectoryLock lock = null;
        try
        {
            lock = DirectoryLock.acquire(dir.toAbsolutePath(), "archive");
            awaitStaleMarkFile(dir.toFile());
            try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
                ArchiveServer archive = ArchiveServer.launch(
                    dir, driverDir, host, controlPort, secret, Throwable::printStackTrace))
            {
                System.out.println("archive dir " + dir.toAbsolutePath());
                if (null != secret)
                {
                    System.out.println("admitting only clients presenting the tier secret (" +
                        TierConfiguration.SECRET_FILE.name() + ")");
                }
                System.out.println("listening " + archive.controlEndpoint());
                System.out.flush();
                barrier.await();
                System.out.println("shutting down");
            }
        }
        catch (final IllegalStateException | UncheckedIOException ex)
        {
            System.err.println("spindle archive: " + ex.getMessage());
            return 1;
        }
        finally
        {
            CloseHelper.quietClose(lock);
        }
        return 0;
    }

    /**
     * Wait until the mark file a killed archive left in {@code archiveDir} is stale; the caller holds the directory's
     * lock, so no live archive owns it.
     */
    private static void awaitStaleMarkFile(final File archiveDir)
    {
        final long waitMs = ArchiveServer.markFileActiveForMs(archiveDir, System.currentTimeMillis());
        if (waitMs > 0)
        {
            System.out.println("waiting " + waitMs + " ms for the mark file of an archive that did not close " +
                "cleanly to go stale (this archive holds the directory's lock, so its owner is gone)");
            System.out.flush();
            try
            {
                Thread.sleep(waitMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a stale mark file", ex);
            }
        }
    }
}
