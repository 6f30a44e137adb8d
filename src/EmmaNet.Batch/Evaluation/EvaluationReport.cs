using System.Globalization;
using System.Text.Json;
using System.Text;
using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Evaluation;

/// <summary>
/// The forms <c>emmanet evaluate</c> writes its scores in besides the results table: the confusion matrix as text,
/// JSON (classes, per person and over all frames, with the confusion matrices) and CSV (one row per person and one for
/// all frames).
/// </summary>
public static class EvaluationReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public const string AllFrames = "all frames";

    /// <summary>The paper's Table 1 layout per person and over all frames, what it measures, and the confusion matrix.</summary>
    public static string Text(IReadOnlyList<VideoScore> videos, ExpressionMetrics overall) =>
        ResultsTable.Format(videos.Select(v => (v.Name, v.Metrics, (double?)null)).Append((AllFrames, overall, null)))
        + "(per-class F1, accuracy and Avg F1 = mean of the 8 per-class F1s, in %; -1 frames skipped)\n\n"
        + Confusion(overall);

    public static string Json(IReadOnlyList<VideoScore> videos, ExpressionMetrics overall) => JsonSerializer.Serialize(new
    {
        classes = ResultsTable.Classes,
        videos = videos.Select(v => Scores(v.Name, v.Metrics)),
        overall = Scores(AllFrames, overall),
    }, Indented);

    public static string Csv(IReadOnlyList<VideoScore> videos, ExpressionMetrics overall)
    {
        var text = new StringBuilder("name,frames," + string.Join(",", ResultsTable.Classes.Select(c => "f1_" + c)) + ",accuracy,avg_f1\n");
        foreach (var (name, m) in videos.Select(v => (v.Name, v.Metrics)).Append((AllFrames, overall)))
        {
            text.Append(CultureInfo.InvariantCulture, $"{name},{m.Count},{string.Join(",", m.F1.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))},{m.Accuracy.ToString("R", CultureInfo.InvariantCulture)},{m.MacroF1.ToString("R", CultureInfo.InvariantCulture)}\n");
        }
        return text.ToString();
    }

    /// <summary>Rows: the annotated class; columns: the predicted one.</summary>
    public static string Confusion(ExpressionMetrics m)
    {
        var text = new StringBuilder("confusion (rows: annotated, columns: predicted)\n").Append(' ', 10);
        foreach (var c in ResultsTable.Classes)
        {
            text.Append(c[..Math.Min(5, c.Length)].PadLeft(7));
        }
        text.AppendLine();
        for (var t = 0; t < ExpressionMetrics.Classes; t++)
        {
            text.Append(ResultsTable.Classes[t].PadRight(10));
            for (var p = 0; p < ExpressionMetrics.Classes; p++)
            {
                text.Append(m.Confusion[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(7));
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    private static object Scores(string name, ExpressionMetrics m) => new
    {
        name,
        frames = m.Count,
        f1 = m.F1,
        accuracy = m.Accuracy,
        avg_f1 = m.MacroF1,
        confusion = Enumerable.Range(0, ExpressionMetrics.Classes).Select(t => Enumerable.Range(0, ExpressionMetrics.Classes).Select(p => m.Confusion[t, p]).ToArray()).ToArray(),
    };
}
