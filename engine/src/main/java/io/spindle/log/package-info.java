/*
 * Copyright 2026 Spindle contributors.
 */

/**
 * The partition log: memory-mapped segments of record batches with sparse offset and time indexes, recovery,
 * retention and truncation, written by one thread and read lock-free by many; see {@link io.spindle.log.PartitionLog}.
 */
package io.spindle.log;
