/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.spindle.archive.TierConfiguration;
import io.spindle.client.ClientConfiguration;
import io.spindle.client.ClientProperties;
import io.spindle.client.ConsumerConfiguration;
import io.spindle.client.ProducerConfiguration;
import io.spindle.cluster.NodeConfiguration;
import io.spindle.config.ConfigProperty;
import io.spindle.host.BrokerConfiguration;
import io.spindle.log.LogConfig;
import io.spindle.log.StorageConfiguration;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's configuration table and the code agree: every {@code spindle.*} property a component's
 * {@code Configuration} class declares (the registry, {@link ConfigProperty#declaredIn(Class)}), and every
 * {@code spindle.log.<key>} topic default of {@link LogConfig}, has a row; every row names a property the code
 * reads; and a default the table shows as a literal ({@code `16m`}) is the code's default, compared as the property
 * parses it. Two source scans back the registry: no {@code spindle.*} property is read past it, and the perf
 * harness's own properties (outside this module's class path) are the table's too.
 */
class ConfigurationTableTest
{
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern CODE = Pattern.compile("`([^`]*)`");
    private static final Pattern DIRECT_READ = Pattern.compile(
        "(System\\.getProperty|Boolean\\.getBoolean|Integer\\.getInteger|Long\\.getLong)\\(\\s*\"spindle\\.");
    private static final Pattern PROPERTY_READ = Pattern.compile(
        "ConfigValues\\.[a-zA-Z]+Property\\(\\s*\"(spindle\\.[^\"]+)\"");
    private static final List<Class<?>> CONFIGURATIONS = List.of(
        BrokerConfiguration.class, StorageConfiguration.class, ClientConfiguration.class, ProducerConfiguration.class,
        ConsumerConfiguration.class, NodeConfiguration.class, CliConfiguration.class,
        TierConfiguration.class);

    @Test
    void everyPropertyTheCodeReadsHasARowAndEveryRowIsAPropertyTheCodeReads() throws IOException
    {
        final Map<String, String> table = table();
        final Map<String, ConfigProperty> registry = registry();
        final TreeSet<String> code = new TreeSet<>(registry.keySet());
        code.addAll(logDefaults().keySet());
        code.addAll(perfProperties());

        final TreeSet<String> undocumented = new TreeSet<>(code);
        undocumented.removeAll(table.keySet());
        // The table gives the topic-config keys one row each; their spindle.log.<key> defaults are said once.
        undocumented.removeIf((name) -> name.startsWith(LogConfig.Configuration.PROPERTY_PREFIX) &&
            table.containsKey(name.substring(LogConfig.Configuration.PROPERTY_PREFIX.length())));
        final TreeSet<String> unread = new TreeSet<>(table.keySet());
        unread.removeAll(code);
        unread.removeIf((name) -> !name.startsWith("spindle.") && logDefaults().containsKey("spindle.log." + name));

        assertEquals(new TreeSet<>(), undocumented, "read by the code, missing from README.md's table");
        assertEquals(new TreeSet<>(), unread, "in README.md's table, read by no code");
    }

    @Test
    void theDefaultsTheTableShowsAreTheCodesDefaults() throws IOException
    {
        final Map<String, String> table = table();
        final Map<String, ConfigProperty> registry = registry();
        final List<String> wrong = new ArrayList<>();
        int compared = 0;
        for (final Map.Entry<String, String> row : table.entrySet())
        {
            final String name = row.getKey();
            final String shown = row.getValue();
            final ConfigProperty property = registry.get(name);
            if (null != property)
            {
                if (property.isDerivedDefault())
                {
                    continue;
                }
                if (null == property.defaultValue())
                {
                    if (!"unset".equals(shown))
                    {
                        wrong.add(name + ": the code leaves it unset, the table shows " + shown);
                    }
                    continue;
                }
                compared++;
                final String literal = literal(shown);
                if (null == literal || !property.parse(property.defaultValue()).equals(property.parse(literal)))
                {
                    wrong.add(name + ": the code's default is " + property.defaultValue() + ", the table shows " +
                        shown);
                }
                continue;
            }

            final String key = name.startsWith(LogConfig.Configuration.PROPERTY_PREFIX) ?
                name.substring(LogConfig.Configuration.PROPERTY_PREFIX.length()) : name;
            if (LogConfig.isLogConfig(key))
            {
                compared++;
                final String builtIn = LogConfig.Configuration.builtInValue(key);
                final String literal = "max long".equals(shown) ? Long.toString(Long.MAX_VALUE) : literal(shown);
                if (null == literal || !normalised(key, builtIn).equals(normalised(key, literal)))
                {
                    wrong.add(name + ": the code's default is " + builtIn + ", the table shows " + shown);
                }
            }
        }

        assertEquals(List.of(), wrong);
        assertTrue(compared > 50, "too few defaults compared: " + compared);
    }

    @Test
    void noSpindlePropertyIsReadPastTheRegistry() throws IOException
    {
        final List<String> direct = new ArrayList<>();
        for (final Path source : mainSources())
        {
            final String text = Files.readString(source, StandardCharsets.UTF_8);
            if (DIRECT_READ.matcher(text).find())
            {
                direct.add(ROOT.relativize(source).toString());
            }
            final Matcher read = PROPERTY_READ.matcher(text);
            while (read.find())
            {
                if (!source.startsWith(ROOT.resolve("perf")))
                {
                    direct.add(ROOT.relativize(source) + " reads " + read.group(1) + " outside a Configuration");
                }
            }
        }

        assertEquals(List.of(), direct, "spindle.* properties read directly, not through a Configuration's " +
            "ConfigProperty (so neither validated the same way nor listed for the README check)");
    }

    @Test
    void clientPropertiesTakeTheSameSpindleNamesAsTheSystemProperties()
    {
        final Map<String, ConfigProperty> registry = registry();
        final List<String> names = new ArrayList<>(ClientProperties.producerKeys());
        names.addAll(ClientProperties.consumerKeys());
        for (final String name : names)
        {
            if (name.startsWith("spindle."))
            {
                assertTrue(registry.containsKey(name), () -> "ClientProperties takes " + name +
                    ", which no client Configuration declares");
            }
        }
        for (final Class<?> configuration : List.<Class<?>>of(
            ClientConfiguration.class, ProducerConfiguration.class, ConsumerConfiguration.class))
        {
            for (final ConfigProperty property : ConfigProperty.declaredIn(configuration))
            {
                assertTrue(names.contains(property.name()), () -> property.name() + " is a system property " +
                    "that --property and ClientProperties do not take");
            }
        }
    }

    private static Map<String, ConfigProperty> registry()
    {
        final Map<String, ConfigProperty> registry = new LinkedHashMap<>();
        for (final Class<?> configuration : CONFIGURATIONS)
        {
            for (final ConfigProperty property : ConfigProperty.declaredIn(configuration))
            {
                registry.put(property.name(), property);
            }
        }
        return registry;
    }

    private static Map<String, String> logDefaults()
    {
        final Map<String, String> defaults = new LinkedHashMap<>();
        for (final String key : new LogConfig().toMap().keySet())
        {
            defaults.put(LogConfig.Configuration.PROPERTY_PREFIX + key, LogConfig.Configuration.builtInValue(key));
        }
        return defaults;
    }

    private static String normalised(final String key, final String value)
    {
        return new LogConfig().set(key, value).toMap().get(key);
    }

    private static List<String> perfProperties() throws IOException
    {
        final List<String> names = new ArrayList<>();
        for (final Path source : mainSources())
        {
            if (source.startsWith(ROOT.resolve("perf")))
            {
                final Matcher read = PROPERTY_READ.matcher(Files.readString(source, StandardCharsets.UTF_8));
                while (read.find())
                {
                    names.add(read.group(1));
                }
            }
        }
        assertTrue(!names.isEmpty(), "found no perf property: has the scan gone stale?");
        return names;
    }

    private static List<Path> mainSources() throws IOException
    {
        final List<Path> sources = new ArrayList<>();
        for (final String module : List.of("engine", "archive", "cluster-service", "tools", "perf"))
        {
            final Path main = ROOT.resolve(module).resolve("src/main/java");
            if (Files.isDirectory(main))
            {
                try (Stream<Path> files = Files.walk(main))
                {
                    files.filter((p) -> p.toString().endsWith(".java")).forEach(sources::add);
                }
            }
        }
        assertTrue(sources.size() > 100, "found too few sources under " + ROOT);
        return sources;
    }

    /**
     * The table's rows: property (or topic-config key) to the default shown for it, as written. A row naming several
     * properties, {@code `a`, `b` | `1`, `2`}, gives each its own default; a Kafka alias in parentheses is not a
     * property.
     */
    private static Map<String, String> table() throws IOException
    {
        final List<String> lines = Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        final int start = lines.indexOf("## Configuration");
        assertTrue(start >= 0, "README.md has no '## Configuration' section");
        final Map<String, String> table = new LinkedHashMap<>();
        for (int i = start + 1; i < lines.size() && !lines.get(i).startsWith("#"); i++)
        {
            final String line = lines.get(i);
            if (!line.startsWith("| `"))
            {
                continue;
            }
            final String[] cells = line.split("\\s*\\|\\s*");
            final List<String> names = new ArrayList<>();
            final Matcher name = CODE.matcher(cells[1].replaceAll("\\([^)]*\\)", ""));
            while (name.find())
            {
                names.add(name.group(1));
            }
            final String defaults = cells[2].trim();
            final String[] parts = names.size() > 1 ? defaults.split(",\\s*") : new String[]{ defaults };
            assertEquals(names.size(), parts.length, () -> "row names " + names + " but shows defaults " + defaults);
            for (int n = 0; n < names.size(); n++)
            {
                assertTrue(null == table.put(names.get(n), parts[n].trim()), "two rows for " + names.get(n));
            }
        }
        assertTrue(table.size() > 60, "read too few rows: " + table.keySet());
        return table;
    }

    private static String literal(final String shown)
    {
        final Matcher code = CODE.matcher(shown);
        return code.matches() ? code.group(1) : null;
    }
}
