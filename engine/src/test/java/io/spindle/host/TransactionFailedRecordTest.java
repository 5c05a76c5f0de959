/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.host;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.OffsetAndMetadata;
import io.spindle.client.Producer;
import io.spindle.client.SpindleException;
import io.spindle.client.TopicPartition;
import io.spindle.codecs.protocol.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A transaction one of whose records failed (here: its producer was fenced by a newer instance while it sent) reports
 * that as a {@link SpindleException} from every transactional call that needs the transaction, as
 * {@code commitTransaction} does, never as an {@link IllegalStateException} (which means misuse); and the abort that
 * follows tells a fenced producer so.
 */
@Timeout(60)
class TransactionFailedRecordTest
{
    @TempDir
    Path dir;

    private TestBroker broker;

    @BeforeEach
    void start()
    {
        broker = TestBroker.start(dir.resolve("data"));
        try (Admin admin = Admin.connect(broker.udp(new ClientContext())))
        {
            admin.createTopic("out", 2, Map.of());
        }
    }

    @AfterEach
    void stop()
    {
        if (null != broker)
        {
            broker.close();
        }
    }

    @Test
    void aFencedRecordFailsTheTransactionalCallsThatFollowWithSpindleExceptions()
    {
        try (Producer zombie = Producer.connect(broker.udp(new Producer.Context().transactionalId("tx-z"))))
        {
            zombie.initTransactions();
            zombie.beginTransaction();
            zombie.sendSync("out", 0, null, bytes("before"));

            try (Producer successor = Producer.connect(broker.udp(new Producer.Context().transactionalId("tx-z"))))
            {
                successor.initTransactions();
            }

            final AtomicReference<ErrorCode> result = new AtomicReference<>();
            while (Producer.OK != zombie.send("out", 0, null, bytes("after"), (p, offset, code) -> result.set(code)))
            {
                zombie.poll();
            }
            zombie.flush();
            assertNotEquals(ErrorCode.NONE, result.get(), "a fenced producer's record");

            final SpindleException offsets = assertThrows(SpindleException.class, () ->
                zombie.sendOffsetsToTransaction(Map.of(new TopicPartition("in", 0), new OffsetAndMetadata(1)), "g"));
            assertEquals(ErrorCode.INVALID_TXN_STATE, offsets.errorCode(), offsets.getMessage());
            final SpindleException send = assertThrows(SpindleException.class, () ->
                zombie.send("out", 1, null, bytes("elsewhere"), null));
            assertEquals(ErrorCode.INVALID_TXN_STATE, send.errorCode(), send.getMessage());
            assertThrows(SpindleException.class, zombie::commitTransaction);

            final SpindleException abort = assertThrows(SpindleException.class, zombie::abortTransaction);
            assertTrue(List.of(ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH).contains(abort.errorCode()),
                abort.getMessage());
        }
    }

    private static byte[] bytes(final String value)
    {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
