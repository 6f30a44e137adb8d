using System.Numerics.Tensors;

namespace EmmaNet.Batch.Fusion.Batched;

/// <summary>One run's outputs from <see cref="BatchedFusionNetwork.Forward"/>: probabilities [n, classes], each modality's attention [n, T], the run's loss.</summary>
public sealed record RunOutput(float[] Probabilities, float[][] Attention, double Loss);

/// <summary>
/// The fast path of the fusion network: float32 values of a <see cref="FusionNetwork"/> and one
/// <see cref="FusionBatchPass"/> per thread. Gradients are computed over shards of whole runs, at most
/// <see cref="ShardWindows"/> windows each, in parallel; the shards' gradients are summed in shard order, so the
/// result depends on the batch and never on the thread count.
/// </summary>
public sealed class BatchedFusionNetwork
{
    /// <summary>Windows per shard of a gradient batch (fixed: it decides the summation order, threads only run shards).</summary>
    public const int ShardWindows = 16;

    /// <summary>Windows per forward-only call.</summary>
    public const int ForwardWindows = 64;

    private readonly FusionBatchPass[] _passes;
    private readonly PreparedWeights _prepared;
    private readonly List<float[]> _shardGrads = new();
    private readonly float[] _grad;

    public BatchedFusionNetwork(FusionNetwork reference, int threads)
    {
        Parameters = new FusionParameters(reference);
        _prepared = Parameters.Prepare();
        _passes = Enumerable.Range(0, Math.Max(1, threads)).Select(_ => new FusionBatchPass(Parameters)).ToArray();
        _grad = new float[Parameters.Count];
    }

    public FusionParameters Parameters { get; }

    public FusionConfig Config => Parameters.Reference.Config;

    public int Threads => _passes.Length;

    /// <summary>Call after the values changed (an optimiser step, a restore): the transposed weights follow them.</summary>
    public void Refresh() => _prepared.Refresh(Threads);

    /// <summary>
    /// The gradient of the mean run loss over <paramref name="runs"/> (the reference trainer's batch gradient), each
    /// run's loss in <paramref name="runLosses"/>; dropout per run from <paramref name="dropoutSeeds"/>, none when null.
    /// The returned buffer is reused by the next call.
    /// </summary>
    /// <param name="faceDropout">Share of windows whose current face is hidden (<see cref="TrainingOptions.FaceDropout"/>), drawn from each run's dropout generator.</param>
    public float[] Gradient(IReadOnlyList<LabelledRun> runs, IReadOnlyList<int>? dropoutSeeds, LossSettings loss, double[] runLosses, double faceDropout = 0)
    {
        var shards = Shards(runs, ShardWindows);
        while (_shardGrads.Count < shards.Count)
        {
            _shardGrads.Add(new float[Parameters.Count]);
        }
        var scale = 1f / runs.Count;
        RunShards(shards.Count, (pass, s) =>
        {
            var (first, count) = shards[s];
            var grad = _shardGrads[s];
            Array.Clear(grad);
            pass.Load(Slice(runs, first, count), dropoutSeeds is null ? null : Slice(dropoutSeeds, first, count), faceDropout);
            pass.Forward(_prepared);
            pass.LossAndBackward(_prepared, loss, runLosses.AsSpan(first, count), grad, scale);
        });
        // Summed in shard order, element by element: splitting the vector over threads changes nothing.
        var chunk = (Parameters.Count + Threads - 1) / Threads;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var (start, length) = (t * chunk, Math.Max(0, Math.Min(chunk, Parameters.Count - (t * chunk))));
            var total = _grad.AsSpan(start, length);
            _shardGrads[0].AsSpan(start, length).CopyTo(total);
            for (var s = 1; s < shards.Count; s++)
            {
                TensorPrimitives.Add(total, _shardGrads[s].AsSpan(start, length), total);
            }
        });
        return _grad;
    }

    /// <summary>Forward only (no dropout) over every run, in parallel; each run's outputs and loss, in run order.</summary>
    public RunOutput[] Forward(IReadOnlyList<LabelledRun> runs, LossSettings loss)
    {
        var shards = Shards(runs, ForwardWindows);
        var outputs = new RunOutput[runs.Count];
        var (classes, steps) = (Config.Classes, Config.Steps);
        RunShards(shards.Count, (pass, s) =>
        {
            var (first, count) = shards[s];
            pass.Load(Slice(runs, first, count), null);
            pass.Forward(_prepared);
            var losses = new double[count];
            pass.LossAndBackward(_prepared, loss, losses, null, 1);
            var slot = 0;
            for (var r = 0; r < count; r++)
            {
                var n = runs[first + r].Windows.Count;
                var attention = new float[3][];
                for (var m = 0; m < 3; m++)
                {
                    attention[m] = pass.Attention(m).Slice(slot * steps, n * steps).ToArray();
                }
                outputs[first + r] = new RunOutput(pass.Probabilities.Slice(slot * classes, n * classes).ToArray(), attention, losses[r]);
                slot += n;
            }
        });
        return outputs;
    }

    /// <summary>Matrix-product flops of one window's forward and backward pass (what <c>bench-train</c> counts).</summary>
    public static (long Forward, long Backward) FlopsPerWindow(FusionConfig c)
    {
        var reference = new FusionNetwork(c);
        var p = new FusionParameters(reference);
        long forward = 0, backward = 0;
        if (c.UsesEncoders)
        {
            foreach (var encoder in reference.Encoders)
            {
                for (var l = 0; l < encoder.Layers.Count; l++)
                {
                    foreach (var d in encoder.Layers[l])
                    {
                        var gru = new BatchedGru(d, p);
                        forward += gru.ForwardFlops(c.Steps);
                        backward += gru.BackwardFlops(c.Steps, inputGradient: l > 0);
                    }
                }
            }
            for (var m = 0; m < 3; m++)
            {
                var e = c.Encoding(m);
                forward += Sgemm.Flops(1, e, c.FusedSize);   // reconstruction decoder
                backward += 2 * Sgemm.Flops(1, e, c.FusedSize);
                if (c.Variant is FusionVariant.Attention or FusionVariant.Context)
                {
                    forward += Sgemm.Flops(1, c.KeySize, c.FaceSize) + Sgemm.Flops(c.Steps, c.KeySize, e);
                    backward += Sgemm.Flops(1, c.KeySize, c.FaceSize) + (2 * Sgemm.Flops(c.Steps, c.KeySize, e));
                }
            }
        }
        forward += Sgemm.Flops(1, c.HeadHidden, c.FusedSize) + Sgemm.Flops(1, c.Classes, c.HeadHidden);
        backward += 2 * (Sgemm.Flops(1, c.HeadHidden, c.FusedSize) + Sgemm.Flops(1, c.Classes, c.HeadHidden));
        return (forward, backward);
    }

    private void RunShards(int count, Action<FusionBatchPass, int> work)
    {
        var workers = Math.Min(_passes.Length, count);
        if (workers <= 1)
        {
            for (var s = 0; s < count; s++)
            {
                work(_passes[0], s);
            }
            return;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            for (var s = w; s < count; s += workers)
            {
                work(_passes[w], s);
            }
        });
    }

    /// <summary>
    /// Consecutive runs cut into ceil(windows / <paramref name="windows"/>) shards of about equal size (each cut at the
    /// run boundary nearest its share), so the threads finish together; decided by the runs alone, never by the threads.
    /// </summary>
    private static List<(int First, int Count)> Shards(IReadOnlyList<LabelledRun> runs, int windows)
    {
        var total = 0;
        foreach (var run in runs)
        {
            total += run.Windows.Count;
        }
        var count = Math.Max(1, (total + windows - 1) / windows);
        var shards = new List<(int, int)>();
        var (first, seen) = (0, 0);
        for (var r = 0; r < runs.Count; r++)
        {
            var n = runs[r].Windows.Count;
            var cut = (double)(shards.Count + 1) * total / count;
            if (r > first && shards.Count < count - 1 && seen + (n / 2.0) > cut)
            {
                shards.Add((first, r - first));
                first = r;
            }
            seen += n;
        }
        shards.Add((first, runs.Count - first));
        return shards;
    }

    private static T[] Slice<T>(IReadOnlyList<T> list, int first, int count)
    {
        var slice = new T[count];
        for (var i = 0; i < count; i++)
        {
            slice[i] = list[first + i];
        }
        return slice;
    }
}
