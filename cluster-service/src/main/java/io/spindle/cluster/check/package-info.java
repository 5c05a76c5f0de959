/**
 * The replication checker: judges a run against a cluster after the fact, in the style of Jepsen's queue workload.
 * <p>
 * <b>Inputs.</b> A {@link io.spindle.cluster.check.History} of every produce attempt to the checked partitions,
 * recorded from the producers' callbacks (producer, its sequence number, partition, a value unique in the
 * partition, and ACKNOWLEDGED at an offset, FAILED, or IN_DOUBT); the directories of the members, read once they
 * are settled: every member caught up and closed (or at least stopped); and optionally a
 * {@link io.spindle.cluster.check.HighWaterMarkMonitor} fed while the run went on.
 * <p>
 * <b>What a valid {@link io.spindle.cluster.check.CheckResult} guarantees</b>, for the checked partitions:
 * <ul>
 *     <li>every acknowledged record is in every member's log, at the offset it was acknowledged at;</li>
 *     <li>within a partition, each producer's records appear in increasing sequence order (the records found,
 *     that is: in-doubt records may be missing from the sequence);</li>
 *     <li>no value appears twice in a partition's log: an in-doubt record may or may not be there, never twice;</li>
 *     <li>every record in a log was attempted in that partition and not FAILED;</li>
 *     <li>all members' logs of a partition are byte-identical: same log start, log end, segment base offsets, and
 *     the same stored bytes for every batch (offsets, leader epochs, timestamps and CRCs included);</li>
 *     <li>every member's log reads to its end as valid batches with contiguous offsets;</li>
 *     <li>no member's high-water mark of a partition was ever observed lower than before.</li>
 * </ul>
 * <b>What it does not check.</b> It reads the files members leave behind, not what consumers were served: a fetch
 * that returned a record beyond the high-water mark, or missed one, is not seen here. High-water marks are only
 * as good as their sampling: a regression between two samples is missed. Records removed by retention count as
 * lost, so run with retention off (or check before it acts). A producer that loses its session and resends
 * in-doubt records is at-least-once: such a resend is reported as a duplicate, so a test that does this must expect
 * it. Values identify records, so the history must hold every record written to the checked partitions, with
 * values unique per partition. Members are read as they are on disk, without recovery: a member killed and not
 * restarted may leave a torn tail, reported as unreadable. The checker does not compare snapshots, group state or
 * committed offsets.
 * <p>
 * <b>How it reads.</b> Each member's {@code <memberDir>/data/<topic>-<partition>/*.log} segments are mapped
 * read-only and walked with {@link io.spindle.codecs.batch.RecordBatchValidator},
 * {@link io.spindle.codecs.batch.RecordBatchFlyweight} and {@link io.spindle.codecs.batch.RecordFlyweight}; nothing
 * is written, unlike {@code PartitionLog.open}, which records a recovery point, cuts invalid tails and trims the
 * active segment on close. A partition with tiered storage ({@code remote.storage.enable}) is read across both
 * tiers: each member's archived segments below its local log start, named by its manifest in
 * {@code <memberDir>/tier/<topicId>-<partition>/}, are read back from its archive's recording files
 * ({@code <memberDir>/archive}, or {@link io.spindle.cluster.check.ReplicationChecker#tierArchive}), checked against
 * the manifest's length and CRC32C, and walked before the local segments as if they were the log's first segments.
 * Byte-identity then covers the local logs (same local start, end and segments) and every offset range two members
 * hold in either tier; a member whose tier still holds segments the others purged already is not divergent.
 */
package io.spindle.cluster.check;
