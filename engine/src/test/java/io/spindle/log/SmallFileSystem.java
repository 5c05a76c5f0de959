/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * A real, small file system for full-disk tests: a tmpfs of a given size mounted at a directory (needs root, as
 * the tests and CI run here); a test that cannot mount one is skipped with the reason. Unmounted on close.
 */
public final class SmallFileSystem implements AutoCloseable
{
    private final Path root;

    private SmallFileSystem(final Path root)
    {
        this.root = root;
    }

    /**
     * Mount a tmpfs, or skip the calling test if that is not possible here.
     *
     * @param dir  mount point, created if missing.
     * @param size tmpfs size option, such as {@code 8m}.
     * @return the mounted file system.
     */
    public static SmallFileSystem mount(final Path dir, final String size)
    {
        String output;
        boolean isMounted;
        try
        {
            Files.createDirectories(dir);
            final Process process = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs",
                dir.toString()).redirectErrorStream(true).start();
            isMounted = process.waitFor(10, TimeUnit.SECONDS) && 0 == process.exitValue();
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        catch (final IOException ex)
        {
            isMounted = false;
            output = ex.toString();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }

        Assumptions.assumeTrue(isMounted,
            "skipped: cannot mount a " + size + " tmpfs at " + dir + " (needs root): " + output);
        return new SmallFileSystem(dir);
    }

    /**
     * Where it is mounted.
     *
     * @return the mount point.
     */
    public Path root()
    {
        return root;
    }

    /**
     * Write a file of zeros until the file system has no space left.
     *
     * @param name of the file under the root.
     * @return the file, to delete when space should come back.
     */
    public Path fill(final String name)
    {
        final Path file = root.resolve(name);
        final byte[] chunk = new byte[64 * 1024];
        try (FileOutputStream out = new FileOutputStream(file.toFile(), true))
        {
            int length = chunk.length;
            while (length > 0)
            {
                try
                {
                    out.write(chunk, 0, length);
                }
                catch (final IOException ex)
                {
                    length /= 2;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }

        return file;
    }

    /**
     * Write a file of zeros of a given length.
     *
     * @param name   of the file under the root.
     * @param length in bytes.
     * @return the file.
     */
    public Path ballast(final String name, final int length)
    {
        final Path file = root.resolve(name);
        try
        {
            Files.write(file, new byte[length]);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }

        return file;
    }

    /**
     * Unmount (lazily, should a mapping still be open).
     */
    public void close()
    {
        try
        {
            final Process process = new ProcessBuilder("umount", "-l", root.toString()).inheritIO().start();
            if (!process.waitFor(10, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
