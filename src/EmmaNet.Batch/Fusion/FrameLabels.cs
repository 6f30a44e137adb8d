namespace EmmaNet.Batch.Fusion;

/// <summary>The fusion network's reading at one tick of one subject, with the window's layout (its first step and which modalities were present).</summary>
public sealed record TickResult(int Subject, int Tick, long FrameIndex, double Time, int FirstStep, bool[][] Present, FusionPrediction Prediction);

/// <summary>One original video frame's prediction for one subject, and the tick it comes from.</summary>
/// <param name="Filled">The frame's own tick had no face of the subject: the prediction is the nearest tick's that had one.</param>
public sealed record FramePrediction(int Subject, long FrameIndex, TickResult Source, bool Filled);

/// <summary>
/// Spreads tick predictions over every frame of the video (EMMA-NET.md section 1): a frame takes its own tick's
/// prediction (the last face-stream tick at or before it; the first tick for frames before it), and when the subject
/// had no face at that tick, the prediction of the nearest tick that had one (the earlier on a tie). A subject
/// never seen gets no rows.
/// </summary>
public static class FrameLabels
{
    public static IEnumerable<FramePrediction> Hold(IReadOnlyList<TickInput> ticks, IReadOnlyList<TickResult> results, long frameCount)
    {
        foreach (var subject in results.GroupBy(r => r.Subject).OrderBy(g => g.Key))
        {
            var predicted = subject.OrderBy(r => r.Tick).ToArray();
            var predictedTicks = predicted.Select(r => r.Tick).ToArray();
            var own = ticks.Where(t => t.Subject == subject.Key).OrderBy(t => t.Tick).ToArray();
            var frames = frameCount > 0 ? frameCount : own[^1].FrameIndex + 1;
            var next = 0;
            for (long f = 0; f < frames; f++)
            {
                while (next + 1 < own.Length && own[next + 1].FrameIndex <= f)
                {
                    next++;
                }
                var tick = own[next].Tick;
                var at = Array.BinarySearch(predictedTicks, tick);
                if (at >= 0)
                {
                    yield return new FramePrediction(subject.Key, f, predicted[at], false);
                    continue;
                }
                var after = ~at;
                var nearest = after == 0 ? 0
                    : after == predicted.Length ? predicted.Length - 1
                    : predictedTicks[after] - tick < tick - predictedTicks[after - 1] ? after : after - 1;
                yield return new FramePrediction(subject.Key, f, predicted[nearest], true);
            }
        }
    }
}
