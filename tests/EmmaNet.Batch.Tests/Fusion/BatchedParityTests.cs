using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Fusion.Batched;

namespace EmmaNet.Batch.Tests.Fusion;

/// <summary>
/// The float32 batched fast path held to the double-precision reference (itself held to finite differences by
/// <see cref="GradientCheckTests"/>): the same runs, labels, soft targets, class weights and dropout masks give each
/// run's loss and every parameter's gradient within float32 tolerance, for all six variants with forward-only and
/// bidirectional context encoders. Sizes are odd on purpose (vector tails) and one run is longer than a shard.
/// </summary>
public sealed class BatchedParityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly FusionConfig Odd = new(Steps: 5, FaceSize: 19, AudioSize: 11, PoseSize: 7, Hidden: 10, Layers: 2, KeySize: 6, HeadHidden: 13, Dropout: 0.3);

    internal static List<LabelledRun> Runs(FusionConfig c, int seed, params int[] lengths)
    {
        var random = new Random(seed);
        double[] Vector(int n) => Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var runs = new List<LabelledRun>();
        foreach (var length in lengths)
        {
            var windows = new List<FusionWindow>();
            for (var w = 0; w < length; w++)
            {
                var present = Enumerable.Range(0, c.Steps).Select(_ => new[] { random.NextDouble() > 0.2, random.NextDouble() > 0.3, random.NextDouble() > 0.3 }).ToArray();
                if (w % 4 == 1)
                {
                    foreach (var p in present)
                    {
                        p[2] = false;   // pose absent at every step: alpha 0, context 0
                    }
                }
                windows.Add(new FusionWindow(
                    Enumerable.Range(0, c.Steps).Select(t => present[t][0] ? Vector(c.FaceSize) : new double[c.FaceSize]).ToArray(),
                    Enumerable.Range(0, c.Steps).Select(t => present[t][1] ? Vector(c.AudioSize) : new double[c.AudioSize]).ToArray(),
                    Enumerable.Range(0, c.Steps).Select(t => present[t][2] ? Vector(c.PoseSize) : new double[c.PoseSize]).ToArray(),
                    Vector(c.FaceSize),
                    present));
            }
            var labels = Enumerable.Range(0, length).Select(_ => random.Next(c.Classes)).ToArray();
            // Every other run trains on soft targets (distillation).
            var targets = runs.Count % 2 == 1
                ? labels.Select(_ => { var t = Vector(c.Classes).Select(Math.Abs).ToArray(); var s = t.Sum(); return t.Select(v => v / s).ToArray(); }).ToArray()
                : null;
            runs.Add(new LabelledRun(windows, labels, targets));
        }
        return runs;
    }

    public static TheoryData<FusionVariant, bool, bool, bool> Variants()
    {
        var data = new TheoryData<FusionVariant, bool, bool, bool>();
        foreach (var v in Enum.GetValues<FusionVariant>())
        {
            data.Add(v, false, true, false);
            data.Add(v, true, true, false);
        }
        data.Add(FusionVariant.Attention, false, false, false);
        data.Add(FusionVariant.Attention, false, true, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Loss_and_every_gradient_match_the_double_reference(FusionVariant variant, bool bidirectionalContext, bool presenceInput, bool stepPosition)
    {
        var config = Odd with { Variant = variant, BidirectionalContext = bidirectionalContext, PresenceInput = presenceInput, StepPosition = stepPosition };
        var reference = new FusionNetwork(config, seed: 3);
        reference.Normalization = FusionExportTests.RandomNormalization(config, new Random(19));
        var runs = Runs(config, seed: 17, 3, 1, 20, 6);
        int[] seeds = [101, 202, 303, 404];
        var settings = new LossSettings(ReconstructionWeight: 0.5, SmoothWeight: 0.3, ClassWeights: [1, 1.5, 0.7, 1, 1, 2, 1, 1]);

        // The reference trainer's batch gradient: each run's gradient, averaged over the runs.
        var fast = new BatchedFusionNetwork(reference, threads: 2);
        var expected = new double[fast.Parameters.Count];
        var expectedLosses = new double[runs.Count];
        for (var r = 0; r < runs.Count; r++)
        {
            reference.ZeroGrad();
            expectedLosses[r] = reference.Loss(runs[r].Windows, runs[r].Labels, settings, new Random(seeds[r]), backward: true, runs[r].Targets);
            var g = fast.Parameters.ReferenceGradients();
            for (var i = 0; i < g.Length; i++)
            {
                expected[i] += g[i] / runs.Count;
            }
        }
        var losses = new double[runs.Count];
        var actual = fast.Gradient(runs, seeds, settings, losses);

        for (var r = 0; r < runs.Count; r++)
        {
            Assert.True(Math.Abs(losses[r] - expectedLosses[r]) <= 1e-5 * (1 + Math.Abs(expectedLosses[r])), $"run {r}: loss {losses[r]:g9} vs reference {expectedLosses[r]:g9}");
        }
        var worst = 0.0;
        foreach (var p in fast.Parameters.Params)
        {
            var at = fast.Parameters.Offset(p);
            var scale = Enumerable.Range(at, p.Value.Length).Max(i => Math.Abs(expected[i]));
            for (var i = 0; i < p.Value.Length; i++)
            {
                var (e, a) = (expected[at + i], (double)actual[at + i]);
                var error = Math.Abs(a - e);
                Assert.True(error <= (1e-3 * Math.Abs(e)) + (1e-4 * scale) + 1e-7, $"{variant}: {p.Name}[{i}] fast {a:g8}, reference {e:g8} (tensor scale {scale:g3})");
                if (scale > 0)
                {
                    worst = Math.Max(worst, error / scale);
                }
            }
        }
        output.WriteLine($"{variant} (bidirectional context {bidirectionalContext}): {fast.Parameters.Count} gradient entries, worst error / tensor scale {worst:g3}");
    }

    [Fact]
    public void Forward_matches_the_reference_predictions_and_attention()
    {
        var config = Odd with { Variant = FusionVariant.Attention, StepPosition = true };
        var reference = new FusionNetwork(config, seed: 5);
        reference.Normalization = FusionExportTests.RandomNormalization(config, new Random(21));
        var runs = Runs(config, seed: 23, 7, 30);
        var fast = new BatchedFusionNetwork(reference, threads: 2);
        var outputs = fast.Forward(runs, new LossSettings());
        for (var r = 0; r < runs.Count; r++)
        {
            for (var i = 0; i < runs[r].Windows.Count; i++)
            {
                var expected = reference.Predict(runs[r].Windows[i]);
                for (var k = 0; k < config.Classes; k++)
                {
                    Assert.Equal(expected.Probabilities[k], outputs[r].Probabilities[(i * config.Classes) + k], 1e-5);
                }
                for (var m = 0; m < 3; m++)
                {
                    for (var t = 0; t < config.Steps; t++)
                    {
                        Assert.Equal(expected.Attention[m][t], outputs[r].Attention[m][(i * config.Steps) + t], 1e-5);
                    }
                }
            }
        }
    }

    [Fact]
    public void The_gradient_does_not_depend_on_the_thread_count()
    {
        var config = Odd with { Variant = FusionVariant.Attention };
        var runs = Runs(config, seed: 29, 8, 8, 8, 5, 12, 3);
        int[] seeds = [1, 2, 3, 4, 5, 6];
        float[] Gradient(int threads) =>
            new BatchedFusionNetwork(new FusionNetwork(config, seed: 2), threads).Gradient(runs, seeds, new LossSettings(), new double[runs.Count]).ToArray();
        Assert.Equal(Gradient(1), Gradient(3));
    }
}
