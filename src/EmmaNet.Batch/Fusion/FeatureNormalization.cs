namespace EmmaNet.Batch.Fusion;

/// <summary>
/// Per-feature standardisation of the network's inputs, (x - mean) * scale with scale = 1 / standard deviation,
/// measured on the training windows' present steps (the current face uses the face's statistics). Part of the model:
/// applied by both implementations and inside the exported graph, so <c>analyze</c> feeds raw features as before.
/// Absent steps stay zero after it (the presence mask says what they are).
/// </summary>
public sealed record FeatureNormalization(float[][] Mean, float[][] Scale)
{
    /// <summary>Windows measured at most (spread evenly over the runs).</summary>
    public const int SampleWindows = 4000;

    public static FeatureNormalization Identity(FusionConfig c)
    {
        int[] sizes = [c.FaceSize, c.AudioSize, c.PoseSize];
        return new FeatureNormalization(sizes.Select(n => new float[n]).ToArray(), sizes.Select(n => Enumerable.Repeat(1f, n).ToArray()).ToArray());
    }

    public bool IsIdentity => Mean.All(m => m.All(v => v == 0)) && Scale.All(s => s.All(v => v == 1));

    /// <summary>Means and standard deviations over the present steps of up to <see cref="SampleWindows"/> windows; a feature that never varies keeps scale 1.</summary>
    public static FeatureNormalization From(IReadOnlyList<LabelledRun> runs, FusionConfig c)
    {
        int[] sizes = [c.FaceSize, c.AudioSize, c.PoseSize];
        var sum = sizes.Select(n => new double[n]).ToArray();
        var square = sizes.Select(n => new double[n]).ToArray();
        var count = new long[3];
        var total = runs.Sum(r => r.Windows.Count);
        var stride = Math.Max(1, total / SampleWindows);
        var batch = new Batched.WindowBatch(c);
        batch.Reset(1);
        var index = 0;
        foreach (var run in runs)
        {
            for (var i = 0; i < run.Windows.Count; i++, index++)
            {
                if (index % stride != 0)
                {
                    continue;
                }
                batch.Put(run.Windows, i, 0);
                for (var t = 0; t < c.Steps; t++)
                {
                    for (var m = 0; m < 3; m++)
                    {
                        if (!batch.IsPresent(0, t, m))
                        {
                            continue;
                        }
                        var row = m switch { 0 => batch.FaceStep(0, t), 1 => batch.AudioStep(0, t), _ => batch.PoseStep(0, t) };
                        for (var j = 0; j < row.Length; j++)
                        {
                            sum[m][j] += row[j];
                            square[m][j] += (double)row[j] * row[j];
                        }
                        count[m]++;
                    }
                }
            }
        }
        var mean = new float[3][];
        var scale = new float[3][];
        for (var m = 0; m < 3; m++)
        {
            mean[m] = new float[sizes[m]];
            scale[m] = new float[sizes[m]];
            for (var j = 0; j < sizes[m]; j++)
            {
                var mu = count[m] == 0 ? 0 : sum[m][j] / count[m];
                var variance = count[m] == 0 ? 0 : Math.Max(0, (square[m][j] / count[m]) - (mu * mu));
                var sd = Math.Sqrt(variance);
                mean[m][j] = (float)mu;
                scale[m][j] = sd < 1e-6 ? 1f : (float)(1 / sd);
            }
        }
        return new FeatureNormalization(mean, scale);
    }

    /// <summary>Modality m's value j of a present step, standardised (double, for the reference).</summary>
    public double Apply(int m, int j, double x) => (x - Mean[m][j]) * Scale[m][j];
}
