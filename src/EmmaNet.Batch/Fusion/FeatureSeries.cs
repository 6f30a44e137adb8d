using EmmaNet.Batch.Features;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Fusion;

/// <summary>One subject at one 2 Hz step as fusion reads it: each modality's features (zeros where absent) and presence.</summary>
public sealed record StepInput(float[] Face, float[] Audio, float[] Pose, bool FacePresent, bool AudioPresent, bool PosePresent);

/// <summary>One subject at one 6 Hz face tick where its face is seen, with the face feature f_c.</summary>
public sealed record TickInput(int Subject, int Tick, long FrameIndex, double Time, float[] Face);

/// <summary>A face-stream tick and the video frame it was taken from (the same for every subject).</summary>
public readonly record struct TickFrame(int Tick, long FrameIndex);

/// <summary>
/// One video's features for one subject choice, as the fusion network consumes them: read from <c>extract</c>'s
/// Parquet (schema features/2) or taken straight from the pipeline, so training and <c>analyze</c> build windows the
/// same way. <see cref="Metadata"/> holds the feature files' key-value metadata (models used, frame count). Only the
/// ticks where a subject is seen are kept (with every track of a long video, the others are most of the table).
/// </summary>
public sealed class FeatureSeries(IReadOnlyList<TickInput> ticks, IReadOnlyList<TickFrame> tickFrames, IReadOnlyDictionary<int, Dictionary<int, StepInput>> steps, long frameCount, IReadOnlyDictionary<string, string> metadata)
{
    /// <summary>Every subject's ticks where its face is seen, in table order (by subject, then tick).</summary>
    public IReadOnlyList<TickInput> Ticks { get; } = ticks;

    /// <summary>Every tick of the video in order, with its frame.</summary>
    public IReadOnlyList<TickFrame> TickFrames { get; } = tickFrames;

    /// <summary>Per subject, its steps by step index.</summary>
    public IReadOnlyDictionary<int, Dictionary<int, StepInput>> Steps { get; } = steps;

    public long FrameCount { get; } = frameCount;

    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    public static FeatureSeries From(VideoFeatures features, IReadOnlyDictionary<string, string> metadata)
    {
        var faceSize = features.Ticks.FirstOrDefault(t => t.Features is not null)?.Features!.Length ?? FaceFeature.ExpressionCount;
        // Absent modalities share one zero vector each (windows copy what they read): most steps of a long video's
        // subjects have no face, and a vector each was 1 KB a step.
        var (noFace, noPose) = (new float[faceSize], new float[Pose.PoseFeatures.Count]);
        var steps = features.Steps.GroupBy(s => s.Subject).ToDictionary(
            g => g.Key,
            g => g.ToDictionary(s => s.Step, s => new StepInput(
                s.Face ?? noFace, s.Audio.Features, s.Pose ?? noPose, s.FacePresent, s.Audio.Present, s.PosePresent)));
        var ticks = features.Ticks.Where(t => t.Face is not null).Select(t => new TickInput(t.Subject, t.Tick, t.FrameIndex, t.Time, t.Features!)).ToList();
        return new FeatureSeries(ticks, Frames(features.Ticks.Select(t => new TickFrame(t.Tick, t.FrameIndex))), steps, features.FrameCount, metadata);
    }

    /// <summary>Reads <c>extract</c>'s two tables of one video (<see cref="FeatureTables.ReadAsync"/>); a file that is missing or not features/2 is an error naming it.</summary>
    public static async Task<FeatureSeries> ReadAsync(string stepsPath, string ticksPath, CancellationToken cancellationToken)
    {
        var file = await FeatureTables.ReadAsync(stepsPath, ticksPath, cancellationToken);
        var steps = new Dictionary<int, Dictionary<int, StepInput>>();
        foreach (var row in file.Steps)
        {
            if (!steps.TryGetValue(row.Subject, out var mine))
            {
                steps[row.Subject] = mine = new Dictionary<int, StepInput>();
            }
            mine[row.Step] = new StepInput(row.Face, row.Audio, row.Pose, row.FacePresent, row.AudioPresent, row.PosePresent);
        }
        var ticks = file.Ticks.Where(t => t.Face is not null).Select(t => new TickInput(t.Subject, t.Tick, t.FrameIndex, t.Time, t.Face!)).ToList();
        return new FeatureSeries(ticks, Frames(file.Ticks.Select(t => new TickFrame(t.Tick, t.FrameIndex))), steps, file.FrameCount, file.Metadata);
    }

    private static List<TickFrame> Frames(IEnumerable<TickFrame> all) => all.DistinctBy(t => t.Tick).OrderBy(t => t.Tick).ToList();
}
