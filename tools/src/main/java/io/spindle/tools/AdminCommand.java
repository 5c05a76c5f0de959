package io.spindle.tools;

import java.util.concurrent.Callable;

import io.spindle.client.Admin;
import io.spindle.client.ClientContext;
import io.spindle.client.SpindleException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * A subcommand of {@code topics} or {@code groups}: connects an {@link Admin} to {@code --bootstrap},
 * runs, and turns a refusal into a one-line message on standard error and exit code 1.
 */
abstract class AdminCommand implements Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"--bootstrap", "--bootstrap-server"}, required = true,
        description = "ipc, or HOST:PORT of the broker.")
    String bootstrap;

    @CommandLine.Mixin
    AeronDirOption aeronDir;

    /**
     * Connect, run, report.
     *
     * @return the exit code.
     */
    public Integer call()
    {
        final String group = null == spec.parent() ? spec.name() : spec.parent().name();
        try (Admin admin = Admin.connect(
            aeronDir.applyTo(new ClientContext().bootstrap(bootstrap).clientId("spindle-" + group))))
        {
            return run(admin);
        }
        catch (final SpindleException | IllegalArgumentException ex)
        {
            System.err.println("spindle " + group + ": " + ex.getMessage());
            return 1;
        }
    }

    abstract int run(Admin admin);
}
