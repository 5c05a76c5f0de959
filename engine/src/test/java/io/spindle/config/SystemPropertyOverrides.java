/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.config;

import java.util.HashMap;
import java.util.Map;

/**
 * System properties a test sets, each put back as it was (or cleared, if it was absent) by {@link #restore()}: tests
 * share one JVM, so a property left set changes every test after it.
 */
public final class SystemPropertyOverrides
{
    private final Map<String, String> saved = new HashMap<>();

    /**
     * Set a system property, remembering its value before the first override.
     *
     * @param property the name.
     * @param value    the value to set.
     */
    public void set(final String property, final String value)
    {
        // Not putIfAbsent: a property first absent is saved as null, which putIfAbsent would then overwrite with the
        // value set meanwhile, and restore() would leave it set.
        if (!saved.containsKey(property))
        {
            saved.put(property, System.getProperty(property));
        }
        System.setProperty(property, value);
    }

    /**
     * Put every overridden property back as it was before its first override.
     */
    public void restore()
    {
        for (final Map.Entry<String, String> entry : saved.entrySet())
        {
            if (null == entry.getValue())
            {
                System.clearProperty(entry.getKey());
            }
            else
            {
                System.setProperty(entry.getKey(), entry.getValue());
            }
        }
        saved.clear();
    }
}
