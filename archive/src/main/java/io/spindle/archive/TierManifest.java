/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * The durable record of which segments of one partition live in which archive recording, kept as the file
 * {@value #FILE_NAME} in the partition's directory.
 * <p>
 * One text line per archived segment, oldest first: base offset, next offset (one past its last), bytes, CRC32C of
 * the bytes, recording id, recording start and stop position, and the largest batch timestamp. The first line
 * names the partition's <em>tier id</em>, a random id fixed when the manifest is created: every recording of the
 * partition is tagged with it (and the segment's base offset) in its channel's alias, so that recordings this
 * partition started but never recorded here (a crash mid-copy) can be found and purged.
 * <p>
 * Every change rewrites the whole file atomically: write a temporary file, force it, rename it over the manifest,
 * force the directory. A crash leaves either the old or the new manifest, never a mix.
 */
public final class TierManifest
{
    /**
     * File name in the partition directory.
     */
    public static final String FILE_NAME = "tier-manifest";

    private static final String TEMP_NAME = FILE_NAME + ".tmp";
    private static final String HEADER = "spindle-tier-manifest 1 ";

    /**
     * One archived segment.
     *
     * @param baseOffset     first offset of the segment.
     * @param nextOffset     one past the segment's last offset.
     * @param bytes          length of the segment's batches.
     * @param crc            CRC32C of those bytes.
     * @param recordingId    of the recording holding them.
     * @param startPosition  of the recording.
     * @param stopPosition   of the recording, verified when the segment was recorded.
     * @param maxTimestampMs largest batch timestamp in the segment, for retention.ms.
     */
    public record Entry(
        long baseOffset,
        long nextOffset,
        long bytes,
        int crc,
        long recordingId,
        long startPosition,
        long stopPosition,
        long maxTimestampMs)
    {
        String toLine()
        {
            return baseOffset + " " + nextOffset + " " + bytes + " " + Integer.toHexString(crc) + " " + recordingId +
                " " + startPosition + " " + stopPosition + " " + maxTimestampMs;
        }

        static Entry parse(final String line)
        {
            final String[] f = line.trim().split(" ");
            if (f.length != 8)
            {
                throw new IllegalArgumentException("bad manifest line: " + line);
            }
            return new Entry(
                Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Integer.parseUnsignedInt(f[3], 16),
                Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]));
        }
    }

    private final Path directory;
    private final String tierId;
    private final ArrayList<Entry> entries;

    private TierManifest(final Path directory, final String tierId, final ArrayList<Entry> entries)
    {
        this.directory = directory;
        this.tierId = tierId;
        this.entries = entries;
    }

    /**
     * Load the manifest of a partition directory, creating (durably) an empty one with a new tier id if there is
     * none.
     *
     * @param directory of the partition.
     * @return the manifest.
     * @throws UncheckedIOException if it cannot be read or created, or is malformed.
     */
    public static TierManifest load(final Path directory)
    {
        final Path file = directory.resolve(FILE_NAME);
        try
        {
            final List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            if (lines.isEmpty() || !lines.get(0).startsWith(HEADER))
            {
                throw new IOException("not a tier manifest: " + file);
            }
            final ArrayList<Entry> entries = new ArrayList<>();
            for (int i = 1; i < lines.size(); i++)
            {
                if (!lines.get(i).isBlank())
                {
                    entries.add(Entry.parse(lines.get(i)));
                }
            }
            return new TierManifest(directory, lines.get(0).substring(HEADER.length()).trim(), entries);
        }
        catch (final NoSuchFileException ex)
        {
            final TierManifest manifest = new TierManifest(
                directory, UUID.randomUUID().toString().replace("-", ""), new ArrayList<>());
            manifest.write();
            return manifest;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new UncheckedIOException(new IOException("cannot read " + file + ": " + ex.getMessage(), ex));
        }
    }

    /**
     * Whether a partition directory has a manifest.
     *
     * @param directory of the partition.
     * @return true if the file exists.
     */
    public static boolean exists(final Path directory)
    {
        return Files.exists(directory.resolve(FILE_NAME));
    }

    /**
     * The directory holding the manifest file.
     *
     * @return the directory.
     */
    public Path directory()
    {
        return directory;
    }

    /**
     * The random id tagging this partition's recordings.
     *
     * @return the id.
     */
    public String tierId()
    {
        return tierId;
    }

    /**
     * The archived segments, oldest first.
     *
     * @return an unmodifiable view.
     */
    public List<Entry> entries()
    {
        return Collections.unmodifiableList(entries);
    }

    /**
     * One past the last archived offset, or -1 if nothing is archived.
     *
     * @return the offset.
     */
    public long endOffset()
    {
        return entries.isEmpty() ? -1 : entries.get(entries.size() - 1).nextOffset();
    }

    /**
     * The first archived offset, or -1 if nothing is archived.
     *
     * @return the offset.
     */
    public long startOffset()
    {
        return entries.isEmpty() ? -1 : entries.get(0).baseOffset();
    }

    /**
     * Bytes of all archived segments.
     *
     * @return the total.
     */
    public long totalBytes()
    {
        long total = 0;
        for (final Entry entry : entries)
        {
            total += entry.bytes();
        }
        return total;
    }

    /**
     * The archived segment holding an offset, or the first one above it (a gap).
     *
     * @param offset to look up.
     * @return the entry, or null if no archived segment reaches past the offset.
     */
    public Entry entryFor(final long offset)
    {
        for (final Entry entry : entries)
        {
            if (offset < entry.nextOffset())
            {
                return entry;
            }
        }
        return null;
    }

    /**
     * Durably add an archived segment after the last one.
     *
     * @param entry the segment.
     * @throws IllegalArgumentException if it does not start at or after the current end.
     * @throws UncheckedIOException     if the manifest cannot be written; it is then unchanged.
     */
    public void append(final Entry entry)
    {
        if (entry.baseOffset() < endOffset())
        {
            throw new IllegalArgumentException("segment " + entry.baseOffset() + " overlaps the archive up to " +
                endOffset());
        }
        entries.add(entry);
        try
        {
            write();
        }
        catch (final UncheckedIOException ex)
        {
            entries.remove(entries.size() - 1);
            throw ex;
        }
    }

    /**
     * Durably replace every entry, keeping the tier id: a member rebuilt from another's tier lists the copies its own
     * archive now holds (the same segments under new recording ids).
     *
     * @param replacement the entries, in offset order.
     * @throws UncheckedIOException if the manifest cannot be written; it is then unchanged.
     */
    public void replaceEntries(final List<Entry> replacement)
    {
        final ArrayList<Entry> before = new ArrayList<>(entries);
        entries.clear();
        entries.addAll(replacement);
        try
        {
            write();
        }
        catch (final UncheckedIOException ex)
        {
            entries.clear();
            entries.addAll(before);
            throw ex;
        }
    }

    /**
     * Durably drop the oldest archived segments.
     *
     * @param count how many.
     * @throws UncheckedIOException if the manifest cannot be written; it is then unchanged.
     */
    public void removeOldest(final int count)
    {
        replaceEntries(new ArrayList<>(entries.subList(count, entries.size())));
    }

    /**
     * The alias tag of a segment's recording: tier id and base offset, unique to the segment and not a prefix of
     * another segment's tag.
     *
     * @param baseOffset of the segment.
     * @return the tag.
     */
    public String recordingTag(final long baseOffset)
    {
        return tierPrefix() + baseOffset + ".";
    }

    /**
     * The alias prefix every recording of this partition carries.
     *
     * @return the prefix.
     */
    public String tierPrefix()
    {
        return "spindle-tier." + tierId + ".";
    }

    private void write()
    {
        final StringBuilder text = new StringBuilder(HEADER).append(tierId).append('\n');
        for (final Entry entry : entries)
        {
            text.append(entry.toLine()).append('\n');
        }

        final Path temp = directory.resolve(TEMP_NAME);
        try
        {
            try (FileChannel channel = FileChannel.open(
                temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
            {
                final ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII));
                while (bytes.hasRemaining())
                {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            try
            {
                Files.move(temp, directory.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            }
            catch (final AtomicMoveNotSupportedException ex)
            {
                Files.move(temp, directory.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ))
            {
                dir.force(true);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write the tier manifest in " + directory, ex);
        }
    }
}
