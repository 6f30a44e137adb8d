using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// What <c>analyze</c> writes from the fusion network, per video (schemas documented in the README):
/// <c>&lt;stem&gt;.predictions.parquet</c> (predictions/1), one row per subject and original video frame with the label
/// and the 8 class probabilities; <c>&lt;stem&gt;.attention.parquet</c> (attention/1), one row per subject, face tick
/// and window step with the three modalities' attention weights and presence.
/// </summary>
public static class PredictionTables
{
    public const string PredictionsSchema = "predictions/1";
    public const string AttentionSchema = "attention/1";
    public const string PredictionsSuffix = ".predictions.parquet";
    public const string AttentionSuffix = ".attention.parquet";

    public static string PredictionsPath(string folder, string stem) => Path.Combine(folder, stem + PredictionsSuffix);

    public static string AttentionPath(string folder, string stem) => Path.Combine(folder, stem + AttentionSuffix);

    /// <summary>
    /// Attention first: the predictions file, written last, marks the pair complete. The frame rows are taken as they
    /// are made, a row group at a time (a long video's are never all in memory); how many were written comes back.
    /// </summary>
    public static async Task<long> WriteAsync(string folder, string stem, string videoId, IReadOnlyList<string> classes, IReadOnlyList<TickResult> ticks, IEnumerable<FramePrediction> frames, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var steps = ticks.SelectMany(t => Enumerable.Range(0, t.Present.Length).Select(s => (Tick: t, Offset: s)));
        var attention = new ColumnTable<(TickResult Tick, int Offset)>(steps);
        attention.String("video_id", _ => videoId);
        attention.Int("subject", r => r.Tick.Subject);
        attention.Int("tick", r => r.Tick.Tick);
        attention.Double("time_s", r => r.Tick.Time);
        attention.Long("frame_index", r => r.Tick.FrameIndex);
        attention.String("label", r => classes[r.Tick.Prediction.Label]);
        attention.Int("step_offset", r => r.Offset);
        attention.Int("step", r => r.Tick.FirstStep + r.Offset);
        attention.Double("step_time_s", r => (r.Tick.FirstStep + r.Offset) * AudioTimeline.StepSeconds);
        var modalities = Modalities.Names;
        for (var m = 0; m < 3; m++)
        {
            var at = m;
            attention.Float($"attn_{modalities[m]}", r => r.Tick.Prediction.Attention[at][r.Offset]);
        }
        for (var m = 0; m < 3; m++)
        {
            var at = m;
            attention.Bool($"{modalities[m]}_present", r => r.Tick.Present[r.Offset][at]);
        }

        var predictions = new ColumnTable<FramePrediction>(frames);
        predictions.String("video_id", _ => videoId);
        predictions.Int("subject", f => f.Subject);
        predictions.Long("frame_index", f => f.FrameIndex);
        predictions.String("label", f => classes[f.Source.Prediction.Label]);
        predictions.Int("label_index", f => f.Source.Prediction.Label);
        for (var c = 0; c < classes.Count; c++)
        {
            var at = c;
            predictions.Float($"prob_{classes[c].ToLowerInvariant()}", f => f.Source.Prediction.Probabilities[at]);
        }
        predictions.Int("source_tick", f => f.Source.Tick);
        predictions.Long("source_frame_index", f => f.Source.FrameIndex);
        predictions.Double("source_time_s", f => f.Source.Time);
        predictions.Bool("filled", f => f.Filled);

        await attention.WriteAsync(AttentionPath(folder, stem), With(metadata, AttentionSchema), cancellationToken);
        await predictions.WriteAsync(PredictionsPath(folder, stem), With(metadata, PredictionsSchema), cancellationToken);
        return predictions.Rows;
    }

    private static Dictionary<string, string> With(IReadOnlyDictionary<string, string> metadata, string schema) =>
        new(metadata) { [OutputMetadata.Prefix + "schema"] = schema };
}
