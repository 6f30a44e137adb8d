using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EmmaNet.Batch.Fusion;

/// <summary><c>bench-train</c>'s output: the trainer's speed (reference against fast path), memory and the projected Aff-Wild2 time, as a table or JSON.</summary>
public static class TrainingBenchmarkReport
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Json(TrainingBenchmarkResult r) => JsonSerializer.Serialize(r, JsonOptions) + Environment.NewLine;

    public static string Text(TrainingBenchmarkResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"network           {r.Config}");
        text.AppendLine(inv, $"work per window   {r.ForwardFlopsPerWindow / 1e6:F1} MFLOP forward + {r.BackwardFlopsPerWindow / 1e6:F1} MFLOP backward (matrix products), {r.Threads} threads");
        text.AppendLine(inv, $"feature set       {r.MemoryTicks} ticks ({r.MemoryWindows} labelled windows as views): {r.DatasetMiB:F0} MiB managed, {r.BytesPerTick:F0} bytes per tick");
        text.AppendLine("                  gradient (fwd+bwd)   optimiser step      forward only        GFLOP/s   peak RSS");
        foreach (var (name, s) in new[] { ("reference", r.Reference), ("fast path", r.Fast) })
        {
            text.AppendLine(inv, $"{name,-17} {s.GradientWindowsPerSecond,9:F0} windows/s  {s.StepWindowsPerSecond,9:F0} windows/s  {s.ForwardWindowsPerSecond,9:F0} windows/s  {s.GigaflopsPerSecond,7:F1}  {s.PeakMemoryMiB,5} MiB");
        }
        text.AppendLine(inv, $"speed-up          {r.Speedup:F1}x (gradient), {r.ForwardSpeedup:F1}x (forward)");
        text.AppendLine(inv, $"what limits it    fast path on 1 thread {r.FastOneThreadGradientWindowsPerSecond:F0} windows/s: {100 * r.ParallelEfficiency:F0}% parallel efficiency on {r.Threads} threads; matrix kernel alone {r.SgemmOneCoreGigaflops:F0} GFLOP/s per core: the whole pass reaches {100 * r.GemmEfficiency:F0}% of it");
        var p = r.Projection;
        text.AppendLine(inv, $"Aff-Wild2 EXPR    {p.Folds} folds x {p.Epochs} epochs over {p.Ticks} ticks: reference {p.ReferenceHours:F1} h, fast path {p.FastHours:F1} h on this machine");
        return text.ToString();
    }
}
