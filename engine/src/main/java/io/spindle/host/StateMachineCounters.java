/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.util.ArrayList;
import java.util.List;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.spindle.broker.BrokerStateMachine;
import io.spindle.broker.BrokerStats;
import io.spindle.codecs.ProtocolNames;
import io.spindle.codecs.protocol.ErrorCode;
import org.agrona.CloseHelper;

/**
 * What the state machine counts, as counters in the driver's counters file ({@code spindle stat}, AeronStat):
 * requests applied by type, produced records and bytes, answers by error code, consumer groups and their members.
 * All are allocated at start (no blocking call to the driver later) and set from {@link BrokerStats} by the
 * control agent's slow tick: the state machine's thread is their one writer, and counting costs the produce path
 * only a plain increment. The {@link PartitionCounters} are kept here too. A cluster member keeps them the same way,
 * from its service thread.
 */
public final class StateMachineCounters implements AutoCloseable
{
    private static final ErrorCode[] ERROR_CODES = ErrorCode.values();
    private static final long GROUP_REFRESH_INTERVAL_NS = 1_000_000_000L;

    private final Counter[] requestsByTemplateId = new Counter[BrokerStats.MAX_TEMPLATE_ID + 1];
    private final Counter[] errorsByCode = new Counter[ERROR_CODES.length];
    private final Counter producedRecords;
    private final Counter producedBytes;
    private final Counter groups;
    private final Counter groupMembers;
    private final List<Counter> all = new ArrayList<>();
    private final PartitionCounters partitions;
    private long nextGroupRefreshNs;

    /**
     * Allocate the counters (blocking calls to the driver: at start only).
     *
     * @param aeron         client of the host's driver.
     * @param nodeId        of the broker or member, part of each label.
     * @param maxPartitions partitions that get counters at most ({@code spindle.stat.max.partitions}).
     * @param errorHandler  told of counters that could not be added, and of failed compactions of the partitions.
     */
    public StateMachineCounters(
        final Aeron aeron, final int nodeId, final int maxPartitions, final org.agrona.ErrorHandler errorHandler)
    {
        final String prefix = "spindle-" + nodeId + ": ";
        partitions = new PartitionCounters(aeron, nodeId, maxPartitions, errorHandler);
        try
        {
            for (int templateId = 0; templateId <= BrokerStats.MAX_TEMPLATE_ID; templateId++)
            {
                final String name = ProtocolNames.messageName(templateId);
                if (name.endsWith("Request") && !name.startsWith("Session") && !name.startsWith("Fetch"))
                {
                    requestsByTemplateId[templateId] = add(aeron,
                        prefix + "requests " + name.substring(0, name.length() - "Request".length()));
                }
            }
            for (final ErrorCode code : ERROR_CODES)
            {
                if (ErrorCode.NONE != code && ErrorCode.NULL_VAL != code)
                {
                    errorsByCode[code.ordinal()] = add(aeron, prefix + "errors " + code.name());
                }
            }
            producedRecords = add(aeron, prefix + "produce records");
            producedBytes = add(aeron, prefix + "produce bytes");
            groups = add(aeron, prefix + "groups");
            groupMembers = add(aeron, prefix + "group members");
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /**
     * Copy the state machine's counts; its thread.
     *
     * @param stateMachine whose counts to copy.
     * @param nowNs        the agent's clock, to refresh the group counts once a second (they walk the groups).
     */
    public void update(final BrokerStateMachine stateMachine, final long nowNs)
    {
        partitions.update(stateMachine.topicTable());
        final BrokerStats stats = stateMachine.stats();
        for (int i = 0; i < requestsByTemplateId.length; i++)
        {
            final Counter counter = requestsByTemplateId[i];
            if (null != counter)
            {
                counter.setRelease(stats.requests(i));
            }
        }
        for (int i = 0; i < errorsByCode.length; i++)
        {
            final Counter counter = errorsByCode[i];
            if (null != counter)
            {
                counter.setRelease(stats.errors(ERROR_CODES[i]));
            }
        }
        producedRecords.setRelease(stats.recordsAppended());
        producedBytes.setRelease(stats.bytesAppended());

        if (nowNs - nextGroupRefreshNs >= 0)
        {
            nextGroupRefreshNs = nowNs + GROUP_REFRESH_INTERVAL_NS;
            groups.setRelease(stateMachine.groupCount());
            groupMembers.setRelease(stateMachine.groupMemberCount());
        }
    }

    /**
     * Free the counters.
     */
    public void close()
    {
        CloseHelper.close(partitions);
        CloseHelper.closeAll(all);
    }

    private Counter add(final Aeron aeron, final String label)
    {
        final Counter counter = aeron.addCounter(BrokerCounters.SPINDLE_COUNTER_TYPE_ID, label);
        all.add(counter);
        return counter;
    }
}
