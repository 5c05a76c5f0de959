package io.spindle.cluster;

import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The free member ports tests and the demo start members on: below the kernel's ephemeral range, where no socket
 * bound to port 0 is handed one of them between the probe and the member's bind, and actually free.
 */
class LoopbackPortsTest
{
    @Test
    void aRangeOfFreePortsLiesBelowTheEphemeralRangeAndCanBeBound() throws IOException
    {
        final int ephemeralLow;
        try (BufferedReader reader = new BufferedReader(new FileReader("/proc/sys/net/ipv4/ip_local_port_range")))
        {
            ephemeralLow = Integer.parseInt(reader.readLine().trim().split("\\s+")[0]);
        }

        for (int i = 0; i < 20; i++)
        {
            final int count = 3 * ClusterNode.MEMBER_PORT_COUNT;
            final int base = ClusterNode.freeLoopbackPorts(count);
            assertTrue(base >= 1_024 && base + count <= ephemeralLow,
                "range " + base + ".." + (base + count - 1) + " against the ephemeral range from " + ephemeralLow);
            try (DatagramSocket first = new DatagramSocket(base, InetAddress.getLoopbackAddress());
                DatagramSocket last = new DatagramSocket(base + count - 1, InetAddress.getLoopbackAddress()))
            {
                assertTrue(first.isBound() && last.isBound());
            }
        }
    }
}
