/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.monitor;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

import io.aeron.CncFileDescriptor;
import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * A media driver's command-and-control file mapped read-only, as AeronStat and ErrorStat read it: its counters and
 * its error log. For tools; close it to unmap.
 */
public final class CncFile implements AutoCloseable
{
    private final MappedByteBuffer mapping;
    private final CountersReader counters;
    private final AtomicBuffer errorBuffer;
    private final File file;

    private CncFile(final File file, final MappedByteBuffer mapping)
    {
        this.file = file;
        this.mapping = mapping;
        final UnsafeBuffer metaData = CncFileDescriptor.createMetaDataBuffer(mapping);
        final int version = metaData.getIntVolatile(CncFileDescriptor.cncVersionOffset(0));
        if (0 == version)
        {
            IoUtil.unmap(mapping);
            throw new IllegalStateException(file + " is not ready yet (its driver is starting)");
        }
        CncFileDescriptor.checkVersion(version);
        counters = new CountersReader(
            CncFileDescriptor.createCountersMetaDataBuffer(mapping, metaData),
            CncFileDescriptor.createCountersValuesBuffer(mapping, metaData));
        errorBuffer = CncFileDescriptor.createErrorLogBuffer(mapping, metaData);
    }

    /**
     * Map the CnC file of a driver directory.
     *
     * @param aeronDirectory the driver's directory.
     * @return the mapped file.
     * @throws IllegalStateException if there is no driver there.
     */
    public static CncFile open(final String aeronDirectory)
    {
        final File file = new File(aeronDirectory, CncFileDescriptor.CNC_FILE);
        if (!file.exists() || file.length() < CncFileDescriptor.META_DATA_LENGTH)
        {
            throw new IllegalStateException("no media driver in " + aeronDirectory + " (no " +
                CncFileDescriptor.CNC_FILE + ")");
        }

        return new CncFile(
            file, IoUtil.mapExistingFile(file, FileChannel.MapMode.READ_ONLY, CncFileDescriptor.CNC_FILE));
    }

    /**
     * The file mapped.
     *
     * @return the CnC file.
     */
    public File file()
    {
        return file;
    }

    /**
     * The driver's counters.
     *
     * @return a reader of them.
     */
    public CountersReader counters()
    {
        return counters;
    }

    /**
     * The driver's distinct error log.
     *
     * @return its buffer.
     */
    public AtomicBuffer errorBuffer()
    {
        return errorBuffer;
    }

    /**
     * Unmap the file.
     */
    public void close()
    {
        IoUtil.unmap(mapping);
    }
}
