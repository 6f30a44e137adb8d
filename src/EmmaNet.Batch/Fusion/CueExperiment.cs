using EmmaNet.Batch.Abaw;

namespace EmmaNet.Batch.Fusion;

/// <summary>The controlled tasks of <see cref="CueExperiment"/>, each testing one of the paper's claims where the truth is known.</summary>
public enum CueTask
{
    /// <summary>(a) Classes 0, 1, 6, 7 from the current face alone; 2, 3 from an audio cue and 4, 5 from a pose cue at one random step.</summary>
    Cue,

    /// <summary>(b) Anchoring: three audio cues of different classes, each tagged with a key; the current face carries the key of the one that holds the label.</summary>
    Anchor,

    /// <summary>(c) Missing modalities: the class is cued in audio and in pose at random steps; steps and whole modalities go missing at random (one cue always survives).</summary>
    Missing,

    /// <summary>(d) Distractors: the audio cue at the tick's own step holds the label; two cues of other classes at other steps look the same.</summary>
    Distractor,
}

/// <summary>One synthetic window and where its answer is: the modality (0 face, 1 audio, 2 pose) and the step (-1: none, or not one step).</summary>
public sealed record CueWindow(FusionWindow Window, int Label, int CueModality, int CueStep);

/// <summary>One variant's result on one task and seed, on held-out windows. <see cref="AttentionAtCue"/>: share of windows with a cued step whose attention argmax is that step (NaN without attention).</summary>
public sealed record CueResult(CueTask Task, FusionVariant Variant, int Seed, double MacroF1, double Accuracy, double AttentionAtCue);

/// <summary>
/// The controlled experiment of the fusion issue: synthetic windows whose classes are signalled by known features at
/// known steps (<see cref="CueTask"/>), so what each variant can and cannot see is known; everything else is noise.
/// Each feature has <see cref="Settings.Size"/> values; the face's first is a constant 1 (so an attention key exists
/// whatever the face). Classes and keys are fixed unit patterns on the other values.
/// </summary>
public static class CueExperiment
{
    /// <param name="Steps">T.</param>
    /// <param name="Size">Feature size of each modality.</param>
    /// <param name="Cue">Cue strength against noise uniform in [-1, 1].</param>
    /// <param name="BidirectionalContext">Bidirectional audio and pose encoders (the product's default is forward-only).</param>
    /// <param name="PresenceInput">Encoders read each step's presence (<see cref="FusionConfig.PresenceInput"/>).</param>
    /// <param name="StepPosition">Encoders read each step's position (<see cref="FusionConfig.StepPosition"/>).</param>
    public sealed record Settings(int Train = 1600, int Test = 800, int Steps = 12, int Size = 12, double Cue = 2.5, int Hidden = 16, int Epochs = 30, int Seed = 7,
        bool BidirectionalContext = false, CueTask Task = CueTask.Cue, bool PresenceInput = true, bool StepPosition = false);

    public static List<CueWindow> Generate(int count, Settings s, int seed)
    {
        var (classes, keys) = (Patterns(s, 8, 31), Patterns(s, 3, 37));
        var random = new Random(seed);
        double Noise() => (random.NextDouble() * 2) - 1;
        double[] Vector() => Enumerable.Range(0, s.Size).Select(_ => Noise()).ToArray();
        double[][] Sequence() => Enumerable.Range(0, s.Steps).Select(_ => Vector()).ToArray();
        void Add(double[] target, double[] pattern, double strength)
        {
            for (var i = 1; i < s.Size; i++)
            {
                target[i] += strength * pattern[i];
            }
        }
        var windows = new List<CueWindow>(count);
        while (windows.Count < count)
        {
            var (face, audio, pose, now) = (Sequence(), Sequence(), Sequence(), Vector());
            var present = Enumerable.Range(0, s.Steps).Select(_ => Enumerable.Repeat(true, 3).ToArray()).ToArray();
            var label = random.Next(8);
            var (modality, step) = (0, -1);
            switch (s.Task)
            {
                case CueTask.Cue:
                    modality = label is 2 or 3 ? 1 : label is 4 or 5 ? 2 : 0;
                    step = modality == 0 ? -1 : random.Next(s.Steps);
                    Add(modality switch { 0 => now, 1 => audio[step], _ => pose[step] }, classes[label], s.Cue);
                    break;
                case CueTask.Anchor:
                    // Three cues at distinct steps, of three distinct classes (the label among them), each with its key.
                    var steps = Distinct(random, s.Steps, 3);
                    var cued = new List<int> { label };
                    while (cued.Count < 3)
                    {
                        var other = random.Next(8);
                        if (!cued.Contains(other))
                        {
                            cued.Add(other);
                        }
                    }
                    var chosen = random.Next(3);
                    (cued[0], cued[chosen]) = (cued[chosen], cued[0]);   // the label's cue gets key `chosen`
                    for (var j = 0; j < 3; j++)
                    {
                        Add(audio[steps[j]], classes[cued[j]], s.Cue / Math.Sqrt(2));
                        Add(audio[steps[j]], keys[j], s.Cue / Math.Sqrt(2));
                    }
                    Add(now, keys[chosen], s.Cue);
                    (modality, step) = (1, steps[chosen]);
                    break;
                case CueTask.Missing:
                    var (a, p) = (random.Next(s.Steps), random.Next(s.Steps));
                    Add(audio[a], classes[label], s.Cue);
                    Add(pose[p], classes[label], s.Cue);
                    var dropped = random.NextDouble() < 0.5 ? 0 : random.NextDouble() < 0.5 ? 1 : 2;   // whole audio (1) or pose (2) missing a quarter of the time each
                    for (var t = 0; t < s.Steps; t++)
                    {
                        present[t][1] = dropped != 1 && random.NextDouble() >= 0.25;
                        present[t][2] = dropped != 2 && random.NextDouble() >= 0.25;
                    }
                    if (!present[a][1] && !present[p][2])
                    {
                        continue;   // neither cue survived: the label is unknowable, draw again
                    }
                    for (var t = 0; t < s.Steps; t++)
                    {
                        audio[t] = present[t][1] ? audio[t] : new double[s.Size];
                        pose[t] = present[t][2] ? pose[t] : new double[s.Size];
                    }
                    (modality, step) = present[a][1] ? (1, a) : (2, p);
                    break;
                case CueTask.Distractor:
                    var centre = s.Steps / 2;
                    Add(audio[centre], classes[label], s.Cue);
                    var others = Distinct(random, s.Steps, 3).Where(t => t != centre).Take(2).ToList();
                    foreach (var t in others)
                    {
                        var wrong = (label + 1 + random.Next(7)) % 8;
                        Add(audio[t], classes[wrong], s.Cue);
                    }
                    (modality, step) = (1, centre);
                    break;
            }
            now[0] = 1;
            windows.Add(new CueWindow(new FusionWindow(face, audio, pose, now, present), label, modality, step));
        }
        return windows;
    }

    /// <summary>Trains one variant on one task and seed and scores it on held-out windows.</summary>
    public static CueResult Run(FusionVariant variant, Settings s, Action<EpochReport>? report = null)
    {
        var train = Generate(s.Train, s, s.Seed);
        var valid = Generate(s.Test / 2, s, s.Seed + 1);
        var test = Generate(s.Test, s, s.Seed + 2);
        var config = new FusionConfig(Steps: s.Steps, FaceSize: s.Size, AudioSize: s.Size, PoseSize: s.Size, Hidden: s.Hidden, Layers: 2,
            KeySize: 8, HeadHidden: 32, Dropout: 0.1, Variant: variant, BidirectionalContext: s.BidirectionalContext, PresenceInput: s.PresenceInput, StepPosition: s.StepPosition);
        var network = new FusionNetwork(config, s.Seed);
        LabelledRun Single(CueWindow w) => new([w.Window], [w.Label]);
        var trainer = new FusionTrainer(network, new TrainingOptions(Epochs: s.Epochs, RunsPerBatch: 16, LearningRate: 3e-3, Patience: 4, StopPatience: 8, Seed: s.Seed, Threads: Environment.ProcessorCount,
            Loss: new LossSettings(ReconstructionWeight: 0.05, SmoothWeight: 0)));
        trainer.Train(train.Select(Single).ToList(), valid.Select(Single).ToList(), report);

        var outputs = new Batched.BatchedFusionNetwork(network, Environment.ProcessorCount).Forward(test.Select(Single).ToList(), new LossSettings());
        var predicted = outputs.Select(o => Array.IndexOf(o.Probabilities, o.Probabilities.Max())).ToList();
        var metrics = ExpressionMetrics.Compute(test.Select(w => w.Label).ToList(), predicted);
        var attends = variant is FusionVariant.Attention or FusionVariant.Context;
        var cued = Enumerable.Range(0, test.Count).Where(i => test[i].CueStep >= 0 && test[i].CueModality > 0).ToList();
        var atCue = cued.Count(i =>
        {
            var attention = outputs[i].Attention[test[i].CueModality];
            return Array.IndexOf(attention, attention.Max()) == test[i].CueStep;
        });
        return new CueResult(s.Task, variant, s.Seed, metrics.MacroF1, metrics.Accuracy, attends && cued.Count > 0 ? (double)atCue / cued.Count : double.NaN);
    }

    /// <summary>Unit patterns on features 1..Size-1, fixed by the settings' seed and <paramref name="salt"/>.</summary>
    private static double[][] Patterns(Settings s, int count, int salt)
    {
        var random = new Random(s.Seed * salt);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var v = Enumerable.Range(0, s.Size).Select(i => i == 0 ? 0 : (random.NextDouble() * 2) - 1).ToArray();
            var norm = Math.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }).ToArray();
    }

    private static int[] Distinct(Random random, int steps, int count)
    {
        var order = Enumerable.Range(0, steps).ToArray();
        random.Shuffle(order);
        return order.Take(count).ToArray();
    }
}
