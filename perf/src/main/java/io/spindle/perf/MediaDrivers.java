/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.perf;

import java.util.UUID;

import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.spindle.driver.SchedulerSlice;
import io.spindle.host.BrokerConfiguration;

/**
 * Media drivers started by the perf commands: the baseline's, and the clients' own for UDP runs. They are configured
 * as {@code io.spindle.host.StandaloneBroker} configures its embedded driver (threading mode and idle strategy from
 * the flags, no async executor, the same term lengths and properties), so a Spindle run and its baseline differ only
 * by Spindle. Keep the two in step when the broker's driver settings change.
 */
final class MediaDrivers
{
    private MediaDrivers()
    {
    }

    /**
     * A unique directory for a driver, next to Aeron's default one (on {@code /dev/shm} on Linux).
     *
     * @param role a word naming the driver's role.
     * @return the directory name.
     */
    static String uniqueDirectory(final String role)
    {
        return CommonContext.getAeronDirectoryName() + "-spindle-perf-" + role + "-" +
            UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Launch a driver the way the broker launches its embedded one.
     *
     * @param directory where the driver lives; deleted on start and on close.
     * @param env       threading mode and idle strategy.
     * @return the running driver.
     */
    static MediaDriver launch(final String directory, final EnvironmentOptions env)
    {
        final String idle = env.driverIdle;
        return MediaDriver.launch(SchedulerSlice.driverThreads(new MediaDriver.Context(), env.schedulerSliceNs())
            .aeronDirectoryName(directory)
            .threadingMode(ThreadingMode.INVOKER == env.driverThreadingMode() ?
                ThreadingMode.SHARED : env.driverThreadingMode())
            .sharedIdleStrategy(EnvironmentOptions.idleStrategy(idle))
            .conductorIdleStrategy(EnvironmentOptions.idleStrategy(idle))
            .senderIdleStrategy(EnvironmentOptions.idleStrategy(idle))
            .receiverIdleStrategy(EnvironmentOptions.idleStrategy(idle))
            .asyncExecutorEnabled(false)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .ipcTermBufferLength(BrokerConfiguration.IPC_TERM_LENGTH.intSize())
            .ipcMtuLength(BrokerConfiguration.effectiveIpcMtuLength(
                BrokerConfiguration.IPC_MTU_LENGTH.intSize(), BrokerConfiguration.IPC_TERM_LENGTH.intSize()))
            .publicationTermBufferLength(BrokerConfiguration.UDP_TERM_LENGTH.intSize())
            .spiesSimulateConnection(true));
    }

}
