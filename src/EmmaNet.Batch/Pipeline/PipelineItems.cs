using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;

namespace EmmaNet.Batch.Pipeline;

/// <summary>What flows from decoding to detection: frames, then one end marker per video (after its last frame).</summary>
internal abstract record DecodedItem(VideoJob Job);

internal sealed record FrameItem(VideoJob Job, VideoFrame Frame) : DecodedItem(Job);

internal sealed record EndOfVideo(VideoJob Job, Exception? Error) : DecodedItem(Job);

/// <summary>What flows from detection to the writer: one result per frame, then the same end marker.</summary>
internal abstract record DetectedItem(VideoJob Job);

internal sealed record DetectedFrame(VideoJob Job, long FrameIndex, double Timestamp, int Width, int Height, IReadOnlyList<FaceDetection> Faces) : DetectedItem(Job);

internal sealed record DetectedEnd(VideoJob Job, Exception? Error) : DetectedItem(Job);
