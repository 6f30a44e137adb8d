using System.Globalization;
using System.Text;

namespace EmmaNet.Batch.Abaw;

/// <summary>The paper's Table 1 layout: per-class F1 (%) over the 8 ABAW classes, accuracy (%), Avg F1 (%), and the ECU stability (%).</summary>
public static class ResultsTable
{
    public static IReadOnlyList<string> Classes => AbawExpressions.Classes;

    public static string Format(IEnumerable<(string Name, ExpressionMetrics Metrics, double? Stability)> rows)
    {
        var list = rows.ToList();
        var width = Math.Max(10, list.Max(r => r.Name.Length));
        var text = new StringBuilder();
        text.Append("split".PadRight(width));
        foreach (var c in Classes)
        {
            text.Append(' ').Append(c.PadLeft(Math.Max(6, c.Length)));
        }
        text.Append("    Acc  Avg F1    ECU   frames").AppendLine();
        foreach (var (name, m, stability) in list)
        {
            text.Append(name.PadRight(width));
            for (var c = 0; c < Classes.Count; c++)
            {
                text.Append(' ').Append(Percent(m.F1[c]).PadLeft(Math.Max(6, Classes[c].Length)));
            }
            text.Append(' ').Append(Percent(m.Accuracy).PadLeft(6))
                .Append(' ').Append(Percent(m.MacroF1).PadLeft(7))
                .Append(' ').Append((stability is { } s ? Percent(s) : "-").PadLeft(6))
                .Append(' ').Append(m.Count.ToString(CultureInfo.InvariantCulture).PadLeft(8))
                .AppendLine();
        }
        return text.ToString();
    }

    private static string Percent(double value) => (100 * value).ToString("F1", CultureInfo.InvariantCulture);
}
