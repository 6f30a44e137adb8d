using System.Globalization;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// What <c>analyze</c> writes from the fusion network, per video (schemas documented in the README):
/// <c>&lt;stem&gt;.predictions.parquet</c> (predictions/1), one row per subject and original video frame with the label
/// and the 8 class probabilities; <c>&lt;stem&gt;.attention.parquet</c> (attention/1), one row per subject, face tick
/// and window step with the three modalities' attention weights and presence. The columns readers use are named
/// once, in <see cref="Column"/>; <see cref="ReadPredictionsAsync"/> and <see cref="ReadAttentionAsync"/> read them back
/// and say what is missing or damaged, naming the file.
/// </summary>
public static class PredictionTables
{
    public const string PredictionsSchema = "predictions/1";
    public const string AttentionSchema = "attention/1";
    public const string PredictionsSuffix = ".predictions.parquet";
    public const string AttentionSuffix = ".attention.parquet";

    /// <summary>The column names of both tables, for the writer and every reader.</summary>
    public static class Column
    {
        public const string VideoId = "video_id";
        public const string Subject = "subject";
        public const string FrameIndex = "frame_index";
        public const string Label = "label";
        public const string LabelIndex = "label_index";
        public const string SourceTick = "source_tick";
        public const string SourceFrameIndex = "source_frame_index";
        public const string SourceTime = "source_time_s";
        public const string Filled = "filled";
        public const string Tick = "tick";
        public const string Time = "time_s";
        public const string StepOffset = "step_offset";
        public const string Step = "step";
        public const string StepTime = "step_time_s";

        /// <summary>A class's probability: <c>prob_</c> and the class name in lower case.</summary>
        public static string Probability(string className) => "prob_" + className.ToLowerInvariant();

        /// <summary>A modality's attention weight at the row's step.</summary>
        public static string Attention(string modality) => "attn_" + modality;

        /// <summary>Whether the modality was present at the row's step.</summary>
        public static string Present(string modality) => modality + "_present";
    }

    public static string PredictionsPath(string folder, string stem) => Path.Combine(folder, stem + PredictionsSuffix);

    public static string AttentionPath(string folder, string stem) => Path.Combine(folder, stem + AttentionSuffix);

    /// <summary>The attention file beside a predictions file.</summary>
    public static string AttentionPathFor(string predictionsPath) => predictionsPath[..^PredictionsSuffix.Length] + AttentionSuffix;

    /// <summary>
    /// Attention first: the predictions file, written last, marks the pair complete. The frame rows are taken as they
    /// are made, a row group at a time (a long video's are never all in memory); how many were written comes back.
    /// </summary>
    public static async Task<long> WriteAsync(string folder, string stem, string videoId, IReadOnlyList<string> classes, IReadOnlyList<TickResult> ticks, IEnumerable<FramePrediction> frames, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var steps = ticks.SelectMany(t => Enumerable.Range(0, t.Steps).Select(s => (Tick: t, Offset: s)));
        var attention = new ColumnTable<(TickResult Tick, int Offset)>(steps);
        attention.String(Column.VideoId, _ => videoId);
        attention.Int(Column.Subject, r => r.Tick.Subject);
        attention.Int(Column.Tick, r => r.Tick.Tick);
        attention.Double(Column.Time, r => r.Tick.Time);
        attention.Long(Column.FrameIndex, r => r.Tick.FrameIndex);
        attention.String(Column.Label, r => classes[r.Tick.Label]);
        attention.Int(Column.StepOffset, r => r.Offset);
        attention.Int(Column.Step, r => r.Tick.FirstStep + r.Offset);
        attention.Double(Column.StepTime, r => (r.Tick.FirstStep + r.Offset) * AudioTimeline.StepSeconds);
        var modalities = Modalities.Names;
        for (var m = 0; m < 3; m++)
        {
            var at = m;
            attention.Float(Column.Attention(modalities[m]), r => r.Tick.Attention(at, r.Offset));
        }
        for (var m = 0; m < 3; m++)
        {
            var at = m;
            attention.Bool(Column.Present(modalities[m]), r => r.Tick.IsPresent(r.Offset, at));
        }

        var predictions = new ColumnTable<FramePrediction>(frames);
        predictions.String(Column.VideoId, _ => videoId);
        predictions.Int(Column.Subject, f => f.Subject);
        predictions.Long(Column.FrameIndex, f => f.FrameIndex);
        predictions.String(Column.Label, f => classes[f.Source.Label]);
        predictions.Int(Column.LabelIndex, f => f.Source.Label);
        for (var c = 0; c < classes.Count; c++)
        {
            var at = c;
            predictions.Float(Column.Probability(classes[c]), f => f.Source.Probability(at));
        }
        predictions.Int(Column.SourceTick, f => f.Source.Tick);
        predictions.Long(Column.SourceFrameIndex, f => f.Source.FrameIndex);
        predictions.Double(Column.SourceTime, f => f.Source.Time);
        predictions.Bool(Column.Filled, f => f.Filled);

        // The classes name the probability columns: the file records them itself, so a reader finds its columns.
        var withClasses = new Dictionary<string, string>(metadata) { [OutputMetadata.Prefix + "fusion.classes"] = string.Join(",", classes) };
        await attention.WriteAsync(AttentionPath(folder, stem), With(withClasses, AttentionSchema), cancellationToken);
        await predictions.WriteAsync(PredictionsPath(folder, stem), With(withClasses, PredictionsSchema), cancellationToken);
        return predictions.Rows;
    }

    /// <summary>
    /// Reads a predictions file back: every frame row's subject, frame, label and source tick (and, with
    /// <paramref name="probabilities"/>, each class's probability). A missing or foreign file, a missing or short
    /// column, or metadata without the video's id, frame count or classes is an error naming the file.
    /// </summary>
    public static async Task<PredictionRows> ReadPredictionsAsync(string path, bool probabilities, CancellationToken cancellationToken)
    {
        string[] labelColumns = [Column.Subject, Column.FrameIndex, Column.LabelIndex, Column.SourceTick, Column.SourceTime, Column.Filled];
        var (table, meta) = await ParquetColumns.ReadAsync(path, PredictionsSchema, "an analyze predictions file", cancellationToken, probabilities ? null : new HashSet<string>(labelColumns, StringComparer.Ordinal));
        var videoId = meta.GetValueOrDefault(OutputMetadata.Prefix + "video_id");
        var classes = meta.GetValueOrDefault(OutputMetadata.Prefix + "fusion.classes")?.Split(',');
        if (videoId is null || classes is null
            || !long.TryParse(meta.GetValueOrDefault(OutputMetadata.Prefix + "video_frame_count"), NumberStyles.None, CultureInfo.InvariantCulture, out var frameCount))
        {
            throw new InvalidDataException($"{path}: metadata without a video id, a frame count or the classes");
        }
        int? steps = int.TryParse(meta.GetValueOrDefault(OutputMetadata.Prefix + "fusion.steps"), NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
        var rows = ParquetColumns.Required(table, Column.Subject, path).Length;
        double[] Read(string column) => ParquetColumns.Required(table, column, path, rows);
        return new PredictionRows(path, meta, videoId, classes, steps, frameCount,
            Ints(Read(Column.Subject)), Array.ConvertAll(Read(Column.FrameIndex), v => (long)v), Ints(Read(Column.LabelIndex)), Ints(Read(Column.SourceTick)),
            Read(Column.SourceTime), Array.ConvertAll(Read(Column.Filled), v => v > 0),
            probabilities ? classes.Select(c => Read(Column.Probability(c))).ToArray() : null);
    }

    /// <summary>Reads an attention file back: per row its subject, tick, step offset and the three modalities' weights (0 where null).</summary>
    public static async Task<AttentionRows> ReadAttentionAsync(string path, CancellationToken cancellationToken)
    {
        var (table, _) = await ParquetColumns.ReadAsync(path, AttentionSchema, "an analyze attention file", cancellationToken);
        var rows = ParquetColumns.Required(table, Column.Subject, path).Length;
        var weights = Modalities.Names.Select(m => table.TryGetValue(Column.Attention(m), out var w) && w.Length == rows
            ? Array.ConvertAll(w, v => v ?? 0)
            : throw new InvalidDataException($"{path}: column '{Column.Attention(m)}' is missing or not {rows} rows long")).ToArray();
        return new AttentionRows(Ints(ParquetColumns.Required(table, Column.Subject, path)), Ints(ParquetColumns.Required(table, Column.Tick, path, rows)),
            Ints(ParquetColumns.Required(table, Column.StepOffset, path, rows)), weights);
    }

    private static int[] Ints(double[] values) => Array.ConvertAll(values, v => (int)v);

    private static Dictionary<string, string> With(IReadOnlyDictionary<string, string> metadata, string schema) =>
        new(metadata) { [OutputMetadata.Prefix + "schema"] = schema };
}

/// <summary>
/// A predictions file read back, column by column (row r of each array is the file's row r), with what its metadata
/// says (<see cref="Steps"/>, the fusion window's, when recorded). <see cref="Probabilities"/>[c] is class c's column, when read.
/// </summary>
public sealed record PredictionRows(
    string Path,
    IReadOnlyDictionary<string, string> Metadata,
    string VideoId,
    IReadOnlyList<string> Classes,
    int? Steps,
    long FrameCount,
    int[] Subject,
    long[] FrameIndex,
    int[] LabelIndex,
    int[] SourceTick,
    double[] SourceTime,
    bool[] Filled,
    double[][]? Probabilities)
{
    /// <summary>The subject choice the video was analysed with (<c>all</c>, <c>largest</c>, ...).</summary>
    public string SubjectChoice => Metadata.GetValueOrDefault(OutputMetadata.Prefix + "subject_choice", "");

    /// <summary>The fusion model's file and variant, as a line.</summary>
    public string Model => Metadata.GetValueOrDefault(OutputMetadata.Prefix + "model.fusion.file", "?") + " (" + Metadata.GetValueOrDefault(OutputMetadata.Prefix + "fusion.variant", "?") + ")";
}

/// <summary>An attention file read back: per row its subject, tick and step offset; <see cref="Weights"/>[m] is modality m's column (<see cref="Modalities.Names"/>' order).</summary>
public sealed record AttentionRows(int[] Subject, int[] Tick, int[] StepOffset, double[][] Weights);
