using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Evaluation;

/// <summary>One annotated person's score.</summary>
public sealed record VideoScore(string Name, ExpressionMetrics Metrics);

/// <summary>
/// Scores per-frame predictions against Aff-Wild2 EXPR annotations the way the organisers do (FORMATS.md section 2):
/// frames labelled -1 skipped, F1 per class over the 8 classes, their mean, accuracy; per person and over all frames
/// pooled. Each annotation file is matched to the predictions of the same name (<c>_left</c>/<c>_right</c> included).
/// </summary>
public static class Evaluator
{
    /// <param name="frameTolerance">Frame counts may differ by this many frames (0: they must agree); a labelled
    /// frame beyond the predictions takes the last prediction.</param>
    public static (List<VideoScore> Videos, ExpressionMetrics Overall, List<string> Problems) Evaluate(
        IReadOnlyList<ExprAnnotation> annotations, IReadOnlyDictionary<string, FrameLabelSet> predictions, int frameTolerance = 0)
    {
        var problems = new List<string>();
        var videos = new List<VideoScore>();
        var allTruth = new List<int>();
        var allPredicted = new List<int>();
        foreach (var annotation in annotations)
        {
            if (!predictions.TryGetValue(annotation.Name, out var predicted))
            {
                problems.Add($"{annotation.Name}: no predictions for it");
                continue;
            }
            if (Math.Abs(predicted.FrameCount - annotation.Labels.Length) > frameTolerance)
            {
                problems.Add($"{annotation.Name}: the annotation has {annotation.Labels.Length} frames, the predictions ({predicted.Source}) {predicted.FrameCount}"
                    + (frameTolerance > 0 ? $" (more than --frame-tolerance {frameTolerance} apart)" : " (--frame-tolerance N accepts a difference of up to N)"));
                continue;
            }
            var filled = Fill(predicted.Labels);
            if (filled is null)
            {
                problems.Add($"{annotation.Name}: the predictions ({predicted.Source}) hold no label at all");
                continue;
            }
            var truth = new List<int>();
            var guess = new List<int>();
            for (var i = 0; i < annotation.Labels.Length; i++)
            {
                if (annotation.Labels[i] >= 0)
                {
                    truth.Add(annotation.Labels[i]);
                    guess.Add(filled[Math.Min(i, filled.Length - 1)]);
                }
            }
            videos.Add(new VideoScore(annotation.Name, ExpressionMetrics.Compute(truth, guess)));
            allTruth.AddRange(truth);
            allPredicted.AddRange(guess);
        }
        return (videos, ExpressionMetrics.Compute(allTruth, allPredicted), problems);
    }

    /// <summary>Frames without a prediction take the nearest frame's (the earlier on a tie); null when there is none at all.</summary>
    public static int[]? Fill(int[] labels)
    {
        var known = Enumerable.Range(0, labels.Length).Where(i => labels[i] != FrameLabelSet.None).ToArray();
        if (known.Length == 0)
        {
            return null;
        }
        var result = new int[labels.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            var at = Array.BinarySearch(known, i);
            if (at >= 0)
            {
                result[i] = labels[i];
                continue;
            }
            var later = ~at;
            var pick = later == 0 ? known[0]
                : later == known.Length ? known[^1]
                : known[later] - i < i - known[later - 1] ? known[later] : known[later - 1];
            result[i] = labels[pick];
        }
        return result;
    }
}
