/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.security.AuthenticationException;
import io.aeron.security.CredentialsSupplier;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.SegmentArchivedEncoder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sends a member's {@code SegmentArchived} reports into the cluster's log, on a thread of its own, through a cluster
 * session of its own (as {@link LogPurger} announces snapshots), kept open with keep-alives and reopened after a
 * failure. A report that does not make it (no leader, a leader change) is dropped here: the archiver reports again
 * what the replicated state does not show a few seconds later ({@link MemberTier#report}).
 */
final class TierReporter implements Agent, AutoCloseable
{
    private static final long RECONNECT_BACKOFF_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long KEEP_ALIVE_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long OFFER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);

    private final Aeron aeron;
    private final String ingressEndpoints;
    private final String egressHost;
    private final CredentialsSupplier credentials;
    private final Consumer<Throwable> errorHandler;
    private final ManyToOneConcurrentArrayQueue<MemberTier.SegmentArchivedReport> queue =
        new ManyToOneConcurrentArrayQueue<>(1024);
    private final UnsafeBuffer message = new UnsafeBuffer(new byte[128]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final SegmentArchivedEncoder encoder = new SegmentArchivedEncoder();
    private AgentRunner runner;
    private AeronCluster client;
    private long nextConnectNs;
    private long lastKeepAliveNs;
    private long nextCorrelationId = 1;
    private volatile long sent;

    TierReporter(
        final Aeron aeron,
        final String ingressEndpoints,
        final String egressHost,
        final CredentialsSupplier credentials,
        final Consumer<Throwable> errors)
    {
        this.aeron = aeron;
        this.ingressEndpoints = ingressEndpoints;
        this.egressHost = egressHost;
        this.credentials = credentials;
        this.errorHandler = errors;
    }

    /**
     * Start on a daemon thread of its own.
     *
     * @param memberId for the thread's name.
     * @return this.
     */
    TierReporter start(final int memberId)
    {
        runner = new AgentRunner(new SleepingMillisIdleStrategy(5), errorHandler::accept, null, this);
        AgentRunner.startOnThread(runner, (runnable) ->
        {
            final Thread thread = new Thread(runnable, "spindle-member-" + memberId + "-tier-reporter");
            thread.setDaemon(true);
            return thread;
        });
        return this;
    }

    /**
     * Queue a report; any thread. Dropped when the queue is full (it is reported again later).
     *
     * @param report to send.
     */
    void enqueue(final MemberTier.SegmentArchivedReport report)
    {
        queue.offer(report);
    }

    /**
     * Reports offered to the cluster's ingress.
     *
     * @return the count since start.
     */
    long sent()
    {
        return sent;
    }

    /**
     * {@inheritDoc}
     */
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        int work = 0;
        if (null != client)
        {
            work += client.pollEgress();
            if (client.isClosed())
            {
                CloseHelper.quietClose(client);
                client = null;
            }
            else if (nowNs - lastKeepAliveNs >= KEEP_ALIVE_INTERVAL_NS && client.sendKeepAlive())
            {
                lastKeepAliveNs = nowNs;
            }
        }

        MemberTier.SegmentArchivedReport report;
        while (null != (report = queue.peek()))
        {
            if (null == client && !connect(nowNs))
            {
                return work;
            }
            if (!send(report))
            {
                CloseHelper.quietClose(client);
                client = null;
                nextConnectNs = nowNs + RECONNECT_BACKOFF_NS;
                return work;
            }
            queue.poll();
            work++;
        }
        return work;
    }

    private boolean connect(final long nowNs)
    {
        if (nowNs - nextConnectNs < 0)
        {
            return false;
        }
        try
        {
            client = AeronCluster.connect(new AeronCluster.Context()
                .aeron(aeron)
                .ownsAeronClient(false)
                .ingressChannel("aeron:udp?term-length=64k")
                .ingressEndpoints(ingressEndpoints)
                .egressChannel("aeron:udp?endpoint=" + egressHost + ":0")
                .credentialsSupplier(credentials)
                .messageTimeoutNs(OFFER_TIMEOUT_NS)
                .idleStrategy(new BackoffIdleStrategy(10, 20, 1_000, 1_000_000)));
            lastKeepAliveNs = nowNs;
            return true;
        }
        catch (final AuthenticationException ex)
        {
            // Tried again every second, and recorded each time: the distinct error log counts the repeats.
            errorHandler.accept(new IllegalStateException(rejectedMessage("its segment reports"), ex));
            nextConnectNs = nowNs + RECONNECT_BACKOFF_NS;
            return false;
        }
        catch (final RuntimeException ex)
        {
            nextConnectNs = nowNs + RECONNECT_BACKOFF_NS;
            return false;
        }
    }

    /**
     * Why a member's own session to the cluster was rejected, and what goes unheard: its secret differs from the
     * leader's, or it has one and the leader none.
     */
    static String rejectedMessage(final String what)
    {
        return "the cluster's leader rejected this member's credentials, so " + what + " go unheard: every " +
            "member's spindle.node.secret.file must hold the same secret";
    }

    private boolean send(final MemberTier.SegmentArchivedReport report)
    {
        encoder.wrapAndApplyHeader(message, 0, headerEncoder)
            .correlationId(nextCorrelationId++)
            .memberId(report.memberId())
            .topicId(report.topicId())
            .partition(report.partition())
            .baseOffset(report.entry().baseOffset())
            .nextOffset(report.entry().nextOffset())
            .bytes(report.entry().bytes())
            .maxTimestampMs(report.entry().maxTimestampMs())
            .crc(report.entry().crc())
            .recordingId(report.entry().recordingId());
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        final long deadlineNs = System.nanoTime() + OFFER_TIMEOUT_NS;
        final BackoffIdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
        while (true)
        {
            final long result = client.offer(message, 0, length);
            if (result > 0)
            {
                sent++;
                return true;
            }
            if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result ||
                System.nanoTime() - deadlineNs > 0)
            {
                return false;
            }
            client.pollEgress();
            idle.idle();
        }
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "spindle-tier-reporter";
    }

    /**
     * {@inheritDoc}
     */
    public void onClose()
    {
        CloseHelper.quietClose(client);
        client = null;
    }

    /**
     * Stop the thread; the cluster session closes on it.
     */
    public void close()
    {
        CloseHelper.quietClose(runner);
    }
}
