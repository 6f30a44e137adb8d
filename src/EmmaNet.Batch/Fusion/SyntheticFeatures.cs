using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Features;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// Generated features with the real sizes and timeline of <c>extract</c> output (face ticks at 6 Hz, steps at 2 Hz,
/// the default extractors' feature sizes), for benchmarks and memory measurements at Aff-Wild2's scale without
/// Aff-Wild2: the face is missed on about 1 tick in 20, voice and pose are absent on about 1 step in 10, labels hold for
/// a few seconds and about 1 tick in 20 is unlabelled. Values are noise: nothing here is learnable on purpose.
/// </summary>
public static class SyntheticFeatures
{
    public static readonly double TickHz = Decoding.FrameSampling.FaceStream.RateHz;

    public static List<LabelledTrack> Tracks(int ticks, int ticksPerTrack, int seed, FusionConfig? sizes = null)
    {
        var c = sizes ?? new FusionConfig();
        var random = new Random(seed);
        float[] Noise(int n)
        {
            var v = new float[n];
            for (var i = 0; i < n; i++)
            {
                v[i] = (float)((random.NextDouble() * 2) - 1);
            }
            return v;
        }
        var tracks = new List<LabelledTrack>();
        for (var first = 0; first < ticks; first += ticksPerTrack)
        {
            var count = Math.Min(ticksPerTrack, ticks - first);
            var name = $"synthetic-{tracks.Count:0000}";
            var steps = new Dictionary<int, StepInput>();
            var stepCount = (int)Math.Ceiling(count / TickHz / AudioTimeline.StepSeconds) + 1;
            for (var k = 0; k < stepCount; k++)
            {
                steps[k] = new StepInput(Noise(c.FaceSize), Noise(c.AudioSize), Noise(c.PoseSize), true, random.NextDouble() > 0.1, random.NextDouble() > 0.1);
            }
            var tickInputs = new List<TickInput>();
            var labels = new List<int>();
            var label = random.Next(c.Classes);
            for (var t = 0; t < count; t++)
            {
                if (random.NextDouble() < 1.0 / 24)
                {
                    label = random.Next(c.Classes);
                }
                if (random.NextDouble() < 0.05)
                {
                    continue;   // face missed on this tick
                }
                tickInputs.Add(new TickInput(0, t, t * 5L, t / TickHz, Noise(c.FaceSize)));
                labels.Add(random.NextDouble() < 0.05 ? -1 : label);
            }
            var series = new FeatureSeries(tickInputs, Enumerable.Range(0, count).Select(t => new TickFrame(t, t * 5L)).ToList(),
                new Dictionary<int, Dictionary<int, StepInput>> { [0] = steps }, count * 5L, new Dictionary<string, string>());
            tracks.Add(new LabelledTrack(name, name, series, tickInputs, labels));
        }
        return tracks;
    }

    /// <summary>Checks that the generated sizes are the product's: the face feature, the default audio features, pose.</summary>
    public static FusionConfig RealSizes(int hidden = 128, int steps = 12) =>
        new(Steps: steps, FaceSize: FaceFeature.ExpressionCount, AudioSize: LogMelStatistics.FeatureCount, PoseSize: Pose.PoseFeatures.Count, Hidden: hidden);
}
