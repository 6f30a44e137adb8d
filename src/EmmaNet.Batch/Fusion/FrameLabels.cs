namespace EmmaNet.Batch.Fusion;

/// <summary>
/// The fusion network's reading at one tick of one subject, with the window's layout (its first step and which
/// modalities were present). Held for every tick of a video until its tables are written, so it is stored flat: one
/// byte of presence bits per step and one array of the probabilities and the attention (about 300 bytes at T = 12,
/// against some 900 for the window's and the network's own arrays).
/// </summary>
public sealed class TickResult
{
    private readonly byte[] _present;   // per step, bit m: modality m present
    private readonly float[] _values;   // the class probabilities, then each modality's attention over the steps
    private readonly int _classes;

    public TickResult(int subject, int tick, long frameIndex, double time, int firstStep, bool[][] present, FusionPrediction prediction)
    {
        (Subject, Tick, FrameIndex, Time, FirstStep, Label) = (subject, tick, frameIndex, time, firstStep, prediction.Label);
        _present = new byte[present.Length];
        for (var s = 0; s < present.Length; s++)
        {
            for (var m = 0; m < present[s].Length; m++)
            {
                _present[s] |= (byte)(present[s][m] ? 1 << m : 0);
            }
        }
        _classes = prediction.Probabilities.Length;
        _values = [.. prediction.Probabilities, .. prediction.Attention.SelectMany(a => a)];
    }

    public int Subject { get; }

    public int Tick { get; }

    public long FrameIndex { get; }

    public double Time { get; }

    public int FirstStep { get; }

    /// <summary>The most probable class.</summary>
    public int Label { get; }

    /// <summary>The window's length T.</summary>
    public int Steps => _present.Length;

    public float Probability(int classIndex) => _values[classIndex];

    /// <summary>Modality <paramref name="modality"/>'s attention weight at window step <paramref name="step"/>.</summary>
    public float Attention(int modality, int step) => _values[_classes + (modality * Steps) + step];

    public bool IsPresent(int step, int modality) => (_present[step] & (1 << modality)) != 0;
}

/// <summary>One original video frame's prediction for one subject, and the tick it comes from.</summary>
/// <param name="Filled">The frame's own tick had no face of the subject: the prediction is the nearest tick's that had one.</param>
public sealed record FramePrediction(int Subject, long FrameIndex, TickResult Source, bool Filled);

/// <summary>
/// Spreads tick predictions over the frames of the video (EMMA-NET.md section 1): a frame takes its own tick's
/// prediction (the last face-stream tick at or before it; the first tick for frames before it), and when the subject
/// had no face at that tick, the prediction of the nearest tick that had one (the earlier on a tie). With
/// <c>wholeVideo</c> every subject gets every frame (ABAW needs a label per frame for the person scored); otherwise
/// only the frames from its first seen tick to the end of its last, so a video with many passing people does not
/// get people x frames rows. A subject never seen gets no rows.
/// </summary>
public static class FrameLabels
{
    public static IEnumerable<FramePrediction> Hold(IReadOnlyList<TickFrame> ticks, IReadOnlyList<TickResult> results, long frameCount, bool wholeVideo)
    {
        var frames = frameCount > 0 ? frameCount : ticks[^1].FrameIndex + 1;
        foreach (var subject in results.GroupBy(r => r.Subject).OrderBy(g => g.Key))
        {
            var predicted = subject.OrderBy(r => r.Tick).ToArray();
            var predictedTicks = predicted.Select(r => r.Tick).ToArray();
            var (from, to) = (0L, frames);
            if (!wholeVideo)
            {
                from = predicted[0].FrameIndex;
                var after = ticks.Where(t => t.Tick > predicted[^1].Tick).Select(t => (long?)t.FrameIndex).FirstOrDefault();
                to = after ?? frames;
            }
            var next = 0;
            for (var f = from; f < to; f++)
            {
                while (next + 1 < ticks.Count && ticks[next + 1].FrameIndex <= f)
                {
                    next++;
                }
                var tick = ticks[next].Tick;
                var at = Array.BinarySearch(predictedTicks, tick);
                if (at >= 0)
                {
                    yield return new FramePrediction(subject.Key, f, predicted[at], false);
                    continue;
                }
                var later = ~at;
                var nearest = later == 0 ? 0
                    : later == predicted.Length ? predicted.Length - 1
                    : predictedTicks[later] - tick < tick - predictedTicks[later - 1] ? later : later - 1;
                yield return new FramePrediction(subject.Key, f, predicted[nearest], true);
            }
        }
    }
}
