/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.codecs.batch;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_LZ4;
import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_NONE;
import static io.spindle.codecs.batch.RecordBatch.COMPRESSION_ZSTD;

/**
 * LZ4 and zstd compression of a records section into and out of owned, reusable scratch buffers.
 * <p>
 * Not thread-safe: one instance per owning thread. Zstd contexts are native and created on first use, so
 * {@link #close()} must be called by the owner once zstd has been used.
 */
final class BatchCompression implements AutoCloseable
{
    /**
     * Zstd level used when compressing, zstd's own default.
     */
    static final int ZSTD_LEVEL = 3;

    private static final byte[] EMPTY = new byte[0];

    // Compression runs over bytes we wrote ourselves, so the fastest implementation (JNI when it loads) is safe.
    private static final LZ4Compressor LZ4_COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();

    // Decompression runs over untrusted bytes from the network or disk. The pure-Java safe decompressor is
    // bounds-checked by the JVM on every array access, so a crafted block can at worst throw; the native and
    // Unsafe variants were the subject of CVE-2025-12183. The "fast" decompressor trusts the declared length
    // and must never see untrusted input.
    private static final LZ4SafeDecompressor LZ4_DECOMPRESSOR = LZ4Factory.safeInstance().safeDecompressor();

    private final UnsafeBuffer decompressedBuffer = new UnsafeBuffer(EMPTY);
    private byte[] decompressed = EMPTY;
    private byte[] compressed = EMPTY;
    private byte[] input = EMPTY;
    private ZstdCompressCtx zstdCompressCtx;
    private ZstdDecompressCtx zstdDecompressCtx;

    /**
     * Upper bound on the compressed length of {@code length} bytes, so a builder can promise a fit up front.
     *
     * @param codec  compression codec id.
     * @param length uncompressed length in bytes.
     * @return the worst-case compressed length in bytes, as a long so callers can check it against an int limit.
     */
    static long maxCompressedLength(final int codec, final int length)
    {
        switch (codec)
        {
            case COMPRESSION_LZ4:
                return (long)length + length / 255 + 16;

            case COMPRESSION_ZSTD:
                return Zstd.compressBound(length);

            default:
                return length;
        }
    }

    /**
     * Compress a byte range into the owned scratch array returned by {@link #compressed()}.
     *
     * @param codec     {@link RecordBatch#COMPRESSION_LZ4} or {@link RecordBatch#COMPRESSION_ZSTD}.
     * @param src       uncompressed bytes.
     * @param srcOffset of the first byte.
     * @param srcLength number of bytes.
     * @return the compressed length in bytes.
     */
    int compress(final int codec, final byte[] src, final int srcOffset, final int srcLength)
    {
        final int bound = (int)Math.min(Integer.MAX_VALUE - 8, maxCompressedLength(codec, srcLength));
        if (compressed.length < bound)
        {
            compressed = new byte[bound];
        }

        switch (codec)
        {
            case COMPRESSION_LZ4:
                return LZ4_COMPRESSOR.compress(src, srcOffset, srcLength, compressed, 0, bound);

            case COMPRESSION_ZSTD:
                if (null == zstdCompressCtx)
                {
                    zstdCompressCtx = new ZstdCompressCtx().setLevel(ZSTD_LEVEL);
                }
                return zstdCompressCtx.compressByteArray(compressed, 0, bound, src, srcOffset, srcLength);

            default:
                throw new IllegalArgumentException("not a compression codec: " + codec);
        }
    }

    /**
     * The scratch array the last {@link #compress(int, byte[], int, int)} wrote to, valid until the next call.
     *
     * @return the owned scratch array; its first bytes are the compressed output.
     */
    byte[] compressed()
    {
        return compressed;
    }

    /**
     * Decompress a range of a buffer, which must expand to exactly {@code uncompressedLength} bytes.
     * <p>
     * Never throws on malformed input: library exceptions are the documented error path and map to false.
     *
     * @param codec              {@link RecordBatch#COMPRESSION_LZ4} or {@link RecordBatch#COMPRESSION_ZSTD}.
     * @param src                buffer holding the compressed bytes.
     * @param srcIndex           index of the first compressed byte.
     * @param srcLength          number of compressed bytes.
     * @param uncompressedLength expected decompressed length, already checked against the caller's cap.
     * @return true if {@link #decompressed()} now holds exactly {@code uncompressedLength} bytes.
     */
    boolean decompress(
        final int codec, final DirectBuffer src, final int srcIndex, final int srcLength, final int uncompressedLength)
    {
        if (srcIndex < 0 || srcLength < 0 || (long)srcIndex + srcLength > src.capacity() || uncompressedLength < 0)
        {
            return false;
        }

        final byte[] srcArray;
        final int srcOffset;
        final byte[] backing = src.byteArray();
        if (null != backing)
        {
            srcArray = backing;
            srcOffset = (int)(src.addressOffset() - BufferUtil.ARRAY_BASE_OFFSET) + srcIndex;
        }
        else
        {
            // lz4-java has no address-based API, so off-heap input is copied once into an owned array; the copy
            // of the compressed bytes is cheap next to decompressing them and avoids per-call ByteBuffer views.
            if (input.length < srcLength)
            {
                input = new byte[capacityFor(srcLength)];
            }
            src.getBytes(srcIndex, input, 0, srcLength);
            srcArray = input;
            srcOffset = 0;
        }

        if (decompressed.length < uncompressedLength)
        {
            decompressed = new byte[capacityFor(uncompressedLength)];
        }

        int length = -1;
        try
        {
            switch (codec)
            {
                case COMPRESSION_LZ4:
                    // CVE-2025-66566: lz4-java's Java decompressors before 1.10.1 can copy stale bytes of a reused
                    // output buffer into the output of a crafted block, so clear the region first.
                    Arrays.fill(decompressed, 0, uncompressedLength, (byte)0);
                    length = LZ4_DECOMPRESSOR.decompress(
                        srcArray, srcOffset, srcLength, decompressed, 0, uncompressedLength);
                    break;

                case COMPRESSION_ZSTD:
                    if (null == zstdDecompressCtx)
                    {
                        zstdDecompressCtx = new ZstdDecompressCtx();
                    }
                    length = zstdDecompressCtx.decompressByteArray(
                        decompressed, 0, uncompressedLength, srcArray, srcOffset, srcLength);
                    break;

                case COMPRESSION_NONE:
                default:
                    return false;
            }
        }
        catch (final RuntimeException ex)
        {
            return false;
        }

        if (length != uncompressedLength)
        {
            return false;
        }

        decompressedBuffer.wrap(decompressed, 0, uncompressedLength);
        return true;
    }

    /**
     * View of exactly the bytes the last successful {@link #decompress} produced, valid until the next call.
     *
     * @return the owned view, whose capacity is the uncompressed length.
     */
    DirectBuffer decompressed()
    {
        return decompressedBuffer;
    }

    /**
     * Release the native zstd contexts, if any were created.
     */
    public void close()
    {
        CloseHelper.closeAll(zstdCompressCtx, zstdDecompressCtx);
        zstdCompressCtx = null;
        zstdDecompressCtx = null;
    }

    private static int capacityFor(final int required)
    {
        return required <= (1 << 30) ? BitUtil.findNextPositivePowerOfTwo(Math.max(64, required)) : required;
    }
}
