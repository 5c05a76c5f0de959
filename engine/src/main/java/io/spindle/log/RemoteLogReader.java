/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

/**
 * Reads of a partition's offsets below its local log start, from the archive tier of tiered storage
 * ({@code remote.storage.enable}); attached to a {@link PartitionLog} with {@link PartitionLog#remoteReader}, which
 * then serves {@link PartitionLog#read} below the local log start through it. Called on reader threads (the fetch
 * server): must not block.
 */
public interface RemoteLogReader
{
    /**
     * The first offset the archive tier holds.
     *
     * @return the offset, or {@link PartitionLog#NULL_OFFSET} while it holds nothing.
     */
    long logStartOffset();

    /**
     * Read whole batches from the one holding {@code offset}, as {@link PartitionLog#read} does, without blocking.
     *
     * @param offset      at or above {@link #logStartOffset()}.
     * @param maxBytes    soft limit: the first batch is returned whole however large.
     * @param limitOffset no batch holding this offset or a later one is returned (high-water mark or last stable
     *                    offset).
     * @param result      filled with {@link LogReadResult#wrapRemote} when batches are returned.
     * @return bytes returned; 0 while the batches are being fetched from the archive (ask again later);
     * {@link PartitionLog#OFFSET_OUT_OF_RANGE}; or {@link PartitionLog#KAFKA_STORAGE_ERROR} when the tier holds the
     * offset but this copy of it cannot serve it (another replica may).
     */
    int read(long offset, int maxBytes, long limitOffset, LogReadResult result);
}
