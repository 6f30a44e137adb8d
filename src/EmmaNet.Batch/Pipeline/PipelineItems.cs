using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Features;

namespace EmmaNet.Batch.Pipeline;

/// <summary>What flows from decoding to detection: frames, then one end marker per video (after its last frame).</summary>
internal abstract record DecodedItem(VideoJob Job);

internal sealed record FrameItem(VideoJob Job, VideoFrame Frame) : DecodedItem(Job);

/// <summary>After a video's last frame: its decode error if any, and its 2 Hz audio steps when features are wanted.</summary>
internal sealed record EndOfVideo(VideoJob Job, Exception? Error, IReadOnlyList<AudioStep>? Audio) : DecodedItem(Job);

/// <summary>What flows from detection to the writer: one result per frame, then the same end marker.</summary>
internal abstract record DetectedItem(VideoJob Job);

internal sealed record DetectedFrame(VideoJob Job, FrameResult Result) : DetectedItem(Job);

internal sealed record DetectedEnd(VideoJob Job, Exception? Error, IReadOnlyList<AudioStep>? Audio) : DetectedItem(Job);
