using System.Globalization;
using System.Threading.Channels;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Output;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// decode -> analyse frames -> write, on bounded channels; the one path of both <c>analyze</c> and <c>extract</c>.
/// Several videos decode at once into one frame channel (each video's audio decoded alongside when features are
/// wanted); the frame stage batches whatever frames are waiting, from any video; the writer keeps, per open video, a
/// face-detection writer and/or a feature assembler. Each video's frames are followed by an end marker, so a video
/// that fails is reported and its partial output discarded while the others go on. A stage that throws completes its
/// output channel with that exception and cancels the others, so no stage waits forever on a dead one.
/// </summary>
public sealed class AnalyzePipeline(IVideoSource source, FrameAnalyzer analyzer, ILogger logger)
{
    public const string FacesSuffix = ".faces.parquet";

    public AnalyzePipeline(IVideoSource source, IFaceDetector detector, ILogger logger)
        : this(source, new FrameAnalyzer(detector), logger)
    {
    }

    /// <summary>CPU seconds of the per-video work after the frame networks: tracking and features, since this pipeline was made.</summary>
    public CpuMeter Cpu { get; } = new();

    private sealed class OpenVideo
    {
        public FaceParquetWriter? Faces { get; set; }

        public FeatureAssembler? Features { get; init; }

        public long FaceCount { get; set; }
    }

    public async Task<IReadOnlyList<VideoOutcome>> RunAsync(IReadOnlyList<VideoInput> videos, AnalyzeOptions options, IAnalyzeProgress? progress, CancellationToken cancellationToken)
    {
        if (options.Features is not null && !analyzer.WithFeatures)
        {
            throw new ArgumentException("features need a frame analyzer with expression and pose models", nameof(options));
        }
        if (options.Fusion is not null && options.Features is null)
        {
            throw new ArgumentException("fusion needs features", nameof(options));
        }
        Directory.CreateDirectory(options.OutputFolder);
        var removed = AtomicFile.DeleteLeftovers(options.OutputFolder);
        if (removed > 0)
        {
            logger.LogInformation("Removed {Count} unfinished temp file(s) left by an interrupted run", removed);
        }

        var outcomes = new List<VideoOutcome>();
        var jobs = new List<VideoJob>();
        foreach (var video in await OutputNames.ResolveAsync(videos, stem => AnyRunsOutputs(options.OutputFolder, stem), cancellationToken))
        {
            var job = new VideoJob(video, Path.Combine(options.OutputFolder, video.OutputStem + FacesSuffix));
            job.Fingerprint = InputFingerprint.Of(video.Path);
            var stale = await StaleReasonAsync(job, options, cancellationToken);
            if (!options.Force && stale is null)
            {
                outcomes.Add(new VideoOutcome(video, VideoStatus.Skipped, MainOutput(job, options), "already done", [], 0, 0));
                continue;
            }
            job.RedoReason = stale is "missing" || options.Force ? null : stale;
            jobs.Add(job);
        }
        progress?.Started(jobs);
        foreach (var skipped in outcomes)
        {
            progress?.VideoFinished(skipped);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void Finished(VideoOutcome outcome)
        {
            lock (outcomes)
            {
                outcomes.Add(outcome);
            }
            progress?.VideoFinished(outcome);
        }

        // decode -> audio (with features) -> each frame network in turn -> write -> fusion (with predictions).
        var stages = new List<Task>();
        var decoded = Bounded<DecodedItem>(options.FrameQueue, singleWriter: false);
        stages.Add(StopAllOnFailure(new DecodeStage(source, options.VideosInFlight, progress).RunAsync(jobs, decoded.Writer, stop.Token), stop));
        var frames = decoded.Reader;
        AudioStage? audio = null;
        if (options.Features is { } features)
        {
            audio = new AudioStage(features.Audio);
            var voiced = Bounded<DecodedItem>(BetweenNetworks);
            stages.Add(StopAllOnFailure(audio.RunAsync(frames, voiced.Writer, stop.Token), stop));
            frames = voiced.Reader;
        }
        var networks = analyzer.Stages.Select(stage => new FrameNetworkStage(stage, options.DetectorBatch)).ToList();
        foreach (var network in networks.SkipLast(1))
        {
            var next = Bounded<DecodedItem>(BetweenNetworks);
            stages.Add(StopAllOnFailure(network.RunAsync(frames, next.Writer, stop.Token), stop));
            frames = next.Reader;
        }
        var analysed = Bounded<DetectedItem>(options.FrameQueue);
        stages.Add(StopAllOnFailure(networks[^1].RunLastAsync(frames, analysed.Writer, stop.Token), stop));
        var fused = options.Fusion is null ? null : Bounded<FusionItem>(2);
        stages.Add(StopAllOnFailure(WriteAsync(analysed.Reader, options, fused?.Writer, Finished, progress, stop.Token), stop));
        if (fused is not null)
        {
            stages.Add(StopAllOnFailure(Task.Run(() => new FusionStage(options.Fusion!, options, FeatureModels(options.Features!)).RunAsync(fused.Reader, Finished, stop.Token), CancellationToken.None), stop));
        }
        try
        {
            await Task.WhenAll(stages);
        }
        catch
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Rethrown with its original stack trace.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(FirstFailure([.. stages])).Throw();
            throw;
        }
        finally
        {
            if (audio is not null)
            {
                await audio.WaitAllAsync();
            }
        }
        return outcomes;
    }

    /// <summary>Frames waiting between two frame networks at most: few, since each waiting frame holds its pixels.</summary>
    private const int BetweenNetworks = 2;

    private static Channel<T> Bounded<T>(int capacity, bool singleWriter = true) =>
        Channel.CreateBounded<T>(new BoundedChannelOptions(Math.Max(1, capacity)) { SingleReader = true, SingleWriter = singleWriter });

    /// <summary>Every output an analyze or extract run can write for <paramref name="stem"/>, whatever its options.</summary>
    private static IEnumerable<string> AnyRunsOutputs(string folder, string stem) =>
        new[] { Path.Combine(folder, stem + FacesSuffix), PredictionTables.PredictionsPath(folder, stem), PredictionTables.AttentionPath(folder, stem) }
            .Concat(Enum.GetValues<SubjectChoice>().Select(choice => FeatureTables.StepsPath(folder, stem, choice)));

    private static string MainOutput(VideoJob job, AnalyzeOptions options) =>
        options.Fusion is not null ? PredictionTables.PredictionsPath(options.OutputFolder, job.Input.OutputStem)
        : options.Features is { } f && !options.WriteFaces ? FeatureTables.StepsPath(options.OutputFolder, job.Input.OutputStem, f.Subject)
        : job.OutputPath;

    /// <summary>Every model a run with these options uses, by role (for the run journal).</summary>
    public IEnumerable<(string Role, Models.ModelIdentity Model)> ModelsFor(AnalyzeOptions options) =>
        (options.Features is { } f ? FeatureModels(f) : analyzer.Models).Concat(options.Fusion is { } fusion ? [("fusion", fusion.Model.Model)] : []);

    /// <summary>Every model whose output the features hold, by role (the identity a fusion model checks).</summary>
    public IEnumerable<(string Role, Models.ModelIdentity Model)> FeatureModels(FeatureOutput features) => AnalyzerModels.FeatureModels(analyzer, features.Audio);

    /// <summary>
    /// Null when every output the run writes is there, complete (footer and schema read) and made from this input with
    /// these models and this subject choice; otherwise the first reason it is not ("missing" when an output is absent).
    /// </summary>
    private async Task<string?> StaleReasonAsync(VideoJob job, AnalyzeOptions options, CancellationToken cancellationToken)
    {
        var outputs = new List<(string Path, string Schema, OutputIdentity Identity)>();
        if (options.WriteFaces)
        {
            outputs.Add((job.OutputPath, FaceParquetWriter.Schema, FacesIdentity(job)));
        }
        if (options.Fusion is not null)
        {
            var identity = PredictionsIdentity(job, options);
            outputs.Add((PredictionTables.AttentionPath(options.OutputFolder, job.Input.OutputStem), PredictionTables.AttentionSchema, identity));
            outputs.Add((PredictionTables.PredictionsPath(options.OutputFolder, job.Input.OutputStem), PredictionTables.PredictionsSchema, identity));
        }
        if (options.Features is { WriteTables: true } f)
        {
            outputs.Add((FeatureTables.TicksPath(options.OutputFolder, job.Input.OutputStem, f.Subject), FeatureTables.Schema, FeaturesIdentity(job, f)));
            outputs.Add((FeatureTables.StepsPath(options.OutputFolder, job.Input.OutputStem, f.Subject), FeatureTables.Schema, FeaturesIdentity(job, f)));
        }
        foreach (var (path, schema, identity) in outputs)
        {
            if (await identity.StaleReasonAsync(path, schema, cancellationToken) is { } reason)
            {
                return reason;
            }
        }
        return null;
    }

    private OutputIdentity FacesIdentity(VideoJob job) => new(job.Fingerprint, analyzer.FaceTableModels);

    private OutputIdentity FeaturesIdentity(VideoJob job, FeatureOutput features) => new(job.Fingerprint, FeatureModels(features), FeatureTables.Name(features.Subject));

    /// <summary>The identity of a video's predictions and attention: the features' and the fusion model's, shared with <see cref="FusionStage"/>.</summary>
    internal static OutputIdentity PredictionsIdentity(InputFingerprint input, IEnumerable<(string Role, Models.ModelIdentity Model)> models, Faces.SubjectChoice subject) =>
        new(input, models, FeatureTables.Name(subject));

    private OutputIdentity PredictionsIdentity(VideoJob job, AnalyzeOptions options) =>
        PredictionsIdentity(job.Fingerprint, FeatureModels(options.Features!).Append(("fusion", options.Fusion!.Model.Model)), options.Features!.Subject);

    /// <summary>
    /// A stage that fails cancels the others at once: otherwise a producer blocked on a full channel whose consumer
    /// died would wait forever.
    /// </summary>
    private static async Task StopAllOnFailure(Task stage, CancellationTokenSource stop)
    {
        try
        {
            await stage;
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private static Exception FirstFailure(params Task[] tasks) =>
        tasks.Select(t => t.Exception?.GetBaseException()).FirstOrDefault(e => e is not null and not OperationCanceledException)
        ?? new OperationCanceledException();

    private async Task WriteAsync(ChannelReader<DetectedItem> input, AnalyzeOptions options, ChannelWriter<FusionItem>? toFusion, Action<VideoOutcome> finished, IAnalyzeProgress? progress, CancellationToken cancellationToken)
    {
        var open = new Dictionary<VideoJob, OpenVideo>();
        var failedWhileWriting = new Dictionary<VideoJob, Exception>();
        try
        {
            await foreach (var item in input.ReadAllAsync(cancellationToken))
            {
                FaultInjection.At("write");
                switch (item)
                {
                    case DetectedFrame frame when !failedWhileWriting.ContainsKey(frame.Job):
                        try
                        {
                            if (!open.TryGetValue(frame.Job, out var video))
                            {
                                video = new OpenVideo { Features = options.Features is { } f ? new FeatureAssembler(f.Subject) : null };
                                open[frame.Job] = video;
                            }
                            await AddFrameAsync(frame, video, options, cancellationToken);
                            frame.Job.ProcessedFrames++;
                            progress?.FrameDone(frame.Job, frame.Result.Timestamp);
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                        {
                            failedWhileWriting[frame.Job] = new IOException($"{frame.Job.Input.Path}: cannot write output {frame.Job.OutputPath}: {ex.Message}", ex);
                            if (open.Remove(frame.Job, out var broken) && broken.Faces is not null)
                            {
                                await broken.Faces.DisposeAsync();
                            }
                        }
                        break;
                    case DetectedEnd end:
                        var (outcome, features) = await FinishAsync(end, open, failedWhileWriting, options, cancellationToken);
                        if (toFusion is not null && features is not null)
                        {
                            await toFusion.WriteAsync(new FusionItem(end.Job, outcome, features), cancellationToken);
                        }
                        else
                        {
                            finished(outcome);
                        }
                        break;
                }
            }
            toFusion?.TryComplete();
        }
        catch (Exception ex)
        {
            toFusion?.TryComplete(ex);
            throw;
        }
        finally
        {
            // Cancelled or failed upstream: nothing half-written may stay behind.
            foreach (var video in open.Values)
            {
                if (video.Faces is not null)
                {
                    await video.Faces.DisposeAsync();
                }
            }
        }
    }

    private async Task AddFrameAsync(DetectedFrame frame, OpenVideo video, AnalyzeOptions options, CancellationToken cancellationToken)
    {
        var result = frame.Result;
        if (options.WriteFaces)
        {
            video.Faces ??= await FaceParquetWriter.CreateAsync(frame.Job.OutputPath, frame.Job.Input.VideoId, FacesMetadata(frame.Job), cancellationToken);
            var media = frame.Job.Media!;
            await video.Faces.AddFrameAsync(result.FrameIndex, result.Timestamp, result.Faces, result.Meshes, (float)media.Width / result.Width, (float)media.Height / result.Height, cancellationToken);
        }
        using (Cpu.Measure("features"))
        {
            video.Features?.Add(result);
        }
        video.FaceCount += result.Faces.Count;
    }

    /// <summary>Completes a video's outputs; with fusion on, a finished video's features come back for the fusion stage.</summary>
    private async Task<(VideoOutcome Outcome, VideoFeatures? Features)> FinishAsync(DetectedEnd end, Dictionary<VideoJob, OpenVideo> open, Dictionary<VideoJob, Exception> failedWhileWriting, AnalyzeOptions options, CancellationToken cancellationToken)
    {
        var job = end.Job;
        open.Remove(job, out var video);
        var error = end.Error ?? (failedWhileWriting.Remove(job, out var writeError) ? writeError : null);
        if (error is null && video is not null)
        {
            try
            {
                string? summary = null;
                VideoFeatures? features = null;
                // The voice was read beside the frames; its length is known once it is done.
                var voice = end.Audio is { } steps ? await steps : [];
                if (Shortfall(job) is { } shortfall)
                {
                    job.Partial = shortfall;
                    job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"decoded {shortfall.Decoded:F1} s of the {shortfall.Promised:F1} s the container promises: the file looks cut or unfinished; its outputs are marked partial (emmanet.input.partial)"));
                }
                else if (Undecoded(job) is { } undecoded)
                {
                    job.Undecoded = undecoded;
                    job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"decoding stopped at byte {job.LastBytePosition:N0} of {undecoded.Size:N0} ({100.0 * undecoded.Unread / undecoded.Size:F0}% of the file not decoded): the rest looks damaged; its outputs are marked partial (emmanet.input.partial)"));
                }
                if (job.DecodedSeconds - job.Media!.VideoDuration.TotalSeconds > Tolerance(job.DecodedSeconds))
                {
                    job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"the container says {job.Media.VideoDuration.TotalSeconds:F1} s but {job.DecodedSeconds:F1} s of video were decoded: its duration is under-reported; every decoded frame is analysed"));
                }
                if (job.AudioSeconds is { } heard && job.DecodedSeconds - heard > Tolerance(job.DecodedSeconds))
                {
                    job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"the audio stream ends at {heard:F1} s of {job.DecodedSeconds:F1} s of video: the voice is absent after it"));
                }
                if (job.DecodedFrames > 1 && job.DecodedSeconds / job.DecodedFrames > SparseFrameSeconds)
                {
                    job.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{job.DecodedFrames} frames spread over {job.DecodedSeconds / 3600:F1} h (one every {job.DecodedSeconds / job.DecodedFrames:F0} s): the file's time base looks damaged; only the times that hold frames or sound are analysed"));
                }
                if (ChangedSince(job.Fingerprint) is { } change)
                {
                    job.Warnings.Add($"the file changed while it was analysed ({change}): it may still be being written; a re-run analyses it again");
                }
                if (video.Faces is not null)
                {
                    await video.Faces.CompleteAsync(FrameCounts(job), cancellationToken);
                }
                if (video.Features is not null && options.Features is { } f)
                {
                    using (Cpu.Measure("features"))
                    {
                        features = video.Features.Build(voice, f.Audio.ColumnNames, job.DecodedFrames, job.TimelineSeconds);
                    }
                    if (video.Features.OutOfOrderFrames > 0)
                    {
                        job.Warnings.Add($"{video.Features.OutOfOrderFrames} frame(s) with repeated or backward timestamps left out of the features (damaged timing)");
                    }
                    if (f.WriteTables)
                    {
                        var metadata = OutputMetadata.For(FeatureTables.Schema, job.Input.VideoId, job.Media!, FeatureModels(f));
                        FeaturesIdentity(job, f).AddTo(metadata);
                        job.AddCompletenessTo(metadata);
                        await FeatureTables.WriteAsync(options.OutputFolder, job.Input.OutputStem, job.Input.VideoId, f.Subject, features, metadata, cancellationToken);
                        summary = $"{features.Subjects.Count} subject(s), {features.Steps.Count} steps, {features.Ticks.Count} ticks";
                    }
                }
                logger.LogDebug("{Video}: {Frames} frames, {Faces} faces", job.Input.VideoId, job.ProcessedFrames, video.FaceCount);
                return (new VideoOutcome(job.Input, VideoStatus.Done, MainOutput(job, options), null, job.Warnings, job.ProcessedFrames, video.FaceCount, summary) { VideoSeconds = job.DecodedSeconds }, features);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = new IOException($"{job.Input.Path}: cannot write output {job.OutputPath}: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Whatever this one video's data did to the code, it costs that video, not the batch.
                logger.LogDebug(ex, "{Video}: failed while finishing", job.Input.Path);
                error = ex;
            }
            finally
            {
                if (video.Faces is not null)
                {
                    await video.Faces.DisposeAsync();
                }
            }
        }
        else if (video?.Faces is not null)
        {
            await video.Faces.DisposeAsync();
        }
        var message = error switch
        {
            MediaException or IOException => error.Message,
            null => $"{job.Input.Path}: no frames reached the writer",
            _ => $"{job.Input.Path}: {error.GetType().Name}: {error.Message}",
        };
        return (new VideoOutcome(job.Input, VideoStatus.Failed, null, message, job.Warnings, job.ProcessedFrames, 0), null);
    }

    /// <summary>How the input differs now from when the run fingerprinted it (a file still being written), or null.</summary>
    private static string? ChangedSince(InputFingerprint before)
    {
        if (before.Size < 0)
        {
            return null;
        }
        var now = new FileInfo(before.Path);
        return !now.Exists ? "it is gone"
            : now.Length != before.Size ? $"size {before.Size} -> {now.Length} bytes"
            : now.LastWriteTimeUtc != before.ModifiedUtc ? "its modification time moved"
            : null;
    }

    /// <summary>
    /// Decoding ended short of what the container promised by more than the larger of 1 s and 5% of it (a cut
    /// download, a file still being written): the decoded and promised seconds; null when complete.
    /// </summary>
    internal static (double Decoded, double Promised)? Shortfall(VideoJob job)
    {
        if (job.Media is not { } media || job.ProcessedFrames == 0)
        {
            return null;
        }
        var promised = media.VideoDuration > TimeSpan.Zero ? media.VideoDuration.TotalSeconds : media.Duration.TotalSeconds;
        var decoded = job.DecodedSeconds;
        return promised - decoded > Tolerance(promised) ? (decoded, promised) : null;
    }

    /// <summary>
    /// The file's bytes after the last decoded frame's packet, when more than a container's trailing index and audio
    /// can hold (the larger of 256 KiB and 10% of the file) and the audio does not run on past the video: decoding
    /// stopped early, which a container without a stated duration (MPEG-TS, say) cannot show by its promise.
    /// </summary>
    internal static (long Unread, long Size)? Undecoded(VideoJob job)
    {
        var size = job.Fingerprint.Size;
        // The audio's end: what was read, or the container's duration, which covers the longest stream (the reading stops at the video's end).
        var audioEnd = Math.Max(job.AudioSeconds ?? 0, job.Media is { HasAudio: true } m ? m.Duration.TotalSeconds : 0);
        if (job.LastBytePosition < 0 || size <= 0 || audioEnd - job.DecodedSeconds > Tolerance(job.DecodedSeconds))
        {
            return null;
        }
        var unread = size - job.LastBytePosition;
        return unread > Math.Max(256 * 1024, size / 10) ? (unread, size) : null;
    }

    /// <summary>Average seconds between decoded frames above which the time base is called damaged (no real video is that sparse).</summary>
    private const double SparseFrameSeconds = 60;

    /// <summary>A difference in seconds that counts as a shortfall: the larger of 1 s and 5% (decisions.md).</summary>
    private static double Tolerance(double seconds) => Math.Max(1.0, 0.05 * seconds);

    private static Dictionary<string, string> FrameCounts(VideoJob job)
    {
        var metadata = new Dictionary<string, string>
        {
            [OutputMetadata.Prefix + "video_frame_count"] = job.DecodedFrames.ToString(CultureInfo.InvariantCulture),
            [OutputMetadata.Prefix + "processed_frames"] = job.ProcessedFrames.ToString(CultureInfo.InvariantCulture),
        };
        job.AddCompletenessTo(metadata);
        return metadata;
    }

    private Dictionary<string, string> FacesMetadata(VideoJob job)
    {
        var metadata = OutputMetadata.For(FaceParquetWriter.Schema, job.Input.VideoId, job.Media!, analyzer.FaceTableModels);
        FacesIdentity(job).AddTo(metadata);
        metadata[OutputMetadata.Prefix + "face_stream_hz"] = FrameSampling.FaceStream.RateHz.ToString(CultureInfo.InvariantCulture);
        return metadata;
    }
}
