using EmmaNet.Batch.Evaluation;

namespace EmmaNet.Batch.Fusion;

/// <summary>One synthetic window and where its cue is: the modality (0 face, 1 audio, 2 pose) and the step.</summary>
public sealed record CueWindow(FusionWindow Window, int Label, int CueModality, int CueStep);

/// <summary>One variant's result on held-out cue windows.</summary>
public sealed record CueResult(FusionVariant Variant, double MacroF1, double Accuracy, double AttentionAtCue);

/// <summary>
/// The controlled experiment of the fusion issue, where the truth is known: classes 0, 1, 6 and 7 are signalled only
/// by the current face, 2 and 3 only by an audio cue at one random step, 4 and 5 only by a pose cue at one random step;
/// everything else is noise. A model that attends to the right step should beat mean pooling (<c>concat</c>) and the
/// face alone (<c>face</c>, which cannot see cues), and its attention should peak at the cue's step.
/// </summary>
public static class CueExperiment
{
    /// <param name="Steps">T.</param>
    /// <param name="Size">Feature size of each modality (the face has a constant 1 as its first value).</param>
    /// <param name="Cue">Cue strength against unit noise.</param>
    /// <param name="BidirectionalContext">Bidirectional audio and pose encoders. A forward-only GRU carries a cue into every later
    /// step, so attention cannot single out the cue's step (measured: its argmax spreads over the cue and the steps after it).</param>
    public sealed record Settings(int Train = 1600, int Test = 800, int Steps = 12, int Size = 8, double Cue = 2.5, int Hidden = 16, int Epochs = 30, int Seed = 7, bool BidirectionalContext = true);

    public static List<CueWindow> Generate(int count, Settings s, int seed)
    {
        var patterns = Patterns(s);
        var random = new Random(seed);
        double Noise() => (random.NextDouble() * 2) - 1;
        double[] Vector() => Enumerable.Range(0, s.Size).Select(_ => Noise()).ToArray();
        var windows = new List<CueWindow>(count);
        for (var n = 0; n < count; n++)
        {
            var label = random.Next(8);
            var face = Enumerable.Range(0, s.Steps).Select(_ => Vector()).ToArray();
            var audio = Enumerable.Range(0, s.Steps).Select(_ => Vector()).ToArray();
            var pose = Enumerable.Range(0, s.Steps).Select(_ => Vector()).ToArray();
            var now = Vector();
            var step = random.Next(s.Steps);
            var modality = label is 2 or 3 ? 1 : label is 4 or 5 ? 2 : 0;
            var target = modality switch { 0 => now, 1 => audio[step], _ => pose[step] };
            for (var i = 1; i < s.Size; i++)
            {
                target[i] += s.Cue * patterns[label][i];
            }
            now[0] = 1;   // a constant input lets the attention key point the same way whatever the face
            var present = Enumerable.Range(0, s.Steps).Select(_ => Enumerable.Repeat(true, 3).ToArray()).ToArray();
            windows.Add(new CueWindow(new FusionWindow(face, audio, pose, now, present), label, modality, step));
        }
        return windows;
    }

    /// <summary>A fixed unit pattern per class (on features 1..Size-1).</summary>
    private static double[][] Patterns(Settings s)
    {
        var random = new Random(s.Seed * 31);
        return Enumerable.Range(0, 8).Select(_ =>
        {
            var v = Enumerable.Range(0, s.Size).Select(i => i == 0 ? 0 : (random.NextDouble() * 2) - 1).ToArray();
            var norm = Math.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }).ToArray();
    }

    public static CueResult Run(FusionVariant variant, Settings s, Action<EpochReport>? report = null)
    {
        var train = Generate(s.Train, s, s.Seed);
        var valid = Generate(s.Test / 2, s, s.Seed + 1);
        var test = Generate(s.Test, s, s.Seed + 2);
        var config = new FusionConfig(Steps: s.Steps, FaceSize: s.Size, AudioSize: s.Size, PoseSize: s.Size, Hidden: s.Hidden, Layers: 2,
            KeySize: 8, HeadHidden: 32, Dropout: 0.1, Variant: variant, BidirectionalContext: s.BidirectionalContext);
        var network = new FusionNetwork(config, s.Seed);
        LabelledRun Single(CueWindow w) => new([w.Window], [w.Label]);
        var trainer = new FusionTrainer(network, new TrainingOptions(Epochs: s.Epochs, RunsPerBatch: 16, LearningRate: 3e-3, Patience: 4, StopPatience: 8, Seed: s.Seed, Threads: Environment.ProcessorCount,
            Loss: new LossSettings(ReconstructionWeight: 0.05, SmoothWeight: 0)));
        trainer.Train(train.Select(Single).ToList(), valid.Select(Single).ToList(), report);

        var metrics = FusionTrainer.Evaluate(network, test.Select(Single).ToList());
        var cued = test.Where(w => w.CueModality > 0).ToList();
        var outputs = new Batched.BatchedFusionNetwork(network, Environment.ProcessorCount).Forward(cued.Select(Single).ToList(), new LossSettings());
        var atCue = cued.Where((w, i) =>
        {
            var attention = outputs[i].Attention[w.CueModality];
            return Array.IndexOf(attention, attention.Max()) == w.CueStep;
        }).Count();
        return new CueResult(variant, metrics.MacroF1, metrics.Accuracy, cued.Count == 0 ? 0 : (double)atCue / cued.Count);
    }
}
