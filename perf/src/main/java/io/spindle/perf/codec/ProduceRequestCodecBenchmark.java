/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.codec;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.codecs.protocol.MessageHeaderDecoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.codecs.protocol.ProduceRequestDecoder;
import io.spindle.codecs.protocol.ProduceRequestEncoder;
import io.spindle.perf.log.BenchmarkBatch;
import org.agrona.BufferUtil;
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
 * The SBE {@code ProduceRequest} on the produce path: {@code encode} as the producer seals a batch (the request is
 * written around a batch already in place, only its length prefix and the fields are written), {@code decode} as the
 * broker's state machine reads it (fields, the partition entry, the batch's offset and length, the transactional id).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class ProduceRequestCodecBenchmark
{
    private static final int PREFIX_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + ProduceRequestEncoder.BLOCK_LENGTH +
        4 + ProduceRequestEncoder.PartitionsEncoder.sbeBlockLength() + 4;

    /**
     * Records of 100 bytes in the request's batch.
     */
    @Param({ "1", "10" })
    public int recordsPerBatch;

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ProduceRequestEncoder encoder = new ProduceRequestEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ProduceRequestDecoder decoder = new ProduceRequestDecoder();
    private final UnsafeBuffer request = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * 1024, 64));
    private int batchLength;
    private long correlationId;

    /**
     * Put a batch where the producer builds it, and encode one request around it for {@link #decode()}.
     */
    @Setup(Level.Trial)
    public void setup()
    {
        final UnsafeBuffer batch = BenchmarkBatch.build(recordsPerBatch, 1_700_000_000_000L);
        batchLength = batch.capacity();
        request.putBytes(PREFIX_LENGTH, batch, 0, batchLength);
        encode();
    }

    /**
     * Encode the request around the batch in place, as {@code Producer} does when it seals a batch.
     *
     * @return the request length.
     */
    @Benchmark
    public int encode()
    {
        encoder.wrapAndApplyHeader(request, 0, headerEncoder)
            .correlationId(++correlationId)
            .acks((short)1)
            .timeoutMs(30_000)
            .producerId(RecordBatch.NO_PRODUCER_ID)
            .producerEpoch(RecordBatch.NO_PRODUCER_EPOCH);
        encoder.partitionsCount(1).next()
            .topicId(7)
            .partition(0);
        final int lengthOffset = encoder.limit();
        request.putInt(lengthOffset, batchLength, ByteOrder.LITTLE_ENDIAN);
        encoder.limit(lengthOffset + 4 + batchLength);
        encoder.putTransactionalId(request, 0, 0);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * Decode the request as the broker's state machine does before appending the batch.
     *
     * @return a sum of what was read, so nothing is optimised away.
     */
    @Benchmark
    public long decode()
    {
        decoder.wrapAndApplyHeader(request, 0, headerDecoder);
        long sum = decoder.correlationId() + decoder.acks() + decoder.timeoutMs() + decoder.producerId() +
            decoder.producerEpoch();
        final ProduceRequestDecoder.PartitionsDecoder partitions = decoder.partitions();
        while (partitions.hasNext())
        {
            partitions.next();
            sum += partitions.topicId() + partitions.partition();
            final int length = partitions.recordBatchLength();
            final int offset = decoder.limit() + 4;
            partitions.skipRecordBatch();
            sum += offset + length;
        }
        sum += decoder.skipTransactionalId();
        return sum;
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(ProduceRequestCodecBenchmark.class.getSimpleName()).build()).run();
    }
}
