using System.CommandLine;
using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Fusion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Pipeline;
using EmmaNet.Batch.Pose;
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

            using var owned = new Owned();
            var options = new AnalyzeOptions(parse.GetValue(batchInputs.Output)!, parse.GetValue(batchInputs.VideosInFlight), parse.GetValue(batch), Force: parse.GetValue(batchInputs.Force));
            AnalyzePipeline pipeline;
            try
            {
                var models = ModelStore.Open(parse.GetValue(common.Models));
                var sessions = new SessionFactory(common.Execution(parse), logger);
                var detector = owned.Add(new BlazeFaceDetector(models, sessions));
                if (parse.GetValue(noFusion))
                {
                    pipeline = new AnalyzePipeline(videoSource, new FrameAnalyzer(detector, mesh: faceOptions.Mesh(parse, models, sessions, owned)), logger);
                }
                else
                {
                    var userModel = parse.GetValue(fusion);
                    var fusionModel = owned.Add(new FusionModel(userModel ?? Path.Combine(models.Folder, FusionModel.DefaultFileName), sessions, requireRecord: userModel is null));
                    var analyzer = new FrameAnalyzer(detector, owned.Add(new ExpressionModel(models, sessions)), owned.Add(new PoseModel(models, sessions)), identity: faceOptions.Identity(parse, models, sessions, owned), mesh: faceOptions.Mesh(parse, models, sessions, owned));
                    var trainedOn = fusionModel.AudioCnnId;
                    var features = new FeatureOutput(parse.GetValue(subject), audioOptions.Build(parse, models, sessions, owned, trainedOn), WriteTables: false);
                    pipeline = new AnalyzePipeline(videoSource, analyzer, logger);
                    if (fusionModel.Mismatch(ExtractorIdentity.FromModels(pipeline.FeatureModels(features))) is { } problem)
                    {
                        throw new ModelException($"{fusionModel.Model.FileName} does not fit these feature extractors: {problem}");
                    }
                    logger.LogInformation("Fusion model {Model} ({Variant}, T = {Steps}): {Training}",
                        fusionModel.Model.FileName, fusionModel.Variant, fusionModel.Steps, fusionModel.Training);
                    options = options with { Features = features, Fusion = new PredictionOutput(fusionModel, Math.Max(1, parse.GetValue(fusionBatch))) };
                }
            }
            catch (ModelException ex)
            {
                logger.LogError("{Message}", ex.Message);
                return ExitCodes.CouldNotRun;
            }
            return await PipelineRun.RunAsync("analyze", pipeline, batchRun, options, logger, cancellationToken);
        });
        return command;
    }
}
