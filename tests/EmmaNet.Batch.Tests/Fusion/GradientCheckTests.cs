using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Tests.Fusion;

/// <summary>
/// The fusion network's hand-written backward pass against central finite differences, in double precision, for every
/// entry of every parameter tensor of every variant: |analytic - numeric| <= 1e-4 (|analytic| + |numeric|) + 1e-9 (the
/// issue allows 1e-3 relative; 1e-9 absolute is above the rounding floor of a 1e-5 central difference on a loss near 3).
/// Dropout is on, with the same mask for every evaluation.
/// </summary>
public sealed class GradientCheckTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly FusionConfig Tiny = new(Steps: 4, FaceSize: 5, AudioSize: 3, PoseSize: 4, Hidden: 3, Layers: 2, KeySize: 2, HeadHidden: 6, Dropout: 0.3);

    private static (List<FusionWindow> Run, int[] Labels) Data(FusionConfig c, int seed)
    {
        var random = new Random(seed);
        double[] Vector(int n) => Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var run = new List<FusionWindow>();
        for (var w = 0; w < 3; w++)
        {
            var present = Enumerable.Range(0, c.Steps).Select(t => new[] { random.NextDouble() > 0.2, random.NextDouble() > 0.3, random.NextDouble() > 0.3 }).ToArray();
            if (w == 1)
            {
                // A window whose pose is absent at every step: C_p = 0, alpha_p = 0.
                foreach (var p in present)
                {
                    p[2] = false;
                }
            }
            run.Add(new FusionWindow(
                Enumerable.Range(0, c.Steps).Select(_ => Vector(c.FaceSize)).ToArray(),
                Enumerable.Range(0, c.Steps).Select(_ => Vector(c.AudioSize)).ToArray(),
                Enumerable.Range(0, c.Steps).Select(_ => Vector(c.PoseSize)).ToArray(),
                Vector(c.FaceSize),
                present));
        }
        return (run, [2, 5, 5]);
    }

    public static TheoryData<FusionVariant, bool, bool> Variants()
    {
        var data = new TheoryData<FusionVariant, bool, bool>();
        foreach (var v in Enum.GetValues<FusionVariant>())
        {
            data.Add(v, false, false);
            data.Add(v, true, false);
        }
        data.Add(FusionVariant.Attention, false, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_parameter_gradient_matches_finite_differences(FusionVariant variant, bool bidirectionalContext, bool stepPosition)
    {
        // Inputs standardised and presence read by the encoders (the defaults), optionally the step position.
        var config = Tiny with { Variant = variant, BidirectionalContext = bidirectionalContext, StepPosition = stepPosition };
        var network = new FusionNetwork(config, seed: 3);
        network.Normalization = FusionExportTests.RandomNormalization(config, new Random(23));
        var (run, labels) = Data(config, seed: 11);
        var settings = new LossSettings(ReconstructionWeight: 0.5, SmoothWeight: 0.3, ClassWeights: [1, 1.5, 0.7, 1, 1, 2, 1, 1]);
        var (entries, worst) = CheckGradients(network, backward => network.Loss(run, labels, settings, new Random(5), backward));
        output.WriteLine($"{variant} (bidirectional context: {bidirectionalContext}): {entries} entries, worst relative error {worst:g3} where |g| > 1e-6");
    }

    [Fact]
    public void Soft_target_gradients_match_finite_differences()
    {
        // Distillation trains on a teacher's distributions instead of labels.
        var network = new FusionNetwork(Tiny, seed: 4);
        var (run, labels) = Data(Tiny, seed: 12);
        double[][] targets = [[0.1, 0, 0.6, 0.1, 0, 0.2, 0, 0], [0, 0, 0, 0, 0, 1, 0, 0], [0.25, 0.25, 0, 0, 0.25, 0.25, 0, 0]];
        var settings = new LossSettings(ReconstructionWeight: 0.2, SmoothWeight: 0.1, ClassWeights: [1, 1.5, 0.7, 1, 1, 2, 1, 1]);
        var (entries, worst) = CheckGradients(network, backward => network.Loss(run, labels, settings, new Random(5), backward, targets));
        output.WriteLine($"soft targets: {entries} entries, worst relative error {worst:g3}");
    }

    private static (int Entries, double Worst) CheckGradients(FusionNetwork network, Func<bool, double> loss)
    {
        network.ZeroGrad();
        loss(true);
        const double step = 1e-5;
        var checkedEntries = 0;
        var worst = 0.0;
        foreach (var p in network.Params)
        {
            for (var i = 0; i < p.Value.Length; i++)
            {
                var keep = p.Value[i];
                p.Value[i] = keep + step;
                var up = loss(false);
                p.Value[i] = keep - step;
                var down = loss(false);
                p.Value[i] = keep;
                var numeric = (up - down) / (2 * step);
                var analytic = p.Grad[i];
                var scale = Math.Abs(numeric) + Math.Abs(analytic);
                Assert.True(
                    Math.Abs(numeric - analytic) <= (1e-4 * scale) + 1e-9,
                    $"{network.Config.Variant}: {p.Name}[{i}] analytic {analytic:g8}, numeric {numeric:g8}");
                if (scale > 1e-6)
                {
                    worst = Math.Max(worst, Math.Abs(numeric - analytic) / scale);
                }
                checkedEntries++;
            }
        }
        Assert.True(checkedEntries > 50);
        return (checkedEntries, worst);
    }

    [Fact]
    public void A_modality_absent_at_every_step_gets_no_attention_and_a_zero_context()
    {
        var network = new FusionNetwork(Tiny, seed: 3);
        var (run, _) = Data(Tiny, seed: 11);
        var output = network.Predict(run[1]);
        Assert.All(output.Attention[2], a => Assert.Equal(0, a));
        Assert.Equal(1, output.Attention[0].Sum(), 9);
        Assert.Equal(1, output.Probabilities.Sum(), 9);
        // Attention falls only on present steps.
        for (var t = 0; t < Tiny.Steps; t++)
        {
            if (!run[1].Present[t][1])
            {
                Assert.Equal(0, output.Attention[1][t]);
            }
        }
    }
}
