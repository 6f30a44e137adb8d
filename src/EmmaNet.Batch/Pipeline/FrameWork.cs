using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// One decoded frame on its way through the frame networks: each stage reads the pixels and what the stages before it
/// found, and adds its own finding. The last network stage that reads the pixels releases them; what was found stays.
/// </summary>
public sealed class FrameWork(VideoFrame frame)
{
    /// <summary>The pixels, until <see cref="ReleaseFrame"/>.</summary>
    public VideoFrame Frame => _frame ?? throw new InvalidOperationException("the frame's pixels were already released");

    private VideoFrame? _frame = frame;
    private readonly long _index = frame.FrameIndex;
    private readonly double _timestamp = frame.Timestamp;
    private readonly int _width = frame.Width;
    private readonly int _height = frame.Height;

    public IReadOnlyList<FaceDetection>? Faces { get; set; }

    public IReadOnlyList<FaceMesh>? Meshes { get; set; }

    public IReadOnlyList<ExpressionFeatures>? Expressions { get; set; }

    public IReadOnlyList<float[]>? Descriptors { get; set; }

    public List<Skeleton>? People { get; set; }

    /// <summary>Whether the frame falls on a 2 Hz step (where pose and identity are read).</summary>
    public bool IsStep => FaceTicks.IsStep(FaceTicks.Of(_timestamp));

    /// <summary>Gives the pixels back to the decoder's pool (idempotent).</summary>
    public void ReleaseFrame()
    {
        if (Interlocked.Exchange(ref _frame, null) is { } frame)
        {
            frame.Dispose();   // gives its place in the run's FrameBudget back
        }
    }

    public FrameResult Result() =>
        new(_index, _timestamp, _width, _height, Faces ?? throw new InvalidOperationException("the face detector has not run on this frame"), Expressions, People, Descriptors, Meshes);
}
