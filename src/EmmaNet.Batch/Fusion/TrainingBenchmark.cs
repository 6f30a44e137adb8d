using System.Diagnostics;
using EmmaNet.Batch.Fusion.Batched;

namespace EmmaNet.Batch.Fusion;

/// <summary>Throughput of one implementation: windows per second through forward + backward (the gradient of a batch), through a whole optimiser step, and through forward alone.</summary>
public sealed record TrainingSpeed(double GradientWindowsPerSecond, double StepWindowsPerSecond, double ForwardWindowsPerSecond, double GigaflopsPerSecond, long PeakMemoryMiB);

/// <summary>What <c>bench-train</c> measured (one process, one data set).</summary>
public sealed record TrainingBenchmarkResult(
    string Config,
    int Threads,
    long ForwardFlopsPerWindow,
    long BackwardFlopsPerWindow,
    int MemoryTicks,
    int MemoryWindows,
    double DatasetMiB,
    double BytesPerTick,
    TrainingSpeed Reference,
    TrainingSpeed Fast,
    double FastOneThreadGradientWindowsPerSecond,
    double SgemmOneCoreGigaflops,
    double Speedup,
    double ForwardSpeedup,
    double ParallelEfficiency,
    double GemmEfficiency,
    AffWild2Projection Projection);

/// <summary>Projected wall time of the paper's protocol on Aff-Wild2 EXPR: each fold trains on 4/5 of the face ticks and scores the other 1/5 after every epoch.</summary>
public sealed record AffWild2Projection(int Ticks, int Folds, int Epochs, double ReferenceHours, double FastHours);

/// <summary>
/// Measures the double-precision reference (window by window, its runs spread over the cores as the old trainer did)
/// and the float32 batched fast path on the same generated windows of the real feature sizes, in one process, so the
/// ratios hold on a noisy machine.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>Aff-Wild2 EXPR training frames at 6 Hz: about 585,000 labelled frames of 30 fps video.</summary>
    public const int AffWild2Ticks = 117_000;

    public static TrainingBenchmarkResult Run(FusionConfig config, int threads, int memoryTicks, double seconds, Action<string>? log = null)
    {
        log?.Invoke($"generating {memoryTicks} ticks of features ({config.FaceSize} + {config.AudioSize} + {config.PoseSize} values)");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var tracks = SyntheticFeatures.Tracks(memoryTicks, 3000, seed: 1, config);
        var runs = tracks.SelectMany(t => t.Runs(config.Steps, 8)).ToList();
        var dataset = GC.GetTotalMemory(forceFullCollection: true) - before;
        var windows = runs.Sum(r => r.Windows.Count);
        var (forwardFlops, backwardFlops) = BatchedFusionNetwork.FlopsPerWindow(config);
        var flops = forwardFlops + backwardFlops;
        var shuffled = runs.ToArray();
        new Random(2).Shuffle(shuffled);

        log?.Invoke("reference (double, window by window)");
        var reference = MeasureReference(config, shuffled, threads, seconds, flops);
        log?.Invoke("fast path (float32, batched)");
        var fast = MeasureFast(config, shuffled, threads, seconds, flops);
        log?.Invoke("fast path on one thread");
        var oneThread = MeasureFastGradient(config, shuffled, 1, seconds);
        var sgemm = SgemmGigaflops(seconds / 4);

        double Hours(TrainingSpeed s) => 5 * 40 * ((0.8 * AffWild2Ticks / s.StepWindowsPerSecond) + (0.2 * AffWild2Ticks / s.ForwardWindowsPerSecond)) / 3600;
        return new TrainingBenchmarkResult(
            config.ToString(), threads, forwardFlops, backwardFlops, memoryTicks, windows, dataset / 1048576.0, (double)dataset / memoryTicks,
            reference, fast, oneThread, sgemm,
            fast.GradientWindowsPerSecond / reference.GradientWindowsPerSecond,
            fast.ForwardWindowsPerSecond / reference.ForwardWindowsPerSecond,
            fast.GradientWindowsPerSecond / (oneThread * threads),
            fast.GigaflopsPerSecond / (sgemm * threads),
            new AffWild2Projection(AffWild2Ticks, 5, 40, Hours(reference), Hours(fast)));
    }

    private static TrainingSpeed MeasureReference(FusionConfig config, LabelledRun[] runs, int threads, double seconds, long flops)
    {
        var loss = new LossSettings();
        var network = new FusionNetwork(config, seed: 1);
        var replicas = Enumerable.Range(0, threads).Select(_ => new FusionNetwork(config, seed: 1)).ToArray();
        var gradient = Throughput(runs, 4, seconds, batch =>
        {
            // As the reference trainer computed a batch: each run's gradient on a replica, runs spread over the threads.
            Parallel.For(0, replicas.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, ri =>
            {
                for (var b = ri; b < batch.Length; b += replicas.Length)
                {
                    replicas[ri].ZeroGrad();
                    replicas[ri].Loss(batch[b].Windows, batch[b].Labels, loss, new Random(b), backward: true, batch[b].Targets);
                    _ = replicas[ri].Params.SelectMany(p => p.Grad).ToArray();
                }
            });
        });
        var forward = Throughput(runs, 64, seconds / 2, batch =>
            Parallel.ForEach(batch, new ParallelOptions { MaxDegreeOfParallelism = threads }, run =>
            {
                for (var i = 0; i < run.Windows.Count; i++)
                {
                    network.Predict(run.Windows[i]);
                }
            }));
        // The reference's optimiser step is a pass over the parameters per batch: negligible beside its gradient.
        return new TrainingSpeed(gradient, gradient, forward, gradient * flops / 1e9, PeakMemory.Bytes() / 1048576);
    }

    private static TrainingSpeed MeasureFast(FusionConfig config, LabelledRun[] runs, int threads, double seconds, long flops)
    {
        var loss = new LossSettings();
        var fast = new BatchedFusionNetwork(new FusionNetwork(config, seed: 1), threads);
        var losses = new double[4];
        var gradient = Throughput(runs, 4, seconds, batch => fast.Gradient(batch, Seeds(batch.Length), loss, losses));
        var optimizer = new AdamW(fast.Parameters, threads: threads) { LearningRate = 1e-4 };
        var step = Throughput(runs, 4, seconds, batch =>
        {
            optimizer.Step(fast.Gradient(batch, Seeds(batch.Length), loss, losses));
            fast.Refresh();
        });
        var forward = Throughput(runs, 64, seconds / 2, batch => fast.Forward(batch, loss));
        return new TrainingSpeed(gradient, step, forward, gradient * flops / 1e9, PeakMemory.Bytes() / 1048576);
    }

    private static double MeasureFastGradient(FusionConfig config, LabelledRun[] runs, int threads, double seconds)
    {
        var fast = new BatchedFusionNetwork(new FusionNetwork(config, seed: 1), threads);
        var losses = new double[4];
        return Throughput(runs, 4, seconds, batch => fast.Gradient(batch, Seeds(batch.Length), new LossSettings(), losses));
    }

    private static int[] Seeds(int count) => Enumerable.Range(1, count).ToArray();

    /// <summary>Windows per second of <paramref name="work"/> over consecutive batches of runs, after one warm-up batch, for at least <paramref name="seconds"/>.</summary>
    private static double Throughput(LabelledRun[] runs, int runsPerBatch, double seconds, Action<LabelledRun[]> work)
    {
        var at = 0;
        LabelledRun[] Next()
        {
            if (at + runsPerBatch > runs.Length)
            {
                at = 0;
            }
            var batch = runs.AsSpan(at, runsPerBatch).ToArray();
            at += runsPerBatch;
            return batch;
        }
        work(Next());
        var clock = Stopwatch.StartNew();
        long windows = 0;
        do
        {
            var batch = Next();
            work(batch);
            windows += batch.Sum(r => r.Windows.Count);
        }
        while (clock.Elapsed.TotalSeconds < seconds);
        return windows / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The matrix kernel alone on one core, on the shape that dominates training (a shard's input projections: 16 windows x 12 steps, 263 -> 3 x 128).</summary>
    private static double SgemmGigaflops(double seconds)
    {
        const int m = 192, n = 384, k = 263;
        var random = new Random(3);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble()).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble()).ToArray();
        var c = new float[m * n];
        Sgemm.Multiply(m, n, k, a, k, b, n, c, n, accumulate: false);
        var clock = Stopwatch.StartNew();
        long calls = 0;
        do
        {
            Sgemm.Multiply(m, n, k, a, k, b, n, c, n, accumulate: false);
            calls++;
        }
        while (clock.Elapsed.TotalSeconds < seconds);
        return calls * Sgemm.Flops(m, n, k) / clock.Elapsed.TotalSeconds / 1e9;
    }
}
