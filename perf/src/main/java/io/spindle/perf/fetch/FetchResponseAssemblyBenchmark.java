/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf.fetch;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import io.spindle.codecs.protocol.ErrorCode;
import io.spindle.codecs.protocol.FetchResponseEncoder;
import io.spindle.codecs.protocol.MessageHeaderEncoder;
import io.spindle.log.LogConfig;
import io.spindle.log.LogReadResult;
import io.spindle.log.PartitionLog;
import io.spindle.perf.log.BenchmarkBatch;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.IoUtil;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Assembling a streaming fetch push as {@code io.spindle.host.FetchServer} does for one partition: read the batches
 * after the fetch offset from the log up to {@code maxBytes} (the first batch whole), and encode a
 * {@code FetchResponse} around them, copying them into the response buffer. The offer to the publication is not
 * included. {@code maxBytes=1} is the latency case: each push carries the one batch that just landed.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens", "java.base/java.util.zip=ALL-UNNAMED" })
@State(Scope.Thread)
public class FetchResponseAssemblyBenchmark
{
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final int LOG_BYTES = 16 * 1024 * 1024;

    /**
     * Records of 100 bytes per batch in the log.
     */
    @Param({ "1", "100" })
    public int recordsPerBatch;

    /**
     * The push's byte limit; the first batch is always sent whole.
     */
    @Param({ "1", "65536" })
    public int maxBytes;

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final FetchResponseEncoder encoder = new FetchResponseEncoder();
    private final ExpandableDirectByteBuffer response = new ExpandableDirectByteBuffer(1024 * 1024);
    private final LogReadResult readView = new LogReadResult();
    private File directory;
    private PartitionLog log;
    private long endOffset;
    private long fetchOffset;
    private long correlationId;

    /**
     * Fill a log with committed batches.
     *
     * @throws IOException if the directory cannot be created.
     */
    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        final UnsafeBuffer batch = BenchmarkBatch.build(recordsPerBatch, NOW_MS);
        directory = Files.createTempDirectory("spindle-fetch-assembly").toFile();
        log = PartitionLog.open(directory, new LogConfig().segmentBytes(2 * LOG_BYTES), NOW_MS);
        while (log.sizeInBytes() + batch.capacity() <= LOG_BYTES)
        {
            log.append(batch, 0, batch.capacity(), NOW_MS);
        }
        endOffset = log.logEndOffset();
        log.highWaterMark(endOffset);
    }

    /**
     * Close the log and delete its directory.
     */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        log.close();
        IoUtil.delete(directory, false);
    }

    /**
     * Read from the fetch offset and encode the push.
     *
     * @return the response length.
     */
    @Benchmark
    public int assemble()
    {
        final PartitionLog log = this.log;
        encoder.wrapAndApplyHeader(response, 0, headerEncoder)
            .correlationId(++correlationId)
            .errorCode(ErrorCode.NONE);
        final FetchResponseEncoder.PartitionsEncoder entry = encoder.partitionsCount(1).next()
            .topicId(7)
            .partition(0);
        final long hwm = log.highWaterMark();
        final long logStartOffset = log.logStartOffset();
        final int length = log.read(fetchOffset, maxBytes, readView);
        final long nextOffset = length > 0 ? readView.nextOffset() : fetchOffset;
        entry.errorCode(ErrorCode.NONE)
            .highWatermark(hwm)
            .lastStableOffset(hwm)
            .logStartOffset(logStartOffset)
            .nextFetchOffset(nextOffset)
            .abortedTransactionsCount(0);
        entry.putRecords(readView.buffer(), 0, length);
        fetchOffset = nextOffset >= endOffset ? 0 : nextOffset;
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * Run this benchmark alone.
     *
     * @param args ignored.
     * @throws RunnerException if JMH fails.
     */
    public static void main(final String[] args) throws RunnerException
    {
        new Runner(new OptionsBuilder().include(FetchResponseAssemblyBenchmark.class.getSimpleName()).build()).run();
    }
}
