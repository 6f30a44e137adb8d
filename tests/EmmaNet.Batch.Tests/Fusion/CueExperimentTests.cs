using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Tests.Fusion;

/// <summary>
/// The paper's claims where the truth is known (<see cref="CueExperiment"/>), each over 5 seeds and asserted only as it
/// holds in the study (docs/benchmarks.md): by more than two standard deviations of the paired per-seed differences,
/// at the study's settings (smaller sets left the anchor and missing tasks undertrained: attention's F1 0.21 and 0.52).
/// Claims that do not hold (attention against context, or against mean pooling with distractors) are reported in the
/// docs, not asserted.
/// </summary>
public sealed class CueExperimentTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly CueExperiment.Settings Small = new();

    private List<ClaimResult> Study(CueTask task, params FusionVariant[] variants)
    {
        var results = CueStudy.Run([task], variants, seeds: 5, Small);
        foreach (var s in CueStudy.Summarise(results))
        {
            output.WriteLine($"{task} {CueStudy.Name(s.Variant)}: F1 {s.MacroF1Mean:F3} ± {s.MacroF1Std:F3}, attention at cue {s.AttentionAtCueMean:P0} ± {s.AttentionAtCueStd:P0}");
        }
        return CueStudy.Claims(results, Small.Steps);
    }

    private static void Holds(List<ClaimResult> claims, string claim)
    {
        var c = claims.Single(x => x.Claim == claim);
        Assert.True(c.Holds, $"{c.Task}: {c.Claim}: {c.MeanDifference:+0.000;-0.000} ± {c.Std:F3} over seeds");
    }

    [Fact]
    public void Cues_at_random_steps_attention_beats_the_face_alone_and_mean_pooling()
    {
        var claims = Study(CueTask.Cue, FusionVariant.Attention, FusionVariant.Concat, FusionVariant.Face);
        Holds(claims, "attention > face (macro F1)");
        Holds(claims, "attention > concat (macro F1)");
    }

    [Fact]
    public void The_current_face_anchors_which_cue_attention_reads()
    {
        var claims = Study(CueTask.Anchor, FusionVariant.Attention, FusionVariant.Concat);
        Holds(claims, "attention > concat (macro F1)");
        Holds(claims, "attention peaks at the cue above chance");
    }

    [Fact]
    public void With_modalities_missing_at_random_attention_beats_mean_pooling()
    {
        var claims = Study(CueTask.Missing, FusionVariant.Attention, FusionVariant.Concat);
        Holds(claims, "attention > concat (macro F1)");
    }

    [Fact]
    public void Cue_windows_put_the_cue_where_they_say()
    {
        var settings = Small with { Task = CueTask.Anchor };
        var windows = CueExperiment.Generate(400, settings, seed: 3);
        double Energy(double[] v) => v.Skip(1).Sum(x => x * x);
        var atCue = windows.Average(w => Energy(w.Window.Audio[w.CueStep]));
        var elsewhere = windows.Average(w => w.Window.Audio.Where((_, t) => t != w.CueStep).Average(Energy));
        // Noise is uniform in [-1, 1] (energy 11/3 over 11 values); a cue adds 2.5^2 on average, and 2 of the other 11 steps carry one too.
        Assert.InRange(atCue - elsewhere, 4.0, 6.5);
        Assert.All(windows, w => Assert.Equal(1.0, w.Window.FaceNow[0]));
        Assert.All(windows, w => Assert.Equal(1, w.CueModality));

        var missing = CueExperiment.Generate(400, Small with { Task = CueTask.Missing }, seed: 4);
        // Every window keeps its cue where it says, present, and absent steps are zeros.
        Assert.All(missing, w => Assert.True(w.Window.Present[w.CueStep][w.CueModality]));
        Assert.All(missing, w => Assert.All(Enumerable.Range(0, Small.Steps).Where(t => !w.Window.Present[t][1]), t => Assert.All(w.Window.Audio[t], v => Assert.Equal(0, v))));
        Assert.InRange(missing.Average(w => w.Window.Present.Count(p => p[1]) / (double)Small.Steps), 0.45, 0.7);
    }
}
