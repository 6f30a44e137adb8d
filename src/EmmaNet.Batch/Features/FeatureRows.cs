using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Faces;

namespace EmmaNet.Batch.Features;

/// <summary>The face feature F_t of EMMA-NET.md section 2: the 256-d pooled embedding followed by the 7 class log-probabilities.</summary>
public static class FaceFeature
{
    public const int Count = 256 + 7;

    public static float[] From(ExpressionFeatures e) => [.. e.Embedding, .. e.LogProbabilities];
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
