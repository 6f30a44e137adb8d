namespace EmmaNet.Batch.Fusion;

/// <summary>The fusion network's reading at one tick of one subject, with the window's layout (its first step and which modalities were present).</summary>
public sealed record TickResult(int Subject, int Tick, long FrameIndex, double Time, int FirstStep, bool[][] Present, FusionPrediction Prediction);

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
