package io.spindle.cluster;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.spindle.codecs.protocol.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-session dedup state: a repeat is recognised and answered with its kept response, in any order of ids, up to
 * the ids kept; it survives a snapshot and restore unchanged; a closed session is forgotten.
 */
class SessionResponsesTest
{
    private final List<String> resent = new ArrayList<>();
    private final SessionResponses.Resender resender = (sessionId, buffer, offset, length) ->
        resent.add(sessionId + ":" + buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH,
            ByteOrder.LITTLE_ENDIAN));

    @Test
    void aRepeatIsAnsweredWithItsKeptResponseWhateverTheOrderOfIds()
    {
        final SessionResponses responses = new SessionResponses();
        for (final long id : new long[]{ 5, 3, 9 })
        {
            assertFalse(responses.isDuplicate(7, id, resender));
            responses.onApply(7, id);
            responses.onResponse(7, response(id), 0, 32);
        }
        // Id 4 was never applied although lower ids and higher ones were: it is new.
        assertFalse(responses.isDuplicate(7, 4, resender));
        assertTrue(responses.isDuplicate(7, 3, resender));
        assertTrue(responses.isDuplicate(7, 9, resender));
        assertEquals(List.of("7:3", "7:9"), resent);
        // Another session's ids are its own.
        assertFalse(responses.isDuplicate(8, 3, resender));
    }

    @Test
    void aRepeatWhoseResponseIsStillToComeIsDroppedAndOldIdsAreForgotten()
    {
        final SessionResponses responses = new SessionResponses();
        responses.onApply(1, 1);
        assertTrue(responses.isDuplicate(1, 1, resender), "a join waiting on a rebalance");
        assertEquals(List.of(), resent);
        assertEquals(1, responses.duplicatesDropped());

        for (long id = 2; id < 2 + SessionResponses.APPLIED_PER_SESSION; id++)
        {
            responses.onApply(1, id);
        }
        assertFalse(responses.isDuplicate(1, 1, resender), "kept beyond " + SessionResponses.APPLIED_PER_SESSION);

        responses.onSessionClosed(1);
        assertFalse(responses.isDuplicate(1, 5, resender), "a closed session's ids");
    }

    @Test
    void theStateSurvivesASnapshotAndRestoreByteForByte()
    {
        final SessionResponses responses = new SessionResponses();
        for (long session = 3; session >= 1; session--)
        {
            for (long id = 1; id <= SessionResponses.RESPONSES_PER_SESSION + 4; id++)
            {
                responses.onApply(session, id);
                responses.onResponse(session, response(id), 0, 24 + (int)id);
            }
        }
        final ExpandableArrayBuffer first = new ExpandableArrayBuffer();
        final int end = responses.snapshot(first, 16);

        final SessionResponses restored = new SessionResponses();
        restored.restore(first, 16, end);
        final ExpandableArrayBuffer second = new ExpandableArrayBuffer();
        assertEquals(end, restored.snapshot(second, 16));
        assertArrayEquals(bytes(first, end), bytes(second, end));

        // The oldest responses were replaced: a repeat of id 2 is recognised but has no answer; id 20 is answered.
        assertTrue(restored.isDuplicate(2, 2, resender));
        assertTrue(restored.isDuplicate(2, 20, resender));
        assertEquals(List.of("2:20"), resent);
    }

    private static DirectBuffer response(final long correlationId)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        buffer.putLong(MessageHeaderDecoder.ENCODED_LENGTH, correlationId, ByteOrder.LITTLE_ENDIAN);
        return buffer;
    }

    private static byte[] bytes(final DirectBuffer buffer, final int end)
    {
        final byte[] copy = new byte[end];
        buffer.getBytes(0, copy);
        return copy;
    }
}
