/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import io.spindle.codecs.batch.RecordBatch;
import io.spindle.log.CompactionTestSupport.Rec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash at each step of the segment swap: the files are left as that step leaves them, the log is reopened, and
 * it must hold exactly the old segment (before the commit point) or exactly the cleaned one (after it), with no
 * {@code .cleaned} or {@code .swap} file left, appends continuing at the old log end, and a second reopen changing
 * nothing.
 */
class LogCompactionSwapCrashTest
{
    private static final long NOW_MS = 1_700_000_000_000L;

    /**
     * Where the crash happens.
     */
    enum Crash
    {
        WHILE_WRITING_CLEANED(false),
        AFTER_CLEANED_WRITTEN(false),
        AFTER_RENAME_TO_SWAP(true),
        AFTER_OLD_LOG_DELETED(true),
        AFTER_OLD_FILES_DELETED(true),
        AFTER_RENAME_TO_LOG(true);

        final boolean isCommitted;

        Crash(final boolean isCommitted)
        {
            this.isCommitted = isCommitted;
        }
    }

    private static final List<Rec> OLD = List.of(
        new Rec(0, "a", "1", NOW_MS), new Rec(1, "b", "1", NOW_MS), new Rec(2, "c", "1", NOW_MS),
        new Rec(3, "a", "1b", NOW_MS), new Rec(4, "a", "2", NOW_MS), new Rec(5, "d", "1", NOW_MS));
    private static final List<Rec> CLEANED = List.of(
        new Rec(1, "b", "1", NOW_MS), new Rec(2, "c", "1", NOW_MS), new Rec(4, "a", "2", NOW_MS),
        new Rec(5, "d", "1", NOW_MS));

    @TempDir
    File dir;

    private final CompactionTestSupport support = new CompactionTestSupport();
    private final LogCleaner cleaner = LogCleaner.inline();
    private PartitionLog log;

    @AfterEach
    void after()
    {
        if (null != log)
        {
            log.close();
        }
        support.close();
        cleaner.close();
    }

    @ParameterizedTest
    @EnumSource(Crash.class)
    void shouldRecoverEitherTheOldOrTheCleanedSegment(final Crash crash) throws Exception
    {
        log = build();
        assertTrue(log.startCleaning(true));
        log.closeUnclean();
        log = null;

        final File cleaned = new File(dir, "00000000000000000000.log.cleaned");
        final File swap = new File(dir, "00000000000000000000.log.swap");
        final File segment = new File(dir, "00000000000000000000.log");
        assertTrue(cleaned.exists(), "the cleaned segment was written");
        assertEquals(List.of("00000000000000000000.log.cleaned"), leftovers(), "only segment 0 changes");

        switch (crash)
        {
            case WHILE_WRITING_CLEANED:
                try (RandomAccessFile file = new RandomAccessFile(cleaned, "rw"))
                {
                    file.setLength(file.length() / 2);
                }
                break;

            case AFTER_CLEANED_WRITTEN:
                break;

            case AFTER_RENAME_TO_SWAP:
                LogCleaning.writeMarker(dir);
                Files.move(cleaned.toPath(), swap.toPath(), StandardCopyOption.ATOMIC_MOVE);
                break;

            case AFTER_OLD_LOG_DELETED:
                LogCleaning.writeMarker(dir);
                Files.move(cleaned.toPath(), swap.toPath(), StandardCopyOption.ATOMIC_MOVE);
                Files.delete(segment.toPath());
                break;

            case AFTER_OLD_FILES_DELETED:
                LogCleaning.writeMarker(dir);
                Files.move(cleaned.toPath(), swap.toPath(), StandardCopyOption.ATOMIC_MOVE);
                Files.delete(segment.toPath());
                Files.delete(new File(dir, "00000000000000000000.index").toPath());
                Files.delete(new File(dir, "00000000000000000000.timeindex").toPath());
                break;

            case AFTER_RENAME_TO_LOG:
                LogCleaning.writeMarker(dir);
                Files.move(cleaned.toPath(), swap.toPath(), StandardCopyOption.ATOMIC_MOVE);
                Files.delete(new File(dir, "00000000000000000000.index").toPath());
                Files.delete(new File(dir, "00000000000000000000.timeindex").toPath());
                Files.move(swap.toPath(), segment.toPath(), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
                break;
        }

        final List<Rec> expected = crash.isCommitted ? CLEANED : OLD;
        log = open();
        assertEquals(List.of(), leftovers());
        assertEquals(expected, support.readFrom(log, 0));
        assertEquals(6, log.logEndOffset());
        assertEquals(expected.subList(1, expected.size()), support.readFrom(log, expected.get(1).offset()));
        assertEquals(expected.subList(expected.size() - (crash.isCommitted ? 2 : 3), expected.size()),
            support.readFrom(log, 3), "a read from offset 3 (a gap once cleaned) gets the next survivor");
        assertEquals(false, log.recoveryReport().hasCut(), log.recoveryReport().toString());

        assertEquals(6, support.append(log, RecordBatch.COMPRESSION_NONE, NOW_MS, "e", "1"));
        log.close();
        log = open();
        final List<Rec> after = new ArrayList<>(expected);
        after.add(new Rec(6, "e", "1", NOW_MS));
        assertEquals(after, support.readFrom(log, 0));
    }

    @Test
    void shouldSwapAndKeepServingTheOldSegmentToReadersAlreadyOnIt()
    {
        log = build();
        final LogReadResult onOld = new LogReadResult();
        assertTrue(log.read(0, 1 << 20, onOld) > 0);
        final int oldLength = onOld.length();

        assertTrue(log.startCleaning(true));
        assertEquals(1, log.completeCleaning(NOW_MS));
        assertEquals(List.of(), leftovers());
        assertTrue(new File(dir, LogCleaning.MARKER_FILE).exists());
        assertEquals(CLEANED, support.readFrom(log, 0));

        // The old mapping stays valid until file.delete.delay.ms has passed.
        assertEquals(oldLength, onOld.length());
        assertEquals(0, onOld.firstOffset());
        assertEquals(0, onOld.buffer().getLong(RecordBatch.BASE_OFFSET_OFFSET, RecordBatch.BYTE_ORDER));
    }

    @Test
    void shouldStillCutAGapInALogThatWasNeverCompacted() throws Exception
    {
        log = build();
        assertTrue(log.startCleaning(true));
        log.closeUnclean();
        log = null;

        // A segment with a gap, as if swapped in, but no marker: recovery must treat it as damage.
        final File cleaned = new File(dir, "00000000000000000000.log.cleaned");
        Files.move(cleaned.toPath(), new File(dir, "00000000000000000000.log.swap").toPath());
        log = open();
        assertTrue(log.recoveryReport().hasCut(), log.recoveryReport().toString());
    }

    private PartitionLog build()
    {
        final PartitionLog built = open();
        support.append(built, RecordBatch.COMPRESSION_NONE, NOW_MS, "a", "1");
        support.append(built, RecordBatch.COMPRESSION_NONE, NOW_MS, "b", "1");
        support.append(built, RecordBatch.COMPRESSION_NONE, NOW_MS, "c", "1");
        support.append(built, RecordBatch.COMPRESSION_NONE, NOW_MS, "a", "1b");
        built.roll(NOW_MS);
        support.append(built, RecordBatch.COMPRESSION_NONE, NOW_MS, "a", "2");
        built.roll(NOW_MS);
        support.append(built, RecordBatch.COMPRESSION_NONE, NOW_MS, "d", "1");
        assertEquals(OLD, support.readFrom(built, 0));
        return built;
    }

    private PartitionLog open()
    {
        final LogConfig config = LogTestSupport.smallConfig()
            .fileDeleteDelayMs(60_000)
            .cleanupPolicy("compact")
            .minCleanableDirtyRatio(0);
        final PartitionLog opened = PartitionLog.open(dir, config, NOW_MS).cleaner(cleaner);
        opened.highWaterMark(opened.logEndOffset());
        return opened;
    }

    private List<String> leftovers()
    {
        return List.of(Objects.requireNonNull(
            dir.list((d, name) -> name.endsWith(LogCleaning.CLEANED_SUFFIX) ||
                name.endsWith(LogCleaning.SWAP_SUFFIX))));
    }
}
