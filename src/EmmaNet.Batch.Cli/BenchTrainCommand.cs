using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet bench-train</c>: the fusion trainer's speed, reference against fast path, on generated windows of the
/// real feature sizes (<see cref="TrainingBenchmark"/>), with the memory of an Aff-Wild2-sized feature set and the
/// projected time of the paper's 5 folds x 40 epochs on this machine.
/// </summary>
internal static class BenchTrainCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var hidden = (new Option<int>("--hidden") { Description = "GRU hidden size", DefaultValueFactory = _ => 128 }).AtLeast(1);
        var steps = (new Option<int>("--steps") { Description = "T", DefaultValueFactory = _ => 12 }).AtLeast(1);
        var threads = (new Option<int>("--threads") { Description = "Threads (0: all cores)", DefaultValueFactory = _ => 0 }).AtLeast(0);
        var ticks = (new Option<int>("--memory-ticks") { Description = "Face ticks of the generated feature set (Aff-Wild2's training set: about 117,000)", DefaultValueFactory = _ => 120_000 }).AtLeast(0);
        var seconds = (new Option<double>("--seconds") { Description = "Seconds per measurement", DefaultValueFactory = _ => 5 }).Within(0, minimumIncluded: false);
        var command = new Command("bench-train", "Measure the fusion trainer: double reference vs float32 batched fast path, memory, projected Aff-Wild2 training time")
        {
            json, hidden, steps, threads, ticks, seconds,
        };
        command.SetAction(parse =>
        {
            var config = SyntheticFeatures.RealSizes(parse.GetValue(hidden), parse.GetValue(steps));
            var count = parse.GetValue(threads) is > 0 and var t ? t : Environment.ProcessorCount;
            var asJson = parse.GetValue(json);
            var r = TrainingBenchmark.Run(config, count, parse.GetValue(ticks), parse.GetValue(seconds), asJson ? null : m => Console.Error.WriteLine("bench-train: " + m));
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(r, JsonOptions));
                return ExitCodes.Success;
            }
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"network           {r.Config}");
            Console.WriteLine(string.Create(inv, $"work per window   {r.ForwardFlopsPerWindow / 1e6:F1} MFLOP forward + {r.BackwardFlopsPerWindow / 1e6:F1} MFLOP backward (matrix products), {r.Threads} threads"));
            Console.WriteLine(string.Create(inv, $"feature set       {r.MemoryTicks} ticks ({r.MemoryWindows} labelled windows as views): {r.DatasetMiB:F0} MiB managed, {r.BytesPerTick:F0} bytes per tick"));
            Console.WriteLine("                  gradient (fwd+bwd)   optimiser step      forward only        GFLOP/s   peak RSS");
            foreach (var (name, s) in new[] { ("reference", r.Reference), ("fast path", r.Fast) })
            {
                Console.WriteLine(string.Create(inv, $"{name,-17} {s.GradientWindowsPerSecond,9:F0} windows/s  {s.StepWindowsPerSecond,9:F0} windows/s  {s.ForwardWindowsPerSecond,9:F0} windows/s  {s.GigaflopsPerSecond,7:F1}  {s.PeakMemoryMiB,5} MiB"));
            }
            Console.WriteLine(string.Create(inv, $"speed-up          {r.Speedup:F1}x (gradient), {r.ForwardSpeedup:F1}x (forward)"));
            Console.WriteLine(string.Create(inv, $"what limits it    fast path on 1 thread {r.FastOneThreadGradientWindowsPerSecond:F0} windows/s: {100 * r.ParallelEfficiency:F0}% parallel efficiency on {r.Threads} threads; matrix kernel alone {r.SgemmOneCoreGigaflops:F0} GFLOP/s per core: the whole pass reaches {100 * r.GemmEfficiency:F0}% of it"));
            var p = r.Projection;
            Console.WriteLine(string.Create(inv, $"Aff-Wild2 EXPR    {p.Folds} folds x {p.Epochs} epochs over {p.Ticks} ticks: reference {p.ReferenceHours:F1} h, fast path {p.FastHours:F1} h on this machine"));
            return ExitCodes.Success;
        });
        return command;
    }
}
