/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.config;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The one parser of configuration values: sizes, durations, plain numbers, booleans and choices, from system
 * properties, topic configs and {@code KEY=VALUE} client properties alike.
 * <ul>
 *     <li><b>Sizes</b> in bytes: a number with an optional {@code k}, {@code m}, {@code g} or {@code t} suffix, powers
 *     of 1024, in either case and optionally followed by {@code b} or {@code ib}: {@code 512}, {@code 16k},
 *     {@code 4m}, {@code 1g}, {@code 64KiB}.</li>
 *     <li><b>Durations</b>: a number with an optional {@code ns}, {@code us}, {@code ms}, {@code s}, {@code m} or
 *     {@code min}, {@code h} or {@code d} suffix: {@code 10ms}, {@code 5s}, {@code 2m}, {@code 1h}. A plain number
 *     is in the property's own unit, the one its name ends with ({@code linger.us}: microseconds,
 *     {@code request.timeout.ms}: milliseconds). A value finer than that unit must be a whole number of it:
 *     {@code 1500us} is refused for a milliseconds property rather than cut to {@code 1}.</li>
 *     <li>A bare {@code -1} is passed through for the settings where it means "unlimited" or "not set"; any other
 *     negative value is refused.</li>
 * </ul>
 * A value that is not one of these, or does not fit, is refused with an {@link IllegalArgumentException} whose
 * message names the property and the value: {@code invalid spindle.producer.batch.size=16q: expected a size
 * such as 512, 16k, 4m or 1g}. Nothing falls back to a default silently.
 * <p>
 * Configuration only: none of this is on a hot path.
 */
public final class ConfigValues
{
    private static final String SIZE_EXAMPLES = "a size such as 512, 16k, 4m or 1g";
    private static final String DURATION_EXAMPLES = "a duration such as 10ms, 5s, 2m or 1h";

    private ConfigValues()
    {
    }

    /**
     * Parse a size in bytes.
     *
     * @param name  of the property, for the error message.
     * @param value to parse, e.g. {@code 16k}.
     * @return the size in bytes, or -1 for a bare {@code -1}.
     * @throws IllegalArgumentException naming the property and value if the value is not a size.
     */
    public static long parseSize(final String name, final String value)
    {
        final String s = trimmed(name, value, SIZE_EXAMPLES).toLowerCase(Locale.ROOT);
        int end = s.length();
        if (end > 0 && s.charAt(end - 1) == 'b')
        {
            end--;
            if (end > 0 && s.charAt(end - 1) == 'i')
            {
                end--;
            }
        }

        long multiplier = 1;
        if (end > 0)
        {
            switch (s.charAt(end - 1))
            {
                case 'k': multiplier = 1024L; end--; break;
                case 'm': multiplier = 1024L * 1024; end--; break;
                case 'g': multiplier = 1024L * 1024 * 1024; end--; break;
                case 't': multiplier = 1024L * 1024 * 1024 * 1024; end--; break;
                default: break;
            }
        }

        final long number = number(name, value, s.substring(0, end).trim(), SIZE_EXAMPLES);
        if (number < 0 && (number != -1 || multiplier != 1))
        {
            throw invalid(name, value, "a size must be -1 or at least 0");
        }

        try
        {
            return Math.multiplyExact(number, multiplier);
        }
        catch (final ArithmeticException ex)
        {
            throw invalid(name, value, "size overflows a 64-bit number of bytes");
        }
    }

    /**
     * Parse a size in bytes that must fit an {@code int}.
     *
     * @param name  of the property, for the error message.
     * @param value to parse, e.g. {@code 16k}.
     * @return the size in bytes, or -1 for a bare {@code -1}.
     * @throws IllegalArgumentException naming the property and value if the value is not a size or is 2g or more.
     */
    public static int parseIntSize(final String name, final String value)
    {
        final long size = parseSize(name, value);
        if (size > Integer.MAX_VALUE)
        {
            throw invalid(name, value, "must be at most " + Integer.MAX_VALUE + " bytes (2g - 1)");
        }

        return (int)size;
    }

    /**
     * Parse a duration.
     *
     * @param name  of the property, for the error message.
     * @param value to parse, e.g. {@code 10ms}; a plain number is in {@code unit}.
     * @param unit  the property's unit: of a plain number and of the result.
     * @return the duration in {@code unit}, or -1 for a bare {@code -1}.
     * @throws IllegalArgumentException naming the property and value if the value is not a duration, is not a whole
     *                                  number of {@code unit} or overflows.
     */
    public static long parseDuration(final String name, final String value, final TimeUnit unit)
    {
        final String s = trimmed(name, value, DURATION_EXAMPLES).toLowerCase(Locale.ROOT);
        int digitsEnd = s.length();
        while (digitsEnd > 0 && Character.isLetter(s.charAt(digitsEnd - 1)))
        {
            digitsEnd--;
        }

        final String suffix = s.substring(digitsEnd);
        final TimeUnit given;
        switch (suffix)
        {
            case "": given = unit; break;
            case "ns": given = TimeUnit.NANOSECONDS; break;
            case "us": given = TimeUnit.MICROSECONDS; break;
            case "ms": given = TimeUnit.MILLISECONDS; break;
            case "s": given = TimeUnit.SECONDS; break;
            case "m":
            case "min": given = TimeUnit.MINUTES; break;
            case "h": given = TimeUnit.HOURS; break;
            case "d": given = TimeUnit.DAYS; break;
            default: throw invalid(name, value, "unknown duration unit '" + suffix + "', use ns, us, ms, s, m, h or d");
        }

        final long number = number(name, value, s.substring(0, digitsEnd).trim(), DURATION_EXAMPLES);
        if (number < 0 && (number != -1 || given != unit))
        {
            throw invalid(name, value, "a duration must be -1 or at least 0");
        }

        final long givenNs = given.toNanos(1);
        final long unitNs = unit.toNanos(1);
        if (givenNs >= unitNs)
        {
            try
            {
                return Math.multiplyExact(number, givenNs / unitNs);
            }
            catch (final ArithmeticException ex)
            {
                throw invalid(name, value, "duration overflows a 64-bit number of " + unitName(unit));
            }
        }

        final long ratio = unitNs / givenNs;
        if (number % ratio != 0)
        {
            throw invalid(name, value, "must be a whole number of " + unitName(unit));
        }

        return number / ratio;
    }

    /**
     * Parse a duration that must fit an {@code int}.
     *
     * @param name  of the property, for the error message.
     * @param value to parse, e.g. {@code 10ms}; a plain number is in {@code unit}.
     * @param unit  the property's unit: of a plain number and of the result.
     * @return the duration in {@code unit}, or -1 for a bare {@code -1}.
     * @throws IllegalArgumentException as {@link #parseDuration(String, String, TimeUnit)}, or if it does not fit.
     */
    public static int parseIntDuration(final String name, final String value, final TimeUnit unit)
    {
        final long duration = parseDuration(name, value, unit);
        if (duration > Integer.MAX_VALUE)
        {
            throw invalid(name, value, "must be at most " + Integer.MAX_VALUE + " " + unitName(unit));
        }

        return (int)duration;
    }

    /**
     * Parse a plain whole number, such as a count, a port or an id.
     *
     * @param name  of the property, for the error message.
     * @param value to parse.
     * @return the number.
     * @throws IllegalArgumentException naming the property and value if the value is not an {@code int}.
     */
    public static int parseInt(final String name, final String value)
    {
        final long number = number(name, value, trimmed(name, value, "a whole number"), "a whole number");
        if (number < Integer.MIN_VALUE || number > Integer.MAX_VALUE)
        {
            throw invalid(name, value, "must be between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE);
        }

        return (int)number;
    }

    /**
     * Parse a boolean strictly: {@code true} or {@code false} in any case, nothing else ({@code yes}, {@code 1} or
     * a typo are refused rather than read as false).
     *
     * @param name  of the property, for the error message.
     * @param value to parse.
     * @return the boolean.
     * @throws IllegalArgumentException naming the property and value if it is neither {@code true} nor {@code false}.
     */
    public static boolean parseBoolean(final String name, final String value)
    {
        final String s = trimmed(name, value, "true or false").toLowerCase(Locale.ROOT);
        switch (s)
        {
            case "true": return true;
            case "false": return false;
            default: throw invalid(name, value, "expected true or false");
        }
    }

    /**
     * Parse one of an enum's constants by name, in any case, {@code -} standing for {@code _}.
     *
     * @param name      of the property, for the error message.
     * @param value     to parse, e.g. {@code dedicated}.
     * @param enumClass whose constants are accepted.
     * @param <E>       the enum type.
     * @return the constant.
     * @throws IllegalArgumentException naming the property, the value and every accepted value if it is none of
     *                                  the constants.
     */
    public static <E extends Enum<E>> E parseEnum(final String name, final String value, final Class<E> enumClass)
    {
        return parseEnum(name, value, enumClass.getEnumConstants());
    }

    /**
     * Parse one of some of an enum's constants by name, in any case, {@code -} standing for {@code _}.
     *
     * @param name      of the property, for the error message.
     * @param value     to parse, e.g. {@code read_committed}.
     * @param constants those accepted.
     * @param <E>       the enum type.
     * @return the constant.
     * @throws IllegalArgumentException naming the property, the value and every accepted value if it is none of
     *                                  the constants.
     */
    @SuppressWarnings("unchecked")
    public static <E extends Enum<E>> E parseEnum(final String name, final String value, final E[] constants)
    {
        return (E)parseChoice(name, value, constants);
    }

    /**
     * Parse one of some constants by name, in any case, {@code -} standing for {@code _}: the untyped form of
     * {@link #parseEnum(String, String, Enum[])}.
     *
     * @param name      of the property, for the error message.
     * @param value     to parse.
     * @param constants those accepted.
     * @return the constant.
     * @throws IllegalArgumentException naming the property, the value and every accepted value if it is none of
     *                                  the constants.
     */
    public static Enum<?> parseChoice(final String name, final String value, final Enum<?>[] constants)
    {
        final String s = trimmed(name, value, "one of " + names(constants)).replace('-', '_');
        for (final Enum<?> constant : constants)
        {
            if (constant.name().equalsIgnoreCase(s))
            {
                return constant;
            }
        }

        throw invalid(name, value, "expected one of " + names(constants));
    }

    /**
     * A boolean from a system property, parsed strictly by {@link #parseBoolean(String, String)}.
     *
     * @param property     the system property.
     * @param defaultValue when the property is not set.
     * @return the boolean.
     * @throws IllegalArgumentException naming the property and value if it is set to neither true nor false.
     */
    public static boolean booleanProperty(final String property, final boolean defaultValue)
    {
        final String value = System.getProperty(property);
        return null == value ? defaultValue : parseBoolean(property, value);
    }

    /**
     * An enum constant from a system property, parsed by {@link #parseEnum(String, String, Class)}.
     *
     * @param property     the system property.
     * @param enumClass    whose constants are accepted.
     * @param defaultValue when the property is not set.
     * @param <E>          the enum type.
     * @return the constant.
     * @throws IllegalArgumentException naming the property, the value and the accepted values if it is set to
     *                                  something else.
     */
    public static <E extends Enum<E>> E enumProperty(
        final String property, final Class<E> enumClass, final E defaultValue)
    {
        final String value = System.getProperty(property);
        return null == value ? defaultValue : parseEnum(property, value, enumClass);
    }

    /**
     * Text from a system property, taken as it is: names, paths, addresses.
     *
     * @param property     the system property.
     * @param defaultValue when the property is not set, may be null.
     * @return the value, or the default.
     */
    public static String stringProperty(final String property, final String defaultValue)
    {
        return System.getProperty(property, defaultValue);
    }

    /**
     * A size from a system property.
     *
     * @param property     the system property.
     * @param defaultValue when the property is not set.
     * @return the size in bytes.
     * @throws IllegalArgumentException naming the property and value if it is set to something not a size.
     */
    public static long sizeProperty(final String property, final long defaultValue)
    {
        final String value = System.getProperty(property);
        return null == value ? defaultValue : parseSize(property, value);
    }

    /**
     * A size that must fit an {@code int} from a system property.
     *
     * @param property     the system property.
     * @param defaultValue when the property is not set.
     * @return the size in bytes.
     * @throws IllegalArgumentException naming the property and value if it is set to something not such a size.
     */
    public static int intSizeProperty(final String property, final int defaultValue)
    {
        final String value = System.getProperty(property);
        return null == value ? defaultValue : parseIntSize(property, value);
    }

    /**
     * A duration from a system property.
     *
     * @param property     the system property.
     * @param unit         the property's unit: of a plain number, of the default and of the result.
     * @param defaultValue when the property is not set, in {@code unit}.
     * @return the duration in {@code unit}.
     * @throws IllegalArgumentException naming the property and value if it is set to something not a duration.
     */
    public static long durationProperty(final String property, final TimeUnit unit, final long defaultValue)
    {
        final String value = System.getProperty(property);
        return null == value ? defaultValue : parseDuration(property, value, unit);
    }

    /**
     * A duration that must fit an {@code int} from a system property.
     *
     * @param property     the system property.
     * @param unit         the property's unit: of a plain number, of the default and of the result.
     * @param defaultValue when the property is not set, in {@code unit}.
     * @return the duration in {@code unit}.
     * @throws IllegalArgumentException naming the property and value if it is set to something not such a duration.
     */
    public static int intDurationProperty(final String property, final TimeUnit unit, final int defaultValue)
    {
        final String value = System.getProperty(property);
        return null == value ? defaultValue : parseIntDuration(property, value, unit);
    }

    /**
     * A plain whole number from a system property.
     *
     * @param property     the system property.
     * @param defaultValue when the property is not set.
     * @return the number.
     * @throws IllegalArgumentException naming the property and value if it is set to something not an {@code int}.
     */
    public static int intProperty(final String property, final int defaultValue)
    {
        final String value = System.getProperty(property);
        return null == value ? defaultValue : parseInt(property, value);
    }

    /**
     * The exception for a value a property cannot take, in the form every configuration error here has.
     *
     * @param name   of the property.
     * @param value  as given.
     * @param reason what is wrong, or what was expected.
     * @return {@code invalid NAME=VALUE: REASON}, to throw.
     */
    public static IllegalArgumentException invalid(final String name, final Object value, final String reason)
    {
        return new IllegalArgumentException("invalid " + name + "=" + value + ": " + reason);
    }

    private static String trimmed(final String name, final String value, final String expected)
    {
        if (null == value)
        {
            throw invalid(name, null, "expected " + expected);
        }

        return value.trim();
    }

    private static long number(final String name, final String value, final String digits, final String expected)
    {
        try
        {
            return Long.parseLong(digits);
        }
        catch (final NumberFormatException ex)
        {
            throw invalid(name, value, "expected " + expected);
        }
    }

    private static String names(final Enum<?>[] constants)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < constants.length; i++)
        {
            sb.append(i == 0 ? "" : i == constants.length - 1 ? " or " : ", ").append(constants[i].name());
        }

        return sb.toString();
    }

    private static String unitName(final TimeUnit unit)
    {
        return unit.name().toLowerCase(Locale.ROOT);
    }
}
