/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.file.Path;
import java.util.function.Consumer;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.protocol.DataHeaderFlyweight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The broker's embedded driver gives IPC publications, its clients' requests and its own answers and pushes, frames of
 * {@code spindle.ipc.mtu.length}: a producer's 16 KiB batch crosses as one frame rather than twelve the broker copies
 * together; an IPC term too small for such frames lowers them to the term's largest message.
 */
@Timeout(60)
class IpcMtuTest
{
    private static final int STREAM_ID = 987_654;

    @TempDir
    Path dir;

    @Test
    void ipcPublicationsCarryFramesOfTheLargestMtuByDefault()
    {
        assertEquals(65_504 - DataHeaderFlyweight.HEADER_LENGTH, maxPayloadLength((ctx) -> {}));
    }

    @Test
    void aSetMtuIsTakenAndASmallTermLowersIt()
    {
        assertEquals(4_096 - DataHeaderFlyweight.HEADER_LENGTH, maxPayloadLength((ctx) -> ctx.ipcMtuLength(4_096)));
        // A 64 KiB term holds messages of up to 8 KiB.
        assertEquals(8_192 - DataHeaderFlyweight.HEADER_LENGTH,
            maxPayloadLength((ctx) -> ctx.ipcTermLength(64 * 1024)));
    }

    private int maxPayloadLength(final Consumer<StandaloneBroker.Context> settings)
    {
        try (TestBroker broker = TestBroker.start(dir.resolve("data-" + System.nanoTime()), settings);
            Aeron aeron = Aeron.connect(new Aeron.Context()
                .errorHandler(Throwable::printStackTrace).aeronDirectoryName(broker.aeronDir()));
            ExclusivePublication publication = aeron.addExclusivePublication("aeron:ipc", STREAM_ID))
        {
            return publication.maxPayloadLength();
        }
    }
}
