package io.spindle.broker;

import io.spindle.codecs.protocol.ErrorCode;

/**
 * Counts kept by the state machine, written by its thread only; a host copies them to counters.
 */
public final class BrokerStats
{
    /**
     * Requests are counted by template id up to this one; the schema's are all below it.
     */
    public static final int MAX_TEMPLATE_ID = 127;

    private static final ErrorCode[] ERROR_CODES = ErrorCode.values();

    long batchesAppended;
    long corruptBatches;
    long requestErrors;
    long duplicateBatches;
    long recordsAppended;
    long bytesAppended;
    private final long[] requestsByTemplateId = new long[MAX_TEMPLATE_ID + 1];
    private final long[] errorsByCode = new long[ERROR_CODES.length];

    void onRequest(final int templateId)
    {
        if (templateId >= 0 && templateId <= MAX_TEMPLATE_ID)
        {
            requestsByTemplateId[templateId]++;
        }
    }

    void onError(final ErrorCode code)
    {
        requestErrors++;
        errorsByCode[code.ordinal()]++;
    }

    void onAppend(final long records, final int bytes)
    {
        batchesAppended++;
        recordsAppended += records;
        bytesAppended += bytes;
    }

    /**
     * Requests the state machine applied with a template id.
     *
     * @param templateId of the request, 0 to {@link #MAX_TEMPLATE_ID}.
     * @return the count.
     */
    public long requests(final int templateId)
    {
        return requestsByTemplateId[templateId];
    }

    /**
     * Requests or partitions answered with an error code.
     *
     * @param code the error code.
     * @return the count.
     */
    public long errors(final ErrorCode code)
    {
        return errorsByCode[code.ordinal()];
    }

    /**
     * Records appended by produce requests.
     *
     * @return the count.
     */
    public long recordsAppended()
    {
        return recordsAppended;
    }

    /**
     * Bytes of record batches appended by produce requests.
     *
     * @return the count.
     */
    public long bytesAppended()
    {
        return bytesAppended;
    }

    /**
     * Record batches appended.
     *
     * @return the count.
     */
    public long batchesAppended()
    {
        return batchesAppended;
    }

    /**
     * Record batches rejected as corrupt.
     *
     * @return the count.
     */
    public long corruptBatches()
    {
        return corruptBatches;
    }

    /**
     * Requests or partitions answered with an error.
     *
     * @return the count.
     */
    public long requestErrors()
    {
        return requestErrors;
    }

    /**
     * Batches of idempotent producers that were appended before and were answered with their first offset instead
     * of being appended again.
     *
     * @return the count.
     */
    public long duplicateBatches()
    {
        return duplicateBatches;
    }
}
