using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// What flows from decoding through the frame networks: per video a start marker (once probed), its frames, then one
/// end marker (after its last frame).
/// </summary>
internal abstract record DecodedItem(VideoJob Job);

internal sealed record StartOfVideo(VideoJob Job) : DecodedItem(Job);

internal sealed record FrameItem(VideoJob Job, FrameWork Work) : DecodedItem(Job);

/// <summary>After a video's last frame: its error if any stage failed on it, and (from the audio stage) its 2 Hz voice steps when features are wanted (whoever ends up with them disposes them).</summary>
internal sealed record EndOfVideo(VideoJob Job, Exception? Error, Task<AudioSteps>? Audio = null) : DecodedItem(Job);

/// <summary>What flows from the last frame network to the assembly: one result per frame (the pixels released), then the same end marker.</summary>
internal abstract record DetectedItem(VideoJob Job);

internal sealed record DetectedFrame(VideoJob Job, FrameResult Result) : DetectedItem(Job);

internal sealed record DetectedEnd(VideoJob Job, Exception? Error, Task<AudioSteps>? Audio) : DetectedItem(Job);

/// <summary>What flows from the assembly through fusion to the writer: a frame's face rows (when faces are written), then the video as a whole.</summary>
internal abstract record AssembledItem(VideoJob Job);

internal sealed record FaceRows(VideoJob Job, FrameResult Result) : AssembledItem(Job);

/// <summary>
/// A video after its last frame: why it failed (one line naming the file), or its subjects, whose features are built
/// when read (with features), and, once fused, its predictions.
/// </summary>
internal sealed record AssembledVideo(VideoJob Job, string? Failure, SubjectFeatures? Features, VideoPredictions? Predictions = null) : AssembledItem(Job);

/// <summary>The fusion network's reading of each face tick's window (waiting on disk), and which original frame each tick stands for.</summary>
internal sealed record VideoPredictions(TickResults Ticks, IReadOnlyList<TickFrame> TickFrames) : IDisposable
{
    public void Dispose() => Ticks.Dispose();
}
