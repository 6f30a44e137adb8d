using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EmmaNet.Batch.Bench;

/// <summary>How <c>emmanet bench</c> shows an <see cref="AnalyzeBenchmark"/> result: a table for people, JSON for scripts.</summary>
public static class BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The result as indented JSON with snake_case names, for scripts.</summary>
    public static string Json(BenchResult r) => JsonSerializer.Serialize(r, JsonOptions) + Environment.NewLine;

    /// <summary>The result as the table <c>emmanet bench</c> prints, one measurement a line.</summary>
    public static string Text(BenchResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(inv, $"video            {r.Video} ({r.Width}x{r.Height}, {r.VideoSeconds:F1} s, {r.VideoFrames} frames, {r.ProcessedFrames} at 6 Hz)"));
        text.AppendLine($"warm-up          {r.WarmUp} (decode, detection pipeline, full analyze; then timed)");
        text.AppendLine(string.Create(inv, $"decode only      {r.DecodeOnlySeconds,8:F2} s"));
        text.AppendLine(string.Create(inv, $"detector only    {r.DetectorOnlySeconds,8:F2} s  ({r.DetectorFramesPerSecond:F1} frames/s on {r.ExecutionProvider}, estimated for all frames)"));
        text.AppendLine(string.Create(inv, $"detection pipeline {r.PipelineSeconds,6:F2} s  (analyze --no-fusion)"));
        text.AppendLine(string.Create(inv, $"pipeline / decode-only        {r.PipelineOverDecode:F2}"));
        text.AppendLine(string.Create(inv, $"pipeline / busiest stage      {r.PipelineOverBusiestStage:F2}"));
        text.AppendLine(string.Create(inv, $"real-time factor              {r.RealTimeFactor:F2} video s per wall s"));
        text.AppendLine(string.Create(inv, $"peak memory (decode+pipeline) {r.PipelinePeakMemoryMiB} MiB ({r.Cores} cores)"));
        text.AppendLine(string.Create(inv, $"full analyze     {r.AnalyzeSeconds,8:F2} s  (features + fusion, every subject: {r.FusedWindows} windows; {r.AnalyzeRealTimeFactor:F2} video s per wall s)"));
        text.AppendLine("fusion only      " + string.Join(", ", r.FusionMsPerWindowByBatch.Select(kv => string.Create(inv, $"{kv.Value:F3} ms/window at {kv.Key} per call"))));
        text.AppendLine("stages alone (s, whole video): " + string.Join(", ", r.StageSeconds.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:F2}"))));
        text.AppendLine("stages alone (per second): " + string.Join(", ", r.StagePerSecond.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:F0} {r.StageUnits[kv.Key]}"))));
        text.AppendLine(string.Create(inv, $"full analyze / busiest stage   {r.AnalyzeOverBusiestStage:F2}  (busiest: {r.StageSeconds.MaxBy(kv => kv.Value).Key})"));
        text.AppendLine(string.Create(inv, $"full analyze / (sum of stages alone / {r.Cores} cores)  {r.AnalyzeOverStagesSharingTheCores:F2}  (1.0: every stage's work spread over all cores with nothing lost)"));
        text.AppendLine(string.Create(inv, $"full analyze / (stages' CPU work alone / {r.Cores} cores)  {r.AnalyzeOverStageWork:F2}  (decode and audio at the CPU seconds they use alone with their ffmpeg: {r.DecodeOnlyCpuSeconds:F2} and {r.AudioOnlyCpuSeconds:F2} s)"));
        text.AppendLine(string.Create(inv, $"CPU use during full analyze   {100 * r.AnalyzeCpuUtilisation:F0}% of {r.Cores} cores by emmanet, {100 * r.AnalyzeFfmpegCpuUtilisation:F0}% by its ffmpeg processes"));
        text.AppendLine("CPU s in full analyze (emmanet): " + string.Join(", ", r.AnalyzeCpuSeconds.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:F2}"))));
        text.AppendLine(string.Create(inv, $"managed allocations in full analyze {r.AnalyzeAllocatedMiB:F0} MiB ({r.AnalyzeAllocatedMiB / r.ProcessedFrames:F2} MiB per 6 Hz frame), {r.AnalyzeGen2Collections} gen-2 collections, {r.AnalyzeGcPauseSeconds:F2} s paused by the collector"));
        text.AppendLine(string.Create(inv, $"the runtime's compiler in full analyze {r.AnalyzeJitMethods} methods compiled or re-compiled in {r.AnalyzeJitSeconds:F2} s"));
        text.AppendLine(string.Create(inv, $"detector alone, fitted / square input {r.DetectorOnlySeconds / r.DetectorSquareInputSeconds:F2}  ({r.DetectorOnlySeconds:F2} s / {r.DetectorSquareInputSeconds:F2} s)"));
        text.AppendLine(string.Create(inv, $"pose alone, fitted / square input     {r.StageSeconds["pose"] / r.PoseSquareInputSeconds:F2}  ({r.StageSeconds["pose"]:F2} s / {r.PoseSquareInputSeconds:F2} s)"));
        if (r.BaselineAnalyzeSeconds is { } before)
        {
            text.AppendLine(string.Create(inv, $"full analyze before the speed work {before,6:F2} s  (square inputs, frame networks in one stage); after / before {r.AnalyzeOverBaseline:F2}"));
        }
        return text.ToString();
    }
}
