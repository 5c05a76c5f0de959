/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

/**
 * When a partition log forces its memory-mapped segments to the storage device.
 * <p>
 * Whatever the policy, an appended batch is in the OS page cache once {@link PartitionLog#append} returns, so it
 * survives the broker process crashing (the kernel still writes the dirty pages). The policies differ in what
 * survives the machine losing power or the kernel crashing:
 * <ul>
 *     <li>{@link #NEVER}: the OS decides when dirty pages reach the device (on Linux, typically within
 *     {@code vm.dirty_expire_centisecs}, 30 s); a power loss can lose any suffix of the log written since then,
 *     and recovery cuts what was torn. Durability is expected to come from replication, as with Kafka's defaults.
 *     The log is still forced on {@link PartitionLog#close()}.</li>
 *     <li>{@link #INTERVAL}: the log is forced when at least {@code flush.ms} has passed since the last force,
 *     checked on each append and on each {@link PartitionLog#doWork(long)} with the time the host passes in; a
 *     power loss loses at most the batches appended in that window. Segments are also forced when they roll.</li>
 *     <li>{@link #EVERY_BATCH}: the pages of each batch are forced ({@code msync}) before append returns, so an
 *     acknowledged batch survives a power loss; costs one {@code msync} per append.</li>
 * </ul>
 */
public enum FlushPolicy
{
    /**
     * Leave writing back to the OS page cache; survives a process crash, not a power loss.
     */
    NEVER,

    /**
     * Force every {@code flush.ms} milliseconds of host time; a power loss loses at most that window.
     */
    INTERVAL,

    /**
     * Force each batch before append returns; survives a power loss.
     */
    EVERY_BATCH;

    /**
     * Parse a policy name as written in a topic config: {@code never}, {@code interval} or {@code every_batch}.
     *
     * @param name of the policy, case-insensitive; {@code every-batch} and {@code batch} are also accepted.
     * @return the policy.
     * @throws IllegalArgumentException naming the accepted values if the name is not one of them.
     */
    public static FlushPolicy parse(final String name)
    {
        switch (name.trim().toLowerCase(java.util.Locale.ROOT))
        {
            case "never":
                return NEVER;
            case "interval":
                return INTERVAL;
            case "every_batch":
            case "every-batch":
            case "batch":
                return EVERY_BATCH;
            default:
                throw new IllegalArgumentException(
                    "flush.policy must be one of never, interval, every_batch: '" + name + "'");
        }
    }
}
