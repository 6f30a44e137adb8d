using System.CommandLine;
using System.Globalization;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// Checks on option values, done by the parser: a bad value is a parse error (exit 2, one line naming the option, the
/// value and what it must be; Program.cs), never an exception or a hang further in.
/// </summary>
internal static class OptionChecks
{
    /// <summary>A parse error when <paramref name="problem"/> finds one in the value; none when the value did not even convert (the parser reports that itself).</summary>
    public static Option<T> Must<T>(this Option<T> option, Func<T, string?> problem)
    {
        option.Validators.Add(result =>
        {
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return;
            }
            if (problem(value) is { } message)
            {
                result.AddError(message);
            }
        });
        return option;
    }

    public static Option<int> AtLeast(this Option<int> option, int minimum) =>
        option.Must(value => value < minimum ? $"{option.Name} must be at least {minimum} (got {value})" : null);

    /// <summary>A value in [<paramref name="minimum"/>, <paramref name="maximum"/>], or above the minimum only when <paramref name="minimumIncluded"/> is false.</summary>
    public static Option<double> Within(this Option<double> option, double minimum, double maximum = double.PositiveInfinity, bool minimumIncluded = true) =>
        option.Must(value =>
        {
            var low = minimumIncluded ? value >= minimum : value > minimum;
            if (low && value <= maximum && !double.IsNaN(value))
            {
                return null;
            }
            var range = double.IsPositiveInfinity(maximum)
                ? (minimumIncluded ? $"at least {minimum}" : $"above {minimum}")
                : $"{(minimumIncluded ? "from" : "above")} {minimum} to {maximum}";
            return string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be {range} (got {value})");
        });

    public static Option<string> NotBlank(this Option<string> option) =>
        option.Must(value => string.IsNullOrWhiteSpace(value) ? $"{option.Name} must not be empty" : null);
}
