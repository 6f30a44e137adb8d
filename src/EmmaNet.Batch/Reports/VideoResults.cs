using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Reports;

/// <summary>One subject's readings at its seen ticks: time, the 8 probabilities, the label, and per modality the attention over the window's steps.</summary>
public sealed record SubjectTimeline(int Subject, double[] Times, double[][] Probabilities, int[] Labels, double[][][] Attention, long Frames);

/// <summary>One analysed video as the report reads it back from <c>analyze</c>'s predictions and attention files.</summary>
public sealed record VideoResults(string VideoId, string PredictionsPath, IReadOnlyList<string> Classes, int Steps, IReadOnlyList<SubjectTimeline> Subjects, long FrameCount, string Model)
{
    /// <summary>Reads <c>&lt;stem&gt;.predictions.parquet</c> and <c>&lt;stem&gt;.attention.parquet</c>; a missing or foreign file is an error naming it.</summary>
    public static async Task<VideoResults> ReadAsync(string predictionsPath, CancellationToken cancellationToken)
    {
        var frames = await PredictionTables.ReadPredictionsAsync(predictionsPath, probabilities: true, cancellationToken);
        var attention = await PredictionTables.ReadAttentionAsync(PredictionTables.AttentionPathFor(predictionsPath), cancellationToken);
        var steps = frames.Steps ?? DefaultSteps;

        // Per subject and tick: probabilities from any frame holding that tick's own prediction.
        var perTick = new SortedDictionary<(int Subject, int Tick), (double Time, double[] P, int Label)>();
        var frameRows = new Dictionary<int, long>();
        for (var r = 0; r < frames.Subject.Length; r++)
        {
            var subject = frames.Subject[r];
            frameRows[subject] = frameRows.GetValueOrDefault(subject) + 1;
            var key = (subject, frames.SourceTick[r]);
            if (!frames.Filled[r] && !perTick.ContainsKey(key))
            {
                perTick[key] = (frames.SourceTime[r], frames.Probabilities!.Select(c => c[r]).ToArray(), frames.LabelIndex[r]);
            }
        }
        var weights = new Dictionary<(int Subject, int Tick), double[][]>();
        for (var r = 0; r < attention.Subject.Length; r++)
        {
            var key = (attention.Subject[r], attention.Tick[r]);
            if (!weights.TryGetValue(key, out var w))
            {
                weights[key] = w = Enumerable.Range(0, 3).Select(_ => new double[steps]).ToArray();
            }
            var offset = attention.StepOffset[r];
            for (var m = 0; m < 3; m++)
            {
                w[m][offset] = attention.Weights[m][r];
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
        return new VideoResults(frames.VideoId, predictionsPath, frames.Classes, steps, subjects, frames.FrameCount, frames.Model);
    }

    /// <summary>The window length of files that do not record it (the paper's T).</summary>
    private const int DefaultSteps = 12;
}
