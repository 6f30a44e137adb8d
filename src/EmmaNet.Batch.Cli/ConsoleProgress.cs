using System.Collections.Concurrent;
using EmmaNet.Batch.Pipeline;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// Progress for <c>analyze</c>: on a terminal, a live bar per video and one overall (in seconds of video);
/// otherwise (cron, CI, pipes) a plain log line when each video starts and ends.
/// </summary>
internal sealed class ConsoleProgress(ILogger logger) : IAnalyzeProgress
{
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
        logger.LogInformation("Analysing {Count} video(s)", jobs.Count);
    }

    public void VideoStarted(VideoJob job)
    {
        if (job.RedoReason is { } reason)
        {
            // Said even with the live display: a re-run that redoes work must say why.
            logger.LogInformation("{Video}: analysing again: {Reason}", job.Input.Path, reason);
        }
        if (_context is not null)
        {
            _tasks[job] = _context.AddTask(Markup.Escape(job.Input.VideoId), maxValue: 1);
        }
        else
        {
            logger.LogInformation("{Video}: started", job.Input.Path);
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
        foreach (var warning in outcome.Warnings)
        {
            logger.LogWarning("{Video}: {Warning}", outcome.Input.Path, warning);
        }
        switch (outcome.Status)
        {
            case VideoStatus.Done:
                logger.LogInformation("{Video}: done, {Frames} frames, {Faces} faces{Summary} -> {Output}", outcome.Input.Path, outcome.ProcessedFrames, outcome.Faces, outcome.Summary is null ? "" : ", " + outcome.Summary, outcome.OutputPath);
                break;
            case VideoStatus.Skipped:
                logger.LogInformation("{Video}: skipped, output already complete ({Output})", outcome.Input.Path, outcome.OutputPath);
                break;
            default:
                logger.LogError("{Message}", outcome.Message);
                break;
        }
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
