using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// A run's progress as log lines: how many videos, why a video is analysed again, each video's start (unless a live
/// display shows it: <paramref name="logStarts"/> false), its warnings and how it ended.
/// </summary>
public sealed class LoggingProgress(ILogger logger, bool logStarts = true) : IAnalyzeProgress
{
    public void Started(IReadOnlyList<VideoJob> jobs) => logger.LogInformation("Analysing {Count} video(s)", jobs.Count);

    public void VideoStarted(VideoJob job)
    {
        if (job.RedoReason is { } reason)
        {
            // Said even with a live display: a re-run that redoes work must say why.
            logger.LogInformation("{Video}: analysing again: {Reason}", job.Input.Path, reason);
        }
        if (logStarts)
        {
            logger.LogInformation("{Video}: started", job.Input.Path);
        }
    }

    public void FrameDone(VideoJob job, double timestamp)
    {
    }

    public void VideoFinished(VideoOutcome outcome)
    {
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
    }
}
