/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * UDP ports that were free a moment ago, for a listener asked for port 0 whose port must be known before it binds
 * (a broker's two request streams share it; an archive's clients are told it) and for members started in one process.
 * <p>
 * They are chosen below the kernel's ephemeral range ({@code /proc/sys/net/ipv4/ip_local_port_range}), at random. A
 * port found free inside that range can be handed to any socket bound to port 0 (Aeron's response channels among
 * them, in this process or another) between the probe and the bind, which showed up as "Address already in use" when
 * test JVMs ran side by side. Below it only another prober can take it, and two picking the same random port of
 * ~20,000 are unlikely.
 */
public final class FreePorts
{
    private static final Path EPHEMERAL_PORT_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int DEFAULT_EPHEMERAL_PORT_LOW = 32_768;
    private static final int FIXED_PORT_LOW = 10_000;
    private static final int ATTEMPTS = 100;

    private FreePorts()
    {
    }

    /**
     * The first of {@code count} consecutive UDP ports that could all be bound on the address a moment ago.
     *
     * @param host  an address of this machine, by name or number ({@code 0.0.0.0} for all of them).
     * @param count how many ports.
     * @return the first port of the range.
     * @throws IllegalStateException when the host is unknown or no free range turns up.
     */
    public static int range(final String host, final int count)
    {
        try
        {
            return range(InetAddress.getByName(host), count);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException("no free UDP port on " + host + ": unknown host", ex);
        }
    }

    /**
     * The first of {@code count} consecutive UDP ports that could all be bound on the address a moment ago.
     *
     * @param address an address of this machine.
     * @param count   how many ports.
     * @return the first port of the range.
     * @throws IllegalStateException when no free range turns up.
     */
    public static int range(final InetAddress address, final int count)
    {
        final int ephemeralLow = ephemeralPortLow();
        final int low = ephemeralLow - FIXED_PORT_LOW > 10 * count + 1_000 ? FIXED_PORT_LOW : 1_024;
        final int span = Math.max(1, ephemeralLow - count - low);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++)
        {
            final int base = low + ThreadLocalRandom.current().nextInt(span);
            if (free(address, base, count))
            {
                return base;
            }
        }
        throw new IllegalStateException("no free range of " + count + " UDP ports on " + address.getHostAddress() +
            " below the ephemeral range (from " + ephemeralLow + ")");
    }

    /**
     * The lowest port of the kernel's ephemeral range, or 32768 where it cannot be read.
     *
     * @return the port.
     */
    public static int ephemeralPortLow()
    {
        try
        {
            // Read by lines: Files.readString sizes its read by the file's length, which procfs reports as 0.
            final List<String> lines = Files.readAllLines(EPHEMERAL_PORT_RANGE);
            final int low = Integer.parseInt(lines.get(0).trim().split("\\s+")[0]);
            return low > 1_024 && low <= 65_535 ? low : DEFAULT_EPHEMERAL_PORT_LOW;
        }
        catch (final IOException | RuntimeException ex)
        {
            return DEFAULT_EPHEMERAL_PORT_LOW;
        }
    }

    private static boolean free(final InetAddress address, final int base, final int count)
    {
        final List<DatagramSocket> sockets = new ArrayList<>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                sockets.add(new DatagramSocket(new InetSocketAddress(address, base + i)));
            }
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
        finally
        {
            for (final DatagramSocket socket : sockets)
            {
                socket.close();
            }
        }
    }
}
