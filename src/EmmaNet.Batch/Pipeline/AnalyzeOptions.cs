namespace EmmaNet.Batch.Pipeline;

/// <param name="OutputFolder">Where per-video Parquet files go.</param>
/// <param name="VideosInFlight">Videos decoded at once; their frames share the detector's batches.</param>
/// <param name="DetectorBatch">Frames per detector call at most.</param>
/// <param name="FrameQueue">Decoded frames waiting for the detector at most (bounds memory).</param>
/// <param name="Force">Redo videos whose output already exists.</param>
/// <param name="WriteFaces">Write each video's face detections (<c>&lt;stem&gt;.faces.parquet</c>).</param>
/// <param name="Features">Compute each video's per-subject features; needs a <see cref="FrameAnalyzer"/> with features.</param>
/// <param name="Fusion">Run the fusion network on the features and write predictions and attention (needs <paramref name="Features"/>).</param>
public sealed record AnalyzeOptions(
    string OutputFolder,
    int VideosInFlight = 2,
    int DetectorBatch = 8,
    int FrameQueue = 8,
    bool Force = false,
    bool WriteFaces = true,
    FeatureOutput? Features = null,
    PredictionOutput? Fusion = null);

/// <summary>What features add to a run: whose features, the audio extractor (log-mel or DeepSpectrum, with the VAD), and whether the <c>extract</c> tables are written.</summary>
public sealed record FeatureOutput(Faces.SubjectChoice Subject, Audio.AudioFeatureExtractor Audio, bool WriteTables = true);

/// <summary>The fusion network <c>analyze</c> runs, and how many windows go into one ONNX Runtime call at most.</summary>
public sealed record PredictionOutput(Fusion.FusionModel Model, int WindowsPerCall = 64);

/// <summary>Progress reports from the pipeline; calls may come from several threads.</summary>
public interface IAnalyzeProgress
{
    void Started(IReadOnlyList<VideoJob> jobs);

    void VideoStarted(VideoJob job);

    void FrameDone(VideoJob job, double timestamp);

    void VideoFinished(VideoOutcome outcome);
}
