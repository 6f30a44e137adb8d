using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Faces;

namespace EmmaNet.Batch.Features;

/// <summary>
/// The face feature F_t of EMMA-NET.md section 2: the 256-d pooled embedding followed by the 7 class
/// log-probabilities and, when the faces have meshes, the mesh's <see cref="MeshNames"/> (head pose and gaze in
/// degrees, the ratios as <see cref="FaceMeasures"/> defines them; the fusion model normalises each feature).
/// </summary>
public static class FaceFeature
{
    public const int EmbeddingCount = 256;

    /// <summary>Embedding and log-probabilities: the whole feature without a mesh.</summary>
    public const int ExpressionCount = EmbeddingCount + 7;

    public static readonly string[] MeshNames = ["yaw", "pitch", "roll", "eye_open_right", "eye_open_left", "mouth_open", "mouth_width", "brow_raise", "gaze_yaw", "gaze_pitch"];

    public static float[] From(ExpressionFeatures e, FaceMesh? mesh)
    {
        if (mesh is null)
        {
            return [.. e.Embedding, .. e.LogProbabilities];
        }
        var m = FaceMeasures.From(mesh);
        // Gaze is NaN only for a mesh without irises; 0 is looking straight ahead.
        static float Finite(float v) => float.IsNaN(v) ? 0 : v;
        return [.. e.Embedding, .. e.LogProbabilities, m.Yaw, m.Pitch, m.Roll, m.EyeOpenRight, m.EyeOpenLeft, m.MouthOpen, m.MouthWidth, m.BrowRaise, Finite(m.GazeYaw), Finite(m.GazePitch)];
    }
}

/// <summary>One subject at one 6 Hz face tick: the face (or null when the subject is not seen) and its features.</summary>
public sealed record FaceTick(int Subject, int Tick, double Time, long FrameIndex, FaceDetection? Face, float[]? Features);

/// <summary>
/// One subject at one 2 Hz step: the face sequence value (mean of the subject's present ticks in the step's 0.5 s bin),
/// the audio of the step's 1 s window, the subject's normalised pose, and a present flag per modality.
/// </summary>
public sealed record FeatureStep(int Subject, int Step, double Time, float[]? Face, AudioStep Audio, float[]? Pose)
{
    public bool FacePresent => Face is not null;

    public bool PosePresent => Pose is not null;
}

/// <summary>Everything <c>extract</c> learns about one video for one subject choice.</summary>
public sealed record VideoFeatures(IReadOnlyList<int> Subjects, IReadOnlyList<FaceTick> Ticks, IReadOnlyList<FeatureStep> Steps, long FrameCount, IReadOnlyList<string> AudioColumns);

/// <summary>
/// One video's subjects, chosen, with each subject's features built on demand: <see cref="Parts"/> a part of one
/// subject at a time (what <c>analyze</c> fuses, so what a long video holds at its end does not grow with its
/// length), <see cref="Each"/> one subject at a time, <see cref="All"/> the whole video at once (what <c>extract</c>
/// writes).
/// </summary>
/// <param name="parts">A subject's features in parts of at most so many of the video's ticks, each part with its
/// steps within so many steps of its ticks; without it a subject is one part.</param>
/// <param name="owner">What the features are read from, disposed with them (the video's <see cref="FeatureAssembler"/> and its spill file, its voice steps).</param>
public sealed class SubjectFeatures(
    IReadOnlyList<int> subjects,
    long frameCount,
    IReadOnlyList<string> audioColumns,
    Func<int, (List<FaceTick> Ticks, List<FeatureStep> Steps)> build,
    Func<int, int, int, IEnumerable<(List<FaceTick> Ticks, List<FeatureStep> Steps)>>? parts = null,
    IDisposable? owner = null) : IDisposable
{
    public IReadOnlyList<int> Subjects { get; } = subjects;

    /// <summary>The original video's frames (all decoded frames, not only the face stream's).</summary>
    public long FrameCount { get; } = frameCount;

    /// <summary>Each subject's features alone, in subject order, built as they are reached.</summary>
    public IEnumerable<VideoFeatures> Each()
    {
        foreach (var subject in Subjects)
        {
            var (ticks, steps) = build(subject);
            yield return new VideoFeatures([subject], ticks, steps, FrameCount, audioColumns);
        }
    }

    /// <summary>
    /// Each subject's features in parts, in subject then tick order, built as they are reached: a part holds at most
    /// <paramref name="ticksPerPart"/> of the video's ticks as its own, and the subject's steps within
    /// <paramref name="marginSteps"/> of them (so a window centred on any of its ticks finds all its steps).
    /// </summary>
    public IEnumerable<VideoFeatures> Parts(int ticksPerPart, int marginSteps)
    {
        if (parts is null)
        {
            return Each();
        }
        return Subjects.SelectMany(subject => parts(subject, ticksPerPart, marginSteps)
            .Select(part => new VideoFeatures([subject], part.Ticks, part.Steps, FrameCount, audioColumns)));
    }

    public void Dispose() => owner?.Dispose();

    /// <summary>Every subject's features in one table, subject after subject.</summary>
    public VideoFeatures All()
    {
        var each = Each().ToList();
        return new VideoFeatures(Subjects, [.. each.SelectMany(f => f.Ticks)], [.. each.SelectMany(f => f.Steps)], FrameCount, audioColumns);
    }
}
