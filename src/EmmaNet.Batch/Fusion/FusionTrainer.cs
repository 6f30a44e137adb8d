using EmmaNet.Batch.Evaluation;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// A run of consecutive windows of one video with their labels (so L_smooth has neighbours); <see cref="Targets"/>,
/// when given, are soft targets (distillation) and the labels their argmax.
/// </summary>
public sealed record LabelledRun(IReadOnlyList<FusionWindow> Windows, IReadOnlyList<int> Labels, IReadOnlyList<double[]>? Targets = null);

/// <param name="RunsPerBatch">Runs per optimiser step (the paper's batch of 4).</param>
/// <param name="Patience">Epochs without a better validation macro F1 before the learning rate is halved.</param>
/// <param name="StopPatience">Epochs without a better validation macro F1 before training stops.</param>
/// <param name="Threads">Replicas computing gradients in parallel (results do not depend on it).</param>
/// <param name="SelectOnLoss">Judge epochs by validation loss (lower is better) instead of validation macro F1: for
/// distillation, where agreement with the teacher saturates early while the fit to its distributions still improves.</param>
public sealed record TrainingOptions(
    int Epochs = 40,
    int RunsPerBatch = 4,
    double LearningRate = 2e-3,
    double WeightDecay = 1e-4,
    int Patience = 3,
    int StopPatience = 8,
    int Seed = 1,
    int Threads = 2,
    LossSettings? Loss = null,
    bool SelectOnLoss = false);

public sealed record EpochReport(int Epoch, double TrainLoss, double ValidMacroF1, double ValidLoss, double LearningRate);

/// <summary>
/// Trains a <see cref="FusionNetwork"/> (EMMA-NET.md section 4): AdamW over shuffled runs, the learning rate halved
/// when validation macro F1 stops improving, early stopping, the best epoch's weights kept. Deterministic for a seed:
/// each run's dropout has its own seed and replicas' gradients are summed in a fixed order, so the thread count does
/// not change the result.
/// </summary>
public sealed class FusionTrainer(FusionNetwork network, TrainingOptions options)
{
    public List<EpochReport> Train(IReadOnlyList<LabelledRun> train, IReadOnlyList<LabelledRun> valid, Action<EpochReport>? report = null)
    {
        var loss = options.Loss ?? new LossSettings();
        var optimizer = new AdamW(network.Params, weightDecay: options.WeightDecay) { LearningRate = options.LearningRate };
        var replicas = Enumerable.Range(0, Math.Max(1, options.Threads)).Select(_ => new FusionNetwork(network.Config)).ToArray();
        var shuffle = new Random(options.Seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var history = new List<EpochReport>();
        var best = double.NegativeInfinity;
        var bestValues = Snapshot(network);
        var sinceBest = 0;
        var sinceDecay = 0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            shuffle.Shuffle(order);
            double total = 0;
            for (var start = 0; start < order.Length; start += options.RunsPerBatch)
            {
                var batch = order.Skip(start).Take(options.RunsPerBatch).ToArray();
                foreach (var r in replicas)
                {
                    CopyValues(network, r);
                }
                // Each run's gradient goes to its own buffer; the buffers are summed in run order, so the result does
                // not depend on how runs were spread over threads.
                var losses = new double[batch.Length];
                var runGrads = new double[batch.Length][];
                Parallel.For(0, replicas.Length, new ParallelOptions { MaxDegreeOfParallelism = replicas.Length }, ri =>
                {
                    for (var b = ri; b < batch.Length; b += replicas.Length)
                    {
                        var run = train[batch[b]];
                        replicas[ri].ZeroGrad();
                        losses[b] = replicas[ri].Loss(run.Windows, run.Labels, loss, new Random(unchecked((options.Seed * 1_000_003) + (epoch * 10_007) + batch[b])), backward: true, run.Targets);
                        runGrads[b] = replicas[ri].Params.SelectMany(p => p.Grad).ToArray();
                    }
                });
                network.ZeroGrad();
                var target = network.Params;
                foreach (var grads in runGrads)
                {
                    var at = 0;
                    foreach (var p in target)
                    {
                        for (var i = 0; i < p.Grad.Length; i++)
                        {
                            p.Grad[i] += grads[at++] / batch.Length;
                        }
                    }
                }
                optimizer.Step();
                total += losses.Sum();
            }
            var (f1, validLoss) = Validate(network, valid, loss);
            var entry = new EpochReport(epoch, total / Math.Max(1, train.Count), f1, validLoss, optimizer.LearningRate);
            history.Add(entry);
            report?.Invoke(entry);
            var score = options.SelectOnLoss ? -validLoss : f1;
            if (score > best + 1e-9)
            {
                (best, bestValues, sinceBest, sinceDecay) = (score, Snapshot(network), 0, 0);
            }
            else
            {
                sinceBest++;
                if (++sinceDecay >= options.Patience)
                {
                    optimizer.LearningRate /= 2;
                    sinceDecay = 0;
                }
                if (sinceBest >= options.StopPatience)
                {
                    break;
                }
            }
        }
        Restore(network, bestValues);
        return history;
    }

    /// <summary>Validation macro F1 and mean loss per run, from one forward pass over each window.</summary>
    private static (double MacroF1, double Loss) Validate(FusionNetwork network, IReadOnlyList<LabelledRun> runs, LossSettings loss)
    {
        var truth = new List<int>();
        var predicted = new List<int>();
        double total = 0;
        foreach (var run in runs)
        {
            total += network.Loss(run.Windows, run.Labels, loss, null, backward: false, run.Targets, (i, output) =>
            {
                truth.Add(run.Labels[i]);
                predicted.Add(Array.IndexOf(output.Probabilities, output.Probabilities.Max()));
            });
        }
        return (ExpressionMetrics.Compute(truth, predicted).MacroF1, runs.Count == 0 ? 0 : total / runs.Count);
    }

    public static ExpressionMetrics Evaluate(FusionNetwork network, IReadOnlyList<LabelledRun> runs)
    {
        var truth = new List<int>();
        var predicted = new List<int>();
        foreach (var run in runs)
        {
            for (var i = 0; i < run.Windows.Count; i++)
            {
                var p = network.Predict(run.Windows[i]).Probabilities;
                truth.Add(run.Labels[i]);
                predicted.Add(Array.IndexOf(p, p.Max()));
            }
        }
        return ExpressionMetrics.Compute(truth, predicted);
    }

    private static void CopyValues(FusionNetwork from, FusionNetwork to)
    {
        var source = from.Params;
        var target = to.Params;
        for (var p = 0; p < source.Count; p++)
        {
            source[p].Value.CopyTo(target[p].Value, 0);
        }
    }

    private static double[][] Snapshot(FusionNetwork network) => network.Params.Select(p => p.Value.ToArray()).ToArray();

    private static void Restore(FusionNetwork network, double[][] values)
    {
        var ps = network.Params;
        for (var p = 0; p < ps.Count; p++)
        {
            values[p].CopyTo(ps[p].Value, 0);
        }
    }
}
