/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.cluster.check;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import io.aeron.protocol.DataHeaderFlyweight;
import io.aeron.protocol.HeaderFlyweight;
import io.spindle.archive.TierManifest;
import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A member's archived segments of one partition (tiered storage on a cluster), read without a running archive: the
 * member's manifest ({@code <memberDir>/tier/<topicId>-<partition>/tier-manifest}, the topic id taken from the
 * partition directory's {@code partition.metadata}) names each segment's recording and positions, and the recording's
 * bytes are read from the archive's segment files ({@code <recordingId>-<basePosition>.rec}: Aeron frames, whose
 * payloads are the segment's batches), then checked against the manifest's length and CRC32C.
 */
final class MemberTierSegments
{
    /**
     * The member's tier manifests live in this subdirectory of its directory.
     */
    static final String TIER_DIR_NAME = "tier";

    /**
     * One archived segment's batches.
     *
     * @param baseOffset of the segment.
     * @param nextOffset one past its last offset.
     * @param buffer     its batches, back to back.
     */
    record Segment(long baseOffset, long nextOffset, UnsafeBuffer buffer)
    {
    }

    private MemberTierSegments()
    {
    }

    /**
     * The archived segments of a partition below an offset (where the member's local log starts), oldest first.
     *
     * @param memberDir    the member's directory.
     * @param partitionDir the partition's directory in it.
     * @param archiveDir   the archive holding the member's recordings.
     * @param belowOffset  segments starting at or above it are left out (the local files are read for them).
     * @return the segments, empty when the partition has no tier.
     * @throws UncheckedIOException when the manifest names a recording that cannot be read back as it says.
     */
    static List<Segment> read(
        final Path memberDir, final Path partitionDir, final Path archiveDir, final long belowOffset)
    {
        final List<Segment> segments = new ArrayList<>();
        final int topicId = topicId(partitionDir);
        if (topicId < 0)
        {
            return segments;
        }
        final String name = partitionDir.getFileName().toString();
        final Path manifestDir = memberDir.resolve(TIER_DIR_NAME)
            .resolve(topicId + "-" + name.substring(name.lastIndexOf('-') + 1));
        if (!TierManifest.exists(manifestDir))
        {
            return segments;
        }
        for (final TierManifest.Entry entry : TierManifest.load(manifestDir).entries())
        {
            if (entry.baseOffset() >= belowOffset)
            {
                break;
            }
            segments.add(new Segment(entry.baseOffset(), entry.nextOffset(), readRecording(archiveDir, entry)));
        }
        return segments;
    }

    private static int topicId(final Path partitionDir)
    {
        final Path file = partitionDir.resolve("partition.metadata");
        if (!Files.exists(file))
        {
            return -1;
        }
        try
        {
            for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
            {
                if (line.startsWith("topic_id:"))
                {
                    return Integer.parseInt(line.substring("topic_id:".length()).trim());
                }
            }
            return -1;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
    }

    private static UnsafeBuffer readRecording(final Path archiveDir, final TierManifest.Entry entry)
    {
        final long recordingId = entry.recordingId();
        final TreeMap<Long, File> files = new TreeMap<>();
        final String prefix = recordingId + "-";
        final String[] names = archiveDir.toFile().list();
        if (null != names)
        {
            for (final String name : names)
            {
                if (name.startsWith(prefix) && name.endsWith(".rec"))
                {
                    files.put(Long.parseLong(name.substring(prefix.length(), name.length() - 4)),
                        new File(archiveDir.toFile(), name));
                }
            }
        }

        final byte[] bytes = new byte[(int)entry.bytes()];
        final TreeMap<Long, MappedByteBuffer> mapped = new TreeMap<>();
        final int length;
        try
        {
            length = copyPayloads(entry, files, mapped, bytes);
        }
        finally
        {
            mapped.values().forEach(IoUtil::unmap);
        }

        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        if (length != bytes.length || (int)crc.getValue() != entry.crc())
        {
            throw failure(entry, "recording " + recordingId + " reads back " + length + " bytes with CRC32C " +
                Integer.toHexString((int)crc.getValue()) + ", its manifest says " + bytes.length + " with " +
                Integer.toHexString(entry.crc()));
        }
        return new UnsafeBuffer(bytes);
    }

    /**
     * Copy the payloads of the recording's data frames from its start to its stop position.
     */
    private static int copyPayloads(
        final TierManifest.Entry entry,
        final TreeMap<Long, File> files,
        final TreeMap<Long, MappedByteBuffer> mapped,
        final byte[] bytes)
    {
        final long recordingId = entry.recordingId();
        int length = 0;
        long position = entry.startPosition();
        while (position < entry.stopPosition())
        {
            final Long base = files.floorKey(position);
            if (null == base)
            {
                throw failure(entry, "no segment file of recording " + recordingId + " at position " + position);
            }
            final UnsafeBuffer file = new UnsafeBuffer(mapped.computeIfAbsent(base, (b) -> map(files.get(b))));
            final int offset = (int)(position - base);
            if (offset + DataHeaderFlyweight.HEADER_LENGTH > file.capacity())
            {
                throw failure(entry, "recording " + recordingId + " ends before position " + position);
            }
            final int frameLength = file.getInt(offset + HeaderFlyweight.FRAME_LENGTH_FIELD_OFFSET,
                ByteOrder.LITTLE_ENDIAN);
            if (frameLength < DataHeaderFlyweight.HEADER_LENGTH || offset + frameLength > file.capacity())
            {
                throw failure(entry, "recording " + recordingId + " has a frame of " + frameLength +
                    " bytes at position " + position);
            }
            final int type = file.getShort(offset + HeaderFlyweight.TYPE_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN) &
                0xFFFF;
            if (HeaderFlyweight.HDR_TYPE_DATA == type)
            {
                final int payload = frameLength - DataHeaderFlyweight.HEADER_LENGTH;
                if (length + payload > bytes.length)
                {
                    throw failure(entry, "recording " + recordingId + " holds more than " + bytes.length + " bytes");
                }
                file.getBytes(offset + DataHeaderFlyweight.HEADER_LENGTH, bytes, length, payload);
                length += payload;
            }
            position += BitUtil.align(frameLength, 32);
        }
        return length;
    }

    private static MappedByteBuffer map(final File file)
    {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
        {
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
    }

    private static UncheckedIOException failure(final TierManifest.Entry entry, final String what)
    {
        return new UncheckedIOException(new IOException("archived segment " + entry.baseOffset() + ": " + what));
    }
}
