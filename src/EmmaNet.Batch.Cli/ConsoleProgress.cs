using System.Collections.Concurrent;
using EmmaNet.Batch.Pipeline;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// Progress for <c>analyze</c> and <c>extract</c>: on a terminal, a live bar per video and one overall (in seconds of
/// video) beside the log lines; otherwise (cron, CI, pipes) the log lines alone (<see cref="LoggingProgress"/>).
/// </summary>
internal sealed class ConsoleProgress(ILogger logger) : IRunDisplay
{
    private readonly LoggingProgress _log = new(logger, logStarts: !IsInteractive);
    private readonly ConcurrentDictionary<VideoJob, ProgressTask> _tasks = new();
    private ProgressContext? _context;
    private ProgressTask? _overall;
    private int _total;
    private int _finished;

    public static bool IsInteractive => !Console.IsErrorRedirected && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> under a live display when interactive, plainly otherwise.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        if (!IsInteractive)
        {
            return await work();
        }
        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                _context = context;
                _overall = context.AddTask("[bold]all videos[/]", maxValue: 1);
                return await work();
            });
    }

    public void Started(IReadOnlyList<VideoJob> jobs)
    {
        _total = jobs.Count;
        _log.Started(jobs);
    }

    public void VideoStarted(VideoJob job)
    {
        _log.VideoStarted(job);
        if (_context is not null)
        {
            _tasks[job] = _context.AddTask(Markup.Escape(job.Input.VideoId), maxValue: 1);
        }
    }

    public void FrameDone(VideoJob job, double timestamp)
    {
        if (_tasks.TryGetValue(job, out var task) && job.Media is { } media && media.Duration.TotalSeconds > 0)
        {
            task.Value = Math.Min(1, timestamp / media.Duration.TotalSeconds);
        }
    }

    public void VideoFinished(VideoOutcome outcome)
    {
        var done = Interlocked.Increment(ref _finished);
        if (_overall is not null && _total > 0)
        {
            _overall.Value = Math.Min(1, (double)done / _total);
        }
        _log.VideoFinished(outcome);
        foreach (var (job, task) in _tasks)
        {
            if (job.Input == outcome.Input)
            {
                task.Value = task.MaxValue;
                task.StopTask();
            }
        }
    }
}
