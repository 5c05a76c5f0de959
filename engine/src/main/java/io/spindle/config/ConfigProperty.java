/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One {@code spindle.*} system property: its name, the kind of value it takes and its default, read through
 * {@link ConfigValues} so that a bad value is refused with {@code invalid NAME=VALUE: reason}.
 * <p>
 * Each component declares its properties as {@code public static final ConfigProperty} fields of one
 * {@code Configuration} class, and its {@code Context} takes its defaults from them; {@link #declaredIn(Class)} lists
 * those fields, which is the registry the README's configuration table is checked against.
 * <p>
 * Configuration only: none of this is on a hot path.
 */
public final class ConfigProperty
{
    /**
     * The kind of value a property takes, which says how it is parsed.
     */
    public enum Kind
    {
        /**
         * Text taken as it is: a name, a path, an address.
         */
        TEXT,

        /**
         * A whole number, {@link ConfigValues#parseInt(String, String)}.
         */
        INT,

        /**
         * A size in bytes, {@link ConfigValues#parseSize(String, String)}.
         */
        SIZE,

        /**
         * A duration in the property's unit, {@link ConfigValues#parseDuration(String, String, TimeUnit)}.
         */
        DURATION,

        /**
         * {@code true} or {@code false}, {@link ConfigValues#parseBoolean(String, String)}.
         */
        BOOLEAN,

        /**
         * One of an enum's constants, {@link ConfigValues#parseEnum(String, String, Class)}.
         */
        CHOICE
    }

    private final String name;
    private final Kind kind;
    private final TimeUnit unit;
    private final Enum<?>[] choices;
    private final String defaultValue;
    private final boolean isDerivedDefault;

    private ConfigProperty(
        final String name,
        final Kind kind,
        final TimeUnit unit,
        final Enum<?>[] choices,
        final String defaultValue,
        final boolean isDerivedDefault)
    {
        if (!name.startsWith("spindle."))
        {
            throw new IllegalArgumentException("a Spindle property is named spindle.*, was " + name);
        }
        this.name = name;
        this.kind = kind;
        this.unit = unit;
        this.choices = choices;
        this.defaultValue = defaultValue;
        this.isDerivedDefault = isDerivedDefault;
    }

    /**
     * A text property.
     *
     * @param name         of the system property.
     * @param defaultValue when it is not set, or null for unset.
     * @return the property.
     */
    public static ConfigProperty text(final String name, final String defaultValue)
    {
        return new ConfigProperty(name, Kind.TEXT, null, null, defaultValue, false);
    }

    /**
     * A whole-number property.
     *
     * @param name         of the system property.
     * @param defaultValue when it is not set.
     * @return the property.
     */
    public static ConfigProperty integer(final String name, final int defaultValue)
    {
        return new ConfigProperty(name, Kind.INT, null, null, Integer.toString(defaultValue), false);
    }

    /**
     * A size property, in bytes.
     *
     * @param name         of the system property.
     * @param defaultValue in bytes when it is not set.
     * @return the property.
     */
    public static ConfigProperty size(final String name, final long defaultValue)
    {
        return new ConfigProperty(name, Kind.SIZE, null, null, Long.toString(defaultValue), false);
    }

    /**
     * A duration property; a plain number is in its unit.
     *
     * @param name         of the system property.
     * @param unit         of a plain number, of the default and of what the readers return.
     * @param defaultValue in {@code unit} when it is not set.
     * @return the property.
     */
    public static ConfigProperty duration(final String name, final TimeUnit unit, final long defaultValue)
    {
        return new ConfigProperty(name, Kind.DURATION, unit, null, Long.toString(defaultValue), false);
    }

    /**
     * A boolean property, {@code true} or {@code false} and nothing else.
     *
     * @param name         of the system property.
     * @param defaultValue when it is not set.
     * @return the property.
     */
    public static ConfigProperty bool(final String name, final boolean defaultValue)
    {
        return new ConfigProperty(name, Kind.BOOLEAN, null, null, Boolean.toString(defaultValue), false);
    }

    /**
     * A property that takes any of an enum's constants, in any case.
     *
     * @param name         of the system property.
     * @param defaultValue when it is not set.
     * @param <E>          the enum type.
     * @return the property.
     */
    public static <E extends Enum<E>> ConfigProperty choice(final String name, final E defaultValue)
    {
        return choice(name, defaultValue, defaultValue.getDeclaringClass().getEnumConstants());
    }

    /**
     * A property that takes one of some of an enum's constants, in any case.
     *
     * @param name         of the system property.
     * @param defaultValue when it is not set.
     * @param accepted     the constants accepted.
     * @param <E>          the enum type.
     * @return the property.
     */
    public static <E extends Enum<E>> ConfigProperty choice(
        final String name, final E defaultValue, final E[] accepted)
    {
        return new ConfigProperty(name, Kind.CHOICE, null, accepted.clone(), defaultValue.name(), false);
    }

    /**
     * The same property, its default marked as worked out from other settings (the README describes it in words)
     * rather than one literal value.
     *
     * @return a new property.
     */
    public ConfigProperty derivedDefault()
    {
        return new ConfigProperty(name, kind, unit, choices, defaultValue, true);
    }

    /**
     * The properties a configuration class declares: its {@code public static final ConfigProperty} fields, in
     * declaration order.
     *
     * @param configurationClass the class.
     * @return the properties.
     */
    public static List<ConfigProperty> declaredIn(final Class<?> configurationClass)
    {
        final List<ConfigProperty> properties = new ArrayList<>();
        for (final Field field : configurationClass.getFields())
        {
            final int modifiers = field.getModifiers();
            if (Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers) && ConfigProperty.class == field.getType())
            {
                try
                {
                    properties.add((ConfigProperty)field.get(null));
                }
                catch (final IllegalAccessException ex)
                {
                    throw new IllegalStateException(ex);
                }
            }
        }

        return properties;
    }

    /**
     * The system property's name.
     *
     * @return the name.
     */
    public String name()
    {
        return name;
    }

    /**
     * The kind of value it takes.
     *
     * @return the kind.
     */
    public Kind kind()
    {
        return kind;
    }

    /**
     * The unit of a duration property.
     *
     * @return the unit, or null when not a duration.
     */
    public TimeUnit unit()
    {
        return unit;
    }

    /**
     * The default, as text.
     *
     * @return the default, or null when the property is unset by default.
     */
    public String defaultValue()
    {
        return defaultValue;
    }

    /**
     * Whether the default is worked out from other settings rather than one literal value (the README then
     * describes it in words).
     *
     * @return true for a derived default.
     */
    public boolean isDerivedDefault()
    {
        return isDerivedDefault;
    }

    /**
     * What the property accepts, for messages and documentation.
     *
     * @return a short description.
     */
    public String accepts()
    {
        switch (kind)
        {
            case INT: return "a whole number";
            case SIZE: return "a size such as 512, 16k, 4m or 1g";
            case DURATION: return "a duration such as 10ms, 5s or 2m (a plain number is in " +
                unit.name().toLowerCase(Locale.ROOT) + ")";
            case BOOLEAN: return "true or false";
            case CHOICE:
            {
                final StringBuilder sb = new StringBuilder("one of");
                for (final Enum<?> constant : choices)
                {
                    sb.append(' ').append(constant.name());
                }
                return sb.toString();
            }
            default: return "text";
        }
    }

    /**
     * Parse a value the way this property is read, to compare values written differently ({@code 16m} and
     * {@code 16777216}).
     *
     * @param value as written.
     * @return a {@link Long} for numbers, sizes and durations (in the property's unit), a {@link Boolean}, the
     * enum constant's name, or the text as it is.
     * @throws IllegalArgumentException naming this property if the value is not one it takes.
     */
    public Object parse(final String value)
    {
        switch (kind)
        {
            case INT: return (long)ConfigValues.parseInt(name, value);
            case SIZE: return ConfigValues.parseSize(name, value);
            case DURATION: return ConfigValues.parseDuration(name, value, unit);
            case BOOLEAN: return ConfigValues.parseBoolean(name, value);
            case CHOICE: return parseChoice(value);
            default: return value;
        }
    }

    /**
     * Whether the system property is set.
     *
     * @return true if set.
     */
    public boolean isSet()
    {
        return null != System.getProperty(name);
    }

    /**
     * The value as text: the system property if set, else the default.
     *
     * @return the value, or null when unset and without a default.
     */
    public String text()
    {
        return ConfigValues.stringProperty(name, defaultValue);
    }

    /**
     * The value of an {@link Kind#INT} property.
     *
     * @return the number.
     * @throws IllegalArgumentException naming the property and value if it is set to something not a number.
     */
    public int integer()
    {
        check(Kind.INT);
        return ConfigValues.intProperty(name, Integer.parseInt(defaultValue));
    }

    /**
     * The value of a {@link Kind#SIZE} property.
     *
     * @return the size in bytes.
     * @throws IllegalArgumentException naming the property and value if it is set to something not a size.
     */
    public long size()
    {
        check(Kind.SIZE);
        return ConfigValues.sizeProperty(name, Long.parseLong(defaultValue));
    }

    /**
     * The value of a {@link Kind#SIZE} property that must fit an {@code int}.
     *
     * @return the size in bytes.
     * @throws IllegalArgumentException naming the property and value if it is set to something not such a size.
     */
    public int intSize()
    {
        check(Kind.SIZE);
        return ConfigValues.intSizeProperty(name, Math.toIntExact(Long.parseLong(defaultValue)));
    }

    /**
     * The value of a {@link Kind#DURATION} property.
     *
     * @return the duration in the property's {@link #unit()}.
     * @throws IllegalArgumentException naming the property and value if it is set to something not a duration.
     */
    public long duration()
    {
        check(Kind.DURATION);
        return ConfigValues.durationProperty(name, unit, Long.parseLong(defaultValue));
    }

    /**
     * The value of a {@link Kind#DURATION} property that must fit an {@code int}.
     *
     * @return the duration in the property's {@link #unit()}.
     * @throws IllegalArgumentException naming the property and value if it is set to something not such a duration.
     */
    public int intDuration()
    {
        check(Kind.DURATION);
        return ConfigValues.intDurationProperty(name, unit, Math.toIntExact(Long.parseLong(defaultValue)));
    }

    /**
     * The value of a {@link Kind#BOOLEAN} property.
     *
     * @return the boolean.
     * @throws IllegalArgumentException naming the property and value if it is set to neither true nor false.
     */
    public boolean bool()
    {
        check(Kind.BOOLEAN);
        return ConfigValues.booleanProperty(name, Boolean.parseBoolean(defaultValue));
    }

    /**
     * The value of a {@link Kind#CHOICE} property.
     *
     * @param enumClass the property's enum.
     * @param <E>       the enum type.
     * @return the constant.
     * @throws IllegalArgumentException naming the property, the value and the accepted values if it is set to
     *                                  something else.
     */
    public <E extends Enum<E>> E choice(final Class<E> enumClass)
    {
        check(Kind.CHOICE);
        if (enumClass != choices[0].getDeclaringClass())
        {
            throw new IllegalStateException(name + " takes " + choices[0].getDeclaringClass().getName() + ", not " +
                enumClass.getName());
        }
        final String value = System.getProperty(name);
        return enumClass.cast(ConfigValues.parseChoice(name, null == value ? defaultValue : value, choices));
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return name + "=" + defaultValue;
    }

    private String parseChoice(final String value)
    {
        return ConfigValues.parseChoice(name, value, choices).name();
    }

    private void check(final Kind expected)
    {
        if (expected != kind)
        {
            throw new IllegalStateException(name + " is a " + kind + " property, not " + expected);
        }
    }
}
