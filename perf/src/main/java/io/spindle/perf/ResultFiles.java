/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The files of one latency result in the output directory, all named from one prefix.
 *
 * @param directory the output directory.
 * @param prefix    the common file name prefix.
 */
record ResultFiles(Path directory, String prefix)
{
    /**
     * Create the directory if needed and name the files.
     *
     * @param directory the output directory.
     * @param prefix    the common file name prefix.
     * @return the files.
     * @throws IOException when the directory cannot be created.
     */
    static ResultFiles in(final Path directory, final String prefix) throws IOException
    {
        Files.createDirectories(directory);
        return new ResultFiles(directory, prefix);
    }

    Path endToEndHgrm()
    {
        return directory.resolve(prefix + ".hgrm");
    }

    Path endToEndHlog()
    {
        return directory.resolve(prefix + ".hlog");
    }

    Path ackHgrm()
    {
        return directory.resolve(prefix + "-ack.hgrm");
    }

    Path ackHlog()
    {
        return directory.resolve(prefix + "-ack.hlog");
    }

    Path png()
    {
        return directory.resolve(prefix + ".png");
    }
}
