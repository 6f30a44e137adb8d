namespace EmmaNet.Batch.Fusion;

/// <summary>
/// How one modality's attention behaved over a video's windows with at least two present steps of it: the mean
/// normalised entropy (1: uniform over the present steps, 0: all weight on one), the shares of windows whose largest
/// weight is on the tick's own step, on the first present step and on the last present step, and the window position
/// that takes the largest weight most often with its share.
/// </summary>
public sealed record ModalityAttention(string Modality, int Windows, double Entropy, double OwnStep, double FirstPresent, double LastPresent, int TopPosition, double TopPositionShare)
{
    /// <summary>Attention that follows position rather than content: one position, or the first or last present step, wins in more than <paramref name="limit"/> of the windows.</summary>
    public bool IsPositional(double limit = 0.5) => Windows > 0 && (TopPositionShare > limit || FirstPresent > limit || LastPresent > limit);
}

/// <summary>Collects <see cref="ModalityAttention"/> for the three modalities over windows of T steps (the tick's own step is T / 2).</summary>
public sealed class AttentionDiagnostics(int steps)
{
    private readonly int[] _windows = new int[3];
    private readonly double[] _entropy = new double[3];
    private readonly int[] _own = new int[3];
    private readonly int[] _first = new int[3];
    private readonly int[] _last = new int[3];
    private readonly int[][] _argmax = [new int[steps], new int[steps], new int[steps]];

    public void Add(bool[][] present, IReadOnlyList<float[]> attention) => Add((t, m) => present[t][m], (m, t) => attention[m][t]);

    /// <summary>One tick's window as the fusion stage keeps it.</summary>
    public void Add(TickResult tick) => Add(tick.IsPresent, tick.Attention);

    /// <param name="present">Whether step t holds modality m: (t, m).</param>
    /// <param name="attention">Modality m's weight at step t: (m, t).</param>
    private void Add(Func<int, int, bool> present, Func<int, int, float> attention)
    {
        for (var m = 0; m < 3; m++)
        {
            var at = m;
            var seen = Enumerable.Range(0, steps).Where(t => present(t, at)).ToList();
            if (seen.Count < 2)
            {
                continue;
            }
            var best = seen.MaxBy(t => attention(at, t));
            double entropy = 0;
            foreach (var t in seen)
            {
                var alpha = attention(at, t);
                entropy -= alpha > 0 ? alpha * Math.Log(alpha) : 0;
            }
            _windows[m]++;
            _entropy[m] += entropy / Math.Log(seen.Count);
            _own[m] += best == steps / 2 ? 1 : 0;
            _first[m] += best == seen[0] ? 1 : 0;
            _last[m] += best == seen[^1] ? 1 : 0;
            _argmax[m][best]++;
        }
    }

    public IReadOnlyList<ModalityAttention> Result() => Enumerable.Range(0, 3).Select(m =>
    {
        var n = _windows[m];
        double Share(int count) => n == 0 ? 0 : (double)count / n;
        var top = Array.IndexOf(_argmax[m], _argmax[m].Max());
        return new ModalityAttention(Modalities.Names[m], n, n == 0 ? 0 : _entropy[m] / n, Share(_own[m]), Share(_first[m]), Share(_last[m]), top, Share(_argmax[m][top]));
    }).ToList();
}
