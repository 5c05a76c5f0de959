package io.spindle.client;

/**
 * A committed offset: the offset of the next record the group will read from a partition, and a
 * string the application may attach (at most 4096 characters).
 *
 * @param offset   the next offset to read, at least 0.
 * @param metadata the application's string, never null.
 */
public record OffsetAndMetadata(long offset, String metadata)
{
    /**
     * Validate.
     *
     * @param offset   the next offset to read.
     * @param metadata the application's string; null is taken as empty.
     */
    public OffsetAndMetadata
    {
        if (offset < 0)
        {
            throw new IllegalArgumentException("offset must be >= 0, was " + offset);
        }
        metadata = null == metadata ? "" : metadata;
    }

    /**
     * An offset with no metadata.
     *
     * @param offset the next offset to read.
     */
    public OffsetAndMetadata(final long offset)
    {
        this(offset, "");
    }
}
