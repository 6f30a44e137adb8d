using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EmmaNet.Batch.Fusion;

/// <summary><c>fusion-experiment</c>'s output: per task, each variant's macro F1 and attention at the cue (mean ± sd over seeds) and which claims hold; or all of it as JSON.</summary>
public static class CueStudyReport
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Json(CueExperiment.Settings settings, IReadOnlyList<CueResult> results, IReadOnlyList<VariantSummary> summaries, IReadOnlyList<ClaimResult> claims) =>
        JsonSerializer.Serialize(new { settings, results, summaries, claims }, JsonOptions) + Environment.NewLine;

    public static string Text(IReadOnlyList<CueTask> tasks, int seeds, CueExperiment.Settings settings, IReadOnlyList<VariantSummary> summaries, IReadOnlyList<ClaimResult> claims)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        foreach (var task in tasks)
        {
            text.AppendLine(inv, $"task {task.ToString().ToLowerInvariant()} ({seeds} seeds, T = {settings.Steps}, {(settings.BidirectionalContext ? "bidirectional" : "forward-only")} context encoders{(settings.PresenceInput ? ", presence input" : "")}{(settings.StepPosition ? ", step position" : "")})");
            text.AppendLine("variant      macro F1 (mean ± sd)   attention argmax at the cue (mean ± sd)");
            foreach (var s in summaries.Where(s => s.Task == task))
            {
                var peak = double.IsNaN(s.AttentionAtCueMean) ? "-" : string.Create(inv, $"{s.AttentionAtCueMean:P1} ± {s.AttentionAtCueStd:P1}");
                text.AppendLine(inv, $"{CueStudy.Name(s.Variant),-12} {s.MacroF1Mean,8:F3} ± {s.MacroF1Std:F3}        {peak}");
            }
            foreach (var c in claims.Where(c => c.Task == task))
            {
                text.AppendLine(inv, $"  {(c.Holds ? "holds   " : "does not")} {c.Claim}: {c.MeanDifference:+0.000;-0.000} ± {c.Std:F3}");
            }
            text.AppendLine();
        }
        text.AppendLine(inv, $"(a claim holds when its mean paired difference over seeds exceeds two standard deviations; a uniform attention guess peaks at the cue {1.0 / settings.Steps:P1} of the time)");
        return text.ToString();
    }
}
