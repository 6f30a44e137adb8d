using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;

namespace EmmaNet.Batch.Fusion;

/// <summary>Joins <c>extract</c> output to labels: Aff-Wild2 EXPR annotations, or the face CNN's own readings for distillation.</summary>
public static class TrainingSets
{
    /// <summary>
    /// One track per annotation file: <c>&lt;video&gt;_left</c>/<c>_right</c> files take the <c>left</c>/<c>right</c>
    /// features of the video, other files the <paramref name="unnamed"/> subject's (e.g. <c>largest</c>). Each tick
    /// with a face takes the label of its own video frame (the ticks' <c>frame_index</c>; frame i of the video is
    /// line i + 2 of the file); -1 and frames beyond the file are unlabelled. Annotation files without features are
    /// reported through <paramref name="warn"/> and left out.
    /// </summary>
    public static async Task<List<LabelledTrack>> AnnotatedAsync(IReadOnlyList<ExprAnnotation> files, string featuresFolder, SubjectChoice unnamed, Action<string> warn, CancellationToken cancellationToken)
    {
        if (unnamed == SubjectChoice.All)
        {
            throw new ArgumentException("annotations label one person per file: choose largest, left or right features for files without _left/_right", nameof(unnamed));
        }
        var tracks = new List<LabelledTrack>();
        foreach (var file in files)
        {
            var choice = file.Side switch { "left" => SubjectChoice.Left, "right" => SubjectChoice.Right, _ => unnamed };
            var steps = FeatureTables.StepsPath(featuresFolder, file.VideoId, choice);
            if (!File.Exists(steps))
            {
                warn($"{file.Name}: no features at {steps} (run `emmanet extract --subject {FeatureTables.Name(choice)}` on the video); left out");
                continue;
            }
            var series = await FeatureSeries.ReadAsync(steps, FeatureTables.TicksPath(featuresFolder, file.VideoId, choice), cancellationToken);
            if (series.FrameCount != file.Labels.Length)
            {
                warn($"{file.Name}: {file.Labels.Length} labelled lines but the video has {series.FrameCount} frames; frames beyond the file are unlabelled");
            }
            var ticks = series.Ticks;
            var labels = ticks.Select(t => t.FrameIndex < file.Labels.Length ? file.Labels[t.FrameIndex] : -1).ToArray();
            tracks.Add(new LabelledTrack(file.Name, file.VideoId, series, ticks, labels));
        }
        return tracks;
    }

    /// <summary>
    /// Distillation: every subject of every features file in the folder, each tick with a face labelled by the face
    /// CNN's reading (<see cref="TeacherTargets"/>): the soft target is the reading pooled over
    /// <paramref name="poolSeconds"/> around the tick, the label the argmax of the tick's own reading (so agreement is
    /// scored against what the CNN says at that tick).
    /// </summary>
    public static async Task<List<LabelledTrack>> DistillationAsync(string featuresFolder, double poolSeconds, CancellationToken cancellationToken)
    {
        var tracks = new List<LabelledTrack>();
        foreach (var steps in Directory.EnumerateFiles(featuresFolder, "*.steps.parquet").Order(StringComparer.Ordinal))
        {
            var ticksPath = steps[..^".steps.parquet".Length] + ".ticks.parquet";
            var series = await FeatureSeries.ReadAsync(steps, ticksPath, cancellationToken);
            var stem = Path.GetFileName(steps)[..^".steps.parquet".Length];
            foreach (var subject in series.Ticks.GroupBy(t => t.Subject))
            {
                var ticks = subject.ToList();
                var own = ticks.Select(t => TeacherTargets.Of(t.Face)).ToArray();
                var targets = TeacherTargets.Pooled(ticks, own, poolSeconds);
                var labels = own.Select(p => Array.IndexOf(p, p.Max())).ToArray();
                tracks.Add(new LabelledTrack($"{stem}#{subject.Key}", stem, series, ticks, labels, targets));
            }
        }
        return tracks;
    }

    /// <summary>A track cut in time: its first <paramref name="share"/> of ticks and the rest (for held-out scoring on every video).</summary>
    public static (LabelledTrack Head, LabelledTrack? Tail) SplitInTime(LabelledTrack track, double share)
    {
        var cut = (int)Math.Round(track.Ticks.Count * share);
        if (cut <= 0 || cut >= track.Ticks.Count)
        {
            return (track, null);
        }
        LabelledTrack Part(int from, int count) => track with
        {
            Ticks = track.Ticks.Skip(from).Take(count).ToList(),
            Labels = track.Labels.Skip(from).Take(count).ToList(),
            Targets = track.Targets?.Skip(from).Take(count).ToList(),
        };
        return (Part(0, cut), Part(cut, track.Ticks.Count - cut));
    }

    /// <summary>
    /// The network's input sizes taken from the features (the audio vector is 256 log-mel statistics or 512
    /// DeepSpectrum values, a user's CNN gives its own), so one trainer serves every extractor.
    /// </summary>
    public static FusionConfig WithFeatureSizes(FusionConfig config, IReadOnlyList<LabelledTrack> tracks)
    {
        var step = tracks.SelectMany(t => t.Series.Steps.Values).SelectMany(s => s.Values).FirstOrDefault()
            ?? throw new InvalidDataException("the features hold no steps");
        return config with { FaceSize = step.Face.Length, AudioSize = step.Audio.Length, PoseSize = step.Pose.Length };
    }

    /// <summary>The extractors behind every track; tracks made by different extractors cannot train one model.</summary>
    public static SortedDictionary<string, string> CommonExtractors(IReadOnlyList<LabelledTrack> tracks)
    {
        var first = ExtractorIdentity.FromMetadata(tracks[0].Series.Metadata);
        foreach (var track in tracks.Skip(1))
        {
            if (ExtractorIdentity.Mismatch(first, ExtractorIdentity.FromMetadata(track.Series.Metadata)) is { } problem)
            {
                throw new InvalidDataException($"{track.Name}: its features were made by other extractors than {tracks[0].Name}'s ({problem})");
            }
        }
        return first;
    }
}
