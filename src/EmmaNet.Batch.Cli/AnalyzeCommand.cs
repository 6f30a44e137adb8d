using System.CommandLine;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pipeline;
using Microsoft.Extensions.Logging;

namespace EmmaNet.Batch.Cli;

/// <summary>
/// <c>emmanet analyze &lt;files or folders...&gt; -o &lt;out&gt;</c>: per video, face detections and, with the fusion
/// network (on unless <c>--no-fusion</c>), a label and 8 probabilities per subject and frame plus the attention weights.
/// </summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var batchInputs = new BatchInputs();
        var batch = (new Option<int>("--batch") { Description = "Frames gathered into one analysis batch from the videos in flight", DefaultValueFactory = _ => 8 }).AtLeast(1);
        var fusion = new Option<string?>("--fusion") { Description = $"Fusion model (ONNX from `emmanet train`; default: <models>/{FusionModel.DefaultFileName})" };
        var noFusion = new Option<bool>("--no-fusion") { Description = "Face detections only: no features, no predictions" };
        var subject = new Option<SubjectChoice>("--subject") { Description = "Whose emotions: all (every tracked face), largest, left or right", DefaultValueFactory = _ => SubjectChoice.All };
        var fusionBatch = (new Option<int>("--fusion-batch") { Description = "Windows per fusion call at most (windows of several videos share calls)", DefaultValueFactory = _ => 64 }).AtLeast(1);
        var audioOptions = new AudioOptions();
        var faceOptions = new FaceOptions();
        var common = new CommonOptions();
        var command = new Command("analyze", "Analyse videos: face detections, per-frame emotions and attention weights, as Parquet") { batch, fusion, noFusion, subject, fusionBatch };
        batchInputs.AddTo(command);
        audioOptions.AddTo(command);
        faceOptions.AddTo(command);
        common.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var logging = common.Begin(parse);
            var logger = logging.CreateLogger("emmanet");
            var (batchRun, videoSource, exit) = batchInputs.Prepare(parse, logger);
            if (batchRun is null || videoSource is null)
            {
                return exit;
            }

            var options = new AnalyzeOptions(parse.GetValue(batchInputs.Output)!, parse.GetValue(batchInputs.VideosInFlight), parse.GetValue(batch), Force: parse.GetValue(batchInputs.Force));
            var choice = new ModelChoice(parse.GetValue(noFusion) ? RunMode.Faces : RunMode.Predictions, Fusion: parse.GetValue(fusion));
            AnalyzerModels models;
            try
            {
                models = AnalyzerModels.Load(audioOptions.Into(parse, faceOptions.Into(parse, choice)), ModelStore.Open(parse.GetValue(common.Models)), new SessionFactory(common.Execution(parse), logger));
            }
            catch (ModelException ex)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.CouldNotRun;
            }
            using var held = models;
            if (models.Fusion is { } fusionModel)
            {
                logger.LogInformation("Fusion model {Model} ({Variant}, T = {Steps}): {Training}", fusionModel.Model.FileName, fusionModel.Variant, fusionModel.Steps, fusionModel.Training);
                options = options with
                {
                    Features = new FeatureOutput(parse.GetValue(subject), models.Audio!, WriteTables: false),
                    Fusion = new PredictionOutput(fusionModel, Math.Max(1, parse.GetValue(fusionBatch))),
                };
            }
            var pipeline = new AnalyzePipeline(videoSource, models.Analyzer, logger);
            return await PipelineRun.RunAsync("analyze", pipeline, batchRun, options, logger, cancellationToken);
        });
        return command;
    }
}
