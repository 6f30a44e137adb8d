using System.Globalization;
using System.Threading.Channels;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Pipeline;

/// <summary>A video whose features are complete, waiting for the fusion network.</summary>
internal sealed record FusionItem(VideoJob Job, VideoOutcome Outcome, VideoFeatures Features);

/// <summary>
/// The pipeline's last stage when <c>analyze</c> predicts: takes every video waiting, cuts their windows into ONNX
/// Runtime calls of up to <see cref="PredictionOutput.WindowsPerCall"/> windows (a call may hold the end of one video
/// and the start of the next), then writes each video's predictions and attention. Windows are built as calls are
/// filled, so memory holds one call's windows, not a video's.
/// </summary>
internal sealed class FusionStage(PredictionOutput fusion, AnalyzeOptions options, IEnumerable<(string Role, ModelIdentity Model)> extractors)
{
    private readonly List<(string Role, ModelIdentity Model)> _models = [.. extractors, ("fusion", fusion.Model.Model)];

    public async Task RunAsync(ChannelReader<FusionItem> input, Action<VideoOutcome> finished, CancellationToken cancellationToken)
    {
        while (await input.WaitToReadAsync(cancellationToken))
        {
            FaultInjection.At("fusion");
            var ready = new List<FusionItem>();
            while (input.TryRead(out var item))
            {
                ready.Add(item);
            }
            // A video whose features break the window building fails alone; the others' calls go on.
            var failed = new Exception?[ready.Count];
            var series = new FeatureSeries?[ready.Count];
            for (var v = 0; v < ready.Count; v++)
            {
                try
                {
                    series[v] = FeatureSeries.From(ready[v].Features, new Dictionary<string, string>());
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    failed[v] = ex;
                }
            }
            var results = ready.Select(_ => new List<TickResult>()).ToArray();
            var call = new List<(int Video, TickWindow Window)>(fusion.WindowsPerCall);
            void Flush()
            {
                var predictions = fusion.Model.Run(call.Select(c => c.Window.Window).ToList());
                for (var i = 0; i < call.Count; i++)
                {
                    var (video, w) = call[i];
                    results[video].Add(new TickResult(w.Subject, w.Tick, w.FrameIndex, w.Time, w.FirstStep, w.Window.Present, predictions[i]));
                }
                call.Clear();
            }
            for (var v = 0; v < ready.Count; v++)
            {
                if (series[v] is not { } mine)
                {
                    continue;
                }
                // Only building this video's windows is this video's failure; a failing call is the model's, and ends the run.
                using var windows = FeatureWindows.Build(mine, fusion.Model.Steps).GetEnumerator();
                while (true)
                {
                    try
                    {
                        if (!windows.MoveNext())
                        {
                            break;
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        failed[v] = ex;
                        break;
                    }
                    call.Add((v, windows.Current));
                    if (call.Count == fusion.WindowsPerCall)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        Flush();
                    }
                }
            }
            if (call.Count > 0)
            {
                Flush();
            }
            for (var v = 0; v < ready.Count; v++)
            {
                finished(failed[v] is { } error
                    ? Failed(ready[v].Outcome, $"{ready[v].Job.Input.Path}: {error.GetType().Name} while fusing: {error.Message}")
                    : await WriteAsync(ready[v], series[v]!, results[v], cancellationToken));
            }
        }
    }

    private static VideoOutcome Failed(VideoOutcome outcome, string message) => outcome with { Status = VideoStatus.Failed, OutputPath = null, Message = message };

    private async Task<VideoOutcome> WriteAsync(FusionItem item, FeatureSeries series, List<TickResult> ticks, CancellationToken cancellationToken)
    {
        var job = item.Job;
        var frames = FrameLabels.Hold(series.TickFrames, ticks, item.Features.FrameCount, wholeVideo: options.Features!.Subject != Faces.SubjectChoice.All).ToList();
        var inv = CultureInfo.InvariantCulture;
        var metadata = OutputMetadata.For(PredictionTables.PredictionsSchema, job.Input.VideoId, job.Media!, _models);
        AnalyzePipeline.PredictionsIdentity(job.Fingerprint, _models, options.Features!.Subject).AddTo(metadata);
        job.AddCompletenessTo(metadata);
        FeatureTables.AddSubjects(metadata, options.Features!.Subject, item.Features);
        metadata[OutputMetadata.Prefix + "fusion.variant"] = fusion.Model.Variant;
        metadata[OutputMetadata.Prefix + "fusion.steps"] = fusion.Model.Steps.ToString(inv);
        metadata[OutputMetadata.Prefix + "fusion.classes"] = string.Join(",", fusion.Model.Classes);
        metadata[OutputMetadata.Prefix + "fusion.training"] = fusion.Model.Training;
        try
        {
            await PredictionTables.WriteAsync(options.OutputFolder, job.Input.OutputStem, job.Input.VideoId, fusion.Model.Classes, ticks, frames, metadata, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Failed(item.Outcome, $"{job.Input.Path}: cannot write output {PredictionTables.PredictionsPath(options.OutputFolder, job.Input.OutputStem)}: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failed(item.Outcome, $"{job.Input.Path}: {ex.GetType().Name} while writing predictions: {ex.Message}");
        }
        var diagnostics = new AttentionDiagnostics(fusion.Model.Steps);
        foreach (var tick in ticks)
        {
            diagnostics.Add(tick.Present, tick.Prediction.Attention);
        }
        var summary = $"{item.Features.Subjects.Count} subject(s), {ticks.Count} tick predictions, {frames.Count} frame rows";
        return item.Outcome with { Summary = item.Outcome.Summary is { } s ? $"{s}; {summary}" : summary, Attention = diagnostics.Result() };
    }
}
