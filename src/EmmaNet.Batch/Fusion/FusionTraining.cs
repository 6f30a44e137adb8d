using EmmaNet.Batch.Abaw;

namespace EmmaNet.Batch.Fusion;

/// <summary>One line of a results table: a split's metrics and the temporal stability (ECU, eq. 12) of its predictions.</summary>
public sealed record EvaluationRow(string Split, ExpressionMetrics Metrics, double Stability);

/// <summary>How to train on tracks: the network, the optimiser, runs of at most <paramref name="RunLength"/> consecutive ticks, inverse-frequency class weights or not.</summary>
public sealed record TrainingSettings(FusionConfig Config, TrainingOptions Options, int RunLength = 8, bool ClassWeights = false);

/// <summary>One fold of <c>train</c>: the model, its held-out fold's row and, when there is one, the official validation split's row.</summary>
public sealed record FoldOutcome(int Fold, FusionNetwork Network, EvaluationRow HeldOut, EvaluationRow? Validation, IReadOnlyList<EpochReport> History)
{
    public int Epochs => History.Count;
}

/// <summary>Training and evaluation of the fusion network on labelled tracks (EMMA-NET.md sections 4-5).</summary>
public static class FusionTraining
{
    public static (FusionNetwork Network, List<EpochReport> History) Train(IReadOnlyList<LabelledTrack> train, IReadOnlyList<LabelledTrack> valid, TrainingSettings settings, Action<EpochReport>? report = null, TrainingControl? control = null)
    {
        var network = new FusionNetwork(settings.Config, settings.Options.Seed);
        var options = settings.ClassWeights
            ? settings.Options with { Loss = (settings.Options.Loss ?? new LossSettings()) with { ClassWeights = InverseFrequencyWeights(train) } }
            : settings.Options;
        var history = new FusionTrainer(network, options).Train(Runs(train, settings), Runs(valid, settings), report, control);
        return (network, history);
    }

    /// <summary>
    /// K-fold cross-validation over whole videos (<see cref="ExprSplits.Folds"/>): each fold's model trains on the other
    /// folds, stops early on its own fold, and is scored on that fold and on <paramref name="validation"/>. With one
    /// fold, the model trains on all of <paramref name="train"/> and stops early on <paramref name="validation"/>.
    /// </summary>
    /// <param name="control">Each fold's training control (its own checkpoint), by fold number from 1.</param>
    public static IEnumerable<FoldOutcome> CrossValidate(IReadOnlyList<LabelledTrack> train, IReadOnlyList<ExprAnnotation> trainFiles, IReadOnlyList<LabelledTrack> validation, int folds, TrainingSettings settings, Action<int, EpochReport>? report = null, Func<int, TrainingControl>? control = null)
    {
        if (folds <= 1)
        {
            var (network, history) = Train(train, validation, settings, r => report?.Invoke(1, r), control?.Invoke(1));
            var row = Evaluate("validation", network, validation, settings);
            yield return new FoldOutcome(1, network, row, row, history);
            yield break;
        }
        var withTracks = trainFiles.Where(f => train.Any(t => t.Name == f.Name)).ToList();
        var split = ExprSplits.Folds(withTracks, folds);
        for (var k = 0; k < folds; k++)
        {
            var heldNames = split[k].Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            if (heldNames.Count == 0)
            {
                throw new InvalidOperationException($"fold {k + 1} of {folds} has no video: give fewer folds than the {withTracks.Select(f => f.VideoId).Distinct().Count()} videos with features");
            }
            var held = train.Where(t => heldNames.Contains(t.Name)).ToList();
            var rest = train.Where(t => !heldNames.Contains(t.Name)).ToList();
            var fold = k + 1;
            var (network, history) = Train(rest, held, settings, r => report?.Invoke(fold, r), control?.Invoke(fold));
            yield return new FoldOutcome(fold, network, Evaluate($"fold {fold} held-out", network, held, settings),
                validation.Count > 0 ? Evaluate($"fold {fold} validation", network, validation, settings) : null, history);
        }
    }

    /// <summary>Predicts every labelled tick (batched, in parallel; the result does not depend on it) and scores them; ECU over consecutive ticks within runs.</summary>
    public static EvaluationRow Evaluate(string split, FusionNetwork network, IReadOnlyList<LabelledTrack> tracks, TrainingSettings settings)
    {
        var runs = Runs(tracks, settings);
        var predicted = FusionTrainer.Predict(network, runs, Math.Max(1, settings.Options.Threads));
        var truth = runs.SelectMany(r => r.Labels).ToList();
        var metrics = ExpressionMetrics.Compute(truth, predicted.SelectMany(p => p).ToList());
        return new EvaluationRow(split, metrics, ExpressionMetrics.Stability(predicted));
    }

    /// <summary>
    /// How the network's attention behaves on each video's windows (<see cref="AttentionDiagnostics"/>), the same
    /// figures analyze journals, so a training report says whether the attention follows content or position.
    /// </summary>
    public static IReadOnlyList<(string Video, IReadOnlyList<ModalityAttention> Attention)> AttentionByVideo(FusionNetwork network, IReadOnlyList<LabelledTrack> tracks, TrainingSettings settings)
    {
        var fast = new Batched.BatchedFusionNetwork(network, Math.Max(1, settings.Options.Threads));
        var steps = settings.Config.Steps;
        var result = new List<(string, IReadOnlyList<ModalityAttention>)>();
        foreach (var video in tracks.GroupBy(t => t.VideoId).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var runs = Runs(video.ToList(), settings);
            var outputs = fast.Forward(runs, new LossSettings());
            var diagnostics = new AttentionDiagnostics(steps);
            for (var r = 0; r < runs.Count; r++)
            {
                for (var w = 0; w < runs[r].Windows.Count; w++)
                {
                    var slot = w * steps;
                    diagnostics.Add(runs[r].Windows[w].Present, [.. outputs[r].Attention.Select(a => a.AsSpan(slot, steps).ToArray())]);
                }
            }
            result.Add((video.Key, diagnostics.Result()));
        }
        return result;
    }

    /// <summary>Weights n / (classes * n_c) for the classes present (mean about 1), 1 for absent classes.</summary>
    public static double[] InverseFrequencyWeights(IReadOnlyList<LabelledTrack> tracks)
    {
        var counts = new double[ExpressionMetrics.Classes];
        foreach (var label in tracks.SelectMany(t => t.Labels).Where(l => l >= 0))
        {
            counts[label]++;
        }
        var total = counts.Sum();
        var present = counts.Count(c => c > 0);
        return counts.Select(c => c == 0 ? 1 : total / (present * c)).ToArray();
    }

    private static List<LabelledRun> Runs(IReadOnlyList<LabelledTrack> tracks, TrainingSettings settings) =>
        tracks.SelectMany(t => t.Runs(settings.Config.Steps, settings.RunLength)).ToList();
}
