/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

/**
 * How the writer puts an appended batch and its index entries into the files; readers read through the mappings
 * either way (one page cache on Linux, so a shared mapping sees what {@code write(2)} put there).
 */
public enum AppendMode
{
    /**
     * Store into the memory-mapped files. On ext4 a store into a page the kernel's periodic write-back has just
     * cleaned faults ({@code page_mkwrite}) and can wait for the file system for tens of milliseconds.
     */
    MAPPED,

    /**
     * Copy the batch into a staging buffer, patch it there, and write it with a positional write
     * ({@code pwrite}) through the file channel; the index entries likewise. The default: level with
     * {@link #MAPPED} at the latency tail at rest, clear of its write-back faults under disk load, and a tenth or
     * more faster in single-partition throughput (perf/README.md, "The append mode").
     */
    WRITE
}
