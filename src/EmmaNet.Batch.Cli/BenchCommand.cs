using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Bench;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pose;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet bench &lt;video&gt;</c>: loads the networks, runs <see cref="AnalyzeBenchmark"/> on one video and prints
/// its table, or JSON with <c>--json</c>.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var video = new Argument<string>("video") { Description = "Video to measure (default: samples/media/faces.mp4)", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => Path.Combine("samples", "media", "faces.mp4") };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var baseline = new Option<bool>("--baseline") { Description = "Also run the full analyze as before the speed work and the stage line (square detector and PoseNet inputs, every frame network in one stage) and report the ratio" };
        var audioOptions = new AudioOptions();
        var faceOptions = new FaceOptions();
        var common = new CommonOptions();
        var command = new Command("bench", "Measure decode-only, detector-only, fusion-only and pipeline times on one video") { video, json, baseline };
        common.AddTo(command);
        audioOptions.AddTo(command);
        faceOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            using var logging = common.Begin(parse);
            var logger = logging.CreateLogger("emmanet");
            var path = Path.GetFullPath(parse.GetValue(video)!);
            try
            {
                var media = await MediaProber.ProbeAsync(path, ct);
                var models = ModelStore.Open(parse.GetValue(common.Models));
                var sessions = new SessionFactory(common.Execution(parse), logger);
                using var detector = new BlazeFaceDetector(models, sessions);
                using var squareDetector = new BlazeFaceDetector(models, sessions, new BlazeFaceOptions(FitToFrame: false));
                using var expression = new ExpressionModel(models, sessions);
                using var pose = new PoseModel(models, sessions);
                using var squarePose = new PoseModel(models, sessions, fitToFrame: false);
                using var fusion = new FusionModel(Path.Combine(models.Folder, FusionModel.DefaultFileName), sessions, requireRecord: true);
                using var owned = new Owned();
                var audio = audioOptions.Build(parse, models, sessions, owned, fusion.AudioCnnId);
                var logMel = new AudioFeatureExtractor(owned.Add(new SileroVad(models, sessions)));
                var identity = faceOptions.Identity(parse, models, sessions, owned);
                var mesh = faceOptions.Mesh(parse, models, sessions, owned);

                var result = await AnalyzeBenchmark.RunAsync(media, path, new BenchNetworks(detector, squareDetector, expression, pose, squarePose, fusion, audio, logMel, identity, mesh), parse.GetValue(baseline), logger, ct);
                if (result.Failure is { } failure)
                {
                    logger.LogError("{Message}", failure);
                    return ExitCodes.SomeVideosFailed;
                }
                Report(parse.GetValue(json), result.Result!);
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is MediaException or ModelException)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.CouldNotRun;
            }
        });
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static void Report(bool json, BenchResult r)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(r, JsonOptions));
            return;
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"video            {r.Video} ({r.Width}x{r.Height}, {r.VideoSeconds:F1} s, {r.VideoFrames} frames, {r.ProcessedFrames} at 6 Hz)"));
        Console.WriteLine(string.Create(inv, $"decode only      {r.DecodeOnlySeconds,8:F2} s"));
        Console.WriteLine(string.Create(inv, $"detector only    {r.DetectorOnlySeconds,8:F2} s  ({r.DetectorFramesPerSecond:F1} frames/s on {r.ExecutionProvider}, estimated for all frames)"));
        Console.WriteLine(string.Create(inv, $"detection pipeline {r.PipelineSeconds,6:F2} s  (analyze --no-fusion)"));
        Console.WriteLine(string.Create(inv, $"pipeline / decode-only        {r.PipelineOverDecode:F2}"));
        Console.WriteLine(string.Create(inv, $"pipeline / busiest stage      {r.PipelineOverBusiestStage:F2}"));
        Console.WriteLine(string.Create(inv, $"real-time factor              {r.RealTimeFactor:F2} video s per wall s"));
        Console.WriteLine(string.Create(inv, $"peak memory (decode+pipeline) {r.PipelinePeakMemoryMiB} MiB ({r.Cores} cores)"));
        Console.WriteLine(string.Create(inv, $"full analyze     {r.AnalyzeSeconds,8:F2} s  (features + fusion, every subject: {r.FusedWindows} windows; {r.AnalyzeRealTimeFactor:F2} video s per wall s)"));
        Console.WriteLine("fusion only      " + string.Join(", ", r.FusionMsPerWindowByBatch.Select(kv => string.Create(inv, $"{kv.Value:F3} ms/window at {kv.Key} per call"))));
        Console.WriteLine("stages alone (s, whole video): " + string.Join(", ", r.StageSeconds.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:F2}"))));
        Console.WriteLine("stages alone (per second): " + string.Join(", ", r.StagePerSecond.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:F0} {r.StageUnits[kv.Key]}"))));
        Console.WriteLine(string.Create(inv, $"full analyze / busiest stage   {r.AnalyzeOverBusiestStage:F2}  (busiest: {r.StageSeconds.MaxBy(kv => kv.Value).Key})"));
        Console.WriteLine(string.Create(inv, $"full analyze / (sum of stages alone / {r.Cores} cores)  {r.AnalyzeOverStagesSharingTheCores:F2}  (1.0: every stage's work spread over all cores with nothing lost)"));
        Console.WriteLine(string.Create(inv, $"CPU use during full analyze   {100 * r.AnalyzeCpuUtilisation:F0}% of {r.Cores} cores by emmanet, {100 * r.AnalyzeFfmpegCpuUtilisation:F0}% by its ffmpeg processes"));
        Console.WriteLine("CPU s in full analyze (emmanet): " + string.Join(", ", r.AnalyzeCpuSeconds.Select(kv => string.Create(inv, $"{kv.Key} {kv.Value:F2}"))));
        Console.WriteLine(string.Create(inv, $"managed allocations in full analyze {r.AnalyzeAllocatedMiB:F0} MiB ({r.AnalyzeAllocatedMiB / r.ProcessedFrames:F2} MiB per 6 Hz frame), {r.AnalyzeGen2Collections} gen-2 collections"));
        Console.WriteLine(string.Create(inv, $"detector alone, fitted / square input {r.DetectorOnlySeconds / r.DetectorSquareInputSeconds:F2}  ({r.DetectorOnlySeconds:F2} s / {r.DetectorSquareInputSeconds:F2} s)"));
        Console.WriteLine(string.Create(inv, $"pose alone, fitted / square input     {r.StageSeconds["pose"] / r.PoseSquareInputSeconds:F2}  ({r.StageSeconds["pose"]:F2} s / {r.PoseSquareInputSeconds:F2} s)"));
        if (r.BaselineAnalyzeSeconds is { } before)
        {
            Console.WriteLine(string.Create(inv, $"full analyze before the speed work {before,6:F2} s  (square inputs, frame networks in one stage); after / before {r.AnalyzeOverBaseline:F2}"));
        }
    }
}
