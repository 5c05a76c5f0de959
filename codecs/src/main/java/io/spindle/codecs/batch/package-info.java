/*
 * Copyright 2026 Spindle contributors.
 */

/**
 * The record-batch format: the unit producers send, the log stores and consumers fetch, byte for byte.
 * <p>
 * {@link io.spindle.codecs.batch.RecordBatchBuilder} writes a batch,
 * {@link io.spindle.codecs.batch.RecordBatchValidator} checks untrusted bytes, {@link io.spindle.codecs.batch.RecordBatchFlyweight} reads the header and sets the broker's
 * fields in place, and {@link io.spindle.codecs.batch.RecordFlyweight} walks the records without copying. The layout
 * is documented on {@link io.spindle.codecs.batch.RecordBatchFlyweight} and in {@code codecs/README.md}.
 */
package io.spindle.codecs.batch;
