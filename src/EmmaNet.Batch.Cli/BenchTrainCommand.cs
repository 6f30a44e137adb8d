using System.CommandLine;
using EmmaNet.Batch.Fusion;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet bench-train</c>: the fusion trainer's speed, reference against fast path, on generated windows of the
/// real feature sizes (<see cref="TrainingBenchmark"/>), with the memory of an Aff-Wild2-sized feature set and the
/// projected time of the paper's 5 folds x 40 epochs on this machine.
/// </summary>
internal static class BenchTrainCommand
{
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
            Console.Write(asJson ? TrainingBenchmarkReport.Json(r) : TrainingBenchmarkReport.Text(r));
            return ExitCodes.Success;
        });
        return command;
    }
}
