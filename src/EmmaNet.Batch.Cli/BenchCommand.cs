using System.CommandLine;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Bench;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pipeline;
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
                var store = ModelStore.Open(parse.GetValue(common.Models));
                var sessions = new SessionFactory(common.Execution(parse), logger);
                using var models = AnalyzerModels.Load(audioOptions.Into(parse, faceOptions.Into(parse, new ModelChoice(RunMode.Predictions, RequireFusionFit: false))), store, sessions);
                // The default fusion model is timed even with --no-mesh or --no-reidentify, which it does not fit.
                // Beside the product's networks: the square-input detector and PoseNet they replaced, and log-mel for its cost.
                using var squareDetector = new BlazeFaceDetector(store, sessions, new BlazeFaceOptions(FitToFrame: false));
                using var squarePose = new PoseModel(store, sessions, fitToFrame: false);
                using var vad = new SileroVad(store, sessions);
                var networks = new BenchNetworks(models.Detector, squareDetector, models.Expression!, models.Pose!, squarePose, models.Fusion!, models.Audio!, new AudioFeatureExtractor(vad), models.Identity, models.Mesh);
                var result = await AnalyzeBenchmark.RunAsync(media, path, networks, parse.GetValue(baseline), logger, ct);
                if (result.Failure is { } failure)
                {
                    logger.LogError("{Message}", failure);
                    return ExitCodes.SomeVideosFailed;
                }
                Console.Write(parse.GetValue(json) ? BenchReport.Json(result.Result!) : BenchReport.Text(result.Result!));
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
}
