using System.Threading.Channels;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The pipeline's one writer, at its end: streams each video's face rows into its faces.parquet as they come, and
/// at the video's end completes it and writes the video's feature tables or predictions and attention, then reports
/// how the video ended. A video that failed upstream, or whose writing fails, leaves none of its files half-written.
/// </summary>
internal sealed class WriterStage(AnalyzeOptions options, RunOutputs outputs, FusionModel? fusion)
{
    public async Task RunAsync(ChannelReader<AssembledItem> input, Action<VideoOutcome> finished, CancellationToken cancellationToken)
    {
        var open = new Dictionary<VideoJob, FaceParquetWriter>();
        var failedWhileWriting = new Dictionary<VideoJob, string>();
        try
        {
            await foreach (var item in input.ReadAllAsync(cancellationToken))
            {
                FaultInjection.At("write");
                switch (item)
                {
                    case FaceRows rows when !failedWhileWriting.ContainsKey(rows.Job):
                        try
                        {
                            await AddAsync(rows, open, cancellationToken);
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                        {
                            failedWhileWriting[rows.Job] = CannotWrite(rows.Job, rows.Job.OutputPath, ex);
                            if (open.Remove(rows.Job, out var broken))
                            {
                                await broken.DisposeAsync();
                            }
                        }
                        break;
                    case AssembledVideo video:
                        var faces = open.GetValueOrDefault(video.Job);
                        open.Remove(video.Job);
                        var failure = failedWhileWriting.Remove(video.Job, out var writeFailure) ? writeFailure : video.Failure;
                        finished(await FinishAsync(video, faces, failure, cancellationToken));
                        break;
                }
            }
        }
        finally
        {
            // Cancelled or failed upstream: nothing half-written may stay behind.
            foreach (var faces in open.Values)
            {
                await faces.DisposeAsync();
            }
        }
    }

    private async Task AddAsync(FaceRows rows, Dictionary<VideoJob, FaceParquetWriter> open, CancellationToken cancellationToken)
    {
        if (!open.TryGetValue(rows.Job, out var faces))
        {
            faces = await FaceParquetWriter.CreateAsync(rows.Job.OutputPath, rows.Job.Input.VideoId, outputs.FacesMetadata(rows.Job), cancellationToken);
            open[rows.Job] = faces;
        }
        var (result, media) = (rows.Result, rows.Job.Media!);
        await faces.AddFrameAsync(result.FrameIndex, result.Timestamp, result.Faces, result.Meshes, (float)media.Width / result.Width, (float)media.Height / result.Height, cancellationToken);
    }

    private async Task<VideoOutcome> FinishAsync(AssembledVideo video, FaceParquetWriter? faces, string? failure, CancellationToken cancellationToken)
    {
        var job = video.Job;
        await using var held = faces;
        using var features = video.Features;   // and the features' spill file, whatever happened to the video
        using var predictions = video.Predictions;   // and theirs
        if (failure is not null)
        {
            return Failed(job, failure);
        }
        var path = job.OutputPath;
        try
        {
            if (faces is not null)
            {
                await faces.CompleteAsync(RunOutputs.FacesCompletion(job), cancellationToken);
            }
            var summaries = new List<string>();
            IReadOnlyList<ModalityAttention>? attention = null;
            if (options.WritesFeatureTables && features is not null)
            {
                path = FeatureTables.StepsPath(options.OutputFolder, job.Input.OutputStem, options.Subject);
                var all = features.All();
                await FeatureTables.WriteAsync(options.OutputFolder, job.Input.OutputStem, job.Input.VideoId, options.Subject, all, outputs.FeaturesMetadata(job), cancellationToken);
                summaries.Add($"{all.Subjects.Count} subject(s), {all.Steps.Count} steps, {all.Ticks.Count} ticks");
            }
            if (options.Predicts && features is { } fused && predictions is not null)
            {
                path = PredictionTables.PredictionsPath(options.OutputFolder, job.Input.OutputStem);
                var (rows, diagnostics) = await WritePredictionsAsync(job, fused, predictions, cancellationToken);
                attention = diagnostics;
                summaries.Add($"{fused.Subjects.Count} subject(s), {predictions.Ticks.Count} tick predictions, {rows} frame rows");
            }
            var summary = summaries.Count > 0 ? string.Join("; ", summaries) : null;
            return new VideoOutcome(job.Input, VideoStatus.Done, outputs.MainOutput(job), null, job.Warnings, job.ProcessedFrames, job.Faces, summary)
            {
                VideoSeconds = job.DecodedSeconds,
                Attention = attention,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Failed(job, CannotWrite(job, path, ex));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Failed(job, $"{job.Input.Path}: {ex.GetType().Name} while writing {Path.GetFileName(path)}: {ex.Message}");
        }
    }

    private async Task<(long Rows, IReadOnlyList<ModalityAttention> Attention)> WritePredictionsAsync(VideoJob job, SubjectFeatures features, VideoPredictions predictions, CancellationToken cancellationToken)
    {
        var model = fusion!;
        var frames = FrameLabels.Hold(predictions.TickFrames, predictions.Ticks, features.FrameCount, wholeVideo: options.Subject != SubjectChoice.All);
        var rows = await PredictionTables.WriteAsync(options.OutputFolder, job.Input.OutputStem, job.Input.VideoId, model.Classes, predictions.Ticks, frames, outputs.PredictionsMetadata(job, features), cancellationToken);
        var diagnostics = new AttentionDiagnostics(model.Steps);
        foreach (var tick in predictions.Ticks)
        {
            diagnostics.Add(tick);
        }
        return (rows, diagnostics.Result());
    }

    private static string CannotWrite(VideoJob job, string path, Exception ex) => $"{job.Input.Path}: cannot write output {path}: {ex.Message}";

    private static VideoOutcome Failed(VideoJob job, string message) =>
        new(job.Input, VideoStatus.Failed, null, message, job.Warnings, job.ProcessedFrames, 0);
}
