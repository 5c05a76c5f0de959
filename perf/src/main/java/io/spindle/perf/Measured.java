/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

/**
 * What a latency run's main histogram holds, in the words its progress lines, report and interval log use: the end to
 * end latency of messages (every mode but one), or the commit latency of transactions
 * ({@code spindle perf latency --transactional}).
 *
 * @param progressCount what the progress line counts ({@code received}, {@code committed}).
 * @param progressMax   what the progress line's maximum is of.
 * @param label         the percentile line's label, padded to the width of the report's other labels.
 * @param logComment    the interval log's comment line.
 * @param chartSeries   the chart's name for the curve.
 * @param unit          what the rates count, plural.
 */
record Measured(
    String progressCount,
    String progressMax,
    String label,
    String logComment,
    String chartSeries,
    String unit)
{
    /**
     * Messages: intended send time to the receiving callback.
     */
    static final Measured END_TO_END = new Measured(
        "received", "end-to-end",
        "end to end (intended send -> receive)",
        "end to end: intended send time to the receiving callback",
        "end to end (intended send -> receive)",
        "msgs");

    /**
     * Transactions: intended start to {@code commitTransaction} returning.
     */
    static final Measured COMMIT = new Measured(
        "committed", "commit",
        "commit (intended start -> committed) ",
        "commit: a transaction's intended start to commitTransaction returning",
        "commit (intended start -> commitTransaction returned)",
        "transactions");
}
