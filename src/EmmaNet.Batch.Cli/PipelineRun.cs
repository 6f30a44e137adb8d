using System.Diagnostics;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Pipeline;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>Runs the pipeline for a command under the progress display, reports the outcome and turns it into an exit code.</summary>
internal static class PipelineRun
{
    public static async Task<int> RunAsync(AnalyzePipeline pipeline, IReadOnlyList<VideoInput> videos, int missing, AnalyzeOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var progress = new ConsoleProgress(logger);
        var started = Stopwatch.StartNew();
        IReadOnlyList<VideoOutcome> outcomes;
        try
        {
            outcomes = await progress.RunAsync(() => pipeline.RunAsync(videos, options, progress, cancellationToken));
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Cancelled: finished outputs are kept, unfinished ones were discarded; a re-run resumes");
            return ExitCodes.Cancelled;
        }
        var failed = outcomes.Count(o => o.Status == VideoStatus.Failed) + missing;
        var seconds = started.Elapsed.TotalSeconds;
        var videoSeconds = outcomes.Where(o => o.Status == VideoStatus.Done).Sum(o => o.ProcessedFrames) / Decoding.FrameSampling.FaceStream.RateHz;
        logger.LogInformation(
            "Finished in {Seconds:F1} s ({PerMinute:F1} s per minute of video): {Done} done, {Skipped} skipped, {Failed} failed; peak memory {PeakMiB} MiB",
            seconds,
            videoSeconds > 0 ? seconds * 60 / videoSeconds : 0,
            outcomes.Count(o => o.Status == VideoStatus.Done),
            outcomes.Count(o => o.Status == VideoStatus.Skipped),
            failed,
            PeakMemory.MiB());
        foreach (var failure in outcomes.Where(o => o.Status == VideoStatus.Failed))
        {
            logger.LogError("failed: {Message}", failure.Message);
        }
        return failed > 0 ? ExitCodes.SomeVideosFailed : ExitCodes.Success;
    }
}
