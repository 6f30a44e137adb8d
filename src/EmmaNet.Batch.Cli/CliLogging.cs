using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>Log lines: through Spectre.Console on a terminal, plain single lines on stderr otherwise (cron, pipes).</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose) => LoggerFactory.Create(builder =>
    {
        var minimum = verbose ? LogLevel.Debug : LogLevel.Information;
        builder.SetMinimumLevel(minimum).AddFilter("Microsoft", LogLevel.Warning);
        if (ConsoleProgress.IsInteractive)
        {
            builder.AddProvider(new SpectreLoggerProvider(minimum));
            return;
        }
        builder
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.IncludeScopes = false;
            });
    });
}
