using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Models;

namespace EmmaNet.Batch.Faces;

/// <summary>Finds faces in a batch of frames (frames may come from different videos).</summary>
public interface IFaceDetector : IDisposable
{
    /// <summary>The model's identity, for output metadata.</summary>
    ModelIdentity Model { get; }

    /// <summary>One list of faces per input frame, in the same order, in each frame's pixel coordinates.</summary>
    IReadOnlyList<FaceDetection>[] Detect(IReadOnlyList<VideoFrame> frames);
}
