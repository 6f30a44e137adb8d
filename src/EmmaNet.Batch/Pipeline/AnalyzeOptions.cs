namespace EmmaNet.Batch.Pipeline;

/// <param name="OutputFolder">Where per-video Parquet files go.</param>
/// <param name="VideosInFlight">Videos decoded at once; their frames share the detector's batches.</param>
/// <param name="DetectorBatch">Frames per detector call at most.</param>
/// <param name="FrameQueue">Decoded frames waiting for the detector at most (bounds memory).</param>
/// <param name="Force">Redo videos whose output already exists.</param>
/// <param name="WriteFaces">Write each video's face detections (<c>&lt;stem&gt;.faces.parquet</c>).</param>
/// <param name="Features">Write each video's per-subject features (the <c>extract</c> tables); needs a <see cref="FrameAnalyzer"/> with features.</param>
public sealed record AnalyzeOptions(
    string OutputFolder,
    int VideosInFlight = 2,
    int DetectorBatch = 8,
    int FrameQueue = 16,
    bool Force = false,
    bool WriteFaces = true,
    FeatureOutput? Features = null);

/// <summary>What <c>extract</c> adds to a run: whose features, and the audio extractor (log-mel or DeepSpectrum, with the VAD).</summary>
public sealed record FeatureOutput(Faces.SubjectChoice Subject, Audio.AudioFeatureExtractor Audio);

/// <summary>Progress reports from the pipeline; calls may come from several threads.</summary>
public interface IAnalyzeProgress
{
    void Started(IReadOnlyList<VideoJob> jobs);

    void VideoStarted(VideoJob job);

    void FrameDone(VideoJob job, double timestamp);

    void VideoFinished(VideoOutcome outcome);
}
