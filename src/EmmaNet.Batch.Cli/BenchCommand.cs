using System.CommandLine;
using EmmaNet.Batch.Bench;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pipeline;
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
        command.SetAction((parse, ct) => common.RunAsync(parse, async logger =>
        {
            var choice = audioOptions.Into(parse, faceOptions.Into(parse, new ModelChoice(RunMode.Predictions)));
            var sessions = new SessionFactory(common.Execution(parse), logger);
            var result = await AnalyzeBenchmark.RunAsync(Path.GetFullPath(parse.GetValue(video)!), choice, ModelStore.Open(parse.GetValue(common.Models)), sessions, parse.GetValue(baseline), logger, ct);
            if (result.Failure is { } failure)
            {
                logger.LogError("{Message}", failure);
                return ExitCodes.SomeVideosFailed;
            }
            Console.Write(parse.GetValue(json) ? BenchReport.Json(result.Result!) : BenchReport.Text(result.Result!));
            return ExitCodes.Success;
        }));
        return command;
    }
}
