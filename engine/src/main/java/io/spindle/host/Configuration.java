package io.spindle.host;

import org.agrona.SystemUtil;

/**
 * Reads {@code spindle.*} system properties with size ({@code 64k}) and duration ({@code 10ms}) suffixes.
 */
final class Configuration
{
    private Configuration()
    {
    }

    static int size(final String property, final int defaultValue)
    {
        final String value = System.getProperty(property);
        if (null == value)
        {
            return defaultValue;
        }
        final long size = SystemUtil.parseSize(property, value);
        if (size > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(property + " must be below 2g, was " + value);
        }
        return (int)size;
    }

    static long durationNs(final String property, final long defaultValueNs)
    {
        final String value = System.getProperty(property);
        return null == value ? defaultValueNs : SystemUtil.parseDuration(property, value);
    }
}
