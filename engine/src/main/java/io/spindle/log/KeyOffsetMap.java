/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;

/**
 * The cleaner's map from a record key to the offset of the key's latest record, in one buffer allocated once
 * (Kafka's SkimpyOffsetMap idea): a key is stored as a 128-bit hash of its bytes, not the bytes, so an entry takes
 * {@value #ENTRY_LENGTH} bytes whatever the key's length, and putting or getting a key allocates nothing.
 * <p>
 * Open addressing with linear probing; at most {@value #LOAD_FACTOR} of the slots are filled, after which
 * {@link #putMax} refuses new keys and the cleaner cleans fewer segments in the pass. An entry also carries an
 * <i>undecided</i> flag: the key was written by a transaction whose marker is beyond the cleaned segments.
 * <p>
 * <b>Collisions.</b> The hash is SipHash-2-4 with a 128-bit output, keyed with 128 random bits drawn when the map is
 * created; 112 of its bits are kept (16 hold the pass's generation), so two distinct keys share an entry with
 * probability about {@code n^2 / 2^113} for {@code n} distinct keys in one pass (for a billion keys, about 10^-16), and a producer cannot choose keys that collide because it does not
 * know the hash key. A collision would make the cleaner treat two keys as one and could remove the latest record of
 * one of them; key bytes are not compared (they may live in a compressed batch and are not kept). Kafka accepts the
 * same risk with MD5 (unkeyed). The random hash key changes nothing in the output but for that negligible chance:
 * two members cleaning the same bytes still write the same segments.
 */
final class KeyOffsetMap implements AutoCloseable
{
    /**
     * Bytes of one entry: two hash words and the offset word.
     */
    static final int ENTRY_LENGTH = 24;

    /**
     * Fraction of the slots that may be filled.
     */
    static final double LOAD_FACTOR = 0.75;

    /**
     * Offset returned for a key without an entry, or with only records of undecided transactions.
     */
    static final long NO_OFFSET = -1;

    private static final long EMPTY = 0;
    private static final long UNDECIDED_FLAG = 1L << 62;
    private static final long OFFSET_MASK = UNDECIDED_FLAG - 1;
    private static final int OFFSET_WORD = 16;
    private static final int GENERATION_SHIFT = 48;
    private static final long GENERATIONS = 1L << 16;
    private static final long HASH_LOW_MASK = (1L << GENERATION_SHIFT) - 1;

    private final UnsafeBuffer entries;
    private final int slots;
    private final int maxEntries;
    private final long k0;
    private final long k1;
    private int size;
    private long generation = 1;
    private boolean isFound;
    private long hashHigh;
    private long hashLow;
    private long v0;
    private long v1;
    private long v2;
    private long v3;

    /**
     * @param bufferBytes memory for the entries, at least {@value #ENTRY_LENGTH} * 2 bytes; allocated now, off heap.
     */
    KeyOffsetMap(final long bufferBytes)
    {
        final long slotCount = Math.min(bufferBytes / ENTRY_LENGTH, Integer.MAX_VALUE / ENTRY_LENGTH);
        if (slotCount < 2)
        {
            throw new IllegalArgumentException("bufferBytes=" + bufferBytes);
        }

        slots = (int)slotCount;
        maxEntries = Math.max(1, (int)(slots * LOAD_FACTOR));
        entries = new UnsafeBuffer(ByteBuffer.allocateDirect(slots * ENTRY_LENGTH));
        final SecureRandom random = new SecureRandom();
        k0 = random.nextLong();
        k1 = random.nextLong();
    }

    /**
     * Keys the map holds at most.
     *
     * @return entries.
     */
    int maxEntries()
    {
        return maxEntries;
    }

    /**
     * Keys held.
     *
     * @return entries.
     */
    int size()
    {
        return size;
    }

    /**
     * Forget every key: a new generation, so that no entry of an earlier one is found, rather than a write of the
     * whole buffer each pass (which would also evict the broker's data from the caches); the buffer is zeroed once
     * every {@value #GENERATIONS} passes.
     */
    void clear()
    {
        if (size > 0)
        {
            size = 0;
            if (++generation == GENERATIONS)
            {
                entries.setMemory(0, slots * ENTRY_LENGTH, (byte)0);
                generation = 1;
            }
        }
    }

    /**
     * Record an offset for a key unless the key already has a larger one.
     *
     * @param buffer    holding the key.
     * @param keyOffset of the key in the buffer.
     * @param keyLength of the key.
     * @param offset    of the record, at least 0.
     * @return false if the key is new and the map is full (nothing recorded).
     */
    boolean putMax(final DirectBuffer buffer, final int keyOffset, final int keyLength, final long offset)
    {
        final int index = find(buffer, keyOffset, keyLength);
        final long word = entries.getLong(index + OFFSET_WORD);
        if (!isFound)
        {
            if (size >= maxEntries)
            {
                return false;
            }
            insert(index, encode(offset, false));
        }
        else if (offset > decodeOffset(word))
        {
            entries.putLong(index + OFFSET_WORD, encode(offset, isUndecided(word)));
        }

        return true;
    }

    /**
     * Flag a key as written by an undecided transaction, adding it without an offset if it is new.
     *
     * @param buffer    holding the key.
     * @param keyOffset of the key in the buffer.
     * @param keyLength of the key.
     * @return false if the key is new and the map is full (nothing recorded).
     */
    boolean putUndecided(final DirectBuffer buffer, final int keyOffset, final int keyLength)
    {
        final int index = find(buffer, keyOffset, keyLength);
        final long word = entries.getLong(index + OFFSET_WORD);
        if (!isFound)
        {
            if (size >= maxEntries)
            {
                return false;
            }
            insert(index, encode(NO_OFFSET, true));
        }
        else
        {
            entries.putLong(index + OFFSET_WORD, word | UNDECIDED_FLAG);
        }

        return true;
    }

    /**
     * The entry of a key, to read with {@link #decodeOffset} and {@link #isUndecided}.
     *
     * @param buffer    holding the key.
     * @param keyOffset of the key in the buffer.
     * @param keyLength of the key.
     * @return the entry's word, or 0 if the key has none.
     */
    long get(final DirectBuffer buffer, final int keyOffset, final int keyLength)
    {
        final int index = find(buffer, keyOffset, keyLength);
        return isFound ? entries.getLong(index + OFFSET_WORD) : EMPTY;
    }

    /**
     * The latest offset in an entry's word.
     *
     * @param word from {@link #get}.
     * @return the offset, or {@link #NO_OFFSET} if there is none or no entry.
     */
    static long decodeOffset(final long word)
    {
        return EMPTY == word ? NO_OFFSET : (word & OFFSET_MASK) - 2;
    }

    /**
     * Whether an entry's key was written by an undecided transaction.
     *
     * @param word from {@link #get}.
     * @return true if flagged.
     */
    static boolean isUndecided(final long word)
    {
        return 0 != (word & UNDECIDED_FLAG);
    }

    /**
     * Free the buffer.
     */
    public void close()
    {
        BufferUtil.free(entries.byteBuffer());
    }

    private static long encode(final long offset, final boolean isUndecided)
    {
        return (offset + 2) | (isUndecided ? UNDECIDED_FLAG : 0);
    }

    private void insert(final int index, final long word)
    {
        entries.putLong(index, hashHigh);
        entries.putLong(index + 8, hashLow);
        entries.putLong(index + OFFSET_WORD, word);
        size++;
    }

    /**
     * Hash a key and probe for its entry ({@link #isFound}) or the empty slot where it goes. The top 16 bits of the
     * second hash word hold the generation: a slot of an earlier generation is empty.
     *
     * @return the byte index of the slot.
     */
    private int find(final DirectBuffer buffer, final int keyOffset, final int keyLength)
    {
        hash(buffer, keyOffset, keyLength);
        final long high = hashHigh;
        final long low = (hashLow & HASH_LOW_MASK) | (generation << GENERATION_SHIFT);
        hashLow = low;
        int slot = (int)(((high >>> 32) * slots) >>> 32);
        while (true)
        {
            final int index = slot * ENTRY_LENGTH;
            final long storedLow = entries.getLong(index + 8);
            if ((storedLow >>> GENERATION_SHIFT) != generation)
            {
                isFound = false;
                return index;
            }
            if (storedLow == low && entries.getLong(index) == high)
            {
                isFound = true;
                return index;
            }

            if (++slot == slots)
            {
                slot = 0;
            }
        }
    }

    /**
     * SipHash-2-4 with a 128-bit output of the key bytes, into {@link #hashHigh} and {@link #hashLow}.
     */
    private void hash(final DirectBuffer buffer, final int offset, final int length)
    {
        v0 = 0x736f6d6570736575L ^ k0;
        v1 = 0x646f72616e646f6dL ^ k1 ^ 0xee;
        v2 = 0x6c7967656e657261L ^ k0;
        v3 = 0x7465646279746573L ^ k1;

        final int end = offset + (length & ~7);
        for (int i = offset; i < end; i += 8)
        {
            final long m = buffer.getLong(i, ByteOrder.LITTLE_ENDIAN);
            v3 ^= m;
            sipRounds(2);
            v0 ^= m;
        }

        long last = ((long)length) << 56;
        for (int i = 0, remaining = length & 7; i < remaining; i++)
        {
            last |= (buffer.getByte(end + i) & 0xFFL) << (8 * i);
        }
        v3 ^= last;
        sipRounds(2);
        v0 ^= last;

        v2 ^= 0xee;
        sipRounds(4);
        hashHigh = v0 ^ v1 ^ v2 ^ v3;
        v1 ^= 0xdd;
        sipRounds(4);
        hashLow = v0 ^ v1 ^ v2 ^ v3;
    }

    private void sipRounds(final int rounds)
    {
        long v0 = this.v0;
        long v1 = this.v1;
        long v2 = this.v2;
        long v3 = this.v3;
        for (int i = 0; i < rounds; i++)
        {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13);
            v1 ^= v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16);
            v3 ^= v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21);
            v3 ^= v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17);
            v1 ^= v2;
            v2 = Long.rotateLeft(v2, 32);
        }
        this.v0 = v0;
        this.v1 = v1;
        this.v2 = v2;
        this.v3 = v3;
    }
}
