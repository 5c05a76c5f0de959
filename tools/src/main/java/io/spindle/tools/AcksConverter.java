package io.spindle.tools;

import io.spindle.client.ClientProperties;
import picocli.CommandLine;

/**
 * Every {@code --acks} option of the command line, {@code spindle produce}'s and {@code spindle perf}'s alike: takes
 * {@code 0}, {@code 1}, {@code -1} or {@code all} (in any case), as the {@code acks} property does, and refuses
 * anything else as a usage error naming the option.
 */
public final class AcksConverter implements CommandLine.ITypeConverter<Integer>
{
    /**
     * Convert the option's text.
     *
     * @param value as typed.
     * @return 0, 1 or -1 (all).
     * @throws CommandLine.TypeConversionException saying what the option takes.
     */
    public Integer convert(final String value)
    {
        try
        {
            return ClientProperties.parseAcks("--acks", value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.TypeConversionException("0, 1, -1 or all, was '" + value + "'");
        }
    }
}
