package io.spindle.tools;

import picocli.CommandLine.Command;

/**
 * {@code spindle demo}: the main job on the embedded default broker.
 */
@Command(name = "demo", description = "Start an embedded broker, produce and consume over IPC, print throughput and latency.")
public final class DemoCommand implements java.util.concurrent.Callable<Integer>
{
    /**
     * Not available until the single-node broker lands; says so rather than pretending.
     *
     * @return exit code 2: nothing was run.
     */
    public Integer call()
    {
        System.err.println("spindle demo: the embedded broker is not built yet (issue 4); nothing was run.");
        return 2;
    }
}
