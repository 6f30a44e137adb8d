using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Features;

/// <summary>
/// Builds one video's per-subject features (EMMA-NET.md sections 1-2) from its analysed frames, taken in order:
/// faces are tracked across ticks; at the end, tracks become people by their identity descriptors where the frames
/// carry them (<see cref="Reidentification"/>: a person keeps one subject id across cuts and absences), subjects are
/// chosen from whole people, and each subject gets its
/// 6 Hz ticks and its 2 Hz steps: the face sequence (mean of the subject's ticks in the step's 0.5 s bin), the audio
/// of the step's window, and the body whose head lies in the subject's face, each with a present flag.
/// </summary>
/// <remarks>
/// Subjects are chosen from whole tracks, so the tracked faces are held until the video ends; their features (about
/// 1 KB per face per tick) wait in a <see cref="FeatureSpill"/> on disk instead, and each subject's ticks and steps
/// are built, reading its features back, only when asked for (<see cref="BySubject"/>). With
/// <see cref="SubjectChoice.All"/> a track's ticks cover only its own span (first to last seen tick) and its steps
/// that span widened by <see cref="ContextMarginSteps"/> (the context windows reach that far), so
/// a long video with many passing people does not cost people x ticks rows; single subjects get the whole video.
/// </remarks>
/// <param name="spillFolder">Where the features wait (a hidden temp file; default: the system's temp folder).</param>
/// <param name="stem">The video's output stem, in the temp file's name.</param>
public sealed class FeatureAssembler(SubjectChoice choice, string? spillFolder = null, string stem = "video") : IDisposable
{
    /// <summary>Steps kept on each side of an <c>all</c> track's span: 5 s, more than half of the longest context the paper sweeps (T = 18).</summary>
    public const int ContextMarginSteps = 10;

    private readonly FaceTracker _tracker = new();
    private readonly Reidentification _reidentification = new();
    private readonly FeatureSpill _spill = new(spillFolder ?? Path.GetTempPath(), stem);
    private readonly List<(TrackedFace Face, long FrameIndex, FeatureSpill.Place Features)> _tracked = new();
    private readonly Dictionary<int, List<Skeleton>> _people = new();
    private readonly SortedDictionary<int, long> _frameOfTick = new();
    private int _lastTick = int.MinValue;

    /// <summary>Frames left out because their tick was not after the last one (repeated or backward timestamps of a damaged file).</summary>
    public int OutOfOrderFrames { get; private set; }

    public void Add(FrameResult frame)
    {
        var tick = frame.Tick;
        // Every map below is keyed by tick: a damaged file's timestamps can repeat or go back, and only a frame that
        // moves time forward is a new tick (tracking, bins and windows all assume increasing ticks).
        if (tick <= _lastTick)
        {
            OutOfOrderFrames++;
            return;
        }
        _lastTick = tick;
        _frameOfTick[tick] = frame.FrameIndex;
        var tracked = _tracker.Update(tick, frame.Timestamp, frame.Faces);
        for (var i = 0; i < tracked.Count; i++)
        {
            _tracked.Add((tracked[i], frame.FrameIndex, _spill.Write(FaceFeature.From(frame.Expressions![i], frame.Meshes?[i]))));
            if (frame.Descriptors is { } descriptors)
            {
                _reidentification.Observe(tracked[i].TrackId, tick, descriptors[i]);
            }
        }
        if (frame.People is not null)
        {
            _people[tick] = frame.People;
        }
    }

    /// <param name="audio">The audio steps the stream held (any count; the timeline is not taken from it).</param>
    /// <param name="videoSeconds">How long the video lasts: steps run from 0 to its end.</param>
    public VideoFeatures Build(IReadOnlyList<AudioStep> audio, IReadOnlyList<string> audioColumns, long frameCount, double videoSeconds)
    {
        using var subjects = BySubject(audio, audioColumns, frameCount, videoSeconds);
        return subjects.All();
    }

    /// <summary>
    /// Chooses the subjects from whole tracks now; each subject's ticks and steps are built when
    /// <see cref="SubjectFeatures.Each"/> reaches it, so a long video's features need not all be in memory at once.
    /// With <paramref name="handOver"/> the result owns this assembler (disposing it disposes the assembler).
    /// </summary>
    public SubjectFeatures BySubject(IReadOnlyList<AudioStep> audio, IReadOnlyList<string> audioColumns, long frameCount, double videoSeconds, bool handOver = false)
    {
        var persons = _reidentification.Assign(_tracked.Select(t => t.Face).ToList());
        var subjects = SubjectSelection.Select(persons, choice);
        var timeline = Timeline(audio, videoSeconds, audioColumns.Count);
        var byTrack = _tracked.Select((t, i) => (Face: persons[i], t.FrameIndex, t.Features))
            .GroupBy(t => t.Face.TrackId).ToDictionary(g => g.Key, g => g.ToDictionary(t => t.Face.Tick));
        return new SubjectFeatures(subjects, frameCount, audioColumns, subject => BuildSubject(subject, byTrack[subject], timeline), handOver ? this : null);
    }

    private (List<FaceTick> Ticks, List<FeatureStep> Steps) BuildSubject(int subject, Dictionary<int, (TrackedFace Face, long FrameIndex, FeatureSpill.Place Features)> spilled, List<AudioStep> timeline)
    {
        var mine = spilled.ToDictionary(p => p.Key, p => (p.Value.Face, p.Value.FrameIndex, Features: _spill.Read(p.Value.Features)));
        var ticks = new List<FaceTick>();
        var steps = new List<FeatureStep>();
        var bins = mine.Values.GroupBy(t => StepOf(t.Face.Time)).ToDictionary(g => g.Key, g => g.ToList());
        var (firstTick, lastTick) = choice == SubjectChoice.All ? (mine.Keys.Min(), mine.Keys.Max()) : (int.MinValue, int.MaxValue);
        var (firstStep, lastStep) = choice == SubjectChoice.All
            ? (StepOf(mine[firstTick].Face.Time) - ContextMarginSteps, StepOf(mine[lastTick].Face.Time) + ContextMarginSteps)
            : (int.MinValue, int.MaxValue);
        foreach (var (tick, frameIndex) in _frameOfTick.Where(t => t.Key >= firstTick && t.Key <= lastTick))
        {
            ticks.Add(mine.TryGetValue(tick, out var f)
                ? new FaceTick(subject, tick, f.Face.Time, f.FrameIndex, f.Face.Face, f.Features)
                : new FaceTick(subject, tick, tick / FrameSampling.FaceStream.RateHz, frameIndex, null, null));
        }
        foreach (var a in timeline.Where(a => a.Step >= firstStep && a.Step <= lastStep))
        {
            // The step's 0.5 s bin: the subject's face ticks within a quarter second of the step.
            var present = bins.TryGetValue(a.Step, out var near) ? near.Where(t => Math.Abs(t.Face.Time - a.Time) < AudioTimeline.StepSeconds / 2).ToList() : [];
            var face = present.Count == 0 ? null : Mean(present.Select(p => p.Features));
            float[]? pose = null;
            if (present.Count > 0 && _people.TryGetValue(a.Step * FaceTicks.PerStep, out var people))
            {
                var anchor = present.MinBy(p => Math.Abs(p.Face.Time - a.Time)).Face.Face;
                var body = PoseFeatures.MatchToFace(people, anchor);
                pose = body is null ? null : PoseFeatures.Normalise(body);
            }
            steps.Add(new FeatureStep(subject, a.Step, a.Time, face, a, pose));
        }
        return (ticks, steps);
    }

    /// <summary>
    /// The video's steps that hold something: those the audio reached, and those within <see cref="ContextMarginSteps"/>
    /// of a frame (with absent voice where the audio did not reach). A step far from every frame and past the audio
    /// would be wholly absent, which the fusion windows read the same as no row; leaving it out bounds the timeline by
    /// what the file holds, so a damaged header that spreads a few frames over days costs nothing for the gaps.
    /// </summary>
    private List<AudioStep> Timeline(IReadOnlyList<AudioStep> audio, double videoSeconds, int audioFeatures)
    {
        var count = AudioTimeline.StepCount(videoSeconds);
        var heard = new Dictionary<int, AudioStep>();
        foreach (var a in audio.Where(a => a.Step >= 0 && a.Step < count))
        {
            heard[a.Step] = a;
        }
        var wanted = new HashSet<int>(heard.Keys);
        var covered = -1L;   // ticks come in order: each step near them is added once
        foreach (var tick in _frameOfTick.Keys)
        {
            var at = StepOf(tick / FrameSampling.FaceStream.RateHz);
            var last = Math.Min(count - 1, (long)at + ContextMarginSteps);
            for (var k = Math.Max(covered + 1, Math.Max(0, at - ContextMarginSteps)); k <= last; k++)
            {
                wanted.Add((int)k);
            }
            covered = Math.Max(covered, last);
        }
        return wanted.Order()
            .Select(k => heard.TryGetValue(k, out var a) ? a : new AudioStep(k, AudioTimeline.StepTime(k), new float[audioFeatures], 0, Present: false))
            .ToList();
    }

    private static int StepOf(double time) => (int)Math.Round(time / AudioTimeline.StepSeconds);

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

    public void Dispose() => _spill.Dispose();
}
