/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.codecs.SourceLocation;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * The channels segments are recorded and replayed on: IPC to an archive on the broker's own media driver, or UDP
 * to a standalone archive on another machine.
 * <p>
 * Over UDP the broker owns every port: a segment is published on a dynamic multi-destination-cast publication whose
 * control endpoint is an ephemeral port of the broker, and the archive records it as a remote subscriber of that
 * endpoint; a replay is sent to an ephemeral port of the broker's subscription. So the archive needs no port but its
 * control endpoint, and no two recordings share a channel.
 */
final class TierChannels
{
    /**
     * Stream of recorded segments.
     */
    static final int RECORD_STREAM_ID = 1_700_001;

    /**
     * Stream of replays.
     */
    static final int REPLAY_STREAM_ID = 1_700_002;

    private final boolean isIpc;
    private final String localHost;
    private final String archiveHost;
    private final int termLength;

    private TierChannels(final boolean isIpc, final String localHost, final String archiveHost, final int termLength)
    {
        this.isIpc = isIpc;
        this.localHost = localHost;
        this.archiveHost = archiveHost;
        this.termLength = termLength;
    }

    static TierChannels ipc(final int termLength)
    {
        return new TierChannels(true, null, null, termLength);
    }

    static TierChannels udp(final String localHost, final String archiveHost, final int termLength)
    {
        return new TierChannels(false, localHost, archiveHost, termLength);
    }

    /**
     * The publication a segment is copied on.
     */
    ExclusivePublication addPublication(final Aeron aeron, final int sessionId)
    {
        final String channel = isIpc ?
            "aeron:ipc?term-length=" + termLength + "|session-id=" + sessionId :
            "aeron:udp?control=" + localHost + ":0|control-mode=dynamic|term-length=" + termLength +
                "|session-id=" + sessionId;
        return aeron.addExclusivePublication(channel, RECORD_STREAM_ID);
    }

    /**
     * The channel the archive records a publication from, or null while a UDP publication has not bound its control
     * port yet.
     */
    String recordingChannel(final ExclusivePublication publication, final String tag, final int sessionId)
    {
        if (isIpc)
        {
            return "aeron:ipc?alias=" + tag + "|session-id=" + sessionId;
        }

        final List<String> addresses = publication.localSocketAddresses();
        if (addresses.isEmpty())
        {
            return null;
        }
        return "aeron:udp?alias=" + tag + "|endpoint=" + archiveHost + ":0|control=" + addresses.get(0) +
            "|control-mode=dynamic|session-id=" + sessionId;
    }

    SourceLocation sourceLocation()
    {
        return isIpc ? SourceLocation.LOCAL : SourceLocation.REMOTE;
    }

    /**
     * Start a replay of part of a recording and return the subscription its image arrives on; blocks at most until
     * a UDP subscription has bound its port.
     */
    Subscription replay(
        final Aeron aeron, final AeronArchive archive, final long recordingId, final long position, final long length)
    {
        if (isIpc)
        {
            final long replaySessionId = archive.startReplay(
                recordingId, position, length, "aeron:ipc", REPLAY_STREAM_ID);
            return aeron.addSubscription("aeron:ipc?session-id=" + (int)replaySessionId, REPLAY_STREAM_ID);
        }

        final Subscription subscription =
            aeron.addSubscription("aeron:udp?endpoint=" + localHost + ":0", REPLAY_STREAM_ID);
        try
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            final IdleStrategy idle = new BackoffIdleStrategy();
            String endpoint;
            while (null == (endpoint = subscription.resolvedEndpoint()))
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("replay subscription did not bind a port");
                }
                idle.idle();
            }
            archive.startReplay(recordingId, position, length, "aeron:udp?endpoint=" + endpoint, REPLAY_STREAM_ID);
            return subscription;
        }
        catch (final RuntimeException ex)
        {
            subscription.close();
            throw ex;
        }
    }

    String localHost()
    {
        return localHost;
    }

    boolean isIpc()
    {
        return isIpc;
    }
}
