package io.spindle.tools;

import io.spindle.client.ClientContext;
import picocli.CommandLine.Option;

/**
 * {@code --aeron-dir}, mixed into every client command: the media driver the client uses, so an IPC
 * client of a broker with its own driver directory needs no {@code -Daeron.dir}.
 */
final class AeronDirOption
{
    @Option(names = "--aeron-dir", description = "Media driver directory to use: with --bootstrap ipc the " +
        "broker's; with HOST:PORT a running local driver (default: ipc uses Aeron's default directory, " +
        "HOST:PORT starts a private driver).")
    String aeronDir;

    /**
     * Set the directory on a client's context when one was given.
     *
     * @param ctx the client's context.
     * @param <T> the context's type.
     * @return the context.
     */
    <T extends ClientContext> T applyTo(final T ctx)
    {
        if (null != aeronDir)
        {
            ctx.aeronDirectoryName(aeronDir);
        }
        return ctx;
    }
}
