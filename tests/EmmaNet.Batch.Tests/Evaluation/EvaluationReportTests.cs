using System.Text.Json;
using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Evaluation;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Tests.Evaluation;

/// <summary>evaluate's JSON, CSV and confusion text, made by the library without running the command.</summary>
public sealed class EvaluationReportTests
{
    // Person a: 3 Neutral frames right, 1 Happiness read as Neutral; person b: 2 Sadness frames right.
    private static readonly VideoScore A = new("a", ExpressionMetrics.Compute([0, 0, 0, 4], [0, 0, 0, 0]));
    private static readonly VideoScore B = new("b", ExpressionMetrics.Compute([5, 5], [5, 5]));
    private static readonly ExpressionMetrics All = ExpressionMetrics.Compute([0, 0, 0, 4, 5, 5], [0, 0, 0, 0, 5, 5]);

    [Fact]
    public void Csv_has_one_row_per_person_and_one_for_all_frames()
    {
        var lines = EvaluationReport.Csv([A, B], All).TrimEnd('\n').Split('\n');
        Assert.Equal("name,frames,f1_Neutral,f1_Anger,f1_Disgust,f1_Fear,f1_Happiness,f1_Sadness,f1_Surprise,f1_Other,accuracy,avg_f1", lines[0]);
        Assert.Equal(["a", "b", "all frames"], lines.Skip(1).Select(l => l.Split(',')[0]));
        var all = lines[3].Split(',');
        Assert.Equal("6", all[1]);
        Assert.Equal(5 / 6.0, double.Parse(all[10], System.Globalization.CultureInfo.InvariantCulture), 12);
    }

    [Fact]
    public void Json_holds_the_classes_every_person_and_the_confusion_matrix()
    {
        using var doc = JsonDocument.Parse(EvaluationReport.Json([A, B], All));
        var root = doc.RootElement;
        Assert.Equal(8, root.GetProperty("classes").GetArrayLength());
        Assert.Equal(["a", "b"], root.GetProperty("videos").EnumerateArray().Select(v => v.GetProperty("name").GetString()));
        var overall = root.GetProperty("overall");
        Assert.Equal("all frames", overall.GetProperty("name").GetString());
        // Annotated Happiness (row 4) predicted Neutral (column 0) once.
        Assert.Equal(1, overall.GetProperty("confusion")[4][0].GetInt32());
        Assert.Equal(3, overall.GetProperty("confusion")[0][0].GetInt32());
    }

    [Fact]
    public void Confusion_text_has_a_row_per_class()
    {
        var lines = EvaluationReport.Confusion(All).TrimEnd().Split('\n');
        Assert.Equal(2 + 8, lines.Length);
        Assert.StartsWith("Happiness", lines[2 + 4], StringComparison.Ordinal);
        Assert.EndsWith("0", lines[2 + 4].TrimEnd(), StringComparison.Ordinal);
    }
}
