package io.spindle.tools;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.spindle.cluster.ClusterNode;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A {@code spindle} command run as its own process, as {@code bin/spindle} would run it, with its output
 * (standard output and error together) read line by line on a daemon thread.
 */
final class SpindleProcess implements AutoCloseable
{
    private final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);

    private SpindleProcess(final Process process)
    {
        this.process = process;
        final Thread reader = new Thread(this::read, "spindle-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Start {@code spindle <args>} with these JVM options ({@code -D...}).
     *
     * @param jvmOptions extra options before the main class.
     * @param args       the command line.
     * @return the running process.
     * @throws IOException if it cannot be started.
     */
    static SpindleProcess start(final List<String> jvmOptions, final String... args) throws IOException
    {
        return startMain(SpindleCli.class, jvmOptions, args);
    }

    /**
     * Start {@code spindle broker} on an embedded driver in its own Aeron directory, listening on loopback UDP, and
     * wait (bounded) until it says it listens.
     *
     * @param aeronDir of the broker's embedded driver.
     * @param data     the broker's data directory.
     * @param port     its UDP port ({@link #freeUdpPort()}).
     * @return the running broker.
     * @throws Exception if it cannot be started or does not listen within 30 s.
     */
    static SpindleProcess startBroker(final String aeronDir, final Path data, final int port) throws Exception
    {
        final SpindleProcess broker = start(List.of("-Dspindle.embedded.driver.dir=" + aeronDir),
            "broker", "--data-dir", data.toString(), "--listen", "127.0.0.1:" + port);
        broker.awaitLine("listening udp", 30_000);
        return broker;
    }

    /**
     * Write a secret file as an operator would for {@code spindle.tier.secret.file} or {@code --secret-file}: the
     * secret and a newline, readable by its owner only (so no process warns about it).
     *
     * @param file   to write.
     * @param secret at least 16 characters.
     * @return the file.
     * @throws IOException if it cannot be written.
     */
    static Path writeSecretFile(final Path file, final String secret) throws IOException
    {
        Files.writeString(file, secret + "\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /**
     * A UDP port on loopback free now, below the kernel's ephemeral range so no socket bound to port 0 takes it
     * between now and a restart of the broker on it ({@link ClusterNode#freeLoopbackPorts}).
     *
     * @return the port.
     */
    static int freeUdpPort()
    {
        return ClusterNode.freeLoopbackPorts(1);
    }

    /**
     * The first of a range of UDP ports on loopback, all free now, for {@code members} cluster members
     * ({@link ClusterNode#MEMBER_PORT_COUNT} ports each, from a member's client port up).
     *
     * @param members how many members.
     * @return the range's first port.
     */
    static int freeMemberPorts(final int members)
    {
        return ClusterNode.freeLoopbackPorts(members * ClusterNode.MEMBER_PORT_COUNT);
    }

    /**
     * Start a main class of the test class path as its own process, as {@link #start(List, String...)} does.
     *
     * @param mainClass  with a {@code main} method.
     * @param jvmOptions extra options before the main class.
     * @param args       its arguments.
     * @return the running process.
     * @throws IOException if it cannot be started.
     */
    static SpindleProcess startMain(final Class<?> mainClass, final List<String> jvmOptions, final String... args)
        throws IOException
    {
        final String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.util.zip=ALL-UNNAMED",
            "-Xmx256m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, mainClass.getName()));
        command.addAll(List.of(args));
        return new SpindleProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /**
     * Wait for a line of output that starts with a prefix.
     *
     * @param prefix    of the line.
     * @param timeoutMs how long to wait.
     * @return the line; the test fails with the output so far if it does not come.
     * @throws InterruptedException if interrupted.
     */
    String awaitLine(final String prefix, final long timeoutMs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() - deadlineNs < 0)
        {
            final String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (null != line && line.startsWith(prefix))
            {
                return line;
            }
            if (null == line && 0 == ended.getCount() && lines.isEmpty())
            {
                break;
            }
        }
        fail("no line starting '" + prefix + "' from pid " + process.pid() + "; output:\n" +
            String.join("\n", output()));
        return null;
    }

    /**
     * Wait for the process to end.
     *
     * @param timeoutMs how long to wait.
     * @return its exit status; the test fails with its output if it does not end.
     * @throws InterruptedException if interrupted.
     */
    int awaitExit(final long timeoutMs) throws InterruptedException
    {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            fail("pid " + process.pid() + " did not exit; output:\n" + String.join("\n", output()));
        }
        return process.exitValue();
    }

    /**
     * Everything it printed, once it has ended (so far, while it runs).
     *
     * @return the lines.
     * @throws InterruptedException if interrupted.
     */
    List<String> output() throws InterruptedException
    {
        if (!process.isAlive())
        {
            ended.await(10, TimeUnit.SECONDS);
        }
        synchronized (seen)
        {
            return new ArrayList<>(seen);
        }
    }

    /**
     * Its standard input.
     *
     * @return the stream.
     */
    OutputStream stdin()
    {
        return process.getOutputStream();
    }

    /**
     * The process.
     *
     * @return the process.
     */
    Process process()
    {
        return process;
    }

    /**
     * Send it SIGTERM. Unlike {@link Process#destroy()}, which closes the streams this reads, what it prints while it
     * shuts down is still read.
     */
    void terminate()
    {
        process.toHandle().destroy();
    }

    /**
     * Send it SIGKILL and wait (bounded) until it is gone. Unlike {@link Process#destroyForcibly()}, which closes the
     * streams this reads, what it printed before is still read.
     *
     * @param timeoutMs how long to wait.
     * @throws InterruptedException if interrupted.
     */
    void kill(final long timeoutMs) throws InterruptedException
    {
        process.toHandle().destroyForcibly();
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            fail("SIGKILL did not stop pid " + process.pid());
        }
    }

    /**
     * Kill it if it still runs.
     */
    public void close()
    {
        process.destroyForcibly();
    }

    private void read()
    {
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = out.readLine()))
            {
                synchronized (seen)
                {
                    seen.add(line);
                }
                lines.add(line);
            }
        }
        catch (final IOException ignore)
        {
            // The process ended.
        }
        ended.countDown();
    }
}
