using System.CommandLine;
using System.Globalization;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// Range checks on numeric options, done by the parser: a value out of range is a parse error (exit 2, one line
/// naming the option, the value and the range; Program.cs), never an exception or a hang further in.
/// </summary>
internal static class OptionChecks
{
    /// <summary>The option's value, or false when it did not even convert (the parser reports that error itself).</summary>
    public static bool TryValue<T>(this System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    public static Option<int> AtLeast(this Option<int> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            if (result.TryValue<int>(out var value) && value < minimum)
            {
                result.AddError($"{option.Name} must be at least {minimum} (got {value})");
            }
        });
        return option;
    }

    /// <summary>A value in [<paramref name="minimum"/>, <paramref name="maximum"/>], or above the minimum only when <paramref name="minimumIncluded"/> is false.</summary>
    public static Option<double> Within(this Option<double> option, double minimum, double maximum = double.PositiveInfinity, bool minimumIncluded = true)
    {
        option.Validators.Add(result =>
        {
            if (!result.TryValue<double>(out var value))
            {
                return;
            }
            var low = minimumIncluded ? value >= minimum : value > minimum;
            if (!low || !(value <= maximum) || double.IsNaN(value))
            {
                var range = double.IsPositiveInfinity(maximum)
                    ? (minimumIncluded ? $"at least {minimum}" : $"above {minimum}")
                    : $"{(minimumIncluded ? "from" : "above")} {minimum} to {maximum}";
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be {range} (got {value})"));
            }
        });
        return option;
    }

    public static Option<string> NotBlank(this Option<string> option)
    {
        option.Validators.Add(result =>
        {
            if (result.TryValue<string>(out var value) && string.IsNullOrWhiteSpace(value))
            {
                result.AddError($"{option.Name} must not be empty");
            }
        });
        return option;
    }
}
