using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// On a terminal, log lines go through Spectre.Console so they print above the live progress display instead of
/// tearing it (the standard console logger writes from its own thread).
/// </summary>
internal sealed class SpectreLoggerProvider(LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new SpectreLogger(minimum);

    public void Dispose()
    {
    }

    private sealed class SpectreLogger(LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            var (label, colour) = logLevel switch
            {
                >= LogLevel.Error => ("error", "red"),
                LogLevel.Warning => ("warn", "yellow"),
                LogLevel.Information => ("info", "grey"),
                _ => ("debug", "grey"),
            };
            AnsiConsole.MarkupLine($"[{colour}]{DateTime.Now:HH:mm:ss} {label}:[/] {Markup.Escape(formatter(state, exception))}");
        }
    }
}
