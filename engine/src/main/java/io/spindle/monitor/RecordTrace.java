/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

import io.spindle.log.PartitionLog;

/**
 * When each record reached each stage of its way through a broker, by offset, for attributing end-to-end latency to
 * the hop that spent it ({@code spindle perf latency --stages}). Off unless a broker is given one
 * ({@code StandaloneBroker.Context.recordTrace}): the broker's own stage histograms ({@link StageLatencies}) are the
 * always-on view, this is the per-record one. Each method is called on the thread doing that stage, right after it,
 * and must neither block nor allocate.
 */
public interface RecordTrace
{
    /**
     * Records were appended to a partition (the control agent's thread), up to an end offset: every record below it
     * not reported before was appended now.
     *
     * @param log       the partition's log.
     * @param endOffset the log end offset after the append.
     * @param timeNs    {@link System#nanoTime()} of the append.
     */
    void onAppended(PartitionLog log, long endOffset, long timeNs);

    /**
     * Records of a partition are leaving the broker for a consumer (the fetch server's thread): a response holding them
     * was encoded and is offered next, so the stamp is written before the consumer can see them (a back-pressured
     * offer is encoded, and stamped, again).
     *
     * @param log        the partition's log.
     * @param fromOffset the first offset the response starts at (the fetch offset).
     * @param toOffset   the offset after the last record of the response.
     * @param timeNs     {@link System#nanoTime()} just before the offer.
     */
    void onPushed(PartitionLog log, long fromOffset, long toOffset, long timeNs);
}
