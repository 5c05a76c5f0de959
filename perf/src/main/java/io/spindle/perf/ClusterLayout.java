/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.ArrayList;
import java.util.List;

import io.spindle.cluster.ClusterNode;

/**
 * Where the members of a cluster embedded in one process listen: every member on 127.0.0.1 with a range of
 * consecutive UDP ports that were free a moment ago, its first port the member's client endpoint.
 */
final class ClusterLayout
{
    /**
     * Host of every member.
     */
    static final String HOST = "127.0.0.1";


    private final int[] ports;

    private ClusterLayout(final int[] ports)
    {
        this.ports = ports;
    }

    /**
     * Find free ports for the members: {@code portsPerMember} consecutive ports each, the members' ranges adjacent.
     *
     * @param members        number of members.
     * @param portsPerMember consecutive ports each member needs from its client port.
     * @return the layout.
     * @throws IllegalStateException when no free range was found.
     */
    static ClusterLayout onLoopback(final int members, final int portsPerMember)
    {
        final int base = ClusterNode.freeLoopbackPorts(members * portsPerMember);
        final int[] ports = new int[members];
        for (int i = 0; i < members; i++)
        {
            ports[i] = base + i * portsPerMember;
        }
        return new ClusterLayout(ports);
    }

    /**
     * Number of members.
     *
     * @return the count.
     */
    int size()
    {
        return ports.length;
    }

    /**
     * A member's client port, the first of its range.
     *
     * @param member id, from 0.
     * @return the port.
     */
    int port(final int member)
    {
        return ports[member];
    }

    /**
     * The members list of {@code spindle node --members}: {@code 0=HOST:PORT,1=HOST:PORT,...}.
     *
     * @return the list.
     */
    String members()
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ports.length; i++)
        {
            sb.append(i > 0 ? "," : "").append(i).append('=').append(HOST).append(':').append(ports[i]);
        }
        return sb.toString();
    }

    /**
     * The clients' bootstrap: {@code HOST:PORT,HOST:PORT,...}, every member's client endpoint.
     *
     * @return the bootstrap string.
     */
    String bootstrap()
    {
        final List<String> endpoints = new ArrayList<>();
        for (final int port : ports)
        {
            endpoints.add(HOST + ":" + port);
        }
        return String.join(",", endpoints);
    }
}
