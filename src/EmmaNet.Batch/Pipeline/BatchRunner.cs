using System.Diagnostics;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Output;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Pipeline;

/// <summary>How progress is shown while a batch runs: a live display around the run, or plain log lines.</summary>
public interface IRunDisplay : IAnalyzeProgress
{
    Task<T> RunAsync<T>(Func<Task<T>> work);
}

/// <summary>
/// Runs the pipeline over a batch, as <c>analyze</c> and <c>extract</c> do: takes the output folder's lock, keeps the
/// run journal, shows progress, reports the outcome and turns it into an exit code (<see cref="ExitCodes"/>).
/// </summary>
public static class BatchRunner
{
    public static async Task<int> RunAsync(string command, AnalyzePipeline pipeline, BatchRun batch, AnalyzeOptions options, IRunDisplay progress, ILogger logger, CancellationToken cancellationToken)
    {
        RunLock? runLock;
        string holder;
        try
        {
            (runLock, holder) = await RunLock.TryAcquireAsync(options.OutputFolder, batch.Shard, batch.LockWait, cancellationToken);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            logger.LogError("{Folder}: cannot write to the output folder ({Reason})", options.OutputFolder, ex.Message);
            return ExitCodes.CouldNotRun;
        }
        if (runLock is null)
        {
            logger.LogError("{Folder}: another emmanet run is writing here ({Holder}); wait for it (--wait-lock SECONDS) or run later", options.OutputFolder, holder);
            return ExitCodes.OutputLocked;
        }
        using var held = runLock;
        using var journal = new RunJournal(options.OutputFolder, batch.Shard, warning => logger.LogWarning("{Warning}", warning));
        journal.RunStarted(command, batch.Shard, batch.Videos.Count, pipeline.ModelsFor(options));
        batch.Missing.ToList().ForEach(journal.Missing);

        var started = Stopwatch.StartNew();
        IReadOnlyList<VideoOutcome> outcomes;
        var journaling = new JournalingProgress(progress, journal);
        try
        {
            outcomes = await progress.RunAsync(() => pipeline.RunAsync(batch.Videos, options, journaling, cancellationToken));
        }
        catch (OperationCanceledException)
        {
            var (doneSoFar, skippedSoFar, failedSoFar) = journaling.Counts;
            logger.LogWarning("Cancelled after {Done} done, {Skipped} skipped, {Failed} failed: finished outputs are kept, unfinished ones were discarded; a re-run resumes", doneSoFar, skippedSoFar, failedSoFar);
            var unfinished = journaling.JournalUnfinished(batch.Videos, "the run was cancelled before this video finished");
            journal.RunFinished(ExitCodes.Cancelled, doneSoFar, skippedSoFar, failedSoFar + batch.Missing.Count, started.Elapsed.TotalSeconds, unfinished);
            return ExitCodes.Cancelled;
        }
        catch (Exception ex)
        {
            // Per-video failures never get here (each video fails alone); this is the run's own failure.
            logger.LogError("The run stopped: {Type}: {Message} (not about one video; finished outputs are kept, a re-run resumes)", ex.GetType().Name, ex.Message.Split('\n')[0]);
            logger.LogDebug(ex, "The run stopped");
            var (doneSoFar, skippedSoFar, failedSoFar) = journaling.Counts;
            var unfinished = journaling.JournalUnfinished(batch.Videos, $"the run stopped before this video finished: {ex.Message.Split('\n')[0]}");
            journal.RunFinished(ExitCodes.RunFailed, doneSoFar, skippedSoFar, failedSoFar + batch.Missing.Count, started.Elapsed.TotalSeconds, unfinished);
            return ExitCodes.RunFailed;
        }
        var failed = outcomes.Count(o => o.Status == VideoStatus.Failed) + batch.Missing.Count;
        var done = outcomes.Count(o => o.Status == VideoStatus.Done);
        var skipped = outcomes.Count(o => o.Status == VideoStatus.Skipped);
        var seconds = started.Elapsed.TotalSeconds;
        var videoSeconds = outcomes.Where(o => o.Status == VideoStatus.Done).Sum(o => o.VideoSeconds);
        // A rate over less than a second of video says more about start-up than about speed: left out then.
        var rate = videoSeconds >= 1 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ({seconds * 60 / videoSeconds:F1} s per minute of video)") : "";
        logger.LogInformation(
            "Finished in {Seconds:F1} s{Rate}: {Done} done, {Skipped} skipped, {Failed} failed; peak memory {PeakMiB} MiB",
            seconds,
            rate,
            done,
            skipped,
            failed,
            PeakMemory.MiB());
        foreach (var failure in outcomes.Where(o => o.Status == VideoStatus.Failed))
        {
            logger.LogError("failed: {Message}", failure.Message);
        }
        foreach (var missing in batch.Missing)
        {
            logger.LogError("failed: {Path}: file not found", missing);
        }
        var exit = failed > 0 ? ExitCodes.SomeVideosFailed : ExitCodes.Success;
        journal.RunFinished(exit, done, skipped, failed, seconds);
        return exit;
    }
}
