using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Files;
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
/// Subjects are chosen from whole tracks, so the tracked faces are held until the video ends: in memory only what
/// choosing and joining them reads (track, tick and box: 40 bytes a face a tick; the identity sums of live tracks);
/// their keypoints and features (about 1 KB), the skeletons and the identity sums of tracks that ended wait in a
/// <see cref="VectorSpill"/> on disk, and each subject's ticks and steps are built, reading its faces back, only when
/// asked for (<see cref="BySubject"/>). With
/// <see cref="SubjectChoice.All"/> a track's ticks cover only its own span (first to last seen tick) and its steps
/// that span widened by <see cref="ContextMarginSteps"/> (the context windows reach that far), so
/// a long video with many passing people does not cost people x ticks rows; single subjects get the whole video.
/// </remarks>
/// <param name="spillFolder">Where the features wait (a hidden temp file; default: the system's temp folder).</param>
/// <param name="stem">The video's output stem, in the temp file's name.</param>
public sealed class FeatureAssembler : IDisposable
{
    /// <summary>Steps kept on each side of an <c>all</c> track's span: 5 s, more than half of the longest context the paper sweeps (T = 18).</summary>
    public const int ContextMarginSteps = 10;

    private readonly SubjectChoice _choice;
    private readonly FaceTracker _tracker = new();
    private readonly VectorSpill _spill;
    private readonly Reidentification _reidentification;
    private readonly List<KeptFace> _faces = new();
    private readonly Dictionary<int, VectorSpill.Place> _people = new();
    private readonly List<TickFrame> _ticks = new();   // in increasing tick order
    private float[] _scratch = [];

    /// <summary>A tracked face as kept until the video ends; its score, keypoints and features wait in the spill at <paramref name="Rest"/>.</summary>
    private readonly record struct KeptFace(int TrackId, int Tick, float X1, float Y1, float X2, float Y2, VectorSpill.Place Rest);

    /// <summary>The frame a tick was read from, and its time.</summary>
    private readonly record struct TickFrame(int Tick, long FrameIndex, double Time);

    /// <summary>A subject's face at one tick, read back.</summary>
    private readonly record struct SubjectFace(FaceDetection Face, long FrameIndex, double Time, float[] Features);

    public FeatureAssembler(SubjectChoice choice, string? spillFolder = null, string stem = "video")
    {
        _choice = choice;
        _spill = new VectorSpill(spillFolder ?? Path.GetTempPath(), stem + ".features");
        _reidentification = new Reidentification(spill: _spill);
    }

    /// <summary>Frames left out because their tick was not after the last one (repeated or backward timestamps of a damaged file).</summary>
    public int OutOfOrderFrames { get; private set; }

    public void Add(FrameResult frame)
    {
        var tick = frame.Tick;
        // Every map below is keyed by tick: a damaged file's timestamps can repeat or go back, and only a frame that
        // moves time forward is a new tick (tracking, bins and windows all assume increasing ticks).
        if (_ticks.Count > 0 && tick <= _ticks[^1].Tick)
        {
            OutOfOrderFrames++;
            return;
        }
        _ticks.Add(new TickFrame(tick, frame.FrameIndex, frame.Timestamp));
        var tracked = _tracker.Update(tick, frame.Timestamp, frame.Faces);
        foreach (var ended in _tracker.Ended)
        {
            _reidentification.Retire(ended);
        }
        for (var i = 0; i < tracked.Count; i++)
        {
            var face = tracked[i].Face;
            var rest = _spill.Write(FaceRecord(face, FaceFeature.From(frame.Expressions![i], frame.Meshes?[i])));
            _faces.Add(new KeptFace(tracked[i].TrackId, tick, face.X1, face.Y1, face.X2, face.Y2, rest));
            if (frame.Descriptors is { } descriptors)
            {
                _reidentification.Observe(tracked[i].TrackId, tick, descriptors[i]);
            }
        }
        if (frame.People is { } people)
        {
            _people[tick] = _spill.Write(SkeletonRecord(people));
        }
    }

    /// <summary>A face's score, keypoint count, keypoints and features, as one spilled vector.</summary>
    private Span<float> FaceRecord(FaceDetection face, float[] features)
    {
        var record = Scratch(2 + face.Keypoints.Length + features.Length);
        (record[0], record[1]) = (face.Score, face.Keypoints.Length);
        face.Keypoints.CopyTo(record[2..]);
        features.CopyTo(record[(2 + face.Keypoints.Length)..]);
        return record;
    }

    /// <summary>The record about to be spilled, in one array reused for every face and tick (written, then let go).</summary>
    private Span<float> Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            _scratch = new float[length];
        }
        return _scratch.AsSpan(0, length);
    }

    private SubjectFace ReadFace(KeptFace kept)
    {
        var record = _spill.Read(kept.Rest);
        var keypoints = (int)record[1];
        var at = _ticks[IndexOfTick(kept.Tick)];
        var face = new FaceDetection(kept.X1, kept.Y1, kept.X2, kept.Y2, record[0], record[2..(2 + keypoints)]);
        return new SubjectFace(face, at.FrameIndex, at.Time, record[(2 + keypoints)..]);
    }

    /// <summary>A tick's skeletons as one vector: their count, then each one's score, keypoint count and (x, y, score) triples.</summary>
    private Span<float> SkeletonRecord(List<Skeleton> people)
    {
        var record = Scratch(1 + people.Sum(p => 2 + (p.Keypoints.Length * 3)));
        record[0] = people.Count;
        var i = 1;
        foreach (var body in people)
        {
            (record[i], record[i + 1]) = (body.Score, body.Keypoints.Length);
            i += 2;
            foreach (var k in body.Keypoints)
            {
                (record[i], record[i + 1], record[i + 2]) = (k.X, k.Y, k.Score);
                i += 3;
            }
        }
        return record;
    }

    private List<Skeleton> ReadPeople(VectorSpill.Place place)
    {
        var record = _spill.Read(place);
        var people = new List<Skeleton>((int)record[0]);
        for (var (i, n) = (1, 0); n < (int)record[0]; n++)
        {
            var (score, count) = (record[i], (int)record[i + 1]);
            var keypoints = new Keypoint[count];
            for (var k = 0; k < count; k++)
            {
                var at = i + 2 + (k * 3);
                keypoints[k] = new Keypoint(record[at], record[at + 1], record[at + 2]);
            }
            people.Add(new Skeleton(keypoints, score));
            i += 2 + (count * 3);
        }
        return people;
    }

    /// <summary>The index in <see cref="_ticks"/> of the first tick at or after <paramref name="tick"/>.</summary>
    private int IndexOfTick(int tick) => FirstAtOrAfter(_ticks.Count, i => _ticks[i].Tick, tick);

    /// <summary>In a sequence of <paramref name="count"/> keys in increasing order, the index of the first at or after <paramref name="key"/>.</summary>
    private static int FirstAtOrAfter(int count, Func<int, int> keyAt, int key)
    {
        var (low, high) = (0, count);
        while (low < high)
        {
            var middle = (low + high) / 2;
            (low, high) = keyAt(middle) < key ? (middle + 1, high) : (low, middle);
        }
        return low;
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
    /// <see cref="SubjectFeatures.Each"/> or <see cref="SubjectFeatures.Parts"/> reaches them, so a long video's
    /// features need not all be in memory at once.
    /// The result disposes <paramref name="owner"/> with it: what its features are read from, handed on with them
    /// (this assembler, and the audio when it waits on disk).
    /// </summary>
    public SubjectFeatures BySubject(IReadOnlyList<AudioStep> audio, IReadOnlyList<string> audioColumns, long frameCount, double videoSeconds, IDisposable? owner = null)
    {
        // Faces with their box only (what joining and choosing read), made for this moment and let go after it.
        var persons = _reidentification.Assign(_faces.Select(f => new TrackedFace(f.TrackId, f.Tick, _ticks[IndexOfTick(f.Tick)].Time, new FaceDetection(f.X1, f.Y1, f.X2, f.Y2, 0, []))).ToList());
        var subjects = SubjectSelection.Select(persons, _choice);
        var timeline = Timeline(audio, audioColumns.Count, videoSeconds);
        var facesOf = persons.Select((p, i) => (Person: p.TrackId, Index: i)).GroupBy(p => p.Person).ToDictionary(g => g.Key, g => g.Select(p => p.Index).ToArray());
        return new SubjectFeatures(
            subjects,
            frameCount,
            audioColumns,
            subject => BuildSubject(subject, facesOf[subject], timeline, null),
            (subject, ticksPerPart, marginSteps) => Parts(subject, facesOf[subject], timeline, ticksPerPart, marginSteps),
            owner);
    }

    /// <summary>
    /// What a subject covers: with <see cref="SubjectChoice.All"/> its ticks from the first to the last it is seen
    /// at and its steps that span widened by <see cref="ContextMarginSteps"/>; otherwise the whole video.
    /// <paramref name="faces"/> (indices into <see cref="_faces"/>) are in tick order, as faces are added.
    /// </summary>
    private (int FirstTick, int LastTick, int FirstStep, int LastStep) Span(int[] faces)
    {
        if (_choice != SubjectChoice.All)
        {
            return (int.MinValue, int.MaxValue, int.MinValue, int.MaxValue);
        }
        var (first, last) = (_faces[faces[0]].Tick, _faces[faces[^1]].Tick);
        return (first, last, StepOf(_ticks[IndexOfTick(first)].Time) - ContextMarginSteps, StepOf(_ticks[IndexOfTick(last)].Time) + ContextMarginSteps);
    }

    /// <summary>A subject's features a part at a time: each part's own ticks, <paramref name="ticksPerPart"/> of the video's at most, with the steps within <paramref name="marginSteps"/> of them.</summary>
    private IEnumerable<(List<FaceTick> Ticks, List<FeatureStep> Steps)> Parts(int subject, int[] faces, VoiceTimeline timeline, int ticksPerPart, int marginSteps)
    {
        var (firstTick, lastTick, _, _) = Span(faces);
        var from = IndexOfTick(firstTick);
        while (from < _ticks.Count && _ticks[from].Tick <= lastTick)
        {
            var to = Math.Min(from + ticksPerPart, _ticks.Count) - 1;
            yield return BuildSubject(subject, faces, timeline, new Part(_ticks[from].Tick, _ticks[to].Tick, marginSteps));
            from = to + 1;
        }
    }

    /// <summary>Ticks <paramref name="From"/> to <paramref name="To"/> of a subject, and its steps within <paramref name="MarginSteps"/> of them.</summary>
    private readonly record struct Part(int From, int To, int MarginSteps);

    /// <summary>The subject's ticks and steps: all of them, or those of one <paramref name="part"/> (the faces read back only around it).</summary>
    private (List<FaceTick> Ticks, List<FeatureStep> Steps) BuildSubject(int subject, int[] faces, VoiceTimeline timeline, Part? part)
    {
        var (firstTick, lastTick, firstStep, lastStep) = Span(faces);
        var (readFrom, readTo) = (int.MinValue, int.MaxValue);
        if (part is { } p)
        {
            // A step's face is the mean of the ticks within a quarter second of it (about 3k - 1 .. 3k + 1 for step
            // k); a tick's timestamp may stray from tick / 6 by up to half a tick: one step more on each side covers it.
            (firstTick, lastTick) = (Math.Max(firstTick, p.From), Math.Min(lastTick, p.To));
            var (fromStep, toStep) = (StepOf(_ticks[IndexOfTick(firstTick)].Time) - p.MarginSteps - 1, StepOf(_ticks[IndexOfTick(lastTick)].Time) + p.MarginSteps + 1);
            (firstStep, lastStep) = (Math.Max(firstStep, fromStep), Math.Min(lastStep, toStep));
            (readFrom, readTo) = ((firstStep - 1) * FaceTicks.PerStep, (lastStep + 1) * FaceTicks.PerStep);
        }
        // Faces and steps are in order: a part looks up where its own begin, so it costs its size, not the subject's.
        var mine = faces.Skip(FirstAtOrAfter(faces.Length, k => _faces[faces[k]].Tick, readFrom)).TakeWhile(i => _faces[i].Tick <= readTo)
            .ToDictionary(i => _faces[i].Tick, i => ReadFace(_faces[i]));
        var ticks = new List<FaceTick>();
        var steps = new List<FeatureStep>();
        var bins = mine.Values.GroupBy(t => StepOf(t.Time)).ToDictionary(g => g.Key, g => g.ToList());
        for (var i = IndexOfTick(firstTick); i < _ticks.Count && _ticks[i].Tick <= lastTick; i++)
        {
            var (tick, frameIndex, _) = _ticks[i];
            ticks.Add(mine.TryGetValue(tick, out var f)
                ? new FaceTick(subject, tick, f.Time, f.FrameIndex, f.Face, f.Features)
                : new FaceTick(subject, tick, tick / FrameSampling.FaceStream.RateHz, frameIndex, null, null));
        }
        var timed = timeline.Steps;
        foreach (var a in timed.Skip(FirstAtOrAfter(timed.Count, k => timed[k].Step, firstStep)).TakeWhile(t => t.Step <= lastStep).Select(timeline.At))
        {
            // The step's 0.5 s bin: the subject's face ticks within a quarter second of the step.
            var present = bins.TryGetValue(a.Step, out var near) ? near.Where(t => Math.Abs(t.Time - a.Time) < AudioTimeline.StepSeconds / 2).ToList() : [];
            var face = present.Count == 0 ? null : Mean(present.Select(p => p.Features));
            float[]? pose = null;
            if (present.Count > 0 && _people.TryGetValue(a.Step * FaceTicks.PerStep, out var place))
            {
                var anchor = present.MinBy(p => Math.Abs(p.Time - a.Time)).Face;
                var body = PoseFeatures.MatchToFace(ReadPeople(place), anchor);
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
    /// Each step says where in <paramref name="audio"/> it was heard (-1: not heard); its features are read only when
    /// a subject's part reaches it (<see cref="AudioSteps"/> keeps them on disk).
    /// </summary>
    private VoiceTimeline Timeline(IReadOnlyList<AudioStep> audio, int audioFeatures, double videoSeconds)
    {
        var count = AudioTimeline.StepCount(videoSeconds);
        Func<int, int> stepAt = audio is AudioSteps spilled ? spilled.StepAt : i => audio[i].Step;   // the step alone, not its features from disk
        var heard = new Dictionary<int, int>();
        for (var i = 0; i < audio.Count; i++)
        {
            if (stepAt(i) is var step && step >= 0 && step < count)
            {
                heard[step] = i;
            }
        }
        var wanted = new HashSet<int>(heard.Keys);
        var covered = -1L;   // ticks come in order: each step near them is added once
        foreach (var (tick, _, _) in _ticks)
        {
            var at = StepOf(tick / FrameSampling.FaceStream.RateHz);
            var last = Math.Min(count - 1, (long)at + ContextMarginSteps);
            for (var k = Math.Max(covered + 1, Math.Max(0, at - ContextMarginSteps)); k <= last; k++)
            {
                wanted.Add((int)k);
            }
            covered = Math.Max(covered, last);
        }
        return new VoiceTimeline([.. wanted.Order().Select(k => new TimelineStep(k, heard.GetValueOrDefault(k, -1)))], audio, audioFeatures);
    }

    /// <summary>A step of the timeline, and where in the audio it was heard (-1: not heard).</summary>
    private readonly record struct TimelineStep(int Step, int Heard);

    /// <summary>The video's timeline steps in order, and the audio they were heard in.</summary>
    private sealed record VoiceTimeline(List<TimelineStep> Steps, IReadOnlyList<AudioStep> Audio, int AudioFeatures)
    {
        /// <summary>A step's audio: as heard (its features read now), or absent voice.</summary>
        public AudioStep At(TimelineStep step) => step.Heard >= 0
            ? Audio[step.Heard]
            : new AudioStep(step.Step, AudioTimeline.StepTime(step.Step), new float[AudioFeatures], 0, Present: false);
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
