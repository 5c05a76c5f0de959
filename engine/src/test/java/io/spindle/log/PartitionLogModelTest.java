/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.spindle.log.LogTestSupport.append;
import static io.spindle.log.LogTestSupport.assertStoredBatch;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random appends, reads, timestamp lookups, rolls, retention passes, truncations and reopens of a real log,
 * checked after every step against a plain in-memory model of the same log.
 */
class PartitionLogModelTest
{
    private static final int SEEDS = Integer.getInteger("spindle.test.seeds", 30);
    private static final int STEPS = Integer.getInteger("spindle.test.steps", 1500);

    @TempDir
    File root;

    private final LogTestSupport batches = new LogTestSupport();
    private final LogReadResult result = new LogReadResult();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldBehaveLikeTheModel()
    {
        final long seed = Long.getLong("spindle.test.seed", System.nanoTime());
        for (int i = 0; i < SEEDS; i++)
        {
            final long runSeed = seed + i;
            try
            {
                run(new File(root, "model-" + i), runSeed);
            }
            catch (final AssertionError | RuntimeException ex)
            {
                throw new AssertionError("seed=" + runSeed + " (rerun with -Dspindle.test.seed=" + runSeed +
                    " -Dspindle.test.seeds=1)", ex);
            }
        }
    }

    private void run(final File dir, final long seed)
    {
        final Random random = new Random(seed);
        final int segmentBytes = new int[]{ 2048, 4096, 8192 }[random.nextInt(3)];
        final LogConfig config = new LogConfig()
            .segmentBytes(segmentBytes)
            .maxMessageBytes(1500)
            .indexIntervalBytes(new int[]{ 0, 100, 512, 4096 }[random.nextInt(4)])
            .segmentMs(5_000 + random.nextInt(60_000))
            .retentionMs(random.nextBoolean() ? LogConfig.UNLIMITED : 10_000 + random.nextInt(50_000))
            .retentionBytes(random.nextBoolean() ? LogConfig.UNLIMITED : 5_000 + random.nextInt(30_000))
            .flushPolicy(FlushPolicy.values()[random.nextInt(FlushPolicy.values().length)])
            .flushMs(1000)
            .fileDeleteDelayMs(random.nextInt(5000))
            .conclude();

        long nowMs = 1_700_000_000_000L;
        final Model model = new Model(config);
        PartitionLog log = PartitionLog.open(dir, config, nowMs);
        try
        {
            for (int step = 0; step < STEPS; step++)
            {
                nowMs += random.nextInt(200);
                final int op = random.nextInt(100);
                final String what;
                if (op < 45)
                {
                    what = "append";
                    final byte[] batch = batches.batch(1 + random.nextInt(5), random.nextInt(250),
                        nowMs + random.nextInt(10_000) - 5_000, random.nextLong());
                    assertEquals(model.append(batch, nowMs), append(log, batch, nowMs), what);
                    if (random.nextInt(5) > 0)
                    {
                        log.highWaterMark(log.logEndOffset());
                        model.highWaterMark = model.logEndOffset();
                    }
                }
                else if (op < 48)
                {
                    what = "corrupt append";
                    final byte[] batch = batches.batch(1 + random.nextInt(3), 10 + random.nextInt(100), nowMs, step);
                    batch[64 + random.nextInt(batch.length - 64)] ^= (byte)(1 + random.nextInt(255));
                    assertEquals(PartitionLog.CORRUPT_MESSAGE, append(log, batch, nowMs), what);
                }
                else if (op < 50)
                {
                    what = "oversized append";
                    final byte[] batch = batches.batch(5, 300 + random.nextInt(100), nowMs, step);
                    assertEquals(PartitionLog.RECORD_TOO_LARGE, append(log, batch, nowMs), what);
                }
                else if (op < 68)
                {
                    what = "read";
                    final long offset = model.logStartOffset() - 3 + random.nextInt(
                        (int)(model.logEndOffset() - model.logStartOffset()) + 7);
                    final int maxBytes = random.nextBoolean() ?
                        new int[]{ 0, 1, 100, 500, 2000, Integer.MAX_VALUE }[random.nextInt(6)] :
                        model.bytesOfBatchesFrom(offset, 1 + random.nextInt(4)) - 1 + random.nextInt(3);
                    checkRead(log, model, offset, maxBytes);
                }
                else if (op < 74)
                {
                    what = "offsetForTimestamp";
                    final long timestampMs = random.nextBoolean() ? nowMs - 70_000 + random.nextInt(80_000) :
                        model.randomBatchTimestamp(random) + random.nextInt(3) - 1;
                    assertEquals(model.offsetForTimestamp(timestampMs), log.offsetForTimestamp(timestampMs),
                        what + " " + timestampMs);
                }
                else if (op < 77)
                {
                    what = "roll";
                    assertEquals(model.roll(), log.roll(nowMs), what);
                }
                else if (op < 82)
                {
                    what = "retention";
                    assertEquals(model.deleteExpiredSegments(nowMs), log.deleteExpiredSegments(nowMs), what);
                }
                else if (op < 85)
                {
                    what = "truncate";
                    final long offset = Math.max(0, model.logStartOffset() - 1 +
                        random.nextInt((int)(model.logEndOffset() - model.logStartOffset()) + 3));
                    assertEquals(model.truncateTo(offset, nowMs), log.truncateTo(offset, nowMs), what);
                }
                else if (op < 86)
                {
                    what = "truncate fully";
                    final long offset = model.logEndOffset() + random.nextInt(10);
                    model.truncateFullyAndStartAt(offset);
                    log.truncateFullyAndStartAt(offset, nowMs);
                }
                else if (op < 89)
                {
                    what = "reopen";
                    log.close();
                    log = PartitionLog.open(dir, config, nowMs);
                    model.reopen(nowMs);
                }
                else if (op < 90)
                {
                    what = "crash and reopen";
                    log.closeUnclean();
                    log = PartitionLog.open(dir, config, nowMs);
                    assertEquals(false, log.recoveryReport().hasCut(), log.recoveryReport().toString());
                    model.reopen(nowMs);
                }
                else if (op < 93)
                {
                    what = "doWork";
                    log.doWork(nowMs);
                }
                else if (op < 95)
                {
                    what = "time jump";
                    nowMs += 20_000;
                }
                else
                {
                    what = "high-water mark";
                    final long highWaterMark = model.logStartOffset() +
                        random.nextInt((int)(model.logEndOffset() - model.logStartOffset()) + 1);
                    if (highWaterMark >= model.highWaterMark)
                    {
                        model.highWaterMark = highWaterMark;
                        log.highWaterMark(highWaterMark);
                    }
                }

                checkState(log, model, "step " + step + " after " + what);
            }

            log.highWaterMark(log.logEndOffset());
            model.highWaterMark = model.logEndOffset();
            long offset = model.logStartOffset();
            while (offset < model.logEndOffset())
            {
                offset = checkRead(log, model, offset, 1000);
            }
        }
        finally
        {
            log.close();
        }
    }

    private void checkState(final PartitionLog log, final Model model, final String context)
    {
        assertEquals(model.logStartOffset(), log.logStartOffset(), context + ": logStartOffset");
        assertEquals(model.logEndOffset(), log.logEndOffset(), context + ": logEndOffset");
        assertEquals(model.highWaterMark, log.highWaterMark(), context + ": highWaterMark");
        assertArrayEquals(model.segmentBaseOffsets(), log.segmentBaseOffsets(), context + ": segments");
        assertEquals(model.sizeInBytes(), log.sizeInBytes(), context + ": sizeInBytes");
        for (final Segment segment : model.segments)
        {
            assertEquals(segment.size, log.segmentBytes(segment.baseOffset),
                context + ": segmentBytes(" + segment.baseOffset + ")");
        }
        assertEquals(0, log.segmentBytes(model.logEndOffset() + 1), context + ": segmentBytes past the end");
        LogTestSupport.assertIndexesConsistent(log, context);
    }

    private long checkRead(final PartitionLog log, final Model model, final long offset, final int maxBytes)
    {
        final List<Batch> expected = new ArrayList<>();
        final int expectedResult = model.read(offset, maxBytes, expected);
        final String context = "read(" + offset + ", " + maxBytes + ")";
        assertEquals(expectedResult, log.read(offset, maxBytes, result), context);
        assertEquals(expected.size(), result.batchCount(), context);
        int position = 0;
        for (final Batch batch : expected)
        {
            assertStoredBatch(context, batch.bytes, batch.baseOffset, result.buffer(), position);
            position += batch.bytes.length;
        }
        if (!expected.isEmpty())
        {
            assertEquals(expected.get(0).baseOffset, result.firstOffset(), context);
            assertEquals(expected.get(expected.size() - 1).lastOffset + 1, result.nextOffset(), context);
            return result.nextOffset();
        }

        return offset + 1;
    }

    /**
     * A batch in the model.
     */
    private record Batch(byte[] bytes, long baseOffset, long lastOffset, long maxTimestampMs)
    {
    }

    /**
     * A segment in the model.
     */
    private static final class Segment
    {
        final long baseOffset;
        final List<Batch> batches = new ArrayList<>();
        int size;
        long rollStartMs = Long.MIN_VALUE;

        Segment(final long baseOffset)
        {
            this.baseOffset = baseOffset;
        }

        long nextOffset()
        {
            return batches.isEmpty() ? baseOffset : batches.get(batches.size() - 1).lastOffset + 1;
        }

        long maxTimestampMs()
        {
            long max = Long.MIN_VALUE;
            for (final Batch batch : batches)
            {
                max = Math.max(max, batch.maxTimestampMs);
            }
            return max;
        }
    }

    /**
     * The log as plain lists: the rules of PartitionLog written the obvious way.
     */
    private static final class Model
    {
        final LogConfig config;
        final List<Segment> segments = new ArrayList<>();
        long highWaterMark;

        Model(final LogConfig config)
        {
            this.config = config;
            segments.add(new Segment(0));
        }

        Segment active()
        {
            return segments.get(segments.size() - 1);
        }

        long logStartOffset()
        {
            return segments.get(0).baseOffset;
        }

        long logEndOffset()
        {
            return active().nextOffset();
        }

        long sizeInBytes()
        {
            long size = 0;
            for (final Segment segment : segments)
            {
                size += segment.size;
            }
            return size;
        }

        long[] segmentBaseOffsets()
        {
            return segments.stream().mapToLong(s -> s.baseOffset).toArray();
        }

        long append(final byte[] bytes, final long nowMs)
        {
            if (bytes.length > config.maxMessageBytes())
            {
                return PartitionLog.RECORD_TOO_LARGE;
            }

            Segment active = active();
            final boolean isRollDue = active.size > 0 && active.rollStartMs != Long.MIN_VALUE &&
                nowMs - active.rollStartMs >= config.segmentMs();
            if (active.size + bytes.length > config.segmentBytes() || isRollDue)
            {
                roll();
                active = active();
            }

            final long baseOffset = active.nextOffset();
            active.batches.add(new Batch(bytes, baseOffset, baseOffset + LogTestSupport.lastOffsetDelta(bytes),
                LogTestSupport.maxTimestamp(bytes)));
            active.size += bytes.length;
            if (Long.MIN_VALUE == active.rollStartMs)
            {
                active.rollStartMs = nowMs;
            }
            return baseOffset;
        }

        int bytesOfBatchesFrom(final long offset, final int count)
        {
            int bytes = 0;
            int n = 0;
            for (final Segment segment : segments)
            {
                for (final Batch batch : segment.batches)
                {
                    if (batch.lastOffset >= offset && n < count)
                    {
                        bytes += batch.bytes.length;
                        n++;
                    }
                }
            }
            return bytes;
        }

        long randomBatchTimestamp(final Random random)
        {
            final List<Batch> all = new ArrayList<>();
            segments.forEach(segment -> all.addAll(segment.batches));
            return all.isEmpty() ? 0 : all.get(random.nextInt(all.size())).maxTimestampMs;
        }

        boolean roll()
        {
            if (active().size == 0)
            {
                return false;
            }
            segments.add(new Segment(logEndOffset()));
            return true;
        }

        int deleteExpiredSegments(final long nowMs)
        {
            long remaining = sizeInBytes();
            int count = 0;
            for (int i = 0; i < segments.size() - 1; i++)
            {
                final Segment segment = segments.get(i);
                if (segments.get(i + 1).baseOffset > highWaterMark)
                {
                    break;
                }
                final boolean isExpired = config.retentionMs() != LogConfig.UNLIMITED &&
                    segment.maxTimestampMs() < nowMs - config.retentionMs();
                final boolean isOverSize = config.retentionBytes() != LogConfig.UNLIMITED &&
                    remaining - segment.size >= config.retentionBytes();
                if (!isExpired && !isOverSize)
                {
                    break;
                }
                remaining -= segment.size;
                count++;
            }
            segments.subList(0, count).clear();
            return count;
        }

        long truncateTo(final long offset, final long nowMs)
        {
            if (offset >= logEndOffset())
            {
                return logEndOffset();
            }
            if (offset <= logStartOffset())
            {
                truncateFullyAndStartAt(offset);
                return offset;
            }

            int index = segments.size() - 1;
            while (segments.get(index).baseOffset > offset)
            {
                index--;
            }
            final boolean wasActive = index == segments.size() - 1;
            segments.subList(index + 1, segments.size()).clear();
            final Segment target = segments.get(index);
            while (!target.batches.isEmpty() && target.batches.get(target.batches.size() - 1).lastOffset >= offset)
            {
                target.size -= target.batches.remove(target.batches.size() - 1).bytes.length;
            }

            if (!wasActive)
            {
                target.rollStartMs = Long.MIN_VALUE;
            }
            if (target.size == 0)
            {
                target.rollStartMs = Long.MIN_VALUE;
            }
            else if (Long.MIN_VALUE == target.rollStartMs)
            {
                target.rollStartMs = nowMs;
            }

            highWaterMark = Math.min(highWaterMark, logEndOffset());
            return logEndOffset();
        }

        void truncateFullyAndStartAt(final long offset)
        {
            segments.clear();
            segments.add(new Segment(offset));
            highWaterMark = offset;
        }

        void reopen(final long nowMs)
        {
            highWaterMark = logEndOffset();
            active().rollStartMs = active().size > 0 ? nowMs : Long.MIN_VALUE;
        }

        int read(final long offset, final int maxBytes, final List<Batch> out)
        {
            if (offset < logStartOffset() || offset > logEndOffset())
            {
                return PartitionLog.OFFSET_OUT_OF_RANGE;
            }
            if (offset >= highWaterMark)
            {
                return 0;
            }

            for (final Segment segment : segments)
            {
                int bytes = 0;
                for (final Batch batch : segment.batches)
                {
                    if (batch.lastOffset < offset)
                    {
                        continue;
                    }
                    if (batch.lastOffset >= highWaterMark || (!out.isEmpty() && bytes + batch.bytes.length > maxBytes))
                    {
                        break;
                    }
                    out.add(batch);
                    bytes += batch.bytes.length;
                }
                if (!out.isEmpty() || segment.nextOffset() > offset)
                {
                    return bytes;
                }
            }
            return 0;
        }

        long offsetForTimestamp(final long timestampMs)
        {
            for (final Segment segment : segments)
            {
                for (final Batch batch : segment.batches)
                {
                    if (batch.maxTimestampMs >= timestampMs)
                    {
                        return batch.lastOffset < highWaterMark ? batch.baseOffset : PartitionLog.NULL_OFFSET;
                    }
                }
            }
            return PartitionLog.NULL_OFFSET;
        }
    }
}
