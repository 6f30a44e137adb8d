using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Reports;

/// <summary>One subject's readings at its seen ticks: time, the 8 probabilities, the label, and per modality the attention over the window's steps.</summary>
public sealed record SubjectTimeline(int Subject, double[] Times, double[][] Probabilities, int[] Labels, double[][][] Attention, long Frames);

/// <summary>One analysed video as the report reads it back from <c>analyze</c>'s predictions and attention files.</summary>
public sealed record VideoResults(string VideoId, string PredictionsPath, IReadOnlyList<string> Classes, int Steps, IReadOnlyList<SubjectTimeline> Subjects, long FrameCount, string Model)
{
    /// <summary>Reads <c>&lt;stem&gt;.predictions.parquet</c> and <c>&lt;stem&gt;.attention.parquet</c>; a missing or foreign file is an error naming it.</summary>
    public static async Task<VideoResults> ReadAsync(string predictionsPath, CancellationToken cancellationToken)
    {
        var attentionPath = predictionsPath[..^PredictionTables.PredictionsSuffix.Length] + PredictionTables.AttentionSuffix;
        var (frames, meta) = await ParquetColumns.ReadAsync(predictionsPath, PredictionTables.PredictionsSchema, "analyze predictions", cancellationToken);
        var (attention, _) = await ParquetColumns.ReadAsync(attentionPath, PredictionTables.AttentionSchema, "analyze attention weights", cancellationToken);
        var classes = meta.GetValueOrDefault(OutputMetadata.Prefix + "fusion.classes", "Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other").Split(',');
        var steps = int.Parse(meta.GetValueOrDefault(OutputMetadata.Prefix + "fusion.steps", "12"), System.Globalization.CultureInfo.InvariantCulture);
        var probColumns = classes.Select(c => "prob_" + c.ToLowerInvariant()).ToArray();

        // Per subject and tick: probabilities from any frame holding that tick's own prediction.
        var perTick = new SortedDictionary<(int Subject, int Tick), (double Time, double[] P, int Label)>();
        var frameRows = new Dictionary<int, long>();
        for (var r = 0; r < frames["subject"].Length; r++)
        {
            var subject = (int)frames["subject"][r]!.Value;
            frameRows[subject] = frameRows.GetValueOrDefault(subject) + 1;
            if (frames["filled"][r] > 0)
            {
                continue;
            }
            var key = (subject, (int)frames["source_tick"][r]!.Value);
            if (!perTick.ContainsKey(key))
            {
                perTick[key] = (frames["source_time_s"][r]!.Value, probColumns.Select(c => frames[c][r]!.Value).ToArray(), (int)frames["label_index"][r]!.Value);
            }
        }
        var weights = new Dictionary<(int Subject, int Tick), double[][]>();
        string[] modalities = ["attn_face", "attn_audio", "attn_pose"];
        for (var r = 0; r < attention["subject"].Length; r++)
        {
            var key = ((int)attention["subject"][r]!.Value, (int)attention["tick"][r]!.Value);
            if (!weights.TryGetValue(key, out var w))
            {
                weights[key] = w = Enumerable.Range(0, 3).Select(_ => new double[steps]).ToArray();
            }
            var offset = (int)attention["step_offset"][r]!.Value;
            for (var m = 0; m < 3; m++)
            {
                w[m][offset] = attention[modalities[m]][r] ?? 0;
            }
        }
        var subjects = perTick.GroupBy(kv => kv.Key.Subject).Select(g =>
        {
            var ticks = g.ToList();
            return new SubjectTimeline(g.Key,
                ticks.Select(t => t.Value.Time).ToArray(),
                ticks.Select(t => t.Value.P).ToArray(),
                ticks.Select(t => t.Value.Label).ToArray(),
                ticks.Select(t => weights.GetValueOrDefault(t.Key) ?? Enumerable.Range(0, 3).Select(_ => new double[steps]).ToArray()).ToArray(),
                frameRows[g.Key]);
        }).ToList();
        var frameCount = long.Parse(meta.GetValueOrDefault(OutputMetadata.Prefix + "video_frame_count", "0"), System.Globalization.CultureInfo.InvariantCulture);
        return new VideoResults(meta.GetValueOrDefault(OutputMetadata.Prefix + "video_id", Path.GetFileName(predictionsPath)), predictionsPath, classes, steps, subjects, frameCount,
            meta.GetValueOrDefault(OutputMetadata.Prefix + "model.fusion.file", "?") + " (" + meta.GetValueOrDefault(OutputMetadata.Prefix + "fusion.variant", "?") + ")");
    }
}
