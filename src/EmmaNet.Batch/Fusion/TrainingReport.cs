using System.Globalization;
using System.Text;
using EmmaNet.Batch.Abaw;

namespace EmmaNet.Batch.Fusion;

/// <summary><c>train</c>'s output: the results table, what its rows measure, and a distilled model's attention diagnostics per video and modality.</summary>
public static class TrainingReport
{
    public static string Text(TrainingResult result)
    {
        var text = new StringBuilder(ResultsTable.Format(result.Rows.Select(r => (r.Split, r.Metrics, (double?)r.Stability))));
        text.AppendLine(CultureInfo.InvariantCulture, $"({result.RowsMeaning})");
        foreach (var (video, modalities) in result.Attention ?? [])
        {
            foreach (var m in modalities.Where(m => m.Windows > 0))
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"attention {video} {m.Modality}: {m.Windows} windows, entropy {m.Entropy:F2}, own {m.OwnStep:F2}, first {m.FirstPresent:F2}, last {m.LastPresent:F2}, top position {m.TopPosition} ({m.TopPositionShare:F2}){(m.IsPositional() ? " POSITIONAL" : "")}");
            }
        }
        return text.ToString();
    }
}
