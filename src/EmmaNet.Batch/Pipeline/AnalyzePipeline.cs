using System.Threading.Channels;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Inputs;
using EmmaNet.Batch.Output;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The one path of <c>analyze</c> and <c>extract</c>, a line of stages on bounded channels: decode (several videos at
/// once) -> audio (with features) -> each frame network in turn -> per-video assembly (tracking, subjects, features)
/// -> fusion (with predictions) -> the one writer. Each video's frames are followed by an end marker, so a video that
/// fails is reported and its partial output discarded while the others go on. A stage that throws completes its output
/// channel with that exception and cancels the others, so no stage waits forever on a dead one.
/// </summary>
public sealed class AnalyzePipeline(IVideoSource source, PipelineNetworks networks, ILogger logger)
{
    public AnalyzePipeline(IVideoSource source, FrameAnalyzer analyzer, ILogger logger)
        : this(source, new PipelineNetworks(analyzer), logger)
    {
    }

    public AnalyzePipeline(IVideoSource source, IFaceDetector detector, ILogger logger)
        : this(source, new FrameAnalyzer(detector), logger)
    {
    }

    /// <summary>CPU seconds of the per-video work after the frame networks: tracking and features, since this pipeline was made.</summary>
    public CpuMeter Cpu { get; } = new();

    /// <summary>Every model a run with these options uses, by role (for the run journal).</summary>
    public IEnumerable<(string Role, Models.ModelIdentity Model)> ModelsFor(AnalyzeOptions options) => new RunOutputs(options, networks).Models;

    public async Task<IReadOnlyList<VideoOutcome>> RunAsync(IReadOnlyList<VideoInput> videos, AnalyzeOptions options, IAnalyzeProgress? progress, CancellationToken cancellationToken)
    {
        if (options.MakesFeatures && (!networks.Analyzer.WithFeatures || networks.Audio is null))
        {
            throw new ArgumentException("features need a frame analyzer with expression and pose models, and voice features", nameof(options));
        }
        if (options.Predicts && networks.Fusion is null)
        {
            throw new ArgumentException("predictions need a fusion model", nameof(options));
        }
        Directory.CreateDirectory(options.OutputFolder);
        var removed = AtomicFile.DeleteLeftovers(options.OutputFolder);
        if (removed > 0)
        {
            logger.LogInformation("Removed {Count} unfinished temp file(s) left by an interrupted run", removed);
        }

        var outputs = new RunOutputs(options, networks);
        var outcomes = new List<VideoOutcome>();
        var jobs = new List<VideoJob>();
        foreach (var video in await OutputNames.ResolveAsync(videos, stem => RunOutputs.AnyRunsOutputs(options.OutputFolder, stem), cancellationToken))
        {
            var job = new VideoJob(video, FaceParquetWriter.PathFor(options.OutputFolder, video.OutputStem));
            job.Fingerprint = InputFingerprint.Of(video.Path);
            var stale = await StaleReasonAsync(job, outputs, cancellationToken);
            if (!options.Force && stale is null)
            {
                outcomes.Add(new VideoOutcome(video, VideoStatus.Skipped, outputs.MainOutput(job), "already done", [], 0, 0));
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
        using var trim = MallocArenas.TrimEvery(TimeSpan.FromSeconds(5));
        using var compact = ManagedHeap.CompactEvery(TimeSpan.FromSeconds(20));
        void Finished(VideoOutcome outcome)
        {
            lock (outcomes)
            {
                outcomes.Add(outcome);
            }
            progress?.VideoFinished(outcome);
        }

        var stages = new List<Task>();
        Task Stage(Func<Task> run) => StopAllOnFailure(Task.Run(run, CancellationToken.None), stop);
        var decoded = Bounded<DecodedItem>(options.FrameQueue, singleWriter: false);
        using var budget = new FrameBudget(options.FramesInFlightFor(networks.Analyzer.DetectorProvider));
        stages.Add(StopAllOnFailure(new DecodeStage(source, options.VideosInFlight, budget, progress).RunAsync(jobs, decoded.Writer, stop.Token), stop));
        var frames = decoded.Reader;
        AudioStage? audio = null;
        if (options.MakesFeatures)
        {
            audio = new AudioStage(networks.Audio!, options.OutputFolder);
            var voiced = Bounded<DecodedItem>(BetweenNetworks);
            stages.Add(StopAllOnFailure(audio.RunAsync(frames, voiced.Writer, stop.Token), stop));
            frames = voiced.Reader;
        }
        var networkStages = networks.Analyzer.Stages;
        var frameNetworks = networkStages.Select((stage, i) => new FrameNetworkStage(stage, options.DetectorBatch, networkStages.Skip(i + 1).ToList())).ToList();
        foreach (var network in frameNetworks.SkipLast(1))
        {
            var next = Bounded<DecodedItem>(BetweenNetworks);
            stages.Add(StopAllOnFailure(network.RunAsync(frames, next.Writer, stop.Token), stop));
            frames = next.Reader;
        }
        var analysed = Bounded<DetectedItem>(options.FrameQueue);
        stages.Add(StopAllOnFailure(frameNetworks[^1].RunLastAsync(frames, analysed.Writer, stop.Token), stop));
        var assembled = Bounded<AssembledItem>(options.FrameQueue);
        var assembly = new AssemblyStage(options, networks.Audio?.ColumnNames ?? [], Cpu, progress, logger);
        stages.Add(Stage(() => assembly.RunAsync(analysed.Reader, assembled.Writer, stop.Token)));
        var toWriter = assembled.Reader;
        if (options.Predicts)
        {
            var fused = Bounded<AssembledItem>(options.FrameQueue);
            var fusion = new FusionStage(networks.Fusion!, options.WindowsPerCall, options.OutputFolder);
            var fromAssembly = toWriter;
            stages.Add(Stage(() => fusion.RunAsync(fromAssembly, fused.Writer, stop.Token)));
            toWriter = fused.Reader;
        }
        var writer = new WriterStage(options, outputs, networks.Fusion);
        stages.Add(Stage(() => writer.RunAsync(toWriter, Finished, stop.Token)));
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
            if (budget.LetPast > 0)
            {
                logger.LogWarning("{Frames} frame(s) went past the budget of {Budget} after {Patience} s without a frame given back: some frame's pixels were never released (a bug; the run was slowed, not stopped)", budget.LetPast, budget.Frames, budget.Patience.TotalSeconds);
            }
        }
        return outcomes;
    }

    /// <summary>Frames waiting between two frame networks at most: few, since each waiting frame holds its pixels.</summary>
    private const int BetweenNetworks = 2;

    private static Channel<T> Bounded<T>(int capacity, bool singleWriter = true) =>
        Channel.CreateBounded<T>(new BoundedChannelOptions(Math.Max(1, capacity)) { SingleReader = true, SingleWriter = singleWriter });

    /// <summary>
    /// Null when every output the run writes is there, complete (footer and schema read) and made from this input with
    /// these models and this subject choice; otherwise the first reason it is not ("missing" when an output is absent).
    /// </summary>
    private static async Task<string?> StaleReasonAsync(VideoJob job, RunOutputs outputs, CancellationToken cancellationToken)
    {
        foreach (var (path, schema, identity) in outputs.Expected(job))
        {
            if (await identity.StaleReasonAsync(path, schema, cancellationToken) is { } reason)
            {
                return reason;
            }
        }
        return null;
    }

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
}
