/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.spindle.driver.SchedulerSlice;
import io.spindle.host.FreePorts;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * The raw-Aeron baseline's plumbing, laid out as a Spindle run is:
 * <pre>
 *   echo (default), IPC: one media driver
 *     publisher --req[p]--> relay agent --fwd[p]--> subscriber      (broker stand-in on the broker's idle strategy)
 *         ^                     |
 *         +-------ack-----------+
 *
 *   echo, UDP: the relay's driver ("broker") and one driver shared by publisher and subscriber ("client"),
 *   both UDP hops over 127.0.0.1, as producer -> broker -> consumer
 *
 *   direct: publisher --fwd[p]--> subscriber, no relay and no acks (the transport's one-way floor)
 * </pre>
 * One Aeron client per role, exclusive publications, a stream per partition, the drivers configured as the broker's
 * embedded driver (see {@link MediaDrivers}).
 */
final class AeronBaseline implements AutoCloseable
{
    /**
     * Which path the baseline measures.
     */
    enum Mode
    {
        /**
         * Publisher to relay to subscriber, the relay acknowledging to the publisher: Spindle's hop count.
         */
        ECHO,

        /**
         * Publisher straight to subscriber.
         */
        DIRECT
    }

    static final int REQUEST_STREAM_BASE = 2001;
    static final int FORWARD_STREAM_BASE = 3001;
    static final int ACK_STREAM_ID = 4001;

    private static final long CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private Aeron publisherAeron;
    private Aeron subscriberAeron;
    private ExclusivePublication[] publications;
    private Subscription ackSubscription;
    private Subscription[] subscriptions;
    private AgentRunner relayRunner;
    private RelayAgent relay;

    /**
     * Start the drivers, connect every stream and start the relay.
     *
     * @param env        transport, threading and idle strategies.
     * @param mode       echo or direct.
     * @param partitions streams per direction.
     * @param acks       whether the relay acknowledges.
     * @return the connected baseline.
     */
    static AeronBaseline start(
        final EnvironmentOptions env, final Mode mode, final int partitions, final boolean acks)
    {
        final AeronBaseline baseline = new AeronBaseline();
        try
        {
            baseline.launch(env, mode, partitions, acks);
        }
        catch (final RuntimeException ex)
        {
            baseline.close();
            throw ex;
        }
        return baseline;
    }

    private void launch(final EnvironmentOptions env, final Mode mode, final int partitions, final boolean acks)
    {
        final boolean udp = EnvironmentOptions.Transport.UDP == env.transport();
        final boolean echo = Mode.ECHO == mode;

        final MediaDriver brokerDriver = own(MediaDrivers.launch(MediaDrivers.uniqueDirectory("baseline"), env));
        final MediaDriver clientDriver = udp && echo ?
            own(MediaDrivers.launch(MediaDrivers.uniqueDirectory("baseline-client"), env)) : brokerDriver;

        subscriberAeron = own(Aeron.connect(new Aeron.Context()
            .errorHandler(Throwable::printStackTrace).aeronDirectoryName(clientDriver.aeronDirectoryName())));
        publisherAeron = own(Aeron.connect(new Aeron.Context()
            .errorHandler(Throwable::printStackTrace).aeronDirectoryName(clientDriver.aeronDirectoryName())));

        // The subscriber's side first, so that its channel (a resolved ephemeral port for UDP) is known.
        subscriptions = new Subscription[partitions];
        final String subscriberChannel = subscribeAll(subscriberAeron, udp, FORWARD_STREAM_BASE, subscriptions);
        // The publisher has its own response endpoint, as a producer's session has its own response channel.
        final String ackChannel = udp ? "aeron:udp?endpoint=127.0.0.1:" + freeUdpPort() : "aeron:ipc";
        if (echo && acks)
        {
            ackSubscription = publisherAeron.addSubscription(ackChannel, ACK_STREAM_ID);
        }

        publications = new ExclusivePublication[partitions];
        if (echo)
        {
            final Aeron relayAeron = own(Aeron.connect(
                new Aeron.Context()
                    .errorHandler(Throwable::printStackTrace).aeronDirectoryName(brokerDriver.aeronDirectoryName())));
            final Subscription[] requests = new Subscription[partitions];
            final String relayChannel = subscribeAll(relayAeron, udp, REQUEST_STREAM_BASE, requests);
            final ExclusivePublication[] forwards = new ExclusivePublication[partitions];
            for (int p = 0; p < partitions; p++)
            {
                forwards[p] = relayAeron.addExclusivePublication(subscriberChannel, FORWARD_STREAM_BASE + p);
                publications[p] = publisherAeron.addExclusivePublication(relayChannel, REQUEST_STREAM_BASE + p);
            }
            final ExclusivePublication ackPublication = acks ?
                relayAeron.addExclusivePublication(ackChannel, ACK_STREAM_ID) : null;

            awaitConnected(forwards);
            awaitConnected(publications);
            if (null != ackPublication)
            {
                awaitConnected(new ExclusivePublication[]{ ackPublication });
            }

            relay = new RelayAgent(requests, forwards, ackPublication, REQUEST_STREAM_BASE);
            final IdleStrategy relayIdle = env.newBrokerIdle();
            relayRunner = new AgentRunner(relayIdle, Throwable::printStackTrace, null, relay);
            AgentRunner.startOnThread(relayRunner, SchedulerSlice.threadFactory(env.schedulerSliceNs()));
        }
        else
        {
            for (int p = 0; p < partitions; p++)
            {
                publications[p] = publisherAeron.addExclusivePublication(subscriberChannel, FORWARD_STREAM_BASE + p);
            }
            awaitConnected(publications);
        }
    }

    /**
     * The publishing side.
     *
     * @param size message size.
     * @param sink where acknowledgements go.
     * @return the sender.
     */
    AeronSender sender(final int size, final LatencySink sink)
    {
        return new AeronSender(publications, ackSubscription, size, sink);
    }

    /**
     * The receiving side.
     *
     * @param sink where messages go.
     * @return the receiver.
     */
    AeronReceiver receiver(final LatencySink sink)
    {
        return new AeronReceiver(subscriptions, FORWARD_STREAM_BASE, sink);
    }

    /**
     * Acks the relay could not send.
     *
     * @return the count; read after the run.
     */
    long droppedAcks()
    {
        return null == relay ? 0 : relay.droppedAcks();
    }

    /**
     * Stop the relay, close the clients and the drivers.
     */
    public void close()
    {
        CloseHelper.quietClose(relayRunner);
        for (int i = resources.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(resources.get(i));
        }
        resources.clear();
    }

    private <T extends AutoCloseable> T own(final T resource)
    {
        resources.add(resource);
        return resource;
    }

    /**
     * Subscribe to one stream per partition on one channel: {@code aeron:ipc}, or for UDP an endpoint on 127.0.0.1 at a
     * port that was free a moment ago (as the broker picks its port 0), shared by every stream.
     *
     * @return the channel publishers should use.
     */
    private static String subscribeAll(
        final Aeron aeron, final boolean udp, final int streamBase, final Subscription[] subscriptions)
    {
        final String channel = udp ? "aeron:udp?endpoint=127.0.0.1:" + freeUdpPort() : "aeron:ipc";
        for (int p = 0; p < subscriptions.length; p++)
        {
            subscriptions[p] = aeron.addSubscription(channel, streamBase + p);
        }
        return channel;
    }

    private static int freeUdpPort()
    {
        return FreePorts.range("127.0.0.1", 1);
    }

    private static void awaitConnected(final ExclusivePublication[] publications)
    {
        final IdleStrategy idle = new BackoffIdleStrategy();
        final long deadlineNs = System.nanoTime() + CONNECT_TIMEOUT_NS;
        for (final ExclusivePublication publication : publications)
        {
            while (!publication.isConnected())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("publication not connected: " + publication.channel() +
                        " stream " + publication.streamId());
                }
                idle.idle();
            }
        }
    }
}
