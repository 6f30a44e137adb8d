namespace EmmaNet.Batch.Fusion;

/// <summary>A variant on a task over seeds: macro F1 and attention-on-cue, mean and sample standard deviation.</summary>
public sealed record VariantSummary(CueTask Task, FusionVariant Variant, int Seeds, double MacroF1Mean, double MacroF1Std, double AttentionAtCueMean, double AttentionAtCueStd);

/// <summary>
/// One claim checked over seeds: the paired per-seed differences (A minus B, same data and initial seed), their mean
/// and sample standard deviation; it holds when the mean exceeds two standard deviations.
/// </summary>
public sealed record ClaimResult(CueTask Task, string Claim, double MeanDifference, double Std, bool Holds);

/// <summary><see cref="CueExperiment"/> over tasks, variants and seeds, with the claims of the paper checked on the result.</summary>
public static class CueStudy
{
    public static List<CueResult> Run(IReadOnlyList<CueTask> tasks, IReadOnlyList<FusionVariant> variants, int seeds, CueExperiment.Settings settings, Action<CueResult>? progress = null)
    {
        var results = new List<CueResult>();
        foreach (var task in tasks)
        {
            for (var k = 0; k < seeds; k++)
            {
                foreach (var variant in variants)
                {
                    var r = CueExperiment.Run(variant, settings with { Task = task, Seed = settings.Seed + (1000 * k) });
                    results.Add(r);
                    progress?.Invoke(r);
                }
            }
        }
        return results;
    }

    public static List<VariantSummary> Summarise(IReadOnlyList<CueResult> results) =>
        results.GroupBy(r => (r.Task, r.Variant)).Select(g =>
        {
            var (f1, f1Std) = MeanStd(g.Select(r => r.MacroF1).ToList());
            var (at, atStd) = MeanStd(g.Select(r => r.AttentionAtCue).ToList());
            return new VariantSummary(g.Key.Task, g.Key.Variant, g.Count(), f1, f1Std, at, atStd);
        }).ToList();

    /// <summary>
    /// Per task: attention's macro F1 above each other variant's (paired by seed), and attention's argmax on the cue
    /// more often than the 1 / T of a uniform guess.
    /// </summary>
    public static List<ClaimResult> Claims(IReadOnlyList<CueResult> results, int steps)
    {
        var claims = new List<ClaimResult>();
        foreach (var task in results.Select(r => r.Task).Distinct())
        {
            var mine = results.Where(r => r.Task == task).ToList();
            var attention = mine.Where(r => r.Variant == FusionVariant.Attention).ToDictionary(r => r.Seed);
            if (attention.Count == 0)
            {
                continue;
            }
            foreach (var other in mine.Select(r => r.Variant).Distinct().Where(v => v != FusionVariant.Attention))
            {
                var diffs = mine.Where(r => r.Variant == other && attention.ContainsKey(r.Seed)).Select(r => attention[r.Seed].MacroF1 - r.MacroF1).ToList();
                claims.Add(Claim(task, $"attention > {Name(other)} (macro F1)", diffs));
            }
            claims.Add(Claim(task, "attention peaks at the cue above chance", attention.Values.Select(r => r.AttentionAtCue - (1.0 / steps)).ToList()));
        }
        return claims;
    }

    public static string Name(FusionVariant variant) => variant.ToString().ToLowerInvariant();

    private static ClaimResult Claim(CueTask task, string claim, List<double> diffs)
    {
        var (mean, std) = MeanStd(diffs);
        return new ClaimResult(task, claim, mean, std, diffs.Count >= 2 && mean > 2 * std);
    }

    private static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        if (values.Count == 0 || values.Any(double.IsNaN))
        {
            return (double.NaN, double.NaN);
        }
        var mean = values.Average();
        var std = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, std);
    }
}
