package io.spindle.client;

import io.spindle.codecs.protocol.ErrorCode;

/**
 * Told once per record how its send ended; runs on the thread that owns the {@link Producer}, during
 * {@code send}, {@code poll}, {@code flush} or {@code close}.
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
