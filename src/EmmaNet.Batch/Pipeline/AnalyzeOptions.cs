using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;

namespace EmmaNet.Batch.Pipeline;

/// <summary>What a run produces: face detections only, per-subject features (<c>extract</c>), or predictions (<c>analyze</c>).</summary>
public enum RunMode
{
    /// <summary><c>&lt;stem&gt;.faces.parquet</c> only.</summary>
    Faces,

    /// <summary>The feature tables (<c>&lt;stem&gt;.&lt;subject&gt;.steps.parquet</c> and <c>.ticks.parquet</c>), no face detections.</summary>
    Features,

    /// <summary><c>&lt;stem&gt;.faces.parquet</c>, <c>.predictions.parquet</c> and <c>.attention.parquet</c>.</summary>
    Predictions,
}

/// <summary>
/// What a run does with its videos: plain settings only (the networks are a <see cref="PipelineNetworks"/>, owned by
/// whoever loaded them).
/// </summary>
/// <param name="OutputFolder">Where per-video Parquet files go.</param>
/// <param name="Mode">What is written per video.</param>
/// <param name="Subject">Whose features and predictions (with features or predictions).</param>
/// <param name="VideosInFlight">Videos decoded at once; their frames share the detector's batches.</param>
/// <param name="DetectorBatch">Frames per detector call at most.</param>
/// <param name="FrameQueue">Decoded frames waiting for the detector at most.</param>
/// <param name="FramesInFlight">Decoded frames holding their pixels at once at most, queued or in a network stage (bounds memory: 2.6 MB a 720p frame); 0: <see cref="FramesInFlightFor"/>.</param>
/// <param name="Force">Redo videos whose output already exists.</param>
/// <param name="WindowsPerCall">Fusion windows in one ONNX Runtime call at most (with predictions; <see cref="DefaultWindowsPerCall"/>).</param>
public sealed record AnalyzeOptions(
    string OutputFolder,
    RunMode Mode = RunMode.Faces,
    SubjectChoice Subject = SubjectChoice.All,
    int VideosInFlight = 2,
    int DetectorBatch = 8,
    int FrameQueue = 8,
    int FramesInFlight = 0,
    bool Force = false,
    int WindowsPerCall = AnalyzeOptions.DefaultWindowsPerCall)
{
    /// <summary>
    /// 16 fusion windows a call: on the CPU a window costs the same from 16 a call up (0.13 ms), while the activations
    /// of larger calls stay in ONNX Runtime's arena for the rest of the run: on 10 minutes of the many-face sample 64 a
    /// call peaked at 444-472 MiB (seven runs), 16 at 421 and 435 (docs/benchmarks.md).
    /// </summary>
    public const int DefaultWindowsPerCall = 16;

    /// <summary>
    /// Frames in flight on the CPU, where every network takes one picture a call: 4 ran as fast as 8 on moving 720p
    /// footage (as 8 had as 12) and held 20 MiB less on the many-face sample (docs/benchmarks.md).
    /// </summary>
    public const int CpuFramesInFlight = 4;

    /// <summary>The frames in flight for a run whose detector runs on <paramref name="detectorProvider"/>:
    /// <see cref="FramesInFlight"/> when set, else <see cref="CpuFramesInFlight"/> on the CPU and one detector batch on a GPU.</summary>
    public int FramesInFlightFor(string detectorProvider) =>
        FramesInFlight > 0 ? FramesInFlight : detectorProvider == ProviderPlan.ProviderName(ExecutionDevice.Cpu) ? CpuFramesInFlight : DetectorBatch;

    public bool WritesFaces => Mode != RunMode.Features;

    public bool MakesFeatures => Mode != RunMode.Faces;

    public bool WritesFeatureTables => Mode == RunMode.Features;

    public bool Predicts => Mode == RunMode.Predictions;
}

/// <summary>
/// The networks a pipeline runs, not owned by it (<see cref="AnalyzerModels"/> or a test's fixture owns them): the
/// frame networks, the voice features (with features) and the fusion model (with predictions).
/// </summary>
public sealed record PipelineNetworks(FrameAnalyzer Analyzer, AudioFeatureExtractor? Audio = null, FusionModel? Fusion = null);

/// <summary>Progress reports from the pipeline; calls may come from several threads.</summary>
public interface IAnalyzeProgress
{
    void Started(IReadOnlyList<VideoJob> jobs);

    void VideoStarted(VideoJob job);

    void FrameDone(VideoJob job, double timestamp);

    void VideoFinished(VideoOutcome outcome);
}
