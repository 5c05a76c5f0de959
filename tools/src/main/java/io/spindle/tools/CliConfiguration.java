/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import io.spindle.config.ConfigProperty;

/**
 * The command line's own system properties; every command also reads those of the components it runs
 * ({@link io.spindle.host.BrokerConfiguration}, {@link io.spindle.client.ClientConfiguration}, ...).
 */
public final class CliConfiguration
{
    /**
     * Print the stack trace after the one-line error of a failed command.
     */
    public static final ConfigProperty STACK_TRACES = ConfigProperty.bool("spindle.cli.stack.traces", false);

    private CliConfiguration()
    {
    }
}
