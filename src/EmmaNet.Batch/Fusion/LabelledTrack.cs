using System.Collections;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// One subject of one video ready for training: its ticks where the face is seen, in order, each with a label (-1:
/// none) and, for distillation, a soft target. <see cref="Name"/> is the annotation file's name (or the features
/// file's stem), the unit of folds.
/// </summary>
public sealed record LabelledTrack(string Name, string VideoId, FeatureSeries Series, IReadOnlyList<TickInput> Ticks, IReadOnlyList<int> Labels, IReadOnlyList<double[]>? Targets = null)
{
    public int LabelledCount => Labels.Count(l => l >= 0);

    /// <summary>
    /// Runs of consecutive labelled ticks (so L_smooth has neighbours), at most <paramref name="maxLength"/> long; a
    /// missing tick or an unlabelled one ends a run. Windows are built when a run is read, not held.
    /// </summary>
    public IEnumerable<LabelledRun> Runs(int steps, int maxLength)
    {
        var start = 0;
        while (start < Ticks.Count)
        {
            if (Labels[start] < 0)
            {
                start++;
                continue;
            }
            var end = start + 1;
            while (end < Ticks.Count && end - start < maxLength && Labels[end] >= 0 && Ticks[end].Tick == Ticks[end - 1].Tick + 1 && Ticks[end].Subject == Ticks[start].Subject)
            {
                end++;
            }
            var ticks = Ticks.Skip(start).Take(end - start).ToArray();
            yield return new LabelledRun(new LazyWindows(Series, ticks, steps), Labels.Skip(start).Take(end - start).ToArray(), Targets?.Skip(start).Take(end - start).ToArray());
            start = end;
        }
    }

    /// <summary>
    /// Views of windows: a training set holds features once (floats, shared by overlapping windows), not windows. The
    /// trainer copies each window straight into its batch; a <see cref="FusionWindow"/> is made only when indexed.
    /// </summary>
    private sealed class LazyWindows(FeatureSeries series, TickInput[] ticks, int steps) : IReadOnlyList<FusionWindow>, Batched.IBatchWindows
    {
        public void CopyTo(int index, Batched.WindowBatch batch, int slot)
        {
            if (batch.Steps != steps)
            {
                throw new ArgumentException($"windows of {steps} steps cannot fill a batch of {batch.Steps}", nameof(batch));
            }
            FeatureWindows.CopyTo(series, ticks[index], batch, slot);
        }

        public FusionWindow this[int index] => FeatureWindows.At(series, ticks[index], steps).Window;

        public int Count => ticks.Length;

        public IEnumerator<FusionWindow> GetEnumerator() => ticks.Select(t => FeatureWindows.At(series, t, steps).Window).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
