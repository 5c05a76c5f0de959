package io.spindle.client;

import org.agrona.DirectBuffer;

/**
 * Kafka's default partitioner for keyed records: murmur2 of the key bytes, made positive, modulo the
 * partition count — so a key lands on the partition Kafka's producer would pick for it.
 */
public final class Partitioner
{
    private static final int SEED = 0x9747b28c;
    private static final int M = 0x5bd1e995;
    private static final int R = 24;

    private Partitioner()
    {
    }

    /**
     * The partition of a key.
     *
     * @param key            holding the key bytes.
     * @param offset         of the key.
     * @param length         of the key.
     * @param partitionCount of the topic.
     * @return the partition, 0 to partitionCount - 1.
     */
    public static int partition(final DirectBuffer key, final int offset, final int length, final int partitionCount)
    {
        return (murmur2(key, offset, length) & 0x7fffffff) % partitionCount;
    }

    /**
     * Kafka's murmur2 (the 32-bit MurmurHash2 variant of {@code org.apache.kafka.common.utils.Utils}).
     *
     * @param data   holding the bytes.
     * @param offset of the first byte.
     * @param length number of bytes.
     * @return the hash.
     */
    public static int murmur2(final DirectBuffer data, final int offset, final int length)
    {
        int h = SEED ^ length;
        final int length4 = length >> 2;

        for (int i = 0; i < length4; i++)
        {
            final int i4 = offset + (i << 2);
            int k = (data.getByte(i4) & 0xff) +
                ((data.getByte(i4 + 1) & 0xff) << 8) +
                ((data.getByte(i4 + 2) & 0xff) << 16) +
                ((data.getByte(i4 + 3) & 0xff) << 24);
            k *= M;
            k ^= k >>> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        final int tail = offset + (length & ~3);
        switch (length & 3)
        {
            case 3:
                h ^= (data.getByte(tail + 2) & 0xff) << 16;
                h ^= (data.getByte(tail + 1) & 0xff) << 8;
                h ^= data.getByte(tail) & 0xff;
                h *= M;
                break;

            case 2:
                h ^= (data.getByte(tail + 1) & 0xff) << 8;
                h ^= data.getByte(tail) & 0xff;
                h *= M;
                break;

            case 1:
                h ^= data.getByte(tail) & 0xff;
                h *= M;
                break;

            default:
                break;
        }

        h ^= h >>> 13;
        h *= M;
        h ^= h >>> 15;

        return h;
    }
}
