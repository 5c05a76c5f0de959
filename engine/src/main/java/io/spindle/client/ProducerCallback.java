package io.spindle.client;

import io.spindle.codecs.protocol.ErrorCode;

/**
 * Told once per record how its send ended; runs on the thread that owns the {@link Producer}, during
 * {@code send}, {@code poll}, {@code flush} or {@code close}.
 * <p>
 * It runs inside the producer's own work, so it must not call the producer: {@code send}, {@code sendSync},
 * {@code sendAsync}, {@code poll} and {@code flush} called from a callback throw {@link IllegalStateException}. A record
 * to send because of an answer (a follow-up, a retry elsewhere) is handed to the code that calls {@code send} or
 * {@code poll}, and sent from there.
 */
@FunctionalInterface
public interface ProducerCallback
{
    /**
     * A record's send completed.
     *
     * @param partition the partition it went to.
     * @param offset    its offset, or -1 when it failed or was sent with {@code acks=0}.
     * @param errorCode {@link ErrorCode#NONE} on success, else why it failed.
     */
    void onCompletion(int partition, long offset, ErrorCode errorCode);
}
