package io.spindle.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code spindle version}: the Spindle version and the versions of what it is built on.
 */
@Command(name = "version", mixinStandardHelpOptions = true,
    description = "Print the Spindle version and the Aeron, Agrona and SBE versions it uses.")
public final class VersionCommand implements Runnable
{
    /**
     * Print the version lines.
     */
    public void run()
    {
        for (final String line : versionLines())
        {
            System.out.println(line);
        }
    }

    static String[] versionLines()
    {
        final Properties properties = new Properties();
        try (InputStream in = VersionCommand.class.getResourceAsStream("version.properties"))
        {
            if (null != in)
            {
                properties.load(in);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }

        return new String[]{
            "spindle " + properties.getProperty("spindle.version", "unknown"),
            "aeron " + properties.getProperty("aeron.version", "unknown") +
                ", agrona " + properties.getProperty("agrona.version", "unknown") +
                ", sbe " + properties.getProperty("sbe.version", "unknown"),
            "java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
        };
    }

    /**
     * Supplies {@code spindle --version}.
     */
    public static final class Provider implements CommandLine.IVersionProvider
    {
        /**
         * {@inheritDoc}
         */
        public String[] getVersion()
        {
            return versionLines();
        }
    }
}
