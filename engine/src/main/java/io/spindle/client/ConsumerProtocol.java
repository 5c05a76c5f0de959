package io.spindle.client;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The bytes consumers put in a group's protocol metadata (their subscription) and the leader puts in
 * each member's assignment. The broker never reads them.
 * <pre>
 *   Subscription, version 1 (little-endian):
 *     int16 version
 *     int32 topicCount,      then per topic (sorted): string name
 *     int32 ownedTopicCount, then per topic (sorted): string name, int32 count, count x int32 partition
 *     int32 generation the member last joined (-1: none); owned partitions are from it
 *     int8 readCommitted: 1 when the member reads committed records only (appended later: absent is 0)
 *
 *   Assignment, version 1:
 *     int16 version
 *     int32 topicCount, then per topic (sorted): string name, int32 count, count x int32 partition
 *
 *   string = int16 length + UTF-8
 * </pre>
 * A later version may only append fields: a reader takes what it knows and ignores the rest, so members
 * of different versions can share a group.
 */
final class ConsumerProtocol
{
    /**
     * The version this code writes.
     */
    static final short VERSION = 1;

    /**
     * The protocol type of consumer groups.
     */
    static final String PROTOCOL_TYPE = "consumer";

    private ConsumerProtocol()
    {
    }

    /**
     * Encode a subscription.
     *
     * @param topics     subscribed topics.
     * @param owned      partitions owned (cooperative), or empty.
     * @param generation the generation the member last joined, or -1.
     * @return the bytes.
     */
    static byte[] encodeSubscription(
        final Collection<String> topics, final Collection<TopicPartition> owned, final int generation)
    {
        return encodeSubscription(topics, owned, generation, false);
    }

    /**
     * Encode a subscription that also says whether the member reads committed records only, so that tools measure
     * the group's lag to the last stable offset.
     *
     * @param topics          subscribed topics.
     * @param owned           partitions owned (cooperative), or empty.
     * @param generation      the generation the member last joined, or -1.
     * @param isReadCommitted whether the member reads committed records only.
     * @return the bytes.
     */
    static byte[] encodeSubscription(
        final Collection<String> topics,
        final Collection<TopicPartition> owned,
        final int generation,
        final boolean isReadCommitted)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(128);
        int p = 0;
        buffer.putShort(p, VERSION, ByteOrder.LITTLE_ENDIAN);
        p += 2;
        final TreeSet<String> sorted = new TreeSet<>(topics);
        buffer.putInt(p, sorted.size(), ByteOrder.LITTLE_ENDIAN);
        p += 4;
        for (final String topic : sorted)
        {
            p = putString(buffer, p, topic);
        }
        p = putPartitions(buffer, p, owned);
        buffer.putInt(p, generation, ByteOrder.LITTLE_ENDIAN);
        p += 4;
        buffer.putByte(p, (byte)(isReadCommitted ? 1 : 0));
        p += 1;
        return copy(buffer, p);
    }

    /**
     * Decode a subscription.
     *
     * @param bytes as {@link #encodeSubscription} wrote them.
     * @return the subscription.
     * @throws IllegalArgumentException when the bytes are not a subscription.
     */
    static GroupSubscription decodeSubscription(final byte[] bytes)
    {
        final Reader reader = new Reader(bytes);
        reader.version();
        final int topicCount = reader.count();
        final List<String> topics = new ArrayList<>(topicCount);
        for (int i = 0; i < topicCount; i++)
        {
            topics.add(reader.string());
        }
        final List<TopicPartition> owned = reader.partitions();
        final int generation = reader.remaining() >= 4 ? reader.int32() : -1;
        return new GroupSubscription(List.copyOf(topics), List.copyOf(owned), generation);
    }

    /**
     * Whether a subscription says its member reads committed records only.
     *
     * @param bytes as {@link #encodeSubscription} wrote them.
     * @return true for a read_committed member; false for others and for subscriptions that do not say.
     * @throws IllegalArgumentException when the bytes are not a subscription.
     */
    static boolean isReadCommitted(final byte[] bytes)
    {
        final Reader reader = new Reader(bytes);
        reader.version();
        final int topicCount = reader.count();
        for (int i = 0; i < topicCount; i++)
        {
            reader.string();
        }
        reader.partitions();
        if (reader.remaining() < 4)
        {
            return false;
        }
        reader.int32();
        return reader.remaining() >= 1 && 1 == bytes[bytes.length - reader.remaining()];
    }

    /**
     * Encode an assignment.
     *
     * @param partitions the member's partitions.
     * @return the bytes.
     */
    static byte[] encodeAssignment(final Collection<TopicPartition> partitions)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(128);
        buffer.putShort(0, VERSION, ByteOrder.LITTLE_ENDIAN);
        final int length = putPartitions(buffer, 2, partitions);
        return copy(buffer, length);
    }

    /**
     * Decode an assignment; empty bytes are an empty assignment.
     *
     * @param bytes as {@link #encodeAssignment} wrote them.
     * @return the partitions, sorted.
     * @throws IllegalArgumentException when the bytes are not an assignment.
     */
    static List<TopicPartition> decodeAssignment(final byte[] bytes)
    {
        if (0 == bytes.length)
        {
            return List.of();
        }
        final Reader reader = new Reader(bytes);
        reader.version();
        return List.copyOf(reader.partitions());
    }

    private static int putPartitions(final ExpandableArrayBuffer buffer, final int position,
        final Collection<TopicPartition> partitions)
    {
        final TreeMap<String, TreeSet<Integer>> byTopic = new TreeMap<>();
        for (final TopicPartition tp : partitions)
        {
            byTopic.computeIfAbsent(tp.topic(), (t) -> new TreeSet<>()).add(tp.partition());
        }
        int p = position;
        buffer.putInt(p, byTopic.size(), ByteOrder.LITTLE_ENDIAN);
        p += 4;
        for (final Map.Entry<String, TreeSet<Integer>> entry : byTopic.entrySet())
        {
            p = putString(buffer, p, entry.getKey());
            buffer.putInt(p, entry.getValue().size(), ByteOrder.LITTLE_ENDIAN);
            p += 4;
            for (final int partition : entry.getValue())
            {
                buffer.putInt(p, partition, ByteOrder.LITTLE_ENDIAN);
                p += 4;
            }
        }
        return p;
    }

    private static int putString(final ExpandableArrayBuffer buffer, final int position, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > Short.MAX_VALUE)
        {
            throw new IllegalArgumentException("topic name too long: " + bytes.length + " bytes");
        }
        buffer.putShort(position, (short)bytes.length, ByteOrder.LITTLE_ENDIAN);
        buffer.putBytes(position + 2, bytes);
        return position + 2 + bytes.length;
    }

    private static byte[] copy(final ExpandableArrayBuffer buffer, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    private static final class Reader
    {
        private final UnsafeBuffer buffer;
        private int position;

        Reader(final byte[] bytes)
        {
            this.buffer = new UnsafeBuffer(bytes);
        }

        int remaining()
        {
            return buffer.capacity() - position;
        }

        void version()
        {
            need(2);
            final short version = buffer.getShort(position, ByteOrder.LITTLE_ENDIAN);
            position += 2;
            if (version < 1)
            {
                throw new IllegalArgumentException("consumer protocol version " + version + " is not valid");
            }
        }

        int int32()
        {
            need(4);
            final int value = buffer.getInt(position, ByteOrder.LITTLE_ENDIAN);
            position += 4;
            return value;
        }

        int count()
        {
            final int count = int32();
            if (count < 0 || count > remaining())
            {
                throw new IllegalArgumentException("bad count " + count + " at " + (position - 4));
            }
            return count;
        }

        String string()
        {
            need(2);
            final int length = buffer.getShort(position, ByteOrder.LITTLE_ENDIAN);
            position += 2;
            if (length < 0)
            {
                throw new IllegalArgumentException("bad string length " + length);
            }
            need(length);
            final String value = buffer.getStringWithoutLengthUtf8(position, length);
            position += length;
            return value;
        }

        List<TopicPartition> partitions()
        {
            final int topicCount = count();
            final List<TopicPartition> partitions = new ArrayList<>();
            for (int i = 0; i < topicCount; i++)
            {
                final String topic = string();
                final int count = count();
                for (int j = 0; j < count; j++)
                {
                    partitions.add(new TopicPartition(topic, int32()));
                }
            }
            return partitions;
        }

        private void need(final int bytes)
        {
            if (remaining() < bytes)
            {
                throw new IllegalArgumentException("truncated consumer protocol bytes: need " + bytes + " at " +
                    position + " of " + buffer.capacity());
            }
        }
    }
}
