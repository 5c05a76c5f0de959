/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.codec;

import java.util.concurrent.TimeUnit;

import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.FetchResponseDecoder;
import io.spindle.codecs.protocol.FetchResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.perf.log.BenchmarkBatch;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The SBE {@code FetchResponse} with one partition entry: {@code encode} with the records copied in, as the fetch
 * server writes a streaming push; {@code decode} as the consumer reads it (every field, the records' offset and
 * length; the consumer's copy of the records into its own buffer is measured by {@code decodeAndCopy}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class FetchResponseCodecBenchmark
{
    /**
     * Records of 100 bytes in the response's one batch.
     */
    @Param({ "1", "10" })
    public int recordsPerBatch;

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final FetchResponseEncoder encoder = new FetchResponseEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final FetchResponseDecoder decoder = new FetchResponseDecoder();
    private final ExpandableDirectByteBuffer response = new ExpandableDirectByteBuffer(1024 * 1024);
    private final ExpandableDirectByteBuffer fetched = new ExpandableDirectByteBuffer(1024 * 1024);
    private UnsafeBuffer batch;
    private int batchLength;
    private long correlationId;
    private long nextOffset;

    /**
     * Build the batch, and encode one response for the decode benchmarks.
     */
    @Setup(Level.Trial)
    public void setup()
    {
        batch = BenchmarkBatch.build(recordsPerBatch, 1_700_000_000_000L);
        batchLength = batch.capacity();
        encode();
    }

    /**
     * Encode a response around one batch, copying it in as {@code FetchServer} does.
     *
     * @return the response length.
     */
    @Benchmark
    public int encode()
    {
        nextOffset += recordsPerBatch;
        encoder.wrapAndApplyHeader(response, 0, headerEncoder)
            .correlationId(++correlationId)
            .errorCode(ErrorCode.NONE);
        final FetchResponseEncoder.PartitionsEncoder entry = encoder.partitionsCount(1).next()
            .topicId(7)
            .partition(0)
            .errorCode(ErrorCode.NONE)
            .highWatermark(nextOffset)
            .lastStableOffset(nextOffset)
            .logStartOffset(0)
            .nextFetchOffset(nextOffset);
        entry.abortedTransactionsCount(0);
        entry.putRecords(batch, 0, batchLength);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * Decode every field and locate the records, as {@code Consumer} does.
     *
     * @return a sum of what was read, so nothing is optimised away.
     */
    @Benchmark
    public long decode()
    {
        decoder.wrapAndApplyHeader(response, 0, headerDecoder);
        long sum = decoder.correlationId() + decoder.errorCode().value();
        final FetchResponseDecoder.PartitionsDecoder partitions = decoder.partitions();
        while (partitions.hasNext())
        {
            partitions.next();
            sum += partitions.topicId() + partitions.partition() + partitions.errorCode().value() +
                partitions.highWatermark() + partitions.lastStableOffset() + partitions.logStartOffset() +
                partitions.nextFetchOffset();
            final FetchResponseDecoder.PartitionsDecoder.AbortedTransactionsDecoder aborted =
                partitions.abortedTransactions();
            while (aborted.hasNext())
            {
                sum += aborted.next().producerId();
            }
            final int length = partitions.recordsLength();
            final int offset = decoder.limit() + 4;
            partitions.skipRecords();
            sum += offset + length;
        }
        return sum;
    }

    /**
     * Decode as {@link #decode()} and copy the records out, as the consumer stages them before handing records over.
     *
     * @return bytes copied.
     */
    @Benchmark
    public int decodeAndCopy()
    {
        decoder.wrapAndApplyHeader(response, 0, headerDecoder);
        int copied = 0;
        final FetchResponseDecoder.PartitionsDecoder partitions = decoder.partitions();
        while (partitions.hasNext())
        {
            partitions.next();
            partitions.topicId();
            partitions.partition();
            partitions.errorCode();
            partitions.highWatermark();
            partitions.lastStableOffset();
            partitions.logStartOffset();
            partitions.nextFetchOffset();
            final FetchResponseDecoder.PartitionsDecoder.AbortedTransactionsDecoder aborted =
                partitions.abortedTransactions();
            while (aborted.hasNext())
            {
                aborted.next();
            }
            final int length = partitions.recordsLength();
            final int offset = decoder.limit() + 4;
            partitions.skipRecords();
            fetched.putBytes(copied, response, offset, length);
            copied += length;
        }
        return copied;
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(FetchResponseCodecBenchmark.class.getSimpleName()).build()).run();
    }
}
