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

    public static Task<int> RunAsync(bool verbose, Func<ILogger, Task<int>> action) => RunAsync(() => Create(verbose), action);

    /// <summary>
    /// A command's action with its logging: a bad input it names (a file it cannot read or write, a video or model
    /// that is broken or missing; the message names it) is one error line and exit 2, not a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(Func<ILoggerFactory> startLogging, Func<ILogger, Task<int>> action)
    {
        using var logging = startLogging();
        var logger = logging.CreateLogger("emmanet");
        try
        {
            return await action(logger);
        }
        catch (Exception ex) when (ex is IOException or FormatException or InvalidDataException or UnauthorizedAccessException or Decoding.MediaException or Onnx.ModelException)
        {
            logger.LogError("{Message}", ex.Message);
            return ExitCodes.CouldNotRun;
        }
    }
}
