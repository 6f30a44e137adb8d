namespace EmmaNet.Batch.Abaw;

/// <summary>
/// The ABAW expression metric (FORMATS.md section 2): per-class F1 over the 8 classes fixed (a class never predicted
/// and never present scores 0), their mean (macro F1), accuracy, and the confusion matrix [truth, prediction].
/// Labels of -1 are skipped.
/// </summary>
public sealed record ExpressionMetrics(double[] F1, double Accuracy, double MacroF1, int[,] Confusion, int Count)
{
    public const int Classes = 8;

    public static ExpressionMetrics Compute(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        if (truth.Count != predicted.Count)
        {
            throw new ArgumentException($"{truth.Count} labels but {predicted.Count} predictions");
        }
        var confusion = new int[Classes, Classes];
        var count = 0;
        var correct = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            if (truth[i] < 0)
            {
                continue;
            }
            confusion[truth[i], predicted[i]]++;
            count++;
            correct += truth[i] == predicted[i] ? 1 : 0;
        }
        var f1 = new double[Classes];
        for (var c = 0; c < Classes; c++)
        {
            var tp = confusion[c, c];
            var fp = Enumerable.Range(0, Classes).Sum(t => t == c ? 0 : confusion[t, c]);
            var fn = Enumerable.Range(0, Classes).Sum(p => p == c ? 0 : confusion[c, p]);
            f1[c] = tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);
        }
        return new ExpressionMetrics(f1, count == 0 ? 0 : (double)correct / count, f1.Average(), confusion, count);
    }

    /// <summary>The mean of several results (per-class F1, accuracy and macro F1 averaged; confusion matrices and counts summed), as a table's mean over folds.</summary>
    public static ExpressionMetrics Mean(IReadOnlyList<ExpressionMetrics> results)
    {
        var confusion = new int[Classes, Classes];
        foreach (var r in results)
        {
            for (var t = 0; t < Classes; t++)
            {
                for (var p = 0; p < Classes; p++)
                {
                    confusion[t, p] += r.Confusion[t, p];
                }
            }
        }
        var f1 = Enumerable.Range(0, Classes).Select(c => results.Average(r => r.F1[c])).ToArray();
        return new ExpressionMetrics(f1, results.Average(r => r.Accuracy), results.Average(r => r.MacroF1), confusion, results.Sum(r => r.Count));
    }

    /// <summary>Temporal stability (the paper's eq. 12): the share of consecutive ticks whose predicted label does not change.</summary>
    public static double Stability(IReadOnlyList<int> predicted) => Stability([predicted]);

    /// <summary>Stability pooled over several sequences: the pairs of consecutive ticks within each, counted together (1 when there is none).</summary>
    public static double Stability(IEnumerable<IReadOnlyList<int>> sequences)
    {
        var (pairs, same) = (0, 0);
        foreach (var p in sequences)
        {
            for (var i = 1; i < p.Count; i++)
            {
                pairs++;
                same += p[i] == p[i - 1] ? 1 : 0;
            }
        }
        return pairs == 0 ? 1 : (double)same / pairs;
    }
}
