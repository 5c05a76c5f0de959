/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The free ports a listener on port 0 (a broker, a standalone archive, the perf baseline) and members started in one
 * process get: below the kernel's ephemeral range, where no socket bound to port 0 is handed one of them between the
 * probe and the bind, and actually free.
 */
class FreePortsTest
{
    @Test
    void aRangeOfFreePortsLiesBelowTheEphemeralRangeAndCanBeBound() throws IOException
    {
        final int ephemeralLow = ephemeralLowFromProcfs();
        assertEquals(ephemeralLow, FreePorts.ephemeralPortLow());

        for (int i = 0; i < 20; i++)
        {
            final int count = 18;
            final int base = FreePorts.range(InetAddress.getLoopbackAddress(), count);
            assertTrue(base >= 1_024 && base + count <= ephemeralLow,
                "range " + base + ".." + (base + count - 1) + " against the ephemeral range from " + ephemeralLow);
            try (DatagramSocket first = new DatagramSocket(base, InetAddress.getLoopbackAddress());
                DatagramSocket last = new DatagramSocket(base + count - 1, InetAddress.getLoopbackAddress()))
            {
                assertTrue(first.isBound() && last.isBound());
            }
        }
    }

    @Test
    void aPortForAHostGivenByNameOrByTheWildcardCanBeBoundThere() throws IOException
    {
        final int ephemeralLow = ephemeralLowFromProcfs();
        for (final String host : new String[]{ "localhost", "127.0.0.1", "0.0.0.0" })
        {
            final int port = FreePorts.range(host, 1);
            assertTrue(port >= 1_024 && port < ephemeralLow, host + ": " + port);
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(host, port)))
            {
                assertEquals(port, socket.getLocalPort());
            }
        }
    }

    @Test
    void anUnknownHostIsSaid()
    {
        final IllegalStateException ex =
            assertThrows(IllegalStateException.class, () -> FreePorts.range("no-such-host.invalid", 1));
        assertTrue(ex.getMessage().contains("no-such-host.invalid"), ex.getMessage());
    }

    private static int ephemeralLowFromProcfs() throws IOException
    {
        try (BufferedReader reader = new BufferedReader(new FileReader("/proc/sys/net/ipv4/ip_local_port_range")))
        {
            return Integer.parseInt(reader.readLine().trim().split("\\s+")[0]);
        }
    }
}
