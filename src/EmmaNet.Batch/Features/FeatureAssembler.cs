using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Features;

/// <summary>
/// Builds one video's per-subject features (EMMA-NET.md sections 1-2) from its analysed frames, taken in order:
/// faces are tracked across ticks; at the end, subjects are chosen from whole tracks, and each subject gets its
/// 6 Hz ticks and its 2 Hz steps: the face sequence (mean of the subject's ticks in the step's 0.5 s bin), the audio
/// of the step's window, and the body whose head lies in the subject's face, each with a present flag.
/// </summary>
/// <remarks>The tracked faces' features are held until the video ends (subjects are chosen from whole tracks): about 1 KB per face per tick.</remarks>
public sealed class FeatureAssembler(SubjectChoice choice)
{
    private readonly FaceTracker _tracker = new();
    private readonly List<(TrackedFace Face, long FrameIndex, float[] Features)> _tracked = new();
    private readonly Dictionary<int, List<Skeleton>> _people = new();
    private readonly SortedDictionary<int, long> _frameOfTick = new();

    public void Add(FrameResult frame)
    {
        var tick = frame.Tick;
        _frameOfTick[tick] = frame.FrameIndex;
        var tracked = _tracker.Update(tick, frame.Timestamp, frame.Faces);
        for (var i = 0; i < tracked.Count; i++)
        {
            _tracked.Add((tracked[i], frame.FrameIndex, FaceFeature.From(frame.Expressions![i])));
        }
        if (frame.People is not null)
        {
            _people[tick] = frame.People;
        }
    }

    public VideoFeatures Build(IReadOnlyList<AudioStep> audio, IReadOnlyList<string> audioColumns, long frameCount)
    {
        var subjects = SubjectSelection.Select(_tracked.Select(t => t.Face), choice);
        var ticks = new List<FaceTick>();
        var steps = new List<FeatureStep>();
        foreach (var subject in subjects)
        {
            var mine = _tracked.Where(t => t.Face.TrackId == subject).ToDictionary(t => t.Face.Tick);
            foreach (var (tick, frameIndex) in _frameOfTick)
            {
                ticks.Add(mine.TryGetValue(tick, out var f)
                    ? new FaceTick(subject, tick, f.Face.Time, f.FrameIndex, f.Face.Face, f.Features)
                    : new FaceTick(subject, tick, tick / FrameSampling.FaceStream.RateHz, frameIndex, null, null));
            }
            foreach (var a in audio)
            {
                // The step's 0.5 s bin: the subject's face ticks within a quarter second of the step.
                var present = mine.Values.Where(t => Math.Abs(t.Face.Time - a.Time) < AudioTimeline.StepSeconds / 2).ToList();
                var face = present.Count == 0 ? null : Mean(present.Select(p => p.Features));
                float[]? pose = null;
                if (present.Count > 0 && _people.TryGetValue(a.Step * 3, out var people))
                {
                    var anchor = present.MinBy(p => Math.Abs(p.Face.Time - a.Time)).Face.Face;
                    var body = PoseFeatures.MatchToFace(people, anchor);
                    pose = body is null ? null : PoseFeatures.Normalise(body);
                }
                steps.Add(new FeatureStep(subject, a.Step, a.Time, face, a, pose));
            }
        }
        return new VideoFeatures(subjects, ticks, steps, frameCount, audioColumns);
    }

    private static float[] Mean(IEnumerable<float[]> vectors)
    {
        var list = vectors.ToList();
        var mean = new float[list[0].Length];
        foreach (var v in list)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(mean, v, mean);
        }
        System.Numerics.Tensors.TensorPrimitives.Divide(mean, list.Count, mean);
        return mean;
    }
}
