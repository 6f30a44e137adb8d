using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Features;

/// <summary>
/// What the pipeline learns from one face-stream frame: faces, with a mesh model each face's mesh (same order), and
/// when features are wanted their expression readings (same order), the people in it and, with an identity model, each
/// face's identity descriptor (the last two on 2 Hz step frames only).
/// </summary>
public sealed record FrameResult(long FrameIndex, double Timestamp, int Width, int Height, IReadOnlyList<FaceDetection> Faces, IReadOnlyList<ExpressionFeatures>? Expressions, List<Skeleton>? People, IReadOnlyList<float[]>? Descriptors = null, IReadOnlyList<FaceMesh>? Meshes = null)
{
    /// <summary>The face-stream tick this frame stands for (the frame nearest k / 6 s).</summary>
    public int Tick => FaceTicks.Of(Timestamp);
}

/// <summary>The 6 Hz face-stream ticks and the 2 Hz steps they fall on (EMMA-NET.md section 1).</summary>
public static class FaceTicks
{
    /// <summary>The tick a frame stands for: the nearest k / 6 s.</summary>
    public static int Of(double timestamp) => (int)Math.Round(timestamp * FrameSampling.FaceStream.RateHz);

    /// <summary>Face-stream ticks per 2 Hz step: 3 (6 Hz and 0.5 s).</summary>
    public static readonly int PerStep = (int)Math.Round(FrameSampling.FaceStream.RateHz * Audio.AudioTimeline.StepSeconds);

    /// <summary>Ticks 0, 3, 6, ... fall on the 2 Hz steps.</summary>
    public static bool IsStep(int tick) => tick % PerStep == 0;
}
