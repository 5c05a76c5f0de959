package io.spindle.tools;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code spindle node} process of a chaos run: launched (and launched again after a kill) with its output
 * appended to a file, signalled with SIGKILL, SIGSTOP, SIGCONT or SIGTERM, and its output read for the lines that
 * say how it is doing: {@code listening HOST:PORT} once it serves clients and {@code role leader} /
 * {@code role follower} / {@code role candidate} on each role change. A member starts as a follower without
 * printing it, so a member whose last role line since its launch is not {@code role leader} is not the leader.
 * <p>
 * Used from one thread at a time (the chaos command's main thread), except {@link #destroyForcibly()}, which the
 * shutdown hook may call.
 */
final class ChaosMember
{
    private static final long SIGNAL_TIMEOUT_MS = 10_000;
    private static final int TAIL_LINES = 40;

    private final int id;
    private final List<String> command;
    private final File output;
    private volatile Process process;
    private boolean isStopped;
    private int launches;

    private long scannedTo;
    private final StringBuilder partialLine = new StringBuilder();
    private boolean isListening;
    private boolean isLeader;
    private long leaderSinceNs;
    private int leaderLines;

    /**
     * A member not yet launched.
     *
     * @param id      member id.
     * @param command the whole command line that runs it.
     * @param output  file its standard output and error are appended to.
     */
    ChaosMember(final int id, final List<String> command, final File output)
    {
        this.id = id;
        this.command = List.copyOf(command);
        this.output = output;
    }

    int id()
    {
        return id;
    }

    /**
     * Start the process: once at the beginning, and again after each kill.
     *
     * @throws IOException if it cannot be started.
     */
    void launch() throws IOException
    {
        // What the previous life printed is read now, so what follows is this life's.
        scan();
        isListening = false;
        isLeader = false;
        isStopped = false;
        process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(output)).start();
        launches++;
    }

    /**
     * SIGKILL, and wait for the process to be gone.
     *
     * @return true if it is gone.
     * @throws InterruptedException if interrupted.
     */
    boolean kill() throws InterruptedException
    {
        final Process p = process;
        p.destroyForcibly();
        final boolean isGone = p.waitFor(SIGNAL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        isStopped = false;
        return isGone;
    }

    /**
     * SIGSTOP: the process is frozen, its sockets stay open.
     *
     * @throws IOException          if {@code kill} cannot be run or fails.
     * @throws InterruptedException if interrupted.
     */
    void stop() throws IOException, InterruptedException
    {
        signal("STOP");
        isStopped = true;
    }

    /**
     * SIGCONT after {@link #stop()}.
     *
     * @throws IOException          if {@code kill} cannot be run or fails.
     * @throws InterruptedException if interrupted.
     */
    void resume() throws IOException, InterruptedException
    {
        if (isStopped)
        {
            signal("CONT");
            isStopped = false;
        }
    }

    /**
     * SIGTERM, after SIGCONT if stopped: a member closes cleanly on it.
     *
     * @throws IOException          if {@code kill} cannot be run.
     * @throws InterruptedException if interrupted.
     */
    void terminate() throws IOException, InterruptedException
    {
        final Process p = process;
        if (null != p && p.isAlive())
        {
            resume();
            p.destroy();
        }
    }

    /**
     * Wait for the process to exit; SIGKILL if it does not in time.
     *
     * @param timeoutMs how long to wait.
     * @return the exit status, or -1 if it had to be killed.
     * @throws InterruptedException if interrupted.
     */
    int awaitExit(final long timeoutMs) throws InterruptedException
    {
        final Process p = process;
        if (null == p)
        {
            return -1;
        }
        if (p.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            return p.exitValue();
        }
        kill();
        return -1;
    }

    /**
     * SIGKILL without waiting, for the shutdown hook.
     */
    void destroyForcibly()
    {
        final Process p = process;
        if (null != p)
        {
            p.destroyForcibly();
        }
    }

    boolean isAlive()
    {
        final Process p = process;
        return null != p && p.isAlive();
    }

    boolean isStopped()
    {
        return isStopped;
    }

    int exitValue()
    {
        return process.exitValue();
    }

    long pid()
    {
        return process.pid();
    }

    int launches()
    {
        return launches;
    }

    /**
     * Whether this life of the member printed {@code listening}.
     *
     * @return true once it serves clients.
     */
    boolean isListening()
    {
        scan();
        return isListening;
    }

    /**
     * Whether the last role this life of the member printed is leader.
     *
     * @return true if it says it leads.
     */
    boolean isLeader()
    {
        scan();
        return isLeader;
    }

    /**
     * When this member last printed {@code role leader}, for telling a stale leader from the current one.
     *
     * @return a {@link System#nanoTime()} value.
     */
    long leaderSinceNs()
    {
        return leaderSinceNs;
    }

    /**
     * How many times, over all its lives, the member became leader.
     *
     * @return the count of {@code role leader} lines.
     */
    int leaderLines()
    {
        scan();
        return leaderLines;
    }

    /**
     * The last lines of the member's output, over all its lives.
     *
     * @return the lines, oldest first.
     */
    List<String> tail()
    {
        try
        {
            final List<String> lines = Files.readAllLines(output.toPath(), StandardCharsets.UTF_8);
            return new ArrayList<>(lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
        }
        catch (final IOException | RuntimeException ex)
        {
            return List.of("(cannot read " + output + ": " + ex.getMessage() + ")");
        }
    }

    File output()
    {
        return output;
    }

    private void signal(final String signal) throws IOException, InterruptedException
    {
        final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!kill.waitFor(SIGNAL_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            kill.destroyForcibly();
            throw new IOException("kill -" + signal + " " + process.pid() + " did not finish");
        }
        if (0 != kill.exitValue())
        {
            throw new IOException("kill -" + signal + " " + process.pid() + " exited with " + kill.exitValue());
        }
    }

    private void scan()
    {
        final long nowNs = System.nanoTime();
        try (RandomAccessFile file = new RandomAccessFile(output, "r"))
        {
            final long length = file.length();
            if (length <= scannedTo)
            {
                return;
            }
            final byte[] bytes = new byte[(int)Math.min(length - scannedTo, 1 << 20)];
            file.seek(scannedTo);
            file.readFully(bytes);
            scannedTo += bytes.length;
            partialLine.append(new String(bytes, StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            return;
        }
        int start = 0;
        int end;
        while ((end = partialLine.indexOf("\n", start)) >= 0)
        {
            onLine(partialLine.substring(start, end).trim(), nowNs);
            start = end + 1;
        }
        partialLine.delete(0, start);
    }

    private void onLine(final String line, final long nowNs)
    {
        if (line.startsWith("listening "))
        {
            isListening = true;
        }
        else if (line.equals("role leader"))
        {
            isLeader = true;
            leaderSinceNs = nowNs;
            leaderLines++;
        }
        else if (line.startsWith("role "))
        {
            isLeader = false;
        }
    }
}
