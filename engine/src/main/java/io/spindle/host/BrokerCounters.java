package io.spindle.host;

import io.aeron.Aeron;
import io.aeron.Counter;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The broker's counters, allocated in the media driver's counters file so that any tool reading
 * {@code cnc.dat} (AeronStat, {@code spindle stats}) sees them live.
 */
public final class BrokerCounters implements AutoCloseable
{
    /**
     * Type id of every Spindle broker counter in the driver's counters file.
     */
    public static final int SPINDLE_COUNTER_TYPE_ID = 7413;

    /**
     * Type id of a broker's or member's error count, labelled {@code spindle-<node>: errors, log in <mark file>}, so
     * that {@code spindle errors --aeron-dir} finds the error logs of the components on a driver.
     */
    public static final int ERROR_COUNT_TYPE_ID = 7414;

    /**
     * Type id of a partition's log start, log end or high-water mark counter; its key is the topic id, the partition
     * and {@link #KIND_LOG_START}, {@link #KIND_LOG_END} or {@link #KIND_HIGH_WATER_MARK}, little-endian ints.
     */
    public static final int PARTITION_COUNTER_TYPE_ID = 7415;

    /**
     * Kind of a partition counter: its log start offset.
     */
    public static final int KIND_LOG_START = 0;

    /**
     * Kind of a partition counter: its log end offset.
     */
    public static final int KIND_LOG_END = 1;

    /**
     * Kind of a partition counter: its high-water mark.
     */
    public static final int KIND_HIGH_WATER_MARK = 2;

    /**
     * How a partition counter's label ends, after the partition's name and a space.
     *
     * @param kind {@link #KIND_LOG_START}, {@link #KIND_LOG_END} or {@link #KIND_HIGH_WATER_MARK}.
     * @return the kind's name.
     */
    public static String partitionCounterKindName(final int kind)
    {
        return KIND_LOG_START == kind ? "log start" : KIND_LOG_END == kind ? "log end" : "high-water mark";
    }

    /**
     * What separates the mark file's path from the rest of an error count's label.
     */
    public static final String ERROR_LOG_LABEL_SEPARATOR = ": errors, log in ";

    /**
     * Frames that failed validation: truncated, wrong schema, unknown template, bad lengths.
     */
    public final AtomicCounter malformedRequests;

    /**
     * Requests from images that never opened a session, or whose session was closed.
     */
    public final AtomicCounter requestsWithoutSession;

    /**
     * Sessions opened.
     */
    public final AtomicCounter sessionsOpened;

    /**
     * Sessions closed, for any reason.
     */
    public final AtomicCounter sessionsClosed;

    /**
     * Sessions closed because the client stopped talking.
     */
    public final AtomicCounter sessionsTimedOut;

    /**
     * Responses a session could not take (it was closed).
     */
    public final AtomicCounter responsesDropped;

    /**
     * Requests answered with an error code other than NONE.
     */
    public final AtomicCounter requestErrors;

    /**
     * Record batches rejected as corrupt.
     */
    public final AtomicCounter corruptBatches;

    /**
     * Record batches appended.
     */
    public final AtomicCounter batchesAppended;

    /**
     * Fetch responses sent.
     */
    public final AtomicCounter fetchResponses;

    /**
     * Partition logs that failed on storage (an append or a topic creation answered KAFKA_STORAGE_ERROR).
     */
    public final AtomicCounter storageFailures;

    /**
     * Fetch requests received (long polls and streams).
     */
    public final AtomicCounter fetchRequests;

    /**
     * Offsets served by fetch responses (records, and the control records of transactions).
     */
    public final AtomicCounter fetchRecords;

    /**
     * Bytes of record batches served by fetch responses.
     */
    public final AtomicCounter fetchBytes;

    private final Counter[] all;
    private Counter errorCount;

    /**
     * Allocate the counters through a client of the broker's driver.
     *
     * @param aeron  client of the broker's driver.
     * @param nodeId of the broker, part of each label.
     */
    public BrokerCounters(final Aeron aeron, final int nodeId)
    {
        final String prefix = "spindle-" + nodeId + ": ";
        all = new Counter[]{
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "malformed requests"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "requests without session"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "sessions opened"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "sessions closed"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "sessions timed out"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "responses dropped"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "request errors"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "corrupt batches"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "batches appended"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "fetch responses"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "storage failures"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "fetch requests"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "fetch records"),
            aeron.addCounter(SPINDLE_COUNTER_TYPE_ID, prefix + "fetch bytes"),
        };
        malformedRequests = all[0];
        requestsWithoutSession = all[1];
        sessionsOpened = all[2];
        sessionsClosed = all[3];
        sessionsTimedOut = all[4];
        responsesDropped = all[5];
        requestErrors = all[6];
        corruptBatches = all[7];
        batchesAppended = all[8];
        fetchResponses = all[9];
        storageFailures = all[10];
        fetchRequests = all[11];
        fetchRecords = all[12];
        fetchBytes = all[13];
    }

    /**
     * Allocate the error count of a component whose error log is in a mark file; its owner frees it.
     *
     * @param aeron    client of the component's driver.
     * @param markFile holding the error log.
     * @return the counter.
     */
    public Counter errors(final Aeron aeron, final io.spindle.monitor.SpindleMarkFile markFile)
    {
        final Counter counter = aeron.addCounter(ERROR_COUNT_TYPE_ID, "spindle-" + markFile.nodeId() +
            ERROR_LOG_LABEL_SEPARATOR + markFile.file().getAbsolutePath());
        counter.setRelease(markFile.errorCount());
        errorCount = counter;
        return counter;
    }

    /**
     * Free the counters.
     */
    public void close()
    {
        CloseHelper.closeAll(all);
        CloseHelper.close(errorCount);
    }
}
