using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Fusion.Batched;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// A run of consecutive windows of one video with their labels (so L_smooth has neighbours); <see cref="Targets"/>,
/// when given, are soft targets (distillation) and the labels their argmax.
/// </summary>
public sealed record LabelledRun(IReadOnlyList<FusionWindow> Windows, IReadOnlyList<int> Labels, IReadOnlyList<double[]>? Targets = null);

/// <param name="RunsPerBatch">Runs per optimiser step (the paper's batch of 4).</param>
/// <param name="Patience">Epochs without a better validation macro F1 before the learning rate is halved.</param>
/// <param name="StopPatience">Epochs without a better validation macro F1 before training stops.</param>
/// <param name="Threads">Threads computing shards of each batch in parallel (results do not depend on it).</param>
/// <param name="KeepLast">Train every epoch and keep the last: the validation runs are only reported, never used to
/// choose an epoch, to stop or to lower the learning rate.</param>
/// <param name="FaceDropout">Share of training windows whose current face is hidden (f_c set to the mean face, the
/// tick's own face step absent), so the network must read the tick from its context.</param>
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
    bool KeepLast = false,
    double FaceDropout = 0);

/// <summary>One finished epoch: mean training loss per run, validation macro F1 and loss, the learning rate it ran at, and its wall time.</summary>
public sealed record EpochReport(int Epoch, double TrainLoss, double ValidMacroF1, double ValidLoss, double LearningRate, double Seconds = 0);

/// <summary>Where a training run stands, reported after every batch.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double EpochSeconds, EpochReport? Last);

/// <summary>How a long training run is driven: cancellation (checked before every batch), progress, and the per-epoch checkpoint.</summary>
/// <param name="Checkpoint">Written after every finished epoch; null: none.</param>
/// <param name="Resume">Continue from <paramref name="Checkpoint"/> when it exists (its identity must match this run's).</param>
/// <param name="DataIdentity">Extra identity of the data (e.g. the feature files) that a resumed checkpoint must match.</param>
public sealed record TrainingControl(
    IProgress<TrainingProgress>? Progress = null,
    string? Checkpoint = null,
    bool Resume = false,
    string? DataIdentity = null,
    CancellationToken Cancellation = default);

/// <summary>
/// Trains a <see cref="FusionNetwork"/> (EMMA-NET.md section 4) on the float32 batched fast path
/// (<see cref="BatchedFusionNetwork"/>): the inputs' standardisation measured on the training runs, AdamW over shuffled runs, the learning rate halved when the validation score
/// stops improving, early stopping, the best epoch's values kept and stored back into the network. Deterministic for
/// a seed whatever the thread count: each epoch's order and each run's dropout come from the seed, and a batch's
/// shards are summed in a fixed order. With a checkpoint, Ctrl-C (the cancellation) stops before the next batch and
/// the last finished epoch stays on disk; a resumed run continues exactly where that epoch ended.
/// </summary>
public sealed class FusionTrainer(FusionNetwork network, TrainingOptions options)
{
    public List<EpochReport> Train(IReadOnlyList<LabelledRun> train, IReadOnlyList<LabelledRun> valid, Action<EpochReport>? report = null, TrainingControl? control = null)
    {
        control ??= new TrainingControl();
        var loss = options.Loss ?? new LossSettings();
        // The standardisation is part of the model, measured on the training data (the same again on resume).
        network.Normalization = FeatureNormalization.From(train, network.Config);
        var fast = new BatchedFusionNetwork(network, options.Threads);
        var values = fast.Parameters.Values;
        var optimizer = new AdamW(fast.Parameters, options.WeightDecay, options.Threads) { LearningRate = options.LearningRate };
        var identity = Identity(train, valid, loss, control.DataIdentity);
        var history = new List<EpochReport>();
        var best = double.NegativeInfinity;
        var bestValues = values.ToArray();
        var (sinceBest, sinceDecay, firstEpoch) = (0, 0, 1);
        if (control.Resume && control.Checkpoint is { } path && File.Exists(path))
        {
            var saved = TrainingCheckpoint.Load(path);
            if (TrainingCheckpoint.Mismatch(saved.Identity, identity) is { } problem)
            {
                throw new InvalidDataException($"{path}: the checkpoint belongs to another training run ({problem}); delete it or train without --resume");
            }
            saved.Values.CopyTo(values, 0);
            saved.M.CopyTo(optimizer.M, 0);
            saved.V.CopyTo(optimizer.V, 0);
            (optimizer.LearningRate, optimizer.Steps) = (saved.LearningRate, saved.OptimizerSteps);
            (best, bestValues, sinceBest, sinceDecay, firstEpoch) = (saved.Best, saved.BestValues, saved.SinceBest, saved.SinceDecay, saved.Epoch + 1);
            history.AddRange(saved.History);
            if (saved.Finished)
            {
                firstEpoch = int.MaxValue;
            }
            fast.Refresh();
        }
        var batches = (train.Count + options.RunsPerBatch - 1) / options.RunsPerBatch;
        var runLosses = new double[options.RunsPerBatch];
        var finished = firstEpoch == int.MaxValue;
        for (var epoch = firstEpoch; epoch <= options.Epochs && !finished; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var order = Enumerable.Range(0, train.Count).ToArray();
            new Random(unchecked((options.Seed * 7_919) + epoch)).Shuffle(order);
            double total = 0;
            for (var batch = 0; batch < batches; batch++)
            {
                control.Cancellation.ThrowIfCancellationRequested();
                var members = order.Skip(batch * options.RunsPerBatch).Take(options.RunsPerBatch).ToArray();
                var runs = members.Select(i => train[i]).ToArray();
                var seeds = members.Select(i => unchecked((options.Seed * 1_000_003) + (epoch * 10_007) + i)).ToArray();
                var grad = fast.Gradient(runs, seeds, loss, runLosses, options.FaceDropout);
                optimizer.Step(grad);
                fast.Refresh();
                for (var r = 0; r < runs.Length; r++)
                {
                    total += runLosses[r];
                }
                control.Progress?.Report(new TrainingProgress(epoch, options.Epochs, batch + 1, batches, clock.Elapsed.TotalSeconds, history.LastOrDefault()));
            }
            var (f1, validLoss) = Validate(fast, valid, loss);
            var entry = new EpochReport(epoch, total / Math.Max(1, train.Count), f1, validLoss, optimizer.LearningRate, clock.Elapsed.TotalSeconds);
            history.Add(entry);
            report?.Invoke(entry);
            var score = f1;
            if (options.KeepLast)
            {
                (best, bestValues) = (score, values.ToArray());
            }
            else if (score > best + 1e-9)
            {
                (best, bestValues, sinceBest, sinceDecay) = (score, values.ToArray(), 0, 0);
            }
            else
            {
                sinceBest++;
                if (++sinceDecay >= options.Patience)
                {
                    optimizer.LearningRate /= 2;
                    sinceDecay = 0;
                }
                finished = sinceBest >= options.StopPatience;
            }
            finished |= epoch == options.Epochs;
            if (control.Checkpoint is { } checkpoint)
            {
                new TrainingCheckpoint
                {
                    Identity = identity, Epoch = epoch, Finished = finished, LearningRate = optimizer.LearningRate, OptimizerSteps = optimizer.Steps,
                    Best = best, SinceBest = sinceBest, SinceDecay = sinceDecay, History = history,
                    Values = values, M = optimizer.M, V = optimizer.V, BestValues = bestValues,
                }.Save(checkpoint);
            }
        }
        fast.Parameters.Store(bestValues);
        return history;
    }

    /// <summary>Each run's predicted classes (argmax), in order.</summary>
    public static int[][] Predict(FusionNetwork network, IReadOnlyList<LabelledRun> runs, int threads = 2)
    {
        var outputs = new BatchedFusionNetwork(network, threads).Forward(runs, new LossSettings());
        return outputs.Select(o => ArgMaxRows(o.Probabilities, network.Config.Classes)).ToArray();
    }

    /// <summary>Validation macro F1 and mean loss per run, from one forward pass over each window.</summary>
    private static (double MacroF1, double Loss) Validate(BatchedFusionNetwork fast, IReadOnlyList<LabelledRun> runs, LossSettings loss)
    {
        if (runs.Count == 0)
        {
            return (0, 0);
        }
        var outputs = fast.Forward(runs, loss);
        var predicted = outputs.SelectMany(o => ArgMaxRows(o.Probabilities, fast.Config.Classes)).ToList();
        var truth = runs.SelectMany(r => r.Labels).ToList();
        return (ExpressionMetrics.Compute(truth, predicted).MacroF1, outputs.Sum(o => o.Loss) / runs.Count);
    }

    private static int[] ArgMaxRows(float[] rows, int width)
    {
        var result = new int[rows.Length / width];
        for (var i = 0; i < result.Length; i++)
        {
            var row = rows.AsSpan(i * width, width);
            var best = 0;
            for (var k = 1; k < width; k++)
            {
                if (row[k] > row[best])
                {
                    best = k;
                }
            }
            result[i] = best;
        }
        return result;
    }

    /// <summary>The settings and data a checkpoint must match to be resumed (the epoch limit and the thread count may change).</summary>
    private SortedDictionary<string, string> Identity(IReadOnlyList<LabelledRun> train, IReadOnlyList<LabelledRun> valid, LossSettings loss, string? data)
    {
        var inv = CultureInfo.InvariantCulture;
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["config"] = network.Config.ToString(),
            ["options"] = (options with { Epochs = 0, Threads = 0, Loss = null }).ToString(),
            ["loss"] = string.Create(inv, $"rec {loss.ReconstructionWeight}, smooth {loss.SmoothWeight}, class weights {(loss.ClassWeights is { } w ? string.Join(' ', w.Select(x => x.ToString("R", inv))) : "none")}"),
            ["train"] = Summary(train),
            ["valid"] = Summary(valid),
            ["data"] = data ?? "",
        };
    }

    /// <summary>Runs, windows and a hash of every label and soft target.</summary>
    private static string Summary(IReadOnlyList<LabelledRun> runs)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[8];
        foreach (var run in runs)
        {
            BitConverter.TryWriteBytes(buffer, run.Labels.Count);
            hash.AppendData(buffer[..4]);
            foreach (var label in run.Labels)
            {
                BitConverter.TryWriteBytes(buffer, label);
                hash.AppendData(buffer[..4]);
            }
            foreach (var target in run.Targets ?? [])
            {
                foreach (var v in target)
                {
                    BitConverter.TryWriteBytes(buffer, v);
                    hash.AppendData(buffer);
                }
            }
        }
        return $"{runs.Count} runs, {runs.Sum(r => r.Windows.Count)} windows, labels sha256 {Convert.ToHexStringLower(hash.GetHashAndReset())[..16]}";
    }
}
