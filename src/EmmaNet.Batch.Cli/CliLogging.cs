using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>Plain one-line logs on stderr, so stdout stays for results.</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.IncludeScopes = false;
        })
        .AddFilter("Microsoft", LogLevel.Warning));
}
