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
        var steps = features.Steps.GroupBy(s => s.Subject).ToDictionary(
            g => g.Key,
            g => g.ToDictionary(s => s.Step, s => new StepInput(
                s.Face ?? new float[faceSize], s.Audio.Features, s.Pose ?? new float[Pose.PoseFeatures.Count], s.FacePresent, s.Audio.Present, s.PosePresent)));
        var ticks = features.Ticks.Where(t => t.Face is not null).Select(t => new TickInput(t.Subject, t.Tick, t.FrameIndex, t.Time, t.Features!)).ToList();
        return new FeatureSeries(ticks, Frames(features.Ticks.Select(t => new TickFrame(t.Tick, t.FrameIndex))), steps, features.FrameCount, metadata);
    }

    /// <summary>Reads <c>extract</c>'s two tables of one video; a file that is missing or not features/2 is an error naming it.</summary>
    public static async Task<FeatureSeries> ReadAsync(string stepsPath, string ticksPath, CancellationToken cancellationToken)
    {
        var (stepTable, metadata) = await ParquetColumns.ReadAsync(stepsPath, FeatureTables.Schema, "extract features", cancellationToken);
        var (tickTable, _) = await ParquetColumns.ReadAsync(ticksPath, FeatureTables.Schema, "extract features", cancellationToken);
        // The mesh measures are read where the features have them (extracted with the mesh on).
        var meshColumns = FeatureTables.MeshColumns().ToArray();
        string[] faceColumns = [.. Enumerable.Range(0, FaceFeature.EmbeddingCount).Select(i => $"face_emb_{i:000}"), .. FeatureTables.ExpressionColumns(),
            .. stepTable.ContainsKey(meshColumns[0]) ? meshColumns : []];
        var audioColumns = stepTable.Keys.Where(k => k.StartsWith("audio_", StringComparison.Ordinal) && k != "audio_present").ToArray();
        var poseColumns = stepTable.Keys.Where(k => k.StartsWith("pose_", StringComparison.Ordinal) && k != "pose_present").ToArray();

        // Every column read below is checked first: a damaged or foreign file is an error naming it and the column.
        var stepRows = ParquetColumns.Required(stepTable, "step", stepsPath).Length;
        var (stepIndex, stepSubject) = (ParquetColumns.Required(stepTable, "step", stepsPath), ParquetColumns.Required(stepTable, "subject", stepsPath, stepRows));
        var (facePresent, audioPresent, posePresent) = (ParquetColumns.Required(stepTable, "face_present", stepsPath, stepRows),
            ParquetColumns.Required(stepTable, "audio_present", stepsPath, stepRows), ParquetColumns.Required(stepTable, "pose_present", stepsPath, stepRows));
        CheckColumns(stepTable, [.. faceColumns, .. audioColumns, .. poseColumns], stepRows, stepsPath);
        var steps = new Dictionary<int, Dictionary<int, StepInput>>();
        for (var r = 0; r < stepRows; r++)
        {
            var subject = (int)stepSubject[r];
            if (!steps.TryGetValue(subject, out var mine))
            {
                steps[subject] = mine = new Dictionary<int, StepInput>();
            }
            mine[(int)stepIndex[r]] = new StepInput(
                Row(stepTable, faceColumns, r), Row(stepTable, audioColumns, r), Row(stepTable, poseColumns, r),
                facePresent[r] > 0, audioPresent[r] > 0, posePresent[r] > 0);
        }
        var tickRows = ParquetColumns.Required(tickTable, "tick", ticksPath).Length;
        var tickIndex = ParquetColumns.Required(tickTable, "tick", ticksPath);
        var (frameIndex, tickSubject, tickTime, tickFace) = (ParquetColumns.Required(tickTable, "frame_index", ticksPath, tickRows), ParquetColumns.Required(tickTable, "subject", ticksPath, tickRows),
            ParquetColumns.Required(tickTable, "time_s", ticksPath, tickRows), ParquetColumns.Required(tickTable, "face_present", ticksPath, tickRows));
        CheckColumns(tickTable, faceColumns, tickRows, ticksPath);
        var ticks = new List<TickInput>();
        var tickFrames = new List<TickFrame>(tickRows);
        for (var r = 0; r < tickRows; r++)
        {
            var (tick, frame) = ((int)tickIndex[r], (long)frameIndex[r]);
            tickFrames.Add(new TickFrame(tick, frame));
            if (tickFace[r] > 0)
            {
                ticks.Add(new TickInput((int)tickSubject[r], tick, frame, tickTime[r], Row(tickTable, faceColumns, r)));
            }
        }
        var frameCount = metadata.TryGetValue(Output.OutputMetadata.Prefix + "video_frame_count", out var text) && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
        return new FeatureSeries(ticks, Frames(tickFrames), steps, frameCount, metadata);
    }

    private static void CheckColumns(Dictionary<string, double?[]> table, string[] columns, int rows, string path)
    {
        foreach (var column in columns)
        {
            if (!table.TryGetValue(column, out var values) || values.Length != rows)
            {
                throw new InvalidDataException($"{path}: feature column '{column}' is {(values is null ? "missing" : $"{values.Length} rows long, the table {rows}")}");
            }
        }
    }

    private static List<TickFrame> Frames(IEnumerable<TickFrame> all) => all.DistinctBy(t => t.Tick).OrderBy(t => t.Tick).ToList();

    private static float[] Row(Dictionary<string, double?[]> table, string[] columns, int row)
    {
        var values = new float[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            values[i] = (float)(table[columns[i]][row] ?? 0);
        }
        return values;
    }
}
