package io.spindle.cluster;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.aeron.Aeron;
import io.aeron.AeronCounters;
import io.aeron.CncFileDescriptor;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveCounters;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.service.ClusterCounters;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.status.SystemCounterDescriptor;
import io.spindle.driver.DriverDirectory;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;

/**
 * A member's media driver, archive and consensus module, composed as Aeron's {@code ClusteredMediaDriver} composes
 * them, except that a media driver already running in the member's driver directory is used (and left running on
 * close) instead of starting one there. On a running driver, the archive and consensus module of a member that
 * stopped without closing (killed) hold their ids until the driver times their client out: the launch waits for that.
 */
final class MemberDriver implements AutoCloseable
{
    private final MediaDriver driver;
    private final Archive archive;
    private final ConsensusModule consensusModule;

    private MemberDriver(final MediaDriver driver, final Archive archive, final ConsensusModule consensusModule)
    {
        this.driver = driver;
        this.archive = archive;
        this.consensusModule = consensusModule;
    }

    /**
     * Launch the archive and the consensus module on the driver running in {@code driverCtx}'s directory, or on a
     * driver started there from {@code driverCtx} when none runs.
     *
     * @param driverCtx          of the driver to start if none runs; its directory is the member's.
     * @param archiveCtx         of the archive.
     * @param consensusModuleCtx of the consensus module.
     * @return the running parts.
     */
    static MemberDriver launch(
        final MediaDriver.Context driverCtx,
        final Archive.Context archiveCtx,
        final ConsensusModule.Context consensusModuleCtx)
    {
        final String aeronDir = driverCtx.aeronDirectoryName();
        final File dir = new File(aeronDir);
        MediaDriver driver = null;
        Archive archive = null;
        ConsensusModule consensusModule = null;
        try
        {
            if (!DriverDirectory.isDriverRunning(dir))
            {
                if (DriverDirectory.isDead(DriverDirectory.ownerPid(dir)))
                {
                    // Left by a driver killed a moment ago: its heartbeat still looks fresh to a new driver.
                    IoUtil.delete(dir, true);
                }
                driver = MediaDriver.launch(driverCtx);
                archiveCtx
                    .mediaDriverAgentInvoker(driver.sharedAgentInvoker())
                    .errorHandler(null != archiveCtx.errorHandler() ? archiveCtx.errorHandler() :
                        driverCtx.errorHandler())
                    .errorCounter(null != archiveCtx.errorCounter() ? archiveCtx.errorCounter() :
                        new AtomicCounter(driverCtx.countersValuesBuffer(), SystemCounterDescriptor.ERRORS.id()));
            }
            else
            {
                awaitIdsFree(dir, archiveCtx.archiveId(), consensusModuleCtx.clusterId());
            }
            archive = Archive.launch(archiveCtx.aeronDirectoryName(aeronDir));
            consensusModule = ConsensusModule.launch(consensusModuleCtx.aeronDirectoryName(aeronDir));
            return new MemberDriver(driver, archive, consensusModule);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(consensusModule, archive, driver);
            throw ex;
        }
    }

    /**
     * Wait, bounded, until the running driver in {@code aeronDir} no longer serves an archive or consensus module
     * with these ids (those of a member killed a moment ago, until the driver times its clients out).
     */
    static void awaitIdsFree(final File aeronDir, final long archiveId, final int clusterId)
    {
        final MappedByteBuffer cnc = IoUtil.mapExistingFile(new File(aeronDir, CncFileDescriptor.CNC_FILE), "cnc");
        try
        {
            final DirectBuffer metaData = CncFileDescriptor.createMetaDataBuffer(cnc);
            final CountersReader counters = new CountersReader(
                CncFileDescriptor.createCountersMetaDataBuffer(cnc, metaData),
                CncFileDescriptor.createCountersValuesBuffer(cnc, metaData));
            final long timeoutNs = CncFileDescriptor.clientLivenessTimeoutNs(metaData) + TimeUnit.SECONDS.toNanos(1);
            final long deadlineNs = System.nanoTime() + timeoutNs;
            while (Aeron.NULL_VALUE != ArchiveCounters.find(counters, AeronCounters.ARCHIVE_ERROR_COUNT_TYPE_ID,
                archiveId) || Aeron.NULL_VALUE != ClusterCounters.find(
                counters, ConsensusModule.Configuration.CONSENSUS_MODULE_STATE_TYPE_ID, clusterId))
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("the media driver in " + aeronDir + " still serves the archive " +
                        archiveId + " or consensus module of cluster " + clusterId + " of another member after " +
                        TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms: give this member its own --aeron-dir");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
        finally
        {
            IoUtil.unmap(cnc);
        }
    }

    /**
     * The media driver the member started, null when it uses one that was running.
     *
     * @return the driver or null.
     */
    MediaDriver mediaDriver()
    {
        return driver;
    }

    /**
     * The member's archive.
     *
     * @return the archive.
     */
    Archive archive()
    {
        return archive;
    }

    /**
     * The member's consensus module.
     *
     * @return the consensus module.
     */
    ConsensusModule consensusModule()
    {
        return consensusModule;
    }

    /**
     * Close the consensus module, the archive and the driver if the member started it.
     */
    public void close()
    {
        CloseHelper.closeAll(consensusModule, archive, driver);
    }
}
